"""Funding commitments (pledges): their pillar allocations, create and update, the dated
status history, and what the forms offer (partnerships of a funder, defaults)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching, validation
from coordapp.audit import service as audit
from coordapp.auth import owners
from coordapp.auth import service as auth
from coordapp.batching import Batch
from coordapp.db import NewRow, utcnow
from coordapp.errors import ValidationError
from coordapp.funding.dates import EARLIEST_DATE, not_in_future
from coordapp.funding.models import (
    CommitmentStatus,
    CommitmentStatusEvent,
    FundingAllocation,
    FundingCommitment,
)
from coordapp.funding.money import in_minor_units, minor_units_of, money_text, split_by_percent
from coordapp.inputs import unstorable
from coordapp.labels import label
from coordapp.partners import organizations
from coordapp.partners.models import Organization, Partnership
from coordapp.records import service as records
from coordapp.reference import service as reference

ALLOCATION_MODES = ("amount", "percent")

# Status changes a commitment may make (the events table is its dated history).
STATUS_TRANSITIONS: dict[CommitmentStatus, tuple[CommitmentStatus, ...]] = {
    CommitmentStatus.PLEDGED: (CommitmentStatus.CONFIRMED, CommitmentStatus.CANCELLED),
    CommitmentStatus.CONFIRMED: (CommitmentStatus.CANCELLED,),
    CommitmentStatus.CANCELLED: (),
}


def get_commitment(session: Session, commitment_id: int) -> FundingCommitment:
    obj: FundingCommitment = records.get_or_404(
        session, FundingCommitment, commitment_id, what="funding commitment"
    )
    return obj


def open_commitment_of(
    session: Session, value: object, *, choose: str, restore_before: str
) -> FundingCommitment:
    """The commitment ``value`` names (``commitment_id``) for a record made against it, or the
    ValidationError saying what is wrong: ``choose`` when blank; archived ones are refused
    ("restore it before ``restore_before``")."""
    commitment_id = validation.optional_id("commitment_id", value, message="Choose the commitment.")
    if commitment_id is None:
        raise ValidationError("commitment_id", choose)
    commitment = session.get(FundingCommitment, commitment_id)
    if commitment is None:
        raise ValidationError("commitment_id", f"There is no commitment with id {commitment_id}.")
    if commitment.archived_at is not None:
        raise ValidationError(
            "commitment_id",
            f"The commitment {commitment.title!r} is archived; restore it before {restore_before}.",
        )
    return commitment


def _percent(field: str, value: object) -> Decimal:
    """A share of the pledge as typed ("33.33" or "33.33%"), at most four decimals."""
    text = value.strip().removesuffix("%").strip() if isinstance(value, str) else value
    share = validation.number(field, text)
    if share < 0 or share > 100:
        raise ValidationError(field, "Enter a percentage between 0 and 100, e.g. 33.33.")
    if validation.decimal_places(share) > 4:
        raise ValidationError(field, "Use at most four decimals.")
    return share


def allocation_amounts(
    session: Session,
    *,
    amount: Decimal,
    currency: str,
    mode: object,
    values: Mapping[Any, object] | None,
    batch: Batch | None = None,
) -> dict[int, Decimal]:
    """Pillar id -> amount in the pledge currency, adding up exactly to ``amount``.

    ``values`` are amounts (mode ``amount``) or percentages (mode ``percent``) per pillar id;
    blank values mean nothing for that pillar.
    """
    where = "allocations"
    if mode not in ALLOCATION_MODES:
        raise ValidationError("allocation_mode", "Choose to allocate by amount or by percentage.")
    pillars = {p.id: p.name for p in reference.list_pillars(session, batch=batch)}
    minor_units = minor_units_of(currency)
    entered: dict[int, Decimal] = {}
    for key, raw in (values or {}).items():
        if raw is None or not str(raw).strip():
            continue
        pillar_id = validation.optional_id(
            where, key, message="Allocate only to the listed pillars."
        )
        if pillar_id not in pillars:
            raise ValidationError(where, f"There is no pillar with id {key}.")
        name = pillars[pillar_id]
        try:
            entered[pillar_id] = (
                validation.money(where, raw, minor_units=minor_units, currency=currency)
                if mode == "amount"
                else _percent(where, raw)
            )
        except ValidationError as error:
            raise ValidationError(where, f"{name}: {error.message}") from error
    # Pillar order, so that ties for the rounding remainder always go to the same pillar.
    order = list(pillars)
    entered = {key: entered[key] for key in order if key in entered and entered[key] > 0}
    if not entered:
        raise ValidationError(where, "Allocate the pledge to at least one pillar.")
    if mode == "amount":
        total = sum(entered.values(), Decimal(0))
        if total != amount:
            difference = amount - total
            action = "allocate the remaining" if difference > 0 else "remove"
            raise ValidationError(
                where,
                f"The allocations add up to {money_text(total, currency)}, not the pledged "
                f"{money_text(amount, currency)}: "
                f"{action} {money_text(abs(difference), currency)}.",
            )
        return entered
    total_percent = sum(entered.values(), Decimal(0))
    # Each share written with two decimals may be off by half a hundredth (3 x 33.33 = 99.99).
    if abs(total_percent - 100) > Decimal("0.005") * len(entered):
        raise ValidationError(
            where, f"The percentages add up to {total_percent.normalize():f}%, not 100%."
        )
    return split_by_percent(amount, minor_units=minor_units, percents=entered)


def _set_allocations(
    session: Session,
    commitment: FundingCommitment,
    amounts: Mapping[int, Decimal],
    *,
    batch: Batch | None,
) -> bool:
    """Update the allocations in place (a pillar keeps its row); True when anything changed."""
    before = _allocations_of(session, commitment, batch=batch)
    existing = {a.pillar_id: a for a in commitment.allocations}
    for pillar_id, allocation in existing.items():
        if pillar_id not in amounts:
            commitment.allocations.remove(allocation)
    for pillar_id, value in amounts.items():
        current = existing.get(pillar_id)
        if current is None:
            commitment.allocations.append(FundingAllocation(pillar_id=pillar_id, amount=value))
        elif current.amount != value:
            current.amount = value
    return _allocations_of(session, commitment, batch=batch) != before


def _allocations_of(session: Session, commitment: FundingCommitment, *, batch: Batch | None) -> str:
    shares = [(a.pillar_id, a.amount) for a in commitment.allocations]
    return _allocation_summary(session, commitment.currency_code, shares, batch=batch)


def _allocation_summary(
    session: Session,
    currency: str,
    shares: Iterable[tuple[int, Decimal]],
    *,
    batch: Batch | None,
) -> str:
    """The allocations in words, in pillar order: "Capacity Building 600.00; ..."."""
    # By the pillar id: an allocation not yet flushed has no pillar loaded.
    pillars = {pillar.id: pillar for pillar in reference.list_pillars(session, batch=batch)}
    parts = sorted(
        (
            pillars[pillar_id].sort_order if pillar_id in pillars else 0,
            pillars[pillar_id].name if pillar_id in pillars else "?",
            amount,
        )
        for pillar_id, amount in shares
    )
    return "; ".join(f"{name} {in_minor_units(amount, currency)}" for _, name, amount in parts)


def _clean_commitment(
    session: Session,
    data: Mapping[str, Any],
    *,
    batch: Batch | None,
    current_owner: int | None = None,
) -> tuple[dict[str, Any], dict[int, Decimal]]:
    title = validation.required_text("title", data.get("title"), max_length=200)
    funder_id = organizations.organization_id_by_name(
        session, "funder", data.get("funder"), batch=batch
    )
    assert funder_id is not None
    partnership_id = validation.optional_id(
        "partnership_id", data.get("partnership_id"), message="Choose a partnership from the list."
    )
    if partnership_id is not None:
        partnership = session.get(Partnership, partnership_id)
        if partnership is None:
            raise ValidationError(
                "partnership_id", f"There is no partnership with id {partnership_id}."
            )
        if partnership.organization_id != funder_id:
            raise ValidationError(
                "partnership_id",
                f"The partnership {partnership.title!r} is with "
                f"{partnership.organization.name}, not with this funder.",
            )
    currency = reference.require_currency(
        session, "currency_code", data.get("currency_code"), batch=batch
    )
    amount = validation.money(
        "amount",
        data.get("amount"),
        minor_units=currency.minor_units,
        positive=True,
        currency=currency.code,
    )
    pledged_on = validation.required_date(
        "pledged_on", data.get("pledged_on"), what="the pledge date"
    )
    period_start = validation.required_date(
        "period_start", data.get("period_start"), what="the start"
    )
    period_end = validation.required_date("period_end", data.get("period_end"), what="the end")
    validation.date_range(period_start, period_end, end_field="period_end")
    for name, value in (("pledged_on", pledged_on), ("period_start", period_start)):
        if value < EARLIEST_DATE:
            raise ValidationError(name, f"Dates before {EARLIEST_DATE.year} are not plausible.")
    allocations = allocation_amounts(
        session,
        amount=amount,
        currency=currency.code,
        mode=data.get("allocation_mode") or "amount",
        values=data.get("allocations"),
        batch=batch,
    )
    values = {
        "title": title,
        "funder_id": funder_id,
        "partnership_id": partnership_id,
        "currency_code": currency.code,
        "amount": amount,
        "pledged_on": pledged_on,
        "period_start": period_start,
        "period_end": period_end,
        "owner_id": owners.clean_owner_id(session, data.get("owner_id"), current=current_owner),
        "notes": validation.free_text("notes", data.get("notes")),
    }
    return values, allocations


def create_commitment(
    session: Session, *, data: Mapping[str, Any], batch: Batch | None = None
) -> FundingCommitment | NewRow:
    """A new pledge (status pledged, with its first status event on the pledge date) and its
    allocations; flushes.

    In an import's ``batch`` they are rows the batch writes with its other new records (its
    flush, at once or with the batch's), and the pledge is returned as a ``NewRow``.
    """
    values, allocations = _clean_commitment(session, data, batch=batch)
    values["status"] = CommitmentStatus.PLEDGED
    first_event = {"status": CommitmentStatus.PLEDGED, "changed_on": values["pledged_on"]}
    commitment: FundingCommitment | NewRow
    if batch is not None:
        commitment = batch.insert(FundingCommitment, values)
        for pillar_id, amount in allocations.items():
            batch.insert(
                FundingAllocation,
                {"commitment_id": commitment, "pillar_id": pillar_id, "amount": amount},
            )
        batch.insert(CommitmentStatusEvent, {"commitment_id": commitment, **first_event})
    else:
        commitment = FundingCommitment(
            **values,
            allocations=[
                FundingAllocation(pillar_id=pillar_id, amount=amount)
                for pillar_id, amount in allocations.items()
            ],
            status_events=[CommitmentStatusEvent(**first_event)],
        )
        session.add(commitment)
    batching.flush(session, batch)
    # The row's own audit event has the fields; this one has the split, readable by pillar.
    summary = _allocation_summary(
        session, values["currency_code"], allocations.items(), batch=batch
    )
    audit.record(
        session,
        action="allocate",
        entity_type=FundingCommitment.__tablename__,
        entity=commitment,
        changes={"allocations": [None, summary]},
    )
    return commitment


def update_commitment(
    session: Session,
    *,
    obj: FundingCommitment,
    data: Mapping[str, Any],
    expected_version: int | None,
    batch: Batch | None = None,
) -> FundingCommitment:
    records.check_version(obj, expected_version)
    values, allocations = _clean_commitment(session, data, batch=batch, current_owner=obj.owner_id)
    later_changes = [e for e in obj.status_events if e.status != CommitmentStatus.PLEDGED]
    if later_changes and values["pledged_on"] > later_changes[0].changed_on:
        raise ValidationError(
            "pledged_on",
            f"The pledge cannot be dated after it was {label(later_changes[0].status).lower()} "
            f"on {later_changes[0].changed_on.isoformat()}.",
        )
    _check_schedule_still_adds_up(obj, values)
    before = _allocations_of(session, obj, batch=batch)
    records.apply_changes(obj, values)
    # The first "pledged" event is the pledge itself: it moves with the pledge date.
    first = obj.status_events[0] if obj.status_events else None
    if first is not None and first.status == CommitmentStatus.PLEDGED:
        first.changed_on = values["pledged_on"]
    if _set_allocations(session, obj, allocations, batch=batch):
        # A change of allocations alone is a change of the commitment: its version moves on.
        obj.updated_at = utcnow()
        audit.record_about(
            session,
            obj,
            action="allocate",
            changes={"allocations": [before, _allocations_of(session, obj, batch=batch)]},
        )
    batching.flush(session, batch)
    return obj


def _check_schedule_still_adds_up(obj: FundingCommitment, values: Mapping[str, Any]) -> None:
    """A commitment with an instalment schedule keeps its amount and currency: the schedule
    must add up to the pledge (``coordapp.funding.obligations``)."""
    # Loaded only when the pledge changes: an import matching its pledges asks nothing more.
    if values["amount"] == obj.amount and values["currency_code"] == obj.currency_code:
        return
    if not obj.instalments:
        return
    total = sum((i.amount for i in obj.instalments), Decimal(0))
    raise ValidationError(
        "amount",
        f"This commitment has an instalment schedule adding up to "
        f"{money_text(total, obj.currency_code)}: clear the schedule (Edit schedule, every row "
        "blank), change the pledge, then enter the schedule again.",
    )


def next_statuses(commitment: FundingCommitment) -> tuple[CommitmentStatus, ...]:
    return STATUS_TRANSITIONS[CommitmentStatus(commitment.status)]


def change_commitment_status(
    session: Session,
    *,
    commitment: FundingCommitment,
    status: object,
    on: object,
    note: str | None,
) -> CommitmentStatusEvent:
    """Move a commitment to ``status`` on ``on``: a dated event, and the current status."""
    if commitment.archived_at is not None:
        raise ValidationError(
            "status", "This commitment is archived; restore it before changing its status."
        )
    new_status = validation.choice("status", CommitmentStatus, status)
    current = CommitmentStatus(commitment.status)
    if new_status == current:
        raise ValidationError("status", f"The commitment is already {label(current).lower()}.")
    if new_status not in STATUS_TRANSITIONS[current]:
        if current == CommitmentStatus.CANCELLED:
            message = "A cancelled commitment stays cancelled; record a new pledge instead."
        else:
            message = (
                f"A {label(current).lower()} commitment cannot become {label(new_status).lower()}."
            )
        raise ValidationError("status", message)
    changed_on = validation.required_date("on", on, what="the date of the change")
    not_in_future("on", changed_on, what="a status change")
    if changed_on < commitment.pledged_on:
        raise ValidationError(
            "on",
            f"The date cannot be before the pledge date ({commitment.pledged_on.isoformat()}).",
        )
    last = commitment.status_events[-1] if commitment.status_events else None
    if last is not None and changed_on < last.changed_on:
        raise ValidationError(
            "on",
            f"The date cannot be before the last status change "
            f"({label(last.status).lower()} on {last.changed_on.isoformat()}).",
        )
    event = CommitmentStatusEvent(
        commitment=commitment,
        status=new_status,
        changed_on=changed_on,
        note=validation.free_text("note", note, max_length=500),
    )
    session.add(event)
    commitment.status = new_status
    session.flush()
    return event


def status_on(
    session: Session, *, commitment: FundingCommitment, on: date
) -> CommitmentStatus | None:
    """The commitment's status on a date, from its dated history (None before the pledge)."""
    status = session.scalar(
        sa.select(CommitmentStatusEvent.status)
        .where(
            CommitmentStatusEvent.commitment_id == commitment.id,
            CommitmentStatusEvent.changed_on <= on,
        )
        .order_by(CommitmentStatusEvent.changed_on.desc(), CommitmentStatusEvent.id.desc())
        .limit(1)
    )
    return CommitmentStatus(status) if status is not None else None


