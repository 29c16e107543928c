"""The import engine: read a file, normalise its cells, report every row, then apply.

A dry run and an apply run the very same path — each row through the domain service's own
``create_*`` / ``update_*`` verb (or the type's ``apply_row`` adapter), all rows inside one
SAVEPOINT — so the report shows exactly what applying would do. The dry run always rolls the
savepoint back; an apply releases it only when no row has an error (all or nothing). The caller
(request or CLI command) commits.

For speed (bench/README.md), a file runs first in a fast mode: what its rows name is looked up
once for the whole file (into the run's ``coordapp.batching.Batch``, which every service call
gets, and ``ImportType.prepare``), existing records are found through a key index, and the
services' writes are flushed 500 rows at a time. If a service refuses a row after
writing part of it, or the database refuses a batch, the whole file runs again with a savepoint
per row and a flush per row, so that the report stays exact (``coordapp.imports.rows``).

The parts: ``header`` (which file column is which), ``cells`` (reading a cell by its kind),
``countries``, ``rows`` (each row through its service), ``report``; ``stash`` keeps uploads
between the dry run and the apply, ``templates`` the example files.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.batching import Batch
from coordapp.db import primary_key_attributes
from coordapp.imports import readers
from coordapp.imports.catalog import import_type
from coordapp.imports.cells import Lookups, Options, blank, list_items
from coordapp.imports.countries import resolve_countries
from coordapp.imports.header import header_hint, map_header
from coordapp.imports.readers import FileProblem, Table
from coordapp.imports.report import CellError, ImportReport, Outcome, RowResult
from coordapp.imports.rows import Progress, ReadFile, RetrySafely, run_rows
from coordapp.imports.types import NAME_LOOKUPS, ImportColumn, Kind
from coordapp.reference.models import Country, Currency, Pillar
from coordapp.writers_lock import serialize_writers


def _reference_rows(session: Session) -> list[Any]:
    rows: list[Any] = []
    for model in (Country, Currency, Pillar):
        rows.extend(session.scalars(sa.select(model)).all())
    return rows


def run_import(
    session: Session,
    *,
    type_name: str,
    filename: str,
    content: bytes,
    options: Options | None = None,
    apply: bool = False,
    columns: Sequence[str | None] | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Report what importing the file does; with ``apply``, do it — all rows or none.

    The report lists every data row with its spreadsheet row number (blank ones as skipped),
    what its cells were read as, and every problem of the header and of the rows at once.
    ``columns`` maps the file's columns (``coordapp.imports.mapping``); columns it leaves
    None are read by name or synonym. ``progress`` is told (rows processed, rows in all) as
    the rows run. Nothing is committed here.
    """
    options = options or Options()
    itype = import_type(type_name)
    started = time.perf_counter()
    report = ImportReport(type_name=itype.name, filename=filename, dry_run=not apply)
    try:
        table: Table = readers.read_table(filename, content, header_hint=header_hint(itype))
    except FileProblem as exc:
        report.file_errors.append(CellError(None, None, exc.message))
        return report
    header = map_header(itype, table.header, columns)
    report.columns = header.read_as
    report.file_errors.extend(CellError(1, None, p) for p in header.problems)
    mapping = header.mapping
    country_columns = [
        (i, c.kind) for i, c in mapping.items() if c.kind in (Kind.COUNTRY, Kind.COUNTRY_LIST)
    ]
    # Each distinct cell once: a file repeats its countries row after row.
    country_cells = {
        (str(cells[i]), kind)
        for _, cells in table.rows
        for i, kind in country_columns
        if i < len(cells) and not blank(cells[i])
    }
    countries: Mapping[str, str | None] = resolve_countries(
        name
        for text, kind in country_cells
        for name in ([text] if kind == Kind.COUNTRY else list_items(text))
    )
    # Strong references keep the reference rows in the session's (weak) identity map, so the
    # services' per-row look-ups of countries, currencies and pillars cost no query.
    reference_rows = _reference_rows(session)
    lookups = Lookups(
        countries=countries,
        pillars=[(p.id, p.code, p.name) for p in reference_rows if isinstance(p, Pillar)],
        currencies=frozenset(c.code for c in reference_rows if isinstance(c, Currency)),
    )
    report.pillar_names = {pillar_id: name for pillar_id, _, name in lookups.pillars}
    report.country_names = {c.alpha2: c.name for c in reference_rows if isinstance(c, Country)}
    # Hold other writers off for the whole file, once (services that check a rule the database
    # cannot enforce ask for this per row; taken here, outside the savepoints, it is held).
    serialize_writers(session)
    # A dry run's new records take negative ids (``_ids_outside_sequences``), objects and the
    # rows a batch writes alike.
    negative_ids = None if apply else itertools.count(-1, -1)
    file = ReadFile(itype, header, table, options, lookups)
    attempt = functools.partial(
        _attempt, session, file, report, apply, progress=progress, ids=negative_ids
    )
    try:
        with (
            contextlib.nullcontext()
            if negative_ids is None
            else _ids_outside_sequences(session, negative_ids)
        ):
            try:
                attempt(safe=False)
            except RetrySafely:
                # A row failed inside a service after writing part of itself: run again with a
                # savepoint per row, so that each failed row leaves nothing behind.
                attempt(safe=True)
    finally:
        del reference_rows
    if table.blank_rows:
        report.rows.extend(RowResult(n, Outcome.SKIP, "blank") for n in table.blank_rows)
        report.rows.sort(key=lambda row: row.row)
    report.seconds = time.perf_counter() - started
    return report


