"""A partnerships manager in real Chromium: a new partner, a partnership, a USD pledge split over
two pillars, and all of it on the partner's page. No request leaves localhost.

Uses the ``server`` fixture of tests/browser/conftest.py (the app on its own SQLite, demo loaded).
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser
MANAGER = ("manager@coordapp.example", "coordapp-demo")


def test_manager_records_a_partner_a_partnership_and_a_split_usd_pledge(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    outside: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.on(
                "request",
                lambda r: (
                    None
                    if r.url.startswith((server + "/", "data:", "blob:"))
                    else outside.append(r.url)
                ),
            )
            page.goto(server + "/auth/sign-in")
            page.fill("input[name=email]", MANAGER[0])
            page.fill("input[name=password]", MANAGER[1])
            page.click("[type=submit]")
            page.wait_for_url(server + "/")

            # A new partner.
            page.goto(server + "/organizations/new")
            page.get_by_label("Name").fill("Aurora Search Ltd")
            page.get_by_label("Kind").select_option("industry")
            page.get_by_label("Status").select_option("active")
            page.get_by_label("HQ country").select_option("IE")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("heading", name="Aurora Search Ltd")).to_be_visible()
            partner_url = page.url

            # A partnership, started from the partner's page.
            page.get_by_role("link", name="New partnership").click()
            page.get_by_label("Title").fill("Aurora classifier grant")
            page.get_by_label("Type").select_option("funding")
            page.locator("#pillars").select_option(
                label=["Capacity Building", "Technology & Innovation"]
            )
            page.get_by_label("Start date").fill("2026-01-01")
            page.get_by_label("End date").fill("2027-12-31")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("heading", name="Aurora classifier grant")).to_be_visible()

            # A USD pledge, split over the two pillars by amount.
            page.goto(server + "/commitments/new")
            page.get_by_label("Title").fill("Aurora pledge 2026")
            page.locator("#funder").fill("Aurora Search Ltd")
            page.locator("#currency_code").select_option("USD")
            page.locator("#amount").fill("100000.00")
            page.get_by_label("Pledged on").fill("2026-02-01")
            page.get_by_label("Period start").fill("2026-02-01")
            page.get_by_label("Period end").fill("2027-12-31")
            page.get_by_label("Capacity Building").fill("60000.00")
            page.get_by_label("Technology & Innovation").fill("40000.00")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_role("heading", name="Aurora pledge 2026")).to_be_visible()
            expect(page.locator("body")).to_contain_text("60,000.00")
            expect(page.locator("body")).to_contain_text("40,000.00")

            # Everything on the partner's page.
            page.goto(partner_url)
            body = page.locator("body")
            expect(body).to_contain_text("Aurora classifier grant")
            expect(body).to_contain_text("Aurora pledge 2026")
            expect(body).to_contain_text("USD 100,000.00")
        finally:
            browser.close()
    assert outside == [], f"requests left localhost: {outside}"
