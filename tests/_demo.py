"""The demo network for tests that read it: loaded for real once per process, replayed after.

``coordapp.demo.service.load_demo`` builds ~12,000 ORM objects, several seconds per call, and
some thirty tests each load it into their rolled-back transaction. ``load_demo_cached`` runs the
real loader the first time (per ``today`` and per starting state), records every row it wrote,
and on later calls writes the same rows again with bulk Core inserts, in a small fraction of
that time. The rows are the loader's own, ids included; the data version moves on as a load's
would. Whenever a replay cannot be the same as a load, the real loader runs instead: the demo is
there already, the session has an actor, the tables hold other rows than when it was recorded,
or an inserted id is taken. tests/demo/ tests the loader itself and never goes through here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.data_version import DATA_VERSION_TABLE, bump_data_version, data_versions
from coordapp.db import DERIVED, Base
from coordapp.demo.service import DemoResult, load_demo
from coordapp.funding import totals
from coordapp.partners.models import Organization
from coordapp.stats import activity_totals
from coordapp.training import totals as training_totals

Rows = dict[str, dict[tuple[Any, ...], dict[str, Any]]]


@dataclass(frozen=True)
class _Recording:
    result: DemoResult
    inserted: dict[str, list[dict[str, Any]]]  # table -> rows, parents before children
    updated: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]]  # table -> (before, after)
    moved: frozenset[str]  # the groups whose data version the load moved on


# (database URL, today, row count of each table before the load) -> what the load wrote.
_recordings: dict[tuple[str, date, tuple[int, ...]], _Recording] = {}
# How each call went: "recorded", "replayed" or "loaded" (the real loader, no replay possible).
calls: Counter[str] = Counter()


def _tables() -> list[sa.Table]:
    """The tables a load writes to; not the data version (moved on by a replay as by a load)
    nor the derived funding totals (computed again after a replay, as after any bulk load)."""
    return [
        t
        for t in Base.metadata.sorted_tables
        if t is not DATA_VERSION_TABLE and not t.info.get(DERIVED)
    ]


def _key(table: sa.Table, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c.name] for c in table.primary_key.columns)


def _read(session: Session) -> Rows:
    return {
        t.name: {_key(t, dict(r._mapping)): dict(r._mapping) for r in session.execute(t.select())}
        for t in _tables()
    }


def _counts(session: Session) -> tuple[int, ...]:
    counts = [sa.select(sa.func.count()).select_from(t).scalar_subquery() for t in _tables()]
    return tuple(session.execute(sa.select(*counts)).one())


def _record(session: Session, today: date) -> _Recording:
    before, versions = _read(session), data_versions(session)
    result = load_demo(session, today=today)
    session.flush()
    after = _read(session)
    moved = frozenset(g for g, v in data_versions(session).items() if v != versions[g])
    inserted: dict[str, list[dict[str, Any]]] = {}
    updated: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for table in _tables():
        old, new = before[table.name], after[table.name]
        assert old.keys() <= new.keys(), f"the demo load deleted rows of {table.name}"
        if rows := [row for key, row in new.items() if key not in old]:
            inserted[table.name] = rows
        if changes := [(old[k], new[k]) for k in old if old[k] != new[k]]:
            updated[table.name] = changes
    return _Recording(result, inserted, updated, moved)


def _replay(session: Session, recording: _Recording) -> bool:
    """Write the recorded rows in a savepoint; False (nothing written) when they don't fit."""
    tables = {t.name: t for t in _tables()}
    for name, changes in recording.updated.items():
        table = tables[name]
        for before, _after in changes:
            current = session.execute(
                table.select().where(*(c == before[c.name] for c in table.primary_key.columns))
            ).first()
            if current is None or dict(current._mapping) != before:
                return False
    savepoint = session.begin_nested()
    try:
        for table in _tables():
            if rows := recording.inserted.get(table.name):
                session.execute(table.insert(), rows)
            for before, after in recording.updated.get(table.name, []):
                session.execute(
                    table.update()
                    .where(*(c == before[c.name] for c in table.primary_key.columns))
                    .values(after)
                )
    except sa.exc.IntegrityError:
        savepoint.rollback()
        return False
    savepoint.commit()
    bump_data_version(session, recording.moved)
    totals.rebuild(session)
    training_totals.rebuild(session)
    activity_totals.rebuild(session)
    return True


def load_demo_cached(session: Session, *, today: date) -> DemoResult:
    """What ``load_demo(session, today=today)`` does, in a replay when one was recorded."""
    session.flush()
    if (
        session.info.get(audit._ACTOR_ID) is not None
        or session.scalar(sa.select(Organization.id).limit(1)) is not None
    ):
        calls["loaded"] += 1
        return load_demo(session, today=today)
    key = (str(session.get_bind().engine.url), today, _counts(session))
    recording = _recordings.get(key)
    if recording is None:
        calls["recorded"] += 1
        _recordings[key] = _record(session, today)
        return _recordings[key].result
    if _replay(session, recording):
        calls["replayed"] += 1
        return recording.result
    calls["loaded"] += 1
    return load_demo(session, today=today)
