"""The Dash app is mounted under /dashboards/ with the Flask navbar and only local assets."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask.testing import FlaskClient


def test_dash_index_has_the_navbar_and_loads_nothing_from_elsewhere(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    client = signed_in("viewer")
    html = client.get("/dashboards/").data.decode()
    assert 'aria-label="Main"' in html and "Sign out" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets, "no assets found"
    assert all(a.startswith(("/", "#")) for a in assets), [a for a in assets if "//" in a]
    for asset in assets:
        if asset.endswith((".js", ".css")) or "_dash-component-suites" in asset:
            assert client.get(asset).status_code == 200, asset
