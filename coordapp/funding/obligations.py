"""What a funder is owed under a commitment: its instalment schedule (matched against the
receipts) and its reporting requirements (due, submitted, accepted)."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching, validation
from coordapp.audit import service as audit
from coordapp.batching import Batch
from coordapp.db import Money
from coordapp.errors import ValidationError
from coordapp.funding.commitments import open_commitment_of
from coordapp.funding.dates import EARLIEST_DATE, not_in_future
from coordapp.funding.models import (
    CommitmentStatus,
    FundingCommitment,
    FundingInstalment,
    FundingReceipt,
    ReportingRequirement,
    ReportKind,
)
from coordapp.funding.money import in_minor_units, minor_units_of, money_text
from coordapp.records import service as records

# Reports not yet submitted whose due date is this close (or past) need attention.
REPORT_HORIZON_DAYS = 30
# Rows the schedule form offers (the stored instalments and blank ones up to this many).
SCHEDULE_ROWS = 12
MAX_INSTALMENTS = 60

# The one matching rule: the page says it, the attention list and the dashboard use it.
MATCHING_RULE = (
    "Receipts of the commitment in its currency (archived ones left out) pay its instalments "
    "in the order of their expected dates, whenever they arrived: an instalment is received "
    "when they cover it and every earlier one, part received when they cover some of it, and "
    "overdue when its expected date has passed and it is not fully received. Receipts in "
    "another currency are not matched."
)


class InstalmentState(enum.StrEnum):
    RECEIVED = "received"
    PART_RECEIVED = "part received"
    OVERDUE = "overdue"
    EXPECTED = "expected"


class ReportState(enum.StrEnum):
    ACCEPTED = "accepted"
    SUBMITTED = "submitted"
    OVERDUE = "overdue"
    DUE_SOON = "due soon"
    DUE = "due"


def _open_commitment(commitment: FundingCommitment, field: str) -> None:
    if commitment.archived_at is not None:
        raise ValidationError(
            field, f"The commitment {commitment.title!r} is archived; restore it first."
        )


# --- the instalment schedule -------------------------------------------------------------------


def clean_schedule(
    commitment: FundingCommitment, rows: Sequence[Mapping[str, Any]]
) -> list[tuple[date, Decimal]]:
    """The schedule as (expected date, amount) in date order, adding up exactly to the pledge,
    or the ValidationError saying what is wrong. Blank rows are skipped; no rows at all is no
    schedule."""
    where = "instalments"
    _open_commitment(commitment, where)
    currency = commitment.currency_code
    minor_units = minor_units_of(currency)
    schedule: list[tuple[date, Decimal]] = []
    for number, row in enumerate(rows, start=1):
        raw_date, raw_amount = row.get("expected_on"), row.get("amount")
        if not str(raw_date or "").strip() and not str(raw_amount or "").strip():
            continue
        try:
            expected_on = validation.required_date(where, raw_date, what="the expected date")
            if expected_on < EARLIEST_DATE:
                raise ValidationError(
                    where, f"Dates before {EARLIEST_DATE.year} are not plausible."
                )
            amount = validation.money(
                where, raw_amount, minor_units=minor_units, positive=True, currency=currency
            )
        except ValidationError as error:
            raise ValidationError(where, f"Instalment {number}: {error.message}") from error
        schedule.append((expected_on, amount))
    if len(schedule) > MAX_INSTALMENTS:
        raise ValidationError(where, f"At most {MAX_INSTALMENTS} instalments.")
    if not schedule:
        return []
    total = sum((amount for _, amount in schedule), Decimal(0))
    if total != commitment.amount:
        difference = commitment.amount - total
        action = "add" if difference > 0 else "remove"
        raise ValidationError(
            where,
            f"The instalments add up to {money_text(total, currency)}, not the pledged "
            f"{money_text(commitment.amount, currency)}: {action} "
            f"{money_text(abs(difference), currency)}. Nothing was saved.",
        )
    return sorted(schedule, key=lambda pair: pair[0])


def _schedule_text(commitment: FundingCommitment, pairs: Sequence[tuple[date, Decimal]]) -> str:
    code = commitment.currency_code
    return "; ".join(f"{on.isoformat()} {in_minor_units(amount, code)}" for on, amount in pairs)


def save_schedule(
    session: Session, *, commitment: FundingCommitment, rows: Sequence[Mapping[str, Any]]
) -> list[FundingInstalment]:
    """Replace the commitment's whole schedule by ``rows`` (checked first: nothing is written
    when they do not add up to the pledge); flushes. Returns the instalments now stored."""
    replace_schedule(session, commitment=commitment, rows=rows)
    return list(commitment.instalments)


Schedule = list[tuple[date, Decimal]]


def replace_schedule(
    session: Session,
    *,
    commitment: FundingCommitment,
    rows: Sequence[Mapping[str, Any]],
    batch: Batch | None = None,
) -> tuple[Schedule, Schedule]:
    """Replace the commitment's whole schedule by ``rows`` (checked first: nothing is written
    when they do not add up to the pledge); flushes (``batching.flush``). Returns the schedule
    before and after, as (expected date, amount) in date order.

    In an import's ``batch``, a commitment with no instalments yet gets its new ones as rows
    the batch writes with its other new records (one INSERT for many commitments, the same
    audit events); its ``instalments`` are expired, read again when next asked for. A later row
    of the file naming the same commitment writes what the batch holds first, then replaces
    those instalments as records.
    """
    schedule = clean_schedule(commitment, rows)
    held = (FundingInstalment.__tablename__, commitment.id)
    if batch is not None and batch.holds(held):
        batch.flush(session)  # an earlier row's instalments, replaced below as records
    before = [(i.expected_on, i.amount) for i in commitment.instalments]
    if before == schedule:
        return before, schedule
    if batch is not None and not before:
        for on, amount in schedule:
            batch.insert(
                FundingInstalment,
                {"commitment_id": commitment.id, "expected_on": on, "amount": amount},
            )
        batch.hold(held)
        session.expire(commitment, ["instalments"])
    else:
        commitment.instalments.clear()
        batching.flush(session, batch)
        commitment.instalments.extend(
            FundingInstalment(expected_on=on, amount=amount) for on, amount in schedule
        )
    batching.flush(session, batch)
    audit.record(
        session,
        action="schedule",
        entity_type=FundingCommitment.__tablename__,
        entity_id=commitment.id,
        changes={
            "instalments": [
                _schedule_text(commitment, before) or None,
                _schedule_text(commitment, schedule) or None,
            ]
        },
    )
    return before, schedule


def schedule_rows(commitment: FundingCommitment) -> list[dict[str, Any]]:
    """The schedule form's rows: the stored instalments, then blank rows."""
    code = commitment.currency_code
    rows: list[dict[str, Any]] = [
        {"expected_on": i.expected_on, "amount": str(in_minor_units(i.amount, code))}
        for i in commitment.instalments
    ]
    return rows + [{"expected_on": None, "amount": ""}] * max(SCHEDULE_ROWS - len(rows), 2)


