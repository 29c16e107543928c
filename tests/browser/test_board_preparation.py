"""Leadership's board preparation from DESIGN.md, in real Chromium, as the demo viewer.

The coverage map drawn from the app's own topojson; the year slider taken back to 1999 (the eight
founding hotlines) and dragged to today (more countries, more shapes coloured); a country with no
hotline clicked to see where its expansion stands; the funding-by-pillar numbers downloaded as
CSV; the board pack and its XLSX. Every step leaves a PNG in the artifacts.

Uses the fixtures of tests/browser/conftest.py: the app on its own SQLite with the demo network,
pages watched for requests off localhost and console errors.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import Shots

pytestmark = pytest.mark.browser
FOUNDING_HOTLINES = 8
FOUNDING_COUNTRIES = 7  # AT BE DE FR GB IE NL (Germany had two founding hotlines)
PILLARS = {
    "Capacity Building",
    "Technology & Innovation",
    "Network Expansion",
    "Strategic Communications",
}
# Plotly binds each shape's data to its path: the ISO-3 code and the trace (the legend entry).
SHAPES_OF_TRACE = """(trace) => [...document.querySelectorAll('path.choroplethlocation')]
  .filter(p => { const cd = p.parentNode.__data__;
                 return cd && cd[0] && cd[0].trace && cd[0].trace.name === trace; })
  .map(p => p.__data__.loc)"""


def _kpi(page: Any, figure: str) -> int:
    return int(page.locator(f"#kpi-{figure}").inner_text().replace(",", ""))


def _wait_for_year(page: Any, year: int) -> None:
    from playwright.sync_api import expect

    as_of = f"{year}-12-31" if year < date.today().year else date.today().isoformat()
    expect(page.locator("#kpi-as-of")).to_have_text(as_of, timeout=20_000)


def _click_shape(page: Any, iso3: str) -> None:
    """Click a country's shape as a person does: move the mouse onto it, then click."""
    page.evaluate(
        """(iso3) => {
          const path = [...document.querySelectorAll('path.choroplethlocation')]
            .find(p => p.__data__ && p.__data__.loc === iso3);
          path.setAttribute('data-test', 'clicked');
        }""",
        iso3,
    )
    shape = page.locator("path[data-test=clicked]")
    shape.scroll_into_view_if_needed()
    box = shape.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x - 4, y - 4)
    page.mouse.move(x, y)
    page.mouse.click(x, y)


def _drag_slider_to(page: Any, fraction: float) -> None:
    handle = page.locator(".dash-slider-thumb").first
    rail = page.locator(".dash-slider-track").first
    start, track = handle.bounding_box(), rail.bounding_box()
    assert start is not None and track is not None
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    target_x = track["x"] + track["width"] * fraction
    page.mouse.move(target_x, start["y"] + start["height"] / 2, steps=12)
    page.mouse.up()


