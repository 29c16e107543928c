"""A storage for the ``limits`` library in the app's database, for sites without Redis.

Every gunicorn worker reads and writes the same rows, so N workers enforce one limit (an
in-process count would let each worker allow its own). It implements what the fixed-window
strategy needs (``incr``, ``get``, ``get_expiry``, ``clear``): one row per key with its count
and the end of its window; an expired row counts as zero and starts a new window at the next
``incr`` (one atomic ``INSERT … ON CONFLICT DO UPDATE``, on PostgreSQL and SQLite alike).

Why it commits: a failed sign-in answers 401, and the request rolls back what it wrote on any
error status; the count must outlive that. The statements are plain Core statements on the
request's session (no ORM objects), so the data-version listener ignores them: counting a
failure neither takes the writers' lock nor empties the dashboards' caches. In the tests the
commit is a savepoint of the test's transaction, rolled back at the end like everything else.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any, cast

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from coordapp.auth.models import RateLimitCounter

_TABLE = cast(sa.Table, RateLimitCounter.__table__)
# Expired rows are deleted now and then (one write in PURGE_EVERY), not on every write.
PURGE_EVERY = 50
# Kept a little past their window so a purge never races a counter that is being renewed.
PURGE_GRACE_SECONDS = 60


class DatabaseStorage(Storage):
    """``limits`` storage in the ``rate_limit_counters`` table, through ``session_factory``."""

    def __init__(self, session_factory: Callable[[], Session]) -> None:
        super().__init__(uri=None, wrap_exceptions=False)
        self._session_factory = session_factory

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return sa.exc.SQLAlchemyError

    def _write(self, statement: Any) -> Any:
        session = self._session_factory()
        result = session.execute(statement)
        value = result.scalar_one() if statement.is_insert else result.rowcount  # type: ignore[attr-defined]
        session.commit()
        return value

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        session = self._session_factory()
        dialect = session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        new_row = insert(_TABLE).values(key=key, count=amount, expires_at=now + expiry)
        expired = _TABLE.c.expires_at <= now
        statement = new_row.on_conflict_do_update(
            index_elements=[_TABLE.c.key],
            set_={
                "count": sa.case((expired, amount), else_=_TABLE.c.count + amount),
                "expires_at": sa.case((expired, now + expiry), else_=_TABLE.c.expires_at),
            },
        ).returning(_TABLE.c.count)
        count: int = self._write(statement)
        if random.randrange(PURGE_EVERY) == 0:  # noqa: S311  (housekeeping, not security)
            self._write(sa.delete(_TABLE).where(_TABLE.c.expires_at < now - PURGE_GRACE_SECONDS))
        return count

    def _live(self, column: Any, key: str) -> Any:
        return self._session_factory().scalar(
            sa.select(column).where(_TABLE.c.key == key, _TABLE.c.expires_at > time.time())
        )

    def get(self, key: str) -> int:
        return int(self._live(_TABLE.c.count, key) or 0)

    def get_expiry(self, key: str) -> float:
        expires_at = self._live(_TABLE.c.expires_at, key)
        return float(expires_at) if expires_at is not None else time.time()

    def check(self) -> bool:
        try:
            self._session_factory().execute(sa.select(sa.literal(1)))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        return int(self._write(sa.delete(_TABLE)))

    def clear(self, key: str) -> None:
        self._write(sa.delete(_TABLE).where(_TABLE.c.key == key))
