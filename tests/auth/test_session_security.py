"""The session: its cookie's flags per environment, the idle timeout, deactivation at once.

Time is moved by rewriting the session's last-seen mark, never by sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp import create_app
from coordapp.auth import service
from coordapp.auth.views import LAST_SEEN_KEY
from coordapp.config import ConfigError
from tests.conftest import PASSWORD

InApp = Callable[[], AbstractContextManager[Session]]
SignedIn = Callable[[str], FlaskClient]

# Production refuses SQLite; these tests never reach the database.
UNREACHABLE_PG = "postgresql+psycopg://coordapp@127.0.0.1:1/never"


def _session_cookie_header(response: object) -> str:
    headers = response.headers.getlist("Set-Cookie")  # type: ignore[attr-defined]
    cookies = [h for h in headers if h.startswith("session=")]
    assert cookies, headers
    return str(cookies[-1])


# --- cookie flags ----------------------------------------------------------------------------


def test_session_cookie_is_httponly_and_samesite_lax(client: FlaskClient) -> None:
    response = client.post(
        "/auth/sign-in", data={"email": "nobody@test.example", "password": "wrong-password"}
    )
    cookie = _session_cookie_header(response)  # the flashed message makes a session
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # The suite talks plain HTTP (as the browser tests' local server does): a Secure cookie
    # would never be sent back, so testing behaves like development here.
    assert "Secure" not in cookie


@pytest.fixture
def production_app(tmp_path: Path) -> Iterator[Flask]:
    yield create_app(
        {
            "COORDAPP_ENV": "production",
            "SECRET_KEY": "p" * 40,
            "DATABASE_URL": UNREACHABLE_PG,
        }
    )


def test_production_cookies_are_secure(production_app: Flask) -> None:
    config = production_app.config
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["REMEMBER_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] and config["REMEMBER_COOKIE_HTTPONLY"]
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax" == config["REMEMBER_COOKIE_SAMESITE"]
    with production_app.test_request_context("/", base_url="https://coordapp.example"):
        from flask import make_response, session

        session["x"] = 1
        response = make_response("")
        production_app.session_interface.save_session(production_app, session, response)
    cookie = _session_cookie_header(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_development_cookies_are_not_secure(tmp_path: Path) -> None:
    app = create_app(
        {
            "COORDAPP_ENV": "development",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'd.sqlite3'}",
            # Without one, development keeps a key in the checkout's instance/ (`make run`'s).
            "SECRET_KEY": "d" * 40,
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is False


# --- idle timeout ------------------------------------------------------------------------------


def _idle(client: FlaskClient, minutes: float) -> None:
    with client.session_transaction() as flask_session:
        assert LAST_SEEN_KEY in flask_session, "signing in marks the session as seen"
        flask_session[LAST_SEEN_KEY] = int(time.time() - minutes * 60)


def test_idle_default_is_30_minutes(app: Flask) -> None:
    assert app.config["SESSION_IDLE_MINUTES"] == 30


def test_a_user_idle_too_long_is_signed_out_with_a_message(signed_in: SignedIn) -> None:
    client = signed_in("manager")
    assert client.get("/organizations/").status_code == 200
    _idle(client, 31)
    response = client.get("/organizations/?q=x")
    assert response.status_code == 302
    assert response.location == "/auth/sign-in?next=/organizations/?q%3Dx"
    page = client.get(response.location)
    assert page.status_code == 200
    assert "signed out after 30 minutes without activity" in page.get_data(as_text=True)
    # Signed out for good: not just this one request.
    assert client.get("/").status_code == 302
    assert client.get("/dashboards/_dash-layout").status_code == 401


def test_activity_keeps_the_session_alive(signed_in: SignedIn) -> None:
    client = signed_in("viewer")
    _idle(client, 29)
    assert client.get("/").status_code == 200
    with client.session_transaction() as flask_session:
        assert time.time() - flask_session[LAST_SEEN_KEY] < 5  # the request renewed it
    assert client.get("/").status_code == 200


def test_an_idle_dash_callback_gets_a_json_401(signed_in: SignedIn) -> None:
    client = signed_in("viewer")
    _idle(client, 45)
    response = client.get("/dashboards/_dash-layout")
    assert response.status_code == 401
    assert response.is_json and "without activity" in response.json["message"]  # type: ignore[index]


def test_the_idle_limit_is_configurable(
    app: Flask, signed_in: SignedIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SESSION_IDLE_MINUTES", 5)
    client = signed_in("viewer")
    _idle(client, 4)
    assert client.get("/").status_code == 200
    _idle(client, 6)
    assert client.get("/").status_code == 302


def test_an_idle_session_cannot_skip_the_sign_in_page(signed_in: SignedIn) -> None:
    """The sign-in page redirects a signed-in user home; an idle one is signed out instead."""
    client = signed_in("viewer")
    _idle(client, 31)
    response = client.get("/auth/sign-in")
    assert response.status_code == 302 and response.location.startswith("/auth/sign-in")
    assert client.get("/auth/sign-in").status_code == 200


@pytest.mark.parametrize("value", ["0", "-3", "soon"])
def test_a_bad_idle_setting_is_refused_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("SESSION_IDLE_MINUTES", value)
    with pytest.raises(ConfigError, match="SESSION_IDLE_MINUTES"):
        create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})


def test_the_idle_setting_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SESSION_IDLE_MINUTES", "12")
    app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["SESSION_IDLE_MINUTES"] == 12


# --- deactivation --------------------------------------------------------------------------------


def test_deactivation_ends_pages_dash_and_remember_me_at_the_next_request(
    client: FlaskClient, users: dict[str, str], in_app: InApp
) -> None:
    response = client.post(
        "/auth/sign-in", data={"email": users["manager"], "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    assert client.get("/dashboards/_dash-layout").status_code == 200
    with in_app() as s:
        service.deactivate_user(s, user=service.get_required_by_email(s, users["manager"]))
    assert client.get("/dashboards/_dash-layout").status_code == 401
    assert client.get("/organizations/").status_code == 302
    # Even with the session cookie gone, the remember-me cookie does not bring them back.
    with client.session_transaction() as flask_session:
        flask_session.clear()
    assert client.get("/organizations/").status_code == 302
