"""Dashboard test helpers: a clean report cache per test, and a way to call a Dash callback
the way the browser does (a same-origin POST to /dashboards/_dash-update-component)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from dash._utils import split_callback_id
from flask.testing import FlaskClient

UPDATE_URL = "/dashboards/_dash-update-component"
SAME_ORIGIN = {"Origin": "http://localhost"}


def filter_id(name: str) -> dict[str, str]:
    return {"type": "filter", "name": name}


def prop(component: Any, prop_name: str, value: Any) -> dict[str, Any]:
    return {"id": component, "property": prop_name, "value": value}


def prop_id(component: Any, prop_name: str) -> str:
    key = (
        json.dumps(component, sort_keys=True, separators=(",", ":"))
        if isinstance(component, dict)
        else component
    )
    return f"{key}.{prop_name}"


# The outputs of the coverage map's play / pause callback.
PLAY_OUTPUT = (
    '..{"name":"year","type":"filter"}.value...map-interval.disabled...map-play.children'
    "...map-play-clicks.data.."
)


def call(
    client: FlaskClient,
    output: str,
    inputs: Sequence[Any],
    state: Sequence[Any] = (),
    *,
    outputs: Any = None,
    changed: Sequence[str] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST one callback; returns the Flask response."""
    if changed is None:
        changed = [prop_id(i["id"], i["property"]) for i in inputs if isinstance(i, dict)][:1]
    if outputs is None:
        outputs = split_callback_id(output)
        for spec in outputs if isinstance(outputs, list) else [outputs]:
            if spec["id"].startswith("{"):
                spec["id"] = json.loads(spec["id"])
    body = {
        "output": output,
        "outputs": outputs,
        "inputs": list(inputs),
        "state": list(state),
        "changedPropIds": list(changed),
    }
    return client.post(UPDATE_URL, json=body, headers=SAME_ORIGIN if headers is None else headers)


def result(response: Any) -> dict[str, dict[str, Any]]:
    """{component id: {property: value}} of a successful callback response."""
    assert response.status_code == 200, response.data[:500]
    return response.get_json()["response"]


def texts(component: Any) -> str:
    """All the text in a serialised Dash component tree."""
    if component is None:
        return ""
    if isinstance(component, str | int | float):
        return str(component)
    if isinstance(component, list):
        return " ".join(texts(c) for c in component)
    if isinstance(component, dict):
        return texts(component.get("props", {}).get("children"))
    return ""
