"""Demo interaction log: a few dozen meetings, calls and e-mails over the last year with the
organizations' contacts, each contact's latest one on the day their last contact was recorded
(so "last contacted" and the quiet contacts stay as the people part made them), with some
follow-ups open, some done and one overdue."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from coordapp.demo.context import DemoContext, seeded_random
from coordapp.partners.interaction_models import Interaction, InteractionKind
from coordapp.partners.models import Contact

NOTES = (
    "Quarterly check-in on the partnership; no open issues.",
    "Discussed their participation in the next regional training.",
    "Agreed to share the coverage update before the board meeting.",
    "Walked through the renewal timeline and the reporting calendar.",
    "Introduced the new hotline coordinator for their region.",
    "Follow-up on the data-sharing pilot: legal review still pending.",
    None,
)
MAX_INTERACTIONS = 45


def add_interactions(ctx: DemoContext) -> None:
    rng = seeded_random("interactions")
    year_ago = ctx.today - timedelta(days=365)
    recent = list(
        ctx.session.scalars(
            sa.select(Contact)
            .where(Contact.last_contacted_on >= year_ago)
            .order_by(Contact.organization_id, Contact.id)
        )
    )
    owners = [ctx.users["partnerships"], ctx.users["network"], ctx.users["training"]]
    rows: list[Interaction] = []
    for contact in recent:
        if len(rows) >= MAX_INTERACTIONS:
            break
        assert contact.last_contacted_on is not None
        days = [0] + ([rng.randint(30, 150)] if rng.random() < 0.5 else [])
        for back in days:
            on = contact.last_contacted_on - timedelta(days=back)
            if on < year_ago:
                continue
            rows.append(
                Interaction(
                    organization_id=contact.organization_id,
                    occurred_on=on,
                    kind=rng.choice(list(InteractionKind)),
                    note=rng.choice(NOTES),
                    participants=[contact],
                )
            )
    latest = sorted(rows, key=lambda i: i.occurred_on)[-12:]
    for n, interaction in enumerate(latest):
        interaction.follow_up_owner_id = owners[n % len(owners)].id
        if n < 4:  # done soon after
            interaction.follow_up_on = interaction.occurred_on + timedelta(days=10)
            interaction.follow_up_done_on = min(
                interaction.occurred_on + timedelta(days=8), ctx.today
            )
        else:  # open: over the next weeks
            interaction.follow_up_on = ctx.today + timedelta(days=2 + 4 * (n - 4))
    if len(latest) > 4:
        # One open follow-up is overdue: due a few days after its meeting, now past.
        overdue = latest[4]
        overdue.follow_up_on = min(
            overdue.occurred_on + timedelta(days=5), ctx.today - timedelta(days=1)
        )
    ctx.add_all("interactions", list[object](rows))
