"""Nothing a signed-in user saw stays in a browser's or a proxy's cache: pages, exports, the
board pack, Dash layouts and callbacks and the API answer ``Cache-Control: no-store``; only
the app's static files and Dash's bundles stay cacheable."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.auth import tokens

SignedIn = Callable[[str], FlaskClient]
InApp = Callable[[], AbstractContextManager[Session]]

SIGNED_IN_URLS = [
    "/",
    "/organizations/",
    "/organizations/?format=csv",
    "/organizations/?format=xlsx",
    "/hotlines/?format=xlsx",
    "/board-pack/?year=2025",
    "/board-pack/?year=2025&format=xlsx",
    "/dashboards/map",
    "/dashboards/_dash-layout",
    "/dashboards/_dash-dependencies",
    "/auth/users/",
]


@pytest.mark.parametrize("url", SIGNED_IN_URLS)
def test_signed_in_pages_and_downloads_are_not_stored(signed_in: SignedIn, url: str) -> None:
    response = signed_in("admin").get(url)
    assert response.status_code == 200, url
    assert response.headers["Cache-Control"] == "no-store", url


def test_the_api_answers_are_not_stored(
    client: FlaskClient, users: dict[str, str], in_app: InApp
) -> None:
    with in_app() as s:
        user = auth.get_required_by_email(s, users["viewer"])
        _token, plaintext = tokens.create_token(s, user=user, name="script")
    response = client.get("/api/v1/organizations", headers={"Authorization": f"Bearer {plaintext}"})
    assert response.status_code == 200 and response.is_json
    assert response.headers["Cache-Control"] == "no-store"
    refused = client.get("/api/v1/organizations")
    assert refused.status_code == 401
    assert refused.headers["Cache-Control"] == "no-store"


def test_the_sign_in_page_with_its_csrf_token_is_not_stored(client: FlaskClient) -> None:
    response = client.get("/auth/sign-in")
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_and_dash_bundles_keep_their_caching(signed_in: SignedIn) -> None:
    client = signed_in("viewer")
    static = client.get("/static/vendor/topojson/world_110m.json")
    assert "max-age=3600" in static.headers["Cache-Control"]
    assert "no-store" not in static.headers["Cache-Control"]
    html = client.get("/dashboards/map").get_data(as_text=True)
    bundle = next(
        src
        for src in re.findall(r'src="([^"]+)"', html)
        if src.startswith("/dashboards/_dash-component-suites/")
    )
    cache_control = client.get(bundle).headers["Cache-Control"]
    assert "max-age" in cache_control and "no-store" not in cache_control
