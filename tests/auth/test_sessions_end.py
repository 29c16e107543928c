"""Sessions that really end: a copy of a session or remember-me cookie taken before a sign-out,
a password reset, a role change or a deactivation is refused afterwards; "Sign out everywhere"
ends the account's other browsers; signing in starts a new session with a new CSRF token.

Each cookie is replayed in a fresh client, as an attacker who copied it would.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import service
from tests.conftest import PASSWORD, sign_in

InApp = Callable[[], AbstractContextManager[Session]]
SESSION_COOKIE = "session"
REMEMBER_COOKIE = "remember_token"
PAGE = "/organizations/"


def _signed_in_remembered(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    response = client.post(
        "/auth/sign-in", data={"email": email, "password": PASSWORD, "remember": "y"}
    )
    assert response.status_code == 302
    assert client.get_cookie(REMEMBER_COOKIE) is not None
    return client


def _cookie(client: FlaskClient, name: str) -> str:
    cookie = client.get_cookie(name)
    assert cookie is not None, name
    return cookie.value


def _replay(app: Flask, **cookies: str) -> FlaskClient:
    """A new browser holding only the copied cookies."""
    browser = app.test_client()
    for name, value in cookies.items():
        browser.set_cookie(name, value)
    return browser


def _is_sent_to_sign_in(client: FlaskClient, path: str = PAGE) -> bool:
    response = client.get(path)
    return response.status_code == 302 and response.location.startswith("/auth/sign-in")


def _copies(app: Flask, email: str) -> tuple[FlaskClient, str, str]:
    """A signed-in browser, a copy of its session cookie and of its remember-me cookie, both
    shown to work before whatever the test does next."""
    client = _signed_in_remembered(app, email)
    saved_session = _cookie(client, SESSION_COOKIE)
    saved_remember = _cookie(client, REMEMBER_COOKIE)
    assert _replay(app, session=saved_session).get(PAGE).status_code == 200
    assert _replay(app, remember_token=saved_remember).get(PAGE).status_code == 200
    return client, saved_session, saved_remember


def _both_refused(app: Flask, saved_session: str, saved_remember: str) -> None:
    assert _is_sent_to_sign_in(_replay(app, session=saved_session))
    assert _is_sent_to_sign_in(_replay(app, remember_token=saved_remember))
    assert _is_sent_to_sign_in(_replay(app, session=saved_session, remember_token=saved_remember))


def test_a_cookie_saved_before_sign_out_is_refused_after_it(
    app: Flask, users: dict[str, str]
) -> None:
    client, saved_session, saved_remember = _copies(app, users["viewer"])
    assert client.post("/auth/sign-out").status_code == 302
    assert _is_sent_to_sign_in(client)
    _both_refused(app, saved_session, saved_remember)


def test_a_password_reset_by_an_admin_ends_the_old_sessions_and_remember_me(
    app: Flask, users: dict[str, str], in_app: InApp
) -> None:
    victim, saved_session, saved_remember = _copies(app, users["manager"])
    admin = app.test_client()
    sign_in(admin, users["admin"])
    with in_app() as s:
        target = service.get_required_by_email(s, users["manager"]).id
    response = admin.post(
        f"/auth/users/{target}/password", data={"password-password": "violet-anchor-meadow-42"}
    )
    assert response.status_code == 302
    assert _is_sent_to_sign_in(victim)
    _both_refused(app, saved_session, saved_remember)
    # The new password signs in as usual; the admin's own session is untouched.
    again = sign_in(app.test_client(), users["manager"], "violet-anchor-meadow-42")
    assert again.status_code == 302
    assert admin.get(PAGE).status_code == 200


def test_a_role_change_ends_the_sessions_opened_under_the_old_role(
    app: Flask, users: dict[str, str], in_app: InApp
) -> None:
    manager, saved_session, saved_remember = _copies(app, users["manager"])
    with in_app() as s:
        service.set_role(s, user=service.get_required_by_email(s, users["manager"]), role="viewer")
    assert _is_sent_to_sign_in(manager)
    _both_refused(app, saved_session, saved_remember)


def test_an_edit_that_keeps_the_role_keeps_the_sessions(
    app: Flask, users: dict[str, str], in_app: InApp
) -> None:
    viewer, _session, _remember = _copies(app, users["viewer"])
    admin = app.test_client()
    sign_in(admin, users["admin"])
    with in_app() as s:
        user = service.get_required_by_email(s, users["viewer"])
        target, version = user.id, user.version
    response = admin.post(
        f"/auth/users/{target}/edit",
        data={
            "email": users["viewer"],
            "full_name": "Renamed",
            "role": "viewer",
            "version": str(version),
        },
    )
    assert response.status_code == 302
    assert viewer.get(PAGE).status_code == 200


def test_deactivation_ends_saved_session_and_remember_me_cookies(
    app: Flask, users: dict[str, str], in_app: InApp
) -> None:
    _client, saved_session, saved_remember = _copies(app, users["manager"])
    with in_app() as s:
        service.deactivate_user(s, user=service.get_required_by_email(s, users["manager"]))
    _both_refused(app, saved_session, saved_remember)
    with in_app() as s:  # reactivated, the old cookies still don't come back
        service.reactivate_user(s, user=service.get_required_by_email(s, users["manager"]))
    _both_refused(app, saved_session, saved_remember)


def test_sign_out_everywhere_ends_another_browsers_session_and_remember_me(
    app: Flask, users: dict[str, str]
) -> None:
    laptop, _session, saved_remember = _copies(app, users["viewer"])
    phone = app.test_client()
    sign_in(phone, users["viewer"])
    assert phone.get(PAGE).status_code == 200
    page = laptop.get("/").get_data(as_text=True)
    assert 'action="/auth/sign-out-everywhere"' in page  # in the user menu
    assert laptop.get("/auth/sign-out-everywhere").status_code == 405  # a POST only
    response = laptop.post("/auth/sign-out-everywhere", follow_redirects=True)
    assert "signed out in every browser" in response.get_data(as_text=True)
    assert _is_sent_to_sign_in(phone)
    assert _is_sent_to_sign_in(laptop)
    assert _is_sent_to_sign_in(_replay(app, remember_token=saved_remember))


def test_sign_out_everywhere_needs_a_csrf_token(app: Flask, users: dict[str, str]) -> None:
    client = app.test_client()
    sign_in(client, users["viewer"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post("/auth/sign-out-everywhere").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert client.get(PAGE).status_code == 200  # nothing was ended


def test_another_users_sessions_are_untouched(app: Flask, users: dict[str, str]) -> None:
    viewer = app.test_client()
    sign_in(viewer, users["viewer"])
    manager = app.test_client()
    sign_in(manager, users["manager"])
    manager.post("/auth/sign-out-everywhere")
    assert viewer.get(PAGE).status_code == 200


def test_signing_in_starts_a_new_session_and_a_new_csrf_token(
    app: Flask, users: dict[str, str]
) -> None:
    client = app.test_client()
    assert client.get("/auth/sign-in").status_code == 200
    with client.session_transaction() as before:
        # What an attacker could have planted in a session before the victim signs in with it.
        before["planted"] = "by someone else"
        before["csrf_token"] = "0" * 40
    cookie_before = _cookie(client, SESSION_COOKIE)
    assert sign_in(client, users["viewer"]).status_code == 302
    assert _cookie(client, SESSION_COOKIE) != cookie_before
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after.get("csrf_token") not in (None, "0" * 40)
    assert _is_sent_to_sign_in(_replay(app, session=cookie_before))


def test_a_csrf_token_seen_before_sign_in_is_refused_after_it(
    app: Flask, users: dict[str, str]
) -> None:
    client = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = client.get("/auth/sign-in").get_data(as_text=True)
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(
            "/auth/sign-in",
            data={"email": users["viewer"], "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
        refused = client.post("/auth/sign-out", data={"csrf_token": token})
        assert refused.status_code == 400
        home = client.get("/").get_data(as_text=True)
        fresh = home.split('name="csrf_token" value="')[1].split('"')[0]
        assert client.post("/auth/sign-out", data={"csrf_token": fresh}).status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize("identity", ["1", "1:", ":1", "x:1", "1:x", "1:2:3", "9" * 50 + ":1"])
def test_a_malformed_identity_loads_nobody(session: Session, identity: str) -> None:
    assert service.user_for_session(session, identity) is None
