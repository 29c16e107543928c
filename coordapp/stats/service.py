"""Aggregate hotline statistics: periods, metric definitions and a hotline's summary (the
quarterly entry grid is in ``coordapp.stats.grid``, the list in ``coordapp.stats.lists``).

Statistics are counts (and one percentage) per hotline, metric and period, nothing more: no
report contents ever. A value is stored against the version of its metric in force for its
quarter (``coordapp.stats.metrics``): the grid, the API and the importer name a metric by its
code, and the quarter picks the version; a quarter in which the metric is not in force is
refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching
from coordapp.batching import Batch
from coordapp.network.models import Hotline
from coordapp.records import service as records
from coordapp.reference.models import MetricDefinition, MetricUnit
from coordapp.stats.metrics import all_versions
from coordapp.stats.models import HotlineStatistic, PeriodKind
from coordapp.stats.periods import quarter_of

FIRST_YEAR = 1999  # the network's founding year; metric definitions are valid from then


# --- periods ---------------------------------------------------------------------------------


def period_label(stat: HotlineStatistic) -> str:
    if stat.period_kind == PeriodKind.QUARTER:
        return f"{stat.period_start.year} Q{quarter_of(stat.period_start)}"
    return stat.period_start.strftime("%Y-%m")


# --- metrics ---------------------------------------------------------------------------------


def latest_metrics(session: Session, *, batch: Batch | None = None) -> list[MetricDefinition]:
    """The latest version of each metric definition, in display order."""
    # Asked once per row of a statistics file: once per file is enough (``batch``).
    metrics = batching.remembered(batch, "metrics", "latest", lambda: _latest_metrics(session))
    return list(metrics or [])


def _latest_metrics(session: Session) -> list[MetricDefinition]:
    versions = sa.select(
        MetricDefinition.code, sa.func.max(MetricDefinition.version).label("version")
    )
    latest = versions.group_by(MetricDefinition.code).subquery("latest")
    return list(
        session.scalars(
            sa.select(MetricDefinition)
            .join(
                latest,
                sa.and_(
                    latest.c.code == MetricDefinition.code,
                    latest.c.version == MetricDefinition.version,
                ),
            )
            .order_by(MetricDefinition.sort_order, MetricDefinition.code)
        )
    )


def metric_versions_text(session: Session) -> str:
    """Every version of every metric with its dates, e.g. for an export's stamp: a list may
    hold values of several versions."""
    by_code: dict[str, list[str]] = {}
    for metric in all_versions(session):
        until = f"to {metric.valid_until.isoformat()}" if metric.valid_until else "on"
        by_code.setdefault(metric.code, []).append(
            f"v{metric.version} ({metric.valid_from.isoformat()} {until})"
        )
    return "; ".join(f"{code} {', '.join(versions)}" for code, versions in by_code.items())


def metric_label(metric: MetricDefinition) -> str:
    return f"{metric.name} (v{metric.version})"


def format_value(metric: MetricDefinition, value: Decimal | None) -> str:
    """A stored value as the grid shows and accepts it: counts whole, others as typed."""
    if value is None:
        return ""
    if metric.unit.is_count:
        return str(int(value))
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


def is_count(stat: HotlineStatistic) -> bool:
    """Whether the figure counts reports or URLs: small ones are hidden below manager."""
    return stat.metric.unit.is_count


def display_value(metric: MetricDefinition, value: Decimal) -> str:
    """A value as pages show it: counts with thousands separators, then " %" or " days"."""
    if metric.unit.is_count:
        return f"{int(value):,}"
    if metric.unit == MetricUnit.DAYS:
        return f"{value.quantize(Decimal('0.01')).normalize():f} days"
    return f"{value.quantize(Decimal('0.01')):,} %"


# --- records ---------------------------------------------------------------------------------


def get_hotline(session: Session, hotline_id: int) -> Hotline:
    obj: Hotline = records.get_or_404(session, Hotline, hotline_id, what="hotline")
    return obj


def get_statistic(session: Session, statistic_id: int) -> HotlineStatistic:
    obj: HotlineStatistic = records.get_or_404(
        session, HotlineStatistic, statistic_id, what="hotline statistic"
    )
    return obj


def statistics_of_hotlines(session: Session, hotline_ids: Iterable[int]) -> list[HotlineStatistic]:
    """Every stored figure of those hotlines, any period (a thousand hotlines per query)."""
    statement = sa.select(HotlineStatistic)
    return records.scalars_in(session, statement, HotlineStatistic.hotline_id, hotline_ids)


# --- a hotline's page (composed in the network's view) ------------------------------------


@dataclass(frozen=True, slots=True)
class StatisticsQuarter:
    period_start: date
    period_end: date
    values: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class StatisticsSummary:
    metrics: list[tuple[str, str, str]]  # (code, name, unit)
    quarters: list[StatisticsQuarter]


def hotline_statistics_summary(
    session: Session, *, hotline_id: int, quarters: int = 4
) -> StatisticsSummary:
    """The latest ``quarters`` quarters of aggregate figures reported by the hotline."""
    latest = (
        sa.select(HotlineStatistic.period_start)
        .where(
            HotlineStatistic.hotline_id == hotline_id,
            HotlineStatistic.period_kind == PeriodKind.QUARTER.value,
        )
        .distinct()
        .order_by(HotlineStatistic.period_start.desc())
        .limit(quarters)
        .subquery("latest_quarters")
    )
    rows = session.execute(
        sa.select(
            HotlineStatistic.period_start,
            HotlineStatistic.period_end,
            MetricDefinition.code,
            MetricDefinition.name,
            MetricDefinition.unit,
            HotlineStatistic.value,
        )
        .join(MetricDefinition, MetricDefinition.id == HotlineStatistic.metric_id)
        .where(
            HotlineStatistic.hotline_id == hotline_id,
            HotlineStatistic.period_kind == PeriodKind.QUARTER.value,
            HotlineStatistic.period_start.in_(sa.select(latest.c.period_start)),
        )
        .order_by(HotlineStatistic.period_start.desc(), MetricDefinition.sort_order)
    ).all()
    metrics: dict[str, tuple[str, str, str]] = {}
    by_period: dict[date, StatisticsQuarter] = {}
    for start, end, code, name, unit, value in rows:
        metrics.setdefault(code, (code, name, MetricUnit(unit).value))
        by_period.setdefault(start, StatisticsQuarter(start, end, {})).values[code] = value
    return StatisticsSummary(metrics=list(metrics.values()), quarters=list(by_period.values()))
