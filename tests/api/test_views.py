"""The REST API over HTTP: token auth, role limits, reads, writes and JSON errors."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.api.service import RESOURCES
from coordapp.auth import service as auth
from coordapp.auth.models import ApiToken
from coordapp.data_version import data_version
from coordapp.funding import amounts as funding_amounts
from coordapp.network.coverage import coverage_summary
from coordapp.partners import agreements
from coordapp.partners.models import Partnership
from coordapp.reference.models import Pillar
from coordapp.stats import grid as stats_grid
from coordapp.stats import service as stats
from coordapp.stats.models import HotlineQuarter, HotlineStatistic, QuarterState
from tests import factories
from tests._demo import load_demo_cached

InApp = Callable[[], AbstractContextManager[Session]]
TokenFor = Callable[[str], dict[str, str]]


def _assert_error(response: object, status: int) -> dict[str, object]:
    assert response.status_code == status, response.get_data(as_text=True)  # type: ignore[attr-defined]
    body = response.get_json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["error"] and body["message"]
    return body  # type: ignore[no-any-return]


# --- authentication ------------------------------------------------------------------------------


def test_no_token_bad_token_and_session_cookie_are_401(
    client: FlaskClient, signed_in: Callable[[str], FlaskClient]
) -> None:
    _assert_error(client.get("/api/v1/organizations"), 401)
    bad = {"Authorization": "Bearer cap_not-a-token"}
    _assert_error(client.get("/api/v1/organizations", headers=bad), 401)
    _assert_error(client.get("/api/v1/organizations", headers={"Authorization": "Basic x"}), 401)
    signed_in("admin")  # a session cookie is sent from now on
    assert client.get("/auth/tokens").status_code == 200
    response = client.get("/api/v1/organizations")
    _assert_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    _assert_error(client.post("/api/v1/partnerships", json={"title": "x"}), 401)


def test_token_lifecycle_through_the_page(
    client: FlaskClient, signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    signed_in("viewer")
    page = client.post("/auth/tokens", data={"name": "monthly figures"})
    assert page.status_code == 201
    html = page.get_data(as_text=True)
    with in_app() as s:
        token = s.scalars(sa.select(ApiToken).where(ApiToken.name == "monthly figures")).one()
        token_id, prefix, digest = token.id, token.prefix, token.token_hash
    start = html.index(prefix)
    plaintext = html[start : html.index("<", start)].strip()
    assert digest != plaintext and len(plaintext) > 30
    # Shown once: the list page afterwards names it by its prefix only.
    listing = client.get("/auth/tokens").get_data(as_text=True)
    assert "monthly figures" in listing and plaintext not in listing
    headers = {"Authorization": f"Bearer {plaintext}"}
    client.post("/auth/sign-out")
    assert client.get("/api/v1/organizations", headers=headers).status_code == 200
    signed_in("viewer")
    assert client.post(f"/auth/tokens/{token_id}/revoke").status_code == 302
    client.post("/auth/sign-out")
    _assert_error(client.get("/api/v1/organizations", headers=headers), 401)


def test_tokens_page_refuses_an_empty_name_and_others_tokens(
    client: FlaskClient,
    signed_in: Callable[[str], FlaskClient],
    token_for: TokenFor,
    in_app: InApp,
    users: dict[str, str],
) -> None:
    token_for("manager")
    with in_app() as s:
        manager_token = s.scalars(sa.select(ApiToken)).one().id
    signed_in("viewer")
    assert client.post("/auth/tokens", data={"name": ""}).status_code == 422
    assert client.post(f"/auth/tokens/{manager_token}/revoke").status_code == 403
    assert client.post("/auth/tokens/999999/revoke").status_code == 404
    assert users["manager"] not in client.get("/auth/tokens").get_data(as_text=True)
    client.post("/auth/sign-out")
    signed_in("admin")
    assert users["manager"] in client.get("/auth/tokens").get_data(as_text=True)
    assert client.post(f"/auth/tokens/{manager_token}/revoke").status_code == 302
    with in_app() as s:
        assert s.get_one(ApiToken, manager_token).revoked_at is not None


def test_anonymous_is_sent_to_sign_in_from_the_pages(client: FlaskClient) -> None:
    for path in ("/auth/tokens", "/api-docs"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]


def test_a_deactivated_users_token_stops_at_once(
    client: FlaskClient, token_for: TokenFor, in_app: InApp, users: dict[str, str]
) -> None:
    headers = token_for("manager")
    assert client.get("/api/v1/hotlines", headers=headers).status_code == 200
    with in_app() as s:
        auth.set_active(s, user=auth.get_required_by_email(s, users["manager"]), active=False)
    _assert_error(client.get("/api/v1/hotlines", headers=headers), 401)


# --- reads ---------------------------------------------------------------------------------------


@pytest.fixture
def demo(in_app: InApp) -> None:
    with in_app() as s:
        load_demo_cached(s, today=date(2026, 11, 26))


def test_every_list_and_detail_answers_with_pages(
    client: FlaskClient, token_for: TokenFor, demo: None
) -> None:
    headers = token_for("viewer")
    for resource in RESOURCES:
        path = f"/api/v1/{resource.slug}"
        first = client.get(f"{path}?per_page=25", headers=headers)
        assert first.status_code == 200, path
        body = first.get_json()
        assert body["total"] >= len(body["items"]) and body["per_page"] == 25
        if body["total"] > 25:
            second = client.get(f"{path}?per_page=25&page=2", headers=headers).get_json()
            assert second["page"] == 2
            assert {i["id"] for i in second["items"]}.isdisjoint({i["id"] for i in body["items"]})
        # Bad parameters are ignored as on the pages, never an error.
        odd = client.get(f"{path}?page=abc&sort=;drop&per_page=7&nonsense=1", headers=headers)
        assert odd.status_code == 200 and odd.get_json()["page"] == 1
        if body["items"]:
            item = body["items"][0]
            detail = client.get(f"{path}/{item['id']}", headers=headers)
            assert detail.status_code == 200 and detail.get_json()["id"] == item["id"]
        _assert_error(client.get(f"{path}/99999999", headers=headers), 404)


def test_list_filters_and_search_match_the_page_semantics(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        a = factories.organization(s, name="Alpha Filter Foundation")
        factories.partnership(s, organization=a, title="Filtered deal", start_date=date(2024, 3, 1))
        factories.partnership(s, title="Other deal", start_date=date(2023, 3, 1))
        org_id = a.id
    headers = token_for("viewer")
    body = client.get("/api/v1/partnerships?q=filtered", headers=headers).get_json()
    assert [i["title"] for i in body["items"]] == ["Filtered deal"]
    body = client.get("/api/v1/partnerships?year=2023", headers=headers).get_json()
    assert [i["title"] for i in body["items"]] == ["Other deal"]
    assert body["filters"] == {"year": "2023"}
    body = client.get("/api/v1/partnerships?sort=-title", headers=headers).get_json()
    assert [i["title"] for i in body["items"]] == ["Other deal", "Filtered deal"]
    item = body["items"][1]
    assert item["start_date"] == "2024-03-01" and item["organization_id"] == org_id


def test_partnerships_carry_their_status_today_and_filter_by_it(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    today = date.today()
    with in_app() as s:
        factories.partnership(s, title="Past its end", end_date=today - timedelta(days=1))
        factories.partnership(s, title="Running", end_date=today + timedelta(days=1))
        in_force = agreements.count_in_force(s, on=today)
    headers = token_for("viewer")
    body = client.get("/api/v1/partnerships?status=expired", headers=headers).get_json()
    assert [(i["title"], i["status"], i["status_today"]) for i in body["items"]] == [
        ("Past its end", "active", "expired")
    ]
    body = client.get("/api/v1/partnerships?status=active", headers=headers).get_json()
    assert [i["title"] for i in body["items"]] == ["Running"] and body["total"] == in_force


def test_money_is_a_decimal_string_with_its_currency(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        pledge = factories.commitment(
            s, amount="12500.50", currency="USD", pledged_on=date(2025, 2, 3)
        )
        pledge_id = pledge.id
    body = client.get(f"/api/v1/funding-commitments/{pledge_id}", headers=token_for("viewer"))
    data = body.get_json()
    assert Decimal(data["amount"]) == Decimal("12500.50") and isinstance(data["amount"], str)
    assert data["currency_code"] == "USD" and data["pledged_on"] == "2025-02-03"


def test_coverage_and_summaries(
    client: FlaskClient, token_for: TokenFor, in_app: InApp, demo: None
) -> None:
    headers = token_for("viewer")
    on = date(2025, 6, 30)
    body = client.get(f"/api/v1/coverage?as_of={on}", headers=headers).get_json()
    with in_app() as s:
        summary = coverage_summary(s, on=on)
        pledged = funding_amounts.pledged_total(s, start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert body["as_of"] == "2025-06-30"
    assert body["summary"]["countries_covered"] == summary.countries_covered
    assert len(body["countries"]) > 0
    for bad in ("2025-13-01", "yesterday", "2025-02-30"):
        error = _assert_error(client.get(f"/api/v1/coverage?as_of={bad}", headers=headers), 422)
        assert error["field"] == "as_of"
    money = client.get("/api/v1/funding/summary?year=2025", headers=headers).get_json()
    assert Decimal(money["pledged"]["amount"]) == pledged.amount
    assert money["rates"] == "each row at the rate of its own date"
    assert money["pledged"]["currency"] == "EUR"
    assert "used" in money["pledged"]["rates"] and money["rates_note"].startswith("in EUR")
    _assert_error(client.get("/api/v1/funding/summary?year=abc", headers=headers), 422)
    trainings = client.get(
        "/api/v1/training/summary?from_year=2024&to_year=2025", headers=headers
    ).get_json()
    assert trainings["figures"]["first_year"] == 2024
    _assert_error(
        client.get("/api/v1/training/summary?from_year=2025&to_year=2024", headers=headers), 422
    )


def test_openapi_describes_every_route(client: FlaskClient, token_for: TokenFor) -> None:
    headers = token_for("viewer")
    spec = client.get("/api/v1/openapi.json", headers=headers).get_json()
    assert spec["openapi"].startswith("3.")
    for resource in RESOURCES:
        assert f"/{resource.slug}" in spec["paths"]
        assert f"/{resource.slug}/{{record_id}}" in spec["paths"]
    assert "post" in spec["paths"]["/partnerships"]
    assert "patch" in spec["paths"]["/partnerships/{record_id}"]
    assert "put" in spec["paths"]["/hotlines/{hotline_id}/statistics/{year}"]
    _assert_error(client.get("/api/v1/openapi.json"), 401)


def test_docs_page_needs_no_cdn(
    client: FlaskClient, signed_in: Callable[[str], FlaskClient]
) -> None:
    signed_in("viewer")
    html = client.get("/api-docs").get_data(as_text=True)
    assert "/api/v1/coverage" in html and "/api/v1/partnerships" in html
    assert "cdn" not in html.lower() and "https://" not in html


# --- writes --------------------------------------------------------------------------------------


def test_viewer_tokens_cannot_write(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        deal = factories.partnership(s)
        deal_id, version = deal.id, deal.version
        hotline_id = factories.hotline(s, country="DE").id
    headers = token_for("viewer")
    _assert_error(client.post("/api/v1/partnerships", json={}, headers=headers), 403)
    _assert_error(
        client.patch(f"/api/v1/partnerships/{deal_id}", json={"version": version}, headers=headers),
        403,
    )
    _assert_error(client.post("/api/v1/funding-receipts", json={}, headers=headers), 403)
    _assert_error(client.post("/api/v1/trainings", json={}, headers=headers), 403)
    _assert_error(
        client.put(f"/api/v1/hotlines/{hotline_id}/statistics/2025", json={}, headers=headers), 403
    )


def test_manager_creates_and_patches_a_partnership(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        org_name = factories.organization(s, name="API Partner Ltd").name
        pillar_id = s.scalars(sa.select(Pillar.id).order_by(Pillar.id)).first()
    headers = token_for("manager")
    created = client.post(
        "/api/v1/partnerships",
        json={
            "organization": org_name,
            "title": "Data sharing 2026",
            "type": "data_sharing",
            "status": "negotiating",
            "start_date": "2026-01-01",
            "pillars": [pillar_id],
        },
        headers=headers,
    )
    assert created.status_code == 201, created.get_json()
    data = created.get_json()
    assert data["title"] == "Data sharing 2026" and data["pillar_ids"] == [pillar_id]
    patched = client.patch(
        f"/api/v1/partnerships/{data['id']}",
        json={"version": data["version"], "title": "Data sharing 2026-27"},
        headers=headers,
    )
    assert patched.status_code == 200, patched.get_json()
    assert patched.get_json()["title"] == "Data sharing 2026-27"
    assert patched.get_json()["start_date"] == "2026-01-01"  # untouched fields kept
    stale = client.patch(
        f"/api/v1/partnerships/{data['id']}",
        json={"version": data["version"], "title": "Lost update"},
        headers=headers,
    )
    _assert_error(stale, 409)
    with in_app() as s:
        assert s.get_one(Partnership, data["id"]).title == "Data sharing 2026-27"


def test_bad_write_input_is_a_json_error_never_500(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        deal_id = factories.partnership(s).id
    headers = token_for("manager")
    raw = client.post(
        "/api/v1/partnerships",
        data="{not json",
        headers={**headers, "Content-Type": "application/json"},
    )
    _assert_error(raw, 400)
    _assert_error(client.post("/api/v1/partnerships", json=[1, 2], headers=headers), 400)
    invalid = client.post(
        "/api/v1/partnerships",
        json={"organization": "Nobody Known", "title": "x", "type": "funding"},
        headers=headers,
    )
    assert _assert_error(invalid, 422)["field"] == "organization"
    bad_date = client.post(
        "/api/v1/partnerships", json={"title": "x", "start_date": "31/12/2025"}, headers=headers
    )
    assert _assert_error(bad_date, 422)["field"] == "start_date"
    nested = client.post("/api/v1/partnerships", json={"title": {"a": 1}}, headers=headers)
    assert _assert_error(nested, 422)["field"] == "title"
    _assert_error(client.patch(f"/api/v1/partnerships/{deal_id}", json={}, headers=headers), 422)
    _assert_error(
        client.patch("/api/v1/partnerships/99999999", json={"version": 1}, headers=headers), 404
    )


def test_manager_records_a_receipt(client: FlaskClient, token_for: TokenFor, in_app: InApp) -> None:
    with in_app() as s:
        pledge_id = factories.commitment(
            s, amount="1000", currency="EUR", pledged_on=date(2025, 1, 10)
        ).id
    headers = token_for("manager")
    on = (date.today() - timedelta(days=3)).isoformat()
    made = client.post(
        "/api/v1/funding-receipts",
        json={"commitment_id": pledge_id, "received_on": on, "amount": "250.25"},
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["amount"] == "250.25" and made.get_json()["currency_code"] == "EUR"
    too_precise = client.post(
        "/api/v1/funding-receipts",
        json={"commitment_id": pledge_id, "received_on": on, "amount": "1.234"},
        headers=headers,
    )
    assert _assert_error(too_precise, 422)["field"] == "amount"
    unknown = client.post(
        "/api/v1/funding-receipts",
        json={"commitment_id": 99999999, "received_on": on, "amount": "1"},
        headers=headers,
    )
    assert _assert_error(unknown, 422)["field"] == "commitment_id"


def test_manager_creates_a_training_with_participation(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        pillar_id = s.scalars(sa.select(Pillar.id).order_by(Pillar.id)).first()
        hotline_id = factories.hotline(s, country="FR").id
    headers = token_for("manager")
    event = {
        "title": "Analyst wellbeing workshop",
        "kind": "workshop",
        "pillar_id": pillar_id,
        "start_date": "2025-05-05",
        "end_date": "2025-05-06",
        "delivery": "online",
    }
    made = client.post(
        "/api/v1/trainings",
        json={**event, "participation": [{"hotline_id": hotline_id, "participants": 4}]},
        headers=headers,
    )
    assert made.status_code == 201, made.get_json()
    rows = made.get_json()["participation"]
    assert [(r["hotline_id"], r["participants"]) for r in rows] == [(hotline_id, 4)]
    # One bad participation row: nothing is written (the request rolls back).
    bad = client.post(
        "/api/v1/trainings",
        json={
            **event,
            "title": "Not kept",
            "participation": [{"hotline_id": hotline_id, "participants": -1}],
        },
        headers=headers,
    )
    _assert_error(bad, 422)
    listing = client.get("/api/v1/trainings?q=not+kept", headers=headers).get_json()
    assert listing["total"] == 0


def test_manager_saves_a_statistics_grid(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        hotline_id = factories.hotline(s, country="NL").id
        code = stats.latest_metrics(s)[0].code
    headers = token_for("manager")
    year = date.today().year - 1
    path = f"/api/v1/hotlines/{hotline_id}/statistics/{year}"
    saved = client.put(path, json={"values": {code: {"1": "120", "2": 80}}}, headers=headers)
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json()["created"] == 2
    again = client.put(path, json={"values": {code: {"1": "120", "2": 80}}}, headers=headers)
    assert again.get_json() == {"created": 0, "updated": 0, "deleted": 0}
    bad = client.put(path, json={"values": {code: {"3": "-5"}}}, headers=headers)
    assert _assert_error(bad, 422)["cells"][0]["quarter"] == 3
    _assert_error(client.put(path, json={"values": {code: {"9": "1"}}}, headers=headers), 422)
    _assert_error(client.put(path, json={"values": "x"}, headers=headers), 422)
    _assert_error(
        client.put(f"/api/v1/hotlines/99999999/statistics/{year}", json={}, headers=headers), 404
    )
    _assert_error(
        client.put(
            f"/api/v1/hotlines/{hotline_id}/statistics/1800",
            json={"values": {code: {"1": "1"}}},
            headers=headers,
        ),
        404,
    )


def test_ids_beyond_the_integer_range_are_404_or_422(
    client: FlaskClient, token_for: TokenFor
) -> None:
    headers = token_for("manager")
    huge = 2**63
    _assert_error(client.get(f"/api/v1/hotlines/{huge}", headers=headers), 404)
    _assert_error(client.get("/api/v1/hotlines/2147483648", headers=headers), 404)
    body = {"commitment_id": str(huge), "received_on": "2025-01-01", "amount": "1"}
    error = _assert_error(client.post("/api/v1/funding-receipts", json=body, headers=headers), 422)
    assert error["field"] == "commitment_id"


def test_api_reads_do_not_change_the_data_version(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    """A polling script must not empty the dashboards' caches: reads are not writes."""
    headers = token_for("viewer")
    with in_app() as s:
        before = data_version(s)
    for _ in range(3):
        assert client.get("/api/v1/coverage", headers=headers).status_code == 200
        assert client.get("/api/v1/organizations", headers=headers).status_code == 200
    with in_app() as s:
        assert data_version(s) == before
        token = s.scalar(sa.select(ApiToken).where(ApiToken.name == "viewer script"))
        assert token is not None and token.last_used_at is not None  # noted, once


def test_a_locked_quarter_is_refused_over_the_api_and_nothing_is_written(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        hotline = factories.hotline(s, country="DE")
        stats_grid.save_quarter_grid(
            s, hotline=hotline, year=2025, values={("reports_received", 1): "10"}
        )
        s.add(
            HotlineQuarter(
                hotline_id=hotline.id,
                period_start=date(2025, 1, 1),
                period_end=date(2025, 3, 31),
                state=QuarterState.APPROVED,
            )
        )
        hotline_id = hotline.id
    response = client.put(
        f"/api/v1/hotlines/{hotline_id}/statistics/2025",
        json={"values": {"reports_received": {"1": "11"}}},
        headers=token_for("manager"),
    )
    assert response.status_code == 422
    [cell] = response.get_json()["cells"]
    assert "approved and locked" in cell["message"]
    with in_app() as s:
        assert s.scalars(sa.select(HotlineStatistic.value)).all() == [Decimal(10)]
