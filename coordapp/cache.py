"""The cache for reporting results, keyed by arguments and the data version.

A value is kept with the groups of tables it read (``DATA_GROUPS``: seen by listening to
the tables named in the SQL it ran, or named by the cached values it reused) and their data
versions, and is reused while none of those groups has been written: a new receipt leaves the
coverage map cached. One indexed single-row read per call checks that. Results are frozen
dataclasses of tuples, safe to share between requests.

Two levels: each worker process keeps a bounded in-process map (least recently used first out);
when ``REDIS_URL`` is set, results are also shared between all workers through Redis (tagged
JSON, see ``codec``; entries expire after ``REDIS_TTL`` seconds, and a write to a group an
entry read makes it stale anyway). If Redis stops answering, the cache logs one warning,
carries on in-process and tries Redis again after ``REDIS_RETRY_SECONDS``: a cache never fails
a request.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapper, Session

from coordapp import cache_codec as codec
from coordapp import read_only
from coordapp.data_version import (
    DATA_VERSION_TABLE,
    GROUP_VERSION_COLUMNS,
    data_versions,
    table_group,
    table_groups,
    versions_by_group,
)

if TYPE_CHECKING:
    from flask import Flask
    from redis import Redis

T = TypeVar("T")
MAX_ENTRIES = 512
REDIS_TTL = 24 * 3600
REDIS_RETRY_SECONDS = 30.0
REDIS_TIMEOUT_SECONDS = 0.5
KEY_PREFIX = "coordapp:report:"

log = logging.getLogger(__name__)

# The groups of tables read while a cached value is computed (None: nothing is being cached).
_reads: ContextVar[set[str] | None] = ContextVar("report_cache_reads", default=None)
# Data versions read once for a piece of read-only work (``one_data_version_read``).
_pinned: ContextVar[tuple[Session, dict[str, int]] | None] = ContextVar(
    "report_cache_pinned_versions", default=None
)
_VERSIONS_TABLE = "data_version"  # reading the versions is not reading data


@contextlib.contextmanager
def _tracking_reads() -> Iterator[set[str]]:
    """Collect the groups of the tables read inside; an enclosing computation (a figure
    callback around a report) depends on them too."""
    outer = _reads.get()
    groups: set[str] = set()
    token = _reads.set(groups)
    try:
        yield groups
    finally:
        _reads.reset(token)
        if outer is not None:
            outer |= groups


@contextlib.contextmanager
def one_data_version_read(session: Session) -> Iterator[None]:
    """Inside, every value cached through ``session`` is checked against the data versions
    read once, here, instead of reading them again per value: for read-only work (a figure
    callback and the reports it reuses), where nothing can move them on in between. A write
    by another request meanwhile makes a value kept here look older than it is, never newer:
    the next reader computes it again."""
    token = _pinned.set((session, _versions(session)))
    try:
        yield
    finally:
        _pinned.reset(token)


def _versions(session: Session) -> dict[str, int]:
    pinned = _pinned.get()
    if pinned is not None and pinned[0] is session:
        return pinned[1]
    kept = read_only.kept(session)
    if kept is not None and _KEPT_VERSIONS in kept:
        return kept[_KEPT_VERSIONS]  # type: ignore[no-any-return]
    return data_versions(session)


_KEPT_VERSIONS = "data_versions"


def get_with_data_versions(session: Session, entity: type[T], ident: Any) -> T | None:
    """``session.get(entity, ident)``; in a read-only session (``coordapp.read_only``) that has
    not read them yet, with the data versions in the same statement (one round trip instead of
    two), kept as the versions of every value cached through it, as in
    ``one_data_version_read``: nothing it does can move them on."""
    kept = read_only.kept(session)
    if kept is None or _KEPT_VERSIONS in kept:
        return session.get(entity, ident)
    statement = _with_data_versions(sa.inspect(entity))
    row = session.execute(statement, {"ident": ident}).one_or_none()
    if row is None:  # no data version row yet: nothing has ever been written
        return session.get(entity, ident)
    kept[_KEPT_VERSIONS] = versions_by_group(row[1:])
    return row[0]  # type: ignore[no-any-return]


@lru_cache(maxsize=8)
def _with_data_versions(mapper: Mapper[Any]) -> sa.Select[Any]:
    """The row whose key is ``:ident`` (or NULLs), and the data versions."""
    (key,) = mapper.primary_key
    return (
        sa.select(mapper.class_, *GROUP_VERSION_COLUMNS)
        .select_from(DATA_VERSION_TABLE)
        .outerjoin(mapper.class_, key == sa.bindparam("ident"))
        .where(DATA_VERSION_TABLE.c.id == 1)
    )


def _note_groups(snapshot: Iterable[tuple[str, int]]) -> None:
    groups = _reads.get()
    if groups is not None:
        groups.update(g for g, _ in snapshot)


def _current(snapshot: Iterable[tuple[str, int]], versions: dict[str, int]) -> bool:
    return all(versions.get(g) == v for g, v in snapshot)


@lru_cache(maxsize=1)
def _table_names() -> re.Pattern[str]:
    names = sorted((n for n in table_groups() if n != _VERSIONS_TABLE), key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")


@lru_cache(maxsize=2048)
def _statement_groups(sql: str) -> frozenset[str]:
    """The groups of the tables a statement names (an alias or label that happens to be a
    table's name only makes the value depend on one more group)."""
    return frozenset(table_group(name) for name in set(_table_names().findall(sql)))


@event.listens_for(Engine, "before_cursor_execute")
def _note_reads(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    groups = _reads.get()
    if groups is not None:
        groups |= _statement_groups(statement)


def redis_client(url: str) -> Redis:
    from redis import Redis

    return Redis.from_url(
        url,
        socket_timeout=REDIS_TIMEOUT_SECONDS,
        socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        health_check_interval=30,
    )


class ReportCache:
    def __init__(
        self,
        max_entries: int = MAX_ENTRIES,
        *,
        redis: Redis | None = None,
        key_prefix: str = KEY_PREFIX,
    ) -> None:
        self.max_entries = max_entries
        self.redis = redis
        self.key_prefix = key_prefix
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._redis_down_until = 0.0
        self.hits = 0
        self.misses = 0
        self.shared_hits = 0

    def call(self, session: Session, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """``fn(session, **kwargs)``, or its result from the cache if the data is unchanged."""
        key = (fn.__module__, fn.__qualname__, tuple(sorted(kwargs.items())))
        return self.get_or_compute(session, key, lambda: fn(session, **kwargs))

    def get_or_compute(self, session: Session, key: Hashable, compute: Callable[[], T]) -> T:
        """The value cached under ``key`` for this database while no table it read has been
        written, or ``compute()`` (then kept with the groups of tables it read and their
        versions). ``key`` names everything the value depends on besides the data."""
        bind = session.get_bind()
        full_key = (str(bind.engine.url) if hasattr(bind, "engine") else id(bind), key)
        versions = _versions(session)
        with self._lock:
            entry = self._entries.get(full_key)
            if entry is not None and _current(entry[0], versions):
                self._entries.move_to_end(full_key)
                self.hits += 1
                _note_groups(entry[0])
                return entry[1]  # type: ignore[no-any-return]
        shared_key = self.key_prefix + hashlib.sha256(repr(full_key).encode()).hexdigest()
        entry = self._shared_get(shared_key)
        if entry is not None and _current(entry[0], versions):
            self.shared_hits += 1
            _note_groups(entry[0])
        else:
            with _tracking_reads() as groups:
                result = compute()
            self.misses += 1
            entry = (tuple(sorted((g, versions[g]) for g in groups)), result)
            if result is not None:
                self._shared_set(shared_key, entry)
        with self._lock:
            self._entries[full_key] = entry
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return entry[1]  # type: ignore[no-any-return]

    # --- the shared level ------------------------------------------------------------------

    def _redis_usable(self) -> bool:
        return self.redis is not None and time.monotonic() >= self._redis_down_until

    def _redis_failed(self, error: Exception) -> None:
        first = self._redis_down_until == 0.0 or time.monotonic() >= self._redis_down_until
        self._redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        if first:
            log.warning(
                "Redis report cache unavailable (%s: %s); using the in-process cache, "
                "retrying in %.0f s",
                type(error).__name__,
                error,
                REDIS_RETRY_SECONDS,
            )

    def _shared_get(self, key: str) -> Any:
        if not self._redis_usable():
            return None
        from redis.exceptions import RedisError

        assert self.redis is not None
        try:
            data = self.redis.get(key)
        except RedisError as error:
            self._redis_failed(error)
            return None
        if data is None:
            return None
        try:
            return codec.loads(data)  # type: ignore[arg-type]
        except (codec.CodecError, ValueError, TypeError):
            log.warning("Unreadable report cache entry %s ignored", key)
            return None

    def _shared_set(self, key: str, value: Any) -> None:
        if not self._redis_usable():
            return
        from redis.exceptions import RedisError

        assert self.redis is not None
        try:
            data = codec.dumps(value)
        except codec.CodecError as error:
            log.warning("Report cache: %s; kept in-process only", error)
            return
        try:
            self.redis.set(key, data, ex=REDIS_TTL)
        except RedisError as error:
            self._redis_failed(error)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = self.shared_hits = 0

    def __len__(self) -> int:
        return len(self._entries)


report_cache = ReportCache()
# Whole answers of the dashboards' figure callbacks (a digest and the JSON bytes, see
# dashboards.responses).
response_cache = ReportCache(max_entries=256)


def configure_report_cache(app: Flask) -> None:
    """Share the cache through Redis when ``REDIS_URL`` is set (not for the test suite's app,
    whose rolled-back transactions reuse data versions)."""
    url = app.config.get("REDIS_URL")
    report_cache.redis = redis_client(url) if url and not app.testing else None


def clear_caches() -> None:
    report_cache.clear()
    response_cache.clear()


def cached(session: Session, fn: Callable[..., T], /, **kwargs: Any) -> T:
    return report_cache.call(session, fn, **kwargs)
