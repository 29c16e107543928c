"""Derived rows kept current on write, one group of rows per key of a source table (the
membership spans of a hotline, computed from its membership events).

A ``KeptPerKey`` names the source model, the column of it that is the key, and how to compute
the derived rows of some keys again (``refresh``) or of all of them (``rebuild``). Installed on
a session class, it notes the keys every write touches — before a flush what the changed and
deleted rows were (read from the database, so that a key never loaded before it was set still
counts), after it what the written rows are, and the keys an ``INSERT`` executed as a statement
names (an import's batch); any other statement on the source table touches every key — and
computes their rows again at the end of that flush or statement, in the same transaction. The
derived rows therefore agree with the source rows for every statement that follows, a read in
the same transaction included, and a rolled back savepoint takes both back together.

Writers that bypass the session (a restore, the bench's bulk loads) call ``rebuild``.

(``coordapp.funding.totals`` defers its refresh to the commit instead: its figures are read
through one service that refreshes first, and its refresh is heavier than a few keys' rows.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import instance_state

from coordapp.writers_lock import serialize_writers

CHUNK = 1000  # keys per statement


def chunks(items: Iterable[Any]) -> Iterator[list[Any]]:
    batch = sorted(items)
    for start in range(0, len(batch), CHUNK):
        yield batch[start : start + CHUNK]


def inserted_rows(state: ORMExecuteState) -> list[dict[str, Any]]:
    """The rows an INSERT executed as a statement writes, each by column name; KeyError when
    the statement does not name its rows (an UPDATE, a DELETE, an INSERT from a SELECT): it
    could change any row."""
    given = state.parameters
    rows: list[Mapping[Any, Any]] = (
        list(given) if isinstance(given, Sequence) else [given] if given else []
    )
    if not state.is_insert or not rows:
        raise KeyError("rows not named")
    return [{getattr(k, "key", k): v for k, v in row.items()} for row in rows]


@dataclass
class _Pending:
    keys: set[Any] = field(default_factory=set)
    everything: bool = False


@dataclass(frozen=True)
class KeptPerKey:
    """Rows derived per value of ``source.<key>``, kept current in the writing transaction.

    ``refresh(session, keys)`` replaces the derived rows of ``keys`` (a chunk at a time) with
    ones computed from the source rows as they are now; ``rebuild(session)`` replaces all.
    """

    name: str
    source: type[Any]
    key: str
    refresh_keys: Callable[[Session, list[Any]], None]
    rebuild_all: Callable[[Session], None]

    # --- what a transaction changed ----------------------------------------------------------

    def _pending(self, session: Session) -> _Pending:
        pending: _Pending | None = session.info.get(self.name)
        if pending is None:
            pending = session.info[self.name] = _Pending()
        return pending

    def _before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        ids = {
            identity[0]
            for obj in (*session.dirty, *session.deleted)
            if isinstance(obj, self.source)
            and (identity := instance_state(obj).identity) is not None
        }
        if not ids:
            return
        key = getattr(self.source, self.key)
        (pk,) = sa.inspect(self.source).primary_key
        pending = self._pending(session)
        for chunk in chunks(ids):
            pending.keys.update(session.scalars(sa.select(key).where(pk.in_(chunk))))

    def _after_flush(self, session: Session, _context: Any) -> None:
        written = [
            getattr(obj, self.key)
            for obj in (*session.new, *session.dirty)
            if isinstance(obj, self.source) and obj not in session.deleted
        ]
        if written:
            self._pending(session).keys.update(written)

    def _after_flush_postexec(self, session: Session, _context: Any) -> None:
        self.refresh(session)

    def _after_transaction_end(self, session: Session, transaction: Any) -> None:
        if transaction.parent is None:
            session.info.pop(self.name, None)

    def _on_execute(self, state: ORMExecuteState) -> Any:
        """A write that bypasses the unit of work (``session.execute(insert(...), rows)``): an
        INSERT names its rows' keys; any other statement on the table could change any row."""
        if not (state.is_insert or state.is_update or state.is_delete):
            return None
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) != self.source.__tablename__:
            return None
        pending = self._pending(state.session)
        try:
            pending.keys.update(values[self.key] for values in inserted_rows(state))
        except KeyError:
            pending.everything = True
        result = state.invoke_statement()
        self.refresh(state.session)
        return result

    def install(self, session_class: Any) -> None:
        """Keep the rows current in every session of ``session_class`` (once, from create_app)."""
        for name, listener in (
            ("before_flush", self._before_flush),
            ("after_flush", self._after_flush),
            ("after_flush_postexec", self._after_flush_postexec),
            ("do_orm_execute", self._on_execute),
            ("after_transaction_end", self._after_transaction_end),
        ):
            if not event.contains(session_class, name, listener):
                event.listen(session_class, name, listener, propagate=True)

    # --- computing the rows again ------------------------------------------------------------

    def refresh(self, session: Session) -> None:
        """Compute the rows of the keys written since the last refresh again."""
        pending: _Pending | None = session.info.pop(self.name, None)
        if pending is None or not (pending.everything or pending.keys):
            return
        # Run from a flush or a statement: what else the session holds is not flushed here.
        with session.no_autoflush:
            # Computed from the rows other transactions have committed: wait for them.
            serialize_writers(session)
            if pending.everything:
                self.rebuild_all(session)
                return
            for chunk in chunks(k for k in pending.keys if k is not None):
                self.refresh_keys(session, chunk)

    def rebuild(self, session: Session) -> None:
        """Compute every row again from the source (after a bulk load or a restore)."""
        session.flush()
        session.info.pop(self.name, None)
        serialize_writers(session)
        self.rebuild_all(session)
