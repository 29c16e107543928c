"""Hotline statistics pages: the list, one value's page and the quarterly grid, for every role."""

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
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from coordapp.extensions import db
from coordapp.records import service as records
from coordapp.stats import grid as stats_grid
from coordapp.stats import service
from tests.stats.helpers import A, F, P, R, member, stored

InApp = Callable[[], AbstractContextManager[Session]]
TODAY = date.today()
# A past year: every quarter of it has ended, whatever day the suite runs.
YEAR = TODAY.year - 1


def arrange(in_app: InApp) -> tuple[int, int]:
    """A member hotline with two values in YEAR; returns (hotline id, one statistic id)."""
    with in_app() as s:
        hotline = member(s, name="Meldpunt Grid")
        stats_grid.save_quarter_grid(
            s, hotline=hotline, year=YEAR, values={(R, 1): "100", (A, 1): "60"}, today=TODAY
        )
        grid = stats_grid.quarter_grid(s, hotline=hotline, year=YEAR, today=TODAY)
        return hotline.id, grid.cells[(R, 1)].id


def grid_form(html: str) -> dict[str, str]:
    """The grid's inputs as the browser would post them (values and hidden versions)."""
    fields = dict(re.findall(r'name="([cv]-[a-z0-9_]+-[1-4])" value="([^"]*)"', html))
    return {**fields, "csrf_token": "test"}


# --- every route x every role ----------------------------------------------------------------


def _routes(hotline_id: int, stat_id: int) -> list[tuple[str, str, dict[str, str] | None]]:
    grid = f"/statistics/grid?hotline={hotline_id}&year={YEAR}"
    return [
        ("GET", "/statistics/", None),
        ("GET", "/statistics/?format=csv", None),
        ("GET", f"/statistics/{stat_id}", None),
        ("GET", "/statistics/grid", None),
        ("GET", grid, None),
        ("POST", grid, {f"c-{R}-2": "50"}),
    ]


@pytest.mark.parametrize("index", range(6))
@pytest.mark.parametrize("role", ["anonymous", "viewer", "manager", "admin"])
def test_every_route_for_every_role(
    client: FlaskClient,
    signed_in: Callable[[str], FlaskClient],
    in_app: InApp,
    role: str,
    index: int,
) -> None:
    method, path, data = _routes(*arrange(in_app))[index]
    if role != "anonymous":
        client = signed_in(role)
    response = client.open(path, method=method, data=data)
    if role == "anonymous":
        assert response.status_code == 302 and "/auth/sign-in" in response.location
    elif method == "GET":
        assert response.status_code == 200
    elif role == "viewer":
        assert response.status_code == 403
    else:
        assert response.status_code == 302


