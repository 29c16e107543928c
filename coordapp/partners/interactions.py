"""The interaction log: record a meeting, call or e-mail with an organization (who took part,
a coordination note, an optional follow-up), its timeline, the open follow-ups, and "last
contacted", derived from it.

"Last contacted" has one definition (``contact_last_contacted`` and
``organization_last_contacted``): the date of the latest interaction a contact took part in
(of the organization, for an organization). ``Contact.last_contacted_on`` is what was typed by
hand before the log existed; it counts only while a contact has no interaction at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import validation
from coordapp.auth import service as auth
from coordapp.auth.models import Role, User
from coordapp.batching import Batch
from coordapp.errors import ValidationError
from coordapp.partners.contacts import contact_erasure, contact_export
from coordapp.partners.interaction_models import (
    Interaction,
    InteractionKind,
    interaction_participants,
)
from coordapp.partners.models import Contact, Organization
from coordapp.records import service as records

# Open follow-ups due this soon (or overdue) need attention.
FOLLOW_UP_HORIZON_DAYS = 7
MAX_PARTICIPANTS = 50
# Interactions before this are not plausible (the network's records start later).
EARLIEST_DATE = date(1990, 1, 1)


def get_interaction(session: Session, interaction_id: int) -> Interaction:
    obj: Interaction = records.get_or_404(session, Interaction, interaction_id, what="interaction")
    return obj


def _organization(session: Session, value: object) -> Organization:
    organization_id = validation.optional_id(
        "organization_id", value, message="Choose the organization from the list."
    )
    if organization_id is None:
        raise ValidationError("organization_id", "Choose the organization.")
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise ValidationError(
            "organization_id", f"There is no organization with id {organization_id}."
        )
    return organization


def _participant_ids(value: object) -> list[int]:
    if value in (None, ""):
        return []
    values = [value] if isinstance(value, str | int) else list(value)  # type: ignore[call-overload]
    ids = []
    for raw in values:
        contact_id = validation.optional_id(
            "participant_ids", raw, message=f"{raw!r} is not a contact."
        )
        if contact_id is not None:
            ids.append(contact_id)
    return sorted(set(ids))


def _participants(
    session: Session, organization: Organization, value: object, *, current: set[int]
) -> list[Contact]:
    """The contacts who took part: all of ``organization``; erased ones only if already
    listed (their shell stays on an edited interaction)."""
    ids = _participant_ids(value)
    if len(ids) > MAX_PARTICIPANTS:
        raise ValidationError("participant_ids", f"At most {MAX_PARTICIPANTS} participants.")
    found = {c.id: c for c in records.scalars_in(session, sa.select(Contact), Contact.id, ids)}
    chosen = []
    for contact_id in ids:
        contact = found.get(contact_id)
        if contact is None:
            raise ValidationError("participant_ids", f"There is no contact with id {contact_id}.")
        if contact.organization_id != organization.id:
            raise ValidationError(
                "participant_ids",
                f"{contact.full_name} is a contact of {contact.organization.name}, not of "
                f"{organization.name}; record the interaction with that organization instead.",
            )
        if contact.erased_at is not None and contact_id not in current:
            raise ValidationError(
                "participant_ids", f"{contact.full_name}'s personal data was erased."
            )
        chosen.append(contact)
    return chosen


def _owner_id(session: Session, value: object, *, current: int | None) -> int | None:
    owner_id = validation.optional_id(
        "follow_up_owner_id", value, message="Choose the follow-up's owner from the list."
    )
    if owner_id is None or owner_id == current:
        return owner_id
    user = session.get(User, owner_id)
    if user is None:
        raise ValidationError("follow_up_owner_id", f"There is no user with id {owner_id}.")
    if not user.active:
        raise ValidationError(
            "follow_up_owner_id",
            f"{user.full_name} is deactivated and cannot own a follow-up; choose another owner.",
        )
    if not user.has_role(Role.VIEWER):
        raise ValidationError(
            "follow_up_owner_id",
            f"{user.full_name} is hotline staff; the owner must be a secretariat user.",
        )
    return owner_id


def _plausible(field: str, day: date | None) -> date | None:
    if day is not None and day < EARLIEST_DATE:
        raise ValidationError(field, f"Dates before {EARLIEST_DATE.year} are not plausible.")
    return day


def clean_interaction(
    session: Session, data: Mapping[str, Any], *, obj: Interaction | None, batch: Batch | None
) -> dict[str, Any]:
    """An interaction's values as stored (``participants`` as contacts), or the
    ValidationError saying what is wrong: it happened (not in the future), its participants
    are contacts of its organization, its note is coordination only, and a follow-up has
    both a due date and an active owner."""
    organization = _organization(session, data.get("organization_id"))
    if organization.archived_at is not None and (
        obj is None or obj.organization_id != organization.id
    ):
        raise ValidationError(
            "organization_id", f"{organization.name} is archived; restore it first."
        )
    occurred_on = _plausible(
        "occurred_on",
        validation.required_date(
            "occurred_on", data.get("occurred_on"), what="the date it took place"
        ),
    )
    assert occurred_on is not None
    if occurred_on > date.today():
        raise ValidationError(
            "occurred_on",
            "An interaction is logged once it has taken place; a planned meeting is a "
            "follow-up of the last interaction.",
        )
    follow_up_on = _plausible(
        "follow_up_on",
        validation.date_value("follow_up_on", data.get("follow_up_on"), required=False),
    )
    owner_id = _owner_id(
        session,
        data.get("follow_up_owner_id"),
        current=obj.follow_up_owner_id if obj is not None else None,
    )
    if (follow_up_on is None) != (owner_id is None):
        missing = (
            ("follow_up_on", "a due date")
            if follow_up_on is None
            else ("follow_up_owner_id", "an owner")
        )
        raise ValidationError(
            missing[0], f"A follow-up needs both a due date and an owner: choose {missing[1]}."
        )
    if follow_up_on is not None and follow_up_on < occurred_on:
        raise ValidationError(
            "follow_up_on", "The follow-up cannot be due before the interaction took place."
        )
    done_on = validation.past_date(
        "follow_up_done_on", data.get("follow_up_done_on"), what="date the follow-up was done"
    )
    if done_on is not None and follow_up_on is None:
        raise ValidationError("follow_up_done_on", "There is no follow-up to mark done.")
    if done_on is not None and done_on < occurred_on:
        raise ValidationError(
            "follow_up_done_on", "The follow-up cannot be done before the interaction took place."
        )
    current = {c.id for c in obj.participants} if obj is not None else set()
    return {
        "organization_id": organization.id,
        "occurred_on": occurred_on,
        "kind": validation.choice("kind", InteractionKind, data.get("kind")),
        "participants": _participants(
            session, organization, data.get("participant_ids"), current=current
        ),
        "note": validation.free_text("note", data.get("note"), max_length=2000),
        "follow_up_on": follow_up_on,
        "follow_up_owner_id": owner_id,
        "follow_up_done_on": done_on,
    }


def _change(
    session: Session, obj: Interaction, data: Mapping[str, Any], values: dict[str, Any]
) -> None:
    participants = values.pop("participants")
    records.apply_changes(obj, values)
    if [c.id for c in obj.participants] != [c.id for c in participants]:
        obj.participants = participants


INTERACTION_COMMANDS = records.RecordCommands(
    Interaction, clean=clean_interaction, versioned=False, change=_change
)
create_interaction = INTERACTION_COMMANDS.create
update_interaction = INTERACTION_COMMANDS.update


def mark_follow_up_done(
    session: Session, *, interaction: Interaction, done_on: date | None = None
) -> Interaction:
    """Close the interaction's follow-up (today unless ``done_on``); flushes."""
    if interaction.follow_up_on is None:
        raise ValidationError(None, "This interaction has no follow-up.")
    done_on = done_on or date.today()
    if interaction.follow_up_done_on is None:
        interaction.follow_up_done_on = done_on
        session.flush()
    return interaction


