"""A Dash callback request must name a registered callback and send its inputs in that
callback's shape; anything else is a 400 before Dash sees it (Dash itself would index into the
body and fail with a server error).

``access_key`` names what a callback's answer may depend on about its reader; the response
cache (``dashboards.responses``) keys every answer by it, and answers only after every
before-request check (sign-in, same origin, this guard) has let the request through.
"""

from __future__ import annotations

import json
from typing import Any

import dash
from dash._utils import split_callback_id
from flask import request
from flask_login import current_user
from werkzeug.exceptions import BadRequest

from coordapp import disclosure
from dashboards.layout import PREFIX as DASH_PREFIX

UPDATE_PATH = DASH_PREFIX + "_dash-update-component"


def _refuse(why: str) -> BadRequest:
    return BadRequest(f"Malformed dashboard request: {why}.")


def _is_pattern(registered_id: str) -> bool:
    return registered_id.startswith("{")


def _check_dependency(sent: Any, registered: dict[str, str], *, what: str) -> None:
    """One input / state entry: for a plain id exactly that id and property; for a pattern id
    (``ALL`` / ``MATCH``) a dict id, or a list of them for ``ALL``."""
    pattern = _is_pattern(registered["id"])
    items = sent if '["ALL"]' in registered["id"] and isinstance(sent, list) else [sent]
    for item in items:
        if not isinstance(item, dict) or item.get("property") != registered["property"]:
            raise _refuse(f"{what} does not match the callback")
        if pattern:
            if not isinstance(item.get("id"), dict):
                raise _refuse(f"{what} does not match the callback")
            expected_type = json.loads(registered["id"]).get("type")
            if item["id"].get("type") != expected_type:
                raise _refuse(f"{what} does not match the callback")
        elif item.get("id") != registered["id"]:
            raise _refuse(f"{what} does not match the callback")


def _check_outputs(sent: Any, output: str) -> None:
    """One entry per registered output, each naming that output (a list of them for ``ALL``)."""
    registered = split_callback_id(output)
    multi = isinstance(registered, list)
    specs = registered if multi else [registered]
    entries = sent if multi else [sent]
    if not isinstance(entries, list) or len(entries) != len(specs):
        raise _refuse("outputs do not match the callback")
    for entry, spec in zip(entries, specs, strict=True):
        _check_dependency(entry, spec, what="an output")


def check_callback_body(app: dash.Dash, body: Any) -> None:
    if not isinstance(body, dict):
        raise _refuse("send a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in app.callback_map:
        raise _refuse("no such callback")
    callback = app.callback_map[output]
    _check_outputs(body.get("outputs"), output)
    for key, what in (("inputs", "an input"), ("state", "a state")):
        sent = body.get(key, [])
        registered = callback.get(key) or []
        if not isinstance(sent, list) or len(sent) != len(registered):
            raise _refuse(f"{key} do not match the callback")
        for item, expected in zip(sent, registered, strict=True):
            _check_dependency(item, expected, what=what)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(p, str) for p in changed):
        raise _refuse("changedPropIds must be a list of texts")


def guard_callback_requests(app: dash.Dash) -> Any:
    """A before-request hook for the server: checks every callback request's body."""

    def _check() -> None:
        if request.method == "POST" and request.path == UPDATE_PATH:
            body = request.get_json(silent=True)
            check_callback_body(app, body)

    return _check


def access_key() -> tuple[Any, ...]:
    """What an answer may depend on about the signed-in reader: their role and whether they see
    small counts exactly. An access rule that makes answers differ by anything else (a scope
    such as a user's own hotline) must add it here, or one reader's cached answer would be
    served to another."""
    return (getattr(current_user, "role", None), disclosure.current_user_sees_exact())
