"""Fault tests need committed data and connections of their own, so they do not use the
rolled-back transaction of tests/conftest.py: each builds a scratch database next to the test
database (named after it, so parallel runs on other test databases never collide), migrates
and seeds it, and drops it at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

from coordapp import create_app
from coordapp.extensions import db
from coordapp.reference.service import seed_reference_data


def postgres_test_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return url if url and url.startswith("postgresql") else None


needs_postgres = pytest.mark.skipif(
    postgres_test_url() is None, reason="PostgreSQL-specific (TEST_DATABASE_URL is not PostgreSQL)"
)


def _admin_engine(url: str) -> sa.Engine:
    return sa.create_engine(
        make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool
    )


@contextmanager
def scratch_postgres(suffix: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database ``<test database>_scratch_<suffix>``; dropped after."""
    base = postgres_test_url()
    assert base is not None
    name = f"{make_url(base).database}_scratch_{suffix}"
    admin = _admin_engine(base)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(url: str, **extra: object) -> Flask:
    return create_app(
        {
            "COORDAPP_ENV": "testing",
            "DATABASE_URL": url,
            "WTF_CSRF_ENABLED": False,
            **extra,
        }
    )


def migrate_and_seed(app: Flask, *, seed: bool = True) -> None:
    with app.app_context():
        upgrade()
        if seed:
            seed_reference_data(db.session())
            db.session.commit()
        db.session.remove()


@contextmanager
def app_on(
    url: str, *, migrate: bool = True, seed: bool = True, **extra: object
) -> Iterator[Flask]:
    app = make_app(url, **extra)
    if migrate:
        migrate_and_seed(app, seed=seed)
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def committed_app() -> Iterator[Flask]:
    """An app on its own migrated, seeded PostgreSQL database whose commits are real."""
    if postgres_test_url() is None:
        pytest.skip("PostgreSQL-specific (TEST_DATABASE_URL is not PostgreSQL)")
    with scratch_postgres("faults") as url, app_on(url) as app:
        yield app
