"""Only signed-in users reach the dashboards; Dash's endpoints answer 401 JSON otherwise, and
callback POSTs from another origin are refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from dashboards import pages
from tests.dashboards.conftest import UPDATE_URL, call, filter_id, prop

PAGE_PATHS = ["/dashboards/", *[page.path for page in pages()]]
DASH_ENDPOINTS = ["/dashboards/_dash-layout", "/dashboards/_dash-dependencies"]
# One callback per page, with the page's own inputs.
PAGE_CALLBACKS = {
    "map": (
        "map-panel.children",
        [prop(filter_id("country"), "value", ""), prop(filter_id("year"), "value", 2000)],
    ),
    "overview": (
        "..overview-tiles.children...overview-rates.children...overview-growth.figure...overview-empty.children...overview-kpi-table.children..",
        [prop(filter_id("currency"), "value", "EUR")],
    ),
    "partnerships": (
        "..p-tiles.children...p-status.figure...p-type.figure...p-pillar.figure...p-kind.figure...p-years.figure"
        "...p-renewals.children...partnerships-empty.children..",
        [prop(filter_id("status"), "value", None)],
    ),
    "funding": (
        "..f-years.figure...f-pillar-pledged.figure...f-pillar-received.figure...f-funders.figure"
        "...f-kinds.figure...funding-rates.children...funding-empty.children...f-cash.figure"
        "...f-cash-rates.children..",
        [
            prop(filter_id(n), "value", v)
            for n, v in (("from", 2020), ("to", 2021), ("currency", "EUR"), ("rates", "row"))
        ],
    ),
    "training": (
        "..t-events.figure...t-participants.figure...t-countries.figure...t-hotlines.figure"
        "...t-feedback.figure...training-empty.children..",
        [
            prop(filter_id(n), "value", v)
            for n, v in (("from", 2020), ("to", 2021), ("kind", None), ("pillar", None))
        ],
    ),
    "pillars": (
        "..pl-progress.figure...pl-table.children...pillars-note.children..",
        [prop(filter_id("year"), "value", 2024)],
    ),
    "activity": (
        "..a-trend.figure...a-groups.figure...activity-definition.children...a-rates.figure..",
        [
            prop(filter_id(n), "value", v)
            for n, v in (
                ("metric", "reports_received"),
                ("by", "region"),
                ("region", None),
                ("from", 2020),
                ("to", 2021),
            )
        ],
    ),
}


def test_every_page_has_an_access_check() -> None:
    assert set(PAGE_CALLBACKS) == {page.slug for page in pages()}


@pytest.mark.parametrize("path", PAGE_PATHS)
def test_pages_redirect_to_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path + "?year=2001")
    assert response.status_code == 302
    assert "/auth/sign-in" in response.headers["Location"]
    assert "next=" in response.headers["Location"]


@pytest.mark.parametrize("path", DASH_ENDPOINTS)
def test_dash_endpoints_answer_401_json(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 401
    assert response.get_json()["status"] == 401


@pytest.mark.parametrize("slug", sorted(PAGE_CALLBACKS))
def test_each_pages_callback_needs_sign_in(client: FlaskClient, slug: str) -> None:
    output, inputs = PAGE_CALLBACKS[slug]
    response = call(client, output, inputs)
    assert response.status_code == 401
    assert response.is_json and response.get_json()["error"] == "Unauthorized"


@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
def test_signed_in_users_see_every_page(signed_in: Callable[[str], FlaskClient], role: str) -> None:
    client = signed_in(role)
    for slug, (output, inputs) in PAGE_CALLBACKS.items():
        assert client.get(f"/dashboards/{slug}").status_code == 200, slug
        assert call(client, output, inputs).status_code == 200, slug


def test_cross_site_callback_posts_are_refused(signed_in: Callable[[str], FlaskClient]) -> None:
    client = signed_in("viewer")
    output, inputs = PAGE_CALLBACKS["overview"]
    assert (
        call(client, output, inputs, headers={"Origin": "https://evil.example"}).status_code == 403
    )
    assert call(client, output, inputs, headers={}).status_code == 403
    assert (
        client.post(UPDATE_URL, json={}, headers={"Referer": "https://evil.example/x"}).status_code
        == 403
    )


def test_the_navbar_lists_every_dashboard(signed_in: Callable[[str], FlaskClient]) -> None:
    html = signed_in("viewer").get("/").get_data(as_text=True)
    for page in pages():
        assert f'href="{page.path}"' in html, page.path
