"""The interactions list page: every meeting, call and e-mail, newest first, with its follow-up."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import selectinload

from coordapp import listing
from coordapp.listing import Column, Filter, ListSpec
from coordapp.partners.interaction_models import Interaction, InteractionKind
from coordapp.partners.models import Organization


def _follow_up(i: Interaction) -> Markup | str:
    if i.follow_up_on is None:
        return ""
    owner = i.follow_up_owner.full_name if i.follow_up_owner else "?"
    if i.follow_up_done_on is not None:
        return f"done {i.follow_up_done_on.isoformat()} ({owner})"
    text = f"due {i.follow_up_on.isoformat()} · {owner}"
    if i.follow_up_on < date.today():
        return Markup('<span class="text-danger">{} (overdue)</span>').format(text)
    return text


def _open_follow_ups(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value != "open":
        return query
    return query.where(
        Interaction.follow_up_on.is_not(None), Interaction.follow_up_done_on.is_(None)
    )


INTERACTION_LIST = ListSpec(
    entity=Interaction,
    columns=(
        Column("occurred_on", "Date", Interaction.occurred_on, link=True),
        listing.label_column("kind", "Kind", Interaction.kind),
        Column("organization", "Organization", Organization.name, lambda i: i.organization.name),
        Column(
            "participants",
            "Participants",
            None,
            lambda i: ", ".join(c.full_name for c in i.participants),
        ),
        Column("follow_up", "Follow-up", Interaction.follow_up_on, display=_follow_up),
    ),
    default_sort="-occurred_on",
    search=(Interaction.note, Organization.name),
    filters=(
        listing.year_filter_on(Interaction.occurred_on),
        listing.enum_filter_on("kind", "Kind", Interaction.kind, InteractionKind),
        listing.id_filter_on("organization", "Organization", Interaction.organization_id),
        Filter(
            "follow_up",
            "Follow-up",
            _open_follow_ups,
            lambda session: [("open", "Open follow-ups")],
        ),
    ),
    options=(
        selectinload(Interaction.organization),
        selectinload(Interaction.participants),
        selectinload(Interaction.follow_up_owner),
    ),
    archivable=False,
    joins=(Interaction.organization,),
)
