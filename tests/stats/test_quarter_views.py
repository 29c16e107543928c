"""The sign-off pages: submit from the grid, the review queue, approve / return / reopen on a
quarter's page, the state on the grid and the hotline's page."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.stats import grid as stats_grid
from coordapp.stats import quarters
from coordapp.stats.models import HotlineQuarter, QuarterState
from tests.stats.helpers import FULL, R, member

InApp = Callable[[], AbstractContextManager[Session]]


def _hotline_with_2025_q2(in_app: InApp, values: dict[str, str] = FULL) -> int:
    with in_app() as s:
        hotline = member(s)
        stats_grid.save_quarter_grid(
            s,
            hotline=hotline,
            year=2025,
            values={(code, 2): v for code, v in values.items()},
            today=date(2026, 1, 15),
        )
        return hotline.id


def _submit(client: FlaskClient, hotline_id: int) -> str:
    response = client.post(
        f"/statistics/grid/submit?hotline={hotline_id}&year=2025&quarter=2",
        data={},
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _record(in_app: InApp, hotline_id: int) -> HotlineQuarter:
    with in_app() as s:
        found = quarters.find_quarter(s, hotline_id=hotline_id, year=2025, quarter=2)
        assert found is not None
        s.expunge(found)
        return found


def test_a_manager_submits_from_the_grid_and_approves_from_the_queue(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    hotline_id = _hotline_with_2025_q2(in_app)
    web = signed_in("manager")
    grid = web.get(f"/statistics/grid?hotline={hotline_id}&year=2025").get_data(as_text=True)
    assert "Submit Q2 2025" in grid
    page = _submit(web, hotline_id)
    assert "is submitted for review" in page and 'data-quarter-state="submitted"' in page
    record = _record(in_app, hotline_id)
    queue = web.get("/quarters/review").get_data(as_text=True)
    assert f'data-queue-item="{record.id}"' in queue
    done = web.post(f"/quarters/{record.id}/approve", data={}, follow_redirects=True)
    assert "is approved and locked" in done.get_data(as_text=True)
    assert _record(in_app, hotline_id).state == QuarterState.APPROVED
    # Locked: the grid shows the values read-only and a save over them is refused.
    refused = web.post(f"/statistics/grid?hotline={hotline_id}&year=2025", data={f"c-{R}-2": "5"})
    assert refused.status_code == 422
    assert "approved and locked" in refused.get_data(as_text=True)
    hotline_page = web.get(f"/hotlines/{hotline_id}").get_data(as_text=True)
    assert "Approved (locked)" in hotline_page


def test_submitting_an_incomplete_quarter_from_the_grid_says_what_is_missing(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    hotline_id = _hotline_with_2025_q2(in_app, {R: "1000"})
    page = _submit(signed_in("manager"), hotline_id)
    assert "is incomplete" in page
    with in_app() as s:
        assert quarters.find_quarter(s, hotline_id=hotline_id, year=2025, quarter=2) is None


def test_returning_needs_a_comment_and_shows_it_to_the_hotline(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    hotline_id = _hotline_with_2025_q2(in_app)
    web = signed_in("manager")
    _submit(web, hotline_id)
    record = _record(in_app, hotline_id)
    refused = web.post(f"/quarters/{record.id}/return", data={"return-comment": "  "})
    assert refused.status_code == 422 and "Give a comment" in refused.get_data(as_text=True)
    assert _record(in_app, hotline_id).state == QuarterState.SUBMITTED
    web.post(f"/quarters/{record.id}/return", data={"return-comment": "Check Q2 received"})
    grid = web.get(f"/statistics/grid?hotline={hotline_id}&year=2025").get_data(as_text=True)
    assert "Returned for correction" in grid and "Check Q2 received" in grid


def test_reopening_needs_a_reason(signed_in: Callable[[str], FlaskClient], in_app: InApp) -> None:
    hotline_id = _hotline_with_2025_q2(in_app)
    web = signed_in("manager")
    _submit(web, hotline_id)
    record = _record(in_app, hotline_id)
    web.post(f"/quarters/{record.id}/approve", data={})
    refused = web.post(f"/quarters/{record.id}/reopen", data={"reopen-reason": ""})
    assert refused.status_code == 422
    assert "Give the reason" in refused.get_data(as_text=True)
    assert _record(in_app, hotline_id).state == QuarterState.APPROVED
    web.post(f"/quarters/{record.id}/reopen", data={"reopen-reason": "A typo in received"})
    assert _record(in_app, hotline_id).state == QuarterState.REOPENED


def test_a_viewer_can_read_but_not_approve_or_see_the_queue(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    hotline_id = _hotline_with_2025_q2(in_app)
    with in_app() as s:
        record = HotlineQuarter(
            hotline_id=hotline_id,
            period_start=date(2025, 4, 1),
            period_end=date(2025, 6, 30),
            state=QuarterState.SUBMITTED,
        )
        s.add(record)
        s.flush()
        record_id = record.id
    web = signed_in("viewer")
    page = web.get(f"/quarters/{record_id}").get_data(as_text=True)
    assert "Submitted, awaiting review" in page and "Approve and lock" not in page
    assert web.post(f"/quarters/{record_id}/approve", data={}).status_code == 403
    assert web.get("/quarters/review").status_code == 403
    assert _record(in_app, hotline_id).state == QuarterState.SUBMITTED