def test_viewer_sees_the_grid_read_only(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    hotline_id, _ = arrange(in_app)
    html = signed_in("viewer").get(f"/statistics/grid?hotline={hotline_id}&year={YEAR}").data
    text = html.decode()
    assert 'name="c-' not in text and 'name="v-' not in text  # no cell inputs at all
    assert f'data-cell="c-{R}-1">100' in text
    assert "Save the year" not in text and "Read-only" in text


def test_manager_sees_an_editable_grid_with_versions_and_metric_versions(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    hotline_id, _ = arrange(in_app)
    html = signed_in("manager").get(f"/statistics/grid?hotline={hotline_id}&year={YEAR}").data
    text = html.decode()
    fields = grid_form(text)
    assert fields[f"c-{R}-1"] == "100" and fields[f"v-{R}-1"] == "1" and fields[f"v-{R}-2"] == ""
    # Five metrics in force in every quarter (content URLs since 2020, median days).
    assert len([k for k in fields if k.startswith("c-")]) == 20
    assert "definition v1" in text and "Emptying a cell deletes its value" in text
    assert f"Q1 {YEAR}" in text and "01 Jan – 31 Mar" in text


def test_manager_saves_the_grid(signed_in: Callable[[str], FlaskClient], in_app: InApp) -> None:
    hotline_id, _ = arrange(in_app)
    client = signed_in("manager")
    url = f"/statistics/grid?hotline={hotline_id}&year={YEAR}"
    form = grid_form(client.get(url).data.decode())
    form.update({f"c-{R}-1": "120", f"c-{A}-1": "", f"c-{P}-2": "88.25"})
    response = client.post(url, data=form)
    assert response.status_code == 302
    page = client.get(response.location).data.decode()
    assert "Saved: 1 added, 1 changed, 1 removed." in page
    with in_app() as s:
        hotline = service.get_hotline(s, hotline_id)
        assert {k: str(v) for k, v in stored(s, hotline).items()} == {
            (R, 1): "120.00",
            (P, 2): "88.25",
        }


@pytest.mark.parametrize(
    ("cell", "typed", "message"),
    [
        (f"c-{A}-1", "150", "cannot be more than content URLs exchanged"),
        (f"c-{P}-3", "101", "A percentage is from 0 to 100."),
        (f"c-{R}-2", "12.5", "Counts are whole numbers: no decimals."),
    ],
)
def test_a_refused_cell_shows_its_message_keeps_the_input_and_writes_nothing(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, cell: str, typed: str, message: str
) -> None:
    hotline_id, _ = arrange(in_app)
    client = signed_in("manager")
    url = f"/statistics/grid?hotline={hotline_id}&year={YEAR}"
    form = grid_form(client.get(url).data.decode())
    form.update({cell: typed, f"c-{F}-4": "7"})
    response = client.post(url, data=form)
    assert response.status_code == 422
    text = response.data.decode()
    assert re.search(rf'id="{cell}" name="{cell}" value="{re.escape(typed)}"', text)
    assert re.search(rf'id="{cell}-error">[^<]*{re.escape(message)}', text)
    assert 'value="7"' in text  # the other input is kept too
    with in_app() as s:
        assert stored(s, service.get_hotline(s, hotline_id)) == {
            (R, 1): 100,
            (A, 1): 60,
        }


def test_a_grid_changed_since_it_was_loaded_gets_409_and_shows_what_changed(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    hotline_id, _ = arrange(in_app)
    client = signed_in("manager")
    url = f"/statistics/grid?hotline={hotline_id}&year={YEAR}"
    form = grid_form(client.get(url).data.decode())
    with in_app() as s:  # another manager saves first
        stats_grid.save_quarter_grid(
            s,
            hotline=service.get_hotline(s, hotline_id),
            year=YEAR,
            values={(R, 1): "130"},
            today=TODAY,
        )
    form.update({f"c-{R}-1": "140", f"c-{R}-2": "9"})
    response = client.post(url, data=form)
    assert response.status_code == 409
    text = response.data.decode()
    assert "Someone else saved figures of this grid" in text
    assert 'data-changed="Content URLs exchanged (v2) Q1"' in text and "<td>130</td>" in text
    assert f'name="c-{R}-1" value="140"' in text  # the input is kept
    assert f'name="v-{R}-1" value="2"' in text  # with the current version to save over
    with in_app() as s:
        assert stored(s, service.get_hotline(s, hotline_id))[(R, 1)] == 130
    # Saving again applies the kept input over the other manager's value.
    again = client.post(url, data=grid_form(text))
    assert again.status_code == 302
    with in_app() as s:
        values = stored(s, service.get_hotline(s, hotline_id))
        assert (values[(R, 1)], values[(R, 2)]) == (140, 9)


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("hotline={h}&year=abc", 200),
        ("hotline={h}", 200),
        ("hotline={h}&year=", 200),
        ("hotline={h}&year=1800", 404),
        ("hotline={h}&year=3000", 404),
        ("hotline={h}&year=99999999999999999999", 200),
        ("hotline=abc&year=2020", 404),
        ("hotline=999999&year=2020", 404),
        ("hotline=99999999999999999999", 404),
        ("hotline=", 200),
    ],
)
def test_grid_query_values(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, query: str, status: int
) -> None:
    hotline_id, _ = arrange(in_app)
    response = signed_in("manager").get("/statistics/grid?" + query.format(h=hotline_id))
    assert response.status_code == status
    if status == 200 and "year=abc" in query:
        default = stats_grid.default_year(TODAY)
        assert f'name="year" type="number" min="1999" value="{default}"' in response.data.decode()


def test_archived_hotline_grid_is_read_only(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    hotline_id, _ = arrange(in_app)
    with in_app() as s:
        records.archive(s, obj=service.get_hotline(s, hotline_id))
    client = signed_in("manager")
    url = f"/statistics/grid?hotline={hotline_id}&year={YEAR}"
    text = client.get(url).data.decode()
    assert "archived" in text and "Save the year" not in text
    response = client.post(url, data={f"c-{R}-2": "5"})
    assert response.status_code == 422


def test_detail_links_to_the_grid(signed_in: Callable[[str], FlaskClient], in_app: InApp) -> None:
    hotline_id, stat_id = arrange(in_app)
    text = signed_in("viewer").get(f"/statistics/{stat_id}").data.decode()
    assert "Meldpunt Grid" in text and f"{YEAR} Q1" in text
    assert f"/statistics/grid?hotline={hotline_id}&amp;year={YEAR}" in text
    assert signed_in("viewer").get("/statistics/999999").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "sort=;drop",
        "year=abc",
        "quarter=9",
        "hotline=x",
        "metric=urls",
        "country=ZZ",
        "page=99999999999999999999",
        "per_page=7",
    ],
)
def test_bad_list_query_values_never_fail(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, query: str
) -> None:
    arrange(in_app)
    response = signed_in("viewer").get(f"/statistics/?{query}")
    assert response.status_code == 200
    assert "Meldpunt Grid" in response.data.decode()


