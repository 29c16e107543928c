"""The PostgreSQL databases the suite makes for itself, each named after the test database.

Under pytest-xdist (``make test``, ``pytest -n auto``) each worker process runs on a database
of its own: ``<database of TEST_DATABASE_URL>_<worker id>`` (``test`` -> ``test_gw0``,
``test_gw1`` …), created when the worker starts and dropped when it ends (tests/conftest.py).
The scratch databases of single tests are named after the database the process runs on
(``test_gw0_migrations``, ``test_gw0_scratch_faults``), so neither two workers nor two runs on
other test databases ever meet. On SQLite every process has a temporary file of its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def xdist_worker() -> str | None:
    """``gw0``, ``gw1`` … in a pytest-xdist worker; None in a single-process run."""
    return os.environ.get("PYTEST_XDIST_WORKER")


def sibling_url(url: str, suffix: str) -> str:
    """The URL of the database ``<url's database>_<suffix>`` on the same server."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)


def _admin_engine(url: str) -> sa.Engine:
    """The server's maintenance database, where CREATE / DROP DATABASE run."""
    return sa.create_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )


def _drop(conn: sa.Connection, name: str | None) -> None:
    conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def create_database(url: str, *, replace: bool) -> None:
    """Create the database ``url`` names; an existing one is dropped first with ``replace``,
    else kept (its tables are the caller's business)."""
    name = make_url(url).database
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            if replace:
                _drop(conn, name)
            elif conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first():
                return
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()


def drop_database(url: str) -> None:
    """Drop the database ``url`` names, closing whatever connections it still has."""
    admin = _admin_engine(url)
    try:
        with admin.connect() as conn:
            _drop(conn, make_url(url).database)
    finally:
        admin.dispose()


@contextmanager
def scratch_database(base_url: str, suffix: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database ``<base database>_<suffix>``; dropped after."""
    url = sibling_url(base_url, suffix)
    create_database(url, replace=True)
    try:
        yield url
    finally:
        drop_database(url)
