"""A dry run writes every row and rolls back; it must not use up ids (PostgreSQL sequences
never give back a value, even on rollback)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import models  # noqa: F401  (every table known to the metadata)
from coordapp.auth import service as auth_service
from coordapp.db import Base
from coordapp.imports import service as imports
from coordapp.imports import templates
from coordapp.imports.catalog import IMPORT_TYPES
from tests import factories


def _sequence_positions(session: Session) -> dict[str, tuple[int, bool]]:
    """Where every id sequence stands (PostgreSQL; SQLite has none: max(id) + 1 is reused)."""
    if session.get_bind().dialect.name != "postgresql":
        return {}
    positions = {}
    for table in Base.metadata.sorted_tables:
        if "id" not in table.columns:
            continue
        sequence = session.scalar(
            sa.text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table.name}
        )
        if sequence:
            # The name comes from pg_get_serial_sequence, never from input.
            query = sa.text(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
            row = session.execute(query).one()
            positions[sequence] = (int(row[0]), bool(row[1]))
    return positions


def test_a_dry_run_of_every_import_type_uses_no_ids(session: Session) -> None:
    before = factories.organization(session).id
    positions = _sequence_positions(session)
    created = 0
    for type_name in IMPORT_TYPES:
        report = imports.run_import(
            session,
            type_name=type_name,
            filename=f"{type_name}.csv",
            content=templates.template_csv(type_name),
            apply=False,
        )
        assert not report.applied
        created += report.counts["create"]
    assert created > 0  # rows were really inserted (and rolled back)
    assert _sequence_positions(session) == positions
    assert factories.organization(session).id == before + 1


def test_an_apply_still_gets_real_ids(session: Session) -> None:
    # The template's owner, a manager found by e-mail.
    auth_service.create_user(
        session,
        email="manager@coordapp.example",
        full_name="Manager",
        role="manager",
        password="a long enough password 1",
    )
    report = imports.run_import(
        session,
        type_name="organizations",
        filename="organizations.csv",
        content=templates.template_csv("organizations"),
        apply=True,
    )
    assert report.applied and report.counts["create"] == 1
    newest = factories.organization(session).id
    assert newest > 0
