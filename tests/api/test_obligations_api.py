"""The API reads funder obligations: a commitment's instalments with their states, and the
reporting requirements list and records; both are in the OpenAPI description."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.funding import obligations
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]
TokenFor = Callable[[str], dict[str, str]]
TODAY = date.today()


def test_instalments_and_requirements_are_read_through_the_api(
    client: FlaskClient, token_for: TokenFor, in_app: InApp
) -> None:
    with in_app() as s:
        pledge = factories.commitment(
            s, amount="1000", currency="EUR", pledged_on=TODAY - timedelta(days=200)
        )
        obligations.save_schedule(
            s,
            commitment=pledge,
            rows=[
                {"expected_on": TODAY - timedelta(days=10), "amount": "600"},
                {"expected_on": TODAY + timedelta(days=90), "amount": "400"},
            ],
        )
        factories.receipt(s, commitment=pledge, amount="250", currency="EUR", on=TODAY)
        report = obligations.create_requirement(
            s,
            data={
                "commitment_id": str(pledge.id),
                "kind": "narrative",
                "due_on": TODAY + timedelta(days=5),
                "document_reference": "NAR-7",
            },
        )
        pledge_id, report_id = pledge.id, report.id
    headers = token_for("viewer")
    body = client.get(f"/api/v1/funding-commitments/{pledge_id}/instalments", headers=headers)
    assert body.status_code == 200
    data = body.get_json()
    assert [(i["amount"], i["received"], i["state"]) for i in data["instalments"]] == [
        ("600.00", "250.00", "overdue"),
        ("400.00", "0.00", "expected"),
    ]
    assert "in the order of their expected dates" in data["matching_rule"]
    missing = client.get("/api/v1/funding-commitments/99999/instalments", headers=headers)
    assert missing.status_code == 404
    listed = client.get("/api/v1/reporting-requirements", headers=headers).get_json()
    assert [item["document_reference"] for item in listed["items"]] == ["NAR-7"]
    one = client.get(f"/api/v1/reporting-requirements/{report_id}", headers=headers).get_json()
    assert one["kind"] == "narrative" and one["submitted_on"] is None
    spec = client.get("/api/v1/openapi.json", headers=headers).get_json()
    assert "/funding-commitments/{record_id}/instalments" in spec["paths"]
    assert "/reporting-requirements/{record_id}" in spec["paths"]
