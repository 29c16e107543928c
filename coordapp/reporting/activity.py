"""Hotline activity: the aggregate statistics hotlines report, per quarter and per group.

Only approved quarters' figures count (``coordapp.stats.quarters.counted``, the one rule); a
quarter with figures still awaiting approval is listed as provisional.

On PostgreSQL the figures grouped by network, region or country read the totals kept current
on write (``coordapp.stats.activity_totals``: a few thousand rows per metric instead of every
hotline's value); grouped by hotline, or asked at a small-count threshold the totals were not
counted at, they are computed from the rows. Both ways give the same figures to the last
digit: the same sums, and a mean is the sum over the count, the very division ``avg`` does."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network.models import Hotline
from coordapp.reference.models import Country, MetricDefinition, MetricUnit
from coordapp.reporting.common import as_date, as_decimal, in_years
from coordapp.stats import activity_totals, quarters, timeliness
from coordapp.stats import service as stats
from coordapp.stats.models import ActivityPresence, ActivityTotal, HotlineStatistic
from coordapp.stats.timeliness import QuarterRates

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
class UnitChange:
    """Where the figures' unit changes: from ``starts`` they are of ``version`` in ``unit``."""

    starts: date
    version: int
    name: str
    unit: MetricUnit

    @property
    def label(self) -> str:
        quarter = (self.starts.month - 1) // 3 + 1
        return f"from {self.starts.year} Q{quarter}: {self.name} ({self.unit.label})"


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
    # The units of the versions in the selection, oldest first, where one differs from the one
    # before: figures of different units are never added (by_group holds the last unit only).
    unit_changes: tuple[UnitChange, ...] = ()
    group_unit: MetricUnit | None = None
    first_unit_label: str = ""  # the unit before the first change
    # Quarters (first days) of the selection with figures not approved yet, so not counted.
    provisional: tuple[date, ...] = ()

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
    """One metric's quarterly values: sums for counts (reports, content URLs), means over
    hotlines for percentages and days, per definition version (a version's values are never
    added to another's); each with how many of the values it is built on are below
    ``small_below`` (and above zero). The totals per group add only the values of the unit of
    the latest version in the selection, never figures of different units."""
    metric = next((m for m in metrics(session) if m.code == metric_code), None)
    group_by = group_by if group_by in GROUPINGS else "network"
    empty = ActivityFigures(metric, group_by, first_year, last_year, region, (), (), (), ())
    if metric is None:
        return empty
    group_column: Any = {
        "network": sa.literal("All hotlines"),
        "region": sa.func.coalesce(Country.region, "(no region)"),
        "country": Country.name,
        "hotline": Hotline.name,
    }[group_by]
    selection = _Selection(metric_code, group_column, group_by, first_year, last_year, region)
    # The totals kept on write answer every grouping by place, at their threshold; a group of
    # hotlines, or another threshold, takes the rows.
    summed = group_by != "hotline" and activity_totals.answers(session, small_below=small_below)
    source = (_totals if summed else _rows)(session, selection, small_below)
    src = source.values

    places = "0.01"
    counts = [u.value for u in MetricUnit if u.is_count]

    def aggregate(values: Any) -> Any:
        """Sum a count, average anything else (one unit per group: grouped by version)."""
        return sa.case(
            (sa.func.max(values.c.unit).in_(counts), sa.func.sum(values.c.value_sum)),
            else_=source.mean(values),
        )

    def how_many(source: Any) -> Any:
        return sa.func.sum(source.c.value_count)

    def small(source: Any) -> Any:
        return sa.func.sum(source.c.small_count).label("small")

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

    # The figures in one statement over the values, read once (a CTE): per quarter and
    # version; per group, the largest 25 totals of the latest version's unit (figures of
    # different units are never added); per quarter, the 8 largest of those; and the quarters
    # with figures that do not count yet (provisional).
    last_unit = (
        sa.select(src.c.unit)
        .where(src.c.counted)
        .order_by(src.c.version.desc())
        .limit(1)
        .scalar_subquery()
    )
    grouped = (
        sa.select(
            src.c.grp,
            sa.func.max(src.c.version).label("version"),
            aggregate(src).label("v"),
            source.hotlines_in_group(src).label("n"),
            small(src),
            sa.func.row_number().over(order_by=(aggregate(src).desc(), src.c.grp)).label("pos"),
        )
        .where(src.c.counted, src.c.unit == last_unit)
        .group_by(src.c.grp)
        .order_by(sa.desc("v"), src.c.grp)
        .limit(ACTIVITY_BAR_GROUPS)
        .cte("totals")
    )
    totals = source.with_hotlines(grouped, last_unit)
    top = sa.select(totals.c.grp).where(totals.c.pos <= ACTIVITY_TOP_GROUPS)
    zero = sa.literal(0, sa.Integer)
    figures = sa.union_all(
        sa.select(
            sa.literal("period").label("fig"),
            zero.label("pos"),
            src.c.period_start,
            sa.literal("All selected").label("grp"),
            src.c.version,
            aggregate(src).label("v"),
            how_many(src).label("n"),
            small(src),
        )
        .where(src.c.counted)
        .group_by(src.c.period_start, src.c.version),
        sa.select(
            sa.literal("group"),
            totals.c.pos,
            sa.literal(date(first_year, 1, 1), sa.Date),
            totals.c.grp,
            totals.c.version,
            totals.c.v,
            totals.c.n,
            totals.c.small,
        ),
        sa.select(
            sa.literal("period_group"),
            zero,
            src.c.period_start,
            src.c.grp,
            src.c.version,
            aggregate(src),
            how_many(src),
            small(src),
        )
        .where(src.c.counted, src.c.grp.in_(top))
        .group_by(src.c.period_start, src.c.grp, src.c.version),
        sa.select(
            sa.literal("provisional"),
            zero,
            src.c.period_start,
            sa.literal(""),
            zero,
            sa.null(),
            zero,
            zero,
        )
        .where(sa.not_(src.c.counted))
        .group_by(src.c.period_start),
    ).order_by(*(sa.literal_column(c) for c in ("fig", "pos", "period_start", "grp", "version")))
    found: dict[str, list[Any]] = {
        f: [] for f in ("period", "group", "period_group", "provisional")
    }
    for row in session.execute(figures):
        found[row.fig].append(row)
    by_period = points(found["period"])
    provisional = tuple(as_date(r.period_start) for r in found["provisional"])
    if not by_period:
        return dataclasses.replace(empty, provisional=provisional)
    units: dict[int, MetricUnit] = {}
    names: dict[int, str] = {}
    for version, unit, name in session.execute(
        sa.select(MetricDefinition.version, MetricDefinition.unit, MetricDefinition.name).where(
            MetricDefinition.code == metric_code
        )
    ):
        units[version], names[version] = MetricUnit(unit), name
    versions = sorted({p.version for p in by_period})
    last_unit_found = units[versions[-1]]
    by_group = points(found["group"])
    by_period_group = points(found["period_group"])
    return ActivityFigures(
        metric=metric,
        group_by=group_by,
        first_year=first_year,
        last_year=last_year,
        region=region,
        versions=tuple(versions),
        by_period=by_period,
        by_period_group=by_period_group,
        by_group=by_group,
        unit_changes=_unit_changes(by_period, units, names=names),
        group_unit=last_unit_found,
        first_unit_label=units[versions[0]].label,
        provisional=provisional,
    )


