"""A hotline's quarter from entry to sign-off: submitted, returned with a comment, approved
(locked), reopened with a reason; and the one rule of which figures count.

    draft ──submit──> submitted ──approve──> approved ──reopen (reason)──> reopened
                         │                                                    │
                         └──return (comment)──> returned ──submit──> ...  <───┘

A quarter without a row is a draft. Figures of a submitted or an approved quarter take no edit,
import or deletion (``coordapp.stats.locks``); a returned or reopened one takes them again. Each
move is audited field by field (the ``HotlineQuarter`` row is ``Audited``). Services flush; the
request commits. Who may act on which hotline (a hotline user: their own) is the caller's
check; these functions refuse what no role may do: a viewer submitting, anyone below manager
deciding.

**Which figures count** (every dashboard, the board pack, exports): the values of approved
quarters, ``counted``. A quarter with figures still awaiting approval is provisional.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session, aliased, selectinload

from coordapp.auth.models import Role, User
from coordapp.config import STATISTICS_DEADLINE_DAYS
from coordapp.db import utcnow
from coordapp.errors import Forbidden, ValidationError
from coordapp.network.models import Hotline
from coordapp.records import service as records
from coordapp.reference.models import MetricDefinition
from coordapp.stats.grid import check_year
from coordapp.stats.locks import closed_message
from coordapp.stats.metrics import metrics_in_force
from coordapp.stats.models import HotlineQuarter, HotlineStatistic, QuarterState
from coordapp.stats.periods import QUARTERS, quarter_bounds, quarter_start
from coordapp.stats.service import FIRST_YEAR

EDITABLE_STATES = (QuarterState.DRAFT, QuarterState.RETURNED, QuarterState.REOPENED)
STATE_LABELS = {
    QuarterState.DRAFT: "Draft",
    QuarterState.SUBMITTED: "Submitted, awaiting review",
    QuarterState.RETURNED: "Returned for correction",
    QuarterState.APPROVED: "Approved (locked)",
    QuarterState.REOPENED: "Reopened for correction",
}
COMMENT_MAX = 2000


# --- the figures that count ------------------------------------------------------------------


def _approved_quarter_of(stat: Any, quarter: Any) -> sa.ColumnElement[bool]:
    """``quarter`` (the quarters table or an alias) is the approved quarter of the value
    ``stat``. A quarter's row is a calendar quarter (``quarter_bounds``: every writer makes it
    so), so a value's quarter is the row of its hotline starting on the first day of the
    value's quarter: an equality the database hashes or looks up in the unique index, where a
    date range matched each value against every quarter of its hotline (bench/dashboards/
    README.md, "Activity and the approved quarters")."""
    return sa.and_(
        quarter.hotline_id == stat.hotline_id,
        quarter.period_start == quarter_start(stat.period_start),
        quarter.state == QuarterState.APPROVED.value,
    )


def counted(stat: Any = HotlineStatistic) -> sa.ColumnElement[bool]:
    """The one definition of the figures every surface counts: values (``stat``: the
    statistics table or an alias of it) of a quarter its hotline has had approved."""
    return sa.exists().where(_approved_quarter_of(stat, HotlineQuarter))


def with_counted(
    query: sa.Select[Any], stat: Any = HotlineStatistic
) -> tuple[sa.Select[Any], sa.ColumnElement[bool]]:
    """``query`` (over ``stat``) outer-joined to each value's approved quarter, and the
    column that is ``counted`` for its rows: for a statement that needs the counted values and
    the others in one pass (at most one quarter per value: unique per hotline and start)."""
    approved = aliased(HotlineQuarter, name="approved_quarter")
    joined = query.outerjoin(approved, _approved_quarter_of(stat, approved))
    return joined, approved.id.is_not(None)


# --- the deadline ----------------------------------------------------------------------------


def deadline_days() -> int:
    """Days after a quarter's end by which hotlines submit it (the STATISTICS_DEADLINE_DAYS
    setting; its default outside an application)."""
    if has_app_context():
        return int(current_app.config.get("STATISTICS_DEADLINE_DAYS", STATISTICS_DEADLINE_DAYS))
    return STATISTICS_DEADLINE_DAYS


def deadline_of(end: date, days: int | None = None) -> date:
    """The last day a quarter ending on ``end`` is submitted on time."""
    return end + timedelta(days=deadline_days() if days is None else days)


def submitted_by_deadline(end: date, days: int | None = None) -> datetime:
    """The first moment after the deadline day (submissions are stamped in UTC)."""
    return datetime.combine(deadline_of(end, days) + timedelta(days=1), time())


# --- a quarter's status ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuarterStatus:
    """Where one hotline's quarter stands, as pages (and the hotline's own page) show it."""

    hotline_id: int
    year: int
    quarter: int
    start: date
    end: date
    state: QuarterState
    record: HotlineQuarter | None
    missing: tuple[str, ...]  # names of the metrics in force without a value
    deadline: date
    ended: bool  # the quarter is over: its figures can be entered and submitted

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.year}"

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def locked(self) -> bool:
        return self.state == QuarterState.APPROVED

    @property
    def editable(self) -> bool:
        return self.ended and self.state in EDITABLE_STATES

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def can_submit(self) -> bool:
        return self.editable and self.complete

    @property
    def comment(self) -> str | None:
        return self.record.comment if self.record else None


def quarter_statuses(
    session: Session, *, hotline: Hotline, year: int, today: date
) -> list[QuarterStatus]:
    """The four quarters of ``year`` for the hotline (three queries whatever the year)."""
    check_year(year, today=today)
    first, last = quarter_bounds(year, 1)[0], quarter_bounds(year, 4)[1]
    rows = {
        row.period_start: row
        for row in session.scalars(
            sa.select(HotlineQuarter)
            .where(
                HotlineQuarter.hotline_id == hotline.id,
                HotlineQuarter.period_start.between(first, last),
            )
            .options(
                selectinload(HotlineQuarter.submitted_by), selectinload(HotlineQuarter.decided_by)
            )
        )
    }
    # The metric codes with a value per quarter (any period kind inside the quarter).
    filled: dict[int, set[str]] = {q: set() for q in QUARTERS}
    for start, code in session.execute(
        sa.select(HotlineStatistic.period_start, MetricDefinition.code)
        .join(MetricDefinition, MetricDefinition.id == HotlineStatistic.metric_id)
        .where(
            HotlineStatistic.hotline_id == hotline.id,
            HotlineStatistic.period_start.between(first, last),
        )
    ):
        filled[(start.month - 1) // 3 + 1].add(code)
    statuses = []
    for q in QUARTERS:
        start, end = quarter_bounds(year, q)
        row = rows.get(start)
        asked = metrics_in_force(session, on=start)  # the versions in force that quarter
        statuses.append(
            QuarterStatus(
                hotline_id=hotline.id,
                year=year,
                quarter=q,
                start=start,
                end=end,
                state=QuarterState(row.state) if row else QuarterState.DRAFT,
                record=row,
                missing=tuple(m.name for m in asked if m.code not in filled[q]),
                deadline=deadline_of(end),
                ended=end < today,
            )
        )
    return statuses


def quarter_status(
    session: Session, *, hotline: Hotline, year: int, quarter: int, today: date | None = None
) -> QuarterStatus:
    """One quarter's status (``quarter_statuses`` of its year, picked)."""
    _check_quarter(quarter)
    today = today or date.today()
    return quarter_statuses(session, hotline=hotline, year=year, today=today)[quarter - 1]


