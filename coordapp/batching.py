"""The state of one import's run over a file, handed to the services it calls as ``batch=``.

A spreadsheet names the same organizations, hotlines and users row after row, and a large one
writes tens of thousands of records. For each run over a file the importer creates a ``Batch``
and passes it to every service call it makes; the services then

* answer look-ups by name from what the batch remembers (``remembered``): the importer reads
  every name a file holds ahead, a thousand per query, and a name asked for ahead and not found
  is known not to exist, so the duplicate check of a new name costs no query either (a service
  that creates a record of a remembered kind remembers it);
* answer "is this natural key taken?" from every stored key, read once (``remember_keys``,
  ``taken``);
* write the new records of a type whose rows create many (a hotline with its covered countries
  and membership events, a commitment with its allocations) as plain values (``insert``), not
  objects: the batch writes them with one multi-row INSERT per table, with the same audit
  events and data-version bump as a flush of the same objects (``audit.insert_rows``);
* flush where they say they do, through ``flush(session, batch)``: at once, or, in a batch that
  defers its writes, with the batch's next ``Batch.flush``, which the importer calls every few
  hundred rows.

Without a batch (``batch=None``: forms, the API, the CLI's other commands) services query and
flush as they always do. Nothing of this lives on the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.db import NewRow

T = TypeVar("T")


class Batch:
    """Look-ups remembered and writes held back during one run over a file.

    ``defer_writes``: the services' flushes wait for ``flush`` (the importer's fast mode); the
    run then also keeps the session from flushing by itself (``Session.no_autoflush``).
    ``ids``: where the ids of the new records come from in a dry run (negative numbers, so
    that no sequence is used up by rows that are rolled back); None: the tables' own.
    """

    def __init__(self, *, defer_writes: bool = False, ids: Iterator[int] | None = None) -> None:
        self.defer_writes = defer_writes
        self._ids = ids
        self._new: list[NewRow] = []
        # What the rows held in ``_new`` belong to (a service's own keys), until they are written.
        self._held: set[Any] = set()
        # (kind, key) -> the record, or None: asked for ahead, and there is none.
        self._names: dict[tuple[str, str], Any] = {}
        # kind -> natural key -> the stored record's id, or a record written during the run.
        self._keys: dict[str, dict[Any, Any]] = {}

    # --- records by name ------------------------------------------------------------------

    def remembered(self, kind: str, key: str, look_up: Callable[[], T | None]) -> T | None:
        """The ``kind`` record under ``key``: remembered, or ``look_up()`` (remembered if found)."""
        if (kind, key) in self._names:
            known: T | None = self._names[(kind, key)]
            return known
        found = look_up()
        if found is not None:
            self._names[(kind, key)] = found
        return found

    def remember(self, kind: str, records: Mapping[str, Any], *, asked: Iterable[str] = ()) -> None:
        """Remember ``records`` by key; the ``asked`` keys not among them are known not to exist.

        A service that creates a record of a remembered kind remembers it too, so that a name
        known to be free is not taken by an earlier row of the same file unnoticed.
        """
        self._names.update(((kind, key), None) for key in asked if (kind, key) not in self._names)
        self._names.update(((kind, key), record) for key, record in records.items())

    def forget(self) -> None:
        """After a rolled-back row: what it created may be remembered, or waiting to be
        written (``insert``), and is gone."""
        self._names.clear()
        self._keys.clear()
        self._new.clear()
        self._held.clear()

    # --- natural keys read ahead ------------------------------------------------------------

    def remember_keys(self, kind: str, keys: Mapping[Any, Any]) -> None:
        """Every stored record of ``kind`` (its id) by natural key, read once, so that the
        services' duplicate checks (``taken``) answer without a query per row."""
        self._keys[kind] = dict(keys)

    def note_key(self, kind: str, key: Any, record: Any) -> None:
        """A record of ``kind`` created or saved under ``key`` (kept only if keys are)."""
        keys = self._keys.get(kind)
        if keys is not None:
            keys[key] = record

    def taken(self, kind: str, key: Any, *, exclude: Any, query: Callable[[], Any]) -> Any:
        """Another record with this natural key than ``exclude``: its id or the record itself,
        from the keys read ahead; without them, whatever ``query`` returns (None if none)."""
        keys = self._keys.get(kind)
        if keys is None:
            return query()
        found = keys.get(key)
        if found is None or found is exclude or (exclude is not None and found == exclude.id):
            return None
        return found

    # --- writes -------------------------------------------------------------------------------

    def insert(self, model: type[Any], values: dict[str, Any]) -> NewRow:
        """A new ``model`` record, written (and given its id) with the next ``flush``;
        ``values`` by attribute, any of them another ``NewRow`` (for its id)."""
        row = NewRow(model, values)
        self._new.append(row)
        return row

    def hold(self, key: Any) -> None:
        """Note that the rows ``insert`` holds include those of ``key`` (a service's own name
        for what they belong to), until the next ``flush`` writes them."""
        self._held.add(key)

    def holds(self, key: Any) -> bool:
        """Whether rows of ``key`` wait for the next ``flush`` (``hold``)."""
        return key in self._held

    def flush(self, session: Session) -> None:
        """Write what the services held back since the last flush: their objects (the unit of
        work), then the new records (``insert``), each table's in one statement."""
        session.flush()
        self._held.clear()
        if self._new:
            rows, self._new = self._new, []
            by_model: dict[type[Any], list[NewRow]] = {}
            for row in rows:
                by_model.setdefault(row.model, []).append(row)
            for model, same in by_model.items():
                for row, given in zip(same, self._next_ids(session, model, len(same)), strict=True):
                    row.id = given
            audit.insert_rows(session, rows)

    def _next_ids(self, session: Session, model: type[Any], count: int) -> list[int]:
        """``count`` ids for new ``model`` records, in ascending order as a sequence gives them.

        PostgreSQL: the table's sequence, asked once. SQLite: after the largest id (the rowid
        it would give), safe because SQLite has one writer at a time, and this transaction is
        it from its first write on (a writer that came first makes the INSERT fail, which an
        import answers by running the file again row by row).
        """
        if self._ids is not None:
            return [next(self._ids) for _ in range(count)]
        table = model.__table__
        (key,) = table.primary_key.columns
        if session.get_bind().dialect.name == "postgresql":
            found = session.execute(
                sa.select(
                    sa.func.nextval(sa.func.pg_get_serial_sequence(table.name, key.name))
                ).select_from(sa.func.generate_series(1, count))
            ).scalars()
            return sorted(found)
        largest = session.execute(sa.select(sa.func.max(key))).scalar() or 0
        return list(range(largest + 1, largest + 1 + count))


def flush(session: Session, batch: Batch | None) -> None:
    """Where a service flushes: at once, or, in a batch that defers its writes, with the batch's
    next ``Batch.flush``."""
    if batch is None:
        session.flush()
    elif not batch.defer_writes:
        batch.flush(session)


def remembered(
    batch: Batch | None, kind: str, key: str, look_up: Callable[[], T | None]
) -> T | None:
    """``batch.remembered``, or ``look_up()`` outside a batch."""
    return look_up() if batch is None else batch.remembered(kind, key, look_up)