@contextlib.contextmanager
def _ids_outside_sequences(session: Session, negative_ids: Iterator[int]) -> Iterator[None]:
    """Within the block, each new record is given a negative id before it is inserted.

    A dry run writes every row and rolls back, but PostgreSQL never takes back a value its
    sequence handed out: each check of a 20,000-row file would burn 20,000 ids (and leave gaps
    that look like deleted records). An id given in the INSERT asks the sequence for nothing;
    negative ids never meet real ones, and the rollback removes them.
    """

    def give_ids(flushing: Session, _context: Any, _instances: Any) -> None:
        for record in flushing.new:
            state = inspect(record)
            key = _sequence_key(state.mapper)
            if key is not None and state.dict.get(key) is None:
                setattr(record, key, next(negative_ids))

    sa.event.listen(session, "before_flush", give_ids)
    try:
        yield
    finally:
        sa.event.remove(session, "before_flush", give_ids)


@functools.cache
def _sequence_key(mapper: Any) -> str | None:
    """The attribute of a mapped class's one integer, sequence-given primary key, or None."""
    if len(mapper.primary_key) != 1:
        return None
    column = mapper.primary_key[0]
    if not isinstance(column.type, sa.Integer) or column.autoincrement is False:
        return None
    return primary_key_attributes(mapper)[0]


def _attempt(
    session: Session,
    file: ReadFile,
    report: ImportReport,
    apply: bool,
    *,
    safe: bool,
    progress: Progress | None,
    ids: Iterator[int] | None,
) -> None:
    """One run over the file, with its own ``Batch``: the fast mode defers the services'
    writes (``ImportType.batch_writes``), the safe mode flushes them row by row."""
    itype = file.itype
    summary = f"Imported from {report.filename!r} ({itype.title.lower()})"
    batch = Batch(defer_writes=itype.batch_writes and not safe, ids=ids)
    # A dry run is rolled back whatever happens: it has no audit events to keep.
    with audit.deferred(session, summary=summary, events=apply):
        _look_up_names(session, file.header.mapping, file.table, batch)
        report.rows, outer = run_rows(session, file, batch=batch, safe=safe, progress=progress)
        if apply and report.ok:
            counts = report.counts
            audit.record(
                session,
                action="import",
                entity_type=itype.model.__tablename__,
                summary=(
                    f"Imported {itype.title.lower()} from {report.filename!r}: "
                    f"{counts['create']} created, {counts['update']} updated, "
                    f"{counts['unchanged']} unchanged."
                ),
            )
            audit.write_deferred(session)
            outer.commit()
            report.applied = True
        else:
            outer.rollback()


def _look_up_names(
    session: Session, mapping: Mapping[int, ImportColumn], table: Table, batch: Batch
) -> None:
    """Every organization, hotline and user the file names, a thousand per query."""
    for index, column in mapping.items():
        if not column.names:
            continue
        names = {
            str(cells[index]).strip()
            for _, cells in table.rows
            if index < len(cells) and not blank(cells[index])
        }
        for kind in column.names:
            look_up, key = NAME_LOOKUPS[kind]
            batch.remember(kind, look_up(session, sorted(names)), asked=[key(n) for n in names])
