"""Partnership records: create and edit, the status moves (prospect -> negotiating -> active
-> ended | lapsed) and renewals, each dated and kept in the record's history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import validation
from coordapp.audit import service as audit
from coordapp.auth import owners
from coordapp.auth import service as auth
from coordapp.batching import Batch
from coordapp.errors import ValidationError
from coordapp.labels import label
from coordapp.partners.models import (
    Partnership,
    PartnershipStatus,
    PartnershipType,
)
from coordapp.partners.organizations import organization_id_by_name
from coordapp.records import service as records
from coordapp.reference.models import Pillar

# Which status may follow which. Ended and lapsed agreements come back only by renewal.
STATUS_TRANSITIONS: dict[PartnershipStatus, frozenset[PartnershipStatus]] = {
    PartnershipStatus.PROSPECT: frozenset({PartnershipStatus.NEGOTIATING}),
    PartnershipStatus.NEGOTIATING: frozenset({PartnershipStatus.ACTIVE}),
    PartnershipStatus.ACTIVE: frozenset({PartnershipStatus.ENDED, PartnershipStatus.LAPSED}),
    PartnershipStatus.ENDED: frozenset(),
    PartnershipStatus.LAPSED: frozenset(),
}
RENEWABLE = frozenset({PartnershipStatus.ACTIVE, PartnershipStatus.ENDED, PartnershipStatus.LAPSED})
STATUS_ACTIONS = ("status", "renew")


def get_partnership(session: Session, partnership_id: int) -> Partnership:
    obj: Partnership = records.get_or_404(session, Partnership, partnership_id, what="partnership")
    return obj


def partnership_by_title(
    session: Session, *, organization_id: int, title: str
) -> list[Partnership]:
    """The organization's partnerships with that title, any case (normally one)."""
    return list(
        session.scalars(
            sa.select(Partnership)
            .where(
                Partnership.organization_id == organization_id,
                sa.func.lower(Partnership.title) == " ".join(title.split()).lower(),
            )
            .limit(2)
        )
    )


def _pillars(session: Session, values: Any) -> list[Pillar]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = [values]
    ids: list[int] = []
    for value in values:
        try:
            ids.append(int(value))
        except (TypeError, ValueError) as exc:
            raise ValidationError("pillars", f"{value!r} is not a pillar.") from exc
    # By primary key: the four pillars are usually in the session already (no query).
    found = {
        pillar.id: pillar
        for pillar in (session.get(Pillar, i) for i in set(ids) if 0 < i < 2**31)
        if pillar is not None
    }
    missing = sorted(set(ids) - found.keys())
    if missing:
        raise ValidationError("pillars", f"Unknown pillar id {missing[0]}.")
    return sorted(found.values(), key=lambda p: p.sort_order)


def _notice_days(value: Any) -> int:
    if value in (None, ""):
        return 90
    try:
        days = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("renewal_notice_days", "Enter a whole number of days.") from exc
    if not 0 <= days <= 3650:
        raise ValidationError("renewal_notice_days", "Enter a number of days from 0 to 3650.")
    return days


def _check_transition(before: PartnershipStatus, after: PartnershipStatus, field: str) -> None:
    if after == before or after in STATUS_TRANSITIONS[before]:
        return
    if after == PartnershipStatus.ACTIVE and before in RENEWABLE:
        raise ValidationError(
            field,
            f"An {label(before).lower()} agreement becomes active again only by renewal "
            "(a new end date): use Renew on its page.",
        )
    allowed = STATUS_TRANSITIONS[before]
    if not allowed:
        raise ValidationError(
            field, f"An {label(before).lower()} agreement cannot change status; renew it instead."
        )
    names = " or ".join(label(s) for s in sorted(allowed))
    raise ValidationError(
        field, f"A partnership can go from {label(before)} only to {names}, not to {label(after)}."
    )


def _clean_partnership(
    session: Session, data: Mapping[str, Any], *, obj: Partnership | None, batch: Batch | None
) -> dict[str, Any]:
    status = validation.choice(
        "status", PartnershipStatus, data.get("status") or PartnershipStatus.PROSPECT.value
    )
    if obj is not None:
        _check_transition(obj.status, status, "status")
    start = validation.date_value("start_date", data.get("start_date"), required=False)
    end = validation.date_value("end_date", data.get("end_date"), required=False)
    validation.date_range(start, end)
    return {
        "organization_id": organization_id_by_name(
            session, "organization", data.get("organization"), batch=batch
        ),
        "title": validation.required_text("title", data.get("title"), max_length=200),
        "type": validation.choice("type", PartnershipType, data.get("type")),
        "status": status,
        "start_date": start,
        "end_date": end,
        "renewal_notice_days": _notice_days(data.get("renewal_notice_days")),
        "owner_id": owners.clean_owner_id(
            session, data.get("owner_id"), current=obj.owner_id if obj is not None else None
        ),
        "notes": validation.free_text("notes", data.get("notes")),
        "document_refs": validation.url_list("document_refs", data.get("document_refs")),
    }


