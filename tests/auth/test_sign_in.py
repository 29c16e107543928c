"""Sign-in, sign-out, roles and the guard in front of every page."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import service
from coordapp.auth.views import GENERIC_FAILURE, is_safe_next
from tests.conftest import PASSWORD, sign_in

InApp = Callable[[], AbstractContextManager[Session]]


def test_sign_in_page_is_public(client: FlaskClient) -> None:
    response = client.get("/auth/sign-in")
    assert response.status_code == 200
    assert b'name="password"' in response.data


@pytest.mark.parametrize(
    ("email", "password"),
    [("nobody@test.example", PASSWORD), ("manager@test.example", "wrong-password")],
    ids=["unknown-email", "wrong-password"],
)
def test_failed_sign_in_says_the_same_thing_either_way(
    client: FlaskClient, users: dict[str, str], email: str, password: str
) -> None:
    response = sign_in(client, email, password)
    assert response.status_code == 401
    assert GENERIC_FAILURE.encode() in response.data.replace(b"&#39;", b"'")
    assert client.get("/").status_code == 302


def test_sign_in_with_email_in_other_case_works(client: FlaskClient, users: dict[str, str]) -> None:
    assert sign_in(client, "  MANAGER@Test.Example ").status_code == 302


def test_inactive_user_cannot_sign_in(
    client: FlaskClient, users: dict[str, str], in_app: InApp
) -> None:
    with in_app() as s:
        service.set_active(s, user=service.get_required_by_email(s, users["viewer"]), active=False)
    response = sign_in(client, users["viewer"])
    assert response.status_code == 401
    assert GENERIC_FAILURE.encode() in response.data.replace(b"&#39;", b"'")


def test_deactivation_ends_an_open_session_at_once(
    signed_in: Callable[[str], FlaskClient], users: dict[str, str], in_app: InApp
) -> None:
    client = signed_in("manager")
    assert client.get("/").status_code == 200
    with in_app() as s:
        service.set_active(s, user=service.get_required_by_email(s, users["manager"]), active=False)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("target", "safe"),
    [
        ("/dashboards/", True),
        ("/?a=1", True),
        ("//evil.example/", False),
        ("/\\evil.example", False),
        ("https://evil.example/", False),
        ("javascript:alert(1)", False),
        ("", False),
        (None, False),
    ],
)
def test_next_redirect_is_only_to_local_paths(target: str | None, safe: bool) -> None:
    assert is_safe_next(target) is safe


def test_next_is_followed_after_sign_in(client: FlaskClient, users: dict[str, str]) -> None:
    response = client.get("/dashboards/")
    assert response.status_code == 302
    assert "/auth/sign-in?next=/dashboards/" in response.location
    response = client.post(
        "/auth/sign-in?next=/dashboards/", data={"email": users["viewer"], "password": PASSWORD}
    )
    assert response.location == "/dashboards/"


def test_login_address_leads_to_sign_in_then_home(
    client: FlaskClient, users: dict[str, str]
) -> None:
    response = client.get("/login")
    assert response.status_code == 302
    assert response.location == "/auth/sign-in"  # no ?next=/login: after signing in, home
    response = sign_in(client, users["viewer"], PASSWORD)
    assert response.location == "/"
    assert client.get("/login").location == "/"  # signed in already: straight home


def test_offsite_next_is_ignored(client: FlaskClient, users: dict[str, str]) -> None:
    response = client.post(
        "/auth/sign-in?next=//evil.example/x", data={"email": users["viewer"], "password": PASSWORD}
    )
    assert response.location == "/"


def test_sign_out_needs_post_and_ends_the_session(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    client = signed_in("viewer")
    assert client.get("/auth/sign-out").status_code == 405
    assert client.post("/auth/sign-out").status_code == 302
    assert client.get("/").status_code == 302


def test_forms_refuse_a_missing_csrf_token(
    app: Flask, client: FlaskClient, users: dict[str, str]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = sign_in(client, users["admin"])
        assert response.status_code == 400
        assert b"CSRF" in response.data
        page = client.get("/auth/sign-in").data.decode()
        token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
        response = client.post(
            "/auth/sign-in",
            data={"email": users["admin"], "password": PASSWORD, "csrf_token": token},
        )
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


PAGES = ["/", "/dashboards/", "/partnerships/"]
DASH_ENDPOINTS = [
    ("GET", "/dashboards/_dash-layout"),
    ("GET", "/dashboards/_dash-dependencies"),
    ("POST", "/dashboards/_dash-update-component"),
]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_pages_redirect_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert response.location.startswith("/auth/sign-in?next=")


@pytest.mark.parametrize(("method", "path"), DASH_ENDPOINTS)
def test_anonymous_dash_endpoints_answer_json_401(
    client: FlaskClient, method: str, path: str
) -> None:
    response = client.open(path, method=method, json={})
    assert response.status_code == 401
    assert response.json is not None and response.json["status"] == 401


@pytest.mark.parametrize("role", ["admin", "manager", "viewer"])
@pytest.mark.parametrize("path", PAGES)
def test_every_role_reads_every_page(
    signed_in: Callable[[str], FlaskClient], role: str, path: str
) -> None:
    assert signed_in(role).get(path).status_code == 200


@pytest.mark.parametrize("role", ["admin", "manager", "viewer"])
def test_signed_in_users_get_the_dash_layout(
    signed_in: Callable[[str], FlaskClient], role: str
) -> None:
    response = signed_in(role).get("/dashboards/_dash-layout")
    assert response.status_code == 200
    assert response.is_json


def test_dash_callbacks_from_another_site_are_refused(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    client = signed_in("viewer")
    response = client.post(
        "/dashboards/_dash-update-component",
        json={},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403


def test_admin_menu_only_for_admins(signed_in: Callable[[str], FlaskClient]) -> None:
    assert b"Audit log" not in signed_in("manager").get("/").data


def test_static_assets_are_public_and_local(client: FlaskClient) -> None:
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200
    assert client.get("/static/css/coordapp.css").status_code == 200
    assert client.get("/auth/sign-in").data.count(b"https://") == 0
