"""Aggregate hotline statistics: periods, metric definitions, and the quarterly entry grid per
hotline and year (the list is in ``coordapp.stats.lists``).

Statistics are counts (and one percentage) per hotline, metric and period, nothing more: no
report contents ever. A value is stored against the latest version of its metric definition.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching
from coordapp.audit.models import AuditEvent
from coordapp.batching import Batch
from coordapp.errors import Conflict, NotFound, ValidationError
from coordapp.network.models import Hotline
from coordapp.records import service as records
from coordapp.reference.models import MetricDefinition, MetricUnit
from coordapp.stats import locks
from coordapp.stats.models import HotlineStatistic, PeriodKind

FIRST_YEAR = 1999  # the network's founding year; metric definitions are valid from then
QUARTERS = (1, 2, 3, 4)
MAX_COUNT = 10**12 - 1  # NUMERIC(14, 2) holds 12 integer digits
RECEIVED, ASSESSED, FORWARDED = "reports_received", "reports_assessed_csam", "reports_forwarded"
# Per quarter: this metric may not exceed that one.
NOT_MORE_THAN = ((ASSESSED, RECEIVED), (FORWARDED, ASSESSED))

_WHOLE = re.compile(r"^(\d+|\d{1,3}(,\d{3})+)$")
_DECIMAL = re.compile(r"^\d+(\.\d+)?$")


# --- periods ---------------------------------------------------------------------------------


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a calendar quarter."""
    start = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, following - timedelta(days=1)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def last_complete_quarter(today: date) -> tuple[int, int]:
    """(year, quarter) of the last quarter that ended before ``today``."""
    year, quarter = today.year, quarter_of(today)
    if quarter_bounds(year, quarter)[1] < today:  # only when today is after the quarter's end
        return year, quarter
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


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


def metrics_in_force(session: Session, *, on: date) -> list[MetricDefinition]:
    """Per metric, its latest version valid from a day on or before ``on`` (a metric not yet
    defined then is left out), in display order."""
    return _latest_metrics(session, on=on)


def _latest_metrics(session: Session, *, on: date | None = None) -> list[MetricDefinition]:
    versions = sa.select(
        MetricDefinition.code, sa.func.max(MetricDefinition.version).label("version")
    )
    if on is not None:
        versions = versions.where(MetricDefinition.valid_from <= on)
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
    """The metric definitions figures are entered against today, e.g. for an export's stamp."""
    return "; ".join(
        f"{metric.code} v{metric.version} (from {metric.valid_from.isoformat()})"
        for metric in latest_metrics(session)
    )


def metric_label(metric: MetricDefinition) -> str:
    return f"{metric.name} (v{metric.version})"


def format_value(metric: MetricDefinition, value: Decimal | None) -> str:
    """A stored value as the grid shows and accepts it: counts whole, percentages as typed."""
    if value is None:
        return ""
    if metric.unit == MetricUnit.COUNT:
        return str(int(value))
    return format(value.quantize(Decimal("0.01")).normalize(), "f")


def is_count(stat: HotlineStatistic) -> bool:
    """Whether the figure counts reports (cases): small ones are hidden below manager."""
    return stat.metric.unit == MetricUnit.COUNT


def display_value(metric: MetricDefinition, value: Decimal) -> str:
    """A value as pages show it: counts with thousands separators, percentages with " %"."""
    if metric.unit == MetricUnit.COUNT:
        return f"{int(value):,}"
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


# --- the quarterly grid ----------------------------------------------------------------------

Cell = tuple[str, int]  # (metric code, quarter)


@dataclass(frozen=True, slots=True)
class GridQuarter:
    quarter: int
    start: date
    end: date
    open_for_entry: bool  # the quarter has ended, so its figures can be entered

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.start.year}"


@dataclass(frozen=True)
class QuarterGrid:
    hotline: Hotline
    year: int
    quarters: list[GridQuarter]
    metrics: list[MetricDefinition]
    cells: dict[Cell, HotlineStatistic]

    def value(self, cell: Cell) -> str:
        stat = self.cells.get(cell)
        metric = next(m for m in self.metrics if m.code == cell[0])
        return format_value(metric, stat.value if stat else None)

    def version(self, cell: Cell) -> int | None:
        stat = self.cells.get(cell)
        return stat.version if stat else None

    @property
    def filled(self) -> int:
        return len(self.cells)


