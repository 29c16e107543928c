"""One definition per figure of the partnerships: in force, status on a day, renewals due.

Every surface that counts or shows these (home, the needs-attention list, the partnerships list
and its export, the API list, the Overview and Partnerships dashboards, the pillar indicators and
the board pack) calls the functions below and nothing else.

* The end date is an agreement's last day in force, whatever its status; a missing start date
  counts as started, a missing end date as open-ended.
* **In force on a day**: not archived, started on or before the day, and either active and not
  past its end date, or since ended / lapsed with an end date on or after the day (so a past day
  counts the agreements that were running then; ending an agreement sets its end date to the day
  it took effect, which is therefore its last day in force).
* **Expired on a day**: still recorded as active, but its end date is before the day. Nothing is
  written: the status is derived each time it is asked for. An expired agreement is not in force
  and not "renewal due"; it is listed once, as "ended without a decision", until someone records
  one (a status change to ended or lapsed, or a renewal that moves the end date).
* **Renewal date**: end date minus the notice period. **Renewals due on a day**: in force and
  active, with a renewal date before the day (overdue) or within ``RENEWAL_WINDOW_DAYS`` after it.
  Expired agreements are never counted here (see above), so no agreement is counted twice.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from coordapp.labels import label
from coordapp.partners.models import (
    Partnership,
    PartnershipStatus,
)

RENEWAL_WINDOW_DAYS = 90


class _DaysBefore(FunctionElement[date]):
    """``day`` minus ``days`` days, in each database's own date arithmetic."""

    type = sa.Date()
    inherit_cache = True
    name = "days_before"


