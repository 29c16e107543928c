"""Arranging hotline statistics for the stats tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network.models import Hotline, MembershipStatus
from coordapp.reference.models import MetricDefinition
from coordapp.stats import periods as stats_periods
from coordapp.stats import service
from coordapp.stats.models import HotlineStatistic, PeriodKind
from tests import factories

# The four metrics' codes: received, assessed, forwarded, removed within 3 days (percent).
R, A, F, P = (
    "reports_received",
    "reports_assessed_csam",
    "reports_forwarded",
    "removed_within_3_days_pct",
)
D = "median_days_to_removal"  # in force from 2020 (days)
# A quarter of 2026 with every metric in force filled in.
FULL = {R: "1000", A: "600", F: "500", P: "90", D: "2"}
# A day after 2026 has ended: every quarter of 2026 is open for entry.
AFTER_2026 = date(2027, 1, 15)


def member(session: Session, country: str = "NL", **kwargs: object) -> Hotline:
    return factories.hotline(
        session,
        country=country,
        events=[(date(2010, 1, 1), MembershipStatus.FULL)],
        **kwargs,  # type: ignore[arg-type]
    )


def metric(session: Session, code: str) -> MetricDefinition:
    return next(m for m in service.latest_metrics(session) if m.code == code)


def stored(session: Session, hotline: Hotline) -> dict[tuple[str, int], Decimal]:
    """What the database holds for the hotline: (metric code, quarter) -> value."""
    rows = session.execute(
        sa.select(MetricDefinition.code, HotlineStatistic.period_start, HotlineStatistic.value)
        .join(MetricDefinition, MetricDefinition.id == HotlineStatistic.metric_id)
        .where(HotlineStatistic.hotline_id == hotline.id)
    )
    return {(code, stats_periods.quarter_of(start)): value for code, start, value in rows}


def statistic(
    session: Session,
    hotline: Hotline,
    code: str,
    start: date,
    end: date,
    value: str,
    kind: PeriodKind = PeriodKind.QUARTER,
) -> HotlineStatistic:
    row = HotlineStatistic(
        hotline_id=hotline.id,
        metric_id=metric(session, code).id,
        period_kind=kind,
        period_start=start,
        period_end=end,
        value=Decimal(value),
    )
    session.add(row)
    session.flush()
    return row
