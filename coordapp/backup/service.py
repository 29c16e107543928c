"""Portable backups: every table to JSON lines in one zip, and back, on SQLite or PostgreSQL.

A backup is a zip holding ``manifest.json`` (format, schema revision, row count per table) and
``tables/<table>.jsonl`` (one JSON object per row, in primary-key order). Values are written as
JSON by column type — decimals and dates as exact strings — so a dump of a SQLite database
restores into PostgreSQL (and back) with every value equal.

A restore needs a database migrated to the dump's schema revision (``flask db upgrade``), and
an empty one unless ``replace`` is given; it inserts in foreign-key order in one transaction
(all or nothing) and then moves PostgreSQL's id sequences past the restored ids.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import io
import json
import os
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from sqlalchemy.orm import Session

from coordapp import models  # noqa: F401  (every table known to the metadata)
from coordapp.data_version import DATA_VERSION_TABLE, set_data_version
from coordapp.db import DERIVED, Base
from coordapp.errors import DomainError
from coordapp.funding import totals as funding_totals
from coordapp.network import membership
from coordapp.stats import activity_totals
from coordapp.training import totals as training_totals

FORMAT = "coordapp-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
BATCH = 1000
# The cache counter is not data: a restore moves it on so no cached figure outlives the data.


class BackupError(DomainError):
    """The dump cannot be restored here; the message says why and what to do."""


@dataclass
class BackupResult:
    path: Path
    schema_revision: str | None
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.rows.values())


@dataclass
class RestoreResult:
    schema_revision: str | None
    rows: dict[str, int] = field(default_factory=dict)
    replaced: bool = False

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def tables() -> list[sa.Table]:
    """Every table of the schema that holds data, parents before children (not the derived
    ones, which a restore computes again)."""
    return [t for t in Base.metadata.sorted_tables if not t.info.get(DERIVED)]


def derived_tables() -> list[sa.Table]:
    return [t for t in Base.metadata.sorted_tables if t.info.get(DERIVED)]


def schema_revision(conn: sa.Connection) -> str | None:
    revision: str | None = MigrationContext.configure(conn).get_current_revision()
    return revision


# --- values ------------------------------------------------------------------------------------


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str | float):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict | list):
        return value
    raise TypeError(f"cannot back up a {type(value).__name__} value")


def _decoder(column: sa.Column[Any]) -> Any:
    kind = column.type
    if isinstance(kind, sa.JSON):
        return None
    if isinstance(kind, sa.Float):
        return float
    if isinstance(kind, sa.Numeric):
        return Decimal
    if isinstance(kind, sa.DateTime):
        return dt.datetime.fromisoformat
    if isinstance(kind, sa.Date):
        return dt.date.fromisoformat
    if isinstance(kind, sa.Time):
        return dt.time.fromisoformat
    if isinstance(kind, sa.LargeBinary):
        return base64.b64decode
    return None


def _decode_row(row: Mapping[str, Any], decoders: Mapping[str, Any]) -> dict[str, Any]:
    decoded = {}
    for name, value in row.items():
        if name not in decoders:
            raise BackupError(f"The dump has a column {name!r} this schema does not have.")
        convert = decoders[name]
        decoded[name] = value if value is None or convert is None else convert(value)
    return decoded


# --- backup ------------------------------------------------------------------------------------


def _rows(conn: sa.Connection, table: sa.Table) -> Iterator[dict[str, Any]]:
    order = list(table.primary_key.columns) or list(table.columns)
    result = conn.execution_options(yield_per=BATCH).execute(sa.select(table).order_by(*order))
    for row in result.mappings():
        yield {name: _encode(value) for name, value in row.items()}


BACKUP_FILE_MODE = 0o600


def backup(conn: sa.Connection, path: Path | str) -> BackupResult:
    """Write every table of the database behind ``conn`` to the zip file ``path``."""
    path = Path(path)
    result = BackupResult(path=path, schema_revision=schema_revision(conn))
    if result.schema_revision is None:
        raise BackupError("This database has no schema revision: run `flask db upgrade` first.")
    tmp = path.with_name(path.name + ".partial")
    # Owner-only from the first byte: the dump holds password hashes and API token hashes.
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, BACKUP_FILE_MODE)
    os.fchmod(descriptor, BACKUP_FILE_MODE)  # also when a stale .partial had wider permissions
    with (
        os.fdopen(descriptor, "wb") as file,
        zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive,
    ):
        for table in tables():
            count = 0
            with archive.open(f"tables/{table.name}.jsonl", "w") as raw:
                out = io.TextIOWrapper(raw, encoding="utf-8", newline="\n")
                for row in _rows(conn, table):
                    out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
                    out.write("\n")
                    count += 1
                out.flush()
                out.detach()
            result.rows[table.name] = count
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "schema_revision": result.schema_revision,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "source_dialect": conn.dialect.name,
            "tables": result.rows,
        }
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2))
    tmp.replace(path)  # a crash mid-backup never leaves a truncated file under the real name
    return result


# --- restore -----------------------------------------------------------------------------------


def read_manifest(archive: zipfile.ZipFile) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads(archive.read(MANIFEST))
    except (KeyError, ValueError) as exc:
        raise BackupError("This file is not a coordapp backup (no readable manifest).") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError("This file is not a coordapp backup.")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(
            f"Backup format version {manifest.get('format_version')} is not supported "
            f"(this coordapp reads version {FORMAT_VERSION})."
        )
    return manifest


def _non_empty_tables(conn: sa.Connection) -> list[str]:
    return [
        table.name
        for table in tables()
        if table is not DATA_VERSION_TABLE
        and conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is not None
    ]


def _table_lines(archive: zipfile.ZipFile, table: sa.Table) -> Iterator[dict[str, Any]]:
    try:
        raw: IO[bytes] = archive.open(f"tables/{table.name}.jsonl")
    except KeyError as exc:
        raise BackupError(f"The backup has no data for table {table.name!r}.") from exc
    with raw, io.TextIOWrapper(raw, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _reset_sequences(conn: sa.Connection) -> None:
    """Move each PostgreSQL id sequence past the largest restored id."""
    if conn.dialect.name != "postgresql":
        return
    for table in tables():
        key = list(table.primary_key.columns)
        if len(key) != 1 or not isinstance(key[0].type, sa.Integer):
            continue
        sequence = conn.scalar(sa.select(sa.func.pg_get_serial_sequence(table.name, key[0].name)))
        if sequence is not None:
            highest = conn.scalar(sa.select(sa.func.max(key[0])))
            conn.execute(sa.select(sa.func.setval(sequence, highest or 1, highest is not None)))


def restore(conn: sa.Connection, path: Path | str, *, replace: bool = False) -> RestoreResult:
    """Load the backup at ``path`` into the database behind ``conn`` (the caller commits)."""
    with zipfile.ZipFile(path) as archive:
        manifest = read_manifest(archive)
        current = schema_revision(conn)
        if current is None:
            raise BackupError(
                "This database has no schema yet: run `flask db upgrade` first, then restore."
            )
        if manifest["schema_revision"] != current:
            raise BackupError(
                f"The backup is of schema revision {manifest['schema_revision']}, this database "
                f"is at {current}. Restore it with the coordapp version that made it, or into a "
                "database migrated to that revision."
            )
        occupied = _non_empty_tables(conn)
        if occupied and not replace:
            raise BackupError(
                f"This database is not empty ({', '.join(occupied[:5])}"
                f"{' …' if len(occupied) > 5 else ''}). Restore into an empty database, or use "
                "--replace to delete its data first."
            )
        previous_version = conn.scalar(sa.select(DATA_VERSION_TABLE.c.version)) or 0
        for table in (*derived_tables(), *reversed(tables())):
            conn.execute(table.delete())
        result = RestoreResult(schema_revision=current, replaced=bool(occupied))
        for table in tables():
            decoders = {column.name: _decoder(column) for column in table.columns}
            count = 0
            batch: list[dict[str, Any]] = []
            for row in _table_lines(archive, table):
                batch.append(_decode_row(row, decoders))
                if len(batch) >= BATCH:
                    conn.execute(table.insert(), batch)
                    count += len(batch)
                    batch = []
            if batch:
                conn.execute(table.insert(), batch)
                count += len(batch)
            expected = manifest.get("tables", {}).get(table.name)
            if expected is not None and expected != count:
                raise BackupError(
                    f"Table {table.name}: the manifest lists {expected} rows, the file has {count}."
                )
            result.rows[table.name] = count
    # Derived tables are computed again from the restored rows.
    with Session(bind=conn) as session:
        funding_totals.rebuild(session)
        membership.rebuild(session)
        training_totals.rebuild(session)
        activity_totals.rebuild(session)
    dumped_version = conn.scalar(sa.select(DATA_VERSION_TABLE.c.version)) or 0
    restored = max(previous_version, dumped_version) + 1
    # Every group's figures are new: no cached figure may match a version from before.
    set_data_version(conn, restored)
    _reset_sequences(conn)
    return result


# --- entry points for the CLI ------------------------------------------------------------------


def backup_database(engine: sa.Engine, path: Path | str) -> BackupResult:
    """Back up from one consistent snapshot, even while the app keeps writing."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            return backup(conn, path)


def restore_database(
    engine: sa.Engine, path: Path | str, *, replace: bool = False
) -> RestoreResult:
    """Restore in one transaction: on any error the database is left as it was."""
    with engine.begin() as conn:
        return restore(conn, path, replace=replace)
