"""POST /api/v1/funding-receipts saves the receipt and says what to look at (#14 item 5)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.funding.models import FundingReceipt
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]
TokenFor = Callable[[str], dict[str, str]]


def test_a_receipt_is_saved_with_its_warnings(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        factories.rate(s, base="EUR", quote="USD", on=date(2025, 1, 2), value="1.05")
        pledge = factories.commitment(
            s,
            amount="1000",
            currency="USD",
            pledged_on=date(2025, 1, 10),
            period_start=date(2025, 1, 1),
            period_end=date(2025, 6, 30),
            title="Core grant",
        )
        factories.receipt(s, commitment=pledge, amount="900", currency="USD", on=date(2025, 2, 1))
        pledge_id = pledge.id
    headers = token_for("manager")
    url = "/api/v1/funding-receipts"

    fine = client.post(
        url,
        json={"commitment_id": pledge_id, "received_on": "2025-03-01", "amount": "100"},
        headers=headers,
    )
    assert fine.status_code == 201, fine.get_json()
    assert fine.get_json()["currency_code"] == "USD" and fine.get_json()["warnings"] == []

    over_and_late = client.post(
        url,
        json={"commitment_id": pledge_id, "received_on": "2025-07-01", "amount": "100.50"},
        headers=headers,
    )
    assert over_and_late.status_code == 201
    body = over_and_late.get_json()
    assert [w["kind"] for w in body["warnings"]] == ["over_commitment", "outside_period"]
    assert "USD 1,100.50 of the USD 1,000.00 pledged" in body["warnings"][0]["message"]
    assert "after its period ended (2025-06-30)" in body["warnings"][1]["message"]
    assert body["warnings"][0]["add_rate_url"] is None

    no_rate = client.post(
        url,
        json={
            "commitment_id": pledge_id,
            "received_on": "2025-03-01",
            "amount": 500,
            "currency_code": "AED",
        },
        headers=headers,
    )
    assert no_rate.status_code == 201
    (warning, *_over) = no_rate.get_json()["warnings"]
    assert warning["kind"] == "no_rate"
    assert "receipt of AED 500.00 is left out of every total in EUR" in warning["message"]
    assert warning["add_rate_url"] == (
        "http://localhost/exchange-rates/new?quote_code=AED&rate_date=2025-03-01"
    )
    with in_app() as s:
        saved = s.scalar(
            sa.select(sa.func.count(FundingReceipt.id)).where(
                FundingReceipt.commitment_id == pledge_id
            )
        )
        assert saved == 4
