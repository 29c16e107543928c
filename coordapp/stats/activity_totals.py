"""Hotline activity totals kept current on write: what the activity figures read instead of
every statistic (PostgreSQL).

Two derived tables (``coordapp.stats.models``), never edited by hand:

* ``activity_totals`` — per metric version, period, hotline country and whether the values
  count (``quarters.with_counted``, the one rule: their quarter is approved): the values'
  sum, how many, and how many are small (above 0, below the disclosure threshold, stored with
  them). The figures per quarter, region and country add these few thousand rows up; the
  quarters with uncounted values are the provisional ones.
* ``activity_presence`` — per metric version, year and hotline: the hotline has counted values
  (how many distinct hotlines a group's figures over years are built on: not a sum).

Sums are NUMERIC, exact: a mean is the sum of the sums over the sum of the counts, the very
division ``avg`` does, so a figure read from the totals equals the one computed from the rows
to the last digit (the tests compare both ways, ``coordapp.reporting.activity``).

**Kept current in the writing transaction** (``coordapp.kept``): a flush notes the (hotline,
period) of the statistics and quarters it writes, and the hotlines whose country changes; the
totals of those hotlines' countries in those quarters (and the presence of those hotlines in
those years) are computed again from the rows before the transaction commits. A hotline that
moves takes its quarters' totals from its old country to its new one. Metric definitions are
read with the totals (code, version and unit), archiving changes no figure. The small counts
are of the threshold stored with them: a refresh under another ``SMALL_COUNT_THRESHOLD``
builds every total again, and until then a figure asked at another threshold is computed
from the rows.

On SQLite the tables stay empty and the figures are computed from the rows: it keeps the
values as binary floats, whose sums depend on the order they are added in, and its databases
are small.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import instance_state

from coordapp import disclosure
from coordapp.kept import KeptRows, chunks, rows_with, stored_ids, written
from coordapp.network.models import Hotline
from coordapp.stats import quarters
from coordapp.stats.models import ActivityPresence, ActivityTotal, HotlineQuarter, HotlineStatistic
from coordapp.stats.periods import quarter_bounds, quarter_of
from coordapp.writers_lock import serialize_writers

TOTALS: sa.Table = ActivityTotal.__table__  # type: ignore[assignment]
PRESENCE: sa.Table = ActivityPresence.__table__  # type: ignore[assignment]
_WRITTEN = (HotlineStatistic, HotlineQuarter)


def _quarter(day: date) -> date:
    return quarter_bounds(day.year, quarter_of(day))[0]


# --- what a transaction changed -------------------------------------------------------------


@dataclass
class _Changes:
    """What the flushes of one transaction touched, until the totals are refreshed."""

    # (hotline id, period start) of the statistics and quarters written, before and after.
    periods: set[tuple[int, date]] = field(default_factory=set)
    # (country, quarter start) of the ones before, in their hotline's country then.
    slices: set[tuple[str, date]] = field(default_factory=set)
    moved: dict[int, set[str]] = field(default_factory=dict)  # hotline id -> its countries before


def _before_flush(session: Session) -> None:
    """Before rows change or go: what they were (read from the database, so that an attribute
    never loaded before it was set still counts)."""
    ids = stored_ids(session, (*_WRITTEN, Hotline), _counts_for_activity)
    if not ids:
        return
    changes = KEPT.changes(session)
    before: set[tuple[int, date]] = set()
    for model in _WRITTEN:
        cols = (model.hotline_id, model.period_start)
        before.update(rows_with(session, model.id, ids[model], cols))
    changes.periods.update(before)
    country = _countries(session, {hid for hid, _ in before} | ids[Hotline])
    changes.slices.update((country[hid], _quarter(start)) for hid, start in before)
    for hid in ids[Hotline]:
        changes.moved.setdefault(hid, set()).add(country[hid])


def _counts_for_activity(obj: Any) -> bool:
    """A statistic or quarter changed counts; a hotline, when its country changes."""
    return (
        not isinstance(obj, Hotline) or instance_state(obj).attrs.country_code.history.has_changes()
    )


def _after_flush(session: Session) -> None:
    """After rows are written: which ones (their country is read when the totals are)."""
    periods = [(obj.hotline_id, obj.period_start) for obj in written(session, _WRITTEN)]
    if periods:
        KEPT.changes(session).periods.update(periods)


def _note_inserted(changes: _Changes, model: type, values: Mapping[str, Any]) -> None:
    """A row an INSERT statement names (an import's batch). A new hotline has no figures."""
    if model is not Hotline:
        changes.periods.add((values["hotline_id"], values["period_start"]))


def _countries(session: Session, hotline_ids: set[int]) -> dict[int, str]:
    """Hotline id -> its country, as the database holds it."""
    return dict(rows_with(session, Hotline.id, hotline_ids, (Hotline.id, Hotline.country_code)))


# --- refreshing ------------------------------------------------------------------------------


def stored_threshold(session: Session) -> int | None:
    """The disclosure threshold the stored small counts are of (None: nothing stored)."""
    return session.scalar(sa.select(TOTALS.c.small_below).limit(1))


def answers(session: Session, *, small_below: int) -> bool:
    """Whether the totals give the figures with small counts at ``small_below`` (brought up
    to date with this transaction's writes first): kept here, and counted at that threshold
    (none is small below 1 or less, whatever they were counted at)."""
    if not kept(session):
        return False
    refresh(session)
    stored = stored_threshold(session)
    return stored is not None and (small_below <= 0 or stored == small_below)


def _refresh_changes(session: Session, changes: _Changes) -> None:
    hotline_ids = {hid for hid, _ in changes.periods} | set(changes.moved)
    if not hotline_ids:
        return
    # Totals are computed from the rows other transactions have committed: wait for them.
    serialize_writers(session)
    stored = stored_threshold(session)
    if stored is not None and stored != disclosure.threshold():
        _rebuild_all(session)
        return
    # A hotline gone from the database has no figures left: its slices were noted before.
    country = _countries(session, hotline_ids)
    slices: dict[date, set[str]] = defaultdict(set)  # quarter start -> countries
    for code, start in changes.slices:
        slices[start].add(code)
    presence: dict[int, set[int]] = defaultdict(set)  # year -> hotlines
    for hid, start in changes.periods:
        if hid in country:
            slices[_quarter(start)].add(country[hid])
        presence[start.year].add(hid)
    stat = HotlineStatistic
    for hid, start in rows_with(
        session, stat.hotline_id, changes.moved, (stat.hotline_id, stat.period_start)
    ):
        slices[_quarter(start)].update({country[hid], *changes.moved[hid]})
    for start, codes in sorted(slices.items()):
        end = quarter_bounds(start.year, quarter_of(start))[1]
        for chunk in chunks(codes):
            where = _in_slice(start, end, chunk)
            session.execute(
                sa.delete(TOTALS).where(where(TOTALS.c.period_start, TOTALS.c.country_code))
            )
            _insert_totals(session, where)
    for year, hids in sorted(presence.items()):
        for chunk in chunks(hids):
            session.execute(
                sa.delete(PRESENCE).where(PRESENCE.c.year == year, PRESENCE.c.hotline_id.in_(chunk))
            )
            _insert_presence(session, year, chunk)


def _in_slice(start: date, end: date, codes: list[str]) -> Callable[[Any, Any], Any]:
    """(period, country) -> the condition that they are of the quarter and the countries."""

    def where(period: Any, code: Any) -> Any:
        return sa.and_(period.between(start, end), code.in_(codes))

    return where


def _rebuild_all(session: Session) -> None:
    serialize_writers(session)
    session.execute(sa.delete(TOTALS))
    session.execute(sa.delete(PRESENCE))
    _insert_totals(session, None)
    _insert_presence(session, None, None)


def _insert_totals(session: Session, where: Any) -> None:
    """Sum the statistics (of some periods and countries: ``where(period, country)``; None:
    every one) into activity_totals."""
    stat = HotlineStatistic
    threshold = disclosure.threshold()
    values: Any = sa.select(
        stat.metric_id,
        stat.period_start,
        Hotline.country_code,
        stat.value,
        sa.and_(stat.value > 0, stat.value < threshold).label("small"),
    ).join(Hotline, Hotline.id == stat.hotline_id)
    if where is not None:
        values = values.where(where(stat.period_start, Hotline.country_code))
    values, is_counted = quarters.with_counted(values, stat)
    rows = values.add_columns(is_counted.label("counted")).subquery("activity_values")
    summed = sa.select(
        rows.c.metric_id,
        rows.c.period_start,
        rows.c.country_code,
        rows.c.counted,
        sa.func.sum(rows.c.value),
        sa.func.count(),
        sa.func.count().filter(rows.c.small),
        sa.literal(threshold, sa.Integer),
    ).group_by(rows.c.metric_id, rows.c.period_start, rows.c.country_code, rows.c.counted)
    session.execute(
        sa.insert(TOTALS).from_select(
            [
                "metric_id",
                "period_start",
                "country_code",
                "counted",
                "value_sum",
                "value_count",
                "small_count",
                "small_below",
            ],
            summed,
        )
    )


def _insert_presence(session: Session, year: int | None, hotline_ids: list[int] | None) -> None:
    """The hotlines (some, in ``year``; None: every one) with counted values of each
    metric version in each year, into activity_presence."""
    stat = HotlineStatistic
    year_of = sa.cast(sa.extract("year", stat.period_start), sa.Integer)
    present = (
        sa.select(stat.metric_id, year_of, stat.hotline_id).where(quarters.counted(stat)).distinct()
    )
    if year is not None:
        present = present.where(
            stat.period_start.between(date(year, 1, 1), date(year, 12, 31)),
            stat.hotline_id.in_(hotline_ids or []),
        )
    session.execute(sa.insert(PRESENCE).from_select(["metric_id", "year", "hotline_id"], present))


_STEPS = (_note_inserted, _before_flush, _after_flush, _refresh_changes, _rebuild_all)
KEPT = KeptRows("activity_totals_pending", _Changes, (*_WRITTEN, Hotline), *_STEPS)
# For create_app (install), the figures (kept, refresh), restores and bulk loads (rebuild).
install, refresh, rebuild, kept = KEPT.install, KEPT.refresh, KEPT.rebuild, KEPT.kept
