"""A hotline user's quarter, in real Chromium on the demo network: an admin invites a person
for Nätvakt Sverige (the demo hotline with no figures yet), who opens the one-time link, sets a
password, lands on their hotline, enters the first quarter of the year and submits it; a
manager approves it from the review queue; the hotline user then sees it approved and locked.
Every step leaves a PNG in the artifacts; each waits for what the page shows, never a timer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.browser.conftest import Shots
from tests.browser.test_form_labels import UNLABELLED

pytestmark = pytest.mark.browser
HOTLINE = "Nätvakt Sverige"
PASSWORD = "Sverige-quarterly-figures-2026!"


def test_a_hotline_users_quarter_from_invitation_to_approval(
    server: str, open_page: Callable[..., object], shots: Shots
) -> None:
    from playwright.sync_api import Page, expect

    # 1. The admin invites the hotline's analyst and is shown the set-password link once.
    admin = open_page("admin")
    assert isinstance(admin, Page)
    admin.goto(server + "/auth/users/invite")
    admin.fill("#full_name", "Sverige Analyst")
    admin.fill("#email", "analyst.se@coordapp.example")
    admin.select_option("#hotlines", label=f"{HOTLINE} · Sweden")
    admin.get_by_role("button", name="Invite").click()
    link_field = admin.locator("[data-set-password-link]")
    expect(link_field).to_be_visible()
    link = link_field.input_value()
    assert "/auth/set-password/" in link
    shots(admin, "admin has the set-password link")

    # 2. The analyst opens the link, sets a password and lands on their hotline's page.
    analyst = open_page(None)
    assert isinstance(analyst, Page)
    analyst.goto(link)
    assert analyst.evaluate(UNLABELLED) == []  # every field named (test_form_labels' check)
    analyst.fill("#password", PASSWORD)
    analyst.fill("#confirm", PASSWORD)
    analyst.get_by_role("button", name="Set my password and sign in").click()
    expect(analyst.locator("h1[data-my-hotline]")).to_have_text(HOTLINE)
    expect(analyst.locator("[data-section=compliance]")).to_be_visible()
    shots(analyst, "the hotline's own page")
    home = analyst.url
    for path in ("/profile", "/contacts/new"):
        analyst.goto(home.rstrip("/") + path)
        assert analyst.evaluate(UNLABELLED) == [], path
    analyst.goto(home)

    # 3. They enter the first quarter of the year, save, and submit it.
    analyst.get_by_role("link", name="Enter quarterly figures").click()
    row = analyst.locator('tr[data-quarter="1"]')
    expect(row.locator("[data-quarter-state=draft]")).to_be_visible()
    assert analyst.evaluate(UNLABELLED) == []
    label = row.locator("th").first.inner_text().splitlines()[0].strip()  # "Q1 <year>"
    inputs = row.locator("input.form-control")
    assert inputs.count() >= 4
    for index in range(inputs.count()):
        cell = inputs.nth(index)
        # Counts whole; the share (%) and the median days take 2.5 alike.
        cell.fill("40" if cell.get_attribute("inputmode") == "numeric" else "2.5")
    analyst.get_by_role("button", name="Save the figures").click()
    expect(analyst.get_by_text(re.compile(r"Saved: \d+ added"))).to_be_visible()
    analyst.get_by_role("button", name=f"Submit {label}").click()
    expect(analyst.get_by_text(f"{label} of {HOTLINE} is submitted for review.")).to_be_visible()
    expect(row.locator("[data-quarter-state=submitted]")).to_be_visible()
    expect(row.locator("input.form-control")).to_have_count(0)
    shots(analyst, "submitted and awaiting review")

    # 4. A manager approves it from the review queue.
    manager = open_page("manager")
    assert isinstance(manager, Page)
    manager.goto(server + "/quarters/review")
    item = manager.locator("[data-queue-item]", has_text=f"{HOTLINE} · {label}")
    expect(item).to_have_count(1)
    shots(manager, "the review queue")
    item.get_by_role("button", name="Approve and lock").click()
    expect(manager.get_by_text(f"{label} of {HOTLINE} is approved and locked.")).to_be_visible()
    expect(manager.locator("[data-queue-item]", has_text=f"{HOTLINE} · {label}")).to_have_count(0)

    # 5. The analyst sees the quarter approved and locked: no input left in its row.
    analyst.reload()
    expect(row.locator("[data-quarter-state=approved]")).to_contain_text("Approved (locked)")
    expect(row.locator("input.form-control")).to_have_count(0)
    expect(analyst.get_by_role("button", name=f"Submit {label}")).to_have_count(0)
    shots(analyst, "approved and locked")