def _received_in_currency() -> sa.Subquery:
    """Per commitment: its receipts in its own currency, archived ones left out."""
    return (
        sa.select(
            FundingReceipt.commitment_id,
            sa.func.sum(FundingReceipt.amount).label("received"),
        )
        .join(
            FundingCommitment,
            sa.and_(
                FundingCommitment.id == FundingReceipt.commitment_id,
                FundingCommitment.currency_code == FundingReceipt.currency_code,
            ),
        )
        .where(FundingReceipt.archived_at.is_(None))
        .group_by(FundingReceipt.commitment_id)
        .subquery("received")
    )


def matched_instalments(commitment_id: int | None = None) -> sa.Subquery:
    """Every instalment (of one commitment, or all) with ``covered``: how much of it the
    receipts pay under ``MATCHING_RULE``. Columns: id, commitment_id, expected_on, amount,
    covered, short (what is still missing)."""
    received_sq = _received_in_currency()
    received = sa.func.coalesce(received_sq.c.received, 0)
    through = sa.func.sum(FundingInstalment.amount).over(
        partition_by=FundingInstalment.commitment_id,
        order_by=(FundingInstalment.expected_on, FundingInstalment.id),
    )
    inner = sa.select(
        FundingInstalment.id,
        FundingInstalment.commitment_id,
        FundingInstalment.expected_on,
        FundingInstalment.amount,
        through.label("through"),
        received.label("received"),
    ).outerjoin(received_sq, received_sq.c.commitment_id == FundingInstalment.commitment_id)
    if commitment_id is not None:
        inner = inner.where(FundingInstalment.commitment_id == commitment_id)
    s = inner.subquery("instalments")
    # Rounded to the stored scale: SQLite sums NUMERIC as floating point.
    beyond = sa.func.round(s.c.received - s.c.through, 4)  # >= 0: this one is paid
    before_left = sa.func.round(s.c.received - (s.c.through - s.c.amount), 4)
    covered = sa.case(
        (beyond >= 0, s.c.amount),
        (before_left <= 0, sa.literal(0)),
        else_=before_left,
    )
    return sa.select(
        s.c.id,
        s.c.commitment_id,
        s.c.expected_on,
        s.c.amount,
        sa.type_coerce(covered, Money).label("covered"),
        sa.type_coerce(s.c.amount - covered, Money).label("short"),
    ).subquery("matched")


