"""Benches create their own PostgreSQL database and drop only that one (bench/databases.py):
two runs on one server never meet, and a database somebody else uses is never dropped."""

from __future__ import annotations

import os
import uuid

import pytest
import sqlalchemy as sa

from bench import databases

URL = os.environ.get("TEST_DATABASE_URL") or ""
pytestmark = pytest.mark.skipif(
    not URL.startswith("postgresql"), reason="the scratch databases are PostgreSQL's"
)


def _exists(name: str) -> bool:
    engine = sa.create_engine(sa.make_url(URL).set(database="postgres"))
    try:
        with engine.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
            ).first()
            return found is not None
    finally:
        engine.dispose()


def test_a_bench_creates_its_database_and_drops_it_afterwards() -> None:
    name = f"coordapp_benchtest_{uuid.uuid4().hex[:8]}"
    url = sa.make_url(URL).set(database=name).render_as_string(hide_password=False)
    with databases.scratch("postgresql", url) as given:
        assert sa.make_url(given).database == name
        assert _exists(name)
    assert not _exists(name)


def test_a_database_that_exists_is_refused_and_left_alone() -> None:
    existing = sa.make_url(URL).database or ""
    with pytest.raises(SystemExit, match="exists already"), databases.scratch("postgresql", URL):
        pass
    assert _exists(existing)


def test_each_process_has_its_own_default_database() -> None:
    assert databases.default_url("lists").endswith(f"/coordapp_lists_{os.getpid()}")
