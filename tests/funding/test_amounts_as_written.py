"""Amounts typed into the funding forms are read like an import's cells (#14): a decimal point,
thousands only in groups of three, no more decimals than the currency has; what is refused
says why, in the import's words, and the input comes back."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa
from markupsafe import escape

from coordapp.funding.models import ExchangeRate, FundingCommitment, FundingReceipt
from tests.funding.test_views import LAST_YEAR, TODAY, InApp, SignedIn, arrange, form


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (
            "1,5",
            "'1,5' is not a number written with a decimal point: a comma may only separate "
            "thousands in groups of three (1,250,000.50); did you mean 1.5?",
        ),
        ("100,00", "did you mean 100.00?"),
        ("1.000,00", "did you mean 1000.00?"),
        ("1e3", "'1e3' is not a number; write e.g. 1234.56."),
        ("10.001", "USD amounts have 2 decimal places; this amount has 3."),
    ],
)
def test_a_pledge_amount_written_wrongly_is_refused_with_the_reason(
    signed_in: SignedIn, in_app: InApp, amount: str, message: str
) -> None:
    ids = arrange(in_app)
    response = signed_in("manager").post("/commitments/new", data=form(ids, amount=amount))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert str(escape(message)) in page
    assert f'value="{amount}"' in page  # the input comes back as typed
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count(FundingCommitment.id))) == 1


def test_a_pledge_amount_may_group_thousands(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    data = form(ids, amount="1,250,000.00", allocation_mode="amount")
    data.update({f"allocations-{ids.pillars[0]}": "1,000,000", f"allocations-{ids.pillars[1]}": ""})
    data[f"allocations-{ids.pillars[2]}"] = "250 000.00"
    response = signed_in("manager").post("/commitments/new", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with in_app() as s:
        pledge = s.scalars(
            sa.select(FundingCommitment).where(FundingCommitment.title == "Bridge grant")
        ).one()
        assert pledge.amount == Decimal("1250000")
        assert sorted(a.amount for a in pledge.allocations) == [Decimal(250000), Decimal(1000000)]


def test_a_pledge_share_written_with_a_comma_is_refused(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    data = form(ids, **{f"allocations-{ids.pillars[0]}": "33,33"})
    response = signed_in("manager").post("/commitments/new", data=data)
    assert response.status_code == 422
    assert "did you mean 33.33?" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("12.5", "JPY", "JPY amounts have 0 decimal places; this amount has 1."),
        ("12,5", "JPY", "did you mean 12.5?"),
        ("1.250", "JPY", "JPY amounts have 0 decimal places; this amount has 3."),
        ("12,50", "USD", "did you mean 12.50?"),
        ("1 25", "USD", "a space may only separate thousands in groups of three"),
    ],
)
def test_a_receipt_amount_written_wrongly_is_refused_with_the_reason(
    signed_in: SignedIn, in_app: InApp, amount: str, currency: str, message: str
) -> None:
    ids = arrange(in_app)
    data = {
        "commitment_id": str(ids.commitment),
        "received_on": TODAY.isoformat(),
        "amount": amount,
        "currency_code": currency,
        "reference": "",
    }
    response = signed_in("manager").post("/receipts/new", data=data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert str(escape(message)) in page and f'value="{amount}"' in page
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count(FundingReceipt.id))) == 1


def test_a_rate_takes_no_thousands_separator(signed_in: SignedIn, in_app: InApp) -> None:
    arrange(in_app)
    data = {
        "base_code": "EUR",
        "quote_code": "GBP",
        "rate_date": f"{LAST_YEAR}-01-02",
        "rate": "1,085",
        "source": "",
    }
    client = signed_in("manager")
    response = client.post("/exchange-rates/new", data=data)
    assert response.status_code == 422
    assert "did you mean 1.085 or 1085?" in response.get_data(as_text=True)
    assert client.post("/exchange-rates/new", data={**data, "rate": "0.855"}).status_code == 302
    with in_app() as s:
        assert s.scalar(sa.select(ExchangeRate.rate).where(ExchangeRate.quote_code == "GBP")) == (
            Decimal("0.855")
        )
