"""Failed sign-ins slow an account down and block an address; they never lock the owner out.

Two limits, counted with the ``limits`` library (fixed windows) in storage that every worker
shares: Redis when ``REDIS_URL`` is set, else the app's database (``limit_storage``). So N
gunicorn workers enforce one limit, not N.

* **Per account: a wait that grows, capped.** The first ``SIGN_IN_LIMIT_PER_ACCOUNT`` failures
  cost nothing. After each further failure the account's next try must wait 2, 4, 8 … seconds,
  at most ``SIGN_IN_ACCOUNT_MAX_WAIT_SECONDS`` (60). A try during the wait is answered 429 with
  the seconds left, without checking the password (or the wait would be no obstacle); the first
  try after it is checked as usual, so the owner with the right password is in after at most
  that wait. Failures are remembered for 24 hours; a successful sign-in forgets them. An
  attacker spread over many addresses gets about one guess a minute per account.
* **Per address: a block of the address, not of the account.** ``SIGN_IN_LIMIT_PER_ADDRESS``
  failures from one client address within ``SIGN_IN_LIMIT_WINDOW_MINUTES`` refuse further
  sign-ins from that address until the window ends; other addresses, the owner's included,
  are not affected. The address is the proxy's ``X-Forwarded-For`` only when
  ``FORWARDED_ALLOW_IPS`` trusts the proxy (``coordapp.proxy``), else the connection's.

Unknown emails are counted like known ones, so no answer says which accounts exist. Emails
are hashed before they become keys: no personal data in Redis or the counters table. If Redis
cannot be reached, counting goes on in the database (the error is logged).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.sansio.app import App
from limits import RateLimitItem, RateLimitItemPerHour, RateLimitItemPerMinute
from limits.limits import RateLimitItemPerSecond
from limits.storage import Storage, storage_from_string
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.orm import Session

from coordapp.auth.limit_storage import DatabaseStorage

logger = logging.getLogger(__name__)
EXTENSION_KEY = "coordapp_sign_in_throttle"
# How long an account's failures are remembered (a successful sign-in forgets them at once).
ACCOUNT_MEMORY_HOURS = 24
# A ceiling the account's failure count never reaches: the count only sets the wait.
ACCOUNT_COUNT_CEILING = 1_000_000


def _account_key(email: str) -> str:
    normalised = (email or "").strip().lower()
    return "account:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


def _address_key(address: str | None) -> str:
    return "address:" + (address or "unknown")


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in is not tried now: ``blocked_address`` (the address used up its failures)
    or an account in its wait; and for how long."""

    retry_after_seconds: int
    blocked_address: bool = False

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_seconds / 60))


class SignInThrottle:
    def __init__(
        self,
        *,
        per_account: int,
        per_address: int,
        window_minutes: int,
        max_wait_seconds: int = 60,
        storage_uri: str | None = None,
        session_factory: Callable[[], Session] | None = None,
        key_prefix: str = "coordapp-sign-in",
    ) -> None:
        self.free_failures = per_account
        self.max_wait_seconds = max_wait_seconds
        self.address_limit: RateLimitItem = RateLimitItemPerMinute(per_address, window_minutes)
        self.account_count: RateLimitItem = RateLimitItemPerHour(
            ACCOUNT_COUNT_CEILING, ACCOUNT_MEMORY_HOURS
        )
        if session_factory is None:
            from coordapp.extensions import db

            def session_factory() -> Session:
                return db.session()  # looked up at each call: the request's session

        self._database = FixedWindowRateLimiter(DatabaseStorage(session_factory))
        self._shared: FixedWindowRateLimiter | None = None
        if storage_uri:
            # Short timeouts: a Redis that hangs must not hold sign-in up (see the fallback).
            storage = storage_from_string(
                storage_uri, key_prefix=key_prefix, socket_connect_timeout=2, socket_timeout=2
            )
            if not isinstance(storage, Storage):  # an asyncio storage: not for a WSGI app
                raise ValueError(f"REDIS_URL {storage_uri!r} names an asyncio storage.")
            self._shared = FixedWindowRateLimiter(storage)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SignInThrottle:
        return cls(
            per_account=int(config["SIGN_IN_LIMIT_PER_ACCOUNT"]),
            per_address=int(config["SIGN_IN_LIMIT_PER_ADDRESS"]),
            window_minutes=int(config["SIGN_IN_LIMIT_WINDOW_MINUTES"]),
            max_wait_seconds=int(config.get("SIGN_IN_ACCOUNT_MAX_WAIT_SECONDS", 60)),
            storage_uri=config.get("REDIS_URL") or None,
        )

    @property
    def uses_redis(self) -> bool:
        return self._shared is not None

    def _call(self, method: str, *args: Any) -> Any:
        limiter = self._shared or self._database
        try:
            return getattr(limiter, method)(*args)
        except Exception:  # a Redis outage must not lock everyone out
            if limiter is self._database:
                raise
            logger.exception("Sign-in limits: Redis unavailable, counting in the database")
            return getattr(self._database, method)(*args)

    def wait_after(self, failures: int) -> int:
        """Seconds the account's next try waits after its ``failures``-th failure in a row."""
        extra = failures - self.free_failures
        if extra <= 0:
            return 0
        return min(self.max_wait_seconds, 2 ** min(extra, 30))

    def _wait_gate(self, failures: int) -> RateLimitItem | None:
        wait = self.wait_after(failures)
        return RateLimitItemPerSecond(1, wait) if wait else None

    def failures(self, *, email: str) -> int:
        """Failed sign-ins of the account (in a row, within ACCOUNT_MEMORY_HOURS)."""
        stats = self._call("get_window_stats", self.account_count, _account_key(email))
        return int(self.account_count.amount - stats.remaining)

    def _seconds_until(self, item: RateLimitItem, key: str) -> int:
        stats = self._call("get_window_stats", item, key)
        return max(1, math.ceil(float(stats.reset_time) - time.time()))

    def refusal(self, *, email: str, address: str | None) -> Refusal | None:
        """Why a sign-in may not be tried now, or None: the address is blocked, or the account
        is in the wait that followed its last failure."""
        if not self._call("test", self.address_limit, _address_key(address)):
            wait = self._seconds_until(self.address_limit, _address_key(address))
            return Refusal(wait, blocked_address=True)
        key = _account_key(email)
        gate = self._wait_gate(self.failures(email=email))
        if gate is not None and not self._call("test", gate, key):
            return Refusal(self._seconds_until(gate, key))
        return None

    def failed(self, *, email: str, address: str | None) -> None:
        key = _account_key(email)
        self._call("hit", self.address_limit, _address_key(address))
        self._call("hit", self.account_count, key)
        gate = self._wait_gate(self.failures(email=email))
        if gate is not None:
            self._call("hit", gate, key)

    def succeeded(self, *, email: str) -> None:
        self._call("clear", self.account_count, _account_key(email))

    def reset(self) -> None:
        """Forget every count (tests; an operator after an incident)."""
        self._database.storage.reset()
        if self._shared is not None:
            self._shared.storage.reset()


def init_throttle(app: App) -> SignInThrottle:
    throttle = SignInThrottle.from_config(app.config)
    app.extensions[EXTENSION_KEY] = throttle
    return throttle


def get_throttle(app: Flask) -> SignInThrottle:
    throttle: SignInThrottle = app.extensions[EXTENSION_KEY]
    return throttle