def test_list_exports_exactly_the_filtered_rows(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    hotline_id, _ = arrange(in_app)
    response = signed_in("viewer").get(f"/statistics/?hotline={hotline_id}&metric={A}&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header = ["Hotline", "Country", "Period", "Metric", "Value", "Updated"]
    data = rows[rows.index(header) + 1 :]
    assert [r[:5] for r in data] == [
        [
            "Meldpunt Grid",
            "Netherlands",
            f"{YEAR} Q1",
            "Content URLs assessed as illegal (v2)",
            "60",
        ]
    ]
    stamp = {r[0]: r[1] for r in rows if r and r[0].startswith("# ")}
    assert stamp["# filters"] == f"hotline={hotline_id}; metric={A}"
    # The figures depend on the metric definitions: the stamp names their versions.
    assert (
        "reports_assessed_csam v1 (1999-01-01 to 2019-12-31), v2 (2020-01-01 on)"
        in stamp["# metric versions"]
    )


def test_list_exports_as_xlsx_with_metric_versions(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    from openpyxl import load_workbook

    hotline_id, _ = arrange(in_app)
    response = signed_in("viewer").get(f"/statistics/?hotline={hotline_id}&format=xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    stamp = {r[0]: r[1] for r in rows if r[0] and str(r[0]).startswith("# ")}
    assert (
        "reports_received v1 (1999-01-01 to 2019-12-31), v2 (2020-01-01 on)"
        in stamp["# metric versions"]
    )
    assert stamp["# export"] == "Hotline statistics"
    assert any(r[0] == "Meldpunt Grid" for r in rows)


def test_list_page_offers_the_grid(signed_in: Callable[[str], FlaskClient], in_app: InApp) -> None:
    arrange(in_app)
    text = signed_in("manager").get("/statistics/").data.decode()
    assert 'action="/statistics/grid"' in text and "Meldpunt Grid" in text
    assert "New hotline statistic" not in text  # values change only through the grid


def test_list_page_queries_do_not_grow_with_the_page_size(
    app: Flask, signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        for country in ("NL", "BE", "DE"):
            stats_grid.save_quarter_grid(
                s,
                hotline=member(s, country),
                year=YEAR,
                values={(m, q): "10" for m in (R, A, F, P) for q in (1, 2, 3, 4)},
                today=TODAY,
            )
    client = signed_in("viewer")
    client.get("/statistics/")  # the filters' choices are read once per data version, then cached
    counts = []
    for per_page in (25, 50, 100):
        statements: list[str] = []

        def count(conn, cursor, statement, *args, _seen=statements):  # type: ignore[no-untyped-def]
            _seen.append(statement)

        with app.app_context():
            engine = db.engine
        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/statistics/?per_page={per_page}").status_code == 200
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2], counts


def test_values_read_with_thousands_separators_and_percent_signs(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        hotline = member(s, name="Meldpunt Format")
        stats_grid.save_quarter_grid(
            s,
            hotline=hotline,
            year=YEAR,
            values={(R, 1): "12345", (A, 1): "1200", (P, 1): "87.5"},
            today=TODAY,
        )
        grid = stats_grid.quarter_grid(s, hotline=hotline, year=YEAR, today=TODAY)
        hotline_id, share_id = hotline.id, grid.cells[(P, 1)].id
    manager = signed_in("manager")
    page = manager.get(f"/statistics/?hotline={hotline_id}").data.decode()
    cells = re.findall(r'<td class="text-end text-nowrap">\s*([^<]*?)\s*</td>', page)
    assert sorted(cells) == ["1,200", "12,345", "87.50 %"]
    detail = manager.get(f"/statistics/{share_id}").data.decode()
    assert re.search(r"data-value>\s*87\.50 %\s*<", detail)
    # Exports keep plain numbers, for spreadsheets to compute with.
    exported = manager.get(f"/statistics/?hotline={hotline_id}&format=csv").data.decode("utf-8-sig")
    assert ",12345," in exported and "87.50" in exported and "12,345" not in exported


def test_the_grid_hotline_is_typed_by_name_when_there_are_many(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    from coordapp.listing import TYPEAHEAD_OVER

    with in_app() as s:
        hotlines = [member(s, name=f"Hotline {n:03d}") for n in range(TYPEAHEAD_OVER + 1)]
        wanted = hotlines[7].id
    manager = signed_in("manager")
    page = manager.get("/statistics/").get_data(as_text=True)
    assert "Hotline 003</option>" not in page  # no select of every hotline
    assert re.search(r'<input[^>]*id="grid-hotline"[^>]*data-lookup="[^"]+"', page)
    grid = manager.get(f"/statistics/grid?hotline=hotline 007&year={YEAR}")
    assert grid.status_code == 200
    assert 'value="Hotline 007"' in grid.get_data(as_text=True)  # the field shows the name back
    assert manager.get(f"/statistics/grid?hotline={wanted}&year={YEAR}").status_code == 200
    missing = manager.get(f"/statistics/grid?hotline=Atlantis Hotline&year={YEAR}")
    assert missing.status_code == 404
    assert "no hotline named" in missing.get_data(as_text=True)
