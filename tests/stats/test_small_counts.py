"""Small hotline figures are hidden from viewers on every page that shows them, and in the
list's exports; managers see them exactly (coordapp.disclosure)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coordapp.stats import grid as stats_grid
from coordapp.stats import service
from tests.stats.helpers import A, F, P, R, member

InApp = Callable[[], AbstractContextManager[Session]]
TODAY = date.today()
YEAR = TODAY.year - 1


def arrange(in_app: InApp, values: dict[tuple[str, int], str]) -> tuple[int, dict[str, int]]:
    """A member hotline with ``values`` in YEAR; (hotline id, statistic id per 'code-q')."""
    with in_app() as s:
        hotline = member(s, name="Meldpunt Klein")
        stats_grid.save_quarter_grid(s, hotline=hotline, year=YEAR, values=values, today=TODAY)
        grid = stats_grid.quarter_grid(s, hotline=hotline, year=YEAR, today=TODAY)
        return hotline.id, {f"{c}-{q}": stat.id for (c, q), stat in grid.cells.items()}


def cells(html: str) -> list[str]:
    return [c.strip() for c in re.findall(r"<td[^>]*>\s*(?:<[^>]+>)*([^<]*)", html)]


def without_tokens(text: str) -> str:
    """The page without its random tokens (CSRF, nonces), where any digits could turn up."""
    return re.sub(r"[A-Za-z0-9+/=_-]{20,}", "", text)


SMALL = {(R, 1): "1200", (A, 1): "3", (F, 1): "2", (P, 1): "4.5", (R, 2): "900"}


def test_the_list_shows_small_counts_as_less_than_five_to_a_viewer(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    hotline_id, _ = arrange(in_app, SMALL)
    page = signed_in("viewer").get(f"/statistics/?hotline={hotline_id}").get_data(as_text=True)
    shown = cells(page)
    assert shown.count("&lt;5") == 2  # assessed 3 and forwarded 2
    assert "1,200" in shown and "900" in shown
    assert "4.50 %" in shown  # a percentage is not a count: never hidden
    assert "3" not in shown and "2" not in shown


def test_a_manager_sees_the_list_exactly(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    hotline_id, _ = arrange(in_app, SMALL)
    shown = cells(signed_in("manager").get(f"/statistics/?hotline={hotline_id}").get_data(True))
    assert "3" in shown and "2" in shown and "&lt;5" not in shown


@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_the_csv_export_hides_small_counts_below_manager(
    in_app: InApp, signed_in: Callable[[str], FlaskClient], role: str
) -> None:
    hotline_id, _ = arrange(in_app, SMALL)
    text = signed_in(role).get(f"/statistics/?hotline={hotline_id}&format=csv").get_data(True)
    rows = [r for r in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if r and r[0][:1] != "#"]
    values = {(r[2], r[3].split(" (")[0]): r[4] for r in rows[1:]}
    assessed = values[(f"{YEAR} Q1", "Content URLs assessed as illegal")]
    forwarded = values[(f"{YEAR} Q1", "Content URLs forwarded to law enforcement")]
    if role == "viewer":
        assert (assessed, forwarded) == ("<5", "<5")
        assert "# small counts,Counts from 1 to 4 are shown as <5" in text
    else:
        assert (assessed, forwarded) == ("3", "2")
        assert "small counts" not in text
    assert values[(f"{YEAR} Q1", "Content URLs exchanged")] == "1200"


def test_the_xlsx_export_hides_small_counts_from_a_viewer(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    hotline_id, _ = arrange(in_app, SMALL)
    response = signed_in("viewer").get(f"/statistics/?hotline={hotline_id}&format=xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    values = [row[4] for row in sheet.iter_rows(values_only=True) if len(row) > 4]
    assert values.count("<5") == 2
    assert 3 not in values and 2 not in values and 1200 in values


def test_the_value_page_and_its_history_hide_a_small_count_from_a_viewer(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    hotline_id, ids = arrange(in_app, SMALL)
    with in_app() as s:  # a correction: 3 -> 4, both small, both in the history
        hotline = service.get_hotline(s, hotline_id)
        stats_grid.save_quarter_grid(
            s, hotline=hotline, year=YEAR, values={(A, 1): "4"}, today=TODAY
        )
    viewer = signed_in("viewer")
    page = viewer.get(f"/statistics/{ids[f'{A}-1']}").get_data(as_text=True)
    value = re.search(r"data-value>([^<]*)", page)
    assert value is not None and value.group(1).strip() == "&lt;5"
    assert "Counts from 1 to 4 are shown as &lt;5" in page
    history = page[page.index(">History<") :]
    assert "&lt;5 → &lt;5" in history
    assert not re.search(r"value:</span>\s*[34]", history)
    percent = viewer.get(f"/statistics/{ids[f'{P}-1']}").get_data(as_text=True)
    assert "4.50 %" in percent  # not a count
    viewer.post("/auth/sign-out")
    manager_page = signed_in("manager").get(f"/statistics/{ids[f'{A}-1']}").get_data(True)
    assert re.search(r"data-value>4", manager_page)
    assert re.search(r"3(\.00)? → 4(\.00)?", manager_page)


def test_the_grid_shows_a_viewer_small_counts_as_less_than_five(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    hotline_id, _ = arrange(in_app, SMALL)
    url = f"/statistics/grid?hotline={hotline_id}&year={YEAR}"
    page = signed_in("viewer").get(url).get_data(as_text=True)
    shown = dict(re.findall(r'data-cell="(c-[a-z0-9_]+-\d)">([^<]*)<', page))
    assert shown[f"c-{A}-1"] == "&lt;5" and shown[f"c-{F}-1"] == "&lt;5"
    assert shown[f"c-{R}-1"] == "1200" and shown[f"c-{P}-1"] == "4.5 %"


def test_the_hotline_page_hides_small_quarters_from_a_viewer(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    hotline_id, _ = arrange(in_app, SMALL)
    page = signed_in("viewer").get(f"/hotlines/{hotline_id}").get_data(as_text=True)
    table = page[page.index("Statistics, latest quarters") :]
    table = table[: table.index("</table>")]
    assert table.count("data-hidden-count>&lt;5<") == 2
    assert "1,200" in table and "4.5 %" in table
    assert not re.search(r">\s*[23]\s*<", table)
    assert "Counts from 1 to 4 are shown as &lt;5" in page


def test_the_threshold_setting_changes_what_is_hidden_everywhere(
    app: Flask,
    in_app: InApp,
    signed_in: Callable[[str], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At a threshold of 10,000, 9,371 reports is small: no page or export shows it."""
    hotline_id, ids = arrange(in_app, {(R, 1): "9371", (A, 1): "0"})
    monkeypatch.setitem(app.config, "SMALL_COUNT_THRESHOLD", 10_000)
    viewer = signed_in("viewer")
    for url in (
        f"/statistics/?hotline={hotline_id}",
        f"/statistics/?hotline={hotline_id}&format=csv",
        f"/statistics/{ids[f'{R}-1']}",
        f"/statistics/grid?hotline={hotline_id}&year={YEAR}",
        f"/hotlines/{hotline_id}",
    ):
        text = without_tokens(viewer.get(url).get_data(as_text=True))
        assert "9371" not in text and "9,371" not in text, url
        assert "&lt;10000" in text or "<10000" in text, url
    xlsx = viewer.get(f"/statistics/?hotline={hotline_id}&format=xlsx")
    values = [
        c
        for row in load_workbook(io.BytesIO(xlsx.data)).active.iter_rows(values_only=True)
        for c in row
    ]  # type: ignore[union-attr]
    assert 9371 not in values and "<10000" in values
    viewer.post("/auth/sign-out")
    assert "9,371" in signed_in("manager").get(f"/statistics/?hotline={hotline_id}").get_data(True)
    monkeypatch.setitem(app.config, "SMALL_COUNT_THRESHOLD", 5)
    assert "9,371" in cells(
        signed_in("viewer").get(f"/statistics/?hotline={hotline_id}").get_data(True)
    )
