"""Money forms that catch mistakes (#14 item 5), in real Chromium as the demo manager: the
receipt's currency follows the commitment chosen, a receipt over its commitment is asked about
with what was typed kept, and a currency no rate converts is saved with a link that opens the
rate form filled in. Every step leaves a PNG in the artifacts."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Shots

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


def save_anyway_if_asked(page: Page) -> None:
    """The demo pledge chosen may not cover today: then the period is asked about (and only
    that), and "Save anyway" saves the receipt as it is."""
    from playwright.sync_api import expect

    created = page.get_by_text("The receipt was created.")
    save_anyway = page.get_by_role("button", name="Save anyway")
    expect(created.or_(save_anyway)).to_be_visible()
    if save_anyway.count():
        expect(page.get_by_text("more than the commitment")).to_have_count(0)
        expect(page.get_by_text("period")).to_be_visible()
        press(page, "Save anyway")
    expect(created).to_be_visible()


def press(page: Page, button: str) -> None:
    """Submit the form with ``button`` and wait for the page it answers with."""
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).click()


def test_a_receipt_follows_its_commitment_and_is_checked(
    server: str, open_page: Callable[..., object], shots: Shots
) -> None:
    from playwright.sync_api import Page, expect

    page = open_page("manager")
    assert isinstance(page, Page)
    today = date.today().isoformat()

    page.goto(server + "/receipts/new")
    currency = page.get_by_label("Currency", exact=True)
    expect(currency).to_have_value("")
    commitment = page.get_by_label("Commitment", exact=True)
    # A commitment in a currency other than the reporting one, to see the box follow it.
    options = commitment.locator("option[data-fill]:not([data-fill=EUR])")
    chosen = options.first.get_attribute("value")
    pledge_currency = options.first.get_attribute("data-fill")
    assert chosen and pledge_currency
    commitment.select_option(chosen)
    expect(currency).to_have_value(pledge_currency)
    shots(page, "currency follows the commitment")
    # Another currency chosen by hand is kept.
    currency.select_option("CHF")
    expect(currency).to_have_value("CHF")
    currency.select_option(pledge_currency)

    # Far more than the pledge: asked first, nothing typed lost.
    page.get_by_label("Received on", exact=True).fill(today)
    page.get_by_label("Amount received", exact=True).fill("999999999")
    page.get_by_label("Reference", exact=True).fill("BROWSER-OVER")
    press(page, "Save")
    expect(page.get_by_text("Nothing was saved yet")).to_be_visible()
    expect(page.get_by_text("more than the commitment")).to_be_visible()
    expect(page.get_by_label("Amount received", exact=True)).to_have_value("999999999")
    expect(page.get_by_label("Reference", exact=True)).to_have_value("BROWSER-OVER")
    expect(currency).to_have_value(pledge_currency)
    shots(page, "over the commitment asks first")
    page.get_by_label("Amount received", exact=True).fill("10")
    press(page, "Save")
    # Corrected, the amount is no longer asked about; a demo pledge whose period has not begun
    # (or has ended) is still asked about, and "Save anyway" saves it as it is.
    save_anyway_if_asked(page)

    # A currency no rate converts: saved, with the way to add the rate.
    page.goto(server + f"/receipts/new?commitment={chosen}")
    expect(currency).to_have_value(pledge_currency)
    currency.select_option("AED")
    page.get_by_label("Received on", exact=True).fill(today)
    page.get_by_label("Amount received", exact=True).fill("500")
    press(page, "Save")
    save_anyway_if_asked(page)
    expect(page.get_by_text("receipt of AED 500.00 is left out")).to_be_visible()
    shots(page, "no rate warning with a link")
    page.get_by_role("link", name="Add the AED rate").click()
    expect(page.get_by_label("Base currency", exact=True)).to_have_value("EUR")
    expect(page.get_by_label("Quote currency", exact=True)).to_have_value("AED")
    expect(page.get_by_label("Date", exact=True)).to_have_value(today)
    shots(page, "rate form filled in")
