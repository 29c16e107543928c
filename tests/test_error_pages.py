"""Error responses: an HTML page for people, the same JSON shape for the API and Dash, for 400,
403, 404, 409, 413, 429 and 500; never a stack trace, an exception's text or SQL."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, abort, request
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.exceptions import TooManyRequests
from werkzeug.test import TestResponse

from coordapp import create_app
from coordapp.auth import service as auth
from coordapp.auth import tokens
from coordapp.errors import PLAIN_WORDS, Conflict
from coordapp.extensions import db
from tests.conftest import PASSWORD

InApp = Callable[[], AbstractContextManager[Session]]
SignedIn = Callable[[str], FlaskClient]
SECRET_SQL = "SELECT password_hash FROM users WHERE email = 'x'"
LEAKS = ("Traceback", "SELECT", "password_hash", "RuntimeError", "OperationalError", 'File "')

# Production refuses SQLite; these tests never reach the database.
UNREACHABLE_PG = "postgresql+psycopg://coordapp@127.0.0.1:1/never"


def assert_html_page(response: TestResponse, status: int) -> str:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "text/html"
    text = response.get_data(as_text=True)
    title = PLAIN_WORDS[status][0]
    assert f"<title>{status} {title} · coordapp</title>" in text
    assert "Go to the home page" in text
    for leak in LEAKS:
        assert leak not in text
    return text


def assert_json_error(response: TestResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.is_json
    body: dict[str, Any] = response.get_json()
    assert body["status"] == status and body["error"] and body["message"]
    for leak in LEAKS:
        assert leak not in response.get_data(as_text=True)
    return body


# --- the running app's own routes ----------------------------------------------------------


def test_400_page_when_a_form_expired(
    app: Flask, client: FlaskClient, users: dict[str, str]
) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post(
            "/auth/sign-in", data={"email": users["viewer"], "password": PASSWORD}
        )
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert_html_page(response, 400)


def test_400_json_for_a_bad_api_body(
    client: FlaskClient, in_app: InApp, users: dict[str, str]
) -> None:
    with in_app() as s:
        manager = auth.get_required_by_email(s, users["manager"])
        _token, plaintext = tokens.create_token(s, user=manager, name="errors")
    response = client.post(
        "/api/v1/partnerships", data="not json", headers={"Authorization": f"Bearer {plaintext}"}
    )
    assert_json_error(response, 400)


def test_403_page_and_json(
    signed_in: SignedIn, client: FlaskClient, in_app: InApp, users: dict[str, str]
) -> None:
    text = assert_html_page(signed_in("viewer").get("/auth/users/"), 403)
    assert PLAIN_WORDS[403][1] in text
    with in_app() as s:
        viewer = auth.get_required_by_email(s, users["viewer"])
        _token, plaintext = tokens.create_token(s, user=viewer, name="errors")
    response = client.post(
        "/api/v1/partnerships", json={}, headers={"Authorization": f"Bearer {plaintext}"}
    )
    assert_json_error(response, 403)


def test_404_page_and_json(signed_in: SignedIn) -> None:
    client = signed_in("viewer")
    text = assert_html_page(client.get("/no-such-page"), 404)
    assert PLAIN_WORDS[404][1] in text
    assert_html_page(client.get("/organizations/987654"), 404)
    assert_json_error(client.get("/api/v1/no-such-thing"), 404)
    assert_json_error(client.get("/no-such-page", headers={"Accept": "application/json"}), 404)


# --- a separate app with routes that fail on purpose ----------------------------------------


@pytest.fixture(scope="module")
def failing_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path: Path = tmp_path_factory.mktemp("errors") / "errors.sqlite3"
    app = create_app(
        {"COORDAPP_ENV": "testing", "DATABASE_URL": f"sqlite:///{path}", "MAX_CONTENT_LENGTH": 1000}
    )

    def fail_plainly() -> Any:
        raise RuntimeError(SECRET_SQL)

    def fail_in_sql() -> Any:
        db.session.execute(sa.text("SELECT password_hash FROM no_such_table"))
        return "unreachable"

    def conflict() -> Any:
        raise Conflict("Someone else saved this organization first.")

    def too_many() -> Any:
        raise TooManyRequests(retry_after=120)

    def bad_request() -> Any:
        request.form.get("email")  # reading the body is where an oversized one is refused
        abort(400)

    for rule, view in (
        ("/test/boom", fail_plainly),
        ("/test/sql", fail_in_sql),
        ("/test/conflict", conflict),
        ("/test/too-many", too_many),
        ("/test/bad", bad_request),
    ):
        app.add_url_rule(rule, view.__name__, view, methods=["GET", "POST"])
        # The API prefix: no session sign-in (the API's own token check is on its blueprint).
        app.add_url_rule("/api/v1" + rule, "api_" + view.__name__, view, methods=["GET", "POST"])
    with app.app_context():
        db.create_all()
        auth.create_user(
            db.session(), email="e@test.example", full_name="E", role="viewer", password=PASSWORD
        )
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def failing_client(failing_app: Flask) -> FlaskClient:
    client = failing_app.test_client()
    response = client.post("/auth/sign-in", data={"email": "e@test.example", "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.mark.parametrize("path", ["/test/boom", "/test/sql"])
def test_500_page_says_nothing_of_the_error(failing_client: FlaskClient, path: str) -> None:
    text = assert_html_page(failing_client.get(path), 500)
    assert PLAIN_WORDS[500][1] in text
    assert "no_such_table" not in text


@pytest.mark.parametrize("path", ["/api/v1/test/boom", "/api/v1/test/sql"])
def test_500_json_says_nothing_of_the_error(failing_client: FlaskClient, path: str) -> None:
    body = assert_json_error(failing_client.get(path), 500)
    assert body["message"] == PLAIN_WORDS[500][1]


def test_the_error_is_logged_in_full(
    failing_client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    failing_client.get("/test/boom")
    assert SECRET_SQL in caplog.text and "Traceback" in caplog.text


def test_500_page_survives_a_failing_template(
    failing_client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("template broke")

    monkeypatch.setattr("coordapp.errors.render_template", broken)
    response = failing_client.get("/test/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "500 Internal Server Error" in text and "template broke" not in text


def test_409_page_and_json(failing_client: FlaskClient) -> None:
    text = assert_html_page(failing_client.get("/test/conflict"), 409)
    assert "Someone else saved this organization first." in text
    assert_json_error(failing_client.get("/api/v1/test/conflict"), 409)


def test_413_page_and_json(failing_client: FlaskClient) -> None:
    big = {"email": "x" * 2000}
    text = assert_html_page(failing_client.post("/test/bad", data=big), 413)
    assert "files up to 10 MB" in text
    assert_json_error(failing_client.post("/api/v1/test/bad", data=big), 413)


def test_429_page_and_json_with_retry_after(failing_client: FlaskClient) -> None:
    response = failing_client.get("/test/too-many")
    text = assert_html_page(response, 429)
    assert PLAIN_WORDS[429][1] in text
    assert response.headers["Retry-After"] == "120"
    api = failing_client.get("/api/v1/test/too-many")
    assert_json_error(api, 429)
    assert api.headers["Retry-After"] == "120"


def test_400_in_plain_words_not_werkzeugs(failing_client: FlaskClient) -> None:
    text = assert_html_page(failing_client.get("/test/bad"), 400)
    assert PLAIN_WORDS[400][1] in text
    assert_json_error(failing_client.get("/api/v1/test/bad"), 400)


def test_production_hides_errors_too(tmp_path: Path) -> None:
    app = create_app(
        {
            "COORDAPP_ENV": "production",
            "SECRET_KEY": "s" * 40,
            "DATABASE_URL": UNREACHABLE_PG,
        }
    )

    def fail() -> Any:
        raise RuntimeError(SECRET_SQL)

    app.add_url_rule("/api/v1/test/boom", "boom", fail)
    assert not app.debug and not app.testing
    assert_json_error(app.test_client().get("/api/v1/test/boom"), 500)
