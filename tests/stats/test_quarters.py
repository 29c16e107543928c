"""A hotline's quarter: submit, return, approve (and lock), reopen; the figures that count;
completeness and timeliness."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent
from coordapp.auth import service as auth_service
from coordapp.auth.models import Role, User
from coordapp.errors import Forbidden, ValidationError
from coordapp.main import attention as main_service
from coordapp.network import membership
from coordapp.network.models import Hotline, MembershipStatus
from coordapp.stats import grid as stats_grid
from coordapp.stats import quarters, service, timeliness
from coordapp.stats.models import HotlineQuarter, HotlineStatistic, PeriodKind, QuarterState
from coordapp.stats.periods import quarter_bounds
from tests import factories
from tests.stats.helpers import AFTER_2026, FULL, A, D, F, P, R, member, statistic, stored

P_, S_ = MembershipStatus.PROVISIONAL, MembershipStatus.SUSPENDED


def user(session: Session, role: Role) -> User:
    known = auth_service.get_by_email(session, f"{role.value}-q@test.example")
    if known is not None:
        return known
    return auth_service.create_user(
        session,
        email=f"{role.value}-q@test.example",
        full_name=f"Quarter {role.value}",
        role=role,
        password="a long enough password",
    )


def enter(session: Session, hotline: Hotline, quarter: int, values: dict[str, str]) -> None:
    stats_grid.save_quarter_grid(
        session,
        hotline=hotline,
        year=2026,
        values={(code, quarter): v for code, v in values.items()},
        today=AFTER_2026,
    )


def submit(
    session: Session,
    hotline: Hotline,
    *,
    year: int = 2026,
    quarter: int = 2,
    role: Role = Role.MANAGER,
    today: date = AFTER_2026,
) -> HotlineQuarter:
    return quarters.submit_quarter(
        session, hotline=hotline, year=year, quarter=quarter, actor=user(session, role), today=today
    )


def submitted(session: Session, hotline: Hotline, quarter: int = 2) -> HotlineQuarter:
    enter(session, hotline, quarter, FULL)
    return submit(session, hotline, quarter=quarter)


def status(session: Session, hotline: Hotline, quarter: int = 2) -> quarters.QuarterStatus:
    return quarters.quarter_status(
        session, hotline=hotline, year=2026, quarter=quarter, today=AFTER_2026
    )


# --- submit ----------------------------------------------------------------------------------


def test_a_complete_quarter_is_submitted_and_awaits_review(session: Session) -> None:
    hotline = member(session)
    record = submitted(session, hotline)
    assert record.state == QuarterState.SUBMITTED
    assert record.submitted_at is not None and record.first_submitted_at == record.submitted_at
    now = status(session, hotline)
    assert now.state == QuarterState.SUBMITTED and not now.editable and not now.locked
    assert quarters.review_queue(session) == [record]


def test_submitting_an_incomplete_quarter_is_refused_naming_what_is_missing(
    session: Session,
) -> None:
    hotline = member(session)
    enter(session, hotline, 2, {R: "1000", A: "600"})
    with pytest.raises(ValidationError) as refused:
        submit(session, hotline)
    assert "incomplete" in refused.value.message
    assert "forwarded" in refused.value.message.lower()
    assert session.scalar(sa.select(sa.func.count()).select_from(HotlineQuarter)) == 0


@pytest.mark.parametrize(
    ("year", "quarter", "today"),
    [(2026, 4, date(2026, 12, 31)), (2027, 1, AFTER_2026), (2030, 2, AFTER_2026)],
)
def test_a_quarter_not_yet_ended_cannot_be_submitted(
    session: Session, year: int, quarter: int, today: date
) -> None:
    hotline = member(session)
    with pytest.raises(ValidationError) as refused:
        submit(session, hotline, year=year, quarter=quarter, today=today)
    assert "submit it after that" in refused.value.message
    assert session.scalar(sa.select(sa.func.count()).select_from(HotlineQuarter)) == 0


def test_a_future_quarter_takes_no_figures(session: Session) -> None:
    hotline = member(session)
    with pytest.raises(stats_grid.GridInvalid) as refused:
        stats_grid.save_quarter_grid(
            session, hotline=hotline, year=2026, values={(R, 4): "5"}, today=date(2026, 11, 1)
        )
    assert "enter its figures after that" in refused.value.errors[(R, 4)]
    assert stored(session, hotline) == {}


def test_a_viewer_cannot_submit(session: Session) -> None:
    hotline = member(session)
    enter(session, hotline, 2, FULL)
    with pytest.raises(Forbidden):
        submit(session, hotline, role=Role.VIEWER)
    assert quarters.find_quarter(session, hotline_id=hotline.id, year=2026, quarter=2) is None


def test_a_submitted_quarter_cannot_be_submitted_again(session: Session) -> None:
    hotline = member(session)
    submitted(session, hotline)
    with pytest.raises(ValidationError, match="awaits review"):
        submit(session, hotline, role=Role.ADMIN)


def test_a_metric_defined_after_the_quarter_is_not_asked_for(session: Session) -> None:
    hotline = member(session)
    metric = next(m for m in service.latest_metrics(session) if m.code == P)
    metric.valid_from = date(2026, 7, 1)
    session.flush()
    enter(session, hotline, 2, {R: "1000", A: "600", F: "500", D: "2"})
    assert status(session, hotline).complete
    assert not status(session, hotline, 3).complete


# --- review ----------------------------------------------------------------------------------


def test_approving_locks_the_quarter_against_edits_and_deletion(session: Session) -> None:
    hotline = member(session)
    record = submitted(session, hotline)
    quarters.approve_quarter(session, record=record, actor=user(session, Role.MANAGER))
    assert status(session, hotline).locked
    before = stored(session, hotline)
    for change in ({(R, 2): "1001"}, {(P, 2): ""}):
        with pytest.raises(stats_grid.GridInvalid) as refused:
            stats_grid.save_quarter_grid(
                session, hotline=hotline, year=2026, values=change, today=AFTER_2026
            )
        [message] = refused.value.errors.values()
        assert "approved and locked" in message and "reopen" in message
    assert stored(session, hotline) == before
    # The same values again, and other quarters, are not edits of the locked one.
    stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2026, values={(R, 2): "1000", (R, 1): "7"}, today=AFTER_2026
    )
    assert stored(session, hotline)[(R, 1)] == 7


def test_a_submitted_quarter_takes_no_edits_until_returned(session: Session) -> None:
    hotline = member(session)
    record = submitted(session, hotline)
    with pytest.raises(stats_grid.GridInvalid, match="not accepted") as refused:
        stats_grid.save_quarter_grid(
            session, hotline=hotline, year=2026, values={(R, 2): "1"}, today=AFTER_2026
        )
    assert "awaits review" in refused.value.errors[(R, 2)]
    quarters.return_quarter(
        session, record=record, actor=user(session, Role.MANAGER), comment="Q2 received is low"
    )
    assert status(session, hotline).comment == "Q2 received is low"
    enter(session, hotline, 2, {R: "1200"})
    again = submit(session, hotline, role=Role.ADMIN)
    assert again.id == record.id and again.state == QuarterState.SUBMITTED
    assert again.first_submitted_at is not None and again.first_submitted_at <= again.submitted_at


@pytest.mark.parametrize("role", [Role.VIEWER])
def test_below_manager_nobody_approves_returns_or_reopens(session: Session, role: Role) -> None:
    hotline = member(session)
    record = submitted(session, hotline)
    actor = user(session, role)
    with pytest.raises(Forbidden):
        quarters.approve_quarter(session, record=record, actor=actor)
    with pytest.raises(Forbidden):
        quarters.return_quarter(session, record=record, actor=actor, comment="no")
    assert record.state == QuarterState.SUBMITTED
    quarters.approve_quarter(session, record=record, actor=user(session, Role.MANAGER))
    with pytest.raises(Forbidden):
        quarters.reopen_quarter(session, record=record, actor=actor, reason="typo")
    assert record.state == QuarterState.APPROVED


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_return_needs_a_comment_and_reopen_a_reason(session: Session, blank: str | None) -> None:
    hotline = member(session)
    record = submitted(session, hotline)
    manager = user(session, Role.MANAGER)
    with pytest.raises(ValidationError, match="comment"):
        quarters.return_quarter(session, record=record, actor=manager, comment=blank)
    quarters.approve_quarter(session, record=record, actor=manager)
    with pytest.raises(ValidationError, match="reason"):
        quarters.reopen_quarter(session, record=record, actor=manager, reason=blank)
    assert status(session, hotline).locked


def test_only_a_submitted_quarter_is_approved_or_returned(session: Session) -> None:
    hotline = member(session)
    record = submitted(session, hotline)
    manager = user(session, Role.MANAGER)
    quarters.approve_quarter(session, record=record, actor=manager)
    with pytest.raises(ValidationError, match="cannot be approved"):
        quarters.approve_quarter(session, record=record, actor=manager)
    with pytest.raises(ValidationError, match="cannot be returned"):
        quarters.return_quarter(session, record=record, actor=manager, comment="late")
    quarters.reopen_quarter(session, record=record, actor=manager, reason="Hotline found a typo")
    with pytest.raises(ValidationError, match="cannot be reopened"):
        quarters.reopen_quarter(session, record=record, actor=manager, reason="again")


def test_a_reopened_quarter_takes_edits_and_every_move_is_audited(session: Session) -> None:
    hotline = member(session)
    record = submitted(session, hotline)
    manager = user(session, Role.MANAGER)
    quarters.approve_quarter(session, record=record, actor=manager)
    quarters.reopen_quarter(session, record=record, actor=manager, reason="Typo in Q2 received")
    enter(session, hotline, 2, {R: "1100"})
    assert stored(session, hotline)[(R, 2)] == 1100
    states = [
        (e.changes or {}).get("state")
        for e in session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.entity_type == "hotline_quarters",
                AuditEvent.entity_id == str(record.id),
            )
            .order_by(AuditEvent.id)
        )
    ]
    assert [s[-1] if isinstance(s, list) else s for s in states] == [
        "submitted",
        "approved",
        "reopened",
    ]


# --- the figures that count ------------------------------------------------------------------


def test_only_approved_quarters_figures_count(session: Session) -> None:
    first, second = member(session, "NL"), member(session, "DE")
    approved = submitted(session, first)
    quarters.approve_quarter(session, record=approved, actor=user(session, Role.MANAGER))
    enter(session, second, 2, FULL)
    counted = session.scalars(
        sa.select(HotlineStatistic.hotline_id).where(quarters.counted()).distinct()
    ).all()
    assert counted == [first.id]


def test_a_value_counts_with_its_calendar_quarter_monthly_or_quarterly(session: Session) -> None:
    """A value belongs to the quarter holding its first day (months included, across the
    year's turn); ``counted`` and the joined ``with_counted`` column agree on every value."""
    hotline = member(session, "NL")
    for start, end, state in (
        (date(2024, 10, 1), date(2024, 12, 31), QuarterState.APPROVED),
        (date(2025, 1, 1), date(2025, 3, 31), QuarterState.SUBMITTED),
        (date(2025, 4, 1), date(2025, 6, 30), QuarterState.APPROVED),
        (date(2025, 7, 1), date(2025, 9, 30), QuarterState.REOPENED),
    ):
        session.add(
            HotlineQuarter(hotline_id=hotline.id, period_start=start, period_end=end, state=state)
        )
    month = PeriodKind.MONTH
    values = {
        date(2024, 12, 1): statistic(
            session, hotline, R, date(2024, 12, 1), date(2024, 12, 31), "1", month
        ),
        date(2025, 1, 1): statistic(
            session, hotline, R, date(2025, 1, 1), date(2025, 1, 31), "2", month
        ),
        date(2025, 4, 1): statistic(session, hotline, A, date(2025, 4, 1), date(2025, 6, 30), "3"),
        date(2025, 6, 1): statistic(
            session, hotline, R, date(2025, 6, 1), date(2025, 6, 30), "4", month
        ),
        date(2025, 9, 1): statistic(
            session, hotline, R, date(2025, 9, 1), date(2025, 9, 30), "5", month
        ),
        date(2025, 11, 1): statistic(
            session, hotline, R, date(2025, 11, 1), date(2025, 11, 30), "6", month
        ),
    }
    counted = set(
        session.scalars(sa.select(HotlineStatistic.period_start).where(quarters.counted()))
    )
    assert counted == {date(2024, 12, 1), date(2025, 4, 1), date(2025, 6, 1)}
    joined, is_counted = quarters.with_counted(
        sa.select(HotlineStatistic.period_start, HotlineStatistic.id)
    )
    flags = {
        start: bool(flag) for start, _, flag in session.execute(joined.add_columns(is_counted))
    }
    assert flags == {start: start in counted for start in values}


def test_rates_of_many_quarters_in_one_statement_follow_each_quarters_membership(
    session: Session,
) -> None:
    """``rates_by_quarter`` counts as members, per quarter, the hotlines whose status on the
    quarter's last day is provisional or full (``membership_status_on``): joined mid-year,
    suspended, admitted twice on one day, archived (never)."""
    steady = member(session, "NL")
    joined = factories.hotline(
        session,
        country="DE",
        events=[(date(2025, 2, 1), MembershipStatus.APPLICANT), (date(2025, 5, 10), P_)],
    )
    suspended = factories.hotline(
        session,
        country="FR",
        events=[(date(2015, 1, 1), MembershipStatus.FULL), (date(2025, 9, 30), S_)],
    )
    same_day = factories.hotline(
        session,
        country="BE",
        events=[(date(2025, 3, 31), MembershipStatus.APPLICANT), (date(2025, 3, 31), P_)],
    )
    gone = member(session, "AT")
    gone.archived_at = datetime(2025, 1, 1)
    _submit_on(session, steady, datetime(2026, 7, 1))
    session.flush()
    hotlines = [steady, joined, suspended, same_day, gone]
    rates = timeliness.rates_by_quarter(
        session, first_year=2025, last_year=2026, today=date(2026, 8, 1)
    )
    assert [(r.year, r.quarter) for r in rates] == [(2025, q) for q in (1, 2, 3, 4)] + [
        (2026, 1),
        (2026, 2),
    ]
    for r in rates:
        end = quarter_bounds(r.year, r.quarter)[1]
        expected = sum(
            1
            for h in hotlines
            if h.archived_at is None
            and membership.membership_status_on(session, hotline_id=h.id, on=end)
            in (MembershipStatus.PROVISIONAL, MembershipStatus.FULL)
        )
        assert r.members == expected, r.label
        assert r == timeliness.quarter_rates(session, year=r.year, quarter=r.quarter)
    assert [r.members for r in rates] == [3, 4, 3, 3, 3, 3]
    assert (rates[-1].submitted, rates[-1].on_time) == (1, 1)
    europe = timeliness.rates_by_quarter(
        session, first_year=2026, last_year=2026, today=date(2026, 8, 1), region="Europe"
    )
    assert [r.members for r in europe] == [3, 3]
    assert timeliness.rates_by_quarter(
        session, first_year=2026, last_year=2026, today=date(2026, 8, 1), region="Oceania"
    ) == tuple(dataclasses.replace(r, members=0, submitted=0, on_time=0) for r in europe)


# --- completeness and timeliness -------------------------------------------------------------


def _submit_on(session: Session, hotline: Hotline, when: datetime) -> HotlineQuarter:
    record = submitted(session, hotline)
    record.first_submitted_at = record.submitted_at = when
    session.flush()
    return record


def test_completeness_and_timeliness_of_a_quarter(session: Session) -> None:
    on_time, late, silent = member(session, "NL"), member(session, "DE"), member(session, "FR")
    deadline = quarters.deadline_of(date(2026, 6, 30))
    assert deadline == date(2026, 7, 30)
    _submit_on(session, on_time, datetime(2026, 7, 30, 23, 59))
    _submit_on(session, late, datetime(2026, 7, 31, 0, 1))
    rates = timeliness.quarter_rates(session, year=2026, quarter=2)
    assert silent.id and (rates.members, rates.submitted, rates.on_time) == (3, 2, 1)
    assert rates.completeness == pytest.approx(2 / 3)
    assert rates.timeliness == pytest.approx(1 / 3)


def test_late_hotlines_appear_only_after_the_deadline(session: Session) -> None:
    quiet, done = member(session, "NL"), member(session, "DE")
    _submit_on(session, done, datetime(2026, 7, 2))
    before = date(2026, 7, 30)  # the deadline of Q2 2026 itself
    after = before + timedelta(days=1)
    assert quiet.id not in session.scalars(timeliness.late_quarters_select(before)).all()
    late = session.scalars(timeliness.late_quarters_select(after)).all()
    assert quiet.id in late and done.id not in late


# --- needs attention -------------------------------------------------------------------------


def test_needs_attention_lists_quarters_awaiting_review_and_late_hotlines(
    session: Session,
) -> None:
    waiting, late = member(session, "NL"), member(session, "DE")
    record = submitted(session, waiting)
    today = date(2026, 8, 15)  # Q2 2026's deadline (30 July) has passed
    review = main_service.QUARTERS_AWAITING_REVIEW.section(session, today=today)
    assert [(i.record_id, i.endpoint) for i in review.items] == [
        (record.id, "quarters.quarters_detail")
    ]
    overdue = main_service.LATE_QUARTERS.section(session, today=today)
    assert [i.record_id for i in overdue.items] == [late.id]
    assert "Q2 2026" in overdue.title and "2026-07-30" in overdue.rule
    quarters.approve_quarter(session, record=record, actor=user(session, Role.MANAGER))
    assert main_service.QUARTERS_AWAITING_REVIEW.section(session, today=today).count == 0
