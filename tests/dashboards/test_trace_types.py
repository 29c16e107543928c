"""The browser draws with a partial plotly.js: every figure a dashboard callback returns must use
only the trace types that bundle holds (a chart of another type would stay blank)."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from dashboards.plotly_bundle import plotly_bundle
from tests._demo import load_demo_cached
from tests.dashboards.conftest import call, result


def _figure_callbacks(app: Flask) -> dict[str, list[dict[str, Any]]]:
    """Every registered callback with a figure among its outputs -> its inputs, all None (each
    page then falls back to its default filters)."""
    dash_app = app.extensions["coordapp_dash"]
    callbacks = {}
    for output, spec in dash_app.callback_map.items():
        if ".figure" not in output:
            continue
        inputs = [
            {
                "id": json.loads(i["id"]) if i["id"].startswith("{") else i["id"],
                "property": i["property"],
                "value": None,
            }
            for i in spec["inputs"]
        ]
        callbacks[output] = inputs
    return callbacks


def _trace_types(body: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    return {
        component: {trace.get("type", "scatter") for trace in props["figure"].get("data", [])}
        for component, props in body.items()
        if "figure" in props
    }


def test_every_dashboard_figure_uses_only_trace_types_of_the_served_bundle(
    app: Flask,
    signed_in: Callable[[str], FlaskClient],
    in_app: Callable[[], AbstractContextManager[Session]],
) -> None:
    with in_app() as s:
        load_demo_cached(s, today=date(2026, 11, 26))
    client = signed_in("viewer")
    callbacks = _figure_callbacks(app)
    assert len(callbacks) >= 7, sorted(callbacks)  # one per dashboard page
    seen: dict[str, set[str]] = {}
    for output, inputs in callbacks.items():
        seen.update(_trace_types(result(call(client, output, inputs))))
    assert sum(len(types) for types in seen.values()) >= len(seen) > 15, seen
    bundled = plotly_bundle().trace_types
    outside = {graph: types - bundled for graph, types in seen.items() if types - bundled}
    assert not outside, f"trace types missing from the partial plotly.js bundle: {outside}"
    # The list is no longer than needed either: each bundled type is drawn somewhere.
    assert set().union(*seen.values()) == bundled