@compiles(_DaysBefore)
def _days_before_default(element: _DaysBefore, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"({compiler.process(day, **kw)} - {compiler.process(days, **kw)})"


@compiles(_DaysBefore, "sqlite")
def _days_before_sqlite(element: _DaysBefore, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '-' || {compiler.process(days, **kw)} || ' days')"


#
# Every surface that counts or shows these (home, the needs-attention list, the partnerships
# list and its export, the API list, the Overview and Partnerships dashboards, the pillar
# indicators and the board pack) calls the functions below and nothing else.
#
# * The end date is an agreement's last day in force, whatever its status; a missing start date
#   counts as started, a missing end date as open-ended.
# * **In force on a day**: not archived, started on or before the day, and either active and
#   not past its end date, or since ended / lapsed with an end date on or after the day (so a
#   past day counts the agreements that were running then; ending an agreement sets its end
#   date to the day it took effect, which is therefore its last day in force).
# * **Expired on a day**: still recorded as active, but its end date is before the day. Nothing
#   is written: the status is derived each time it is asked for. An expired agreement is not in
#   force and not "renewal due"; it is listed once, as "ended without a decision", until someone
#   records one (a status change to ended or lapsed, or a renewal that moves the end date).
# * **Renewal date**: end date minus the notice period. **Renewals due on a day**: in force and
#   active, with a renewal date before the day (overdue) or within ``RENEWAL_WINDOW_DAYS`` after
#   it. Expired agreements are never counted here (see above), so no agreement is counted twice.


class AgreementState(enum.StrEnum):
    """A partnership's status on a given day: its stored status read against its dates."""

    PROSPECT = "prospect"
    NEGOTIATING = "negotiating"
    NOT_STARTED = "not_started"  # active, but its start date is still ahead
    ACTIVE = "active"  # in force (see ``in_force_condition``)
    EXPIRED = "expired"  # recorded as active, end date passed, no decision recorded
    ENDED = "ended"
    LAPSED = "lapsed"


AGREEMENT_STATE_LABELS = {
    AgreementState.ACTIVE: "Active (in force)",
    AgreementState.NOT_STARTED: "Active, not started yet",
    AgreementState.EXPIRED: "Expired (end date passed)",
}
IN_FORCE_LABEL = "Partnerships in force"
RENEWALS_DUE_LABEL = "Renewals due"
EXPIRED_LABEL = "Ended without a decision"


def agreement_state_label(state: AgreementState) -> str:
    return AGREEMENT_STATE_LABELS.get(state, label(state))


def agreement_state_choices(session: Session | None = None) -> list[tuple[str, str]]:
    """Every state today as (value, label), in order: a list filter's choices."""
    return [(state.value, agreement_state_label(state)) for state in AgreementState]


_ACTIVE = PartnershipStatus.ACTIVE.value
_WAS_RUNNING = [
    PartnershipStatus.ACTIVE.value,
    PartnershipStatus.ENDED.value,
    PartnershipStatus.LAPSED.value,
]


def _running_condition(on: Any) -> sa.ColumnElement[bool]:
    """In force on ``on`` apart from archiving (``on``: a date or a date-valued expression)."""
    return sa.and_(
        sa.or_(Partnership.start_date.is_(None), Partnership.start_date <= on),
        sa.or_(
            sa.and_(Partnership.status == _ACTIVE, Partnership.end_date.is_(None)),
            sa.and_(Partnership.status.in_(_WAS_RUNNING), Partnership.end_date >= on),
        ),
    )


def in_force_condition(on: date) -> sa.ColumnElement[bool]:
    """THE definition of "partnerships in force" on ``on`` (any day, past or future): a WHERE
    condition over ``Partnership`` (see the rules above)."""
    return sa.and_(Partnership.archived_at.is_(None), _running_condition(on))


def count_in_force(session: Session, *, on: date) -> int:
    """The number of partnerships in force on ``on`` (the "Partnerships in force" figure)."""
    return _int(
        session.scalar(sa.select(sa.func.count(Partnership.id)).where(in_force_condition(on)))
    )


def expired_condition(on: date) -> sa.ColumnElement[bool]:
    """Unarchived agreements still recorded as active whose end date is before ``on``."""
    return sa.and_(
        Partnership.archived_at.is_(None),
        Partnership.status == _ACTIVE,
        Partnership.end_date < on,
    )


def count_expired(session: Session, *, on: date) -> int:
    """The number of agreements that ended without a decision, as of ``on``."""
    return _int(
        session.scalar(sa.select(sa.func.count(Partnership.id)).where(expired_condition(on)))
    )


def state_on_expression(on: Any) -> sa.ColumnElement[str]:
    """``AgreementState`` value of each partnership on ``on``, in SQL (twin of ``state_on``)."""
    return sa.case(
        (_running_condition(on), AgreementState.ACTIVE.value),
        (
            sa.and_(Partnership.status == _ACTIVE, Partnership.end_date < on),
            AgreementState.EXPIRED.value,
        ),
        (Partnership.status == _ACTIVE, AgreementState.NOT_STARTED.value),
        else_=sa.cast(Partnership.status, sa.String),
    )


def state_on(partnership: Partnership, on: date) -> AgreementState:
    """The Python twin of ``state_on_expression`` for one loaded record."""
    status, start, end = partnership.status, partnership.start_date, partnership.end_date
    started = start is None or start <= on
    if started and (
        (status == PartnershipStatus.ACTIVE and end is None)
        or (status.value in _WAS_RUNNING and end is not None and end >= on)
    ):
        return AgreementState.ACTIVE
    if status == PartnershipStatus.ACTIVE:
        expired = end is not None and end < on
        return AgreementState.EXPIRED if expired else AgreementState.NOT_STARTED
    return AgreementState(status.value)


def is_in_force(partnership: Partnership, on: date) -> bool:
    return partnership.archived_at is None and state_on(partnership, on) == AgreementState.ACTIVE


# The day to start renewal talks: end date minus the notice period, for active agreements only
# (an ended, lapsed or not yet active agreement has nothing to renew on time).
RENEWAL_DUE = sa.case(
    (
        Partnership.status == PartnershipStatus.ACTIVE,
        _DaysBefore(Partnership.end_date, Partnership.renewal_notice_days),
    ),
    else_=sa.null(),
)


def renewals_due_condition(on: date) -> sa.ColumnElement[bool]:
    """THE definition of "renewals due" on ``on``: in force and active, with an end date, and a
    renewal date (end date minus notice) before ``on`` (overdue) or at most
    ``RENEWAL_WINDOW_DAYS`` after it. Expired agreements are not included (see above)."""
    return sa.and_(
        in_force_condition(on),
        Partnership.status == _ACTIVE,
        Partnership.end_date.is_not(None),
        _DaysBefore(Partnership.end_date, Partnership.renewal_notice_days)
        <= on + timedelta(days=RENEWAL_WINDOW_DAYS),
    )


def count_renewals_due(session: Session, *, on: date) -> int:
    """The number of renewals due (overdue included) on ``on``."""
    return _int(
        session.scalar(sa.select(sa.func.count(Partnership.id)).where(renewals_due_condition(on)))
    )


def renewal_due_on(partnership: Partnership) -> date | None:
    """The Python twin of ``RENEWAL_DUE`` for one loaded record."""
    if partnership.status != PartnershipStatus.ACTIVE or partnership.end_date is None:
        return None
    return partnership.end_date - timedelta(days=partnership.renewal_notice_days)


def renewal_state(partnership: Partnership, *, today: date) -> str | None:
    """'overdue' or 'due' for an agreement counted in ``renewals_due_condition``, else None."""
    due = renewal_due_on(partnership)
    if due is None or not is_in_force(partnership, today):
        return None
    if due < today:
        return "overdue"
    if due <= today + timedelta(days=RENEWAL_WINDOW_DAYS):
        return "due"
    return None


def _int(value: Any) -> int:
    return int(value or 0)
