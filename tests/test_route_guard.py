"""Every route of the app, found in its URL map, refuses anonymous users (new routes included)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import Rule
from werkzeug.routing.converters import NumberConverter

PUBLIC = {
    "auth.sign_in",
    "auth.set_password",
    "static",
    "bootstrap.static",
    "main.health",
    "main.calendar_feed",  # a calendar app's; its secret is the credential (tests/main)
}


def _example_url(rule: Rule) -> str:
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name]  # type: ignore[attr-defined]
        values[name] = 1 if isinstance(converter, NumberConverter) else "x"
    return rule.build(values, append_unknown=False)[1]  # type: ignore[index]


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC:
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            routes.append((rule.endpoint, method, _example_url(rule)))
    return routes


def test_the_app_has_routes_to_check(app: Flask) -> None:
    assert len(_routes(app)) > 10


def test_every_non_public_route_needs_sign_in(app: Flask, client: FlaskClient) -> None:
    failures = []
    for endpoint, method, url in _routes(app):
        response = client.open(url, method=method)
        signed_out = response.status_code == 401 or (
            response.status_code == 302 and "/auth/sign-in" in (response.location or "")
        )
        if not signed_out:
            failures.append(f"{method} {url} ({endpoint}) -> {response.status_code}")
    assert failures == []


@pytest.mark.parametrize("path", ["/static/css/coordapp.css", "/auth/sign-in", "/health"])
def test_public_paths_stay_public(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 200
