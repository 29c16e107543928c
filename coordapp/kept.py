"""Derived rows kept current on write: the machinery every such table shares.

Two shapes:

* ``KeptRows`` — totals that sum other rows (``coordapp.funding.totals``,
  ``coordapp.stats.activity_totals``, ``coordapp.training.totals``), refreshed once per
  transaction:

  * a flush notes what it is about to change (``before_flush``: the rows' state before, read
    from the database) and what it wrote (``after_flush``), in a changes object of the table's
    own kind, kept in ``session.info`` until the transaction ends;
  * a statement that bypasses the unit of work on a watched table
    (``session.execute(insert(...), rows)``, an import's batch) is noted too: an INSERT names
    its rows (``note_inserted``); any other statement could change any row, and the table is
    built again (``rebuild``);
  * before the transaction commits — or before a figure reads the table in the same
    transaction (``refresh``) — the derived rows of what changed are computed again from the
    rows, once for all the transaction's flushes.

* ``KeptPerKey`` — one group of rows per key of a source table (the membership spans of a
  hotline, computed from its membership events), cheap enough to compute again at the end of
  every flush or statement that touches a key: the derived rows agree with the source rows for
  every statement that follows, a read in the same transaction included, and a rolled back
  savepoint takes both back together.

Writers that bypass the session (a restore, the bench's bulk loads) call ``rebuild``. A
transaction that rolls back drops its notes with it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

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


def rows_with(
    session: Session,
    key: Any,
    values: Iterable[Any],
    columns: tuple[Any, ...],
    *,
    join: tuple[Any, Any] | None = None,
) -> Iterator[Any]:
    """``columns`` of the rows whose ``key`` is one of ``values`` (``join``ed to another
    table), a chunk of values a statement."""
    for chunk in chunks(values):
        select = sa.select(*columns).where(key.in_(chunk))
        yield from session.execute(select if join is None else select.join(*join))


def stored_ids(
    session: Session, models: tuple[type, ...], when: Callable[[Any], bool] | None = None
) -> dict[type, set[Any]]:
    """Before a flush: the ids of the stored rows of ``models`` it changes or deletes (those
    ``when`` accepts), by model; what they were is read from the database with them, so that
    an attribute never loaded before it was set still counts."""
    ids: dict[type, set[Any]] = defaultdict(set)
    for obj in (*session.dirty, *session.deleted):
        if isinstance(obj, models) and (when is None or when(obj)):
            identity = instance_state(obj).identity
            if identity is not None:
                ids[type(obj)].add(identity[0])
    return ids


def written(session: Session, models: tuple[type, ...]) -> list[Any]:
    """After a flush: the rows of ``models`` it inserted or updated (their new state)."""
    return [
        obj
        for obj in (*session.new, *session.dirty)
        if isinstance(obj, models) and obj not in session.deleted
    ]


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


def listen(session_class: Any, listeners: tuple[tuple[str, Any], ...]) -> None:
    """Add each (event name, listener) to ``session_class`` once (create_app may run again)."""
    for name, listener in listeners:
        if not event.contains(session_class, name, listener):
            event.listen(session_class, name, listener, propagate=True)


def forget_at_end(name: str) -> Callable[[Session, Any], None]:
    """An ``after_transaction_end`` listener dropping ``session.info[name]`` when the outermost
    transaction ends: one that commits refreshed before, one that rolls back took its writes
    (and so the need to refresh them) with it."""

    def forget(session: Session, transaction: Any) -> None:
        if transaction.parent is None:
            session.info.pop(name, None)

    return forget


def written_table(state: ORMExecuteState) -> str | None:
    """The name of the table an INSERT, UPDATE or DELETE statement writes (None for a read)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    return getattr(getattr(state.statement, "table", None), "name", None)


@dataclass
class _PendingKeys:
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
    _forget: Callable[[Session, Any], None] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_forget", forget_at_end(self.name))

    # --- what a transaction changed ----------------------------------------------------------

    def _pending(self, session: Session) -> _PendingKeys:
        pending: _PendingKeys | None = session.info.get(self.name)
        if pending is None:
            pending = session.info[self.name] = _PendingKeys()
        return pending

    def _before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        ids = stored_ids(session, (self.source,))[self.source]
        if not ids:
            return
        (pk,) = sa.inspect(self.source).primary_key
        columns = (getattr(self.source, self.key),)
        self._pending(session).keys.update(key for (key,) in rows_with(session, pk, ids, columns))

    def _after_flush(self, session: Session, _context: Any) -> None:
        keys = [getattr(obj, self.key) for obj in written(session, (self.source,))]
        if keys:
            self._pending(session).keys.update(keys)

    def _after_flush_postexec(self, session: Session, _context: Any) -> None:
        self.refresh(session)

    def _on_execute(self, state: ORMExecuteState) -> Any:
        """A write that bypasses the unit of work (``session.execute(insert(...), rows)``): an
        INSERT names its rows' keys; any other statement on the table could change any row."""
        if written_table(state) != self.source.__tablename__:
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
        listen(
            session_class,
            (
                ("before_flush", self._before_flush),
                ("after_flush", self._after_flush),
                ("after_flush_postexec", self._after_flush_postexec),
                ("do_orm_execute", self._on_execute),
                ("after_transaction_end", self._forget),
            ),
        )

    # --- computing the rows again ------------------------------------------------------------

    def refresh(self, session: Session) -> None:
        """Compute the rows of the keys written since the last refresh again."""
        pending: _PendingKeys | None = session.info.pop(self.name, None)
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


