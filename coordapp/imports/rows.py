"""Every row of a file through its service: the cells read, the rules checked with them, the
record found by its natural key and created or updated (or the type's own ``apply_row``).

A file runs in a fast mode first (no savepoint per row, writes flushed a batch of rows at a
time); a row that a service refuses after writing part of itself, or a batch the database
refuses, sends the whole file through the safe mode (a savepoint and a flush per row), so that
each failed row leaves nothing behind and the report stays exact.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from coordapp import validation
from coordapp.audit import service as audit
from coordapp.batching import Batch
from coordapp.db import NewRow
from coordapp.errors import DomainError, ValidationError
from coordapp.imports.cells import Lookups, Options, blank, normalise
from coordapp.imports.header import Header
from coordapp.imports.readers import Table
from coordapp.imports.report import CellError, Outcome, RowResult
from coordapp.imports.types import ImportColumn, ImportType
from coordapp.records import service as records


def _existing_keys(session: Session, itype: ImportType) -> dict[tuple[Any, ...], Any] | None:
    """Every stored record's id by natural key (``AMBIGUOUS`` for a key two records share);
    None for a type matched otherwise."""
    if not itype.index or itype.index_key is None:
        return None
    query = sa.select(*itype.index, itype.model.id)
    keys: dict[tuple[Any, ...], Any] = {}
    for row in session.execute(query):
        key = tuple(str(v) if isinstance(v, enum.Enum) else v for v in row[:-1])
        # Two records with one key (possible where no constraint forbids it): a row naming
        # that key is refused rather than matched to either.
        keys[key] = AMBIGUOUS if key in keys else row[-1]
    return keys


# In the key index: more than one existing record has this key. Not a number, which a record
# of the file may have (a dry run gives -1, -2, ...).
AMBIGUOUS: Final = object()


def _preload(
    session: Session, itype: ImportType, known: dict[tuple[Any, ...], Any] | None, rows: int
) -> list[Any]:
    if not known or len(known) > 20 * rows:
        return []
    statement = sa.select(itype.model).options(*itype.preload)
    ids = [found for found in known.values() if found is not AMBIGUOUS]
    return records.scalars_in(session, statement, itype.model.id, ids)


def _snapshot(obj: Any) -> dict[str, Any]:
    skip = {"updated_at", "created_at", "version"}
    return {
        attr.key: getattr(obj, attr.key)
        for attr in inspect(obj).mapper.column_attrs
        if attr.key not in skip
    }


class RetrySafely(Exception):
    """A service refused a row after part of it was written (fast mode only)."""


# Called with (rows processed, rows in all) while a file runs, by whoever shows progress.
Progress = Callable[[int, int], None]

BATCH_ROWS = 500

_DATE_RANGES = (("period_start", "period_end"), ("start_date", "end_date"))


@dataclass(frozen=True, slots=True)
class ReadFile:
    """A file as read: its type, header and rows, the options it was read with, and what its
    cells name (resolved once)."""

    itype: ImportType
    header: Header
    table: Table
    options: Options
    lookups: Lookups


@dataclass(frozen=True, slots=True)
class _Run:
    """What every row of one run over a file is read and written with."""

    session: Session
    file: ReadFile
    batch: Batch
    safe: bool
    # The natural-key index: every stored record's id by key, and the records this run created.
    known: dict[tuple[Any, ...], Any] | None
    context: dict[str, Any]
    by_field: Mapping[str, ImportColumn]


def run_rows(
    session: Session,
    file: ReadFile,
    *,
    batch: Batch,
    safe: bool,
    progress: Progress | None,
) -> tuple[list[RowResult], Any]:
    """Every row through its service inside one outer SAVEPOINT, returned still open.

    In a ``batch`` that defers its writes, the services' writes are flushed every
    ``BATCH_ROWS`` rows, and the session does not flush by itself meanwhile (no autoflush).
    """
    itype, header, table = file.itype, file.header, file.table
    mapping = header.mapping
    known = _existing_keys(session, itype)
    # Strong references to the records a large file is likely to update: one query per thousand
    # instead of one per row (skipped when the table is much larger than the file).
    context: dict[str, Any] = {"preloaded": _preload(session, itype, known, len(table.rows))}
    if itype.prepare is not None and header.checkable:
        itype.prepare(
            session,
            values={
                column.field: [cells[i] for _, cells in table.rows if i < len(cells)]
                for i, column in mapping.items()
            },
            context=context,
            batch=batch,
        )
    run = _Run(session, file, batch, safe, known, context, {c.field: c for c in itype.columns})
    total = len(table.rows)
    outer = session.begin_nested()
    results: list[RowResult] = []
    if progress is not None:
        progress(0, total)
    try:
        with session.no_autoflush if batch.defer_writes else contextlib.nullcontext():
            for done, (number, cells) in enumerate(table.rows, start=1):
                results.append(_import_row(run, number, cells))
                if batch.defer_writes and done % BATCH_ROWS == 0:
                    flush_batch(session, batch)
                if progress is not None and (done % 250 == 0 or done == total):
                    progress(done, total)
            if batch.defer_writes:
                flush_batch(session, batch)
    except RetrySafely:
        outer.rollback()
        raise
    except BaseException:
        if outer.is_active:
            outer.rollback()
        raise
    return results, outer


def flush_batch(session: Session, batch: Batch) -> None:
    """Write the rows kept back since the last batch, and their audit events (not kept to the
    end: a large file's would fill the memory); a refusal re-runs the file row by row."""
    try:
        batch.flush(session)
    except sa.exc.DBAPIError as exc:
        raise RetrySafely() from exc
    audit.write_deferred_events(session)


def _import_row(run: _Run, number: int, cells: Sequence[Any]) -> RowResult:
    session, itype, header, by_field = run.session, run.file.itype, run.file.header, run.by_field
    data: dict[str, Any] = {}
    errors: list[CellError] = []
    mapping = header.mapping
    for index, column in mapping.items():
        value = cells[index] if index < len(cells) else None
        try:
            data[column.field] = normalise(
                session, column, value, run.file.options, run.file.lookups, run.batch
            )
        except ValueError as exc:
            errors.append(CellError(number, column.name, str(exc)))
    # Rules the services check after the first refusal, checked here with the cells, so the
    # row lists them all at once (the same rule functions the services call).
    for start, end in _DATE_RANGES:
        if data.get(start) is not None and data.get(end) is not None and end in by_field:
            try:
                validation.date_range(data[start], data[end], end_field=end)
            except ValidationError as exc:
                errors.append(CellError(number, by_field[end].name, exc.message))
    for index in range(len(cells)):
        if index not in mapping and index not in header.unread and not blank(cells[index]):
            errors.append(
                CellError(number, None, f"A value in column {index + 1}, which has no header.")
            )
    key = itype.describe(data)
    if errors or not header.checkable:
        outcome = Outcome.ERROR if errors else Outcome.UNCHECKED
        return RowResult(number, outcome, key, errors, values=data)
    # Fast mode writes without a savepoint per row (two statements fewer per row); a row that
    # a service refuses then sends the whole file through the safe mode (see ``run_import``).
    savepoint = session.begin_nested() if run.safe else None
    try:
        warnings: list[str] = []
        if itype.apply_row is not None:
            outcome_name, changed, *warned = itype.apply_row(
                session, data=data, context=run.context, batch=run.batch
            )
            outcome, target = Outcome(outcome_name), None
            warnings = list(warned[0]) if warned else []
        else:
            outcome, changed, target = _match_and_write(run, data)
            if itype.warn is not None:
                warnings = itype.warn(session, data=data, context=run.context, batch=run.batch)
        if savepoint is not None:
            savepoint.commit()
        return RowResult(
            number, outcome, key, changed=changed, values=data, target=target, warnings=warnings
        )
    except (DomainError, sa.exc.IntegrityError) as exc:
        if savepoint is None:
            raise RetrySafely() from exc
        savepoint.rollback()
        run.batch.forget()
        if isinstance(exc, ValidationError):
            where = by_field.get(exc.field or "")
            refusal = CellError(number, where.name if where else exc.field, exc.message)
        elif isinstance(exc, DomainError):
            refusal = CellError(number, None, exc.message)
        else:
            refusal = CellError(number, None, f"Refused by the database: {exc.orig}")
        return RowResult(number, Outcome.ERROR, key, [refusal], values=data)


def _match_and_write(
    run: _Run, data: Mapping[str, Any]
) -> tuple[Outcome, tuple[str, ...], int | None]:
    """Update the record the row's natural key finds, or create one (and which it updated)."""
    session, itype, known, batch = run.session, run.file.itype, run.known, run.batch
    key = itype.index_key(data) if known is not None and itype.index_key is not None else None
    earlier_row = False
    if known is not None and key is not None:
        found = known.get(key)
        if found is AMBIGUOUS:
            raise ValidationError(
                None, f"More than one existing {itype.title.lower()} record matches this row."
            )
        if isinstance(found, NewRow):
            # Created by an earlier row of this file, a row the batch has yet to write: written
            # now, to be updated as a record.
            flush_batch(session, batch)
            found = found.id
            earlier_row = True
        if found is not None and not isinstance(found, int):
            existing = [found]  # created by an earlier row of this file, not flushed yet
            earlier_row = True
        else:
            existing = [session.get(itype.model, found)] if found is not None else []
    else:
        if batch.defer_writes:
            flush_batch(session, batch)  # the query must see the earlier rows of this file
        existing = list(session.scalars(sa.select(itype.model).where(*itype.match(data)).limit(2)))
    if len(existing) > 1:
        raise ValidationError(
            None, f"More than one existing {itype.title.lower()} record matches this row."
        )
    if existing:
        obj = existing[0]
        full = {c.field: c.value_of(obj) for c in itype.columns}
        full.update(data)
        before = _snapshot(obj) | (itype.state(obj) if itype.state else {})
        itype.update(session, obj=obj, data=full, expected_version=None, batch=batch)
        after = _snapshot(obj) | (itype.state(obj) if itype.state else {})
        changed = tuple(k for k in after if after[k] != before[k])
        outcome = Outcome.UPDATE if changed else Outcome.UNCHANGED
        return outcome, changed, None if earlier_row else _stored_id(obj)
    created = itype.create(session, data=data, batch=batch)
    if known is not None and key is not None:
        known[key] = created.id if created.id is not None else created
    return Outcome.CREATE, (), None


def _stored_id(obj: Any) -> int | None:
    """The record's id if it was stored before this file (not a row above, nor a dry-run id)."""
    record_id = getattr(obj, "id", None)
    return record_id if isinstance(record_id, int) and record_id > 0 else None
