"""Which database errors mean "unavailable" (503) and which are a bug of ours (500)."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg
import sqlalchemy as sa

from coordapp.unavailable import database_unavailable


def test_an_error_in_our_sql_is_a_500_not_a_503() -> None:
    """Only a database that cannot be reached is 'unavailable'; a bad statement is our bug."""

    def wrapped(cls: Any, orig: Exception) -> Any:
        return cls("SELECT 1", {}, orig)

    missing_table = sqlite3.OperationalError("no such table: no_such_table")
    assert not database_unavailable(wrapped(sa.exc.OperationalError, missing_table))
    locked = sqlite3.OperationalError("database is locked")
    assert database_unavailable(wrapped(sa.exc.OperationalError, locked))
    gone = psycopg.OperationalError("server closed the connection unexpectedly")
    assert database_unavailable(wrapped(sa.exc.OperationalError, gone))
    undefined = psycopg.errors.UndefinedTable("relation does not exist")
    assert not database_unavailable(wrapped(sa.exc.ProgrammingError, undefined))