def instalment_state(*, expected_on: date, amount: Decimal, covered: Decimal, today: date) -> str:
    if covered >= amount:
        return InstalmentState.RECEIVED
    if expected_on < today:
        return InstalmentState.OVERDUE
    return InstalmentState.PART_RECEIVED if covered > 0 else InstalmentState.EXPECTED


@dataclass(frozen=True, slots=True)
class InstalmentLine:
    expected_on: date
    amount: Decimal
    covered: Decimal
    state: str

    @property
    def part_received(self) -> bool:
        return 0 < self.covered < self.amount


def instalment_lines(
    session: Session, *, commitment: FundingCommitment, today: date
) -> list[InstalmentLine]:
    """The commitment's schedule in date order, each instalment with what covers it."""
    m = matched_instalments(commitment.id)
    code = commitment.currency_code
    lines = []
    for row in session.execute(sa.select(m).order_by(m.c.expected_on, m.c.id)):
        amount = in_minor_units(row.amount, code)
        covered = in_minor_units(Decimal(row.covered), code)
        lines.append(
            InstalmentLine(
                expected_on=row.expected_on,
                amount=amount,
                covered=covered,
                state=instalment_state(
                    expected_on=row.expected_on, amount=amount, covered=covered, today=today
                ),
            )
        )
    return lines


def _commitment_in_force() -> sa.ColumnElement[bool]:
    return sa.and_(
        FundingCommitment.archived_at.is_(None),
        FundingCommitment.status != CommitmentStatus.CANCELLED.value,
    )


def overdue_instalments_select(today: date) -> sa.Select:
    """Instalments of commitments in force (not archived, not cancelled) whose expected date
    has passed and that the receipts do not fully cover, the oldest first."""
    m = matched_instalments()
    return (
        sa.select(
            m.c.commitment_id,
            m.c.expected_on,
            m.c.amount,
            m.c.short,
            FundingCommitment.title,
            FundingCommitment.currency_code,
        )
        .join(FundingCommitment, FundingCommitment.id == m.c.commitment_id)
        .where(m.c.expected_on < today, m.c.short > 0, _commitment_in_force())
        .order_by(m.c.expected_on, FundingCommitment.title, m.c.id)
    )


# --- reporting requirements ---------------------------------------------------------------------


def get_requirement(session: Session, requirement_id: int) -> ReportingRequirement:
    obj: ReportingRequirement = records.get_or_404(
        session, ReportingRequirement, requirement_id, what="reporting requirement"
    )
    return obj