def test_leadership_prepares_the_board_meeting(
    server: str, open_page: Callable[..., Any], shots: Shots
) -> None:
    from playwright.sync_api import expect

    page = open_page("viewer")
    today = date.today()

    # 1. The coverage map today.
    page.goto(server + "/dashboards/map")
    shapes = page.locator("path.choroplethlocation")
    expect(shapes.nth(149)).to_be_attached(timeout=60_000)
    assert shapes.count() >= 150
    expect(page.locator("#kpi-countries_covered")).not_to_have_text("")
    _wait_for_year(page, today.year)
    covered_today = _kpi(page, "countries_covered")
    expect(page.locator("#map-headline")).to_contain_text("today")
    full_today = len(page.evaluate(SHAPES_OF_TRACE, "Full member"))
    shots(page, "coverage map today")

    # 2. Back to 1999 (keyboard on the slider's handle): the founders only.
    # Named by its visible label (coordapp/static/js/dash-labels.js), as a screen reader says it.
    slider = page.get_by_role("slider", name=re.compile(r"^Year \(coverage at year end"))
    slider.focus()
    slider.press("Home")
    _wait_for_year(page, 1999)
    assert "year=1999" in page.url
    assert _kpi(page, "member_hotlines") == FOUNDING_HOTLINES
    assert _kpi(page, "countries_covered") == FOUNDING_COUNTRIES
    full_1999 = page.evaluate(SHAPES_OF_TRACE, "Full member")
    assert sorted(full_1999) == ["AUT", "BEL", "DEU", "FRA", "GBR", "IRL", "NLD"]
    shots(page, "coverage map 1999 founders")

    # 3. Dragged to the middle of the range, then to today: the network grows.
    _drag_slider_to(page, 0.5)
    expect(page.locator("#kpi-as-of")).not_to_have_text("1999-12-31", timeout=20_000)
    middle_year = int(page.locator("#kpi-as-of").inner_text()[:4])
    assert 1999 < middle_year < today.year
    covered_middle = _kpi(page, "countries_covered")
    shots(page, f"coverage map {middle_year}")
    _drag_slider_to(page, 1.02)
    _wait_for_year(page, today.year)
    assert FOUNDING_COUNTRIES < covered_middle < covered_today
    assert _kpi(page, "countries_covered") == covered_today
    assert len(page.evaluate(SHAPES_OF_TRACE, "Full member")) == full_today > len(full_1999)
    shots(page, "coverage map dragged to today")

    # 4. A country with no hotline: India, in the expansion pipeline.
    assert "IND" in page.evaluate(SHAPES_OF_TRACE, "Expansion pipeline")
    _click_shape(page, "IND")
    panel = page.locator("#map-panel-card")
    expect(page.locator("#map-panel-title")).to_have_text("India", timeout=20_000)
    expect(panel).to_contain_text("No hotline accepts reports for this country.")
    expect(panel).to_contain_text("Stage: Stakeholder engagement")
    expect(panel).to_contain_text("Next step: Meet the national child rights commission")
    assert "country=IN" in page.url
    shots(page, "country panel india")

    # 5. The funding-by-pillar chart's numbers, as CSV.
    page.goto(server + "/dashboards/funding")
    card = page.locator(".card").filter(
        has=page.get_by_role("heading", name="Pledged by pillar (allocations)")
    )
    expect(card.locator("svg.main-svg").first).to_be_attached(timeout=30_000)
    shots(page, "funding dashboard")
    with page.expect_download(timeout=20_000) as download_info:
        card.get_by_role("button", name="CSV", exact=True).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    assert "pillars" in download.suggested_filename
    text = Path(download.path()).read_text(encoding="utf-8")
    stamp = [line for line in text.splitlines() if line.startswith("#")]
    assert any("Funding by pillar" in line for line in stamp), stamp
    table = list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))
    assert table[0] == ["year", "pillar", "pledged", "received"]
    rows = table[1:]
    assert rows, "the export has no rows"
    assert {row[1] for row in rows} == PILLARS
    years = {int(row[0]) for row in rows}
    assert today.year in years and len(years) >= 5
    for row in rows:
        float(row[2]), float(row[3])  # amounts, as numbers
    shots(page, "funding csv downloaded")

    # 6. The board pack, and its XLSX.
    page.goto(server + "/board-pack/")
    main = page.locator("main")
    expect(page.get_by_role("heading", name=f"Board pack {today.year - 1}")).to_be_visible()
    for section in ("Coverage", "Funding", "Trainings", "Pillar targets", "Pipeline"):
        expect(main.get_by_role("heading", name=section, exact=True)).to_be_visible()
    expect(main).to_contain_text("Technology & Innovation")
    expect(main).to_contain_text("India")
    shots(page, "board pack")
    with page.expect_download(timeout=20_000) as xlsx_info:
        page.get_by_role("link", name="Download XLSX").click()
    xlsx = xlsx_info.value
    assert xlsx.suggested_filename.endswith(".xlsx")
    with zipfile.ZipFile(io.BytesIO(Path(xlsx.path()).read_bytes())) as workbook:
        assert "xl/workbook.xml" in workbook.namelist()
