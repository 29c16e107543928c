"""The statistics list: its columns, filters and choices."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from coordapp import listing
from coordapp.listing import Column, Filter, ListSpec
from coordapp.network.models import Hotline
from coordapp.reference import service as reference
from coordapp.reference.models import MetricDefinition
from coordapp.stats.models import HotlineStatistic, PeriodKind
from coordapp.stats.periods import QUARTERS
from coordapp.stats.service import (
    display_value,
    is_count,
    latest_metrics,
    metric_label,
    period_label,
)


def _display_value(stat: HotlineStatistic) -> Any:
    if stat.metric.unit.is_count:
        return int(stat.value)
    return stat.value.quantize(Decimal("0.01"))


def hotline_choices(session: Session) -> list[tuple[str, str]]:
    return [
        (str(i), name)
        for i, name in session.execute(
            sa.select(Hotline.id, Hotline.name)
            .where(Hotline.archived_at.is_(None))
            .order_by(Hotline.name)
        )
    ]


def metric_choices(session: Session) -> list[tuple[str, str]]:
    return [(m.code, m.name) for m in latest_metrics(session)]


def _integer_filter(build: Any, *, low: int, high: int) -> Any:
    """A filter on a whole-number value; anything else (or out of range) is no filter."""

    def apply(query: sa.Select[Any], value: str) -> sa.Select[Any]:
        try:
            number = int(value)
        except ValueError:
            return query
        return query.where(build(number)) if low <= number <= high else query

    return apply


def _in_quarter(quarter: int) -> Any:
    month = sa.cast(sa.extract("month", HotlineStatistic.period_start), sa.Integer)
    return sa.and_(
        HotlineStatistic.period_kind == PeriodKind.QUARTER.value, month == 3 * quarter - 2
    )


STATISTIC_LIST = ListSpec(
    name="statistics",
    entity=HotlineStatistic,
    joins=(HotlineStatistic.hotline, HotlineStatistic.metric),
    columns=(
        Column("hotline", "Hotline", Hotline.name, lambda s: s.hotline.name, link=True),
        Column("country", "Country", Hotline.country_code, lambda s: s.hotline.country.name),
        Column("period", "Period", HotlineStatistic.period_start, period_label),
        # By the metric definition (seeded in display order), which the index on
        # (metric_id, id) serves; the definitions' sort_order, in a joined table, made every
        # page sort all 530,000 figures at 100x the demo network.
        Column("metric", "Metric", HotlineStatistic.metric_id, lambda s: metric_label(s.metric)),
        Column(
            "value",
            "Value",
            HotlineStatistic.value,
            _display_value,
            display=lambda stat: display_value(stat.metric, stat.value),
            align_end=True,
            counted=is_count,
        ),
        Column("updated", "Updated", HotlineStatistic.updated_at, lambda s: s.updated_at.date()),
    ),
    default_sort="-period",
    search=(Hotline.name,),
    filters=(
        listing.id_filter_on("hotline", "Hotline", HotlineStatistic.hotline_id, hotline_choices),
        listing.code_filter_on(
            "country", "Country", Hotline.country_code, reference.country_choices
        ),
        listing.year_filter_on(HotlineStatistic.period_start),
        Filter(
            "quarter",
            "Quarter",
            _integer_filter(_in_quarter, low=1, high=4),
            lambda s: [(str(q), f"Q{q}") for q in QUARTERS],
        ),
        listing.choice_filter_on("metric", "Metric", MetricDefinition.code, metric_choices),
    ),
    options=(
        selectinload(HotlineStatistic.hotline).selectinload(Hotline.country),
        selectinload(HotlineStatistic.metric),
    ),
    archivable=False,
)