@dataclass(frozen=True, slots=True)
class CellChange:
    """A cell that changed after the page was loaded."""

    metric: str
    quarter: int
    value_now: str
    changed_by: str | None
    changed_at: Any


@dataclass(frozen=True, slots=True)
class GridSaved:
    created: int
    updated: int
    deleted: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.deleted


class GridInvalid(ValidationError):
    """One or more cells are refused; ``errors`` maps each to its message. Nothing was saved."""

    def __init__(self, errors: dict[Cell, str]) -> None:
        first = next(iter(errors))
        super().__init__(
            f"c-{first[0]}-{first[1]}",
            f"{len(errors)} value{'s are' if len(errors) != 1 else ' is'} not accepted; "
            "nothing was saved.",
        )
        self.errors = errors


class GridConflict(Conflict):
    """Someone saved cells of this grid after the page was loaded. Nothing was saved."""

    def __init__(self, changes: list[CellChange]) -> None:
        super().__init__(
            f"{len(changes)} value{'s' if len(changes) != 1 else ''} of this grid changed after "
            "you opened it. Nothing was saved."
        )
        self.changes = changes


def check_year(year: int, *, today: date) -> int:
    """A year the grid can show: from the network's founding to the current year."""
    if not FIRST_YEAR <= year <= today.year:
        raise NotFound(f"Statistics are kept for the years {FIRST_YEAR} to {today.year}.")
    return year


def default_year(today: date) -> int:
    """The year of the last complete quarter: the one most likely to need entering."""
    return last_complete_quarter(today)[0]


def statistics_of_hotlines(session: Session, hotline_ids: Iterable[int]) -> list[HotlineStatistic]:
    """Every stored figure of those hotlines, any period (a thousand hotlines per query)."""
    statement = sa.select(HotlineStatistic)
    return records.scalars_in(session, statement, HotlineStatistic.hotline_id, hotline_ids)


def _rows(
    session: Session,
    *,
    hotline: Hotline,
    year: int,
    metrics: list[MetricDefinition],
    stored: Sequence[HotlineStatistic] | None = None,
) -> list[HotlineStatistic]:
    """Every row on the grid's keys (hotline, metric, quarter start), of any period kind;
    picked from ``stored`` (rows the caller read already) when given."""
    starts = [quarter_bounds(year, q)[0] for q in QUARTERS]
    if stored is not None:
        metric_ids = {m.id for m in metrics}
        return [
            row
            for row in stored
            if row.hotline_id == hotline.id
            and row.metric_id in metric_ids
            and row.period_start in starts
        ]
    return list(
        session.scalars(
            sa.select(HotlineStatistic).where(
                HotlineStatistic.hotline_id == hotline.id,
                HotlineStatistic.metric_id.in_([m.id for m in metrics]),
                HotlineStatistic.period_start.in_(starts),
            )
        )
    )


def quarter_grid(session: Session, *, hotline: Hotline, year: int, today: date) -> QuarterGrid:
    """The hotline's quarterly values of ``year`` for the latest version of every metric."""
    check_year(year, today=today)
    metrics = latest_metrics(session)
    code_of = {m.id: m.code for m in metrics}
    cells = {
        (code_of[row.metric_id], quarter_of(row.period_start)): row
        for row in _rows(session, hotline=hotline, year=year, metrics=metrics)
        if row.period_kind == PeriodKind.QUARTER
    }
    quarters = [
        GridQuarter(q, *quarter_bounds(year, q), open_for_entry=quarter_bounds(year, q)[1] < today)
        for q in QUARTERS
    ]
    return QuarterGrid(hotline=hotline, year=year, quarters=quarters, metrics=metrics, cells=cells)


