"""Failed sign-ins limited per account and per client address.

Counts are kept with the ``limits`` library (moving windows): in Redis when ``REDIS_URL`` is set,
so that every worker process sees the same counts, else in the process. Once an account, or an
address, has had its allowance of failures within the window, further sign-ins for it are
refused (429) without the password being checked, until the window has moved on; a successful
sign-in clears the account's count. Unknown addresses are counted like known ones, so the
refusal says nothing about which accounts exist. Emails are hashed before they become keys: no
personal data in Redis.

If Redis cannot be reached, counting goes on in the process (and the error is logged): sign-in
keeps working, with limits per worker instead of shared ones.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask.sansio.app import App
from limits import RateLimitItem, RateLimitItemPerMinute
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

logger = logging.getLogger(__name__)
EXTENSION_KEY = "coordapp_sign_in_throttle"


def _account_key(email: str) -> str:
    normalised = (email or "").strip().lower()
    return "account:" + hashlib.sha256(normalised.encode("utf-8")).hexdigest()[:32]


def _address_key(address: str | None) -> str:
    return "address:" + (address or "unknown")


@dataclass(frozen=True)
class Refusal:
    retry_after_seconds: int

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
        storage_uri: str | None = None,
        key_prefix: str = "coordapp-sign-in",
    ) -> None:
        self.account_limit: RateLimitItem = RateLimitItemPerMinute(per_account, window_minutes)
        self.address_limit: RateLimitItem = RateLimitItemPerMinute(per_address, window_minutes)
        self._local = MovingWindowRateLimiter(MemoryStorage())
        self._shared: MovingWindowRateLimiter | None = None
        if storage_uri:
            # Short timeouts: a Redis that hangs must not hold sign-in up (see the fallback).
            storage = storage_from_string(
                storage_uri, key_prefix=key_prefix, socket_connect_timeout=2, socket_timeout=2
            )
            if not isinstance(storage, Storage):  # an asyncio storage: not for a WSGI app
                raise ValueError(f"REDIS_URL {storage_uri!r} names an asyncio storage.")
            self._shared = MovingWindowRateLimiter(storage)

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SignInThrottle:
        return cls(
            per_account=int(config["SIGN_IN_LIMIT_PER_ACCOUNT"]),
            per_address=int(config["SIGN_IN_LIMIT_PER_ADDRESS"]),
            window_minutes=int(config["SIGN_IN_LIMIT_WINDOW_MINUTES"]),
            storage_uri=config.get("REDIS_URL") or None,
        )

    @property
    def uses_redis(self) -> bool:
        return self._shared is not None

    def _limiter(self) -> MovingWindowRateLimiter:
        return self._shared or self._local

    def _call(self, method: str, *args: Any) -> Any:
        limiter = self._limiter()
        try:
            return getattr(limiter, method)(*args)
        except Exception:  # a storage outage must not lock everyone out
            if limiter is self._local:
                raise
            logger.exception("Sign-in limits: Redis unavailable, counting in this process")
            return getattr(self._local, method)(*args)

    def _checks(self, email: str, address: str | None) -> list[tuple[RateLimitItem, str]]:
        return [
            (self.account_limit, _account_key(email)),
            (self.address_limit, _address_key(address)),
        ]

    def refusal(self, *, email: str, address: str | None) -> Refusal | None:
        """A refusal when the account or the address has no failure left in its window."""
        waits = []
        for item, key in self._checks(email, address):
            if not self._call("test", item, key):
                stats = self._call("get_window_stats", item, key)
                reset_time = float(stats.reset_time)
                waits.append(max(1, math.ceil(reset_time - time.time())))
        return Refusal(max(waits)) if waits else None

    def failed(self, *, email: str, address: str | None) -> None:
        for item, key in self._checks(email, address):
            self._call("hit", item, key)

    def succeeded(self, *, email: str) -> None:
        self._call("clear", self.account_limit, _account_key(email))

    def reset(self) -> None:
        """Forget every count (tests; an operator after an incident)."""
        self._local.storage.reset()
        if self._shared is not None:
            self._shared.storage.reset()


def init_throttle(app: App) -> SignInThrottle:
    throttle = SignInThrottle.from_config(app.config)
    app.extensions[EXTENSION_KEY] = throttle
    return throttle


def get_throttle(app: Flask) -> SignInThrottle:
    throttle: SignInThrottle = app.extensions[EXTENSION_KEY]
    return throttle
