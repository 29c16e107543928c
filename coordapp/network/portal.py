"""A hotline's own view of itself: the hotlines a hotline user is bound to, the profile fields
and contacts they keep current. Everything here takes the user's hotline, never an id the user
typed alone: a hotline or contact outside their scope is not found (404)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.auth.models import User, UserHotline
from coordapp.errors import NotFound, ValidationError
from coordapp.network.hotlines import clean_profile
from coordapp.network.models import Hotline
from coordapp.partners import contacts
from coordapp.partners.models import Contact
from coordapp.records import service as records

# What a hotline keeps current itself. Name, operator, home country and the countries it
# accepts reports for stay with the secretariat: they decide the network's coverage.
PROFILE_FIELDS = ("public_url", "founded_year", "languages", "reporting_channels", "staff_count")
NOT_YOURS = "There is no such hotline among yours."


def hotlines_of_user(session: Session, *, user: User) -> list[Hotline]:
    """The hotlines ``user`` is bound to, by name (none for the secretariat's roles)."""
    return list(
        session.scalars(
            sa.select(Hotline)
            .join(UserHotline, UserHotline.hotline_id == Hotline.id)
            .where(UserHotline.user_id == user.id)
            .order_by(Hotline.name)
        )
    )


def hotline_of_user(session: Session, *, user: User, hotline_id: int) -> Hotline:
    """One of the user's hotlines; any other id is not found, whether it exists or not."""
    if hotline_id not in user.hotline_ids:
        raise NotFound(NOT_YOURS)
    hotline = session.get(Hotline, hotline_id)
    if hotline is None:
        raise NotFound(NOT_YOURS)
    return hotline


def update_profile(
    session: Session, *, hotline: Hotline, data: Mapping[str, Any], expected_version: int | None
) -> Hotline:
    """The hotline's own profile fields (audited like every change of a hotline)."""
    records.check_version(hotline, expected_version)
    if hotline.archived_at is not None:
        raise ValidationError(None, "This hotline is archived: its profile can no longer change.")
    records.apply_changes(hotline, clean_profile(data))
    session.flush()
    return hotline


# --- contacts: the people at the hotline's operating organization ----------------------------


def hotline_contacts(session: Session, *, hotline: Hotline) -> list[Contact]:
    if hotline.operator_id is None:
        return []
    return list(
        session.scalars(
            sa.select(Contact)
            .where(
                Contact.organization_id == hotline.operator_id,
                Contact.archived_at.is_(None),
                Contact.erased_at.is_(None),
            )
            .order_by(Contact.full_name, Contact.id)
        )
    )


def contact_of_hotline(session: Session, *, hotline: Hotline, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if (
        contact is None
        or hotline.operator_id is None
        or contact.organization_id != hotline.operator_id
        or contact.archived_at is not None
    ):
        raise NotFound("There is no such contact at your hotline.")
    return contact


def _contact_data(hotline: Hotline, data: Mapping[str, Any]) -> dict[str, Any]:
    if hotline.operator is None:
        raise ValidationError(
            None,
            "The secretariat has not recorded your hotline's operating organization yet, so "
            "contacts cannot be added here; ask them to record it.",
        )
    # Always the hotline's own organization, whatever the form sent.
    return {**data, "organization": hotline.operator.name}


def create_contact(session: Session, *, hotline: Hotline, data: Mapping[str, Any]) -> Contact:
    return contacts.create_contact(session, data=_contact_data(hotline, data))


def update_contact(
    session: Session,
    *,
    hotline: Hotline,
    contact: Contact,
    data: Mapping[str, Any],
    expected_version: int | None,
) -> Contact:
    if contact.organization_id != hotline.operator_id:
        raise NotFound("There is no such contact at your hotline.")
    return contacts.update_contact(
        session, obj=contact, data=_contact_data(hotline, data), expected_version=expected_version
    )


@auth.user_export.register
def hotlines_of_user_export(session: Session, user: User) -> dict[str, Any]:
    """The hotlines a hotline user is bound to, for their personal-data export."""
    bound = hotlines_of_user(session, user=user)
    return {"hotlines": [{"id": h.id, "name": h.name} for h in bound]} if bound else {}
