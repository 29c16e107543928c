"""The Content-Security-Policy in real Chromium: the main pages load and work under it, and the
browser reports no violation on any of them (an inline script, style or handler slipping into a
template, or a Dash/Plotly upgrade that needs something new, fails here).

Drives Debian's /usr/bin/chromium through Playwright (never a downloaded browser).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

pytestmark = pytest.mark.browser

MANAGER = ("manager@coordapp.example", "coordapp-demo")

# Every violation the page sees, reported through the console (where the test collects it).
REPORT_VIOLATIONS = """
document.addEventListener('securitypolicyviolation', (e) => {
  console.error('CSP-VIOLATION ' + JSON.stringify({
    directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile,
    line: e.lineNumber, sample: e.sample,
  }));
});
"""


def test_main_pages_work_with_no_csp_violation(server: str, browser: Any) -> None:
    from playwright.sync_api import Page, expect

    problems: list[str] = []
    policies: dict[str, str | None] = {}

    def on_console(message: Any) -> None:
        text = message.text
        if "CSP-VIOLATION" in text or "Content Security Policy" in text:
            problems.append(f"{message.page.url if message.page else ''}: {text}")

    def visit(page: Page, path: str) -> None:
        response = page.goto(server + path)
        assert response is not None and response.ok, path
        policies[path] = response.headers.get("content-security-policy")

    # The session's one Chromium (tests/browser/conftest.py), in a context of this test's own.
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    try:
        page = context.new_page()
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

        visit(page, "/auth/sign-in")
        page.fill("input[name=email]", MANAGER[0])
        page.fill("input[name=password]", MANAGER[1])
        page.click("[type=submit]")
        page.wait_for_url(server + "/")

        visit(page, "/")
        expect(page.locator("main h1").first).to_be_visible()

        visit(page, "/organizations/")
        expect(page.locator("table tbody tr").first).to_be_visible()

        visit(page, "/organizations/new")
        expect(page.get_by_label("Name", exact=True)).to_be_visible()

        # The commitment form's scripts (now static files) still run: the running total
        # of the pillar split follows what is typed.
        visit(page, "/commitments/new")
        page.locator("#currency_code").select_option("USD")
        page.locator("#amount").fill("1000.00")
        page.get_by_label("Capacity Building").fill("600.00")
        page.get_by_label("Technology & Innovation").fill("400.00")
        expect(page.locator("[data-total]")).to_contain_text("USD 1,000.00 of USD 1,000.00 ✓")

        # A commitment's page: its received-share bar is sized by coordapp.js (no style="").
        visit(page, "/commitments/")
        page.locator("table tbody tr a").first.click()
        bar = page.locator(".progress-bar[data-width]").first
        expect(bar).to_be_attached()
        share = float(bar.get_attribute("data-width") or "nan")
        width = bar.evaluate("b => b.style.width")
        assert width == f"{min(max(share, 0), 100):g}%", (width, share)

        # The board pack's print button is wired by coordapp.js, its styles in coordapp.css.
        visit(page, "/board-pack/")
        expect(page.locator("[data-print]")).to_be_visible()
        assert page.locator(".pack-table td.num").first.evaluate(
            "cell => getComputedStyle(cell).textAlign"
        ) in ("right", "end")

        # The coverage map draws its shapes from the app's own topojson.
        visit(page, "/dashboards/map")
        shapes = page.locator("path.choroplethlocation")
        expect(shapes.nth(149)).to_be_attached(timeout=60_000)

        # The funding dashboard's charts render (bars drawn by Plotly).
        visit(page, "/dashboards/funding")
        chart = page.locator("#f-pillar-pledged .main-svg")
        expect(chart.first).to_be_attached(timeout=60_000)
        expect(page.locator("#f-pillar-pledged g.point path").first).to_be_attached(timeout=30_000)
        page.wait_for_load_state("networkidle")
    finally:
        context.close()

    # The policy was in force on every page (else "no violation" would prove nothing).
    for path, policy in policies.items():
        if path != "/":
            assert policy and "default-src 'self'" in policy, (path, policy)
    assert "'unsafe-inline'" not in (policies["/commitments/new"] or "")
    assert problems == [], json.dumps(problems, indent=1)
