""" "Last contacted", the one definition every page, list and needs-attention section uses.

A contact's last contact is the date of the latest interaction they took part in (the
interaction log, ``coordapp.partners.interactions``); an organization's, the latest
interaction with it. ``Contact.last_contacted_on`` is the date typed by hand before the log
existed: it is no longer edited, and counts only while the contact (the organization: every
one of its contacts) has no interaction at all.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.partners.interaction_models import Interaction, interaction_participants
from coordapp.partners.models import Contact, Organization


def _latest_with(contact_id: Any) -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.max(Interaction.occurred_on))
        .join(
            interaction_participants,
            interaction_participants.c.interaction_id == Interaction.id,
        )
        .where(interaction_participants.c.contact_id == contact_id)
        .scalar_subquery()
    )


def contact_last_contacted() -> sa.ColumnElement[Any]:
    """A contact's last contact, as a column expression on ``Contact``: its latest
    interaction, or, when it has none, the date recorded by hand before the log."""
    return sa.func.coalesce(_latest_with(Contact.id), Contact.last_contacted_on)


def organization_last_contacted() -> sa.ColumnElement[Any]:
    """An organization's last contact, as a column expression on ``Organization``: its latest
    interaction, or, when it has none, the latest date recorded by hand on its contacts."""
    latest = (
        sa.select(sa.func.max(Interaction.occurred_on))
        .where(Interaction.organization_id == Organization.id)
        .scalar_subquery()
    )
    typed = (
        sa.select(sa.func.max(Contact.last_contacted_on))
        .where(Contact.organization_id == Organization.id)
        .scalar_subquery()
    )
    return sa.func.coalesce(latest, typed)


def last_contacted_of_contacts(session: Session, contact_ids: list[int]) -> dict[int, date | None]:
    found: dict[int, date | None] = {}
    wanted = sorted(set(contact_ids))
    for start in range(0, len(wanted), 1000):
        for contact_id, on in session.execute(
            sa.select(Contact.id, contact_last_contacted()).where(
                Contact.id.in_(wanted[start : start + 1000])
            )
        ):
            found[contact_id] = on
    return found


def last_contacted_of_contact(session: Session, contact: Contact) -> date | None:
    on: date | None = session.scalar(
        sa.select(contact_last_contacted()).where(Contact.id == contact.id)
    )
    return on


def last_contacted_of_organization(session: Session, organization: Organization) -> date | None:
    on: date | None = session.scalar(
        sa.select(organization_last_contacted()).where(Organization.id == organization.id)
    )
    return on