def _check_quarter(quarter: int) -> None:
    if quarter not in QUARTERS:
        raise ValidationError("quarter", "The quarter is 1, 2, 3 or 4.")


def states_of(session: Session, *, hotline_id: int, starts: Sequence[date]) -> dict[date, str]:
    """The state label of each of the hotline's quarters (first days ``starts``)."""
    rows = session.execute(
        sa.select(HotlineQuarter.period_start, HotlineQuarter.state).where(
            HotlineQuarter.hotline_id == hotline_id, HotlineQuarter.period_start.in_(starts)
        )
    )
    found = {start: STATE_LABELS[QuarterState(state)] for start, state in rows}
    return {start: found.get(start, STATE_LABELS[QuarterState.DRAFT]) for start in starts}


def get_quarter(session: Session, quarter_id: int) -> HotlineQuarter:
    obj: HotlineQuarter = records.get_or_404(
        session, HotlineQuarter, quarter_id, what="hotline quarter"
    )
    return obj


def find_quarter(
    session: Session, *, hotline_id: int, year: int, quarter: int
) -> HotlineQuarter | None:
    _check_quarter(quarter)
    return session.scalars(
        sa.select(HotlineQuarter).where(
            HotlineQuarter.hotline_id == hotline_id,
            HotlineQuarter.period_start == quarter_bounds(year, quarter)[0],
        )
    ).one_or_none()


# --- the moves -------------------------------------------------------------------------------


def _require_manager(actor: User, what: str) -> None:
    if not actor.has_role(Role.MANAGER):
        raise Forbidden(f"Only a manager can {what} a hotline's quarter.")


def _expect(record: HotlineQuarter, states: Sequence[QuarterState], what: str) -> None:
    state = QuarterState(record.state)
    if state not in states:
        raise ValidationError(
            "state", f"{record.label} is {STATE_LABELS[state].lower()}: it cannot be {what}."
        )