def unconfirmed_pledge_condition(today: date) -> sa.ColumnElement[bool]:
    """Unarchived pledges whose funding period has started by ``today`` but whose status is
    still pledged (not confirmed, not cancelled)."""
    return sa.and_(
        FundingCommitment.archived_at.is_(None),
        FundingCommitment.status == CommitmentStatus.PLEDGED.value,
        FundingCommitment.period_start <= today,
    )


def partnership_choices(session: Session, *, funder: str | None) -> list[tuple[str, str]]:
    """The partnerships of the organization named ``funder`` (none if it is unknown, or holds
    text no organization's name can: the form is built before its validators run)."""
    if not funder or not funder.strip() or unstorable(funder):
        return []
    rows = session.execute(
        sa.select(Partnership.id, Partnership.title, Partnership.status, Partnership.archived_at)
        .join(Organization, Organization.id == Partnership.organization_id)
        .where(sa.func.lower(Organization.name) == funder.strip().lower())
        .order_by(Partnership.archived_at.is_not(None), Partnership.start_date.desc().nulls_last())
    )
    return [
        (
            str(pid),
            f"{title} ({label(status).lower()}{', archived' if archived else ''})",
        )
        for pid, title, status, archived in rows
    ]


def commitment_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """Prefill a new commitment from ``?funder_id=`` (e.g. from a partner's page)."""
    defaults: dict[str, Any] = {"currency_code": "EUR", "allocation_mode": "amount"}
    funder_id = validation.record_id(args.get("funder_id"))
    if funder_id is not None:
        funder = session.get(Organization, funder_id)
        if funder is not None:
            defaults["funder"] = funder.name
    return defaults


def commitments_of_funders(
    session: Session, funder_ids: Iterable[int], *options: Any
) -> list[FundingCommitment]:
    """Every commitment of those funders (a thousand funders per query), with the loader
    ``options`` given."""
    statement = sa.select(FundingCommitment).options(*options)
    found = records.scalars_in(session, statement, FundingCommitment.funder_id, funder_ids)
    return list(found)


def commitments_of_funder(session: Session, funder_id: int) -> list[FundingCommitment]:
    """An organization's commitments as its funder, latest pledge first (its page's list)."""
    return list(
        session.scalars(
            sa.select(FundingCommitment)
            .where(FundingCommitment.funder_id == funder_id)
            .order_by(FundingCommitment.pledged_on.desc())
        )
    )


# The funding commitments a user owns, for their personal-data export.
auth.export_owned(
    "funding_commitments_owned",
    FundingCommitment.owner_id,
    id=FundingCommitment.id,
    title=FundingCommitment.title,
)
