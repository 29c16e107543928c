"""The partnerships manager's Monday from DESIGN.md, in real Chromium, as the demo manager.

What needs attention (agreements lapsing within 90 days, partners quiet for six months), a USD
pledge for the Technology & Innovation pillar, last week's analyst training with the hotlines
that sent people, and a country moved to the next stage of the expansion pipeline; each change
is then checked where a colleague would look for it. Every step leaves a PNG in the artifacts.

Uses the fixtures of tests/browser/conftest.py: the app on its own SQLite with the demo network,
pages watched for requests off localhost and console errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta

import pytest

from tests.browser.conftest import Shots

pytestmark = pytest.mark.browser
EXPANSION_STAGES = [
    "Identified",
    "Scoping",
    "Stakeholder engagement",
    "Hotline set-up",
    "Applicant",
    "Member",
]


def _dates(text: str) -> list[date]:
    return [date.fromisoformat(d) for d in re.findall(r"\d{4}-\d{2}-\d{2}", text)]


def test_a_managers_monday(server: str, open_page: Callable[..., object], shots: Shots) -> None:
    from playwright.sync_api import Page, expect

    page = open_page("manager")
    assert isinstance(page, Page)
    today = date.today()

    # 1. Home: what needs attention this week.
    page.goto(server + "/")
    renewals = page.locator("#attention-renewals")
    contacts = page.locator("#attention-contacts")
    expect(renewals).to_be_visible()
    shots(page, "home needs attention")
    assert int(renewals.locator("[data-attention=renewals]").inner_text()) > 0
    renewal_items = renewals.locator("li.list-group-item")
    assert renewal_items.count() > 0
    ends_soon = []
    for text in renewal_items.all_inner_texts():
        # "renewal (was) due <date>, ends <date>": the renewal date falls within 90 days, or is
        # past while the agreement is still marked active (a decision is overdue).
        due, ends = _dates(text)[:2]
        assert due <= today + timedelta(days=90), text
        ends_soon.append(today <= ends <= today + timedelta(days=90))
    assert any(ends_soon), "no agreement on the list lapses within the next 90 days"
    assert int(contacts.locator("[data-attention=contacts]").inner_text()) > 0
    for text in contacts.locator("li.list-group-item").all_inner_texts():
        if "more" in text and not _dates(text):
            continue
        if "never contacted" in text:
            continue
        (last,) = _dates(text)
        assert last < today - timedelta(days=180), text
    # One of the renewals, followed to the agreement itself.
    first_renewal = renewal_items.first.get_by_role("link").first
    title = first_renewal.inner_text()
    first_renewal.click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    shots(page, "renewal due partnership")

    # 2. A new pledge in USD, all of it for Technology & Innovation.
    page.goto(server + "/commitments/new")
    page.get_by_label("Title", exact=True).fill("Nimbus safety tooling pledge")
    page.locator("#funder").fill("Nimbus Cloud Services")
    page.get_by_label("Currency", exact=True).select_option("USD")
    page.get_by_label("Amount pledged", exact=True).fill("75000.00")
    page.get_by_label("Pledged on", exact=True).fill(today.isoformat())
    page.get_by_label("Period start", exact=True).fill(today.isoformat())
    page.get_by_label("Period end", exact=True).fill((today + timedelta(days=365)).isoformat())
    page.get_by_label("Technology & Innovation", exact=True).fill("75000.00")
    shots(page, "pledge form filled")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name="Nimbus safety tooling pledge")).to_be_visible()
    body = page.locator("main")
    expect(body).to_contain_text("The commitment was created.")
    expect(body).to_contain_text("USD 75,000.00")
    expect(body).to_contain_text("Technology & Innovation")
    shots(page, "pledge saved")
    page.goto(server + "/commitments/?q=Nimbus+safety+tooling")
    expect(page.locator("main table")).to_contain_text("Nimbus safety tooling pledge")
    expect(page.locator("main table")).to_contain_text("75,000.00")
    shots(page, "pledge in the list")

    # 3. Last week's analyst training and who took part.
    monday = today - timedelta(days=today.weekday() + 7)
    page.goto(server + "/trainings/new")
    page.get_by_label("Title", exact=True).fill(
        "Analyst training: image classification, autumn cohort"
    )
    page.get_by_label("Kind", exact=True).select_option("workshop")
    page.get_by_label("Pillar", exact=True).select_option(label="Capacity Building")
    page.get_by_label("Topics", exact=True).fill("image classification, analyst wellbeing")
    page.get_by_label("Start date", exact=True).fill(monday.isoformat())
    page.get_by_label("End date", exact=True).fill((monday + timedelta(days=2)).isoformat())
    page.get_by_label("Delivery", exact=True).select_option("online")
    page.get_by_role("button", name="Save").click()
    heading = page.get_by_role("heading", name="Analyst training: image classification")
    expect(heading).to_be_visible()
    training_url = page.url
    sent = {"Meldpunt Veilig Net": 3, "Hotline Éire": 2}
    for hotline, people in sent.items():
        form = page.locator("form[action*='/participation']").last
        form.get_by_label("Hotline", exact=True).select_option(label=hotline)
        form.get_by_label("Participants", exact=True).fill(str(people))
        form.get_by_label("Completed", exact=True).fill(str(people))
        form.get_by_role("button", name="Add row").click()
        expect(page.locator("#participation")).to_contain_text(hotline)
    expect(page.locator("[data-total=participants]")).to_have_text("5")
    rows = page.locator("#participation tbody tr")
    for hotline, people in sent.items():
        row = rows.filter(has_text=hotline)
        expect(row.locator("td").nth(2)).to_have_text(str(people))
    expect(page.locator("[data-reach=NL]")).to_have_text("3")
    expect(page.locator("[data-reach=IE]")).to_have_text("2")
    shots(page, "training with participation")
    page.goto(server + "/trainings/?q=autumn+cohort")
    expect(page.locator("main table")).to_contain_text("Analyst training: image classification")
    shots(page, "training in the list")
    link = page.locator("main table tbody").get_by_role("link", name="Analyst training: image")
    assert training_url.endswith(str(link.get_attribute("href")))

    # 4. A country one stage further in the expansion pipeline.
    page.goto(server + "/expansion/")
    shots(page, "expansion pipeline")
    page.locator("main table").get_by_role("link", name="Vietnam", exact=True).click()
    move = page.locator("form[action*='/move']")
    expect(move).to_be_visible()
    stage_select = move.get_by_label("Move to stage", exact=True)
    before = stage_select.locator("option:checked").inner_text()
    assert before in EXPANSION_STAGES
    previous = EXPANSION_STAGES[EXPANSION_STAGES.index(before) - 1]
    move.get_by_label("Note", exact=True).fill("Legal desk research done; meetings planned")
    shots(page, "expansion move form")
    move.get_by_role("button", name="Move").click()
    expect(page.locator("main")).to_contain_text("Legal desk research done; meetings planned")
    # The current stage is highlighted in the time-per-stage table and in the stage history.
    current = page.locator("tr.table-primary")
    expect(current.first).to_contain_text(before)
    expect(current.first).to_contain_text("current")
    expect(current.last).to_contain_text(f"{today.isoformat()} {before}")
    shots(page, "expansion moved")
    page.goto(server + "/expansion/?q=Vietnam")
    row = page.locator("main table tbody tr").filter(has_text="Vietnam")
    expect(row).to_contain_text(before)
    assert previous not in row.inner_text()
    shots(page, "expansion list after the move")
