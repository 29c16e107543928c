"""The demo viewer, in real Chromium, sees the demo's small figures as "<5" (Malta's forwarded
reports, Iceland's assessed and forwarded ones, small training rows), with the note that says
why; the demo manager sees them exactly. Every step leaves a PNG in the artifacts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import Shots

pytestmark = pytest.mark.browser


def test_a_viewer_sees_small_figures_hidden_and_a_manager_sees_them(
    server: str, open_page: Callable[..., Any], shots: Shots
) -> None:
    from playwright.sync_api import expect

    page = open_page("viewer")
    page.goto(server + "/statistics/?q=Iceland&metric=reports_forwarded")
    expect(page.locator("tbody td", has_text="<5").first).to_be_visible()
    shots(page, "statistics list as viewer")

    small_row = page.locator("tbody tr").filter(has=page.locator("td", has_text="<5")).first
    small_row.locator("a").click()
    expect(page.locator("[data-value]")).to_contain_text("<5")
    shots(page, "one value as viewer")

    page.goto(server + "/hotlines/?q=Iceland")
    page.locator("tbody a", has_text="Netöryggi Iceland").first.click()
    card = page.locator(".card", has_text="Statistics, latest quarters")
    # The demo's Iceland reports a few counts from 1 to 4 each quarter: each is hidden, and no
    # cell of the card shows one.
    expect(card.locator("[data-hidden-count]").first).to_be_visible()
    assert card.locator("[data-hidden-count]").count() >= 2
    cells = card.locator("td").all_inner_texts()
    assert not [c for c in cells if re.fullmatch(r"[1-4]", c.strip())], cells
    expect(card).to_contain_text("Counts from 1 to 4 are shown as <5")
    card.scroll_into_view_if_needed()
    shots(page, "hotline page as viewer", full_page=False)

    trainings = page.locator(".card", has_text="Trainings attended")
    trainings.locator("a").first.click()
    participation = page.locator("#participation")
    expect(participation).to_contain_text("Counts from 1 to 4 are shown as <5")
    participation.scroll_into_view_if_needed()
    shots(page, "training event as viewer", full_page=False)

    page.goto(server + "/dashboards/activity?metric=reports_forwarded&by=hotline&region=Europe")
    expect(page.locator("#activity-definition")).to_contain_text("shown as <5", timeout=60_000)
    page.wait_for_selector("#a-groups .main-svg")
    shots(page, "activity dashboard as viewer")

    manager = open_page("manager")
    manager.goto(server + "/statistics/?q=Iceland&metric=reports_forwarded")
    expect(manager.locator("tbody td", has_text="<5")).to_have_count(0)
    expect(manager.locator("tbody td", has_text="2").first).to_be_visible()
    shots(manager, "statistics list as manager")
