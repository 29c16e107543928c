"""The migrations are the schema: upgrading an empty database gives exactly the models."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy.orm import Session

from coordapp import create_app
from coordapp.db import Base
from coordapp.extensions import db
from tests._databases import scratch_database


@pytest.fixture
def empty_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A second, empty database on the same backend as the suite (``<test database>_migrations``
    on PostgreSQL)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
        return
    with scratch_database(database_url, "migrations") as url:
        yield url


def test_upgrade_to_head_matches_the_models_and_downgrade_empties(
    empty_database_url: str,
) -> None:
    app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            assert compare_metadata(context, Base.metadata) == []
            tables = set(sa.inspect(conn).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}

        downgrade(revision="base")
        with db.engine.connect() as conn:
            assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}

        upgrade()  # and back up again: the downgrade left nothing in the way
        with db.engine.connect() as conn:
            assert "hotlines" in sa.inspect(conn).get_table_names()
        db.session.remove()
        db.engine.dispose()


def test_dated_coverage_migration_fills_existing_rows(empty_database_url: str) -> None:
    """An upgraded database is right without re-seeding: sovereign states are marked, and
    existing coverage runs from the hotline's first admission (open-ended)."""
    app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade(revision="9c1d5e7a2b44")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO countries (alpha2, alpha3, name, created_at, updated_at) VALUES "
                    "('DK', 'DNK', 'Denmark', :t, :t), ('GL', 'GRL', 'Greenland', :t, :t), "
                    "('GB', 'GBR', 'United Kingdom', :t, :t), ('XK', 'XKX', 'Kosovo', :t, :t)"
                ),
                {"t": "2026-01-01 00:00:00"},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO hotlines (id, name, country_code, version, created_at, "
                    "updated_at) VALUES (1, 'Dansk', 'DK', 1, :t, :t), "
                    "(2, 'Applicant', 'GB', 1, :t, :t)"
                ),
                {"t": "2026-01-01 00:00:00"},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO hotline_membership_events (hotline_id, event_date, status, "
                    "created_at, updated_at) VALUES "
                    "(1, '2000-01-01', 'applicant', :t, :t), "
                    "(1, '2001-03-01', 'provisional', :t, :t), "
                    "(1, '2003-01-01', 'full', :t, :t), (2, '2020-01-01', 'applicant', :t, :t)"
                ),
                {"t": "2026-01-01 00:00:00"},
            )
            conn.execute(
                sa.text(
                    "INSERT INTO hotline_countries (hotline_id, country_code) VALUES "
                    "(1, 'DK'), (1, 'GL'), (2, 'GB')"
                )
            )
        upgrade()
        with db.engine.connect() as conn:
            sovereign = dict(
                conn.execute(sa.text("SELECT alpha2, is_sovereign FROM countries")).tuples().all()
            )
            spells = conn.execute(
                sa.text(
                    "SELECT hotline_id, country_code, covered_from, covered_until "
                    "FROM hotline_countries ORDER BY hotline_id, country_code"
                )
            ).all()
        assert {code: bool(flag) for code, flag in sovereign.items()} == {
            "DK": True,
            "GL": False,
            "GB": True,
            "XK": True,
        }
        assert [(h, c, str(f) if f else None, u) for h, c, f, u in spells] == [
            (1, "DK", "2001-03-01", None),
            (1, "GL", "2001-03-01", None),
            (2, "GB", None, None),
        ]
        downgrade(revision="base")
        db.session.remove()
        db.engine.dispose()


@contextmanager
def _demo_migrated_again(
    database_url: str, revision: str, arrange: str | None = None
) -> Iterator[Session]:
    """A database at the head with the demo loaded (and ``arrange`` run on it), downgraded to
    ``revision`` and upgraded again: the session, rolled back after the block."""
    from datetime import date

    from coordapp.demo.service import load_demo
    from coordapp.reference.service import seed_reference_data

    app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": database_url})
    with app.app_context():
        upgrade()
        session = db.session()
        seed_reference_data(session)
        assert load_demo(session, today=date(2026, 11, 26)).loaded
        if arrange:
            session.execute(sa.text(arrange))
        session.commit()
        downgrade(revision=revision)
        upgrade()
        try:
            yield session
        finally:
            session.rollback()
            db.session.remove()
            db.engine.dispose()


def _assert_filled_as_rebuilt(session: Session, totals: Any, reads: list[str]) -> None:
    """What the migration filled (read by ``reads``) is what ``totals.rebuild`` computes, and
    the tables hold rows exactly where the database keeps them (PostgreSQL)."""
    migrated = [session.execute(sa.text(q)).all() for q in reads]
    totals.rebuild(session)
    assert [session.execute(sa.text(q)).all() for q in reads] == migrated
    assert [bool(rows) for rows in migrated] == [totals.kept(session)] * len(reads)