def _text(raw: str | None, field: str, what: str) -> str:
    text = (raw or "").strip()
    if not text:
        raise ValidationError(field, f"Give {what}.")
    if len(text) > COMMENT_MAX:
        raise ValidationError(field, f"At most {COMMENT_MAX} characters.")
    return text


def submit_quarter(
    session: Session,
    *,
    hotline: Hotline,
    year: int,
    quarter: int,
    actor: User,
    today: date | None = None,
) -> HotlineQuarter:
    """Submit the hotline's quarter for review: it must have ended, be open (a draft, returned
    or reopened) and hold a value for every metric in force. A manager may submit on a
    hotline's behalf; a viewer may not. Refused: ``ValidationError``, nothing written."""
    if actor.role == Role.VIEWER:
        raise Forbidden("A viewer cannot submit a hotline's quarter.")
    today = today or date.today()
    _check_quarter(quarter)
    if not FIRST_YEAR <= year <= 9999:
        raise ValidationError("year", f"Statistics are kept from {FIRST_YEAR} on.")
    end = quarter_bounds(year, quarter)[1]
    if end >= today:
        raise ValidationError(
            "quarter", f"Q{quarter} {year} ends on {end.isoformat()}: submit it after that."
        )
    if hotline.archived_at is not None:
        raise ValidationError(None, "This hotline is archived: its quarters can no longer change.")
    status = quarter_status(session, hotline=hotline, year=year, quarter=quarter, today=today)
    if status.state not in EDITABLE_STATES:
        raise ValidationError("state", closed_message(status.label, status.state))
    if status.missing:
        raise ValidationError(
            "quarter",
            f"{status.label} is incomplete: enter {', '.join(status.missing)} before submitting.",
        )
    now = utcnow()
    record = status.record
    if record is None:
        record = HotlineQuarter(hotline_id=hotline.id, period_start=status.start, period_end=end)
        session.add(record)
    record.state = QuarterState.SUBMITTED
    record.submitted_at = now
    record.first_submitted_at = record.first_submitted_at or now
    record.submitted_by_id = actor.id
    session.flush()
    return record


def _decide(
    session: Session,
    record: HotlineQuarter,
    *,
    actor: User,
    move: tuple[str, QuarterState, QuarterState],
    comment: str | None = None,
) -> HotlineQuarter:
    """A manager's decision on a quarter: ``move`` is (what, from state, to state)."""
    what, source, target = move
    _require_manager(actor, what)
    _expect(record, (source,), f"{what}d" if what.endswith("e") else f"{what}ed")
    record.state = target
    record.decided_at = utcnow()
    record.decided_by_id = actor.id
    record.comment = comment
    session.flush()
    return record


def approve_quarter(session: Session, *, record: HotlineQuarter, actor: User) -> HotlineQuarter:
    """Approve a submitted quarter: its figures count and are locked."""
    move = ("approve", QuarterState.SUBMITTED, QuarterState.APPROVED)
    return _decide(session, record, actor=actor, move=move)


def return_quarter(
    session: Session, *, record: HotlineQuarter, actor: User, comment: str | None
) -> HotlineQuarter:
    """Return a submitted quarter to the hotline, saying what to correct."""
    _require_manager(actor, "return")
    text = _text(comment, "comment", "a comment: what should the hotline correct?")
    move = ("return", QuarterState.SUBMITTED, QuarterState.RETURNED)
    return _decide(session, record, actor=actor, move=move, comment=text)


def reopen_quarter(
    session: Session, *, record: HotlineQuarter, actor: User, reason: str | None
) -> HotlineQuarter:
    """Unlock an approved quarter for correction, with the reason; its figures stop counting
    until it is approved again."""
    _require_manager(actor, "reopen")
    text = _text(reason, "reason", "the reason for reopening the quarter")
    move = ("reopen", QuarterState.APPROVED, QuarterState.REOPENED)
    return _decide(session, record, actor=actor, move=move, comment=text)


# --- the review queue ------------------------------------------------------------------------


def review_queue_select() -> sa.Select[Any]:
    """Submitted quarters, the longest waiting first."""
    return (
        sa.select(HotlineQuarter)
        .where(HotlineQuarter.state == QuarterState.SUBMITTED.value)
        .order_by(HotlineQuarter.submitted_at, HotlineQuarter.id)
    )


def review_queue(session: Session, *, limit: int = 200) -> list[HotlineQuarter]:
    return list(
        session.scalars(
            review_queue_select()
            .limit(limit)
            .options(
                selectinload(HotlineQuarter.hotline).selectinload(Hotline.country),
                selectinload(HotlineQuarter.submitted_by),
            )
        )
    )


def review_queue_count(session: Session) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count()).select_from(review_queue_select().order_by(None).subquery())
        )
        or 0
    )