def _parse_cell(metric: MetricDefinition, raw: Any) -> Decimal | None:
    """The cell's value, or None for an empty cell; raises ValueError with the message."""
    if raw is None:
        return None
    if isinstance(raw, Decimal):
        text = format(raw, "f")
    elif isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    else:
        text = str(raw).strip()
    if not text:
        return None
    if text.startswith("-"):
        raise ValueError("Values cannot be negative.")
    if metric.unit == MetricUnit.COUNT:
        if _WHOLE.match(text):
            value = Decimal(text.replace(",", ""))
            if value > MAX_COUNT:
                raise ValueError("This count is too large.")
            return value
        if _DECIMAL.match(text):
            raise ValueError("Counts are whole numbers: no decimals.")
        raise ValueError("Enter a whole number, e.g. 1250.")
    if "," in text and _DECIMAL.match(text.replace(",", ".")):
        raise ValueError("Use a point for decimals, e.g. 87.5.")
    if not _DECIMAL.match(text):
        raise ValueError("Enter a percentage from 0 to 100, e.g. 87.5.")
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError("At most 2 decimals, e.g. 87.25.")
    if value > 100:
        raise ValueError("A percentage is from 0 to 100.")
    return value


def _cell_changes(
    session: Session,
    *,
    metrics: list[MetricDefinition],
    cells: dict[Cell, HotlineStatistic],
    submitted: Mapping[Cell, Any],
    expected_versions: Mapping[Cell, int | None],
) -> list[CellChange]:
    stale = [
        cell
        for cell in submitted
        if cell in expected_versions
        and expected_versions[cell] != (cells[cell].version if cell in cells else None)
    ]
    if not stale:
        return []
    ids = {str(cells[cell].id): cell for cell in stale if cell in cells}
    last_event: dict[Cell, AuditEvent] = {}
    if ids:
        for audit_event in session.scalars(
            sa.select(AuditEvent)
            .where(
                AuditEvent.entity_type == HotlineStatistic.__tablename__,
                AuditEvent.entity_id.in_(list(ids)),
            )
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        ):
            last_event[ids[audit_event.entity_id or ""]] = audit_event
    by_code = {m.code: m for m in metrics}
    changes = []
    for cell in stale:
        stat = cells.get(cell)
        event = last_event.get(cell)
        changes.append(
            CellChange(
                metric=metric_label(by_code[cell[0]]),
                quarter=cell[1],
                value_now=format_value(by_code[cell[0]], stat.value if stat else None) or "empty",
                changed_by=event.actor_label if event else None,
                changed_at=event.occurred_at if event else None,
            )
        )
    return changes


