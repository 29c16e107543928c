"""The home page's figures and the error pages."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.network.models import MembershipStatus
from coordapp.partners.models import Partnership, PartnershipStatus, PartnershipType
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]


def figure(html: bytes, name: str) -> str:
    match = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<'.encode(), html)
    assert match, name
    return match.group(1).decode().strip()


def test_home_shows_live_figures(signed_in: Callable[[str], FlaskClient], in_app: InApp) -> None:
    today = date.today()
    with in_app() as s:
        factories.hotline(
            s, country="IE", covers=["GB"], events=[(date(1999, 1, 1), MembershipStatus.FULL)]
        )
        factories.hotline(s, country="IS", events=[(today, MembershipStatus.PROVISIONAL)])
        factories.hotline(
            s, country="NO", events=[(today + timedelta(days=1), MembershipStatus.FULL)]
        )
        org = factories.organization(s)
        s.add(
            Partnership(
                organization_id=org.id,
                title="MoU",
                type=PartnershipType.STRATEGIC_MOU,
                status=PartnershipStatus.ACTIVE,
                start_date=date(2020, 1, 1),
            )
        )
        s.add(
            Partnership(
                organization_id=org.id,
                title="Old",
                type=PartnershipType.FUNDING,
                status=PartnershipStatus.ENDED,
                start_date=date(2010, 1, 1),
                end_date=date(2012, 1, 1),
            )
        )
        factories.rate(s, base="EUR", quote="USD", on=date(today.year, 1, 1), value="1.25")
        pledge = factories.commitment(
            s, amount="5000", currency="USD", pledged_on=date(today.year, 1, 1)
        )
        factories.receipt(
            s, commitment=pledge, amount="2500", currency="USD", on=date(today.year, 1, 1)
        )
    html = signed_in("viewer").get("/").data
    assert figure(html, "member_hotlines") == "2"
    assert figure(html, "countries_covered") == "3"
    assert figure(html, "partnerships_in_force") == "1"
    assert figure(html, "received") == "2,000"
    assert b'<span class="fs-5 text-body-secondary">EUR</span>' in html
    assert f"USD {date(today.year, 1, 1).isoformat()}".encode() in html


def test_unknown_page_is_a_friendly_404(signed_in: Callable[[str], FlaskClient]) -> None:
    response = signed_in("viewer").get("/no-such-page")
    assert response.status_code == 404
    assert b"Not Found" in response.data and b"<nav" in response.data


def test_server_error_shows_no_traceback(
    app: Flask, signed_in: Callable[[str], FlaskClient]
) -> None:
    client = signed_in("viewer")

    def boom() -> str:
        raise RuntimeError("secret internals")

    app.view_functions["main.home"], original = boom, app.view_functions["main.home"]
    try:
        response = client.get("/")
    finally:
        app.view_functions["main.home"] = original
    assert response.status_code == 500
    assert b"secret internals" not in response.data
    assert b"Traceback" not in response.data


def test_health_is_public_and_checks_the_database(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_an_oversized_upload_is_refused_before_it_is_read(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    response = signed_in("manager").post(
        "/organizations/new", data={"name": "x" * (12 * 1024 * 1024)}
    )
    assert response.status_code == 413
