"""A manager subscribes to their calendar feed, in real Chromium, on the demo network: the user
menu leads to the page, the address is shown once, a calendar app (no cookies) reads the feed
with the manager's due dates and links that open their records, and revoking ends it."""

from __future__ import annotations

from collections.abc import Callable

import icalendar
import pytest

from tests.browser.conftest import Shots

pytestmark = pytest.mark.browser


def test_a_manager_subscribes_to_their_due_dates_then_revokes(
    server: str, open_page: Callable[..., object], shots: Shots
) -> None:
    from playwright.sync_api import Page, expect

    page = open_page("manager")
    assert isinstance(page, Page)
    page.goto(server + "/")
    page.locator("nav .dropdown-toggle", has_text="Partnerships Manager").click()
    page.get_by_role("link", name="My calendar feed").click()
    expect(page.get_by_role("heading", name="My calendar feed")).to_be_visible()
    page.get_by_role("button", name="Create my calendar address").click()
    address = page.locator("#calendar-address").inner_text().strip()
    assert address.startswith(server + "/calendar/") and address.endswith(".ics")
    shots(page, "address shown once")

    # A calendar app: its own client, without the manager's session cookie.
    calendar_app = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        response = calendar_app.request.get(address)
        assert response.status == 200
        assert response.headers["content-type"] == "text/calendar; charset=utf-8"
        feed = icalendar.Calendar.from_ical(response.body())
        events = feed.events
        assert events, "the demo manager owns items with due dates"
        assert len({str(e["UID"]) for e in events}) == len(events)
        first = str(events[0]["URL"])
        assert first.startswith(server + "/")
        opened = page.goto(first)
        assert opened is not None and opened.ok, first

        page.goto(server + "/auth/calendar")
        assert address not in page.content()
        page.get_by_role("button", name="Revoke the address").click()
        expect(page.get_by_role("button", name="Create my calendar address")).to_be_visible()
        shots(page, "revoked")
        assert calendar_app.request.get(address).status == 404
    finally:
        calendar_app.close()