# --- totals refreshed once per transaction ----------------------------------------

ChangesT = TypeVar("ChangesT")


def on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass
class _Pending(Generic[ChangesT]):
    changes: ChangesT
    everything: bool = False  # a statement changed rows it does not name: rebuild


@dataclass(eq=False)
class KeptRows(Generic[ChangesT]):
    """One derived table (or a few built together) kept current on write; see the module.

    A table's module gives its steps in the order of the fields, and its public names::

        _STEPS = (_note_inserted, _before_flush, _after_flush, _refresh_changes, _rebuild_all)
        KEPT = KeptRows("..._pending", _Changes, _WATCHED, *_STEPS)
        install, refresh, rebuild, kept = KEPT.install, KEPT.refresh, KEPT.rebuild, KEPT.kept
    """

    name: str  # the session.info key of the pending changes
    new_changes: Callable[[], ChangesT]
    # Watched models: an INSERT statement on one of their tables calls ``note_inserted`` with
    # each row's values by column key (a KeyError: the rows are not named, rebuild).
    watched: tuple[type, ...]
    note_inserted: Callable[[ChangesT, type, Mapping[str, Any]], None]
    # (session) -> None: note from ``changes(session)`` what the flush changes / wrote.
    before_flush: Callable[[Session], None]
    after_flush: Callable[[Session], None]
    # Compute the derived rows of the changes / of every row again.
    refresh_changes: Callable[[Session, ChangesT], None]
    rebuild_all: Callable[[Session], None]
    kept: Callable[[Session], bool] = on_postgresql  # whether this database keeps the rows
    _tables: dict[str, type] = field(init=False)
    _forget: Callable[[Session, Any], None] = field(init=False)

    def __post_init__(self) -> None:
        self._tables = {model.__tablename__: model for model in self.watched}  # type: ignore[attr-defined]
        self._forget = forget_at_end(self.name)

    def changes(self, session: Session) -> ChangesT:
        """This transaction's changes not yet refreshed (made on first use)."""
        pending: _Pending[ChangesT] | None = session.info.get(self.name)
        if pending is None:
            pending = session.info[self.name] = _Pending(self.new_changes())
        return pending.changes

    def install(self, session_class: Any) -> None:
        """Keep the rows current in every session of ``session_class`` (once, from
        create_app)."""
        listen(
            session_class,
            (
                ("before_flush", self._before_flush),
                ("after_flush", self._after_flush),
                ("do_orm_execute", self._on_execute),
                ("before_commit", self.refresh),
                ("after_transaction_end", self._forget),
            ),
        )

    def refresh(self, session: Session) -> None:
        """Bring the rows up to date with this transaction's writes (flushing them first)."""
        if self.name not in session.info or not self.kept(session):
            return
        session.flush()
        pending: _Pending[ChangesT] = session.info.pop(self.name)
        if pending.everything:
            self.rebuild(session)
        else:
            self.refresh_changes(session, pending.changes)

    def rebuild(self, session: Session) -> None:
        """Compute every derived row again from the rows (after a bulk load or a restore)."""
        if not self.kept(session):
            return
        session.flush()
        session.info.pop(self.name, None)
        self.rebuild_all(session)

    # --- the listeners ---------------------------------------------------------------------

    def _before_flush(self, session: Session, _context: Any, _instances: Any) -> None:
        if self.kept(session):
            self.before_flush(session)

    def _after_flush(self, session: Session, _context: Any) -> None:
        if self.kept(session):
            self.after_flush(session)

    def _on_execute(self, state: ORMExecuteState) -> None:
        model = self._tables.get(written_table(state) or "")
        if model is None or not self.kept(state.session):
            return
        changes = self.changes(state.session)
        try:
            for values in inserted_rows(state):
                self.note_inserted(changes, model, values)
        except KeyError:
            session_pending: _Pending[ChangesT] = state.session.info[self.name]
            session_pending.everything = True
