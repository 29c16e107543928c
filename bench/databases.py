"""The scratch database of a bench run: created by the run, dropped by it, never anyone else's.

Every bench takes ``--database-url``: the PostgreSQL database it is to create (default
``coordapp_bench_<pid>`` on the local server, so two runs on one server never meet). A run
refuses a database that exists already, and drops only the one it created. On SQLite the
database is a file in a temporary folder.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

LOCAL_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def default_url(bench: str) -> str:
    """A database name of this process's own: ``coordapp_<bench>_<pid>``."""
    return f"{LOCAL_SERVER}/coordapp_{bench}_{os.getpid()}"


def add_argument(parser: argparse.ArgumentParser, bench: str) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL") or default_url(bench),
        help=(
            "the PostgreSQL database this run creates and drops (it must not exist); "
            f"default {default_url(bench).replace(str(os.getpid()), '<pid>')}"
        ),
    )


def _admin(url: sa.URL) -> sa.Engine:
    """The server's maintenance database, where CREATE / DROP DATABASE run."""
    return sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")


def reachable(database_url: str) -> bool:
    engine = _admin(sa.make_url(database_url))
    try:
        with engine.connect():
            return True
    except sa.exc.OperationalError:
        return False
    finally:
        engine.dispose()


@contextlib.contextmanager
def scratch(backend: str, database_url: str, *, prefix: str = "coordapp-bench-") -> Iterator[str]:
    """A fresh, empty database for one run (its URL), removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        return
    url = sa.make_url(database_url)
    name = url.database
    if not name or name in ("postgres", "template0", "template1"):
        raise SystemExit(f"--database-url must name a new database, not {name!r}.")
    admin = _admin(url)
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists:
                raise SystemExit(
                    f"The database {name!r} exists already: a bench drops only what it created, "
                    "so choose another --database-url (or drop it yourself)."
                )
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
