"""Security headers on every kind of response: a Flask page, a Dash page and its callbacks, a
static file, the JSON API, an error page, a redirect. (The browser suite checks that the pages
work under this policy: tests/browser/test_content_security_policy.py.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from coordapp import create_app
from coordapp.auth import service as auth
from coordapp.auth import tokens

SignedIn = Callable[[str], FlaskClient]
InApp = Callable[[], AbstractContextManager[Session]]

# Production refuses SQLite; these tests never reach the database.
UNREACHABLE_PG = "postgresql+psycopg://coordapp@127.0.0.1:1/never"


def directives(response: TestResponse) -> dict[str, list[str]]:
    policy = response.headers.get("Content-Security-Policy")
    assert policy, f"no Content-Security-Policy on {response.request.path}"
    parsed: dict[str, list[str]] = {}
    for part in policy.split(";"):
        name, *values = part.split()
        assert name not in parsed, f"{name} twice"
        parsed[name] = values
    return parsed


def assert_hardened(response: TestResponse, *, dash: bool = False) -> dict[str, list[str]]:
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    scripts = csp["script-src"]
    assert scripts[0] == "'self'"
    # Besides our origin only exact hashes: no inline code, no eval, no other host.
    assert all(v.startswith("'sha256-") for v in scripts[1:]), scripts
    assert csp["style-src"] == ["'self'"]
    assert csp["font-src"] == ["'self'"]
    assert csp["connect-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:", "blob:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    if dash:
        assert csp["style-src-elem"] == ["'self'", "'unsafe-inline'"]
        assert csp["style-src-attr"] == ["'unsafe-inline'"]
    else:
        assert "style-src-elem" not in csp and "style-src-attr" not in csp
    assert not any("*" in v or "http" in v for values in csp.values() for v in values)
    headers = response.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    permissions = headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in permissions
    return csp


def test_a_flask_page(signed_in: SignedIn) -> None:
    response = signed_in("viewer").get("/")
    assert response.status_code == 200
    assert_hardened(response)


def test_the_sign_in_page_and_a_redirect(client: FlaskClient) -> None:
    assert_hardened(client.get("/auth/sign-in"))
    redirect = client.get("/organizations/")
    assert redirect.status_code == 302
    assert_hardened(redirect)


def test_a_dash_page_allows_its_own_inline_script_by_hash(app: Flask, signed_in: SignedIn) -> None:
    client = signed_in("viewer")
    response = client.get("/dashboards/map")
    assert response.status_code == 200
    csp = assert_hardened(response, dash=True)
    # Dash's renderer is started by one inline script; its hash is in the policy.
    dash_app = app.extensions["coordapp_dash"]
    assert set(dash_app.csp_hashes()) <= set(csp["script-src"])
    html = response.get_data(as_text=True)
    assert dash_app.renderer in html


def test_dash_callbacks_and_layout(signed_in: SignedIn) -> None:
    client = signed_in("viewer")
    response = client.get("/dashboards/_dash-layout")
    assert response.status_code == 200
    assert_hardened(response, dash=True)


def test_a_static_file(client: FlaskClient) -> None:
    response = client.get("/static/js/coordapp.js")
    assert response.status_code == 200
    assert_hardened(response)
    response.close()


def test_a_json_api_response_and_its_401(
    client: FlaskClient, in_app: InApp, users: dict[str, str]
) -> None:
    anonymous = client.get("/api/v1/coverage")
    assert anonymous.status_code == 401
    assert_hardened(anonymous)
    with in_app() as s:
        user = auth.get_required_by_email(s, users["viewer"])
        _token, plaintext = tokens.create_token(s, user=user, name="headers")
    response = client.get("/api/v1/coverage", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 200 and response.is_json
    assert_hardened(response)


def test_error_pages(signed_in: SignedIn) -> None:
    client = signed_in("viewer")
    not_found = client.get("/no-such-page")
    assert not_found.status_code == 404
    assert_hardened(not_found)
    forbidden = client.get("/auth/users/")
    assert forbidden.status_code == 403
    assert_hardened(forbidden)


def test_strict_transport_security_only_in_production(tmp_path: Path) -> None:
    production = create_app(
        {
            "COORDAPP_ENV": "production",
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": UNREACHABLE_PG,
        }
    )
    response = production.test_client().get("/auth/sign-in")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert_hardened(response)


def test_no_strict_transport_security_in_testing(client: FlaskClient) -> None:
    assert "Strict-Transport-Security" not in client.get("/auth/sign-in").headers


TEMPLATES = Path(__file__).resolve().parents[1] / "coordapp" / "templates"


@pytest.mark.parametrize(
    "needle",
    ["<script>", "<style", " style=", " onclick=", " onsubmit=", " onchange=", "javascript:"],
)
def test_templates_hold_no_inline_code_or_styles(needle: str) -> None:
    """The CSP would block them: scripts and styles live in coordapp/static/. E-mails
    (templates/email/) are not pages: mail clients drop stylesheets, so their styles are inline
    there, and they hold no script (``test_e_mails_hold_no_script_and_load_nothing``)."""
    offenders = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        if needle in path.read_text().lower() and path.parent != TEMPLATES / "email"
    ]
    assert offenders == []


def test_e_mails_hold_no_script_and_load_nothing() -> None:
    """An e-mail loads nothing from anywhere (no stylesheet, script, image or font)."""
    needles = ("<script", "<link", "<img", "src=", "@import", "url(", "javascript:")
    emails = list((TEMPLATES / "email").glob("*.html"))
    assert emails
    offenders = [
        (str(path.relative_to(TEMPLATES)), needle)
        for path in emails
        for needle in needles
        if needle in path.read_text().lower()
    ]
    handlers = [p.name for p in emails if re.search(r"\son[a-z]+\s*=", p.read_text(), re.I)]
    assert offenders == [] and handlers == []
