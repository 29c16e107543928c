"""The statements an app sends to its database while a block runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask
from sqlalchemy import event

from coordapp.extensions import db


@contextmanager
def statements_sent(app: Flask) -> Iterator[list[str]]:
    """Every statement but the savepoints of the test's own transaction (tests/conftest.py)."""
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if "SAVEPOINT" not in statement:
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
