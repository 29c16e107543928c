"""Callbacks through Dash's own endpoint, with known data: what the browser would get."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coordapp.boardpack import service as boardpack
from coordapp.network.coverage import coverage_summary
from coordapp.network.models import ExpansionStage, MembershipStatus
from coordapp.network.pipeline import countries_in_pipeline
from coordapp.partners import agreements
from coordapp.pillars.models import PillarIndicator
from coordapp.reporting import pillars as pillar_report
from dashboards import pillars as pillars_page
from tests import factories
from tests.dashboards.conftest import PLAY_OUTPUT, call, filter_id, prop, result, texts
from tests.reporting import builders

MAP = "..map-graph.figure...map-headline.children...map-small.children...map-note.children.."
FUNDING = (
    "..f-years.figure...f-pillar-pledged.figure...f-pillar-received.figure...f-funders.figure"
    "...f-kinds.figure...funding-rates.children...funding-empty.children...f-cash.figure"
    "...f-cash-rates.children.."
)
PILLARS = "..pl-progress.figure...pl-table.children...pillars-note.children.."
TODAY = date.today()
F = MembershipStatus.FULL


@pytest.fixture
def viewer(signed_in: Callable[[str], FlaskClient]) -> FlaskClient:
    return signed_in("viewer")


@pytest.fixture
def small_network(in_app: Callable[[], AbstractContextManager[Session]]) -> dict[str, int]:
    """Two founding hotlines (one also covering Malta) and one admitted in 2010."""
    with in_app() as s:
        factories.hotline(s, country="AT", name="Hotline AT", events=[(date(1999, 11, 30), F)])
        factories.hotline(
            s, country="NL", covers=["MT"], name="Hotline NL", events=[(date(1999, 11, 30), F)]
        )
        factories.hotline(s, country="KE", name="Hotline KE", events=[(date(2010, 3, 1), F)])
        in_1999 = coverage_summary(s, on=date(1999, 12, 31)).countries_covered
        today = coverage_summary(s, on=TODAY).countries_covered
    return {"1999": in_1999, "today": today}


def map_inputs(year: object, region: object = None, colour: object = "coverage") -> list[dict]:
    return [
        prop(filter_id("year"), "value", year),
        prop(filter_id("region"), "value", region),
        prop(filter_id("colour"), "value", colour),
    ]


def headline_number(response_body: dict, label: str) -> str:
    tiles = response_body["map-headline"]["children"]
    for tile in tiles:
        text = texts(tile)
        if text.startswith(label):
            return text[len(label) :].split()[0]
    raise AssertionError(f"no tile {label!r} in {texts(tiles)}")


def test_map_covered_count_for_1999_and_today(viewer: FlaskClient, small_network: dict) -> None:
    in_1999 = result(call(viewer, MAP, map_inputs(1999)))
    now = result(call(viewer, MAP, map_inputs(TODAY.year)))
    assert headline_number(in_1999, "Countries covered") == str(small_network["1999"]) == "3"
    assert headline_number(now, "Countries covered") == str(small_network["today"]) == "4"
    assert headline_number(now, "Member hotlines") == "3"
    figure = now["map-graph"]["figure"]
    shaded = {
        code
        for trace in figure["data"]
        if trace["type"] == "choropleth" and trace["name"] == "Full member"
        for code in trace["locations"]
    }
    assert shaded == {"AUT", "NLD", "KEN"}
    # Malta is too small for the 1:110m shapes: a marker, and a button in the list.
    markers = [t for t in figure["data"] if t["type"] == "scattergeo"]
    assert markers and markers[0]["customdata"] == ["MT"]
    assert "Malta" in texts(now["map-small"]["children"])


@pytest.mark.parametrize(
    ("year", "region"),
    [("1800", None), ("abc", None), (None, None), (3000, "Atlantis"), ({"x": 1}, ["Europe"])],
)
def test_bad_map_input_falls_back_to_defaults(
    viewer: FlaskClient, small_network: dict, year: object, region: object
) -> None:
    body = result(call(viewer, MAP, map_inputs(year, region)))
    assert headline_number(body, "Countries covered") == str(small_network["today"])
    assert headline_number(body, "As of") == TODAY.isoformat()


def test_map_region_filter(viewer: FlaskClient, small_network: dict) -> None:
    body = result(call(viewer, MAP, map_inputs(TODAY.year, "Africa")))
    assert headline_number(body, "Countries covered in Africa") == "1"


def test_clicking_a_country_opens_its_panel(viewer: FlaskClient, small_network: dict) -> None:
    click = {"points": [{"customdata": "KE", "location": "KEN"}]}
    chosen = result(
        call(
            viewer,
            '{"name":"country","type":"filter"}.value',
            [prop("map-graph", "clickData", click), []],
        )
    )
    assert chosen['{"name":"country","type":"filter"}']["value"] == "KE"
    panel = result(
        call(
            viewer,
            "map-panel.children",
            [prop(filter_id("country"), "value", "KE"), prop(filter_id("year"), "value", 2012)],
        )
    )
    text = texts(panel["map-panel"]["children"])
    assert "Kenya" in text and "Hotline KE" in text and "2010-03-01 Full" in text
    unknown = result(
        call(
            viewer,
            "map-panel.children",
            [prop(filter_id("country"), "value", "ZZ"), prop(filter_id("year"), "value", "x")],
        )
    )
    assert "Click a country" in texts(unknown["map-panel"]["children"])


def _play(
    viewer: FlaskClient, *, clicks: int, ticks: int | None, year: int, stopped: bool, acted_on: int
) -> dict[str, dict[str, Any]]:
    """One call of the map's play callback, as a tick when ``ticks`` is set, else as a click."""
    return result(
        call(
            viewer,
            PLAY_OUTPUT,
            [prop("map-play", "n_clicks", clicks), prop("map-interval", "n_intervals", ticks)],
            [
                prop(filter_id("year"), "value", year),
                prop("map-interval", "disabled", stopped),
                prop("map-play-clicks", "data", acted_on),
            ],
            changed=["map-interval.n_intervals" if ticks else "map-play.n_clicks"],
        )
    )


