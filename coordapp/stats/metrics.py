"""Versioned metric definitions: which version is in force when, and the admins' changes.

A metric (a ``code``) has versions; each runs from the first day of a quarter (``valid_from``)
to the last day of a quarter (``valid_until``, open while in force), and the versions of one code
never overlap. So every quarter (and every month in it) has at most one version in force, and a
value is stored against exactly that version. Whole quarters, because figures are reported per
quarter: a version starting mid-quarter would leave a quarter with two meanings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching
from coordapp.batching import Batch
from coordapp.errors import ValidationError
from coordapp.records import service as records
from coordapp.reference.models import MetricDefinition, MetricUnit
from coordapp.stats.models import HotlineStatistic
from coordapp.stats.periods import QUARTERS, quarter_bounds
from coordapp.validation import choice, required_text
from coordapp.writers_lock import serialize_writers

CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


def _in_force(on: date) -> Any:
    return sa.and_(
        MetricDefinition.valid_from <= on,
        sa.or_(MetricDefinition.valid_until.is_(None), MetricDefinition.valid_until >= on),
    )


def metrics_in_force(
    session: Session, *, on: date, batch: Batch | None = None
) -> list[MetricDefinition]:
    """The version of each metric in force on ``on`` (any day of a quarter gives that quarter's
    versions), in display order. A metric retired before ``on`` or not yet started is absent.
    In an import's ``batch`` every version is read once, for all the file's quarters."""
    if batch is not None:
        versions = batching.remembered(
            batch, "metrics", "all_versions", lambda: all_versions(session)
        )
        return sorted(
            (m for m in versions or [] if m.in_force_on(on)), key=lambda m: (m.sort_order, m.code)
        )
    return list(
        session.scalars(
            sa.select(MetricDefinition)
            .where(_in_force(on))
            .order_by(MetricDefinition.sort_order, MetricDefinition.code)
        )
    )


def version_in_force(session: Session, *, code: str, on: date) -> MetricDefinition | None:
    """The version of metric ``code`` in force on ``on``, if any."""
    return session.scalars(
        sa.select(MetricDefinition).where(MetricDefinition.code == code, _in_force(on))
    ).first()


def all_versions(session: Session, *, code: str | None = None) -> list[MetricDefinition]:
    """Every version of every metric (or of ``code``), by metric then version."""
    query = sa.select(MetricDefinition).order_by(
        MetricDefinition.sort_order, MetricDefinition.code, MetricDefinition.version
    )
    if code is not None:
        query = query.where(MetricDefinition.code == code)
    return list(session.scalars(query))


def get_version(session: Session, metric_id: int) -> MetricDefinition:
    obj: MetricDefinition = records.get_or_404(
        session, MetricDefinition, metric_id, what="metric definition"
    )
    return obj


# --- a year's quarters (the grid's cells: (metric code, quarter)) ---------------------------


def year_in_force(
    session: Session, *, year: int, batch: Batch | None = None
) -> tuple[list[MetricDefinition], dict[tuple[str, int], MetricDefinition]]:
    """The grid's columns (each metric's latest version in force in ``year``) and, per cell,
    the version in force for that quarter."""
    in_force: dict[tuple[str, int], MetricDefinition] = {}
    columns: dict[str, MetricDefinition] = {}
    for quarter in QUARTERS:
        for metric in metrics_in_force(session, on=quarter_bounds(year, quarter)[0], batch=batch):
            in_force[(metric.code, quarter)] = metric
            columns[metric.code] = metric
    ordered = sorted(columns.values(), key=lambda m: (m.sort_order, m.code))
    return ordered, in_force


def is_known_code(session: Session, code: str) -> bool:
    return bool(
        session.scalar(sa.select(MetricDefinition.id).where(MetricDefinition.code == code).limit(1))
    )


def not_in_force_message(session: Session, *, code: str, year: int, quarter: int) -> str:
    """Why a metric takes no value in a quarter: when its versions are in force instead."""
    spans = ", ".join(
        f"{m.valid_from.isoformat()} to {m.valid_until.isoformat() if m.valid_until else 'now'}"
        for m in session.scalars(
            sa.select(MetricDefinition)
            .where(MetricDefinition.code == code)
            .order_by(MetricDefinition.version)
        )
    )
    return (
        f"The metric {code} is not counted in Q{quarter} {year}: its definition is in force "
        f"from {spans}. Nothing was saved."
    )


# --- quarters ----------------------------------------------------------------------------------


# The rule of a version's bounds (``is_quarter_start``, ``is_quarter_end``), as a refusal says it.
STARTS_ON_A_QUARTER = (
    "A version starts on the first day of a quarter (1 January, 1 April, 1 July or "
    "1 October), so each quarter's figures have one definition."
)
ENDS_ON_A_QUARTER = (
    "A version ends on the last day of a quarter (31 March, 30 June, 30 September or 31 December)."
)


def is_quarter_start(day: date) -> bool:
    return day.day == 1 and day.month in (1, 4, 7, 10)


QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))


def is_quarter_end(day: date) -> bool:
    return (day.month, day.day) in QUARTER_ENDS  # (no day after 9999-12-31 to look at)


# --- the admins' changes -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetricData:
    """A version as typed: its name, meaning, unit and validity."""

    name: str
    definition: str
    unit: Any
    valid_from: date | None
    valid_until: date | None = None


def _clean(data: MetricData) -> tuple[str, str, MetricUnit, date, date | None]:
    name = required_text("name", data.name, max_length=120)
    definition = required_text("definition", data.definition, max_length=2000)
    unit = choice("unit", MetricUnit, data.unit)
    if data.valid_from is None:
        raise ValidationError("valid_from", "Enter the first day the version is in force.")
    if not is_quarter_start(data.valid_from):
        raise ValidationError("valid_from", STARTS_ON_A_QUARTER)
    if data.valid_until is not None:
        if data.valid_until < data.valid_from:
            raise ValidationError("valid_until", "“Valid until” cannot be before “valid from”.")
        if not is_quarter_end(data.valid_until):
            raise ValidationError("valid_until", ENDS_ON_A_QUARTER)
    return name, definition, unit, data.valid_from, data.valid_until


def _check_overlap(
    session: Session,
    *,
    code: str,
    valid_from: date,
    valid_until: date | None,
    except_id: int | None = None,
) -> None:
    for other in all_versions(session, code=code):
        if other.id == except_id:
            continue
        ends_after_start = other.valid_until is None or other.valid_until >= valid_from
        starts_before_end = valid_until is None or other.valid_from <= valid_until
        if ends_after_start and starts_before_end:
            until = other.valid_until.isoformat() if other.valid_until else "open-ended"
            raise ValidationError(
                "valid_from",
                f"Version {other.version} of this metric is in force from "
                f"{other.valid_from.isoformat()} ({until}): versions of one metric cannot "
                "overlap. Retire it first, or choose other dates.",
            )


def _check_stored_values(
    session: Session, *, metric: MetricDefinition, valid_from: date, valid_until: date | None
) -> None:
    """Values stored against ``metric`` must stay inside its validity."""
    stat = HotlineStatistic
    outside = sa.or_(
        stat.period_start < valid_from,
        *([stat.period_start > valid_until] if valid_until is not None else []),
    )
    row = session.execute(
        sa.select(sa.func.count(), sa.func.min(stat.period_start), sa.func.max(stat.period_start))
        .where(stat.metric_id == metric.id)
        .where(outside)
    ).one()
    if row[0]:
        raise ValidationError(
            "valid_until" if valid_until is not None else "valid_from",
            f"{row[0]} value{'s are' if row[0] != 1 else ' is'} stored against version "
            f"{metric.version} for periods from {row[1].isoformat()} to {row[2].isoformat()}, "
            "outside these dates. Nothing was changed.",
        )


def create_metric(session: Session, *, code: str, data: MetricData) -> MetricDefinition:
    """A new metric: its version 1. Flushes."""
    code = (code or "").strip()
    if not CODE.match(code):
        raise ValidationError(
            "code",
            "A code is 2 to 40 lower-case letters, digits or underscores, starting with a "
            "letter, e.g. median_days_to_removal.",
        )
    name, definition, unit, valid_from, valid_until = _clean(data)
    serialize_writers(session)
    if session.scalar(sa.select(MetricDefinition.id).where(MetricDefinition.code == code)):
        raise ValidationError(
            "code", f"A metric with the code {code!r} exists: add a new version of it instead."
        )
    order = session.scalar(sa.select(sa.func.max(MetricDefinition.sort_order))) or 0
    metric = MetricDefinition(
        code=code,
        version=1,
        name=name,
        definition=definition,
        unit=unit,
        valid_from=valid_from,
        valid_until=valid_until,
        sort_order=order + 1,
    )
    session.add(metric)
    session.flush()
    return metric


def add_version(session: Session, *, of: MetricDefinition, data: MetricData) -> MetricDefinition:
    """The next version of ``of``'s metric. An open-ended latest version is retired the day
    before the new one starts (refused if values of its later quarters are stored). Flushes."""
    name, definition, unit, valid_from, valid_until = _clean(data)
    serialize_writers(session)
    versions = all_versions(session, code=of.code)
    latest = versions[-1]
    if valid_from <= latest.valid_from:
        raise ValidationError(
            "valid_from",
            f"A new version starts after version {latest.version} does "
            f"({latest.valid_from.isoformat()}).",
        )
    closing = latest.valid_until is None
    if closing:
        until = valid_from - timedelta(days=1)
        _check_stored_values(
            session, metric=latest, valid_from=latest.valid_from, valid_until=until
        )
    _check_overlap(
        session,
        code=of.code,
        valid_from=valid_from,
        valid_until=valid_until,
        except_id=latest.id if closing else None,
    )
    if closing:  # only once every check has passed: nothing changes on a refusal
        latest.valid_until = until
    metric = MetricDefinition(
        code=of.code,
        version=latest.version + 1,
        name=name,
        definition=definition,
        unit=unit,
        valid_from=valid_from,
        valid_until=valid_until,
        sort_order=latest.sort_order,
    )
    session.add(metric)
    session.flush()
    return metric


def update_metric(session: Session, *, metric: MetricDefinition, data: MetricData) -> None:
    """Correct a version: its wording, and its dates as long as they overlap no other version
    and keep its stored values inside. Its unit changes only while no value is stored against
    it (a changed unit is a new version). Flushes."""
    name, definition, unit, valid_from, valid_until = _clean(data)
    serialize_writers(session)
    if unit != metric.unit and session.scalar(
        sa.select(HotlineStatistic.id).where(HotlineStatistic.metric_id == metric.id).limit(1)
    ):
        raise ValidationError(
            "unit",
            "Values are stored against this version in its unit: a new unit is a new version.",
        )
    _check_overlap(
        session,
        code=metric.code,
        valid_from=valid_from,
        valid_until=valid_until,
        except_id=metric.id,
    )
    _check_stored_values(session, metric=metric, valid_from=valid_from, valid_until=valid_until)
    metric.name, metric.definition, metric.unit = name, definition, unit
    metric.valid_from, metric.valid_until = valid_from, valid_until
    session.flush()


def retire_metric(session: Session, *, metric: MetricDefinition, valid_until: date | None) -> None:
    """End a version on ``valid_until`` (the last day of a quarter). Flushes."""
    if valid_until is None:
        raise ValidationError("valid_until", "Enter the last day the version is in force.")
    update_metric(
        session,
        metric=metric,
        data=MetricData(
            name=metric.name,
            definition=metric.definition,
            unit=metric.unit,
            valid_from=metric.valid_from,
            valid_until=valid_until,
        ),
    )
