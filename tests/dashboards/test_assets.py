"""Everything the map needs is served by the app, compressed and cacheable."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient
from plotly.offline import get_plotlyjs_version

from dashboards import STYLESHEETS
from dashboards.plotly_bundle import plotly_bundle

DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"
ICONS_CSS = next(sheet for sheet in STYLESHEETS if "bootstrap-icons" in sheet)


def test_world_topojson_is_served_where_plotly_looks(client: FlaskClient) -> None:
    response = client.get("/static/vendor/topojson/world_110m.json")  # public, like all static
    assert response.status_code == 200
    world = json.loads(response.get_data())
    assert "countries" in world["objects"]


def test_pages_load_the_partial_plotly_bundle_before_dashs_own(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    client = signed_in("viewer")
    html = client.get("/dashboards/map").get_data(as_text=True)
    scripts = re.findall(r'src="([^"]+)"', html)
    assert all(s.startswith("/") for s in scripts), scripts
    layout = client.get("/dashboards/_dash-layout").get_data(as_text=True)
    assert "cdn" not in layout.lower()
    # The loader of the partial bundle runs before Dash's components load (after React, their
    # dependencies) and sets window.Plotly, so dcc.Graph never asks for the full bundle.
    loader = re.search(r'<script src="([^"]+)" data-plotly="([^"]+)"', html)
    assert loader and loader.group(2) == plotly_bundle().url
    components = [
        i
        for i, src in enumerate(scripts)
        if "_dash-component-suites/" in src and "/deps/" not in src
    ]
    assert scripts.index(loader.group(1)) < min(components)
    assert client.get(loader.group(1)).status_code == 200
    assert not any("package_data/plotly" in src for src in scripts)


def test_partial_plotly_bundle_is_served_compressed_and_cacheable(client: FlaskClient) -> None:
    url = plotly_bundle().url  # a static file: public, like the world shapes
    raw = client.get(url)
    assert raw.status_code == 200 and raw.headers.get("Content-Encoding") is None
    assert raw.mimetype == "text/javascript"
    compressed = client.get(url, headers={"Accept-Encoding": "br, gzip"})
    assert compressed.headers["Content-Encoding"] == "br"
    assert len(compressed.get_data()) < len(raw.get_data()) / 3
    assert "Accept-Encoding" in compressed.headers["Vary"]
    cache_control = compressed.headers["Cache-Control"]
    assert "public" in cache_control and "max-age=3600" in cache_control
    again = client.get(
        url, headers={"Accept-Encoding": "br", "If-None-Match": compressed.headers["ETag"]}
    )
    assert again.status_code == 304 and again.get_data() == b""


def test_partial_plotly_bundle_is_the_plotly_packages_version_with_the_listed_traces() -> None:
    """Figures are built by the plotly package for its plotly.js version; the bundle must be the
    same version (rebuild it with build.sh after upgrading plotly) and hold the listed traces."""
    bundle = plotly_bundle()
    assert bundle.plotly_js_version == get_plotlyjs_version()
    header = bundle.path.read_text(encoding="utf-8")[:300]
    named = re.search(r"plotly\.js \(partial: ([a-z, ]+) - minified\) v(\S+)", header)
    assert named, header
    assert set(named.group(1).split(", ")) == bundle.trace_types
    assert named.group(2) == bundle.plotly_js_version
    assert (bundle.path.parent / "LICENSE.txt").read_text().startswith("MIT License")


def test_every_icon_the_dashboards_show_is_in_the_served_icon_subset(client: FlaskClient) -> None:
    used = set()
    for source in DASHBOARDS.glob("*.py"):
        used |= set(re.findall(r"\bbi-[a-z0-9-]+", source.read_text(encoding="utf-8")))
    assert used  # the map's Play / Pause at least
    css = client.get(ICONS_CSS)
    assert css.status_code == 200
    defined = set(re.findall(r"\.(bi-[a-z0-9-]+)::before", css.get_data(as_text=True)))
    assert used <= defined, f"rebuild coordapp/static/vendor/bootstrap-icons: {used - defined}"
    font = re.search(r'url\("([^"?]+)', css.get_data(as_text=True))
    assert font
    woff2 = client.get(ICONS_CSS.rsplit("/", 1)[0] + "/" + font.group(1))
    assert woff2.status_code == 200 and woff2.mimetype == "font/woff2"
    assert woff2.get_data()[:4] == b"wOF2"
