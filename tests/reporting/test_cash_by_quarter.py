"""Expected (instalments) against received cash per quarter: received is the funding page's
received figure, and both convert by the one rule with the rate dates named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from coordapp.funding import obligations
from coordapp.funding.models import CommitmentStatus
from coordapp.reporting import funding as funding_report
from dashboards import figures
from tests import factories


def test_cash_by_quarter_converts_expected_and_received_with_named_rates(
    session: Session,
) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 2), value="1.25")
    usd = factories.commitment(
        session, amount="1000.00", currency="USD", pledged_on=date(2023, 12, 1)
    )
    eur = factories.commitment(
        session, amount="300.00", currency="EUR", pledged_on=date(2023, 12, 1)
    )
    cancelled = factories.commitment(
        session,
        amount="999.00",
        currency="EUR",
        pledged_on=date(2023, 12, 1),
        status=CommitmentStatus.CANCELLED,
    )
    obligations.save_schedule(
        session,
        commitment=usd,
        rows=[
            {"expected_on": date(2024, 3, 31), "amount": "500"},
            {"expected_on": date(2024, 4, 1), "amount": "500"},
        ],
    )
    obligations.save_schedule(
        session, commitment=eur, rows=[{"expected_on": date(2024, 2, 15), "amount": "300"}]
    )
    obligations.save_schedule(
        session, commitment=cancelled, rows=[{"expected_on": date(2024, 2, 1), "amount": "999"}]
    )
    factories.receipt(session, commitment=usd, amount="250", currency="USD", on=date(2024, 8, 9))
    factories.receipt(session, commitment=eur, amount="100", currency="EUR", on=date(2024, 3, 1))

    cash = funding_report.cash_by_quarter(session, first_year=2024, last_year=2024)
    by_label = {q.label: (q.expected, q.received) for q in cash.quarters}
    assert by_label == {
        "2024 Q1": (Decimal("700.00"), Decimal("100.00")),  # 300 EUR + 500 USD / 1.25
        "2024 Q2": (Decimal("400.00"), Decimal("0.00")),
        "2024 Q3": (Decimal("0.00"), Decimal("200.00")),
        "2024 Q4": (Decimal("0.00"), Decimal("0.00")),
    }
    assert "2024-01-02" in cash.rates.note
    # One number: received per year is the funding page's received figure.
    figures_2024 = funding_report.funding_figures(
        session, first_year=2024, last_year=2024, until=date(2024, 12, 31)
    )
    assert sum(q.received for q in cash.quarters) == figures_2024.by_year[0].received
    figure = figures.cash_by_quarter_figure(cash)
    assert [t["name"] for t in figure["data"]] == ["Expected (instalments)", "Received"]
    assert figure["data"][0]["x"][0] == "2024 Q1"


def test_no_cash_is_an_empty_figure(session: Session) -> None:
    cash = funding_report.cash_by_quarter(session, first_year=2020, last_year=2020)
    assert cash.is_empty and len(cash.quarters) == 4
    assert "No instalments expected" in str(figures.cash_by_quarter_figure(cash))