# --- last contacted -----------------------------------------------------------------------------


# --- timelines and follow-ups -------------------------------------------------------------------


def timeline_of_organization(session: Session, organization_id: int) -> list[Interaction]:
    """The organization's interactions, newest first."""
    return list(
        session.scalars(
            sa.select(Interaction)
            .where(Interaction.organization_id == organization_id)
            .order_by(Interaction.occurred_on.desc(), Interaction.id.desc())
        )
    )


def timeline_of_contact(session: Session, contact_id: int) -> list[Interaction]:
    """The interactions the contact took part in, newest first."""
    return list(
        session.scalars(
            sa.select(Interaction)
            .join(
                interaction_participants,
                interaction_participants.c.interaction_id == Interaction.id,
            )
            .where(interaction_participants.c.contact_id == contact_id)
            .order_by(Interaction.occurred_on.desc(), Interaction.id.desc())
        )
    )


def open_follow_up_condition() -> sa.ColumnElement[bool]:
    return sa.and_(Interaction.follow_up_on.is_not(None), Interaction.follow_up_done_on.is_(None))


def follow_ups_due_select(today: date) -> sa.Select:
    """Open follow-ups due within ``FOLLOW_UP_HORIZON_DAYS`` or overdue, the earliest due
    first, with the organization's and the owner's names."""
    return (
        sa.select(
            Interaction.id,
            Interaction.kind,
            Interaction.occurred_on,
            Interaction.follow_up_on,
            Organization.name,
            User.full_name.label("owner_name"),
        )
        .join(Organization, Organization.id == Interaction.organization_id)
        .join(User, User.id == Interaction.follow_up_owner_id)
        .where(
            open_follow_up_condition(),
            Interaction.follow_up_on <= today + timedelta(days=FOLLOW_UP_HORIZON_DAYS),
            Organization.archived_at.is_(None),
        )
        .order_by(Interaction.follow_up_on, Organization.name, Interaction.id)
    )