@dataclass(frozen=True, slots=True)
class _Selection:
    """What a figure is of: a metric's values in some years (and a region), in groups."""

    metric_code: str
    group_column: Any
    group_by: str
    first_year: int
    last_year: int
    region: str | None

    def by_place(self, values: sa.Select[Any], country_code: Any) -> sa.Select[Any]:
        """``values`` joined to their country when the grouping or the region needs it."""
        if self.region or self.group_by != "network":
            values = values.join(Country, Country.alpha2 == country_code)
        if self.region:
            values = values.where(Country.region == self.region)
        return values


@dataclass(frozen=True, slots=True)
class _Source:
    """The values the figures add up (a CTE: period_start, version, unit, grp, counted,
    value_sum, value_count, small_count, each row one value or a total of several), how a
    group's mean and its distinct hotlines are computed from them."""

    values: Any
    mean: Callable[[Any], Any]
    hotlines_in_group: Callable[[Any], Any]
    with_hotlines: Callable[[Any, Any], Any]  # (the group totals, the last unit) -> with n


def _rows(session: Session, selection: _Selection, small_below: int) -> _Source:
    """Every statistic, each with whether it counts (``quarters.with_counted``: the one rule,
    joined once for the whole statement)."""
    stat = HotlineStatistic
    is_small = sa.and_(stat.value > 0, stat.value < small_below)
    values = (
        sa.select(
            stat.period_start,
            stat.hotline_id,
            stat.value.label("value_sum"),
            sa.literal(1, sa.Integer).label("value_count"),
            sa.case((is_small, 1), else_=0).label("small_count"),
            MetricDefinition.version,
            MetricDefinition.unit,
            selection.group_column.label("grp"),
        )
        .join(MetricDefinition, MetricDefinition.id == stat.metric_id)
        .where(
            MetricDefinition.code == selection.metric_code,
            in_years(session, stat.period_start, selection.first_year, selection.last_year),
        )
    )
    # Hotlines and countries are joined only when the grouping or the region needs them.
    if selection.region or selection.group_by != "network":
        values = values.join(Hotline, Hotline.id == stat.hotline_id)
    values = selection.by_place(values, Hotline.country_code)
    values, is_counted = quarters.with_counted(values, stat)
    return _Source(
        values=values.add_columns(is_counted.label("counted")).cte("activity_values"),
        mean=lambda src: sa.func.avg(src.c.value_sum),
        hotlines_in_group=lambda src: sa.func.count(sa.distinct(src.c.hotline_id)),
        with_hotlines=lambda totals, _unit: totals,
    )