def test_play_steps_the_year_and_stops_at_the_end(viewer: FlaskClient) -> None:
    started = _play(viewer, clicks=1, ticks=None, year=TODAY.year, stopped=True, acted_on=0)
    assert started['{"name":"year","type":"filter"}']["value"] == 1999  # replays from 1999
    assert started["map-interval"]["disabled"] is False
    assert started["map-play-clicks"]["data"] == 1
    # The button's icon is a Bootstrap Icons glyph (served by the app), not a character such as
    # ⏸ that Debian's default fonts lack.
    label = started["map-play"]["children"]
    assert texts(label).strip() == "Pause"
    assert label[0]["props"]["className"].split()[:2] == ["bi", "bi-pause-fill"]
    last = _play(viewer, clicks=1, ticks=5, year=TODAY.year - 1, stopped=False, acted_on=1)
    assert last['{"name":"year","type":"filter"}']["value"] == TODAY.year
    assert last["map-interval"]["disabled"] is True
    assert texts(last["map-play"]["children"]).strip() == "Play"


def test_a_click_on_pause_is_never_lost_to_a_tick(viewer: FlaskClient) -> None:
    """Dash drops the call made for the click when a tick calls the callback again before it
    answers: the tick's call, which carries the click, pauses."""
    paused = _play(viewer, clicks=2, ticks=7, year=2005, stopped=False, acted_on=1)
    assert '{"name":"year","type":"filter"}' not in paused  # the year stays where it was
    assert paused["map-interval"]["disabled"] is True
    assert texts(paused["map-play"]["children"]).strip() == "Play"
    assert paused["map-play-clicks"]["data"] == 2
    # Once acted on, the same count is a tick like any other: still paused.
    still = _play(viewer, clicks=2, ticks=8, year=2005, stopped=True, acted_on=2)
    assert still["map-interval"]["disabled"] is True
    assert texts(still["map-play"]["children"]).strip() == "Play"


