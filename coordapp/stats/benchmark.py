"""A hotline's own quarterly figures against the network's median, for the hotline's own page.

The median is computed in SQL (window functions, the same on SQLite and PostgreSQL) and only
the median leaves the database: never another hotline's value. With few hotlines reporting a
median would come close to naming one hotline's figure, so below ``MIN_HOTLINES_FOR_MEDIAN``
it is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network.models import Hotline
from coordapp.reference.models import MetricDefinition
from coordapp.stats.models import HotlineStatistic, PeriodKind

MIN_HOTLINES_FOR_MEDIAN = 5


@dataclass(frozen=True, slots=True)
class Comparison:
    metric: MetricDefinition
    own: Decimal
    median: Decimal | None  # None: too few hotlines reported this quarter to show one
    reporting: int  # hotlines with a value for this metric and quarter, the own one included


@dataclass(frozen=True, slots=True)
class QuarterComparison:
    period_start: date
    rows: list[Comparison]

    @property
    def label(self) -> str:
        return f"{self.period_start.year} Q{(self.period_start.month - 1) // 3 + 1}"


def latest_reported_quarter(session: Session, *, hotline_id: int) -> date | None:
    return session.scalar(
        sa.select(sa.func.max(HotlineStatistic.period_start)).where(
            HotlineStatistic.hotline_id == hotline_id,
            HotlineStatistic.period_kind == PeriodKind.QUARTER.value,
        )
    )


def compare_with_network(
    session: Session, *, hotline_id: int, period_start: date | None = None
) -> QuarterComparison | None:
    """The hotline's values of one quarter (default: its latest reported) next to the median of
    every active hotline's value for the same metric version and quarter."""
    start = period_start or latest_reported_quarter(session, hotline_id=hotline_id)
    if start is None:
        return None
    stat = HotlineStatistic
    in_quarter = sa.and_(stat.period_kind == PeriodKind.QUARTER.value, stat.period_start == start)
    own = {
        metric_id: value
        for metric_id, value in session.execute(
            sa.select(stat.metric_id, stat.value).where(in_quarter, stat.hotline_id == hotline_id)
        )
    }
    if not own:
        return QuarterComparison(period_start=start, rows=[])
    ranked = (
        sa.select(
            stat.metric_id,
            stat.value,
            sa.func.row_number()
            .over(partition_by=stat.metric_id, order_by=stat.value)
            .label("position"),
            sa.func.count().over(partition_by=stat.metric_id).label("reporting"),
        )
        .join(Hotline, Hotline.id == stat.hotline_id)
        .where(in_quarter, stat.metric_id.in_(list(own)), Hotline.archived_at.is_(None))
        .subquery("ranked")
    )
    # The middle value, or the mean of the two middle values (integer halves of n+1 and n+2).
    middle = sa.or_(
        ranked.c.position == (ranked.c.reporting + 1) // 2,
        ranked.c.position == (ranked.c.reporting + 2) // 2,
    )
    medians = {
        metric_id: (median, reporting)
        for metric_id, median, reporting in session.execute(
            sa.select(
                ranked.c.metric_id, sa.func.avg(ranked.c.value), sa.func.max(ranked.c.reporting)
            )
            .where(middle)
            .group_by(ranked.c.metric_id)
        )
    }
    metrics = session.scalars(
        sa.select(MetricDefinition)
        .where(MetricDefinition.id.in_(list(own)))
        .order_by(MetricDefinition.sort_order, MetricDefinition.code)
    )
    rows = []
    for metric in metrics:
        median, reporting = medians.get(metric.id, (None, 0))
        shown = None
        if median is not None and reporting >= MIN_HOTLINES_FOR_MEDIAN:
            shown = Decimal(str(median)).quantize(Decimal("0.01"))
        rows.append(
            Comparison(metric=metric, own=own[metric.id], median=shown, reporting=reporting)
        )
    return QuarterComparison(period_start=start, rows=rows)
