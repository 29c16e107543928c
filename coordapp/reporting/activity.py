"""Hotline activity: the aggregate statistics hotlines report, per quarter and per group."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network.models import Hotline
from coordapp.reference.models import Country, MetricDefinition, MetricUnit
from coordapp.reporting.common import as_date, as_decimal, in_years
from coordapp.stats import service as stats
from coordapp.stats.models import HotlineStatistic

ACTIVITY_TOP_GROUPS = 8
ACTIVITY_BAR_GROUPS = 25

GROUPINGS = ("network", "region", "country", "hotline")


@dataclass(frozen=True, slots=True)
class MetricInfo:
    code: str
    name: str
    unit: MetricUnit
    version: int
    definition: str

    @property
    def label(self) -> str:
        return f"{self.name} (definition v{self.version})"


@dataclass(frozen=True, slots=True)
class ActivityPoint:
    period_start: date
    group: str
    version: int
    value: Decimal
    hotlines: int
    # How many of the hotlines' values summed here are small (1 to ``small_below`` - 1): a sum
    # built on a value hidden from viewers is hidden too (coordapp.reporting.disclosed).
    small_values: int = 0


@dataclass(frozen=True, slots=True)
class ActivityFigures:
    metric: MetricInfo | None
    group_by: str
    first_year: int
    last_year: int
    region: str | None
    versions: tuple[int, ...]
    by_period: tuple[ActivityPoint, ...]  # the whole selection per quarter
    by_period_group: tuple[ActivityPoint, ...]  # the largest groups per quarter
    by_group: tuple[ActivityPoint, ...]  # totals (or means) per group over the years chosen

    @property
    def is_empty(self) -> bool:
        return not self.by_period


def metrics(session: Session) -> tuple[MetricInfo, ...]:
    """The latest version of each metric definition, in display order."""
    return tuple(
        MetricInfo(m.code, m.name, MetricUnit(m.unit), m.version, m.definition)
        for m in stats.latest_metrics(session)
    )


def hotline_activity(
    session: Session,
    *,
    metric_code: str,
    group_by: str = "network",
    first_year: int,
    last_year: int,
    region: str | None = None,
    small_below: int = 0,
) -> ActivityFigures:
    """One metric's quarterly values: sums for counts, means for percentages, labelled with the
    definition versions they were reported under; each with how many of the values it is
    built on are below ``small_below`` (and above zero)."""
    metric = next((m for m in metrics(session) if m.code == metric_code), None)
    group_by = group_by if group_by in GROUPINGS else "network"
    empty = ActivityFigures(metric, group_by, first_year, last_year, region, (), (), (), ())
    if metric is None:
        return empty
    stat = HotlineStatistic
    group_column: Any = {
        "network": sa.literal("All hotlines"),
        "region": sa.func.coalesce(Country.region, "(no region)"),
        "country": Country.name,
        "hotline": Hotline.name,
    }[group_by]

    def rows(grouped: bool) -> sa.Subquery:
        # Hotlines and countries are joined only when the grouping or the region needs them.
        query = (
            sa.select(
                stat.period_start,
                stat.hotline_id,
                stat.value,
                MetricDefinition.version,
                (group_column if grouped else sa.literal("All selected")).label("grp"),
            )
            .join(MetricDefinition, MetricDefinition.id == stat.metric_id)
            .where(
                MetricDefinition.code == metric_code,
                in_years(session, stat.period_start, first_year, last_year),
            )
        )
        if region or (grouped and group_by != "network"):
            query = query.join(Hotline, Hotline.id == stat.hotline_id).join(
                Country, Country.alpha2 == Hotline.country_code
            )
        if region:
            query = query.where(Country.region == region)
        return query.subquery("stats")

    src = rows(grouped=True)
    everything = rows(grouped=False)
    aggregate = sa.func.avg if metric.unit is MetricUnit.PERCENT else sa.func.sum
    places = "0.01"

    def small(source: Any) -> Any:
        is_small = sa.and_(source.c.value > 0, source.c.value < small_below)
        return sa.func.sum(sa.case((is_small, 1), else_=0)).label("small")

    def points(rows: Iterable[Any]) -> tuple[ActivityPoint, ...]:
        return tuple(
            ActivityPoint(
                as_date(r.period_start),
                str(r.grp),
                int(r.version),
                as_decimal(r.v, places),
                int(r.n),
                int(r.small or 0),
            )
            for r in rows
        )

    by_period = points(
        session.execute(
            sa.select(
                everything.c.period_start,
                sa.literal("All selected").label("grp"),
                everything.c.version,
                aggregate(everything.c.value).label("v"),
                # One row per hotline, metric and period (a unique constraint): rows = hotlines.
                sa.func.count().label("n"),
                small(everything),
            )
            .group_by(everything.c.period_start, everything.c.version)
            .order_by(everything.c.period_start, everything.c.version)
        )
    )
    if not by_period:
        return empty
    totals = (
        sa.select(
            sa.literal(date(first_year, 1, 1), sa.Date).label("period_start"),
            src.c.grp,
            sa.func.max(src.c.version).label("version"),
            aggregate(src.c.value).label("v"),
            sa.func.count(sa.distinct(src.c.hotline_id)).label("n"),
            small(src),
        )
        .group_by(src.c.grp)
        .order_by(sa.desc("v"), src.c.grp)
        .limit(ACTIVITY_BAR_GROUPS)
    )
    by_group = points(session.execute(totals))
    top = [p.group for p in by_group[:ACTIVITY_TOP_GROUPS]]
    by_period_group = points(
        session.execute(
            sa.select(
                src.c.period_start,
                src.c.grp,
                src.c.version,
                aggregate(src.c.value).label("v"),
                sa.func.count().label("n"),
                small(src),
            )
            .where(src.c.grp.in_(top))
            .group_by(src.c.period_start, src.c.grp, src.c.version)
            .order_by(src.c.period_start, src.c.grp)
        )
    )
    return ActivityFigures(
        metric=metric,
        group_by=group_by,
        first_year=first_year,
        last_year=last_year,
        region=region,
        versions=tuple(sorted({p.version for p in by_period})),
        by_period=by_period,
        by_period_group=by_period_group,
        by_group=by_group,
    )
