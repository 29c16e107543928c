"""Converted funding totals: Decimal, dated rates in either direction, and what they used."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from coordapp.funding.models import CommitmentStatus
from coordapp.funding.service import pledged_total, received_total
from tests import factories

YEAR = (date(2024, 1, 1), date(2024, 12, 31))


def test_receipts_convert_at_the_latest_rate_on_or_before_the_rate_date(session: Session) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="1.10")
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 6, 1), value="1.25")
    factories.rate(session, base="EUR", quote="USD", on=date(2025, 1, 1), value="2.00")
    pledge = factories.commitment(
        session, amount="100000", currency="USD", pledged_on=date(2024, 1, 5)
    )
    factories.receipt(
        session, commitment=pledge, amount="50000.00", currency="USD", on=date(2024, 3, 1)
    )
    factories.receipt(
        session, commitment=pledge, amount="1000.50", currency="EUR", on=date(2024, 7, 1)
    )

    total = received_total(
        session, start=YEAR[0], end=YEAR[1], currency="EUR", rates_on=date(2024, 12, 31)
    )

    assert isinstance(total.amount, Decimal)
    assert total.amount == Decimal("41000.50")  # 50,000 / 1.25 + 1,000.50
    assert total.rate_dates == {"USD": date(2024, 6, 1)}
    assert total.unconverted == ()
    assert "2024-06-01" in total.rate_note


def test_a_rate_stored_the_other_way_round_is_used_inverted(session: Session) -> None:
    factories.rate(session, base="GBP", quote="EUR", on=date(2024, 2, 1), value="1.20")
    pledge = factories.commitment(session, amount="10", currency="GBP", pledged_on=date(2024, 2, 2))
    factories.receipt(
        session, commitment=pledge, amount="10.00", currency="GBP", on=date(2024, 2, 3)
    )
    total = received_total(session, start=YEAR[0], end=YEAR[1], rates_on=date(2024, 12, 31))
    assert total.amount == Decimal("12.00")


def test_currency_without_a_rate_is_named_not_guessed(session: Session) -> None:
    pledge = factories.commitment(
        session, amount="500", currency="JPY", pledged_on=date(2024, 2, 2)
    )
    factories.receipt(session, commitment=pledge, amount="500", currency="JPY", on=date(2024, 3, 3))
    total = received_total(session, start=YEAR[0], end=YEAR[1], rates_on=date(2024, 12, 31))
    assert total.amount == Decimal("0.00")
    assert total.unconverted == ("JPY",)


def test_receipts_outside_the_period_are_left_out(session: Session) -> None:
    pledge = factories.commitment(
        session, amount="300", currency="EUR", pledged_on=date(2023, 2, 2)
    )
    factories.receipt(
        session, commitment=pledge, amount="100", currency="EUR", on=date(2023, 12, 31)
    )
    factories.receipt(session, commitment=pledge, amount="200", currency="EUR", on=date(2024, 1, 1))
    total = received_total(session, start=YEAR[0], end=YEAR[1], rates_on=date(2024, 12, 31))
    assert total.amount == Decimal("200.00")
    assert total.rate_dates == {}


def test_pledged_total_leaves_out_cancelled_commitments(session: Session) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="1.0850")
    factories.commitment(session, amount="1085.00", currency="USD", pledged_on=date(2024, 5, 1))
    factories.commitment(session, amount="250.25", currency="EUR", pledged_on=date(2024, 6, 1))
    factories.commitment(
        session,
        amount="999",
        currency="EUR",
        pledged_on=date(2024, 6, 1),
        status=CommitmentStatus.CANCELLED,
    )
    total = pledged_total(session, start=YEAR[0], end=YEAR[1], rates_on=date(2024, 12, 31))
    assert total.amount == Decimal("1250.25")
    assert total.rate_dates == {"USD": date(2024, 1, 1)}


def test_a_rate_stored_both_ways_on_one_day_prefers_the_one_towards_the_target(
    session: Session,
) -> None:
    factories.rate(session, base="GBP", quote="EUR", on=date(2024, 2, 1), value="1.18")
    factories.rate(session, base="EUR", quote="GBP", on=date(2024, 2, 1), value="0.80")
    pledge = factories.commitment(
        session, amount="1000", currency="GBP", pledged_on=date(2024, 2, 2)
    )
    factories.receipt(
        session, commitment=pledge, amount="1000", currency="GBP", on=date(2024, 2, 3)
    )
    total = received_total(session, start=YEAR[0], end=YEAR[1], rates_on=date(2024, 12, 31))
    assert total.amount == Decimal("1180.00")
