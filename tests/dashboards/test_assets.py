"""Everything the map needs is served by the app, compressed and cacheable."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from flask.testing import FlaskClient


def test_world_topojson_is_served_where_plotly_looks(client: FlaskClient) -> None:
    response = client.get("/static/vendor/topojson/world_110m.json")  # public, like all static
    assert response.status_code == 200
    world = json.loads(response.get_data())
    assert "countries" in world["objects"]


def test_plotly_js_is_served_locally_compressed_and_cacheable(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    client = signed_in("viewer")
    html = client.get("/dashboards/map").get_data(as_text=True)
    scripts = re.findall(r'src="([^"]+)"', html)
    assert all(s.startswith("/") for s in scripts), scripts
    layout = client.get("/dashboards/_dash-layout").get_data(as_text=True)
    assert "cdn" not in layout.lower()
    deps = client.get("/dashboards/_dash-dependencies").get_json()
    assert deps
    # The Plotly bundle (requested by dcc.Graph) comes from the app, compressed, cacheable.
    path = "/dashboards/_dash-component-suites/plotly/package_data/plotly.min.js"
    raw = client.get(path)
    assert raw.status_code == 200 and raw.headers.get("Content-Encoding") is None
    compressed = client.get(path, headers={"Accept-Encoding": "br, gzip"})
    assert compressed.headers["Content-Encoding"] == "br"
    assert len(compressed.get_data()) < len(raw.get_data()) / 3
    assert "Accept-Encoding" in compressed.headers["Vary"]
    assert "max-age" in compressed.headers["Cache-Control"] and compressed.headers["ETag"]
    again = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert again.headers["Content-Encoding"] == "gzip"
