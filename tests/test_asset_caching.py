"""Static files and Dash bundles: compressed, cacheable, and revalidated with a 304."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient

TOPOJSON = "/static/vendor/topojson/world_110m.json"


def test_static_files_are_kept_an_hour_then_revalidated_by_etag(client: FlaskClient) -> None:
    first = client.get(TOPOJSON, headers={"Accept-Encoding": "br"})
    assert first.status_code == 200
    assert first.headers["Content-Encoding"] == "br"
    cache_control = first.headers["Cache-Control"]
    assert "public" in cache_control and "max-age=3600" in cache_control
    assert "no-cache" not in cache_control
    etag = first.headers["ETag"]
    assert etag.endswith(':br"')

    again = client.get(TOPOJSON, headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    changed = client.get(TOPOJSON, headers={"Accept-Encoding": "br", "If-None-Match": '"other"'})
    assert changed.status_code == 200
    assert "max-age=3600" in client.head(TOPOJSON).headers["Cache-Control"]


def test_bootstrap_files_are_cacheable_too(client: FlaskClient) -> None:
    response = client.get("/bootstrap/static/css/bootstrap.min.css")
    assert response.status_code == 200
    assert "max-age=3600" in response.headers["Cache-Control"]


def test_fingerprinted_dash_bundles_are_immutable_for_a_year(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    client = signed_in("viewer")
    html = client.get("/dashboards/map").get_data(as_text=True)
    bundles = [
        src
        for src in re.findall(r'src="([^"]+)"', html)
        if src.startswith("/dashboards/_dash-component-suites/")
    ]
    assert bundles
    for src in bundles:
        response = client.get(src, headers={"Accept-Encoding": "br, gzip"})
        assert response.status_code == 200, src
        cache_control = response.headers["Cache-Control"]
        assert "max-age=31536000" in cache_control, src
        assert "public" in cache_control and "immutable" in cache_control, src
    largest = client.get(bundles[-1], headers={"Accept-Encoding": "br"})
    assert largest.headers["Content-Encoding"] == "br"


def test_plotlys_unfingerprinted_bundle_revalidates_despite_compression(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    client = signed_in("viewer")
    path = "/dashboards/_dash-component-suites/plotly/package_data/plotly.min.js"
    first = client.get(path, headers={"Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br"
    assert "max-age=3600" in first.headers["Cache-Control"]
    again = client.get(
        path, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.get_data() == b""


def test_pages_are_not_made_cacheable(signed_in: Callable[[str], FlaskClient]) -> None:
    response = signed_in("viewer").get("/")
    assert "max-age" not in response.headers.get("Cache-Control", "")