@pytest.mark.parametrize(
    ("revision", "reads"),
    [
        (  # funding_year_totals and funding_funder_totals
            "b8e3d51a6c20",
            [
                "SELECT part, year, pillar_id, currency_code, rate_on, native"
                " FROM funding_year_totals ORDER BY part, year, pillar_id, currency_code, rate_on",
                "SELECT part, year, funder_id, eur FROM funding_funder_totals"
                " ORDER BY part, year, funder_id",
            ],
        ),
        (  # funding_quarter_totals and funding_funder_all_years
            "eb67c7c5cb5d",
            [
                "SELECT part, year, quarter, currency_code, rate_on, native"
                " FROM funding_quarter_totals ORDER BY part, year, quarter, currency_code, rate_on",
                "SELECT funder_id, part, eur, years FROM funding_funder_all_years"
                " ORDER BY funder_id, part",
            ],
        ),
    ],
)
def test_funding_totals_migrations_fill_them_from_the_stored_rows(
    empty_database_url: str, revision: str, reads: list[str]
) -> None:
    """Upgraded from before a migration that adds kept funding totals, with funding already
    stored (pledges, receipts, instalments), the totals are what the app computes (on
    PostgreSQL; SQLite keeps none)."""
    from coordapp.funding import totals

    with _demo_migrated_again(empty_database_url, revision) as session:
        _assert_filled_as_rebuilt(session, totals, reads)


def test_training_totals_migration_fills_them_from_the_stored_rows(
    empty_database_url: str,
) -> None:
    """Upgraded with trainings already stored (one archived), the totals are what the app
    computes (on PostgreSQL; SQLite keeps none)."""
    from coordapp.training import totals

    reads = [
        "SELECT event_id, start_date, kind, pillar_id, people, taking_part, responses,"
        " weighted, weight FROM training_event_totals ORDER BY event_id",
        "SELECT event_id, hotline_id, country_code, start_date, kind, pillar_id,"
        " participants, first_of_country FROM training_reach ORDER BY event_id, hotline_id",
    ]
    archive_one = (
        "UPDATE training_events SET archived_at = CURRENT_TIMESTAMP"
        " WHERE id = (SELECT min(id) FROM training_events)"
    )
    with _demo_migrated_again(empty_database_url, "3f8a1c6e2b90", archive_one) as session:
        _assert_filled_as_rebuilt(session, totals, reads)


def test_activity_totals_migration_fills_them_from_the_stored_rows(
    empty_database_url: str,
) -> None:
    """Upgraded with statistics and their sign-off already stored, the activity totals are what
    the app computes (on PostgreSQL; SQLite keeps none)."""
    from coordapp.stats import activity_totals

    reads = [
        "SELECT metric_id, period_start, country_code, counted, value_sum, value_count,"
        " small_count, small_below FROM activity_totals ORDER BY 1, 2, 3, 4",
        "SELECT metric_id, year, hotline_id FROM activity_presence ORDER BY 1, 2, 3",
    ]
    with _demo_migrated_again(empty_database_url, "70bdc97d981f") as session:
        _assert_filled_as_rebuilt(session, activity_totals, reads)


def test_quarter_signoff_migration_approves_ended_quarters_that_hold_figures(
    empty_database_url: str,
) -> None:
    """Figures entered before sign-off existed keep counting: every ended quarter of a hotline
    with figures (monthly ones folded into their quarter) is approved, nothing else."""
    app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": empty_database_url})
    with app.app_context():
        upgrade(revision="0176f3f552d9")
        t = {"t": "2026-01-01 00:00:00"}
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO countries (alpha2, alpha3, name, created_at, updated_at) "
                    "VALUES ('DK', 'DNK', 'Denmark', :t, :t)"
                ),
                t,
            )
            conn.execute(
                sa.text(
                    "INSERT INTO hotlines (id, name, country_code, version, created_at, "
                    "updated_at) VALUES (1, 'Dansk', 'DK', 1, :t, :t)"
                ),
                t,
            )
            conn.execute(
                sa.text(
                    "INSERT INTO metric_definitions (id, code, version, name, definition, unit, "
                    "valid_from, sort_order, created_at, updated_at) VALUES "
                    "(1, 'reports_received', 1, 'Received', 'd', 'count', '1999-01-01', 1, :t, :t)"
                ),
                t,
            )
            conn.execute(
                sa.text(
                    "INSERT INTO hotline_statistics (hotline_id, metric_id, period_kind, "
                    "period_start, period_end, value, version, created_at, updated_at) VALUES "
                    "(1, 1, 'quarter', '2024-01-01', '2024-03-31', 10, 1, :t, :t), "
                    "(1, 1, 'month', '2024-05-01', '2024-05-31', 4, 1, :t, :t), "
                    "(1, 1, 'month', '2024-06-01', '2024-06-30', 5, 1, :t, :t)"
                ),
                t,
            )
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT hotline_id, period_start, period_end, state FROM hotline_quarters "
                    "ORDER BY period_start"
                )
            ).all()
        assert [(h, str(s), str(e), state) for h, s, e, state in rows] == [
            (1, "2024-01-01", "2024-03-31", "approved"),
            (1, "2024-04-01", "2024-06-30", "approved"),
        ]
        downgrade(revision="base")
        db.session.remove()
        db.engine.dispose()