def _new_partnership(
    session: Session, data: Mapping[str, Any], values: dict[str, Any]
) -> Partnership:
    return Partnership(**values, pillars=_pillars(session, data.get("pillars")))


def _change_partnership(
    session: Session, obj: Partnership, data: Mapping[str, Any], values: dict[str, Any]
) -> None:
    pillars = _pillars(session, data.get("pillars"))
    records.apply_changes(obj, values)
    before = [p.name for p in obj.pillars]
    if before != [p.name for p in pillars]:
        obj.pillars = pillars
        # The listener sees columns only; the pillar set is a collection, recorded here.
        audit.record_about(
            session,
            obj,
            action="update",
            changes={"pillars": [", ".join(before) or None, ", ".join(p.name for p in pillars)]},
        )


# Any status may be recorded at first (agreements that already exist are entered as they
# stand); from then on status changes follow ``STATUS_TRANSITIONS``.
PARTNERSHIP_COMMANDS = records.RecordCommands(
    Partnership, clean=_clean_partnership, build=_new_partnership, change=_change_partnership
)
create_partnership = PARTNERSHIP_COMMANDS.create
update_partnership = PARTNERSHIP_COMMANDS.update


def next_statuses(partnership: Partnership) -> list[PartnershipStatus]:
    return sorted(STATUS_TRANSITIONS[partnership.status], key=list(PartnershipStatus).index)


def _effective_day(field: str, on: Any) -> date:
    if on in (None, ""):
        raise ValidationError(field, "Enter the date it took effect.")
    day = validation.past_date(field, on, what="date")
    assert day is not None
    return day


def change_partnership_status(
    session: Session,
    *,
    partnership: Partnership,
    status: str | PartnershipStatus,
    on: date,
    note: str | None,
    expected_version: int | None = None,
) -> Partnership:
    """Move an agreement along prospect → negotiating → active → ended | lapsed.

    ``on`` is the day it happened (not in the future). Becoming active fills an empty start
    date with ``on``; ending or lapsing sets the end date to ``on`` when it is empty or later.
    The change and its dated note are kept in the record's history.
    """
    records.check_version(partnership, expected_version)
    target = validation.choice("status", PartnershipStatus, status)
    before = partnership.status
    if target == before:
        raise ValidationError("status", f"The partnership is already {label(before).lower()}.")
    _check_transition(before, target, "status")
    day = _effective_day("on", on)
    cleaned_note = validation.free_text("note", note, max_length=500)
    if partnership.start_date and day < partnership.start_date:
        raise ValidationError(
            "on", f"The date cannot be before the start date ({partnership.start_date})."
        )
    partnership.status = target
    if target == PartnershipStatus.ACTIVE and partnership.start_date is None:
        partnership.start_date = day
    if target in (PartnershipStatus.ENDED, PartnershipStatus.LAPSED) and (
        partnership.end_date is None or partnership.end_date > day
    ):
        partnership.end_date = day
    session.flush()
    audit.record_about(
        session,
        partnership,
        action="status",
        summary=f"{day.isoformat()}: {label(before)} → {label(target)}"
        + (f". {cleaned_note}" if cleaned_note else ""),
    )
    return partnership


def renew_partnership(
    session: Session,
    *,
    partnership: Partnership,
    end_date: date | None,
    on: date,
    note: str | None,
    expected_version: int | None = None,
) -> Partnership:
    """A new end date for an active, ended or lapsed agreement, which is active again."""
    records.check_version(partnership, expected_version)
    if partnership.status not in RENEWABLE:
        raise ValidationError(
            "end_date",
            f"Only an active, ended or lapsed agreement can be renewed; this one is "
            f"{label(partnership.status).lower()}.",
        )
    day = _effective_day("on", on)
    if end_date is None:
        raise ValidationError("end_date", "Enter the new end date.")
    previous = partnership.end_date
    if previous is not None and end_date <= previous:
        raise ValidationError(
            "end_date", f"The new end date must be after the current one ({previous})."
        )
    if end_date < day:
        raise ValidationError("end_date", "The new end date cannot be before the renewal date.")
    validation.date_range(partnership.start_date, end_date)
    cleaned_note = validation.free_text("note", note, max_length=500)
    before = partnership.status
    partnership.status = PartnershipStatus.ACTIVE
    partnership.end_date = end_date
    session.flush()
    audit.record_about(
        session,
        partnership,
        action="renew",
        summary=f"{day.isoformat()}: renewed until {end_date.isoformat()} "
        f"(was {label(before).lower()}, ending {previous.isoformat() if previous else '—'})"
        + (f". {cleaned_note}" if cleaned_note else ""),
    )
    return partnership


# The agreements a user owns, for their personal-data export.
auth.export_owned(
    "partnerships_owned", Partnership.owner_id, id=Partnership.id, title=Partnership.title
)