def clean_requirement(
    session: Session, data: Mapping[str, Any], *, obj: object = None, batch: Batch | None = None
) -> dict[str, Any]:
    """A reporting requirement's values as stored, or the ValidationError saying what is
    wrong (a report is never accepted before, or without, being submitted)."""
    commitment = open_commitment_of(
        session,
        data.get("commitment_id"),
        choose="Choose the commitment the report is owed under.",
        restore_before="adding reports to it",
    )
    due_on = validation.required_date("due_on", data.get("due_on"), what="the due date")
    if due_on < EARLIEST_DATE:
        raise ValidationError("due_on", f"Dates before {EARLIEST_DATE.year} are not plausible.")
    submitted_on = validation.date_value("submitted_on", data.get("submitted_on"), required=False)
    accepted_on = validation.date_value("accepted_on", data.get("accepted_on"), required=False)
    if submitted_on is not None:
        not_in_future("submitted_on", submitted_on, what="the submission")
    if accepted_on is not None:
        if submitted_on is None:
            raise ValidationError(
                "accepted_on",
                "A report cannot be accepted without being submitted: enter the date it was "
                "submitted on.",
            )
        if accepted_on < submitted_on:
            raise ValidationError(
                "accepted_on",
                f"The report cannot be accepted ({accepted_on.isoformat()}) before it was "
                f"submitted ({submitted_on.isoformat()}).",
            )
        not_in_future("accepted_on", accepted_on, what="the acceptance")
    return {
        "commitment_id": commitment.id,
        "kind": validation.choice("kind", ReportKind, data.get("kind")),
        "due_on": due_on,
        "submitted_on": submitted_on,
        "accepted_on": accepted_on,
        "document_reference": validation.free_text(
            "document_reference",
            data.get("document_reference"),
            max_length=200,
            bare_domains=False,
        ),
        "note": validation.free_text("note", data.get("note"), max_length=1000),
    }


REQUIREMENT_COMMANDS = records.RecordCommands(
    ReportingRequirement, clean=clean_requirement, versioned=False
)
create_requirement = REQUIREMENT_COMMANDS.create
update_requirement = REQUIREMENT_COMMANDS.update


def report_state(requirement: Any, today: date) -> str:
    """Accepted, submitted, overdue (due date passed, not submitted), due soon (within
    ``REPORT_HORIZON_DAYS``) or due."""
    if requirement.accepted_on is not None:
        return ReportState.ACCEPTED
    if requirement.submitted_on is not None:
        return ReportState.SUBMITTED
    if requirement.due_on < today:
        return ReportState.OVERDUE
    if requirement.due_on <= today + timedelta(days=REPORT_HORIZON_DAYS):
        return ReportState.DUE_SOON
    return ReportState.DUE


def requirements_of(session: Session, commitment_id: int) -> list[ReportingRequirement]:
    return list(
        session.scalars(
            sa.select(ReportingRequirement)
            .where(ReportingRequirement.commitment_id == commitment_id)
            .order_by(ReportingRequirement.due_on, ReportingRequirement.id)
        )
    )


def reports_due_select(today: date) -> sa.Select:
    """Reports of commitments in force not yet submitted whose due date has passed or falls
    within ``REPORT_HORIZON_DAYS``, the earliest due first."""
    return (
        sa.select(
            ReportingRequirement.id,
            ReportingRequirement.kind,
            ReportingRequirement.due_on,
            FundingCommitment.title,
        )
        .join(FundingCommitment, FundingCommitment.id == ReportingRequirement.commitment_id)
        .where(
            ReportingRequirement.submitted_on.is_(None),
            ReportingRequirement.due_on <= today + timedelta(days=REPORT_HORIZON_DAYS),
            _commitment_in_force(),
        )
        .order_by(ReportingRequirement.due_on, FundingCommitment.title, ReportingRequirement.id)
    )


def requirement_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """Prefill a new requirement from ``?commitment_id=`` (the commitment page's button)."""
    commitment_id = validation.record_id(args.get("commitment_id"))
    defaults: dict[str, Any] = {"kind": ReportKind.NARRATIVE.value}
    if commitment_id is not None and session.get(FundingCommitment, commitment_id) is not None:
        defaults["commitment_id"] = str(commitment_id)
    return defaults