def interaction_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """Prefill a new interaction: today, a meeting, and ``?organization_id=`` (the
    organization page's button) or ``?contact_id=`` (the contact page's: its organization and
    the contact as participant)."""
    defaults: dict[str, Any] = {"occurred_on": date.today(), "kind": InteractionKind.MEETING.value}
    contact_id = validation.record_id(args.get("contact_id"))
    contact = session.get(Contact, contact_id) if contact_id is not None else None
    if contact is not None:
        defaults["organization_id"] = str(contact.organization_id)
        defaults["participant_ids"] = [str(contact.id)]
        return defaults
    organization_id = validation.record_id(args.get("organization_id"))
    if organization_id is not None and session.get(Organization, organization_id) is not None:
        defaults["organization_id"] = str(organization_id)
    return defaults


# --- personal data ------------------------------------------------------------------------------


@contact_export.register
def interactions_naming_contact(session: Session, contact: Contact) -> dict[str, Any]:
    """A contact's export lists the interactions they took part in."""
    return {
        "interactions": [
            {
                "id": i.id,
                "occurred_on": i.occurred_on.isoformat(),
                "kind": i.kind.value,
                "note": i.note,
                "participants": [c.full_name for c in i.participants],
            }
            for i in timeline_of_contact(session, contact.id)
        ]
    }


@contact_erasure.register
def contact_out_of_interactions(session: Session, contact: Contact) -> str:
    """Erasing a contact takes them out of the participants of every interaction."""
    taken_part = timeline_of_contact(session, contact.id)
    for interaction in taken_part:
        interaction.participants = [c for c in interaction.participants if c.id != contact.id]
    session.flush()
    return "interaction participants" if taken_part else ""


# A follow-up must have an owner (the table's "follow_up_complete" check): erasing its owner
# leaves it with the anonymous account, which the needs-attention list shows as unassigned.
auth.export_owned(
    "follow_ups_owned",
    Interaction.follow_up_owner_id,
    unassign_on_erasure=False,
    id=Interaction.id,
    follow_up_on=Interaction.follow_up_on,
    follow_up_done_on=Interaction.follow_up_done_on,
)


# --- the form's choices -------------------------------------------------------------------------


def organization_choices(session: Session, *, keep_id: int | None = None) -> list[tuple[str, str]]:
    """Organizations an interaction can be logged with: those not archived (plus ``keep_id``)."""
    query = sa.select(Organization.id, Organization.name).where(
        sa.or_(Organization.archived_at.is_(None), Organization.id == (keep_id or 0))
    )
    return [(str(i), name) for i, name in session.execute(query.order_by(Organization.name))]


def participant_choices(
    session: Session, *, organization_id: int | None, keep_ids: list[int]
) -> list[tuple[str, str]]:
    """Contacts who can be named as participants: of ``organization_id`` (or of every
    organization, with its name, when none is chosen yet), not erased (plus ``keep_ids``)."""
    query = (
        sa.select(Contact.id, Contact.full_name, Organization.name)
        .join(Organization, Organization.id == Contact.organization_id)
        .where(sa.or_(Contact.erased_at.is_(None), Contact.id.in_(keep_ids or [0])))
        .order_by(Organization.name, Contact.full_name, Contact.id)
    )
    if organization_id is not None:
        query = query.where(Contact.organization_id == organization_id)
        return [(str(i), name) for i, name, _ in session.execute(query)]
    return [(str(i), f"{name} · {org}") for i, name, org in session.execute(query)]


def owner_choices(session: Session, *, keep_id: int | None = None) -> list[tuple[str, str]]:
    """Who may own a follow-up: active secretariat users (plus the current owner)."""
    query = sa.select(User.id, User.full_name, User.email).where(
        sa.or_(
            sa.and_(User.active.is_(True), User.role != Role.HOTLINE),
            User.id == (keep_id or 0),
        )
    )
    return [
        (str(user_id), f"{name} ({email})")
        for user_id, name, email in session.execute(query.order_by(User.full_name))
    ]
