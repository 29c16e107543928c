"""Completeness and timeliness of the member hotlines' quarters (DHIS2's reporting rates): of
the hotlines that were provisional or full members on a quarter's last day, how many submitted
it, and how many by the deadline (``quarters.deadline_of``); and the hotlines late with the
last complete quarter, for needs-attention.

Submitted means submitted at least once (a returned quarter was submitted), or approved; the
first submission decides timeliness. Quarters approved when sign-off began carry no submission
date: their timeliness is unknown and left out of the on-time share's base.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network import membership
from coordapp.network.models import COVERING_STATUSES, Hotline
from coordapp.reference.models import Country
from coordapp.stats.models import HotlineQuarter, QuarterState
from coordapp.stats.periods import QUARTERS, last_complete_quarter, quarter_bounds
from coordapp.stats.quarters import deadline_of, submitted_by_deadline


@dataclass(frozen=True, slots=True)
class QuarterRates:
    year: int
    quarter: int
    deadline: date
    members: int  # member hotlines on the quarter's last day
    submitted: int
    on_time: int
    undated: int  # approved without a recorded submission (before sign-off began)

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.year}"

    @property
    def completeness(self) -> float | None:
        """Share of the member hotlines that submitted, 0 to 1 (None: no member)."""
        return self.submitted / self.members if self.members else None

    @property
    def timeliness(self) -> float | None:
        """Share submitted by the deadline, of the members whose submission date is known."""
        base = self.members - self.undated
        return self.on_time / base if base > 0 else None


def _members(on: date) -> sa.ColumnElement[bool]:
    return sa.and_(Hotline.archived_at.is_(None), membership.is_member_on(Hotline.id, on))


def quarter_rates(
    session: Session, *, year: int, quarter: int, region: str | None = None
) -> QuarterRates:
    """Completeness and timeliness of one quarter (optionally of one region's hotlines)."""
    (rates,) = _rates(session, [(year, quarter)], region=region)
    return rates


def rates_by_quarter(
    session: Session, *, first_year: int, last_year: int, today: date, region: str | None = None
) -> tuple[QuarterRates, ...]:
    """Per ended quarter of the years chosen, its completeness and timeliness."""
    last = last_complete_quarter(today)
    wanted = [
        (year, quarter)
        for year in range(first_year, last_year + 1)
        for quarter in QUARTERS
        if (year, quarter) <= last
    ]
    return _rates(session, wanted, region=region)


def _rates(
    session: Session, wanted: list[tuple[int, int]], *, region: str | None
) -> tuple[QuarterRates, ...]:
    """The quarters ``wanted`` (year, quarter) in one statement: the members on each quarter's
    last day from the hotlines' membership spans (``membership.membership_spans``: one pass
    over the events for every quarter, not a look-up per hotline and quarter), each with its
    quarter's sign-off row if any."""
    if not wanted:
        return ()
    bounds = [quarter_bounds(year, quarter) for year, quarter in wanted]
    periods = _periods(session, bounds)
    spans = membership.membership_spans(active_only=True)
    q = HotlineQuarter
    ever_submitted = sa.or_(q.first_submitted_at.is_not(None), q.state == QuarterState.APPROVED)
    on_time = q.first_submitted_at < periods.c.late_from
    undated = sa.and_(q.first_submitted_at.is_(None), q.state == QuarterState.APPROVED)

    def count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
        return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)

    query = (
        sa.select(
            periods.c.start,
            sa.func.count(spans.c.hotline_id),
            count(ever_submitted),
            count(on_time),
            count(undated),
        )
        .select_from(periods)
        .join(
            spans,
            sa.and_(
                membership.span_holds(spans, periods.c.end),
                spans.c.status.in_([s.value for s in COVERING_STATUSES]),
            ),
        )
        .outerjoin(
            q, sa.and_(q.hotline_id == spans.c.hotline_id, q.period_start == periods.c.start)
        )
        .group_by(periods.c.start)
    )
    if region:
        query = (
            query.join(Hotline, Hotline.id == spans.c.hotline_id)
            .join(Country, Country.alpha2 == Hotline.country_code)
            .where(Country.region == region)
        )
    # Each quarter's counts, selected in the order QuarterRates declares them (members,
    # submitted, on_time, undated); a quarter without a member hotline has no row.
    found = {
        (start if isinstance(start, date) else date.fromisoformat(str(start))): tuple(
            map(int, counts)
        )
        for start, *counts in session.execute(query)
    }
    return tuple(
        QuarterRates(year, quarter, deadline_of(end), *found.get(start, (0, 0, 0, 0)))
        for (year, quarter), (start, end) in zip(wanted, bounds, strict=True)
    )


def _periods(session: Session, bounds: list[tuple[date, date]]) -> Any:
    """The quarters as rows (start, end, late_from). On PostgreSQL a VALUES list, which the
    planner knows the length of: a UNION ALL of literals is estimated at one row, and the
    members' range join then walked the spans' whole primary key once per quarter (the rates
    of 8 years at 100x: 208 -> 123 ms p50). SQLite has no column aliases for VALUES: the UNION
    ALL there."""
    rows = [(start, end, submitted_by_deadline(end)) for start, end in bounds]
    if session.get_bind().dialect.name == "postgresql":
        return sa.values(
            sa.column("start", sa.Date),
            sa.column("end", sa.Date),
            sa.column("late_from", sa.DateTime),
            name="periods",
        ).data(rows)
    return sa.union_all(
        *(
            sa.select(
                sa.literal(start, sa.Date).label("start"),
                sa.literal(end, sa.Date).label("end"),
                sa.literal(late_from, sa.DateTime).label("late_from"),
            )
            for start, end, late_from in rows
        )
    ).cte("periods")


def late_quarters_select(today: date) -> sa.Select[tuple[int, str, str | None]]:
    """Member hotlines that had not submitted the last complete quarter by its deadline, once
    the deadline has passed (nothing is late before): id, name, country, by name."""
    year, quarter = last_complete_quarter(today)
    start, end = quarter_bounds(year, quarter)
    submitted = sa.select(HotlineQuarter.hotline_id).where(
        HotlineQuarter.period_start == start,
        sa.or_(
            HotlineQuarter.first_submitted_at.is_not(None),
            HotlineQuarter.state == QuarterState.APPROVED,
        ),
    )
    country = sa.select(Country.name).where(Country.alpha2 == Hotline.country_code)
    return (
        sa.select(Hotline.id, Hotline.name, country.scalar_subquery().label("country"))
        .where(
            _members(end),
            Hotline.id.not_in(submitted),
            sa.true() if today > deadline_of(end) else sa.false(),
        )
        .order_by(Hotline.name, Hotline.id)
    )
