"""Sign-in rate limits: per account and per client address, over HTTP and in the service;
in-process by default, shared through Redis when REDIS_URL is set. The window is moved by
replacing the clock, never by sleeping."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from types import SimpleNamespace

import limits.storage.memory
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from coordapp.auth import throttle as throttle_module
from coordapp.auth.throttle import SignInThrottle, get_throttle
from coordapp.auth.views import GENERIC_FAILURE
from tests.conftest import PASSWORD

REDIS_TEST_URL = "redis://127.0.0.1:6379/1"


def attempt(client: FlaskClient, email: str, password: str, address: str = "10.0.0.1") -> object:
    return client.post(
        "/auth/sign-in",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def test_defaults(app: Flask) -> None:
    assert app.config["SIGN_IN_LIMIT_PER_ACCOUNT"] == 5
    assert app.config["SIGN_IN_LIMIT_PER_ADDRESS"] == 20
    assert app.config["SIGN_IN_LIMIT_WINDOW_MINUTES"] == 15


def test_an_account_is_paused_after_five_failures_even_for_the_right_password(
    client: FlaskClient, users: dict[str, str]
) -> None:
    for n in range(5):
        response = attempt(client, users["manager"], f"wrong-password-{n}", address=f"10.0.1.{n}")
        assert response.status_code == 401  # type: ignore[attr-defined]
    refused = attempt(client, users["manager"], PASSWORD, address="10.0.2.1")
    assert refused.status_code == 429  # type: ignore[attr-defined]
    text = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Too many failed sign-ins" in text and "try again in 15 minutes" in text
    assert 800 < int(refused.headers["Retry-After"]) <= 900  # type: ignore[attr-defined]
    assert 'name="password"' in text  # the sign-in page itself, with the explanation
    assert client.get("/").status_code == 302  # not signed in
    # Another account is not affected.
    assert attempt(client, users["viewer"], PASSWORD, address="10.0.2.1").status_code == 302  # type: ignore[attr-defined]


@pytest.fixture
def small_limits(app: Flask) -> Iterator[SignInThrottle]:
    """Limits of 2 per account and 4 per address within a minute, for this test."""
    original = get_throttle(app)
    small = SignInThrottle(per_account=2, per_address=4, window_minutes=1)
    app.extensions[throttle_module.EXTENSION_KEY] = small
    yield small
    app.extensions[throttle_module.EXTENSION_KEY] = original


def test_an_address_is_paused_after_its_failures_across_accounts(
    client: FlaskClient, users: dict[str, str], small_limits: SignInThrottle
) -> None:
    for role in ("admin", "manager"):
        for _ in range(2):
            response = attempt(client, users[role], "wrong-password", "10.9.9.9")
            assert response.status_code == 401  # type: ignore[attr-defined]
    refused = attempt(client, users["viewer"], PASSWORD, "10.9.9.9")
    assert refused.status_code == 429  # type: ignore[attr-defined]
    assert "try again in 1 minute," in refused.get_data(as_text=True)  # type: ignore[attr-defined]
    # The same account from another address signs in.
    assert attempt(client, users["viewer"], PASSWORD, "10.9.9.10").status_code == 302  # type: ignore[attr-defined]


def test_unknown_accounts_are_paused_the_same_way(
    client: FlaskClient, users: dict[str, str]
) -> None:
    for n in range(5):
        attempt(client, "nobody@test.example", "wrong-password", address=f"10.0.3.{n}")
    assert attempt(client, "nobody@test.example", "x", "10.0.4.1").status_code == 429  # type: ignore[attr-defined]


def test_a_successful_sign_in_clears_the_accounts_count(
    client: FlaskClient, users: dict[str, str]
) -> None:
    for _ in range(4):
        attempt(client, users["admin"], "wrong-password")
    assert attempt(client, users["admin"], PASSWORD).status_code == 302  # type: ignore[attr-defined]
    client.post("/auth/sign-out")
    for n in range(4):
        response = attempt(client, users["admin"], "wrong-password", address=f"10.0.5.{n}")
        assert response.status_code == 401  # type: ignore[attr-defined]
        assert GENERIC_FAILURE.encode() in response.data.replace(b"&#39;", b"'")  # type: ignore[attr-defined]


class Clock:
    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def time(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    namespace = SimpleNamespace(time=fake.time)
    monkeypatch.setattr(limits.storage.memory, "time", namespace)
    monkeypatch.setattr(throttle_module, "time", namespace)
    return fake


def test_the_pause_ends_when_the_window_moves_on(clock: Clock) -> None:
    limiter = SignInThrottle(per_account=3, per_address=100, window_minutes=15)
    for _ in range(3):
        assert limiter.refusal(email="a@x.example", address="1.2.3.4") is None
        limiter.failed(email="a@x.example", address="1.2.3.4")
        clock.now += 60
    refusal = limiter.refusal(email="A@X.example ", address="5.6.7.8")  # same account
    assert refusal is not None and refusal.retry_after_seconds == 15 * 60 - 3 * 60
    clock.now += 13 * 60  # the first failure has left the window
    assert limiter.refusal(email="a@x.example", address="1.2.3.4") is None


def test_keys_hold_no_email_address() -> None:
    key = throttle_module._account_key("Someone@Example.org")
    assert "someone" not in key.lower() and "example" not in key
    assert key == throttle_module._account_key(" someone@example.org")


@pytest.fixture
def redis_url() -> Iterator[str]:
    try:
        redis.Redis.from_url(REDIS_TEST_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")
    yield REDIS_TEST_URL


def test_workers_share_counts_through_redis(redis_url: str) -> None:
    prefix = f"coordapp-test-{uuid.uuid4().hex}"
    one, two = (
        SignInThrottle(
            per_account=3,
            per_address=100,
            window_minutes=15,
            storage_uri=redis_url,
            key_prefix=prefix,
        )
        for _ in range(2)
    )
    assert one.uses_redis
    try:
        for _ in range(2):
            one.failed(email="shared@test.example", address="1.1.1.1")
        two.failed(email="shared@test.example", address="2.2.2.2")
        # The third failure was counted by another process: both refuse now.
        assert two.refusal(email="shared@test.example", address="3.3.3.3") is not None
        assert one.refusal(email="shared@test.example", address="3.3.3.3") is not None
        one.succeeded(email="shared@test.example")
        assert two.refusal(email="shared@test.example", address="3.3.3.3") is None
    finally:
        one.reset()
    client = redis.Redis.from_url(redis_url)
    assert list(client.scan_iter(match=f"{prefix}*")) == []


def test_redis_configured_from_redis_url(tmp_path: object, redis_url: str) -> None:
    throttle = SignInThrottle.from_config(
        {
            "SIGN_IN_LIMIT_PER_ACCOUNT": 5,
            "SIGN_IN_LIMIT_PER_ADDRESS": 20,
            "SIGN_IN_LIMIT_WINDOW_MINUTES": 15,
            "REDIS_URL": redis_url,
        }
    )
    assert throttle.uses_redis


def test_an_unreachable_redis_falls_back_to_counting_in_process() -> None:
    limiter = SignInThrottle(
        per_account=2, per_address=100, window_minutes=15, storage_uri="redis://127.0.0.1:1/0"
    )
    assert limiter.uses_redis
    assert limiter.refusal(email="b@x.example", address="1.2.3.4") is None
    limiter.failed(email="b@x.example", address="1.2.3.4")
    limiter.failed(email="b@x.example", address="1.2.3.4")
    assert limiter.refusal(email="b@x.example", address="1.2.3.4") is not None
