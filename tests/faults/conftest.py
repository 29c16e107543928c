"""Fault tests need committed data and connections of their own, so they do not use the
rolled-back transaction of tests/conftest.py: each builds a scratch database next to the test
database (named after it, so parallel runs on other test databases and other xdist workers
never collide: tests/_databases.py), migrates and seeds it, and drops it at the end.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from flask import Flask
from flask_migrate import upgrade

from coordapp import create_app
from coordapp.extensions import db
from coordapp.network.compliance_requirements import seed_requirements
from coordapp.reference.service import seed_reference_data
from tests._databases import scratch_database


def postgres_test_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL")
    return url if url and url.startswith("postgresql") else None


needs_postgres = pytest.mark.skipif(
    postgres_test_url() is None, reason="PostgreSQL-specific (TEST_DATABASE_URL is not PostgreSQL)"
)


def scratch_postgres(suffix: str) -> AbstractContextManager[str]:
    """A fresh, empty PostgreSQL database ``<test database>_scratch_<suffix>``; dropped after."""
    base = postgres_test_url()
    assert base is not None
    return scratch_database(base, f"scratch_{suffix}")


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
            seed_requirements(db.session())
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
