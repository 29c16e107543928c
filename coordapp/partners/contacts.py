"""Contacts, the people at organizations: when one has gone quiet, create and edit, and their
personal data exported or erased on request (GDPR)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, object_session

from coordapp import validation
from coordapp.audit import service as audit
from coordapp.audit.models import AuditEvent
from coordapp.auth.service import normalise_email
from coordapp.batching import Batch
from coordapp.db import utcnow
from coordapp.errors import ValidationError
from coordapp.hooks import Hook
from coordapp.partners import last_contacted
from coordapp.partners.models import (
    Contact,
)
from coordapp.partners.organizations import organization_id_by_name
from coordapp.records import service as records

STALE_AFTER_DAYS = 180
# Digits and the usual separators; at least five digits somewhere.
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")
CONTACT_PERSONAL_FIELDS = frozenset({"full_name", "email", "phone", "job_title", "lawful_basis"})


def stale_before(today: date) -> date:
    """Contacts last spoken to before this day (or never) count as stale."""
    return today - timedelta(days=STALE_AFTER_DAYS)


def is_stale_on(last: date | None, *, today: date) -> bool:
    """Whether a contact last contacted on ``last`` (None: never) has gone quiet."""
    return last is None or last < stale_before(today)


def is_stale(contact: Contact, *, today: date) -> bool:
    """Whether the contact has gone quiet, by its last contact as the log says."""
    session = object_session(contact)
    assert session is not None
    return is_stale_on(last_contacted.last_contacted_of_contact(session, contact), today=today)


def stale_condition(today: date) -> sa.ColumnElement[bool]:
    """SQL for ``is_stale``: on ``Contact``, its last contact (the log's) never or too long ago."""
    last = last_contacted.contact_last_contacted()
    return sa.or_(last.is_(None), last < stale_before(today))


def get_contact(session: Session, contact_id: int) -> Contact:
    obj: Contact = records.get_or_404(session, Contact, contact_id, what="contact")
    return obj


def _optional_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value.strip()) > 254:
        raise ValidationError("email", "At most 254 characters.")
    return normalise_email(value)


def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = " ".join(value.split())
    if not _PHONE.match(value) or sum(ch.isdecimal() for ch in value) < 5:
        raise ValidationError(
            "phone",
            "Enter a phone number with digits, spaces and + ( ) - . only, e.g. +32 2 555 01 23.",
        )
    return value


def _clean_contact(
    session: Session, data: Mapping[str, Any], *, obj: object = None, batch: Batch | None = None
) -> dict[str, Any]:
    return {
        "organization_id": organization_id_by_name(
            session, "organization", data.get("organization"), batch=batch
        ),
        "full_name": validation.required_text("full_name", data.get("full_name"), max_length=160),
        "job_title": validation.free_text("job_title", data.get("job_title"), max_length=160),
        "email": _optional_email(data.get("email")),
        "phone": _phone(data.get("phone")),
        "lawful_basis": validation.free_text(
            "lawful_basis", data.get("lawful_basis"), max_length=300
        ),
    }


def _clean_contact_and_typed_date(
    session: Session, data: Mapping[str, Any], *, obj: object = None, batch: Batch | None = None
) -> dict[str, Any]:
    """The contact's values; the date of the last contact only where it is given (an import
    of records kept before the interaction log): the page no longer edits it, the log is the
    source of "last contacted" (``coordapp.partners.last_contacted``)."""
    values = _clean_contact(session, data, obj=obj, batch=batch)
    if "last_contacted_on" in data:
        values["last_contacted_on"] = validation.past_date(
            "last_contacted_on", data.get("last_contacted_on"), what="date of the last contact"
        )
    return values


def _not_erased(contact: Contact) -> None:
    if contact.erased_at is not None:
        raise ValidationError(
            None, "This contact's personal data was erased; record the person as a new contact."
        )


CONTACT_COMMANDS = records.RecordCommands(
    Contact, clean=_clean_contact_and_typed_date, check_editable=_not_erased
)
create_contact = CONTACT_COMMANDS.create
update_contact = CONTACT_COMMANDS.update


