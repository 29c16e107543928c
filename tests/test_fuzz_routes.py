"""Hostile values into every route and every Dash callback: no answer is a server error.

The routes and callbacks are found, not listed: every rule of the app's ``url_map`` gets huge,
negative, NUL and very long values in its variables and in its query string; every callback of
the Dash app gets malformed bodies and hostile values for each of its inputs and states.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from dash._utils import split_callback_id
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.routing import IntegerConverter

from coordapp.auth import service as auth
from coordapp.auth import tokens
from coordapp.inputs import RecordIdConverter
from tests.dashboards.conftest import SAME_ORIGIN, UPDATE_URL

PATH_VALUES = ["99999999999", "2147483648", str(2**64), "0", "-1", "\x00", "a\x00b", "x" * 3000]
QUERY_VALUES = [
    "\x00",
    "-1",
    "99999999999",
    str(10**40),
    "1e309",
    "x" * 5000,
    "[]",
    "';--",
    "\u00b2",  # a digit to str.isdigit(), not to int()
]
# Every query parameter a page or the API reads, and a few that none reads.
QUERY_NAMES = [
    "q",
    "page",
    "per_page",
    "sort",
    "archived",
    "format",
    "funder",
    "year",
    "from",
    "to",
    "on",
    "status",
    "kind",
    "type",
    "region",
    "country",
    "currency",
    "rates",
    "organization",
    "hotline",
    "pillar",
    "metric",
    "by",
    "next",
    "stale",
    "action",
    "funder_id",
    "commitment_id",
    "organization_id",
    "hotline_id",
    "pillar_id",
]
# Routes that would end the session under test or start a real action without arguments
# (their forms are fuzzed by tests/faults/test_fuzz_forms.py).
NOT_FUZZED = {"auth.sign_out", "reference.reseed", "imports.check", "imports.apply"}


@pytest.fixture
def admin_client(
    signed_in: Callable[[str], FlaskClient],
    in_app: Callable[[], AbstractContextManager[Session]],
    users: dict[str, str],
) -> FlaskClient:
    client = signed_in("admin")
    with in_app() as s:
        user = auth.get_required_by_email(s, users["admin"])
        _token, plaintext = tokens.create_token(s, user=user, name="fuzz")
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {plaintext}"
    return client


def _path(rule: Any, value: str) -> str:
    path = rule.rule
    for name in rule.arguments:
        converter = rule._converters[name]
        token = next(
            part for part in path.split("<")[1:] if part.split(">")[0].split(":")[-1] == name
        ).split(">")[0]
        filled = quote(value, safe="") if not isinstance(converter, IntegerConverter) else value
        path = path.replace(f"<{token}>", quote(filled, safe="%"))
    return path


def _method(rule: Any) -> str:
    methods = (rule.methods or set()) - {"HEAD", "OPTIONS"}
    return "GET" if "GET" in methods else sorted(methods)[0]


def test_every_record_id_in_a_url_goes_through_the_id_converter(app: Flask) -> None:
    plain = [
        f"{rule.rule} ({name})"
        for rule in app.url_map.iter_rules()
        for name, converter in rule._converters.items()
        if name.endswith("_id")
        and isinstance(converter, IntegerConverter)
        and not isinstance(converter, RecordIdConverter)
    ]
    assert plain == []


def test_hostile_path_and_query_values_never_cause_a_server_error(
    app: Flask, admin_client: FlaskClient
) -> None:
    failures = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_FUZZED or rule.endpoint == "static":
            continue
        method = _method(rule)
        urls = [_path(rule, v) for v in PATH_VALUES] if rule.arguments else []
        if method == "GET":
            base = _path(rule, "1")
            urls += [f"{base}?{urlencode(dict.fromkeys(QUERY_NAMES, v))}" for v in QUERY_VALUES]
        for url in urls:
            status = admin_client.open(url, method=method, data={"x": "\x00"}).status_code
            if status >= 500:
                failures.append(f"{method} {url[:120]} -> {status}")
    assert failures == []


# ---------------------------------------------------------------------------------------------
# Dash callbacks
# ---------------------------------------------------------------------------------------------

HOSTILE_VALUES: list[Any] = [
    None,
    "\x00",
    "x" * 5000,
    -1,
    10**20,
    1e308,
    [],
    {},
    ["x", None],
    {"points": "x"},
    {"points": [{"customdata": {"a": 1}}]},
    True,
    "2026-13-45",
    "';--",
]


def _concrete(registered_id: str) -> Any:
    """A registered id as the browser sends it: pattern ids (ALL / MATCH) as a dict with a
    concrete key."""
    if not registered_id.startswith("{"):
        return registered_id
    parts = json.loads(registered_id)
    return {k: ("year" if isinstance(v, list) else v) for k, v in parts.items()}


def _dependency(registered: dict[str, str], value: Any) -> Any:
    item = {"id": _concrete(registered["id"]), "property": registered["property"], "value": value}
    return [item] if '["ALL"]' in registered["id"] else item


def _outputs(output: str) -> Any:
    specs = split_callback_id(output)
    for spec in specs if isinstance(specs, list) else [specs]:
        spec["id"] = _concrete(spec["id"])
    return specs


def _body(output: str, callback: dict[str, Any], value: Any) -> dict[str, Any]:
    inputs = [_dependency(i, value) for i in callback["inputs"]]
    changed = []
    for registered in callback["inputs"][:1]:
        concrete = _concrete(registered["id"])
        key = json.dumps(concrete, sort_keys=True, separators=(",", ":"))
        changed.append(
            f"{key if isinstance(concrete, dict) else concrete}.{registered['property']}"
        )
    return {
        "output": output,
        "outputs": _outputs(output),
        "inputs": inputs,
        "state": [_dependency(s, value) for s in callback.get("state") or []],
        "changedPropIds": changed,
    }


def _malformed(output: str, callback: dict[str, Any]) -> list[Any]:
    good = _body(output, callback, None)
    return [
        {k: v for k, v in good.items() if k != "inputs"},
        {k: v for k, v in good.items() if k != "outputs"},
        {**good, "inputs": "x"},
        {**good, "inputs": [*good["inputs"], good["inputs"][0]]},
        {**good, "inputs": [{"value": 1}] * len(good["inputs"])},
        {**good, "state": {}},
        {**good, "outputs": 3},
        {**good, "outputs": [good["outputs"]] * 7},
        {**good, "output": output + "x"},
        {**good, "changedPropIds": [1]},
    ]


def test_every_dash_callback_refuses_malformed_bodies_and_survives_hostile_values(
    app: Flask, admin_client: FlaskClient
) -> None:
    dash_app = app.extensions["coordapp_dash"]
    failures = []
    for output, callback in dash_app.callback_map.items():
        for body in [_body(output, callback, v) for v in HOSTILE_VALUES]:
            response = admin_client.post(UPDATE_URL, json=body, headers=SAME_ORIGIN)
            if response.status_code >= 500:
                failures.append(f"{output[:60]} {json.dumps(body)[:160]} -> {response.status_code}")
        # The well-formed body the fuzzing starts from is taken (the checks refuse no real
        # request): whatever the callback answers, it is not "malformed".
        response = admin_client.post(
            UPDATE_URL, json=_body(output, callback, None), headers=SAME_ORIGIN
        )
        if "Malformed" in response.get_data(as_text=True):
            failures.append(f"{output[:60]} well-formed body refused")
        for body in _malformed(output, callback):
            response = admin_client.post(UPDATE_URL, json=body, headers=SAME_ORIGIN)
            if response.status_code != 400:
                failures.append(f"{output[:60]} malformed {json.dumps(body)[:160]} accepted")
    assert failures == []
