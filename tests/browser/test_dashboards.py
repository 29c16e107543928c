"""Every dashboard of the navbar's menu, in real Chromium, as the demo viewer: it draws its
charts from the app's own bundles, every callback answers (a failed one logs a console error),
nothing is requested off localhost, and every filter control is named by its visible label
(a dropdown named only by its current value does not count). One screenshot per dashboard.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from dashboards.plotly_bundle import plotly_bundle
from tests.browser.conftest import Shots

pytestmark = pytest.mark.browser
FULL_PLOTLY = "/plotly/package_data/plotly"  # Dash serves the plotly package's full bundle here
# Controls whose name does not come from a <label> (or aria-label): a Dash dropdown is named by
# its value unless coordapp/static/js/dash-labels.js adds the column's label in front.
UNLABELLED_CONTROLS = """() => {
  const labelled = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    if ([...(el.labels || [])].some(label => label.textContent.trim())) return true;
    return (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .map(id => document.getElementById(id))
      .some(ref => ref && ref.tagName === 'LABEL' && ref.textContent.trim());
  };
  const selector = 'input:not([type=hidden]):not([aria-hidden=true]), select, textarea, '
                 + 'button.dash-dropdown, [role=slider]';
  return [...document.querySelectorAll(selector)]
    .filter(el => el.getClientRects().length && !el.closest('.modebar, .js-plotly-plot'))
    .filter(el => !labelled(el))
    .map(el => el.outerHTML.slice(0, 120));
}"""


def test_every_dashboard_draws_offline(
    server: str, open_page: Callable[..., Any], shots: Shots
) -> None:
    from playwright.sync_api import expect

    page = open_page("viewer")
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    menu = page.locator("nav .dropdown-menu a[href^='/dashboards/']")
    paths = [str(href) for href in menu.evaluate_all("els => els.map(e => e.getAttribute('href'))")]
    pages = [p for p in dict.fromkeys(paths) if p.rstrip("/") != "/dashboards"]
    assert len(pages) >= 7, paths
    unlabelled: dict[str, list[str]] = {}
    for path in pages:
        page.goto(server + path)
        charts = page.locator(".js-plotly-plot")
        expect(charts.first).to_be_attached(timeout=30_000)
        # Every chart drawn: each plot holds its SVG once its callback has answered.
        page.wait_for_function(
            """() => { const plots = [...document.querySelectorAll('.js-plotly-plot')];
                       return plots.every(p => p.querySelector('.main-svg'))
                         && !document.querySelector('[data-dash-is-loading="true"]'); }""",
            timeout=30_000,
        )
        expect(page.locator("h1").first).not_to_be_empty()
        if unnamed := page.evaluate(UNLABELLED_CONTROLS):
            unlabelled[path] = unnamed
        shots(page, re.sub(r"^/dashboards/", "", path) or "index", full_page=False)
    assert not unlabelled, f"dashboard controls without a label: {unlabelled}"
    # Drawn by the partial plotly.js the app serves; Plotly's full 4.8 MB bundle never loaded.
    bundle = plotly_bundle()
    assert server + bundle.url in requested
    assert not [url for url in requested if FULL_PLOTLY in url]
    drawn_with = page.evaluate("[Plotly.version, Object.keys(Plotly.PlotSchema.get().traces)]")
    assert drawn_with[0] == bundle.plotly_js_version
    assert set(drawn_with[1]) == bundle.trace_types


def test_map_year_typed_and_entered_applies_and_play_shows_its_icon(
    server: str, open_page: Callable[..., Any], shots: Shots
) -> None:
    from playwright.sync_api import expect

    page = open_page("viewer")
    page.goto(server + "/dashboards/map")
    note = page.locator("#map-note")
    expect(note).to_contain_text("Coverage on", timeout=30_000)
    year_box = page.locator("input.dash-range-slider-input").first
    year_box.fill("2005")
    year_box.press("Enter")  # no click elsewhere: Enter alone applies the year
    expect(note).to_contain_text("Coverage on 2005-12-31", timeout=15_000)
    expect(year_box).to_be_focused()  # the keyboard user stays where they were
    # The address (for a bookmark or a link) follows in its own callback, a moment later.
    expect(page).to_have_url(re.compile(r"[?&]year=2005\b"), timeout=15_000)
    # The play button's icon comes from the Bootstrap Icons font the app serves.
    icon = page.locator("#map-play i.bi")
    expect(icon).to_have_class(re.compile(r"\bbi-play-fill\b"))
    family = icon.evaluate("el => getComputedStyle(el, '::before').fontFamily")
    assert "bootstrap-icons" in family
    assert page.evaluate("document.fonts.check('16px bootstrap-icons')")
    page.locator("#map-play").click()
    expect(page.locator("#map-play")).to_contain_text("Pause")
    expect(page.locator("#map-play i.bi")).to_have_class(re.compile(r"\bbi-pause-fill\b"))
    shots(page, "map-playing")
    page.locator("#map-play").click()
    expect(page.locator("#map-play")).to_contain_text("Play")


@pytest.mark.parametrize(
    ("path", "graph"),
    [("/dashboards/map", "#map-graph"), ("/dashboards/overview", "#overview-growth")],
)
def test_the_camera_button_saves_the_chart_as_png(
    server: str, open_page: Callable[..., Any], path: str, graph: str
) -> None:
    """Plotly's "Download plot as a png" draws the chart's SVG into a canvas: it needs the
    partial bundle's image export and the CSP's blob: images."""
    page = open_page("viewer")
    page.goto(server + path)
    chart = page.locator(f"{graph} .js-plotly-plot")
    page.wait_for_function(
        "(sel) => document.querySelector(sel + ' .main-svg')", arg=graph, timeout=30_000
    )
    chart.hover()
    with page.expect_download(timeout=30_000) as download_info:
        chart.locator(".modebar-btn[data-title='Download plot as a PNG']").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".png")
    data = open(download.path(), "rb").read()  # noqa: SIM115  (read once)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
