"""Derived rows kept current on write: the machinery every such table shares.

A derived table (``coordapp.funding.totals``, ``coordapp.stats.activity_totals``) is a sum of
other rows that the figures read instead of those rows. It is kept current in the writing
transaction:

* a flush notes what it is about to change (``before_flush``: the rows' state before, read from
  the database) and what it wrote (``after_flush``), in a changes object of the table's own
  kind, kept in ``session.info`` until the transaction ends;
* a statement that bypasses the unit of work on a watched table
  (``session.execute(insert(...), rows)``, an import's batch) is noted too: an INSERT names its
  rows (``note_inserted``); any other statement could change any row, and the table is built
  again (``rebuild``);
* before the transaction commits — or before a figure reads the table in the same transaction
  (``refresh``) — the derived rows of what changed are computed again from the rows, once for
  all the transaction's flushes;
* writers that bypass the session (the bench's bulk loads, a restore) call ``rebuild``.

A transaction that rolls back drops its notes with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session

ChangesT = TypeVar("ChangesT")


def on_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass
class _Pending(Generic[ChangesT]):
    changes: ChangesT
    everything: bool = False  # a statement changed rows it does not name: rebuild


@dataclass(eq=False)
class KeptRows(Generic[ChangesT]):
    """One derived table (or a few built together) kept current on write; see the module."""

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
    kept: Callable[[Session], bool] = on_postgresql
    _tables: dict[str, type] = field(init=False)

    def __post_init__(self) -> None:
        self._tables = {model.__tablename__: model for model in self.watched}  # type: ignore[attr-defined]

    def changes(self, session: Session) -> ChangesT:
        """This transaction's changes not yet refreshed (made on first use)."""
        pending: _Pending[ChangesT] | None = session.info.get(self.name)
        if pending is None:
            pending = session.info[self.name] = _Pending(self.new_changes())
        return pending.changes

    def install(self, session_class: Any) -> None:
        """Keep the rows current in every session of ``session_class`` (once, from
        create_app)."""
        for name, listener in (
            ("before_flush", self._before_flush),
            ("after_flush", self._after_flush),
            ("do_orm_execute", self._on_execute),
            ("before_commit", self.refresh),
            ("after_transaction_end", self._after_transaction_end),
        ):
            if not event.contains(session_class, name, listener):
                event.listen(session_class, name, listener, propagate=True)

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

    def _after_transaction_end(self, session: Session, transaction: Any) -> None:
        # A transaction that ends without refreshing rolled back: its changes are gone, and so
        # is the need to refresh. (One that commits refreshed in before_commit.)
        if transaction.parent is None:
            session.info.pop(self.name, None)

    def _on_execute(self, state: ORMExecuteState) -> None:
        if not (state.is_insert or state.is_update or state.is_delete):
            return
        table = getattr(state.statement, "table", None)
        model = self._tables.get(getattr(table, "name", ""))
        if model is None or not self.kept(state.session):
            return
        changes = self.changes(state.session)
        given = state.parameters
        rows: list[Mapping[Any, Any]] = (
            list(given) if isinstance(given, Sequence) else [given] if given else []
        )
        try:
            if not state.is_insert or not rows:
                raise KeyError("rows not named")
            for row in rows:
                self.note_inserted(
                    changes, model, {getattr(k, "key", k): v for k, v in row.items()}
                )
        except KeyError:
            session_pending: _Pending[ChangesT] = state.session.info[self.name]
            session_pending.everything = True
