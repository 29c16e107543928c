"""Requests that only read: their session writes nothing and, on PostgreSQL, opens no transaction.

A Dash callback request answers from the data and never writes (the dashboards register their
callback route, ``register_read_only_path``). Its session is put in read-only mode before
anything reads through it (``begin``, from a before-request hook that runs ahead of the
sign-in check), which

* runs its statements in autocommit on PostgreSQL: no ``BEGIN`` before the first statement and
  no ``COMMIT`` after the answer, two round trips to the server fewer on every request. What a
  statement sees does not change: under READ COMMITTED each statement inside a transaction sees
  the data committed when it starts, as it does alone. (SQLite, in process, has no round trips
  to save and keeps its transaction; so does a session bound to a connection that holds one,
  as in the tests.)
* refuses every write, ORM flush or Core ``INSERT`` / ``UPDATE`` / ``DELETE``, with
  ``WriteInReadOnlySession``: without a transaction there is nothing to roll back, so a write
  must never start;
* keeps what the request reads once for all its work (``kept``): the data versions, read in the
  same statement as the signed-in user's row (``coordapp.cache.get_with_data_versions``).

A report that sets something for the rest of the transaction (the funding report's ``SET LOCAL
work_mem``) gets one: in autocommit a ``SET LOCAL`` would end with its own statement, so the
first one sent through the session starts a transaction (``BEGIN``) that lasts, as it would
outside read-only mode, until the session's commit or rollback.

The mode ends with the session's transaction (the request's commit or rollback).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask_sqlalchemy.session import Session as FlaskSession
from sqlalchemy import Engine, TextClause, event
from sqlalchemy.orm import ORMExecuteState, Session

from coordapp.extensions import current_session

_KEPT = "coordapp.read_only"
_AUTOCOMMIT = "coordapp.read_only.autocommit"
_IN_TRANSACTION = "coordapp.read_only.in_transaction"
_PATHS = "coordapp_read_only_paths"


class WriteInReadOnlySession(RuntimeError):
    """A read-only request's session was asked to write (a programming error: a 500)."""


def begin(session: Session) -> None:
    """Read-only mode for the rest of the session's transaction (see the module's docstring);
    call it before the first statement."""
    if _KEPT in session.info:
        return
    session.info[_KEPT] = {}
    if session.in_transaction():  # too late to leave it: the guard only
        return
    bind = session.get_bind()
    if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        session.info[_AUTOCOMMIT] = True


def _one_transaction(session: Session) -> None:
    """From here to the end of the session's transaction, its statements share one database
    transaction: a ``BEGIN`` now; the session's commit or rollback ends it (the driver commits
    or rolls back whatever the server says is open, autocommit or not)."""
    if session.info.get(_AUTOCOMMIT) and not session.info.get(_IN_TRANSACTION):
        session.connection().exec_driver_sql("BEGIN")
        session.info[_IN_TRANSACTION] = True


def is_read_only(session: Session) -> bool:
    return _KEPT in session.info


def kept(session: Session) -> dict[str, Any] | None:
    """What a read-only session keeps for its work (None when it is not read-only)."""
    value: dict[str, Any] | None = session.info.get(_KEPT)
    return value


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if not is_read_only(session):
        return
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        raise WriteInReadOnlySession("A read-only request tried to save changes.")


_SET_LOCAL = re.compile(r"\s*SET\s+LOCAL\b", re.IGNORECASE)


def _check_statement(state: ORMExecuteState) -> None:
    if not is_read_only(state.session):
        return
    if state.is_insert or state.is_update or state.is_delete:
        raise WriteInReadOnlySession("A read-only request tried to write.")
    if isinstance(state.statement, TextClause) and _SET_LOCAL.match(state.statement.text):
        _one_transaction(state.session)


def _end(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        for key in (_KEPT, _AUTOCOMMIT, _IN_TRANSACTION):
            session.info.pop(key, None)


def _install(session_class: Any) -> None:
    """Attach the write guard and the mode's end to a session class."""
    for name, listener in (
        ("before_flush", _refuse_flush),
        ("do_orm_execute", _check_statement),
        ("after_transaction_end", _end),
    ):
        if not event.contains(session_class, name, listener):
            event.listen(session_class, name, listener, propagate=True)


def register_read_only_path(app: Flask, path: str) -> None:
    """POST requests to ``path`` only read (``init_read_only_requests`` starts them so)."""
    app.extensions.setdefault(_PATHS, set()).add(path)


def init_read_only_requests(app: Flask) -> None:
    """Call before any hook that reads the database (the sign-in check loads the user)."""
    _install(FlaskSession)
    paths: set[str] = app.extensions.setdefault(_PATHS, set())

    @app.before_request
    def begin_read_only_request() -> None:
        if request.method == "POST" and request.path in paths:
            begin(current_session())