def test_overview_kpi_table_lists_every_tile_with_last_year(
    viewer: FlaskClient, small_network: dict
) -> None:
    output = (
        "..overview-tiles.children...overview-rates.children...overview-growth.figure"
        "...overview-empty.children...overview-kpi-table.children.."
    )
    body = result(call(viewer, output, [prop(filter_id("currency"), "value", "EUR")]))
    table = body["overview-kpi-table"]["children"]
    head, rows = table["props"]["children"]
    assert texts(head).split()[:2] == ["Figure", "On"]
    lines = [texts(row) for row in rows["props"]["children"]]
    tiles = body["overview-tiles"]["children"]
    assert len(lines) == len(tiles) >= 8  # a row per tile, none left empty
    hotlines = next(line for line in lines if line.startswith("Member hotlines"))
    # Three member hotlines today, as on the same day last year (the last joined in 2010).
    assert hotlines.split()[2:5] == ["3", "3", "±0"]


def test_funding_total_converted_at_a_known_rate(
    viewer: FlaskClient, in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    year = TODAY.year - 1
    with in_app() as s:
        factories.rate(s, base="EUR", quote="USD", on=date(year, 1, 1), value="1.25")
        factories.commitment(s, amount="1000.00", currency="USD", pledged_on=date(year, 3, 1))
        factories.commitment(s, amount="200.00", currency="EUR", pledged_on=date(year, 4, 1))
    inputs = [
        prop(filter_id(n), "value", v)
        for n, v in (("from", year), ("to", year), ("currency", "EUR"), ("rates", "row"))
    ]
    body = result(call(viewer, FUNDING, inputs))
    pledged = body["f-years"]["figure"]["data"][0]
    expected = Decimal("1000.00") / Decimal("1.25") + Decimal("200.00")
    assert pledged["name"] == "Pledged" and pledged["y"] == [float(expected)]
    assert f"USD {date(year, 1, 1).isoformat()}" in body["funding-rates"]["children"]

    download = call(
        viewer,
        '{"key":["MATCH"],"type":"download"}.data',
        [prop({"type": "download-btn", "key": "years"}, "n_clicks", 1)],
        [
            [
                prop(filter_id(n), "value", v)
                for n, v in (("from", year), ("to", year), ("currency", "EUR"), ("rates", "row"))
            ],
            [
                {"id": filter_id(n), "property": "id", "value": filter_id(n)}
                for n in ("from", "to", "currency", "rates")
            ],
            prop("url", "pathname", "/dashboards/funding"),
        ],
        outputs={"id": {"type": "download", "key": "years"}, "property": "data"},
    )
    data = result(download)['{"key":"years","type":"download"}']["data"]
    assert data["filename"] == f"coordapp_funding_years_{year}_{year}_EUR.csv"
    csv = data["content"]
    assert f"# filters: ?from={year}&to={year}&currency=EUR" in csv
    assert (
        f"# exchange-rate dates: {date(year, 1, 1).isoformat()}..{date(year, 1, 1).isoformat()}"
        in csv
    )
    assert f"# as of: {TODAY.isoformat()}" in csv
    assert "# exported by: " in csv and f"# exported at: {date.today().isoformat()}" in csv
    assert f"# rates applied: 1 EUR = 1.25 USD ({date(year, 1, 1).isoformat()})" in csv
    assert f"{year},{expected:.2f},0.00" in csv

    # The same numbers as an Excel workbook: the stamp block, then the header and the rows.
    workbook_download = call(
        viewer,
        '{"key":["MATCH"],"type":"download-xlsx"}.data',
        [prop({"type": "download-xlsx-btn", "key": "years"}, "n_clicks", 1)],
        [
            [
                prop(filter_id(n), "value", v)
                for n, v in (("from", year), ("to", year), ("currency", "EUR"), ("rates", "row"))
            ],
            [
                {"id": filter_id(n), "property": "id", "value": filter_id(n)}
                for n in ("from", "to", "currency", "rates")
            ],
            prop("url", "pathname", "/dashboards/funding"),
        ],
        outputs={"id": {"type": "download-xlsx", "key": "years"}, "property": "data"},
    )
    data = result(workbook_download)['{"key":"years","type":"download-xlsx"}']["data"]
    assert data["filename"] == f"coordapp_funding_years_{year}_{year}_EUR.xlsx"
    assert data["base64"] is True
    sheet = load_workbook(io.BytesIO(base64.b64decode(data["content"]))).active
    assert sheet is not None
    rows = [tuple(c for c in row) for row in sheet.iter_rows(values_only=True)]
    stamp = {row[0]: row[1] for row in rows if row[0] and str(row[0]).startswith("# ")}
    assert stamp["# filters"] == f"?from={year}&to={year}&currency=EUR"
    day = date(year, 1, 1).isoformat()
    assert stamp["# exchange-rate dates"] == f"{day}..{day}"
    header = rows.index(("year", "pledged", "received"))
    assert rows[header + 1][:2] == (year, float(f"{expected:.2f}"))


def test_pillar_actual_on_the_page(
    viewer: FlaskClient, in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    year = TODAY.year - 1
    with in_app() as s:
        at = factories.hotline(s, country="AT", events=[(date(2000, 1, 1), F)])
        for month in (2, 6, 9):
            builders.training(s, on=date(year, month, 1), hotlines=[(at, 2, None)])
        builders.target(
            s,
            pillar_code="capacity_building",
            year=year,
            indicator=PillarIndicator.TRAININGS_HELD,
            value="4",
        )
    body = result(call(viewer, PILLARS, [prop(filter_id("year"), "value", year)]))
    table = texts(body["pl-table"]["children"])
    assert "Trainings held" in table and "Behind" in table  # 3 of 4 in a past year
    bar = body["pl-progress"]["figure"]["data"][0]
    assert bar["x"] == [75.0]


def test_activity_export_shows_small_counts_as_less_than_five_for_viewers(
    signed_in: Callable[[str], FlaskClient], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    with in_app() as s:
        at = factories.hotline(s, country="AT", name="Hotline AT", events=[(date(2000, 1, 1), F)])
        builders.statistic(
            s, hotline=at, metric_code="reports_received", quarter_start=date(2024, 1, 1), value="3"
        )
        builders.statistic(
            s,
            hotline=at,
            metric_code="reports_received",
            quarter_start=date(2024, 4, 1),
            value="40",
        )
    filters = (
        ("metric", "reports_received"),
        ("by", "network"),
        ("region", None),
        ("from", 2024),
        ("to", 2024),
    )

    def export(client: FlaskClient) -> str:
        response = call(
            client,
            '{"key":["MATCH"],"type":"download"}.data',
            [prop({"type": "download-btn", "key": "quarters"}, "n_clicks", 1)],
            [
                [prop(filter_id(n), "value", v) for n, v in filters],
                [{"id": filter_id(n), "property": "id", "value": filter_id(n)} for n, _ in filters],
                prop("url", "pathname", "/dashboards/activity"),
            ],
            outputs={"id": {"type": "download", "key": "quarters"}, "property": "data"},
        )
        return result(response)['{"key":"quarters","type":"download"}']["data"]["content"]

    as_viewer = export(signed_in("viewer"))
    assert "# metric version: v2" in as_viewer
    assert "2024-01-01,All selected,v2,<5,1" in as_viewer
    assert "2024-04-01,All selected,v2,40.00,1" in as_viewer
    signed_in("viewer").post("/auth/sign-out")
    as_manager = export(signed_in("manager"))
    assert "2024-01-01,All selected,v2,3.00,1" in as_manager


@pytest.mark.parametrize(
    ("output", "inputs", "message"),
    [
        (MAP, map_inputs(2020), "No country was covered"),
        (
            "..overview-tiles.children...overview-rates.children...overview-growth.figure...overview-empty.children...overview-kpi-table.children..",
            [prop(filter_id("currency"), "value", "XXX")],
            "No records yet",
        ),
        (
            FUNDING,
            [
                prop(filter_id(n), "value", v)
                for n, v in (
                    ("from", "1990"),
                    ("to", "x"),
                    ("currency", 5),
                    ("rates", "1800-01-01"),
                )
            ],
            "No funding recorded",
        ),
        (PILLARS, [prop(filter_id("year"), "value", "last year")], "No pillar targets set"),
    ],
)
def test_empty_database_shows_empty_states(
    viewer: FlaskClient, output: str, inputs: list, message: str
) -> None:
    body = result(call(viewer, output, inputs))
    assert message in texts(list(body.values())) + str(body)


ROUTE = "..page-content.children...dash-subnav.children...current-path.data.."


@pytest.mark.parametrize(
    "slug",
    ["", "map", "overview", "partnerships", "funding", "training", "pillars", "activity", "nope"],
)
def test_pages_render_with_malformed_query_values(viewer: FlaskClient, slug: str) -> None:
    garbage = (
        "?year=1800&region=Atlantis&country=ZZZ&from=abc&to=-1&currency=XXX&status=x"
        "&kind=%00&pillar=&metric=nope&by=;"
    )
    body = result(
        call(
            viewer,
            ROUTE,
            [prop("url", "pathname", f"/dashboards/{slug}")],
            [prop("url", "search", garbage), prop("current-path", "data", None)],
        )
    )
    assert body["page-content"]["children"]
    assert body["current-path"]["data"] == f"/dashboards/{slug}"


def test_map_page_reproduces_the_view_in_its_link(viewer: FlaskClient) -> None:
    body = result(
        call(
            viewer,
            ROUTE,
            [prop("url", "pathname", "/dashboards/map")],
            [
                prop("url", "search", "?year=2005&region=Europe&country=de"),
                prop("current-path", "data", None),
            ],
        )
    )
    page = str(body["page-content"]["children"])
    assert "'value': 2005" in page and "'value': 'Europe'" in page and "'value': 'DE'" in page


PARTNERSHIPS = (
    "..p-tiles.children...p-status.figure...p-type.figure...p-pillar.figure...p-kind.figure"
    "...p-years.figure...p-renewals.children...partnerships-empty.children.."
)


def test_partnerships_page_shows_in_force_expired_and_renewals_due(
    viewer: FlaskClient, in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    with in_app() as s:
        start = date(2020, 1, 1)
        builders.partnership(s, start=start)  # open-ended: in force
        builders.partnership(s, start=start, end=TODAY + timedelta(days=10), notice_days=30)
        builders.partnership(s, start=start, end=TODAY + timedelta(days=100), notice_days=30)
        builders.partnership(s, start=start, end=TODAY - timedelta(days=1))  # expired
        in_force = agreements.count_in_force(s, on=TODAY)
        renewals = agreements.count_renewals_due(s, on=TODAY)
    assert (in_force, renewals) == (3, 2)
    body = result(call(viewer, PARTNERSHIPS, [prop(filter_id("status"), "value", None)]))
    tiles = texts(body["p-tiles"]["children"])
    assert "Partnerships in force 3" in tiles
    assert "Renewals due 2" in tiles and "1 overdue" in tiles
    assert "Ended without a decision 1" in tiles
    bars = body["p-status"]["figure"]["data"][0]
    assert dict(zip(bars["x"], bars["y"], strict=True)) == {
        "Active (in force)": 3,
        "Expired (end date passed)": 1,
    }
    table = texts(body["p-renewals"]["children"])
    assert table.count("(overdue)") == 1 and table.count("Organization") == 2
    expired = result(call(viewer, PARTNERSHIPS, [prop(filter_id("status"), "value", "expired")]))
    assert expired["p-type"]["figure"]["data"][0]["y"] == [1]


def test_pillar_table_shows_type_start_and_expected_like_the_board_pack(
    viewer: FlaskClient, in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    with in_app() as s:
        factories.hotline(s, country="AT", events=[(date(2000, 1, 1), F)])
        factories.hotline(s, country="BE", events=[(date(2000, 1, 1), F)])
        builders.target(
            s,
            pillar_code="network_expansion",
            year=TODAY.year,
            indicator=PillarIndicator.MEMBER_HOTLINES,
            value="3",
        )
        builders.target(
            s,
            pillar_code="capacity_building",
            year=TODAY.year,
            indicator=PillarIndicator.TRAININGS_HELD,
            value="4",
        )
        data = pillar_report.pillar_progress(s, year=TODAY.year, today=TODAY)
        pack = boardpack.board_pack(s, year=TODAY.year, today=TODAY)
    body = result(call(viewer, PILLARS, [prop(filter_id("year"), "value", TODAY.year)]))
    rows = body["pl-table"]["children"]["props"]["children"][1]["props"]["children"]
    cells = [[texts(td) for td in row["props"]["children"]] for row in rows]
    assert len(cells) == 2
    stock = next(c for c in cells if c[1].startswith("Member hotlines"))
    flow = next(c for c in cells if c[1].startswith("Trainings held"))
    assert (stock[2], stock[3], flow[2], flow[3]) == ("stock", "2", "flow", "—")
    expected = {r.indicator: r for r in data.rows}
    member = expected[PillarIndicator.MEMBER_HOTLINES]
    assert member.start == 2 and member.expected >= 2
    assert stock[5] == pillars_page._number(member.expected, "count")
    # One signal: the page and the board pack read the same rows.
    signals = {c[1].split(" ")[0]: c[7] for c in cells}
    pack_signals = {r.indicator: r.on_track for r in pack.pillars.rows}
    assert pack_signals == {r.indicator: r.on_track for r in data.rows}
    assert signals["Member"] == ("On track" if member.on_track else "Behind")


def test_the_map_counts_the_pipeline_and_its_panel_flags_a_stalled_stage(
    viewer: FlaskClient, in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    with in_app() as s:
        factories.expansion_target(
            s,
            country="GH",
            stages=[(date(2015, 1, 5), ExpansionStage.IDENTIFIED)],
        )
        factories.expansion_target(
            s,
            country="SN",
            stages=[
                (date(2015, 1, 5), ExpansionStage.APPLICANT),
                (date(2016, 1, 4), ExpansionStage.MEMBER),
            ],
        )
        count = countries_in_pipeline(s, on=TODAY)
    assert count == 1
    body = result(call(viewer, MAP, map_inputs(TODAY.year)))
    assert headline_number(body, "In the expansion pipeline") == "1"
    panel = result(
        call(
            viewer,
            "map-panel.children",
            [
                prop(filter_id("country"), "value", "GH"),
                prop(filter_id("year"), "value", TODAY.year),
            ],
        )
    )
    text = texts(panel["map-panel"]["children"])
    assert "In this stage since 2015-01-05" in text and "open over 12 months" in text
    member = result(
        call(
            viewer,
            "map-panel.children",
            [
                prop(filter_id("country"), "value", "SN"),
                prop(filter_id("year"), "value", TODAY.year),
            ],
        )
    )
    assert "Not in the expansion pipeline" in texts(member["map-panel"]["children"])


def test_activity_marks_provisional_quarters_and_charts_submission_rates(
    viewer: FlaskClient, in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    with in_app() as s:
        at = factories.hotline(s, country="AT", name="Hotline AT", events=[(date(2000, 1, 1), F)])
        nl = factories.hotline(s, country="NL", name="Hotline NL", events=[(date(2000, 1, 1), F)])
        builders.statistic(
            s,
            hotline=at,
            metric_code="reports_received",
            quarter_start=date(2024, 1, 1),
            value="70",
        )
        builders.statistic(
            s,
            hotline=nl,
            metric_code="reports_received",
            quarter_start=date(2024, 1, 1),
            value="30",
            approved=False,
        )
    inputs = [
        prop(filter_id("metric"), "value", "reports_received"),
        prop(filter_id("by"), "value", "network"),
        prop(filter_id("region"), "value", None),
        prop(filter_id("from"), "value", 2024),
        prop(filter_id("to"), "value", 2024),
    ]
    body = result(
        call(
            viewer,
            "..a-trend.figure...a-groups.figure...activity-definition.children...a-rates.figure..",
            inputs,
        )
    )
    trend = body["a-trend"]["figure"]
    assert trend["data"][0]["y"][0] == 70.0  # Hotline NL's figure awaits approval
    assert any(a.get("text") == "provisional" for a in trend["layout"].get("annotations", []))
    assert "Provisional (shaded): Q1 2024" in texts(body["activity-definition"]["children"])
    rates = body["a-rates"]["figure"]["data"]
    assert [line["name"] for line in rates] == ["Submitted", "Submitted by the deadline"]
    assert rates[0]["x"][:1] == ["Q1 2024"]
    # Hotline AT's quarter was approved without a recorded submission: submitted, date unknown.
    assert rates[0]["y"][0] == 50.0 and rates[1]["y"][0] == 0.0
