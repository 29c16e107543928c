"""Funding totals converted to the reporting currency with dated exchange rates, in SQL."""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from babel.numbers import get_currency_precision
from sqlalchemy.orm import Session, selectinload

from coordapp import batching, listing, validation
from coordapp.audit import service as audit
from coordapp.batching import Batch
from coordapp.db import NewRow, utcnow
from coordapp.errors import ValidationError
from coordapp.funding import conversion
from coordapp.funding.conversion import MoneyTotal
from coordapp.funding.models import (
    CommitmentStatus,
    CommitmentStatusEvent,
    ExchangeRate,
    FundingAllocation,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.labels import enum_choices, label
from coordapp.listing import Column, Filter, ListSpec
from coordapp.partners import organizations
from coordapp.partners.models import Organization, OrganizationKind, Partnership
from coordapp.records import service as records
from coordapp.reference import service as reference
from coordapp.reference.models import Currency, Pillar

# --- the money figures: which rows count, each dated for its conversion ------------------------
# Each ``*_amounts`` select is the one definition of the rows behind a figure; it has the columns
# currency_code, amount and dated (the date its rate is taken on). Surfaces add keys (year,
# pillar, funder) and convert through ``conversion.convert_grouped``; the totals kept current on
# write (``coordapp.funding.totals``) are these rows summed. ``start`` and ``end`` are inclusive;
# None leaves that side open.


def dated_between(column: Any, start: date | None, end: date | None) -> list[Any]:
    """``column`` from ``start`` to ``end`` inclusive (None: open on that side)."""
    return [
        *(() if start is None else (column >= start,)),
        *(() if end is None else (column <= end,)),
    ]


def pledged_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """Commitments pledged between ``start`` and ``end``, not cancelled, not archived, at
    their pledge date."""
    return sa.select(
        FundingCommitment.currency_code,
        FundingCommitment.amount,
        FundingCommitment.pledged_on.label("dated"),
    ).where(
        FundingCommitment.archived_at.is_(None),
        FundingCommitment.status != CommitmentStatus.CANCELLED.value,
        *dated_between(FundingCommitment.pledged_on, start, end),
    )


def received_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """Receipts (not archived) received between ``start`` and ``end``, at their receipt date."""
    return sa.select(
        FundingReceipt.currency_code,
        FundingReceipt.amount,
        FundingReceipt.received_on.label("dated"),
    ).where(
        FundingReceipt.archived_at.is_(None),
        *dated_between(FundingReceipt.received_on, start, end),
    )


def pledged_by_pillar_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """The pledges' pillar allocations (columns pillar_id + the money columns)."""
    return (
        sa.select(
            FundingAllocation.pillar_id,
            FundingCommitment.currency_code,
            FundingAllocation.amount,
            FundingCommitment.pledged_on.label("dated"),
        )
        .join(FundingAllocation, FundingAllocation.commitment_id == FundingCommitment.id)
        .where(
            FundingCommitment.archived_at.is_(None),
            FundingCommitment.status != CommitmentStatus.CANCELLED.value,
            *dated_between(FundingCommitment.pledged_on, start, end),
        )
    )


def received_by_pillar_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """Receipts split pro rata to their commitment's pillar allocations (allocation amount /
    commitment amount), at the receipt date (columns pillar_id + the money columns)."""
    share = FundingAllocation.amount / sa.func.nullif(FundingCommitment.amount, 0)
    return (
        sa.select(
            FundingAllocation.pillar_id,
            FundingReceipt.currency_code,
            (FundingReceipt.amount * share).label("amount"),
            FundingReceipt.received_on.label("dated"),
        )
        .join(FundingCommitment, FundingCommitment.id == FundingReceipt.commitment_id)
        .join(FundingAllocation, FundingAllocation.commitment_id == FundingCommitment.id)
        .where(
            FundingReceipt.archived_at.is_(None),
            *dated_between(FundingReceipt.received_on, start, end),
        )
    )


def received_total(
    session: Session,
    *,
    start: date,
    end: date,
    currency: str = "EUR",
    constant_on: date | None = None,
) -> MoneyTotal:
    """Money received between ``start`` and ``end`` (inclusive), in ``currency``."""
    return conversion.convert_total(
        session,
        amounts=received_amounts(start=start, end=end),
        currency=currency,
        constant_on=constant_on,
    )


def pledged_total(
    session: Session,
    *,
    start: date,
    end: date,
    currency: str = "EUR",
    constant_on: date | None = None,
) -> MoneyTotal:
    """Commitments (pledged or confirmed, not cancelled) pledged between ``start`` and ``end``."""
    return conversion.convert_total(
        session,
        amounts=pledged_amounts(start=start, end=end),
        currency=currency,
        constant_on=constant_on,
    )


def outstanding_total(
    session: Session,
    *,
    start: date,
    end: date,
    on: date,
    currency: str = "EUR",
    constant_on: date | None = None,
) -> MoneyTotal:
    """Of the commitments pledged between ``start`` and ``end`` (not cancelled), what had not
    been received by ``on``: per commitment, its pledge (at the pledge date) minus its receipts
    up to ``on`` (each at its receipt date), never below zero; summed."""
    pledges = pledged_amounts(start=start, end=end).add_columns(
        FundingCommitment.id.label("commitment_id")
    )
    receipts = (
        sa.select(
            FundingReceipt.commitment_id,
            FundingReceipt.currency_code,
            FundingReceipt.amount,
            FundingReceipt.received_on.label("dated"),
        )
        .join(FundingCommitment, FundingCommitment.id == FundingReceipt.commitment_id)
        .where(
            FundingReceipt.archived_at.is_(None),
            FundingReceipt.received_on <= on,
            FundingCommitment.id.in_(pledges.with_only_columns(FundingCommitment.id)),
        )
    )
    pledged, r1 = conversion.convert_grouped(
        session, amounts=pledges, keys=["commitment_id"], currency=currency, constant_on=constant_on
    )
    received, r2 = conversion.convert_grouped(
        session,
        amounts=receipts,
        keys=["commitment_id"],
        currency=currency,
        constant_on=constant_on,
    )
    quantum = conversion.minor_quantum(session, currency)
    amount = sum(
        (max(value - received.get(key, Decimal(0)), Decimal(0)) for key, value in pledged.items()),
        Decimal(0).quantize(quantum),
    )
    return MoneyTotal(amount=amount, currency=currency, rates=conversion.merge(currency, (r1, r2)))


# =============================================================================================
# Records workspace: commitments, allocations, status history, receipts, exchange rates.
# =============================================================================================

ALLOCATION_MODES = ("amount", "percent")
# Status changes a commitment may make (the events table is its dated history).
STATUS_TRANSITIONS: dict[CommitmentStatus, tuple[CommitmentStatus, ...]] = {
    CommitmentStatus.PLEDGED: (CommitmentStatus.CONFIRMED, CommitmentStatus.CANCELLED),
    CommitmentStatus.CONFIRMED: (CommitmentStatus.CANCELLED,),
    CommitmentStatus.CANCELLED: (),
}
EARLIEST_DATE = date(1990, 1, 1)
RATE_DECIMALS = 10
MAX_RATE = Decimal("1e10")
MAX_RATE_FILE_BYTES = 2_000_000
MAX_RATE_FILE_ROWS = 20_000
RATE_FILE_HEADER = ("date", "base", "quote", "rate")
# Most recent open commitments offered in the receipt form's select.
COMMITMENT_CHOICES_LIMIT = 500


# --- formatting ------------------------------------------------------------------------------


def minor_units_of(currency: str) -> int:
    """Decimal places of an ISO 4217 currency (CLDR, as the reference table was seeded)."""
    return int(get_currency_precision(currency))


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """``amount`` with exactly the currency's decimal places (stored NUMERIC has four)."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-minor_units_of(currency)))


def money_text(amount: Decimal | None, currency: str) -> str:
    """``USD 100,000.00`` / ``JPY 1,200,000`` / ``KWD 12.500``."""
    if amount is None:
        return "—"
    places = minor_units_of(currency)
    return f"{currency} {Decimal(amount):,.{places}f}"


def rate_text(rate: Decimal) -> str:
    """A rate with at least four decimals and no trailing zeros beyond them (1.0850, 0.86231)."""
    text = f"{Decimal(rate):f}"
    if "." not in text:
        text += "."
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(4, "0")
    return f"{whole}.{fraction}"


def share_text(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return "—"
    share = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{share}%"


# --- shared parsing --------------------------------------------------------------------------


def _not_in_future(field: str, value: date, *, what: str) -> None:
    if value > date.today():
        raise ValidationError(
            field,
            f"{value.isoformat()} is in the future: record {what} once it has happened.",
        )


# --- commitments: list -----------------------------------------------------------------------


def _has_allocation_to(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if not value.isdecimal():
        return query
    return query.where(
        sa.exists().where(
            FundingAllocation.commitment_id == FundingCommitment.id,
            FundingAllocation.pillar_id == int(value),
        )
    )


def _funder_kind(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value not in {k.value for k in OrganizationKind}:
        return query
    return query.where(Organization.kind == value)


def _pillar_names(commitment: FundingCommitment) -> str:
    ordered = sorted(commitment.allocations, key=lambda a: (a.pillar.sort_order, a.pillar.id))
    return ", ".join(a.pillar.name for a in ordered)


COMMITMENT_LIST = ListSpec(
    name="commitments",
    entity=FundingCommitment,
    columns=(
        Column("title", "Title", FundingCommitment.title, lambda c: c.title, link=True),
        Column("funder", "Funder", Organization.name, lambda c: c.funder.name),
        Column(
            "amount",
            "Amount",
            FundingCommitment.amount,
            lambda c: in_minor_units(c.amount, c.currency_code),
            display=lambda c: f"{in_minor_units(c.amount, c.currency_code):,}",
            align_end=True,
        ),
        Column("currency", "Currency", FundingCommitment.currency_code, lambda c: c.currency_code),
        Column("status", "Status", FundingCommitment.status, lambda c: label(c.status)),
        Column("pledged_on", "Pledged on", FundingCommitment.pledged_on, lambda c: c.pledged_on),
        Column("period_end", "Period ends", FundingCommitment.period_end, lambda c: c.period_end),
        Column("pillars", "Pillars", None, _pillar_names),
    ),
    default_sort="-pledged_on",
    search=(FundingCommitment.title, Organization.name),
    filters=(
        Filter(
            "status",
            "Status",
            listing.enum_filter(FundingCommitment.status, CommitmentStatus),
            lambda s: enum_choices(CommitmentStatus),
        ),
        Filter(
            "currency",
            "Currency",
            lambda q, v: q.where(FundingCommitment.currency_code == v.upper()),
            listing.code_choices(FundingCommitment.currency_code),
        ),
        Filter("pillar", "Pillar", _has_allocation_to, reference.pillar_choices),
        Filter(
            "funder_kind", "Funder kind", _funder_kind, lambda s: enum_choices(OrganizationKind)
        ),
        Filter(
            "year",
            "Pledged in",
            listing.year_filter(FundingCommitment.pledged_on),
            listing.year_choices(FundingCommitment.pledged_on),
        ),
    ),
    options=(
        selectinload(FundingCommitment.funder),
        selectinload(FundingCommitment.allocations).selectinload(FundingAllocation.pillar),
    ),
    base=lambda: sa.select(FundingCommitment).join(
        Organization, Organization.id == FundingCommitment.funder_id
    ),
)


def get_commitment(session: Session, commitment_id: int) -> FundingCommitment:
    obj: FundingCommitment = records.get_or_404(
        session, FundingCommitment, commitment_id, what="funding commitment"
    )
    return obj


# --- commitments: allocations ----------------------------------------------------------------


def split_by_percent(
    amount: Decimal, *, minor_units: int, percents: Mapping[int, Decimal]
) -> dict[int, Decimal]:
    """Amounts for ``percents`` of ``amount`` that add up to it exactly.

    Each share is rounded (half to even) to the currency's minor units; what rounding leaves over
    (or takes too much) goes to the largest share, the first one in order when several are equal.
    """
    quantum = Decimal(1).scaleb(-minor_units)
    parts = {
        key: (amount * share / 100).quantize(quantum, rounding=ROUND_HALF_EVEN)
        for key, share in percents.items()
        if share > 0
    }
    if not parts:
        return {}
    largest = max(parts, key=lambda key: percents[key])
    parts[largest] += amount - sum(parts.values(), Decimal(0))
    return parts


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


# --- commitments: create / update ------------------------------------------------------------


def _clean_commitment(
    session: Session, data: Mapping[str, Any], *, batch: Batch | None
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
    values, allocations = _clean_commitment(session, data, batch=batch)
    later_changes = [e for e in obj.status_events if e.status != CommitmentStatus.PLEDGED]
    if later_changes and values["pledged_on"] > later_changes[0].changed_on:
        raise ValidationError(
            "pledged_on",
            f"The pledge cannot be dated after it was {label(later_changes[0].status).lower()} "
            f"on {later_changes[0].changed_on.isoformat()}.",
        )
    before = _allocations_of(session, obj, batch=batch)
    records.apply_changes(obj, values)
    # The first "pledged" event is the pledge itself: it moves with the pledge date.
    first = obj.status_events[0] if obj.status_events else None
    if first is not None and first.status == CommitmentStatus.PLEDGED:
        first.changed_on = values["pledged_on"]
    if _set_allocations(session, obj, allocations, batch=batch):
        # A change of allocations alone is a change of the commitment: its version moves on.
        obj.updated_at = utcnow()
        audit.record(
            session,
            action="allocate",
            entity_type=FundingCommitment.__tablename__,
            entity_id=obj.id,
            changes={"allocations": [before, _allocations_of(session, obj, batch=batch)]},
        )
    batching.flush(session, batch)
    return obj


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
    _not_in_future("on", changed_on, what="a status change")
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


# --- commitments: the detail page ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RateUsed:
    """One stored rate, in the direction it was stored: 1 ``base`` = ``rate`` ``quote``."""

    base: str
    quote: str
    rate: Decimal
    rate_date: date

    @property
    def text(self) -> str:
        return f"1 {self.base} = {rate_text(self.rate)} {self.quote} ({self.rate_date.isoformat()})"


@dataclass(frozen=True, slots=True)
class ConvertedFigure:
    """A total in the reporting currency and the exact rates it was converted with."""

    total: MoneyTotal
    rates: tuple[RateUsed, ...]

    @property
    def amount_text(self) -> str:
        return money_text(self.total.amount, self.total.currency)

    @property
    def rate_text(self) -> str:
        parts = []
        if self.rates:
            parts.append("at " + "; ".join(r.text for r in self.rates))
        elif not self.total.unconverted:
            parts.append(f"in {self.total.currency}, no conversion")
        if self.total.rates.left_out:
            missing = ", ".join(f"{c} {a:,}" for c, a in self.total.rates.left_out)
            parts.append(f"without {missing}: no rate on or before the row's date")
        return "; ".join(parts)

    @property
    def text(self) -> str:
        if not self.rates and not self.total.unconverted:
            return f"{self.amount_text} (no conversion needed)"
        approx = "≈ " if self.rates else ""
        return f"{approx}{self.amount_text} {self.rate_text}"


def rates_used(session: Session, *, total: MoneyTotal) -> tuple[RateUsed, ...]:
    """The stored rates behind ``total``, as they were stored (the rows the conversion read)."""
    if not total.rates.used:
        return ()
    pivot = conversion.PIVOT
    conditions = [
        sa.and_(
            ExchangeRate.rate_date == on,
            sa.or_(
                sa.and_(ExchangeRate.base_code == code, ExchangeRate.quote_code == pivot),
                sa.and_(ExchangeRate.base_code == pivot, ExchangeRate.quote_code == code),
            ),
        )
        for code, on in total.rates.used
    ]
    found: dict[tuple[str, date], RateUsed] = {}
    for rate in session.scalars(sa.select(ExchangeRate).where(sa.or_(*conditions))):
        code = rate.base_code if rate.quote_code == pivot else rate.quote_code
        key = (code, rate.rate_date)
        # Stored towards EUR wins a tie, as in the conversion.
        if key not in found or rate.quote_code == pivot:
            found[key] = RateUsed(rate.base_code, rate.quote_code, rate.rate, rate.rate_date)
    return tuple(found[key] for key in sorted(found))


def convert(
    session: Session, *, amounts: sa.Select, currency: str, constant_on: date | None = None
) -> ConvertedFigure:
    """Convert (currency_code, amount, dated) rows to ``currency`` and name the rates used."""
    total = conversion.convert_total(
        session, amounts=amounts, currency=currency, constant_on=constant_on
    )
    return ConvertedFigure(total=total, rates=rates_used(session, total=total))


@dataclass(frozen=True, slots=True)
class CommitmentMoney:
    """Pledged against received for one commitment, natively and in the reporting currency."""

    currency: str
    pledged: Decimal
    received_in_currency: Decimal
    received_other: tuple[tuple[str, Decimal], ...]
    pledged_converted: ConvertedFigure
    received_converted: ConvertedFigure

    @property
    def received_share(self) -> str:
        return share_text(self.received_in_currency, self.pledged)

    @property
    def received_percent(self) -> float:
        """For the progress bar only (never for money)."""
        if not self.pledged:
            return 0.0
        return float(min(self.received_in_currency / self.pledged * 100, Decimal(100)))

    @property
    def converted_share(self) -> str | None:
        """Received as a share of pledged, both converted (None when a rate is missing)."""
        pledged, received = self.pledged_converted.total, self.received_converted.total
        if pledged.unconverted or received.unconverted or not pledged.amount:
            return None
        return share_text(received.amount, pledged.amount)

    @property
    def converted_percent(self) -> float:
        pledged = self.pledged_converted.total.amount
        if not pledged or self.pledged_converted.total.unconverted:
            return 0.0
        return float(min(self.received_converted.total.amount / pledged * 100, Decimal(100)))


def commitment_money(
    session: Session, *, commitment: FundingCommitment, currency: str
) -> CommitmentMoney:
    """The pledge at its pledge date's rate, each receipt at its receipt date's rate."""
    receipts = sa.select(
        FundingReceipt.currency_code,
        FundingReceipt.amount,
        FundingReceipt.received_on.label("dated"),
    ).where(FundingReceipt.commitment_id == commitment.id, FundingReceipt.archived_at.is_(None))
    by_currency = {
        code: Decimal(total)
        for code, total in session.execute(
            sa.select(FundingReceipt.currency_code, sa.func.sum(FundingReceipt.amount))
            .where(
                FundingReceipt.commitment_id == commitment.id,
                FundingReceipt.archived_at.is_(None),
            )
            .group_by(FundingReceipt.currency_code)
        )
    }
    pledge_currency = commitment.currency_code
    pledged = sa.select(
        FundingCommitment.currency_code,
        FundingCommitment.amount,
        FundingCommitment.pledged_on.label("dated"),
    ).where(FundingCommitment.id == commitment.id)
    return CommitmentMoney(
        currency=pledge_currency,
        pledged=in_minor_units(commitment.amount, pledge_currency),
        received_in_currency=in_minor_units(
            by_currency.pop(pledge_currency, Decimal(0)), pledge_currency
        ),
        received_other=tuple(
            (code, in_minor_units(total, code)) for code, total in sorted(by_currency.items())
        ),
        pledged_converted=convert(session, amounts=pledged, currency=currency),
        received_converted=convert(session, amounts=receipts, currency=currency),
    )


@dataclass(frozen=True, slots=True)
class AllocationLine:
    pillar: str
    amount: Decimal
    share: str


def commitment_related(
    session: Session, obj: FundingCommitment, *, currency: str
) -> dict[str, Any]:
    """What the commitment's page shows besides its fields."""
    pledged = in_minor_units(obj.amount, obj.currency_code)
    allocations = session.execute(
        sa.select(Pillar.name, FundingAllocation.amount)
        .join(Pillar, Pillar.id == FundingAllocation.pillar_id)
        .where(FundingAllocation.commitment_id == obj.id)
        .order_by(Pillar.sort_order, Pillar.id)
    ).all()
    return {
        "allocations": [
            AllocationLine(
                pillar=name,
                amount=in_minor_units(amount, obj.currency_code),
                share=share_text(amount, pledged),
            )
            for name, amount in allocations
        ],
        "receipts": session.scalars(
            sa.select(FundingReceipt)
            .where(FundingReceipt.commitment_id == obj.id)
            .order_by(FundingReceipt.received_on, FundingReceipt.id)
        ).all(),
        "status_events": session.scalars(
            sa.select(CommitmentStatusEvent)
            .where(CommitmentStatusEvent.commitment_id == obj.id)
            .order_by(CommitmentStatusEvent.changed_on, CommitmentStatusEvent.id)
        ).all(),
        "money": commitment_money(session, commitment=obj, currency=currency),
        "next_statuses": next_statuses(obj),
        "money_text": money_text,
    }


def commitment_allocation_values(commitment: FundingCommitment) -> dict[str, str]:
    """The edit form's allocation inputs: the stored amounts per pillar id."""
    return {
        str(a.pillar_id): str(in_minor_units(a.amount, commitment.currency_code))
        for a in commitment.allocations
    }


def partnership_choices(session: Session, *, funder: str | None) -> list[tuple[str, str]]:
    """The partnerships of the organization named ``funder`` (none if it is unknown)."""
    if not funder or not funder.strip():
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


# --- receipts --------------------------------------------------------------------------------


def _receipt_funder(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    return query.where(FundingCommitment.funder_id == int(value)) if value.isdecimal() else query


def _funder_choices(session: Session) -> list[tuple[str, str]]:
    return [
        (str(oid), name)
        for oid, name in session.execute(
            sa.select(Organization.id, Organization.name)
            .where(Organization.id.in_(sa.select(FundingCommitment.funder_id).distinct()))
            .order_by(Organization.name)
        )
    ]


RECEIPT_LIST = ListSpec(
    name="receipts",
    entity=FundingReceipt,
    columns=(
        Column(
            "received_on",
            "Received on",
            FundingReceipt.received_on,
            lambda r: r.received_on,
            link=True,
        ),
        Column(
            "amount",
            "Amount",
            FundingReceipt.amount,
            lambda r: in_minor_units(r.amount, r.currency_code),
            display=lambda r: f"{in_minor_units(r.amount, r.currency_code):,}",
            align_end=True,
        ),
        Column("currency", "Currency", FundingReceipt.currency_code, lambda r: r.currency_code),
        Column("commitment", "Commitment", FundingCommitment.title, lambda r: r.commitment.title),
        Column("funder", "Funder", Organization.name, lambda r: r.commitment.funder.name),
        Column("reference", "Reference", FundingReceipt.reference, lambda r: r.reference),
    ),
    default_sort="-received_on",
    search=(FundingReceipt.reference, FundingCommitment.title, Organization.name),
    filters=(
        Filter(
            "year",
            "Received in",
            listing.year_filter(FundingReceipt.received_on),
            listing.year_choices(FundingReceipt.received_on),
        ),
        Filter(
            "currency",
            "Currency",
            lambda q, v: q.where(FundingReceipt.currency_code == v.upper()),
            listing.code_choices(FundingReceipt.currency_code),
        ),
        Filter("funder", "Funder", _receipt_funder, _funder_choices),
        Filter(
            "commitment",
            "Commitment",
            listing.id_filter(FundingReceipt.commitment_id),
            None,
        ),
    ),
    options=(selectinload(FundingReceipt.commitment).selectinload(FundingCommitment.funder),),
    base=lambda: (
        sa.select(FundingReceipt)
        .join(FundingCommitment, FundingCommitment.id == FundingReceipt.commitment_id)
        .join(Organization, Organization.id == FundingCommitment.funder_id)
    ),
)


def get_receipt(session: Session, receipt_id: int) -> FundingReceipt:
    obj: FundingReceipt = records.get_or_404(session, FundingReceipt, receipt_id, what="receipt")
    return obj


def commitments_of_funders(session: Session, funder_ids: Iterable[int]) -> list[FundingCommitment]:
    """Every commitment of those funders (a thousand funders per query)."""
    statement = sa.select(FundingCommitment)
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


def receipts_of_commitments(
    session: Session, commitment_ids: Iterable[int]
) -> list[FundingReceipt]:
    """Every receipt against those commitments, oldest entry first (a thousand per query)."""
    statement = sa.select(FundingReceipt)
    found = records.scalars_in(session, statement, FundingReceipt.commitment_id, commitment_ids)
    return sorted(found, key=lambda receipt: receipt.id)


def clean_receipt(
    session: Session, data: Mapping[str, Any], *, batch: Batch | None = None
) -> dict[str, Any]:
    """A receipt's values as stored (the currency is the commitment's when none is given), or
    the ValidationError saying what is wrong."""
    commitment_id = validation.optional_id(
        "commitment_id", data.get("commitment_id"), message="Choose the commitment."
    )
    if commitment_id is None:
        raise ValidationError("commitment_id", "Choose the commitment the money was paid for.")
    commitment = session.get(FundingCommitment, commitment_id)
    if commitment is None:
        raise ValidationError("commitment_id", f"There is no commitment with id {commitment_id}.")
    if commitment.archived_at is not None:
        raise ValidationError(
            "commitment_id",
            f"The commitment {commitment.title!r} is archived; restore it before recording "
            "money against it.",
        )
    received_on = validation.required_date(
        "received_on", data.get("received_on"), what="the date received"
    )
    _not_in_future("received_on", received_on, what="a receipt")
    if received_on < EARLIEST_DATE:
        raise ValidationError(
            "received_on", f"Dates before {EARLIEST_DATE.year} are not plausible."
        )
    currency = reference.require_currency(
        session,
        "currency_code",
        data.get("currency_code") or commitment.currency_code,
        batch=batch,
    )
    return {
        "commitment_id": commitment.id,
        "received_on": received_on,
        "currency_code": currency.code,
        "amount": validation.money(
            "amount",
            data.get("amount"),
            minor_units=currency.minor_units,
            positive=True,
            currency=currency.code,
        ),
        "reference": validation.free_text("reference", data.get("reference"), max_length=120),
    }


def create_receipt(
    session: Session, *, data: Mapping[str, Any], batch: Batch | None = None
) -> FundingReceipt:
    """A new receipt; flushes (in an import's ``batch``, with the batch)."""
    receipt = FundingReceipt(**clean_receipt(session, data, batch=batch))
    session.add(receipt)
    batching.flush(session, batch)
    return receipt


def update_receipt(
    session: Session,
    *,
    obj: FundingReceipt,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    batch: Batch | None = None,
) -> FundingReceipt:
    # Receipts carry no version column: the last save wins, and the audit shows both.
    records.apply_changes(obj, clean_receipt(session, data, batch=batch))
    batching.flush(session, batch)
    return obj


def commitment_choices(
    session: Session, *, include: int | None = None
) -> list[tuple[str, str, str]]:
    """Open commitments (most recent first) for the receipt form, plus ``include``: (id,
    label, currency)."""
    rows = session.execute(
        sa.select(
            FundingCommitment.id,
            FundingCommitment.title,
            FundingCommitment.amount,
            FundingCommitment.currency_code,
            Organization.name,
        )
        .join(Organization, Organization.id == FundingCommitment.funder_id)
        .where(
            sa.or_(
                sa.and_(
                    FundingCommitment.archived_at.is_(None),
                    FundingCommitment.status != CommitmentStatus.CANCELLED.value,
                ),
                FundingCommitment.id == (include or 0),
            )
        )
        .order_by(FundingCommitment.pledged_on.desc(), FundingCommitment.id.desc())
        .limit(COMMITMENT_CHOICES_LIMIT)
    ).all()
    return [
        (str(cid), f"{funder} · {title} · {money_text(amount, code)} (#{cid})", code)
        for cid, title, amount, code, funder in rows
    ]


def receipt_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """Prefill a new receipt from ``?commitment_id=`` (the commitment page's button) or
    ``?commitment=`` (the receipts list's filter): the commitment and its currency."""
    commitment_id = validation.record_id(args.get("commitment_id") or args.get("commitment"))
    commitment = session.get(FundingCommitment, commitment_id) if commitment_id else None
    if commitment is None:
        return {"received_on": date.today()}
    return {
        "commitment_id": str(commitment.id),
        "currency_code": commitment.currency_code,
        "received_on": date.today(),
    }


# --- exchange rates --------------------------------------------------------------------------


def exchange_rate_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """Prefill a new rate from ``?quote_code=AED&rate_date=2026-12-01`` (the link under a
    receipt or pledge that no rate converts yet): against EUR, as every rate is."""
    defaults: dict[str, Any] = {"base_code": conversion.PIVOT}
    quote = (args.get("quote_code") or "").strip().upper()[:3]
    if quote and quote != conversion.PIVOT and session.get(Currency, quote) is not None:
        defaults["quote_code"] = quote
    with contextlib.suppress(ValueError):
        defaults["rate_date"] = date.fromisoformat((args.get("rate_date") or "")[:10])
    return defaults


EXCHANGE_RATE_LIST = ListSpec(
    name="exchange-rates",
    entity=ExchangeRate,
    columns=(
        Column("rate_date", "Date", ExchangeRate.rate_date, lambda r: r.rate_date, link=True),
        Column("base", "Base", ExchangeRate.base_code, lambda r: r.base_code),
        Column("quote", "Quote", ExchangeRate.quote_code, lambda r: r.quote_code),
        Column(
            "rate", "Rate (1 base = rate quote)", ExchangeRate.rate, lambda r: rate_text(r.rate)
        ),
        Column("source", "Source", ExchangeRate.source, lambda r: r.source),
    ),
    default_sort="-rate_date",
    filters=(
        Filter(
            "base",
            "Base",
            lambda q, v: q.where(ExchangeRate.base_code == v.upper()),
            listing.code_choices(ExchangeRate.base_code),
        ),
        Filter(
            "quote",
            "Quote",
            lambda q, v: q.where(ExchangeRate.quote_code == v.upper()),
            listing.code_choices(ExchangeRate.quote_code),
        ),
        Filter(
            "year",
            "Year",
            listing.year_filter(ExchangeRate.rate_date),
            listing.year_choices(ExchangeRate.rate_date),
        ),
    ),
    archivable=False,
)


def get_exchange_rate(session: Session, rate_id: int) -> ExchangeRate:
    obj: ExchangeRate = records.get_or_404(session, ExchangeRate, rate_id, what="exchange rate")
    return obj


def _rate_value(field: str, value: object) -> Decimal | str:
    """A rate, or the message saying what is wrong with it."""
    if value is None or not str(value).strip():
        return "Enter the rate, e.g. 1.0850."
    try:
        # No thousands separators: "1,085" is far likelier 1.085 than 1085.
        rate = validation.parse_number(value, thousands=False)
    except ValueError as exc:
        return str(exc)
    if rate <= 0:
        return "The rate must be a number greater than 0."
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > RATE_DECIMALS:
        return f"Use at most {RATE_DECIMALS} decimal places."
    if rate >= MAX_RATE:
        return "The rate is too large."
    return rate


# Every conversion goes through EUR (coordapp.funding.conversion), so a rate between two other
# currencies would never be used: it is refused with the way to say it instead.
_NOT_AGAINST_PIVOT = (
    "Rates are stored against EUR: {base}/{quote} would never be used (other pairs are "
    "converted through EUR); enter EUR/{base} and EUR/{quote} instead."
)


def _clean_rate(
    session: Session, data: Mapping[str, Any], *, exclude: ExchangeRate | None, batch: Batch | None
) -> dict[str, Any]:
    base = reference.require_currency(session, "base_code", data.get("base_code"), batch=batch).code
    quote = reference.require_currency(
        session, "quote_code", data.get("quote_code"), batch=batch
    ).code
    if base == quote:
        raise ValidationError("quote_code", "The quote currency must differ from the base.")
    if conversion.PIVOT not in (base, quote):
        raise ValidationError("quote_code", _NOT_AGAINST_PIVOT.format(base=base, quote=quote))
    rate_date = validation.required_date("rate_date", data.get("rate_date"), what="the rate's date")
    if rate_date < EARLIEST_DATE:
        raise ValidationError("rate_date", f"Dates before {EARLIEST_DATE.year} are not plausible.")
    rate = _rate_value("rate", data.get("rate"))
    if isinstance(rate, str):
        raise ValidationError("rate", rate)
    taken = _rate_taken(session, (base, quote, rate_date), exclude=exclude, batch=batch)
    if taken is not None:
        raise ValidationError(
            "rate_date",
            f"A {base}/{quote} rate for {rate_date.isoformat()} already exists "
            f"(1 {base} = {rate_text(taken.rate)} {quote}); edit that one instead.",
        )
    return {
        "base_code": base,
        "quote_code": quote,
        "rate_date": rate_date,
        "rate": rate,
        "source": validation.free_text("source", data.get("source"), max_length=120),
    }


def remember_rate_keys(session: Session, batch: Batch) -> None:
    """For an import's ``batch``: every stored rate's id by (base, quote, date), read in one
    query, so that no row of a rates file asks the database whether its rate exists."""
    columns = (ExchangeRate.base_code, ExchangeRate.quote_code, ExchangeRate.rate_date)
    rows = session.execute(sa.select(ExchangeRate.id, *columns))
    batch.remember_keys(_RATE, {tuple(row[1:]): row[0] for row in rows})


_RATE = "exchange_rate"


def _rate_taken(
    session: Session,
    key: tuple[str, str, date],
    *,
    exclude: ExchangeRate | None,
    batch: Batch | None,
) -> ExchangeRate | None:
    """The other rate with this currency pair and date, if there is one."""
    base, quote, rate_date = key
    query = sa.select(ExchangeRate).where(
        ExchangeRate.base_code == base,
        ExchangeRate.quote_code == quote,
        ExchangeRate.rate_date == rate_date,
        ExchangeRate.id != ((exclude.id if exclude is not None else None) or 0),
    )
    found = (
        batch.taken(_RATE, key, exclude=exclude, query=lambda: session.scalar(query))
        if batch is not None
        else session.scalar(query)
    )
    # An id read ahead, or a rate an earlier row of the file created.
    return session.get(ExchangeRate, found) if isinstance(found, int) else found


def _remember_rate(batch: Batch | None, rate: ExchangeRate) -> None:
    if batch is not None:
        batch.note_key(_RATE, (rate.base_code, rate.quote_code, rate.rate_date), rate)


def create_exchange_rate(
    session: Session, *, data: Mapping[str, Any], batch: Batch | None = None
) -> ExchangeRate:
    """A new rate; flushes (in an import's ``batch``, with the batch)."""
    rate = ExchangeRate(**_clean_rate(session, data, exclude=None, batch=batch))
    session.add(rate)
    _remember_rate(batch, rate)
    batching.flush(session, batch)
    return rate


def update_exchange_rate(
    session: Session,
    *,
    obj: ExchangeRate,
    data: Mapping[str, Any],
    expected_version: int | None = None,
    batch: Batch | None = None,
) -> ExchangeRate:
    # Rates carry no version column: the last save wins, and the audit shows both.
    records.apply_changes(obj, _clean_rate(session, data, exclude=obj, batch=batch))
    _remember_rate(batch, obj)
    batching.flush(session, batch)
    return obj


class RatesFileInvalid(ValidationError):
    """The rates file has problems; ``errors`` names each one by row. Nothing was written."""

    def __init__(self, errors: Sequence[str]) -> None:
        count = len(errors)
        super().__init__(
            "file",
            f"The file has {count} problem{'s' if count != 1 else ''}; nothing was loaded. "
            "Correct the rows below and upload it again.",
        )
        self.errors = list(errors)


@dataclass(frozen=True, slots=True)
class RatesLoaded:
    created: int
    updated: int
    unchanged: int

    @property
    def rows(self) -> int:
        return self.created + self.updated + self.unchanged


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _read_rates_file(
    content: bytes, *, known_currencies: set[str]
) -> list[tuple[int, date, str, str, Decimal]]:
    """Parse and check every row; raise RatesFileInvalid listing every problem."""
    if len(content) > MAX_RATE_FILE_BYTES:
        raise RatesFileInvalid(
            [f"The file is larger than {MAX_RATE_FILE_BYTES // 1_000_000} MB; split it up."]
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RatesFileInvalid(
            [f"The file is not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8."]
        ) from exc
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise RatesFileInvalid(["The file is empty: it needs the header date,base,quote,rate."])
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    errors: list[str] = []
    rows: list[tuple[int, date, str, str, Decimal]] = []
    seen: dict[tuple[date, str, str], int] = {}
    for cells in reader:
        row = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            if sorted(header) != sorted(RATE_FILE_HEADER):
                raise RatesFileInvalid(
                    [
                        f"Row {row}: the header must be date,base,quote,rate "
                        f"(found: {delimiter.join(cell.strip() for cell in cells)[:120]})."
                    ]
                )
            continue
        if len(rows) + len(errors) >= MAX_RATE_FILE_ROWS:
            errors.append(f"The file has more than {MAX_RATE_FILE_ROWS:,} rows; split it up.")
            break
        if len(cells) != len(header):
            errors.append(
                f"Row {row}: expected {len(header)} values ({delimiter.join(header)}), "
                f"found {len(cells)}."
            )
            continue
        values = dict(zip(header, (cell.strip() for cell in cells), strict=True))
        problems = []
        rate_date: date | None = None
        if _ISO_DATE.match(values["date"]):
            try:
                rate_date = date.fromisoformat(values["date"])
            except ValueError:
                rate_date = None
        if rate_date is None:
            problems.append(f"date {values['date']!r} is not a date as YYYY-MM-DD")
        elif rate_date < EARLIEST_DATE:
            problems.append(f"date {values['date']} is before {EARLIEST_DATE.year}")
        base, quote = values["base"].upper(), values["quote"].upper()
        for name, code in (("base", base), ("quote", quote)):
            if code not in known_currencies:
                problems.append(f"{name} {values[name]!r} is not a known ISO 4217 currency code")
        if base == quote and base:
            problems.append("base and quote are the same currency")
        elif base and quote and conversion.PIVOT not in (base, quote):
            problems.append(_NOT_AGAINST_PIVOT.format(base=base, quote=quote).rstrip("."))
        raw_rate = values["rate"]
        if delimiter == ";" and "," in raw_rate and "." not in raw_rate:
            raw_rate = raw_rate.replace(",", ".")  # a decimal comma, as European spreadsheets write
        rate = _rate_value("rate", raw_rate)
        if isinstance(rate, str):
            problems.append(f"rate {values['rate']!r}: {rate[0].lower()}{rate[1:].rstrip('.')}")
        if not problems and rate_date is not None and not isinstance(rate, str):
            key = (rate_date, base, quote)
            if key in seen:
                problems.append(
                    f"the same date, base and quote as row {seen[key]} "
                    f"({rate_date.isoformat()} {base}/{quote})"
                )
            else:
                seen[key] = row
                rows.append((row, rate_date, base, quote, rate))
        if problems:
            errors.append(f"Row {row}: " + "; ".join(problems) + ".")
    if header is None:
        raise RatesFileInvalid(["The file is empty: it needs the header date,base,quote,rate."])
    if errors:
        raise RatesFileInvalid(errors)
    if not rows:
        raise RatesFileInvalid(["The file has a header but no rates."])
    return rows


def load_exchange_rates_csv(
    session: Session, *, content: bytes, filename: str | None = None
) -> RatesLoaded:
    """Load a ``date,base,quote,rate`` file: all rows or none.

    Every row is checked first; any problem refuses the whole file. Then new rates are added and
    changed ones updated (same date, base and quote), in the caller's one transaction.
    """
    known = set(session.scalars(sa.select(Currency.code)))
    rows = _read_rates_file(content, known_currencies=known)
    dates = [r[1] for r in rows]
    existing = {
        (r.rate_date, r.base_code, r.quote_code): r
        for r in session.scalars(
            sa.select(ExchangeRate).where(
                ExchangeRate.rate_date.between(min(dates), max(dates)),
                ExchangeRate.base_code.in_({r[2] for r in rows}),
                ExchangeRate.quote_code.in_({r[3] for r in rows}),
            )
        )
    }
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    try:
        name = validation.free_text("file", name, max_length=80) or ""
    except ValidationError:
        name = ""
    source = f"CSV upload {name}".strip()
    created = updated = unchanged = 0
    for _row, rate_date, base, quote, rate in rows:
        current = existing.get((rate_date, base, quote))
        if current is None:
            session.add(
                ExchangeRate(
                    base_code=base, quote_code=quote, rate_date=rate_date, rate=rate, source=source
                )
            )
            created += 1
        elif current.rate != rate:
            current.rate = rate
            current.source = source
            updated += 1
        else:
            unchanged += 1
    session.flush()
    result = RatesLoaded(created=created, updated=updated, unchanged=unchanged)
    audit.record(
        session,
        action="import",
        entity_type=ExchangeRate.__tablename__,
        summary=f"{source}: {created} created, {updated} updated, {unchanged} unchanged",
    )
    return result
