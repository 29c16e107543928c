"""Every form field has an accessible name, on every page of the app, in real Chromium.

The pages come from the app's own URL map: every GET route of the Flask blueprints (the records
registry's list / detail / new / edit pages, sign-in, users, import, tokens, the statistics grid,
exchange-rate upload, participation edit …). A route with parameters must be in ``OPEN_WITH`` or
``NOT_PAGES`` below, so a new page cannot slip past the check. On each page, every visible
input, select and textarea needs a name from <label for>, a wrapping <label>, aria-label or
aria-labelledby; a label without text does not count.

Form pages leave a PNG in the artifacts; pages are watched as everywhere in the browser suite.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from flask import Flask

from tests.browser.conftest import Shots

pytestmark = pytest.mark.browser

# Not HTML pages with forms: downloads, JSON, health. Each needs a reason.
NOT_PAGES = {
    "main.health": "JSON health check",
    "imports.template": "a CSV/XLSX template download",
    "imports.progress": "JSON polled while an import runs",
    "partners.lookup_organizations": "JSON for the organization picker",
    "main.filter_suggestions": "JSON suggestions for a typed list filter",
    "main.login": "a redirect to the sign-in page",
    "funding.partnerships_of_funder": "JSON for the partnership picker",
    "auth.users_export": "a personal-data download (JSON)",
    "boardpack.pack_pdf": "a PDF download",
    "main.calendar_feed": "an iCalendar feed for calendar apps",
    "partners.contacts_export": "a personal-data download (JSON)",
    # A hotline user's pages (404 to everyone else) and the one-time set-password link: their
    # fields are checked by tests/browser/test_hotline_quarter.py, as the hotline user.
    "auth.set_password": "opened with a fresh link in test_hotline_quarter.py",
    "portal.home": "the hotline user's own page (404 to others), in test_hotline_quarter.py",
    "portal.hotline": "the hotline user's own page, in test_hotline_quarter.py",
    "portal.profile": "the hotline user's profile form, in test_hotline_quarter.py",
    "portal.contact_new": "the hotline user's contact form, in test_hotline_quarter.py",
    "portal.contact_edit": "the same form as portal.contact_new",
    "portal.figures": "the hotline user's figures, in test_hotline_quarter.py",
    "auth.users_hotlines": "a hotline user's hotlines: the invite form's field, /auth/users/invite",
}
# Routes with parameters other than a record's id, and how to open one.
OPEN_WITH: dict[str, str] = {
    "network.country_detail": "/countries/DE",
    # The seeded metric definitions: the first is "reports received", version 1.
    "reference.metrics_edit": "/reference/metrics/1/edit",
    "reference.metrics_new_version": "/reference/metrics/1/new-version",
    "reference.metrics_retire": "/reference/metrics/1/retire",
}
SHOT_ALSO = ("/statistics/grid?", "/exchange-rates/upload", "/import/", "/auth/tokens")
# Route prefixes that are not Flask pages (Dash, the JSON API, static files).
OTHER_PREFIXES = ("/dashboards", "/api/v1", "/static", "/bootstrap/static", "/_dash")

UNLABELLED = """() => {
  const named = (el) => {
    if ((el.getAttribute('aria-label') || '').trim()) return true;
    const by = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean);
    if (by.some(id => (document.getElementById(id)?.textContent || '').trim())) return true;
    return [...(el.labels || [])].some(label => label.textContent.trim());
  };
  const visible = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== 'hidden';
  };
  return [...document.querySelectorAll('input, select, textarea')]
    .filter(el => !['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type))
    .filter(visible)
    .filter(el => !named(el))
    .map(el => `${el.tagName.toLowerCase()}#${el.id || '?'}[name=${el.name || '?'}]`);
}"""

# Record pages take their id through the app's id converter (coordapp.inputs, 1..2^31-1).
RECORD_ID = "<id:record_id>"


def _get_rules(app: Flask) -> dict[str, str]:
    rules = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule.startswith(OTHER_PREFIXES):
            continue
        if rule.endpoint in rules:
            continue
        rules[rule.endpoint] = rule.rule
    return rules


def _first_record(page: Any, server: str, list_url: str, detail_rule: str) -> str:
    """The first record linked from a list page, as its detail URL."""
    pattern = re.compile("^" + re.escape(detail_rule).replace(re.escape(RECORD_ID), r"\d+") + "$")
    page.goto(server + list_url)
    for href in page.locator("main a[href]").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))"
    ):
        if pattern.match(href.split("?")[0]):
            return str(href.split("?")[0])
    raise AssertionError(f"no record linked from {list_url} (looked for {detail_rule})")


def _pages(app: Flask, page: Any, server: str) -> list[str]:
    """Every Flask page to check, as paths, parameters filled from the demo data."""
    rules = _get_rules(app)
    urls: list[str] = []
    records: dict[str, str] = {}
    unknown = []
    for endpoint, rule in sorted(rules.items()):
        if endpoint in NOT_PAGES:
            continue
        if endpoint in OPEN_WITH:
            urls.append(OPEN_WITH[endpoint])
        elif "<" not in rule:
            urls.append(rule)
        elif endpoint in ("training.participation_edit", "compliance.item_edit"):
            continue  # found below, from a training's page and a hotline's page
        elif re.fullmatch(r"[^<]*" + re.escape(RECORD_ID) + r"[^<]*", rule):
            prefix = endpoint.rsplit("_", 1)[0]
            list_rule, detail_rule = rules.get(prefix + "_list"), rules.get(prefix + "_detail")
            if list_rule is None or detail_rule is None:
                unknown.append(endpoint)
                continue
            if prefix not in records:
                records[prefix] = _first_record(page, server, list_rule, detail_rule)
            record_id = records[prefix].rsplit("/", 1)[1]
            urls.append(rule.replace(RECORD_ID, record_id))
        else:
            unknown.append(endpoint)
    assert not unknown, f"routes with parameters the label check cannot open: {unknown}"
    # A row of participation: from the first training with one.
    page.goto(server + "/trainings/?sort=-participants")
    training = _first_record(
        page, server, "/trainings/?sort=-participants", rules["training.trainings_detail"]
    )
    page.goto(server + training)
    edit = page.locator("a[href*='/participation/'][href$='/edit']").first
    urls.append(str(edit.get_attribute("href")))
    # The quarterly grid's inputs appear once a hotline is chosen.
    hotline_page = _first_record(page, server, "/hotlines/", rules["network.hotlines_detail"])
    hotline = hotline_page.rstrip("/").rsplit("/", 1)[-1]
    urls.append(f"{rules['stats.statistics_grid']}?hotline={hotline}&year={date.today().year}")
    # A compliance item's form: from the hotline's page (its compliance section).
    page.goto(server + hotline_page)
    item = page.locator("#compliance a[href*='/compliance/']").first
    urls.append(str(item.get_attribute("href")))
    return urls


def test_every_form_field_has_an_accessible_name(
    app: Flask, server: str, open_page: Callable[..., Any], shots: Shots
) -> None:
    problems: dict[str, list[str]] = {}

    # Signed out: the sign-in form.
    anonymous = open_page(None)
    anonymous.goto(server + "/auth/sign-in")
    if missing := anonymous.evaluate(UNLABELLED):
        problems["/auth/sign-in"] = missing
    shots(anonymous, "sign in")

    page = open_page("admin")
    urls = _pages(app, page, server)
    assert len(urls) >= 40, urls
    with_fields = 0
    for url in urls:
        response = page.goto(server + url, wait_until="domcontentloaded")
        assert response is not None and response.ok, f"{url}: {response and response.status}"
        if missing := page.evaluate(UNLABELLED):
            problems[url] = missing
        fields = page.locator("main input:visible, main select:visible, main textarea:visible")
        if fields.count():
            with_fields += 1
            # One picture per kind of form (an edit form looks like its new form).
            if url.endswith("/new") or url.startswith(SHOT_ALSO) or "/participation/" in url:
                shots(page, url.strip("/"))
    print(f"checked {len(urls)} pages, {with_fields} with form fields:", urls)
    assert with_fields >= 30, f"only {with_fields} pages had form fields: {urls}"
    assert not problems, f"form fields without an accessible name: {problems}"