def contact_related(session: Session, obj: Contact) -> dict[str, Any]:
    last = last_contacted.last_contacted_of_contact(session, obj)
    return {
        "last_contacted": last,
        "stale": is_stale_on(last, today=date.today()),
        "stale_days": STALE_AFTER_DAYS,
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _event_json(event_row: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": event_row.occurred_at.isoformat(timespec="seconds"),
        "actor": event_row.actor_label,
        "action": event_row.action,
        "changes": event_row.changes,
        "summary": event_row.summary,
    }


# What the domains above partners hold about a contact person (found by their name within their
# organization, e.g. named training attendees): ``contact_export`` functions return {section:
# JSON-ready rows}; ``contact_erasure`` functions erase it and say where from ("" if nowhere).
contact_export: Hook[[Session, Contact], dict[str, Any]] = Hook("contact_export")
contact_erasure: Hook[[Session, Contact], str] = Hook("contact_erasure")


def export_contact(session: Session, *, contact: Contact) -> dict[str, Any]:
    """Everything coordapp stores about one contact person, as JSON-ready values, including the
    trainings whose attendee lists name them (rows of their organization or its hotlines).

    The export itself is recorded in the contact's history (after the copy is taken)."""
    data: dict[str, Any] = {
        "subject": {"type": "contact", "id": contact.id},
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "contact": {
            "full_name": contact.full_name,
            "job_title": contact.job_title,
            "email": contact.email,
            "phone": contact.phone,
            "last_contacted_on": (
                contact.last_contacted_on.isoformat() if contact.last_contacted_on else None
            ),
            "last_contacted": _iso(last_contacted.last_contacted_of_contact(session, contact)),
            "lawful_basis": contact.lawful_basis,
            "created_at": contact.created_at.isoformat(timespec="seconds"),
            "updated_at": contact.updated_at.isoformat(timespec="seconds"),
            "archived_at": (
                contact.archived_at.isoformat(timespec="seconds") if contact.archived_at else None
            ),
            "erased_at": (
                contact.erased_at.isoformat(timespec="seconds") if contact.erased_at else None
            ),
        },
        "organization": {"id": contact.organization.id, "name": contact.organization.name},
        "history": [
            _event_json(e)
            for e in audit.events_for(session, entity_type="contacts", entity_id=contact.id)
        ],
    }
    return audit.personal_data_export(
        session, person=contact, data=data, sections=contact_export.run(session, contact)
    )


def erase_contact(session: Session, *, contact: Contact) -> Contact:
    """Erase one contact person's personal data (right to erasure), keeping the record's shell.

    - name becomes "Erased contact #<id>"; email, phone, job title and lawful basis are
      emptied; ``erased_at`` is set and the contact is archived (it leaves the working lists);
    - the organization and everything else about it stay as they are;
    - in the contact's earlier audit events the old values of those fields are overwritten with
      "[erased]" (the events themselves — who changed which field, when — remain), and the
      erasure is recorded as one "erase" event that names no personal value;
    - the person's name is taken out of the named attendees of the trainings of their
      organization (or of the hotlines it operates), and out of those rows' history;
    - they are taken out of the participants of the interactions they took part in
      (``coordapp.partners.interactions``); the interactions themselves stay;
    - not covered: other free text that may name the person (notes are for coordination only).

    Erasing an already erased contact changes nothing.
    """
    if contact.erased_at is not None:
        return contact
    # Before the name is erased here: the other domains find the person by it.
    also_from = [where for where in contact_erasure.run(session, contact) if where]
    now = utcnow()
    values = {
        "full_name": f"Erased contact #{contact.id}",
        "email": None,
        "phone": None,
        "job_title": None,
        "lawful_basis": None,
    }
    with audit.erasing(
        session,
        entity_type=Contact.__tablename__,
        entity_id=contact.id,
        fields=CONTACT_PERSONAL_FIELDS,
    ):
        changed = records.apply_changes(contact, values)
        contact.erased_at = now
        if contact.archived_at is None:
            contact.archived_at = now
    audit.record_about(
        session,
        contact,
        action="erase",
        changes={c.field: [audit.ERASED if c.before else None, c.after] for c in changed},
        summary="Personal data erased on request"
        + (f", also from {', '.join(also_from)}." if also_from else "."),
    )
    return contact
