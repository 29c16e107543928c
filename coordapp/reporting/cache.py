"""A small in-process cache for reporting results, keyed by arguments and the data version.

Every data-changing flush bumps ``audit.data_version``, so a cached figure is reused only while
nothing has been written since; one indexed single-row read per call checks that. Results are
frozen dataclasses of tuples, safe to share between requests. Each worker process has its own
cache (bounded, least recently used first out).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from coordapp.audit.service import data_version

T = TypeVar("T")
MAX_ENTRIES = 512


class ReportCache:
    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def call(self, session: Session, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """``fn(session, **kwargs)``, or its result from the cache if the data is unchanged."""
        bind = session.get_bind()
        key = (
            str(bind.engine.url) if hasattr(bind, "engine") else id(bind),
            fn.__module__,
            fn.__qualname__,
            tuple(sorted(kwargs.items())),
            data_version(session),
        )
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                self.hits += 1
                return self._entries[key]  # type: ignore[no-any-return]
        result = fn(session, **kwargs)
        with self._lock:
            self.misses += 1
            self._entries[key] = result
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return result

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)


report_cache = ReportCache()


def cached(session: Session, fn: Callable[..., T], /, **kwargs: Any) -> T:
    return report_cache.call(session, fn, **kwargs)
