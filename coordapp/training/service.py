"""Queries and commands over training events and who took part in them.

A participation row belongs to exactly one participant, a member hotline or another
organization, and there is at most one row per participant per event. Named attendees are
personal data and optional; the counts are what the network reports on.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from coordapp import batching, validation
from coordapp.audit import service as audit
from coordapp.batching import Batch
from coordapp.errors import NotFound, ValidationError
from coordapp.network.models import Hotline
from coordapp.partners import contacts as partners_contacts
from coordapp.partners import organizations
from coordapp.partners.models import Contact, Organization
from coordapp.records import service as records
from coordapp.reference import service as reference
from coordapp.reference.models import Pillar
from coordapp.training.models import (
    DeliveryMode,
    TrainingEvent,
    TrainingKind,
    TrainingParticipation,
)

FIRST_YEAR = 1999
MAX_PARTICIPANTS = 100_000
FEEDBACK_MIN, FEEDBACK_MAX = Decimal(1), Decimal(5)
_WHOLE_NUMBER = re.compile(r"^\d+$")
# The fields of a participation row that count people: small ones are hidden below manager.
COUNTED_FIELDS = frozenset({"participants", "completed"})

# --- events ----------------------------------------------------------------------------------


def get_event(session: Session, event_id: int) -> TrainingEvent:
    obj: TrainingEvent = records.get_or_404(session, TrainingEvent, event_id, what="training event")
    return obj


def _title_key(title: str) -> str:
    return " ".join(title.split()).lower()


def events_by_title(session: Session, *, title: str, start_date: date) -> list[TrainingEvent]:
    """Events with that title (any case) starting on that day (normally one)."""
    return list(
        session.scalars(
            sa.select(TrainingEvent)
            .where(
                sa.func.lower(TrainingEvent.title) == _title_key(title),
                TrainingEvent.start_date == start_date,
            )
            .limit(2)
        )
    )


def events_by_titles(
    session: Session, titles: Iterable[str]
) -> dict[tuple[str, date], list[TrainingEvent]]:
    """What ``events_by_title`` finds for each of ``titles`` and any start date, by (title as
    matched, start date), their participation rows loaded: a query per thousand titles, for an
    attendance sheet that names hundreds of events."""
    wanted = sorted({_title_key(title) for title in titles})
    lowered = sa.func.lower(TrainingEvent.title)
    statement = sa.select(TrainingEvent, lowered).options(
        selectinload(TrainingEvent.participations)
    )
    found: dict[tuple[str, date], list[TrainingEvent]] = {}
    for start in range(0, len(wanted), 1000):
        chunk = statement.where(lowered.in_(wanted[start : start + 1000]))
        for event, title in session.execute(chunk):
            found.setdefault((title, event.start_date), []).append(event)
    return found


def _required_date(field: str, value: Any) -> date:
    value = validation.required_date(field, value)
    if not FIRST_YEAR <= value.year <= 2100:
        raise ValidationError(field, f"Enter a date between {FIRST_YEAR} and 2100.")
    return value


def _require_pillar(session: Session, value: Any) -> int:
    try:
        pillar_id = int(value)
    except (TypeError, ValueError):
        pillar_id = 0
    if not pillar_id or session.get(Pillar, pillar_id) is None:
        raise ValidationError("pillar_id", "Choose one of the four pillars.")
    return pillar_id


def _clean_event(
    session: Session, data: Mapping[str, Any], *, obj: object = None, batch: Batch | None = None
) -> dict[str, Any]:
    start = _required_date("start_date", data.get("start_date"))
    end = _required_date("end_date", data.get("end_date"))
    validation.date_range(start, end)
    delivery = validation.choice("delivery", DeliveryMode, data.get("delivery"))
    location = reference.require_country(
        session,
        "location_country_code",
        data.get("location_country_code"),
        required=delivery != DeliveryMode.ONLINE,
        batch=batch,
    )
    return {
        "title": validation.required_text("title", data.get("title"), max_length=200),
        "kind": validation.choice("kind", TrainingKind, data.get("kind")),
        "pillar_id": _require_pillar(session, data.get("pillar_id")),
        "topics": validation.free_text("topics", data.get("topics"), max_length=300),
        "start_date": start,
        "end_date": end,
        "delivery": delivery,
        "location_country_code": location,
        "organizer_id": organizations.organization_id_by_name(
            session, "organizer", data.get("organizer"), required=False, batch=batch
        ),
        "trainers": validation.free_text("trainers", data.get("trainers"), max_length=300),
        "notes": validation.free_text("notes", data.get("notes")),
    }


def _new_event(session: Session, data: Mapping[str, Any], values: dict[str, Any]) -> TrainingEvent:
    # A new event has no participants: starting with its (empty) list loaded lets the rows an
    # import adds be checked against each other in memory.
    return TrainingEvent(**values, participations=[])


EVENT_COMMANDS = records.RecordCommands(TrainingEvent, clean=_clean_event, build=_new_event)
create_event = EVENT_COMMANDS.create
update_event = EVENT_COMMANDS.update


# --- participation ---------------------------------------------------------------------------


def hotline_choices(session: Session, *, keep: int | None = None) -> list[tuple[str, str]]:
    """Hotlines a participation row can name: the unarchived ones, plus ``keep`` if archived."""
    query = sa.select(Hotline.id, Hotline.name).order_by(Hotline.name)
    if keep is not None:
        query = query.where(sa.or_(Hotline.archived_at.is_(None), Hotline.id == keep))
    else:
        query = query.where(Hotline.archived_at.is_(None))
    return [(str(i), name) for i, name in session.execute(query)]


def get_participation(
    session: Session, *, event: TrainingEvent, participation_id: int
) -> TrainingParticipation:
    return records.get_or_404(
        session, TrainingParticipation, participation_id, what="participation", event_id=event.id
    )


def _count(field: str, value: Any, *, required: bool) -> int | None:
    if validation.blank(value):
        if required:
            raise ValidationError(field, "Enter a number (0 or more).")
        return None
    if isinstance(value, bool):
        raise ValidationError(field, "Enter a whole number (0 or more).")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _WHOLE_NUMBER.match(value.strip()):
        number = int(value.strip())
    else:
        raise ValidationError(field, "Enter a whole number (0 or more).")
    if number < 0:
        raise ValidationError(field, "Enter a whole number (0 or more).")
    if number > MAX_PARTICIPANTS:
        raise ValidationError(field, f"At most {MAX_PARTICIPANTS:,} people.")
    return number


def _feedback(value: Any) -> Decimal | None:
    if validation.blank(value):
        return None
    try:
        score = Decimal(str(value).strip())
    except InvalidOperation:
        score = None
    if score is None or not score.is_finite():
        raise ValidationError("feedback_score", "Enter a score from 1 to 5, e.g. 4.5.")
    exponent = score.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -1 and score != score.quantize(Decimal("0.1")):
        raise ValidationError("feedback_score", "The score takes at most one decimal, e.g. 4.5.")
    if not FEEDBACK_MIN <= score <= FEEDBACK_MAX:
        raise ValidationError("feedback_score", "The score is from 1 to 5.")
    return score.quantize(Decimal("0.1"))


def _attendees(value: Any, *, participants: int) -> str | None:
    text = validation.free_text("attendee_names", value)
    if text is None:
        return None
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if any(len(name) > 160 for name in names):
        raise ValidationError("attendee_names", "One name per line, at most 160 characters each.")
    if len(names) > participants:
        raise ValidationError(
            "attendee_names",
            f"{len(names)} names are listed but the row counts {participants} participants.",
        )
    return "\n".join(names)


def _participant(
    session: Session, hotline_id: Any, organization_id: Any
) -> tuple[int | None, int | None, str]:
    """The one participant of a row, checked to exist; returns (hotline_id, org_id, name)."""
    has_hotline = hotline_id not in (None, "")
    has_organization = organization_id not in (None, "")
    if has_hotline and has_organization:
        raise ValidationError(
            "hotline_id", "Choose either a hotline or an organization for one row, not both."
        )
    if not has_hotline and not has_organization:
        raise ValidationError(
            "hotline_id", "Choose the hotline or the organization that took part."
        )
    if has_hotline:
        number = validation.record_id(hotline_id)
        hotline = session.get(Hotline, number) if number else None
        if hotline is None:
            raise ValidationError("hotline_id", "Choose one of the listed hotlines.")
        return hotline.id, None, hotline.name
    number = validation.record_id(organization_id)
    organization = session.get(Organization, number) if number else None
    if organization is None:
        raise ValidationError("organization", "Choose an existing organization.")
    return None, organization.id, organization.name


def _rows_in_memory(event: TrainingEvent) -> bool:
    return "participations" in sa.inspect(event).dict


def _live_rows(session: Session, event: TrainingEvent) -> list[TrainingParticipation]:
    deleted = session.deleted  # a new set at every access
    return [
        row
        for row in event.participations
        if row not in deleted and not sa.inspect(row).was_deleted
    ]


def set_participation(
    session: Session,
    *,
    event: TrainingEvent,
    hotline_id: int | None = None,
    organization_id: int | None = None,
    participants: int | str | None,
    completed: int | str | None = None,
    feedback_score: Decimal | str | None = None,
    attendee_names: str | None = None,
    participation: TrainingParticipation | None = None,
    batch: Batch | None = None,
) -> TrainingParticipation:
    """Add a participation row to ``event``, or change ``participation`` (a row of it).

    A participant appears once per event: adding a second row for it is refused with a
    message pointing at the row to edit instead. Flushes (in an import's ``batch``, with the
    batch).
    """
    if event.archived_at is not None:
        raise ValidationError(
            None, "This training event is archived: restore it before changing who took part."
        )
    if participation is not None and participation.event is not event:
        raise NotFound("That participation row belongs to another training event.")
    hotline_key, organization_key, name = _participant(session, hotline_id, organization_id)
    if _rows_in_memory(event):
        # An import keeps each event's rows loaded (and adds to them): no query per row.
        taken = any(
            other is not participation
            and (
                other.hotline_id == hotline_key
                if hotline_key is not None
                else other.organization_id == organization_key
            )
            for other in _live_rows(session, event)
        )
    else:
        same_participant = (
            TrainingParticipation.hotline_id == hotline_key
            if hotline_key is not None
            else TrainingParticipation.organization_id == organization_key
        )
        taken = (
            session.scalar(
                sa.select(TrainingParticipation.id).where(
                    TrainingParticipation.event_id == event.id,
                    same_participant,
                    TrainingParticipation.id != (participation.id if participation else 0),
                )
            )
            is not None
        )
    if taken:
        raise ValidationError(
            "hotline_id" if hotline_key is not None else "organization",
            f"{name} already has a row on this event: edit that row instead of adding another.",
        )
    people = _count("participants", participants, required=True)
    assert people is not None
    done = _count("completed", completed, required=False)
    if done is not None and done > people:
        raise ValidationError(
            "completed", f"Completed ({done}) cannot be more than participants ({people})."
        )
    values = {
        "hotline_id": hotline_key,
        "organization_id": organization_key,
        "participants": people,
        "completed": done,
        "feedback_score": _feedback(feedback_score),
        "attendee_names": _attendees(attendee_names, participants=people),
    }
    if participation is None:
        # Through the relationship: the event's loaded rows include it, and the event needs
        # no id yet (an import may flush a batch of rows later).
        participation = TrainingParticipation(event=event, **values)
        session.add(participation)
    else:
        records.apply_changes(participation, values)
    batching.flush(session, batch)
    return participation


def _attendee_key(name: str) -> str:
    return " ".join(name.split()).lower()


def participations_naming(
    session: Session, *, name: str, organization_id: int
) -> list[TrainingParticipation]:
    """Rows of the organization, or of a hotline it operates, whose named attendees include
    ``name`` (any case or spacing): where a contact of that organization may be named."""
    key = _attendee_key(name)
    if not key:
        return []
    operated = sa.select(Hotline.id).where(Hotline.operator_id == organization_id)
    rows = session.scalars(
        sa.select(TrainingParticipation)
        .where(
            TrainingParticipation.attendee_names.is_not(None),
            sa.or_(
                TrainingParticipation.organization_id == organization_id,
                TrainingParticipation.hotline_id.in_(operated),
            ),
        )
        .order_by(TrainingParticipation.id)
    )
    return [
        row
        for row in rows
        if any(_attendee_key(line) == key for line in (row.attendee_names or "").splitlines())
    ]


def erase_attendee(session: Session, *, name: str, organization_id: int) -> int:
    """Take ``name`` out of the named attendees of ``participations_naming`` and out of those
    rows' history (right to erasure); returns the number of rows changed."""
    rows = participations_naming(session, name=name, organization_id=organization_id)
    key = _attendee_key(name)
    for row in rows:
        kept = [
            line for line in (row.attendee_names or "").splitlines() if _attendee_key(line) != key
        ]
        with audit.erasing(
            session,
            entity_type=TrainingParticipation.__tablename__,
            entity_id=row.id,
            fields=frozenset({"attendee_names"}),
        ):
            row.attendee_names = "\n".join(kept) or None
        audit.record_about(
            session,
            row,
            action="erase",
            changes={"attendee_names": [audit.ERASED, row.attendee_names]},
            summary="A named attendee erased on request.",
        )
    return len(rows)


