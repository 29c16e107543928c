"""The API reads amounts and dates like the forms and the importer (#14): the same strict reader,
the same words, a 422 that names the field."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from coordapp.funding.models import FundingReceipt
from tests import factories
from tests.api.test_views import InApp, TokenFor, _assert_error

ON = (date.today() - timedelta(days=3)).isoformat()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "12.5"}, "amount", "JPY amounts have 0 decimal places; this amount has 1."),
        ({"amount": 12.5}, "amount", "JPY amounts have 0 decimal places; this amount has 1."),
        (
            {"amount": "12,5"},
            "amount",
            "'12,5' is not a number written with a decimal point: a comma may only separate "
            "thousands in groups of three (1,250,000.50); did you mean 12.5?",
        ),
        ({"amount": "1e3"}, "amount", "'1e3' is not a number; write e.g. 1234.56."),
        (
            {"received_on": "2026-3-1"},
            "received_on",
            "'2026-3-1' is not a date as YYYY-MM-DD; did you mean 2026-03-01?",
        ),
        (
            {"received_on": "20260301"},
            "received_on",
            "'20260301' is not a date; write it as YYYY-MM-DD.",
        ),
    ],
)
def test_a_receipt_written_wrongly_is_refused_in_the_forms_words(
    client: FlaskClient,
    token_for: TokenFor,
    in_app: InApp,
    changes: dict[str, object],
    field: str,
    message: str,
) -> None:
    with in_app() as s:
        pledge_id = factories.commitment(
            s, amount="100000", currency="JPY", pledged_on=date(2025, 1, 10)
        ).id
    body = {"commitment_id": pledge_id, "received_on": ON, "amount": "1250", **changes}
    error = _assert_error(
        client.post("/api/v1/funding-receipts", json=body, headers=token_for("manager")), 422
    )
    assert (error["field"], error["message"]) == (field, message)
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count(FundingReceipt.id))) == 0


def test_a_receipt_amount_may_group_thousands(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        pledge_id = factories.commitment(
            s, amount="100000", currency="JPY", pledged_on=date(2025, 1, 10)
        ).id
    for amount in ("1,250", 1250):
        made = client.post(
            "/api/v1/funding-receipts",
            json={"commitment_id": pledge_id, "received_on": ON, "amount": amount},
            headers=token_for("manager"),
        )
        assert made.status_code == 201, made.get_json()
        assert made.get_json()["amount"] == "1250"


def test_a_query_date_is_read_strictly(client: FlaskClient, token_for: TokenFor) -> None:
    error = _assert_error(
        client.get("/api/v1/coverage?as_of=20260301", headers=token_for("viewer")), 422
    )
    assert error["message"] == "'20260301' is not a date; write it as YYYY-MM-DD."
