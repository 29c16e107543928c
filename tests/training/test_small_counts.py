"""Training participants: small counts hidden from viewers on the event's page, the hotline's
page and the board pack, in the same way on each, with no total giving one away."""

from __future__ import annotations

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

from coordapp.network.models import MembershipStatus
from coordapp.training.models import TrainingKind, TrainingParticipation
from tests import factories
from tests.reporting import builders

InApp = Callable[[], AbstractContextManager[Session]]
YEAR = date.today().year - 1


@pytest.fixture
def event(in_app: InApp) -> dict[str, int]:
    """A training of YEAR: Hotline Small sent 3 people (named), Hotline Mid 12, Hotline Big 40."""
    with in_app() as s:
        item, (small, mid, _big) = builders.training_of_three(s, on=date(YEAR, 5, 5))
        row = s.query(TrainingParticipation).filter_by(hotline_id=small.id).one()
        row.attendee_names = "Ada Example\nBo Example\nCy Example"
        s.flush()
        return {"event": item.id, "small": small.id, "mid": mid.id}


def _participation(page: str) -> dict[str, str]:
    """Hotline name -> the participants cell, and 'Total' -> the total, on the event's page."""
    table = page[page.index('id="participation"') :]
    rows = re.findall(
        r"<td>(Hotline \w+) .*?</td>\s*<td>[^<]*</td>\s*<td class=\"text-end\">([^<]*)</td>",
        table,
    )
    total = re.search(r'colspan="2">Total</td>\s*<td class="text-end">([^<]*)<', table)
    assert total is not None
    return {**{name: value.strip() for name, value in rows}, "Total": total.group(1).strip()}


def test_the_event_page_hides_a_small_row_and_the_next_smallest_from_a_viewer(
    signed_in: Callable[[str], FlaskClient], event: dict[str, int]
) -> None:
    page = signed_in("viewer").get(f"/trainings/{event['event']}").get_data(as_text=True)
    assert _participation(page) == {
        "Hotline Small": "&lt;5",
        "Hotline Mid": "hidden",  # else 55 - 40 - 12 would give the 3 away
        "Hotline Big": "40",
        "Total": "55",
    }
    reach = dict(re.findall(r'data-reach="(\w+)">([^<]*)<', page))
    assert reach == {"MT": "&lt;5", "NL": "hidden", "DE": "40"}
    assert "Ada Example" not in page and "shown to managers" in page
    assert "Counts from 1 to 4 are shown as &lt;5" in page


def test_a_manager_sees_every_row_and_the_names(
    signed_in: Callable[[str], FlaskClient], event: dict[str, int]
) -> None:
    page = signed_in("manager").get(f"/trainings/{event['event']}").get_data(as_text=True)
    assert _participation(page) == {
        "Hotline Small": "3",
        "Hotline Mid": "12",
        "Hotline Big": "40",
        "Total": "55",
    }
    assert "Ada Example" in page and "shown as &lt;5" not in page


def test_the_hotline_pages_show_a_row_as_the_event_page_does(
    signed_in: Callable[[str], FlaskClient], event: dict[str, int]
) -> None:
    viewer = signed_in("viewer")
    small = viewer.get(f"/hotlines/{event['small']}").get_data(as_text=True)
    mid = viewer.get(f"/hotlines/{event['mid']}").get_data(as_text=True)
    assert "· &lt;5 people" in small and "· participants hidden" in mid
    assert "· 3 people" not in small and "· 12 people" not in mid


def test_the_threshold_setting_changes_which_rows_are_hidden(
    app: Flask,
    signed_in: Callable[[str], FlaskClient],
    event: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(app.config, "SMALL_COUNT_THRESHOLD", 2)
    page = signed_in("viewer").get(f"/trainings/{event['event']}").get_data(as_text=True)
    assert _participation(page)["Hotline Small"] == "3"
    monkeypatch.setitem(app.config, "SMALL_COUNT_THRESHOLD", 13)
    page = signed_in("viewer").get(f"/trainings/{event['event']}").get_data(as_text=True)
    assert _participation(page) == {
        "Hotline Small": "&lt;13",
        "Hotline Mid": "&lt;13",  # 3 + 12 = 15: each could be 3 to 12, nothing more to hide
        "Hotline Big": "40",
        "Total": "55",
    }


def test_the_board_pack_hides_small_participants_from_a_viewer_in_html_and_xlsx(
    in_app: InApp, signed_in: Callable[[str], FlaskClient], event: dict[str, int]
) -> None:
    with in_app() as s:  # a webinar of 2 people the same year: its kind's row is small
        hotline = factories.hotline(
            s, country="IS", events=[(date(2000, 1, 1), MembershipStatus.FULL)]
        )
        builders.training(
            s, on=date(YEAR, 6, 6), kind=TrainingKind.WEBINAR, hotlines=[(hotline, 2, None)]
        )
    viewer = signed_in("viewer")
    book = load_workbook(io.BytesIO(viewer.get(f"/board-pack/?year={YEAR}&format=xlsx").data))
    rows = list(book["Trainings"].iter_rows(values_only=True))
    kinds = {r[1]: r[3] for r in rows if r[0] == "Kind"}
    assert kinds == {"Webinar": "<5", "Workshop": "hidden"}  # 57 - 55 would give the 2 away
    total = next(r for r in rows if r[0] == "Total")
    assert total[2:] == (2, 57)
    cover = {str(r[0])[2:]: r[1] for r in book["Cover"].iter_rows(values_only=True) if r[0]}
    assert str(cover["small counts"]).startswith("Counts from 1 to 4 are shown as <5")
    page = viewer.get(f"/board-pack/?year={YEAR}").get_data(as_text=True)
    assert "&lt;5" in page and ">55<" not in page
    viewer.post("/auth/sign-out")
    book = load_workbook(
        io.BytesIO(signed_in("manager").get(f"/board-pack/?year={YEAR}&format=xlsx").data)
    )
    rows = list(book["Trainings"].iter_rows(values_only=True))
    assert {r[1]: r[3] for r in rows if r[0] == "Kind"} == {"Webinar": 2, "Workshop": 55}