def _totals(session: Session, selection: _Selection, small_below: int) -> _Source:
    """The totals kept on write (``coordapp.stats.activity_totals``) per period and country;
    a group's hotlines from the years they have counted values in."""
    total = ActivityTotal
    small_count = total.small_count if small_below > 0 else sa.literal(0, sa.Integer)
    values = (
        sa.select(
            total.period_start,
            total.value_sum,
            total.value_count,
            small_count.label("small_count"),
            MetricDefinition.version,
            MetricDefinition.unit,
            selection.group_column.label("grp"),
            total.counted,
        )
        .join(MetricDefinition, MetricDefinition.id == total.metric_id)
        .where(
            MetricDefinition.code == selection.metric_code,
            in_years(session, total.period_start, selection.first_year, selection.last_year),
        )
    )
    # Added up per group at once: every figure adds these up further (sums of sums, exactly).
    by_country = selection.by_place(values, total.country_code).subquery("by_country")
    keys = [by_country.c[k] for k in ("period_start", "version", "unit", "grp", "counted")]
    per_group = sa.select(
        *keys,
        *(
            sa.func.sum(by_country.c[k]).label(k)
            for k in ("value_sum", "value_count", "small_count")
        ),
    ).group_by(*keys)

    def with_hotlines(totals: Any, last_unit: Any) -> Any:
        present = ActivityPresence
        of_groups = (
            sa.select(selection.group_column.label("grp"), present.hotline_id)
            .join(MetricDefinition, MetricDefinition.id == present.metric_id)
            .join(Hotline, Hotline.id == present.hotline_id)
            .where(
                MetricDefinition.code == selection.metric_code,
                MetricDefinition.unit == last_unit,
                present.year.between(selection.first_year, selection.last_year),
            )
        )
        hotlines = selection.by_place(of_groups, Hotline.country_code).subquery("present")
        # Each hotline once per group, then counted: two hashed steps, no sort.
        distinct = sa.select(hotlines.c.grp, hotlines.c.hotline_id).distinct().subquery("each")
        per_group = (
            sa.select(distinct.c.grp, sa.func.count().label("n"))
            .group_by(distinct.c.grp)
            .subquery("hotlines")
        )
        return (
            sa.select(
                totals.c.grp,
                totals.c.version,
                totals.c.v,
                sa.func.coalesce(per_group.c.n, 0).label("n"),
                totals.c.small,
                totals.c.pos,
            )
            .outerjoin(per_group, per_group.c.grp == totals.c.grp)
            .cte("totals_with_hotlines")
        )

    return _Source(
        values=per_group.cte("activity_values"),
        mean=lambda src: sa.func.sum(src.c.value_sum) / sa.func.sum(src.c.value_count),
        hotlines_in_group=lambda _src: sa.literal(0, sa.Integer),
        with_hotlines=with_hotlines,
    )


def reporting_rates(
    session: Session, *, first_year: int, last_year: int, today: date, region: str | None = None
) -> tuple[QuarterRates, ...]:
    """Completeness and timeliness of the member hotlines' quarters (``stats.timeliness``)."""
    return timeliness.rates_by_quarter(
        session, first_year=first_year, last_year=last_year, today=today, region=region
    )


def _unit_changes(
    by_period: tuple[ActivityPoint, ...], units: dict[int, MetricUnit], *, names: dict[int, str]
) -> tuple[UnitChange, ...]:
    """The first quarter of each version whose unit differs from the version before it."""
    first_quarter: dict[int, date] = {}
    for point in by_period:
        first_quarter.setdefault(point.version, point.period_start)
    changes = []
    previous: MetricUnit | None = None
    for version in sorted(first_quarter):
        if previous is not None and units[version] != previous:
            changes.append(
                UnitChange(first_quarter[version], version, names[version], units[version])
            )
        previous = units[version]
    return tuple(changes)
