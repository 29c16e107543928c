"""`flask backup` / `flask restore` round trips: the demo network from a SQLite file into an
empty database (PostgreSQL when the suite runs on it, else another SQLite file) with every row
of every table equal, and the refusals that keep a restore from doing damage."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from coordapp.audit import service as audit
from coordapp.backup import service as backups
from coordapp.data_version import DataVersion
from coordapp.demo.service import load_demo
from coordapp.extensions import db
from coordapp.funding import totals as funding_totals
from coordapp.funding.models import ExchangeRate, FundingYearTotal
from coordapp.network.models import HotlineMembershipSpan
from coordapp.partners import organizations
from coordapp.partners.models import Organization
from tests.faults.conftest import app_on, postgres_test_url, scratch_postgres

# Its tests share a database built once per module: one xdist worker runs them all.
pytestmark = pytest.mark.xdist_group("faults.test_backup_restore")

TODAY = date(2026, 11, 26)
ODD_NOTES = "Zürich — “quoted”, 'single', \\ back\\slash\nsecond line\ttab ✓"


def _sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("backup")


@pytest.fixture(scope="module")
def source(workdir: Path) -> Iterator[Flask]:
    """A SQLite file database with the demo network and a few awkward values."""
    with app_on(_sqlite_url(workdir / "source.sqlite3")) as app:
        with app.app_context():
            session = db.session()
            audit.set_actor(session, actor_id=None, label="test:backup")
            assert load_demo(session, today=TODAY).loaded
            organizations.create_organization(
                session, data={"name": "Odd Values Ltd", "kind": "ngo", "notes": ODD_NOTES}
            )
            session.add(
                ExchangeRate(
                    base_code="EUR",
                    quote_code="JPY",
                    rate_date=date(2001, 2, 3),
                    rate=Decimal("0.0061234567"),
                )
            )
            session.commit()
            db.session.remove()
        yield app


@pytest.fixture(scope="module")
def dump(source: Flask, workdir: Path) -> Path:
    path = workdir / "coordapp-backup.zip"
    result = source.test_cli_runner().invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output
    return path


@contextmanager
def empty_target(workdir: Path, name: str) -> Iterator[Flask]:
    """A migrated database without any data: PostgreSQL when the suite runs on it."""
    with ExitStack() as stack:
        if postgres_test_url():
            url = stack.enter_context(scratch_postgres(name))
        else:
            url = _sqlite_url(workdir / f"{name}.sqlite3")
        yield stack.enter_context(app_on(url, seed=False))


def table_rows(app: Flask) -> dict[str, list[dict[str, Any]]]:
    with app.app_context(), db.engine.connect() as conn:
        return {
            table.name: [
                dict(row)
                for row in conn.execute(
                    sa.select(table).order_by(*table.primary_key.columns)
                ).mappings()
            ]
            for table in backups.tables()
            if table.name != DataVersion.__tablename__
        }


def stored_spans(app: Flask) -> list[tuple[Any, ...]]:
    span = HotlineMembershipSpan
    with app.app_context():
        rows = db.session.execute(
            sa.select(span.hotline_id, span.starts_on, span.ends_on, span.status, span.admitted_on)
        ).all()
        db.session.remove()
    return sorted(map(tuple, rows))


def data_version(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(DataVersion.version)) or 0)


def restore(app: Flask, path: Path, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=["restore", str(path), *args])


def assert_same_rows(expected: dict[str, list[dict[str, Any]]], app: Flask) -> None:
    actual = table_rows(app)
    assert actual.keys() == expected.keys()
    for name, rows in expected.items():
        assert len(actual[name]) == len(rows), name
        for want, got in zip(rows, actual[name], strict=True):
            assert got == want, f"{name}: {got} != {want}"


def test_the_dump_holds_every_table_and_its_revision(dump: Path, source: Flask) -> None:
    with zipfile.ZipFile(dump) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        names = set(archive.namelist())
    assert manifest["format"] == "coordapp-backup"
    with source.app_context(), db.engine.connect() as conn:
        assert manifest["schema_revision"] == backups.schema_revision(conn)
    assert {f"tables/{t.name}.jsonl" for t in backups.tables()} <= names
    assert manifest["tables"]["organizations"] > 50
    assert manifest["tables"]["hotline_statistics"] > 100


def test_the_dump_is_readable_by_its_owner_only(source: Flask, workdir: Path) -> None:
    # It holds password and API token hashes; a world-readable file there leaks them.
    path = workdir / "owner-only.zip"
    path.write_bytes(b"an older, world-readable file of the same name")
    path.chmod(0o644)
    old_umask = os.umask(0o022)
    try:
        result = source.test_cli_runner().invoke(args=["backup", str(path)])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not (workdir / "owner-only.zip.partial").exists()


def test_round_trip_into_an_empty_database_gives_equal_rows(
    source: Flask, dump: Path, workdir: Path
) -> None:
    expected = table_rows(source)
    with empty_target(workdir, "restore") as target:
        result = restore(target, dump)
        assert result.exit_code == 0, result.output
        assert_same_rows(expected, target)
        # Spot checks of the exact types (equality above already compares every value).
        with target.app_context():
            odd = db.session.scalar(
                sa.select(Organization).where(Organization.name == "Odd Values Ltd")
            )
            assert odd is not None and odd.notes == ODD_NOTES and odd.website is None
            assert isinstance(odd.created_at, datetime)
            rate = db.session.scalar(
                sa.select(ExchangeRate.rate).where(ExchangeRate.rate_date == date(2001, 2, 3))
            )
            assert rate == Decimal("0.0061234567")
            # The funding totals are not in the dump; PostgreSQL computed them from the rows.
            session = db.session()
            kept = session.scalar(sa.select(sa.func.count()).select_from(FundingYearTotal))
            assert (kept > 0) == funding_totals.kept(session)
            # Nor are the membership spans: computed again from the restored events, they are
            # the ones the source kept while the demo network was written.
            assert stored_spans(target) == stored_spans(source) != []
            # New records get fresh ids: the id sequences moved past the restored rows.
            session = db.session()
            highest = session.scalar(sa.select(sa.func.max(Organization.id)))
            created = organizations.create_organization(
                session, data={"name": "After The Restore", "kind": "academic"}
            )
            session.commit()
            assert created.id > highest
            db.session.remove()
        # The cache counter moves on, so no dashboard cache outlives the restore.
        assert data_version(target) > data_version(source)

        if postgres_test_url():
            # ... and back from PostgreSQL to a SQLite file.
            again = workdir / "from-postgres.zip"
            assert target.test_cli_runner().invoke(args=["backup", str(again)]).exit_code == 0
            with app_on(_sqlite_url(workdir / "back.sqlite3"), seed=False) as back:
                assert restore(back, again).exit_code == 0
                assert_same_rows(table_rows(target), back)


def test_restore_refuses_a_database_with_data_unless_replace(
    source: Flask, dump: Path, workdir: Path
) -> None:
    with empty_target(workdir, "refuse") as target:
        with target.app_context():
            session = db.session()
            organizations.create_organization(session, data={"name": "Already Here", "kind": "ngo"})
            session.commit()
            db.session.remove()
        before = table_rows(target)
        refused = restore(target, dump)
        assert refused.exit_code == 1
        assert "not empty" in refused.output and "--replace" in refused.output
        assert table_rows(target) == before

        replaced = restore(target, dump, "--replace")
        assert replaced.exit_code == 0, replaced.output
        assert_same_rows(table_rows(source), target)


def _rewritten(
    dump: Path, out: Path, *, manifest: dict[str, Any] | None = None, **files: str
) -> Path:
    with zipfile.ZipFile(dump) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "manifest.json" and manifest is not None:
                data = json.dumps({**json.loads(data), **manifest}).encode()
            elif item.filename in files:
                data = files[item.filename].encode()
            dst.writestr(item, data)
    return out


def test_restore_refuses_another_schema_revision(dump: Path, workdir: Path) -> None:
    other = _rewritten(dump, workdir / "other.zip", manifest={"schema_revision": "0123abcd"})
    with empty_target(workdir, "revision") as target:
        result = restore(target, other)
        assert result.exit_code == 1
        assert "schema revision 0123abcd" in result.output
        assert all(not rows for rows in table_rows(target).values())


def test_a_failed_restore_leaves_the_database_as_it_was(
    source: Flask, dump: Path, workdir: Path
) -> None:
    with zipfile.ZipFile(dump) as archive:
        lines = archive.read("tables/funding_receipts.jsonl").decode().splitlines()
    broken = _rewritten(
        dump,
        workdir / "broken.zip",
        **{"tables/funding_receipts.jsonl": "\n".join(lines[:-1]) + "\n"},
    )
    with empty_target(workdir, "broken") as target:
        assert restore(target, dump).exit_code == 0
        before = table_rows(target)
        result = restore(target, broken, "--replace")
        assert result.exit_code == 1
        assert "funding_receipts" in result.output
        assert table_rows(target) == before


def test_not_a_backup_is_refused(workdir: Path) -> None:
    junk = workdir / "junk.zip"
    with zipfile.ZipFile(junk, "w") as archive:
        archive.writestr("hello.txt", "not a backup")
    with empty_target(workdir, "junk") as target:
        result = restore(target, junk)
        assert result.exit_code == 1
        assert "not a coordapp backup" in result.output
