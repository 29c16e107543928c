"""A viewer's token gets small counts as "<5" from every API endpoint that sends counts of
people or cases; a manager's token gets them exactly (coordapp.disclosure)."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests.reporting import builders

InApp = Callable[[], AbstractContextManager[Session]]
TokenFor = Callable[[str], dict[str, str]]
YEAR = date.today().year - 1


@pytest.fixture
def arranged(in_app: InApp) -> dict[str, int]:
    """One hotline with reports received 3 (small) and 1,250 in two quarters of YEAR; an event
    of YEAR where it sent 3 people, another hotline 12 and a third 40."""
    with in_app() as s:
        event, (small, _mid, _big) = builders.training_of_three(s, on=date(YEAR, 5, 5))
        q1 = builders.statistic(
            s,
            hotline=small,
            metric_code="reports_received",
            quarter_start=date(YEAR, 1, 1),
            value="3",
        )
        builders.statistic(
            s,
            hotline=small,
            metric_code="reports_received",
            quarter_start=date(YEAR, 4, 1),
            value="1250",
        )
        return {"hotline": small.id, "q1": q1.id, "event": event.id}


def test_statistics_list_and_detail_give_a_viewer_less_than_five(
    client: FlaskClient, token_for: TokenFor, arranged: dict[str, int]
) -> None:
    viewer = token_for("viewer")
    body = client.get(
        f"/api/v1/hotline-statistics?hotline={arranged['hotline']}", headers=viewer
    ).get_json()
    values = sorted(item["value"] for item in body["items"])
    assert values == ["1250.00", "<5"]
    detail = client.get(f"/api/v1/hotline-statistics/{arranged['q1']}", headers=viewer)
    assert detail.get_json()["value"] == "<5"
    assert '"3.00"' not in detail.get_data(as_text=True)


def test_a_managers_token_gets_exact_values(
    client: FlaskClient, token_for: TokenFor, arranged: dict[str, int]
) -> None:
    manager = token_for("manager")
    detail = client.get(f"/api/v1/hotline-statistics/{arranged['q1']}", headers=manager)
    assert detail.get_json()["value"] == "3.00"
    event = client.get(f"/api/v1/trainings/{arranged['event']}", headers=manager).get_json()
    assert sorted(p["participants"] for p in event["participation"]) == [3, 12, 40]


def test_a_training_gives_a_viewer_the_rows_as_its_page_shows_them(
    client: FlaskClient, token_for: TokenFor, arranged: dict[str, int]
) -> None:
    response = client.get(f"/api/v1/trainings/{arranged['event']}", headers=token_for("viewer"))
    rows = {p["hotline_id"]: p["participants"] for p in response.get_json()["participation"]}
    # 3 is small; 12, the next smallest, is hidden too: 55 in all minus 40 would give 15 else.
    assert sorted(map(str, rows.values())) == ["40", "<5", "hidden"]
    assert rows[arranged["hotline"]] == "<5"
    assert all(p["attendee_names"] is None for p in response.get_json()["participation"])
    listed = client.get("/api/v1/trainings", headers=token_for("viewer")).get_json()
    assert '"participants": 3' not in json.dumps(listed) and '"participants": 12' not in json.dumps(
        listed
    )


def test_training_summary_hides_small_reach_from_a_viewer(
    app: Flask,
    client: FlaskClient,
    token_for: TokenFor,
    arranged: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = f"/api/v1/training/summary?from_year={YEAR}&to_year={YEAR}"
    figures = client.get(url, headers=token_for("viewer")).get_json()["figures"]
    by_country = {r["label"]: r["participants"] for r in figures["by_country"]}
    assert by_country == {"Malta": "<5", "Netherlands": 12, "Germany": 40}
    assert figures["by_kind"][0]["participants"] == 55  # the year's total, not small
    exact = client.get(url, headers=token_for("manager")).get_json()["figures"]
    assert {r["label"]: r["participants"] for r in exact["by_country"]}["Malta"] == 3
    monkeypatch.setitem(app.config, "SMALL_COUNT_THRESHOLD", 13)
    figures = client.get(url, headers=token_for("viewer")).get_json()["figures"]
    by_country = {r["label"]: r["participants"] for r in figures["by_country"]}
    assert by_country == {"Malta": "<13", "Netherlands": "<13", "Germany": 40}
