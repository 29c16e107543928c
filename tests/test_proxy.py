"""The client's address: from X-Forwarded-For only when FORWARDED_ALLOW_IPS trusts the proxy
that sent the request; otherwise the connection's, whatever the headers say."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from coordapp.auth import throttle as throttle_module
from coordapp.auth.throttle import SignInThrottle, get_throttle
from coordapp.config import ConfigError
from coordapp.proxy import TrustedProxyFix, init_proxy, parse_trusted
from tests.conftest import PASSWORD

PROXY = "127.0.0.1"


@pytest.fixture
def three_failures_per_address(app: Flask) -> Iterator[None]:
    original = get_throttle(app)
    app.extensions[throttle_module.EXTENSION_KEY] = SignInThrottle(
        per_account=100, per_address=3, window_minutes=15
    )
    yield
    app.extensions[throttle_module.EXTENSION_KEY] = original


@pytest.fixture
def behind_trusted_proxy(app: Flask) -> Iterator[None]:
    """The app as configured with FORWARDED_ALLOW_IPS=127.0.0.1 (restored afterwards)."""
    original_app, original_setting = app.wsgi_app, app.config["FORWARDED_ALLOW_IPS"]
    app.config["FORWARDED_ALLOW_IPS"] = f"{PROXY}, 10.20.0.0/16"
    init_proxy(app)
    yield
    app.wsgi_app = original_app  # type: ignore[method-assign]
    app.config["FORWARDED_ALLOW_IPS"] = original_setting


def sign_in(client: FlaskClient, email: str, password: str, *, client_ip: str) -> int:
    response = client.post(
        "/auth/sign-in",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": PROXY},
        headers={"X-Forwarded-For": f"198.51.100.77, {client_ip}"},
    )
    return response.status_code


def test_default_trusts_no_proxy(app: Flask) -> None:
    assert app.config["FORWARDED_ALLOW_IPS"] == ""
    assert not isinstance(app.wsgi_app, TrustedProxyFix)


@pytest.mark.usefixtures("behind_trusted_proxy", "three_failures_per_address")
def test_behind_a_trusted_proxy_each_client_has_its_own_address(
    client: FlaskClient, users: dict[str, str]
) -> None:
    for _ in range(3):
        assert sign_in(client, users["admin"], "wrong", client_ip="203.0.113.5") == 401
    # The client that failed is blocked; another client behind the same proxy is not.
    assert sign_in(client, users["viewer"], PASSWORD, client_ip="203.0.113.5") == 429
    assert sign_in(client, users["viewer"], PASSWORD, client_ip="203.0.113.6") == 302


@pytest.mark.usefixtures("three_failures_per_address")
def test_without_the_setting_a_forged_header_is_ignored(
    client: FlaskClient, users: dict[str, str]
) -> None:
    # A new forged address on each try does not escape the limit of the real address.
    for n in range(3):
        assert sign_in(client, users["admin"], "wrong", client_ip=f"203.0.113.{n}") == 401
    assert sign_in(client, users["viewer"], PASSWORD, client_ip="203.0.113.99") == 429


@pytest.mark.usefixtures("behind_trusted_proxy", "three_failures_per_address")
def test_an_untrusted_sender_cannot_forge_its_address(
    client: FlaskClient, users: dict[str, str]
) -> None:
    for n in range(3):
        response = client.post(
            "/auth/sign-in",
            data={"email": users["admin"], "password": "wrong"},
            environ_base={"REMOTE_ADDR": "192.0.2.10"},  # not a trusted proxy
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
        assert response.status_code == 401
    response = client.post(
        "/auth/sign-in",
        data={"email": users["viewer"], "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.10"},
        headers={"X-Forwarded-For": "203.0.113.200"},
    )
    assert response.status_code == 429


def test_the_setting_is_parsed_and_checked() -> None:
    assert parse_trusted("") == (False, ())
    trust_any, networks = parse_trusted("*")
    assert trust_any and networks == ()
    _, networks = parse_trusted(" 127.0.0.1 , 10.0.0.0/8,::1")
    assert [str(n) for n in networks] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    with pytest.raises(ConfigError, match="FORWARDED_ALLOW_IPS"):
        parse_trusted("proxy.example")


def test_trusted_networks_match_addresses() -> None:
    middleware = TrustedProxyFix(
        lambda e, s: [], trust_any=False, networks=parse_trusted("10.20.0.0/16")[1]
    )
    assert middleware.trusts("10.20.3.4")
    assert not middleware.trusts("10.21.0.1")
    assert not middleware.trusts("not an address")
    assert not middleware.trusts(None)