def save_quarter_grid(
    session: Session,
    *,
    hotline: Hotline,
    year: int,
    values: Mapping[Cell, Any],
    expected_versions: Mapping[Cell, int | None] | None = None,
    today: date | None = None,
    stored: Sequence[HotlineStatistic] | None = None,
    batch: Batch | None = None,
) -> GridSaved:
    """Write the submitted cells of one hotline's year, all or nothing.

    ``values`` maps (metric code, quarter) to the text typed (an empty cell deletes the stored
    value; a cell not in ``values`` is left alone). ``expected_versions`` holds, per cell, the
    version the user saw (None: it was empty); if any submitted cell changed since, nothing is
    written and ``GridConflict`` says what changed. Every cell is validated before anything is
    written; ``GridInvalid`` carries a message per refused cell. ``stored``: the hotline's rows
    as the caller read them already (an import reads a file's worth at once), else queried.
    Flushes; in an import's ``batch``, new values are rows the batch writes with its other new
    records (its flush, at once or with the batch's).
    """
    today = today or date.today()
    check_year(year, today=today)
    if hotline.archived_at is not None:
        raise ValidationError(
            None, "This hotline is archived: its statistics are kept but can no longer change."
        )
    metrics = latest_metrics(session, batch=batch)
    by_code = {m.code: m for m in metrics}
    code_of = {m.id: m.code for m in metrics}
    cells: dict[Cell, HotlineStatistic] = {}
    blocked: dict[Cell, HotlineStatistic] = {}
    for row in _rows(session, hotline=hotline, year=year, metrics=metrics, stored=stored):
        key = (code_of[row.metric_id], quarter_of(row.period_start))
        (cells if row.period_kind == PeriodKind.QUARTER else blocked)[key] = row

    closed = locks.closed_quarters(
        session,
        hotline_id=hotline.id,
        starts=(quarter_bounds(year, q)[0] for q in QUARTERS),
        batch=batch,
    )
    errors: dict[Cell, str] = {}
    parsed: dict[Cell, Decimal | None] = {}
    for cell, raw in values.items():
        code, quarter = cell
        if code not in by_code or quarter not in QUARTERS:
            raise ValidationError(None, f"There is no cell {code} Q{quarter} on this grid.")
        try:
            value = _parse_cell(by_code[code], raw)
        except ValueError as exc:
            errors[cell] = str(exc)
            continue
        current = cells[cell].value if cell in cells else None
        start, end = quarter_bounds(year, quarter)
        if value != current and end >= today:
            errors[cell] = f"Q{quarter} ends on {end.isoformat()}: enter its figures after that."
        elif value != current and start in closed:
            errors[cell] = locks.closed_message(f"Q{quarter} {year}", closed[start])
        elif value is not None and cell in blocked:
            errors[cell] = (
                f"A monthly value for {start.strftime('%Y-%m')} is recorded for this metric; "
                "correct it in the statistics list."
            )
        else:
            parsed[cell] = value

    # Cross-checks per quarter on the values as they would stand after saving.
    def final(code: str, quarter: int) -> Decimal | None:
        if (code, quarter) in parsed:
            return parsed[(code, quarter)]
        if (code, quarter) in values:
            return None  # refused above; its own message stands
        return cells[(code, quarter)].value if (code, quarter) in cells else None

    for quarter in QUARTERS:
        for smaller, larger in NOT_MORE_THAN:
            if smaller not in by_code or larger not in by_code:
                continue
            low, high = final(smaller, quarter), final(larger, quarter)
            if low is not None and high is not None and low > high:
                target = (smaller, quarter) if (smaller, quarter) in values else (larger, quarter)
                errors.setdefault(
                    target,
                    f"{by_code[smaller].name} ({int(low)}) cannot be more than "
                    f"{by_code[larger].name.lower()} ({int(high)}) in Q{quarter}.",
                )
    if errors:
        raise GridInvalid(
            {cell: errors[cell] for cell in sorted(errors, key=lambda c: (c[1], c[0]))}
        )

    if expected_versions is not None:
        changes = _cell_changes(
            session,
            metrics=metrics,
            cells=cells,
            submitted=values,
            expected_versions=expected_versions,
        )
        if changes:
            raise GridConflict(changes)

    created = updated = deleted = 0
    for cell, value in parsed.items():
        stat = cells.get(cell)
        if stat is None and value is not None:
            start, end = quarter_bounds(year, cell[1])
            new = {
                "hotline_id": hotline.id,
                "metric_id": by_code[cell[0]].id,
                "period_kind": PeriodKind.QUARTER,
                "period_start": start,
                "period_end": end,
                "value": value,
            }
            if batch is not None:
                batch.insert(HotlineStatistic, new)
            else:
                session.add(HotlineStatistic(**new))
            created += 1
        elif stat is not None and value is None:
            session.delete(stat)
            deleted += 1
        elif stat is not None and value is not None and stat.value != value:
            stat.value = value
            updated += 1
    batching.flush(session, batch)
    return GridSaved(created=created, updated=updated, deleted=deleted)


@dataclass(frozen=True)
class GridForm:
    """The grid as submitted, parsed from form fields ``c-<code>-<q>`` and ``v-<code>-<q>``."""

    values: dict[Cell, str] = field(default_factory=dict)
    versions: dict[Cell, int | None] = field(default_factory=dict)


def parse_grid_form(form: Mapping[str, str]) -> GridForm:
    """Read the cell values and the versions the page was loaded with from a posted form."""
    parsed = GridForm()
    for name, raw in form.items():
        kind, _, rest = name.partition("-")
        code, _, quarter_text = rest.rpartition("-")
        if kind not in ("c", "v") or not code or quarter_text not in ("1", "2", "3", "4"):
            continue
        cell = (code, int(quarter_text))
        if kind == "c":
            parsed.values[cell] = raw[:40]
        else:
            raw = raw.strip()
            # An unreadable version cannot match any stored one: it shows as a conflict.
            parsed.versions[cell] = (int(raw) if raw.isdecimal() else -1) if raw else None
    return parsed


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
