"""Every dashboard of the navbar's menu, in real Chromium, as the demo viewer: it draws its
charts from the app's own bundles, every callback answers (a failed one logs a console error),
and nothing is requested off localhost. One screenshot per dashboard.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import Shots

pytestmark = pytest.mark.browser


def test_every_dashboard_draws_offline(
    server: str, open_page: Callable[..., Any], shots: Shots
) -> None:
    from playwright.sync_api import expect

    page = open_page("viewer")
    menu = page.locator("nav .dropdown-menu a[href^='/dashboards/']")
    paths = [str(href) for href in menu.evaluate_all("els => els.map(e => e.getAttribute('href'))")]
    pages = [p for p in dict.fromkeys(paths) if p.rstrip("/") != "/dashboards"]
    assert len(pages) >= 7, paths
    for path in pages:
        page.goto(server + path)
        charts = page.locator(".js-plotly-plot")
        expect(charts.first).to_be_attached(timeout=30_000)
        page.wait_for_load_state("networkidle")
        drawn = page.locator(".js-plotly-plot .main-svg")
        assert drawn.count() >= charts.count(), f"{path}: {charts.count()} charts, not all drawn"
        expect(page.locator("h1").first).not_to_be_empty()
        shots(page, re.sub(r"^/dashboards/", "", path) or "index", full_page=False)
