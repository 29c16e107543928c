"""What a callback sends to a viewer's browser holds no small count: charts draw it at the
threshold and label it "<5", and a total that would give it away is not sent either."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.cache import clear_caches
from coordapp.network.models import MembershipStatus
from tests import factories
from tests.dashboards.conftest import call, filter_id, prop, result, texts
from tests.reporting import builders

InApp = Callable[[], AbstractContextManager[Session]]
ACTIVITY = "..a-trend.figure...a-groups.figure...activity-definition.children...a-rates.figure.."
TRAINING = (
    "..t-events.figure...t-participants.figure...t-countries.figure...t-hotlines.figure"
    "...t-feedback.figure...training-empty.children.."
)
F = MembershipStatus.FULL
YEAR = 2024


def _arrange(in_app: InApp, small: str) -> None:
    """Hotline Small: reports received ``small`` in Q1 and 40 in Q2; Hotline Big: 700 and 800.
    A training where Small sent ``small`` people and Big 40."""
    clear_caches()
    with in_app() as s:
        small_hotline = factories.hotline(
            s, country="MT", name="Hotline Small", events=[(date(2000, 1, 1), F)]
        )
        big = factories.hotline(s, country="DE", name="Hotline Big", events=[(date(2000, 1, 1), F)])
        for hotline, values in ((small_hotline, (small, "40")), (big, ("700", "800"))):
            for month, value in zip((1, 4), values, strict=True):
                builders.statistic(
                    s,
                    hotline=hotline,
                    metric_code="reports_received",
                    quarter_start=date(YEAR, month, 1),
                    value=value,
                )
        builders.training(
            s, on=date(YEAR, 3, 3), hotlines=[(small_hotline, int(small), None), (big, 40, None)]
        )


def _activity(client: FlaskClient, by: str) -> tuple[dict[str, Any], str]:
    response = call(
        client,
        ACTIVITY,
        [
            prop(filter_id("metric"), "value", "reports_received"),
            prop(filter_id("by"), "value", by),
            prop(filter_id("region"), "value", None),
            prop(filter_id("from"), "value", YEAR),
            prop(filter_id("to"), "value", YEAR),
        ],
    )
    return result(response), response.get_data(as_text=True)


def _training(client: FlaskClient) -> tuple[dict[str, Any], str]:
    response = call(
        client,
        TRAINING,
        [
            prop(filter_id("from"), "value", YEAR),
            prop(filter_id("to"), "value", YEAR),
            prop(filter_id("kind"), "value", None),
            prop(filter_id("pillar"), "value", None),
        ],
    )
    return result(response), response.get_data(as_text=True)


def _series(figure: dict[str, Any], name: str) -> dict[str, Any]:
    return next(trace for trace in figure["data"] if trace.get("name") == name)


def test_activity_chart_draws_a_small_quarter_at_five_labelled_less_than_five(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    _arrange(in_app, "3")
    body, _raw = _activity(signed_in("viewer"), "hotline")
    small = _series(body["a-trend"]["figure"], "Hotline Small")
    assert small["y"] == [5.0, 40.0]
    assert [c[2] for c in small["customdata"]] == ["<5", "40"]
    bars = body["a-groups"]["figure"]["data"][0]
    totals = dict(zip(bars["y"], bars["x"], strict=True))
    # Small's total (43) would give the 3 away next to its 40: not drawn, labelled hidden.
    assert totals == {"Hotline Small": None, "Hotline Big": 1500.0}
    labels = dict(zip(bars["y"], [c[1] for c in bars["customdata"]], strict=True))
    assert labels == {"Hotline Small": "hidden", "Hotline Big": "1,500"}
    assert "shown as <5" in texts(body["activity-definition"]["children"])


def test_a_manager_gets_the_exact_figures_in_the_charts(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    _arrange(in_app, "3")
    body, _raw = _activity(signed_in("manager"), "hotline")
    assert _series(body["a-trend"]["figure"], "Hotline Small")["y"] == [3.0, 40.0]
    bars = body["a-groups"]["figure"]["data"][0]
    assert dict(zip(bars["y"], bars["x"], strict=True))["Hotline Small"] == 43.0
    assert "shown as <5" not in texts(body["activity-definition"]["children"])


@pytest.mark.parametrize("by", ["network", "region", "country", "hotline"])
def test_no_callback_output_holds_a_small_count_for_a_viewer(
    app: Flask,
    in_app: InApp,
    signed_in: Callable[[str], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
    by: str,
) -> None:
    """At a threshold of 10,000, 9,371 is small: neither it nor a total that includes it (with
    40 in the same series) is anywhere in the JSON the browser gets; the manager gets both."""
    _arrange(in_app, "9371")
    monkeypatch.setitem(app.config, "SMALL_COUNT_THRESHOLD", 10_000)
    viewer = signed_in("viewer")
    for _body, raw in (_activity(viewer, by), _training(viewer)):
        assert "9371" not in raw and "9411" not in raw and "9,371" not in raw
        assert "<10000" in raw or "\\u003c10000" in raw
    viewer.post("/auth/sign-out")
    manager = signed_in("manager")
    assert "9371" in _activity(manager, "hotline")[1]
    assert "9371" in _training(manager)[1]


def test_training_charts_label_small_reach_and_participants(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    _arrange(in_app, "3")
    body, _raw = _training(signed_in("viewer"))
    countries = body["t-countries"]["figure"]["data"][0]
    reach = dict(
        zip(countries["y"], zip(countries["x"], countries["customdata"], strict=True), strict=True)
    )
    assert reach["Malta"] == (5.0, [1, "<5"])
    assert reach["Germany"] == (40.0, [1, "40"])
    participants = body["t-participants"]["figure"]["data"]
    assert [t["customdata"] for t in participants] == [["43"]]  # one pillar, one year: 43 in all


def test_the_map_panel_shows_a_countrys_training_rows_as_their_event_page_does(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    _arrange(in_app, "3")

    def panel(client: FlaskClient) -> str:
        body = result(
            call(
                client,
                "map-panel.children",
                [prop(filter_id("country"), "value", "MT"), prop(filter_id("year"), "value", YEAR)],
            )
        )
        return texts(body["map-panel"]["children"])

    shown = panel(signed_in("viewer"))
    assert "1 events, <5 participants" in shown and "— <5" in shown and "— 3" not in shown
    signed_in("viewer").post("/auth/sign-out")
    assert "1 events, 3 participants" in panel(signed_in("manager"))


def test_the_overview_tile_of_people_trained_hides_a_small_count(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    clear_caches()
    with in_app() as s:
        hotline = factories.hotline(s, country="MT", events=[(date(2000, 1, 1), F)])
        builders.training(s, on=date.today(), hotlines=[(hotline, 2, None)])
    output = (
        "..overview-tiles.children...overview-rates.children...overview-growth.figure"
        "...overview-empty.children...overview-kpi-table.children.."
    )
    inputs = [prop(filter_id("currency"), "value", "EUR")]
    body = result(call(signed_in("viewer"), output, inputs))
    for part in ("overview-tiles", "overview-kpi-table"):
        text = texts(body[part]["children"])
        assert "<5" in text and "change not shown" in text, part
    signed_in("viewer").post("/auth/sign-out")
    tiles = result(call(signed_in("manager"), output, inputs))["overview-tiles"]["children"]
    assert "change not shown" not in texts(tiles)


def test_a_sum_that_includes_a_small_value_is_hidden_too(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    """Small's 3 is shown as <5 in the statistics list next to Big's 700: the network's 703 for
    that quarter would give it away, so it is not drawn (nor the total over the year)."""
    _arrange(in_app, "3")
    body, raw = _activity(signed_in("viewer"), "network")
    (network,) = body["a-trend"]["figure"]["data"]
    assert network["y"] == [None, 840.0]
    assert [c[2] for c in network["customdata"]] == ["hidden", "840"]
    assert body["a-groups"]["figure"]["data"][0]["x"] == [None]
    assert "703" not in raw and "1543" not in raw
    signed_in("viewer").post("/auth/sign-out")
    body, _raw = _activity(signed_in("manager"), "network")
    assert body["a-trend"]["figure"]["data"][0]["y"] == [703.0, 840.0]
