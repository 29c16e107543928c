"""Sign-in limits: an account's failures slow the next try down (a short wait that grows, at most
a minute) and never lock the owner out; an address's failures block that address only. Counted
in the database (shared by every worker) or in Redis when REDIS_URL is set. Time is moved by
replacing the clock, never by sleeping."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import limit_storage
from coordapp.auth import throttle as throttle_module
from coordapp.auth.throttle import SignInThrottle, get_throttle
from coordapp.auth.views import GENERIC_FAILURE
from coordapp.data_version import data_version
from tests.conftest import PASSWORD

REDIS_TEST_URL = "redis://127.0.0.1:6379/5"


def attempt(client: FlaskClient, email: str, password: str, address: str = "10.0.0.1") -> object:
    return client.post(
        "/auth/sign-in",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    namespace = SimpleNamespace(time=fake.time)
    monkeypatch.setattr(limit_storage, "time", namespace)
    monkeypatch.setattr(throttle_module, "time", namespace)
    return fake


def test_defaults(app: Flask) -> None:
    assert app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] == 5
    assert app.config["SIGN_IN_LIMIT_PER_ADDRESS"] == 20
    assert app.config["SIGN_IN_LIMIT_WINDOW_MINUTES"] == 15
    assert app.config["SIGN_IN_ACCOUNT_MAX_WAIT_SECONDS"] == 60


def test_an_accounts_failures_only_delay_the_right_password(
    client: FlaskClient, users: dict[str, str], clock: Clock
) -> None:
    for n in range(6):  # from six addresses: no address limit involved
        response = attempt(client, users["admin"], f"wrong-password-{n}", address=f"10.0.1.{n}")
        assert response.status_code == 401  # type: ignore[attr-defined]
    # The sixth failure (one past the five free ones) makes the next try wait 2 seconds.
    waiting = attempt(client, users["admin"], PASSWORD, address="10.0.2.1")
    assert waiting.status_code == 429  # type: ignore[attr-defined]
    text = waiting.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Try again in 2 seconds" in text and "right password" in text
    assert waiting.headers["Retry-After"] == "2"  # type: ignore[attr-defined]
    assert 'name="password"' in text  # the sign-in page itself, with the explanation
    assert client.get("/").status_code == 302  # not signed in
    clock.now += 2
    assert attempt(client, users["admin"], PASSWORD, address="10.0.2.1").status_code == 302  # type: ignore[attr-defined]


def test_after_a_long_attack_the_owner_waits_a_minute_at_most(
    client: FlaskClient, users: dict[str, str], clock: Clock
) -> None:
    # The attacker tries again as soon as each wait is over, from a new address each time.
    for n in range(30):
        response = attempt(client, users["admin"], "guess", address=f"10.1.{n}.1")
        assert response.status_code == 401  # type: ignore[attr-defined]
        clock.now += 60
    clock.now -= 30  # the owner comes half-way through the wait after the last guess
    refused = attempt(client, users["admin"], PASSWORD, address="10.2.0.1")
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert refused.headers["Retry-After"] == "30"  # type: ignore[attr-defined]
    clock.now += 30
    assert attempt(client, users["admin"], PASSWORD, address="10.2.0.1").status_code == 302  # type: ignore[attr-defined]


def test_a_try_during_the_wait_is_not_counted(app: Flask, clock: Clock) -> None:
    with app.app_context():
        limiter = SignInThrottle(per_account=1, per_address=100, window_minutes=15)
        for _ in range(2):
            limiter.failed(email="c@x.example", address="1.2.3.4")
        refusal = limiter.refusal(email="c@x.example", address="9.9.9.9")
        assert refusal is not None and not refusal.blocked_address
        assert refusal.retry_after_seconds == 2
        clock.now += 1
        assert limiter.refusal(email="c@x.example", address="9.9.9.9") is not None
        assert limiter.failures(email="c@x.example") == 2  # refusals add nothing
        clock.now += 1
        assert limiter.refusal(email="c@x.example", address="9.9.9.9") is None


def test_the_wait_grows_and_is_capped(app: Flask) -> None:
    limiter = SignInThrottle(per_account=5, per_address=20, window_minutes=15, max_wait_seconds=60)
    waits = [limiter.wait_after(n) for n in range(1, 14)]
    assert waits == [0, 0, 0, 0, 0, 2, 4, 8, 16, 32, 60, 60, 60]


@pytest.fixture
def small_limits(app: Flask) -> Iterator[SignInThrottle]:
    """Limits of 2 free failures per account and 4 per address within a minute."""
    original = get_throttle(app)
    small = SignInThrottle(per_account=2, per_address=4, window_minutes=1)
    app.extensions[throttle_module.EXTENSION_KEY] = small
    yield small
    app.extensions[throttle_module.EXTENSION_KEY] = original


def test_an_address_is_blocked_not_the_accounts(
    client: FlaskClient, users: dict[str, str], small_limits: SignInThrottle
) -> None:
    for role in ("admin", "manager"):
        for _ in range(2):
            response = attempt(client, users[role], "wrong-password", "10.9.9.9")
            assert response.status_code == 401  # type: ignore[attr-defined]
    refused = attempt(client, users["viewer"], PASSWORD, "10.9.9.9")
    assert refused.status_code == 429  # type: ignore[attr-defined]
    text = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "from this network address" in text and "try again in 1 minute," in text
    # The accounts themselves sign in from another address with the right password.
    for role in ("viewer", "admin"):
        assert attempt(client, users[role], PASSWORD, "10.9.9.10").status_code == 302  # type: ignore[attr-defined]
        client.post("/auth/sign-out")


def test_unknown_accounts_are_slowed_the_same_way(
    client: FlaskClient, users: dict[str, str]
) -> None:
    for n in range(6):
        attempt(client, "nobody@test.example", "wrong-password", address=f"10.0.3.{n}")
    refused = attempt(client, "nobody@test.example", "x", "10.0.4.1")
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert "Try again in 2 seconds" in refused.get_data(as_text=True)  # type: ignore[attr-defined]


def test_a_successful_sign_in_clears_the_accounts_count(
    client: FlaskClient, users: dict[str, str]
) -> None:
    for n in range(5):
        attempt(client, users["admin"], "wrong-password", address=f"10.0.6.{n}")
    assert attempt(client, users["admin"], PASSWORD).status_code == 302  # type: ignore[attr-defined]
    client.post("/auth/sign-out")
    for n in range(5):
        response = attempt(client, users["admin"], "wrong-password", address=f"10.0.5.{n}")
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert GENERIC_FAILURE.encode() in response.data.replace(b"&#39;", b"'")  # type: ignore[attr-defined]


def test_the_address_block_ends_when_the_window_moves_on(app: Flask, clock: Clock) -> None:
    with app.app_context():
        limiter = SignInThrottle(per_account=100, per_address=3, window_minutes=15)
        for n in range(3):
            assert limiter.refusal(email=f"{n}@x.example", address="1.2.3.4") is None
            limiter.failed(email=f"{n}@x.example", address="1.2.3.4")
            clock.now += 60
        refusal = limiter.refusal(email="other@x.example", address="1.2.3.4")
        assert refusal is not None and refusal.blocked_address
        assert refusal.retry_after_seconds == 15 * 60 - 3 * 60
        assert limiter.refusal(email="other@x.example", address="5.6.7.8") is None
        clock.now += 12 * 60
        assert limiter.refusal(email="other@x.example", address="1.2.3.4") is None


def test_keys_hold_no_email_address() -> None:
    key = throttle_module._account_key("Someone@Example.org")
    assert "someone" not in key.lower() and "example" not in key
    assert key == throttle_module._account_key(" someone@example.org")


def test_workers_share_counts_through_the_database(session: Session) -> None:
    """Two throttles, as in two gunicorn workers, on one database: one count."""
    one, two = (
        SignInThrottle(
            per_account=2, per_address=3, window_minutes=15, session_factory=lambda: session
        )
        for _ in range(2)
    )
    assert not one.uses_redis
    one.failed(email="shared@test.example", address="1.1.1.1")
    two.failed(email="shared@test.example", address="1.1.1.1")
    one.failed(email="shared@test.example", address="1.1.1.1")
    assert two.failures(email="shared@test.example") == 3
    # The third failure from 1.1.1.1 was counted by the other worker: both block the address.
    for throttle in (one, two):
        refusal = throttle.refusal(email="else@test.example", address="1.1.1.1")
        assert refusal is not None and refusal.blocked_address
        waiting = throttle.refusal(email="shared@test.example", address="2.2.2.2")
        assert waiting is not None and waiting.retry_after_seconds == 2
    one.succeeded(email="shared@test.example")
    assert two.refusal(email="shared@test.example", address="2.2.2.2") is None


def test_counting_a_failure_does_not_move_the_data_version(session: Session) -> None:
    throttle = SignInThrottle(
        per_account=2, per_address=3, window_minutes=15, session_factory=lambda: session
    )
    before = data_version(session)
    throttle.failed(email="someone@test.example", address="1.1.1.1")
    assert data_version(session) == before


@pytest.fixture
def redis_url() -> Iterator[str]:
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")
    yield REDIS_TEST_URL


def test_workers_share_counts_through_redis(redis_url: str, session: Session) -> None:
    prefix = f"coordapp-test-{uuid.uuid4().hex}"
    one, two = (
        SignInThrottle(
            per_account=2,
            per_address=100,
            window_minutes=15,
            storage_uri=redis_url,
            key_prefix=prefix,
            session_factory=lambda: session,
        )
        for _ in range(2)
    )
    assert one.uses_redis
    try:
        for _ in range(2):
            one.failed(email="shared@test.example", address="1.1.1.1")
        two.failed(email="shared@test.example", address="2.2.2.2")
        # The third failure was counted by another process: both make the next try wait.
        assert two.refusal(email="shared@test.example", address="3.3.3.3") is not None
        assert one.refusal(email="shared@test.example", address="3.3.3.3") is not None
        one.succeeded(email="shared@test.example")
        assert two.refusal(email="shared@test.example", address="3.3.3.3") is None
    finally:
        one.reset()
    client = redis.Redis.from_url(redis_url)
    assert list(client.scan_iter(match=f"{prefix}*")) == []


def test_redis_configured_from_redis_url(app: Flask, redis_url: str) -> None:
    throttle = SignInThrottle.from_config(
        {
            "SIGN_IN_LIMIT_PER_ACCOUNT": 5,
            "SIGN_IN_LIMIT_PER_ADDRESS": 20,
            "SIGN_IN_LIMIT_WINDOW_MINUTES": 15,
            "REDIS_URL": redis_url,
        }
    )
    assert throttle.uses_redis


def test_an_unreachable_redis_falls_back_to_the_database(session: Session) -> None:
    limiter = SignInThrottle(
        per_account=100,
        per_address=2,
        window_minutes=15,
        storage_uri="redis://127.0.0.1:1/0",
        session_factory=lambda: session,
    )
    assert limiter.uses_redis
    assert limiter.refusal(email="b@x.example", address="1.2.3.4") is None
    limiter.failed(email="b@x.example", address="1.2.3.4")
    limiter.failed(email="b@x.example", address="1.2.3.4")
    assert limiter.refusal(email="b@x.example", address="1.2.3.4") is not None
