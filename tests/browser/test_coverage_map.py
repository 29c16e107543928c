"""The coverage map in real Chromium: shapes drawn from the app's own topojson, the slider
replays the past, a click opens the country panel, and no request leaves localhost.

Drives Debian's /usr/bin/chromium through Playwright (never a downloaded browser). Skipped
with a reason when Chromium is absent, except under CI=true, where that fails.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWER

pytestmark = pytest.mark.browser


def test_coverage_map_replays_the_past_and_opens_a_country(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.on(
                "request",
                lambda r: (
                    None
                    if r.url.startswith((server + "/", "data:", "blob:"))
                    else outside.append(r.url)
                ),
            )
            page.goto(server + "/auth/sign-in")
            page.fill("input[name=email]", VIEWER[0])
            page.fill("input[name=password]", VIEWER[1])
            page.click("[type=submit]")
            page.wait_for_url(server + "/")

            page.goto(server + "/dashboards/map")
            shapes = page.locator("path.choroplethlocation")
            expect(shapes.nth(149)).to_be_attached(timeout=60_000)
            assert shapes.count() >= 150
            covered = page.locator("#kpi-covered")
            expect(covered).not_to_have_text("")
            today_count = int(covered.inner_text())
            assert today_count > 0

            slider = page.get_by_role("slider").first
            slider.focus()
            slider.press("Home")
            expect(page.locator("#kpi-as-of")).to_have_text("1999-12-31", timeout=20_000)
            count_1999 = int(covered.inner_text())
            assert 0 < count_1999 < today_count
            assert "year=1999" in page.url

            # A full member's shape (Germany, a founding member, if the data has it), clicked
            # as a person does: Plotly binds each path's data (its ISO-3 code, its trace).
            code = page.evaluate(
                """() => {
                  const paths = [...document.querySelectorAll('path.choroplethlocation')]
                    .filter(p => {
                      const cd = p.parentNode.__data__;
                      return cd && cd[0] && cd[0].trace && cd[0].trace.name === 'Full member';
                    });
                  const chosen = paths.find(p => p.__data__.loc === 'DEU') || paths[0];
                  chosen.setAttribute('data-test', 'clicked');
                  return chosen.__data__.loc;
                }"""
            )
            shape = page.locator("path[data-test=clicked]")
            shape.scroll_into_view_if_needed()
            box = shape.bounding_box()
            assert box is not None
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x - 4, y - 4)
            page.mouse.move(x, y)
            page.mouse.click(x, y)
            title = page.locator("#map-panel-title")
            expect(title).to_be_visible(timeout=20_000)
            assert title.inner_text().strip()
            panel = page.locator("#map-panel-card")
            expect(panel).to_contain_text("Hotlines")
            expect(panel).to_contain_text("1999")
            assert "country=" in page.url and code

            # Plotly's own PNG export (the modebar's camera) works offline.
            page.locator("#map-graph").hover()
            with page.expect_download(timeout=20_000) as download:
                page.locator("#map-graph [data-title*='PNG' i]").first.click(force=True)
            assert download.value.suggested_filename.endswith(".png")

            # The numbers behind the map, as CSV stamped with the filters and the date.
            with page.expect_download(timeout=20_000) as csv_download:
                page.get_by_role("button", name="CSV", exact=True).first.click()
            csv_text = Path(csv_download.value.path()).read_text(encoding="utf-8")
            assert "# filters: ?year=1999" in csv_text and "# as of: 1999-12-31" in csv_text
            assert csv_download.value.suggested_filename.endswith(".csv")
        finally:
            browser.close()
    assert outside == [], f"requests left localhost: {outside}"