@partners_contacts.contact_export.register
def trainings_naming_contact(session: Session, contact: Contact) -> dict[str, Any]:
    """The training rows whose named attendees include a contact, for their export."""
    rows = participations_naming(
        session, name=contact.full_name, organization_id=contact.organization_id
    )
    return {
        "named_as_training_attendee": [
            {
                "training": row.event.title,
                "start_date": row.event.start_date.isoformat(),
                "participant_row": row.id,
            }
            for row in rows
        ]
    }


@partners_contacts.contact_erasure.register
def erase_contact_from_attendees(session: Session, contact: Contact) -> str:
    """A contact's name out of training attendee lists when their personal data is erased."""
    changed = erase_attendee(
        session, name=contact.full_name, organization_id=contact.organization_id
    )
    return f"{changed} training attendee list(s)" if changed else ""


def remove_participation(
    session: Session, *, event: TrainingEvent, participation: TrainingParticipation
) -> None:
    """Delete one participation row (the audit trail keeps what it said)."""
    if event.archived_at is not None:
        raise ValidationError(
            None, "This training event is archived: restore it before changing who took part."
        )
    if participation.event_id != event.id:
        raise NotFound("That participation row belongs to another training event.")
    session.delete(participation)
    session.flush()


def save_participation(
    session: Session,
    *,
    event: TrainingEvent,
    data: Mapping[str, Any],
    participation: TrainingParticipation | None = None,
) -> TrainingParticipation:
    """``set_participation`` from the row form, whose organization is typed by name."""
    organization_id = organizations.organization_id_by_name(
        session, "organization", data.get("organization"), required=False
    )
    return set_participation(
        session,
        event=event,
        hotline_id=data.get("hotline_id") or None,
        organization_id=organization_id,
        participants=data.get("participants"),
        completed=data.get("completed"),
        feedback_score=data.get("feedback_score"),
        attendee_names=data.get("attendee_names"),
        participation=participation,
    )
