"""tests/_demo.py: a replayed demo network is the one the loader writes."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.data_version import DATA_VERSION_TABLE, data_versions
from coordapp.db import Base
from coordapp.demo.service import load_demo
from coordapp.funding import totals
from coordapp.stats import activity_totals
from coordapp.training import totals as training_totals
from tests import _demo
from tests._demo import load_demo_cached

TODAY = date(2026, 11, 26)


def _contents(session: Session) -> dict[str, Counter[str]]:
    """Every table's rows without ids, references and timestamps (they differ between loads
    on PostgreSQL, whose sequences a rollback does not move back), nor password hashes (each
    hash has a salt of its own). The funding and activity totals brought up to date first
    (PostgreSQL), as a commit would.

    On PostgreSQL the numbers inside texts are left out too: references and audit summaries
    name ids (NAR-2024-43), and the two loads' ids differ there; on SQLite they are the same
    and every value is compared."""
    totals.refresh(session)
    training_totals.refresh(session)
    activity_totals.refresh(session)
    ids_differ = session.get_bind().dialect.name == "postgresql"

    def value(item: Any) -> Any:
        if isinstance(item, dict | list):
            item = json.dumps(item, default=str)
        return re.sub(r"\d+", "#", item) if ids_differ and isinstance(item, str) else item

    contents = {}
    for table in Base.metadata.sorted_tables:
        if table is DATA_VERSION_TABLE:
            continue
        columns = [
            c
            for c in table.columns
            if not (
                c.primary_key
                or c.foreign_keys
                or isinstance(c.type, sa.DateTime)
                or c.name == "password_hash"
            )
        ]
        if columns:
            contents[table.name] = Counter(
                json.dumps([value(item) for item in row], default=str)
                for row in session.execute(sa.select(*columns)).all()
            )
    return contents


def _in_savepoint(session: Session, load: Any) -> tuple[Any, ...]:
    savepoint = session.begin_nested()
    versions = data_versions(session)
    result = load(session, today=TODAY)
    moved = {g for g, v in data_versions(session).items() if v != versions[g]}
    contents = _contents(session)
    savepoint.rollback()
    return result, moved, contents


def test_a_replayed_demo_network_has_the_rows_of_a_real_load(session: Session) -> None:
    loaded, loaded_moved, loaded_contents = _in_savepoint(session, load_demo)
    _in_savepoint(session, load_demo_cached)  # recorded here, unless an earlier test did
    replays = _demo.calls["replayed"]
    replayed, replayed_moved, replayed_contents = _in_savepoint(session, load_demo_cached)

    assert _demo.calls["replayed"] == replays + 1, _demo.calls
    assert loaded.loaded and replayed == loaded
    assert sum(map(len, loaded_contents.values())) > 1000
    assert replayed_contents == loaded_contents
    assert replayed_moved == loaded_moved
