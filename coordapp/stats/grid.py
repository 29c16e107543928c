"""A hotline's quarterly grid of statistics for one year: reading it (``quarter_grid``), the
posted form (``parse_grid_form``) and saving it (``save_quarter_grid``: each cell checked,
the whole grid or nothing, optimistic versions per cell).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching
from coordapp.audit.models import AuditEvent
from coordapp.batching import Batch
from coordapp.errors import Conflict, NotFound, ValidationError
from coordapp.network.models import Hotline
from coordapp.reference.models import MetricDefinition, MetricUnit
from coordapp.stats import locks
from coordapp.stats.metrics import is_known_code, not_in_force_message, year_in_force
from coordapp.stats.models import HotlineStatistic, PeriodKind
from coordapp.stats.periods import QUARTERS, last_complete_quarter, quarter_bounds, quarter_of
from coordapp.stats.service import FIRST_YEAR, format_value, metric_label

MAX_COUNT = 10**12 - 1  # NUMERIC(14, 2) holds 12 integer digits
MAX_DAYS = 3653
RECEIVED, ASSESSED, FORWARDED = "reports_received", "reports_assessed_csam", "reports_forwarded"
# Per quarter: this metric may not exceed that one.
NOT_MORE_THAN = ((ASSESSED, RECEIVED), (FORWARDED, ASSESSED))

_WHOLE = re.compile(r"^(\d+|\d{1,3}(,\d{3})+)$")
_DECIMAL = re.compile(r"^\d+(\.\d+)?$")

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
    metrics: list[MetricDefinition]  # a column per metric: its latest version in the year
    cells: dict[Cell, HotlineStatistic]
    in_force: dict[Cell, MetricDefinition]  # the version each cell's value is stored against

    def value(self, cell: Cell) -> str:
        stat = self.cells.get(cell)
        metric = self.in_force.get(cell)
        return format_value(metric, stat.value if stat else None) if metric else ""

    def changes_in_year(self, code: str) -> list[MetricDefinition]:
        """The versions of ``code`` in force in the year, when more than one (a change)."""
        versions = {m.id: m for (c, _), m in sorted(self.in_force.items()) if c == code}
        return list(versions.values()) if len(versions) > 1 else []

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


def _rows(
    session: Session,
    *,
    hotline: Hotline,
    year: int,
    metrics: Iterable[MetricDefinition],
    stored: Sequence[HotlineStatistic] | None = None,
) -> list[HotlineStatistic]:
    """Every row on the grid's keys (hotline, metric, quarter start), of any period kind;
    picked from ``stored`` (rows the caller read already) when given."""
    starts = [quarter_bounds(year, q)[0] for q in QUARTERS]
    metric_ids = {m.id for m in metrics}
    if stored is not None:
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
                HotlineStatistic.metric_id.in_(sorted(metric_ids)),
                HotlineStatistic.period_start.in_(starts),
            )
        )
    )


def quarter_grid(session: Session, *, hotline: Hotline, year: int, today: date) -> QuarterGrid:
    """The hotline's quarterly values of ``year``, each of the version in force then."""
    check_year(year, today=today)
    metrics, in_force = year_in_force(session, year=year)
    code_of = {m.id: m.code for m in in_force.values()}
    cells = {
        (code_of[row.metric_id], quarter_of(row.period_start)): row
        for row in _rows(session, hotline=hotline, year=year, metrics=in_force.values())
        if row.period_kind == PeriodKind.QUARTER
    }
    quarters = [
        GridQuarter(q, *quarter_bounds(year, q), open_for_entry=quarter_bounds(year, q)[1] < today)
        for q in QUARTERS
    ]
    return QuarterGrid(
        hotline=hotline,
        year=year,
        quarters=quarters,
        metrics=metrics,
        cells=cells,
        in_force=in_force,
    )


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
        raise ValueError(
            "Days cannot be negative."
            if metric.unit == MetricUnit.DAYS
            else "A count cannot be negative."
            if metric.unit.is_count
            else "A percentage cannot be negative: it is from 0 to 100."
        )
    if metric.unit.is_count:
        if _WHOLE.match(text):
            value = Decimal(text.replace(",", ""))
            if value > MAX_COUNT:
                raise ValueError("This count is too large.")
            return value
        if _DECIMAL.match(text):
            raise ValueError("Counts are whole numbers: no decimals.")
        raise ValueError("Enter a whole number, e.g. 1250.")
    days = metric.unit == MetricUnit.DAYS
    example = "3.5" if days else "87.5"
    if "," in text and _DECIMAL.match(text.replace(",", ".")):
        raise ValueError(f"Use a point for decimals, e.g. {example}.")
    if not _DECIMAL.match(text):
        raise ValueError(
            "Enter a number of days, e.g. 3.5."
            if days
            else "Enter a percentage from 0 to 100, e.g. 87.5."
        )
    value = Decimal(text)
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(f"At most 2 decimals, e.g. {'3.25' if days else '87.25'}.")
    if days and value > MAX_DAYS:
        raise ValueError(f"At most {MAX_DAYS} days (ten years).")
    if not days and value > 100:
        raise ValueError("A percentage is from 0 to 100.")
    return value


def _cell_changes(
    session: Session,
    *,
    in_force: Mapping[Cell, MetricDefinition],
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
    changes = []
    for cell in stale:
        stat = cells.get(cell)
        event = last_event.get(cell)
        metric = in_force[cell]
        changes.append(
            CellChange(
                metric=metric_label(metric),
                quarter=cell[1],
                value_now=format_value(metric, stat.value if stat else None) or "empty",
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
    columns, in_force = year_in_force(session, year=year, batch=batch)
    codes = {m.code for m in columns}
    code_of = {m.id: m.code for m in in_force.values()}
    cells: dict[Cell, HotlineStatistic] = {}
    blocked: dict[Cell, HotlineStatistic] = {}
    for row in _rows(session, hotline=hotline, year=year, metrics=in_force.values(), stored=stored):
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
        if quarter not in QUARTERS or (code not in codes and not is_known_code(session, code)):
            raise ValidationError(None, f"There is no cell {code} Q{quarter} on this grid.")
        if cell not in in_force:
            if str(raw if raw is not None else "").strip():
                errors[cell] = not_in_force_message(session, code=code, year=year, quarter=quarter)
            continue
        try:
            value = _parse_cell(in_force[cell], raw)
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
            low_metric, high_metric = (
                in_force.get((smaller, quarter)),
                in_force.get((larger, quarter)),
            )
            # Only figures of one unit compare: assessed URLs against exchanged URLs.
            if low_metric is None or high_metric is None or low_metric.unit != high_metric.unit:
                continue
            low, high = final(smaller, quarter), final(larger, quarter)
            if low is not None and high is not None and low > high:
                target = (smaller, quarter) if (smaller, quarter) in values else (larger, quarter)
                errors.setdefault(
                    target,
                    f"{low_metric.name} ({int(low)}) cannot be more than "
                    f"{high_metric.name[:1].lower()}{high_metric.name[1:]} ({int(high)}) in "
                    f"Q{quarter}.",
                )
    if errors:
        raise GridInvalid(
            {cell: errors[cell] for cell in sorted(errors, key=lambda c: (c[1], c[0]))}
        )

    if expected_versions is not None:
        changes = _cell_changes(
            session,
            in_force=in_force,
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
                "metric_id": in_force[cell].id,
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
