"""The membership-compliance register: each hotline's items, and the one rule of what an
item's state is on a day (missing, not met, pending, expired, expiring, met, waived) used by
the matrix (``compliance_matrix``), the hotline's section, the needs-attention list, the
promotion warning and the coverage map alike. The requirements are in
``compliance_requirements``."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import validation
from coordapp.audit import service as audit
from coordapp.errors import ValidationError
from coordapp.network import membership
from coordapp.network.compliance_models import (
    ComplianceItem,
    ComplianceRequirement,
    ComplianceStatus,
)
from coordapp.network.compliance_requirements import active_requirements, requirement_for_item
from coordapp.network.models import (
    COVERING_STATUSES,
    Hotline,
    HotlineMembershipEvent,
    MembershipStatus,
)
from coordapp.records import service as records

# An item that runs out within this many days is "expiring" (needs attention).
EXPIRING_WITHIN_DAYS = 90

MISSING = "missing"
NOT_MET = "not_met"
PENDING = "pending"
EXPIRED = "expired"
EXPIRING = "expiring"
MET = "met"
WAIVED = "waived"
# Worst first: the order the legend and the counts read in.
STATES = (EXPIRED, MISSING, NOT_MET, EXPIRING, PENDING, WAIVED, MET)
STATE_LABELS = {
    EXPIRED: "Expired",
    MISSING: "Missing",
    NOT_MET: "Not met",
    EXPIRING: f"Expiring within {EXPIRING_WITHIN_DAYS} days",
    PENDING: "Pending",
    WAIVED: "Waived",
    MET: "Met",
}
# States that satisfy a requirement (a full member needs each needed requirement in one).
SATISFIED_STATES = frozenset({MET, WAIVED, EXPIRING})
_HOLDING = (ComplianceStatus.MET.value, ComplianceStatus.WAIVED.value)


def expiring_before(today: date) -> date:
    """Items holding up to (and including) this day are expiring."""
    return today + timedelta(days=EXPIRING_WITHIN_DAYS)


def state_expression(item: Any, today: date) -> sa.Case[Any]:
    """The state of ``item`` (a ComplianceItem entity or alias, outer-joined: no row is
    missing) on ``today``, as SQL. An item holds up to and including its ``expires_on``."""
    return sa.case(
        (item.id.is_(None), MISSING),
        (item.status == ComplianceStatus.NOT_MET.value, NOT_MET),
        (item.expires_on < today, EXPIRED),
        (item.status == ComplianceStatus.PENDING.value, PENDING),
        (item.expires_on <= expiring_before(today), EXPIRING),
        (item.status == ComplianceStatus.WAIVED.value, WAIVED),
        else_=MET,
    )


def state_of(item: ComplianceItem | None, today: date) -> str:
    """``state_expression`` over an item already loaded (one hotline's section)."""
    if item is None:
        return MISSING
    if item.status == ComplianceStatus.NOT_MET:
        return NOT_MET
    if item.expires_on is not None and item.expires_on < today:
        return EXPIRED
    if item.status == ComplianceStatus.PENDING:
        return PENDING
    if item.expires_on is not None and item.expires_on <= expiring_before(today):
        return EXPIRING
    return WAIVED if item.status == ComplianceStatus.WAIVED else MET


def _satisfied_on(on: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        ComplianceItem.status.in_(_HOLDING),
        sa.or_(ComplianceItem.expires_on.is_(None), ComplianceItem.expires_on >= on),
    )


# --- items -----------------------------------------------------------------------------------


def get_item(session: Session, *, hotline: Hotline, requirement_id: int) -> ComplianceItem | None:
    return session.scalar(
        sa.select(ComplianceItem).where(
            ComplianceItem.hotline_id == hotline.id,
            ComplianceItem.requirement_id == requirement_id,
        )
    )


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _clean_item(requirement: ComplianceRequirement, data: Mapping[str, Any]) -> dict[str, Any]:
    status: ComplianceStatus = validation.choice("status", ComplianceStatus, data.get("status"))
    done_on = validation.past_date("done_on", data.get("done_on"), what="date it was done")
    expires_on = validation.date_value("expires_on", data.get("expires_on"), required=False)
    note = validation.free_text("note", data.get("note"), max_length=1000)
    if expires_on is not None and not requirement.has_expiry:
        raise ValidationError(
            "expires_on", f"{requirement.name!r} does not expire; leave the expiry empty."
        )
    if expires_on is None and done_on is not None and requirement.renewal_months:
        expires_on = _add_months(done_on, requirement.renewal_months) - timedelta(days=1)
    if expires_on is not None and done_on is not None and expires_on <= done_on:
        raise ValidationError(
            "expires_on",
            f"The expiry ({expires_on.isoformat()}) must come after the date it was done "
            f"({done_on.isoformat()}).",
        )
    if status == ComplianceStatus.MET and done_on is None:
        raise ValidationError("done_on", "A requirement met needs the date it was done.")
    if status == ComplianceStatus.WAIVED and note is None:
        raise ValidationError("note", "Say in the note why the requirement is waived.")
    return {
        "status": status,
        "detail": validation.free_text("detail", data.get("detail"), max_length=200),
        # A reference to where the document is kept: links are refused (free_text).
        "document_reference": validation.free_text(
            "document_reference", data.get("document_reference"), max_length=200
        ),
        "done_on": done_on,
        "expires_on": expires_on,
        "note": note,
    }


def set_item(
    session: Session,
    *,
    hotline: Hotline,
    requirement_id: object,
    data: Mapping[str, Any],
    expected_version: int | None = None,
) -> ComplianceItem:
    """Record where ``hotline`` stands on a requirement (a new item, or the one it has)."""
    membership.require_active(hotline, "hotline")
    requirement = requirement_for_item(session, requirement_id)
    values = _clean_item(requirement, data)
    item = get_item(session, hotline=hotline, requirement_id=requirement.id)
    if item is None:
        item = ComplianceItem(hotline_id=hotline.id, requirement_id=requirement.id, **values)
        session.add(item)
    else:
        records.check_version(item, expected_version)
        records.apply_changes(item, values)
    session.flush()
    return item


# --- one hotline's section -------------------------------------------------------------------


class InState:
    """A row or cell in one of the register's ``STATES``, shown by its label."""

    __slots__ = ()
    state: str

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass(frozen=True, slots=True)
class SectionRow(InState):
    requirement: ComplianceRequirement
    item: ComplianceItem | None
    state: str


@dataclass(frozen=True, slots=True)
class ComplianceSection:
    """What the hotline's page (and the hotline's own page) shows of its register."""

    hotline_id: int
    today: date
    rows: tuple[SectionRow, ...]

    @property
    def missing_for_full(self) -> list[str]:
        return [
            r.requirement.name
            for r in self.rows
            if r.requirement.needed_for_full and r.state not in SATISFIED_STATES
        ]

    @property
    def counts(self) -> list[tuple[str, int]]:
        return [(s, n) for s in STATES if (n := sum(r.state == s for r in self.rows))]


def hotline_compliance(session: Session, *, hotline_id: int, today: date) -> ComplianceSection:
    """The hotline's register: every requirement in force, its item (or none) and state."""
    items = {
        item.requirement_id: item
        for item in session.scalars(
            sa.select(ComplianceItem).where(ComplianceItem.hotline_id == hotline_id)
        )
    }
    rows = tuple(
        SectionRow(req, items.get(req.id), state_of(items.get(req.id), today))
        for req in active_requirements(session)
    )
    return ComplianceSection(hotline_id=hotline_id, today=today, rows=rows)


def missing_for_full(session: Session, *, hotline_id: int, on: date) -> list[str]:
    """Names of the requirements needed for full membership that the hotline does not satisfy
    on ``on`` (no item, not met, pending, or run out before that day)."""
    satisfied = (
        sa.select(ComplianceItem.id)
        .where(
            ComplianceItem.hotline_id == hotline_id,
            ComplianceItem.requirement_id == ComplianceRequirement.id,
            _satisfied_on(on),
        )
        .exists()
    )
    return list(
        session.scalars(
            sa.select(ComplianceRequirement.name)
            .where(
                ComplianceRequirement.archived_at.is_(None),
                ComplianceRequirement.needed_for_full.is_(True),
                ~satisfied,
            )
            .order_by(ComplianceRequirement.sort_order, ComplianceRequirement.name)
        )
    )


def add_membership_event_checked(
    session: Session,
    *,
    hotline: Hotline,
    on: date | str | None,
    status: MembershipStatus | str | None,
    note: str | None,
    reason: str | None,
) -> HotlineMembershipEvent:
    """``membership.add_membership_event``, but a promotion to full member with requirements
    missing needs a ``reason``: without one nothing is written; with one the event is written
    and the reason audited with the requirements that were missing."""
    cleaned_reason = validation.free_text("reason", reason, max_length=500)
    missing: list[str] = []
    if status in (MembershipStatus.FULL, MembershipStatus.FULL.value):
        day = validation.date_value("on", on, required=False) or date.today()
        missing = missing_for_full(session, hotline_id=hotline.id, on=day)
        if missing and cleaned_reason is None:
            # The history's own rules speak first (the event is tried in a savepoint that is
            # always rolled back): only a possible promotion asks for a reason.
            try:
                with session.begin_nested():
                    membership.add_membership_event(
                        session, hotline=hotline, on=on, status=status, note=note
                    )
                    raise ValidationError(
                        "reason",
                        f"{hotline.name} lacks {len(missing)} requirement(s) for full "
                        f"membership: {', '.join(missing)}. Give a reason to promote it anyway, "
                        "or record the items first.",
                    )
            finally:
                session.expire(hotline, ["membership_events"])
    event = membership.add_membership_event(
        session, hotline=hotline, on=on, status=status, note=note
    )
    if missing:
        audit.record(
            session,
            action="full_despite_missing",
            entity_type=Hotline.__tablename__,
            entity_id=hotline.id,
            changes={"missing_requirements": [None, missing]},
            summary=cleaned_reason,
        )
    return event


# --- what needs attention, the map ----------------------------------------------------------


def items_due_query(today: date) -> sa.Select:
    """Items of hotlines in use, for requirements in force, that have run out or run out
    within ``EXPIRING_WITHIN_DAYS``: soonest first."""
    return (
        sa.select(
            ComplianceItem.hotline_id,
            Hotline.name.label("hotline"),
            ComplianceRequirement.name.label("requirement"),
            ComplianceItem.expires_on,
        )
        .join(Hotline, Hotline.id == ComplianceItem.hotline_id)
        .join(ComplianceRequirement, ComplianceRequirement.id == ComplianceItem.requirement_id)
        .where(
            Hotline.archived_at.is_(None),
            ComplianceRequirement.archived_at.is_(None),
            ComplianceItem.status.in_(_HOLDING),
            ComplianceItem.expires_on <= expiring_before(today),
        )
        .order_by(ComplianceItem.expires_on, Hotline.name, ComplianceItem.id)
    )


def every_pair(query: sa.Select[Any], hotlines: Any, *item_conditions: Any) -> sa.Select[Any]:
    """``query`` over every pair of a hotline (a subquery with its ``id``) and a requirement,
    each with the hotline's item on the requirement if it has one (meeting ``item_conditions``)."""
    return (
        query.select_from(hotlines)
        .join(ComplianceRequirement, sa.true())
        .outerjoin(
            ComplianceItem,
            sa.and_(
                ComplianceItem.hotline_id == hotlines.c.id,
                ComplianceItem.requirement_id == ComplianceRequirement.id,
                *item_conditions,
            ),
        )
    )


def compliance_share_by_country(session: Session, *, today: date) -> dict[str, float]:
    """Per country (alpha-2), the share of the full-membership requirements satisfied today by
    the provisional and full member hotlines based there: satisfied (hotline, requirement)
    pairs over all such pairs. Countries without such a hotline are absent."""
    status_today = membership.membership_status_of(Hotline.id, today)
    members = (
        sa.select(Hotline.id, Hotline.country_code)
        .where(
            Hotline.archived_at.is_(None),
            status_today.in_([s.value for s in COVERING_STATUSES]),
        )
        .subquery("members")
    )
    pairs = (
        every_pair(
            sa.select(
                members.c.country_code,
                sa.func.count().label("pairs"),
                sa.func.count(ComplianceItem.id).label("satisfied"),
            ),
            members,
            _satisfied_on(today),
        )
        .where(
            ComplianceRequirement.archived_at.is_(None),
            ComplianceRequirement.needed_for_full.is_(True),
        )
        .group_by(members.c.country_code)
    )
    return {code: satisfied / total for code, total, satisfied in session.execute(pairs) if total}
