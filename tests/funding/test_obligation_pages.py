"""The obligation pages: the schedule form (saved whole, refused when it does not add up),
reporting requirements, and the commitment page's timeline of both."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.funding.models import FundingInstalment, ReportingRequirement
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]
SignedIn = Callable[[str], FlaskClient]
TODAY = date.today()


def arrange(in_app: InApp) -> int:
    with in_app() as s:
        commitment = factories.commitment(
            s,
            amount="1000.00",
            currency="EUR",
            pledged_on=TODAY - timedelta(days=300),
            title="Core grant",
        )
        factories.receipt(s, commitment=commitment, amount="400", currency="EUR", on=TODAY)
        return commitment.id


def schedule(*pairs: tuple[date, str]) -> dict[str, str]:
    data: dict[str, str] = {}
    for index, (on, amount) in enumerate(pairs):
        data[f"instalments-{index}-expected_on"] = on.isoformat()
        data[f"instalments-{index}-amount"] = amount
    return data


def stored(in_app: InApp) -> list[tuple[date, str]]:
    with in_app() as s:
        rows = s.execute(
            sa.select(FundingInstalment.expected_on, FundingInstalment.amount).order_by(
                FundingInstalment.expected_on
            )
        )
        return [(on, f"{amount:.2f}") for on, amount in rows]


def test_the_schedule_is_saved_whole_and_shown_on_the_commitment_page(
    signed_in: SignedIn, in_app: InApp
) -> None:
    commitment = arrange(in_app)
    client = signed_in("manager")
    form = client.get(f"/commitments/{commitment}/schedule")
    assert form.status_code == 200 and "How receipts are matched" in form.data.decode()
    past, future = TODAY - timedelta(days=20), TODAY + timedelta(days=100)
    response = client.post(
        f"/commitments/{commitment}/schedule", data=schedule((past, "600.00"), (future, "400"))
    )
    assert response.status_code == 302
    assert stored(in_app) == [(past, "600.00"), (future, "400.00")]
    page = client.get(f"/commitments/{commitment}").data.decode()
    # 400 received covers 400 of the first instalment, which is past its date: overdue.
    assert 'data-instalment="overdue"' in page
    assert "EUR 400.00 of EUR 600.00" in page
    assert 'data-instalment="expected"' in page
    assert "pay its instalments in the order of their expected dates" in page


def test_a_schedule_that_does_not_add_up_is_refused_and_nothing_is_saved(
    signed_in: SignedIn, in_app: InApp
) -> None:
    commitment = arrange(in_app)
    client = signed_in("manager")
    response = client.post(
        f"/commitments/{commitment}/schedule",
        data=schedule((TODAY, "600.00"), (TODAY + timedelta(days=30), "300.00")),
    )
    assert response.status_code == 422
    page = response.data.decode()
    assert "The instalments add up to EUR 900.00, not the pledged EUR 1,000.00" in page
    assert "add EUR 100.00" in page
    assert stored(in_app) == []


def test_reports_are_recorded_and_refused_when_accepted_before_submitted(
    signed_in: SignedIn, in_app: InApp
) -> None:
    commitment = arrange(in_app)
    client = signed_in("manager")
    new = client.get(f"/reporting-requirements/new?commitment_id={commitment}").data.decode()
    assert f'<option selected value="{commitment}">' in new
    data = {
        "commitment_id": str(commitment),
        "kind": "financial",
        "due_on": (TODAY + timedelta(days=7)).isoformat(),
        "submitted_on": TODAY.isoformat(),
        "accepted_on": (TODAY - timedelta(days=1)).isoformat(),
        "document_reference": "FIN-1",
        "note": "",
    }
    refused = client.post("/reporting-requirements/new", data=data)
    assert refused.status_code == 422
    assert "before it was submitted" in refused.data.decode()
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count(ReportingRequirement.id))) == 0
    response = client.post(
        "/reporting-requirements/new", data={**data, "submitted_on": "", "accepted_on": ""}
    )
    assert response.status_code == 302
    page = client.get(f"/commitments/{commitment}").data.decode()
    assert 'data-report="due soon"' in page and "FIN-1" in page
    listing = client.get("/reporting-requirements/").data.decode()
    assert "Core grant" in listing
