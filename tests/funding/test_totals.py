"""The one money conversion: each row at the rate of its own date, through EUR, named."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from coordapp.funding.amounts import outstanding_total, pledged_total, received_total
from coordapp.funding.models import CommitmentStatus
from tests import factories

YEAR = (date(2024, 1, 1), date(2024, 12, 31))


def test_each_receipt_converts_at_the_latest_rate_on_or_before_its_own_date(
    session: Session,
) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="1.10")
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 6, 1), value="1.25")
    pledge = factories.commitment(
        session, amount="100000", currency="USD", pledged_on=date(2024, 1, 5)
    )
    factories.receipt(
        session, commitment=pledge, amount="11000", currency="USD", on=date(2024, 3, 1)
    )
    factories.receipt(
        session, commitment=pledge, amount="12500", currency="USD", on=date(2024, 6, 1)
    )
    factories.receipt(
        session, commitment=pledge, amount="1000.50", currency="EUR", on=date(2024, 7, 1)
    )

    total = received_total(session, start=YEAR[0], end=YEAR[1], currency="EUR")

    assert isinstance(total.amount, Decimal)
    assert total.amount == Decimal("21000.50")  # 11,000 / 1.10 + 12,500 / 1.25 + 1,000.50
    assert total.rates.used == (("USD", date(2024, 1, 1)), ("USD", date(2024, 6, 1)))
    assert total.unconverted == ()
    assert "each row at the rate of its own date: USD 2024-01-01..2024-06-01" in total.rate_note


def test_a_past_year_does_not_move_when_a_newer_rate_is_added(session: Session) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="1.25")
    pledge = factories.commitment(
        session, amount="1000", currency="USD", pledged_on=date(2024, 2, 1)
    )
    factories.receipt(session, commitment=pledge, amount="500", currency="USD", on=date(2024, 5, 1))
    before = received_total(session, start=YEAR[0], end=YEAR[1])
    pledged_before = pledged_total(session, start=YEAR[0], end=YEAR[1])

    factories.rate(session, base="EUR", quote="USD", on=date(2025, 1, 2), value="2.00")

    assert received_total(session, start=YEAR[0], end=YEAR[1]) == before
    assert pledged_total(session, start=YEAR[0], end=YEAR[1]) == pledged_before
    assert before.amount == Decimal("400.00")


def test_a_rate_added_later_for_an_earlier_date_corrects_only_the_rows_it_precedes(
    session: Session,
) -> None:
    """The stated answer: a back-dated rate is a correction; rows dated on or after it (and
    before the next rate) take it, and the note names the new rate date."""
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="1.00")
    pledge = factories.commitment(
        session, amount="1000", currency="USD", pledged_on=date(2024, 1, 2)
    )
    factories.receipt(session, commitment=pledge, amount="100", currency="USD", on=date(2024, 2, 1))
    factories.receipt(session, commitment=pledge, amount="100", currency="USD", on=date(2024, 4, 1))
    assert received_total(session, start=YEAR[0], end=YEAR[1]).amount == Decimal("200.00")

    factories.rate(session, base="EUR", quote="USD", on=date(2024, 3, 1), value="2.00")

    total = received_total(session, start=YEAR[0], end=YEAR[1])
    assert total.amount == Decimal("150.00")  # 100 / 1.00 + 100 / 2.00
    assert total.rates.used == (("USD", date(2024, 1, 1)), ("USD", date(2024, 3, 1)))


def test_constant_rates_convert_every_row_at_one_date(session: Session) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2023, 1, 1), value="1.00")
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="2.00")
    pledge = factories.commitment(
        session, amount="1000", currency="USD", pledged_on=date(2023, 1, 2)
    )
    factories.receipt(session, commitment=pledge, amount="100", currency="USD", on=date(2023, 6, 1))
    factories.receipt(session, commitment=pledge, amount="100", currency="USD", on=date(2024, 6, 1))
    span = (date(2023, 1, 1), date(2024, 12, 31))

    own_dates = received_total(session, start=span[0], end=span[1])
    constant = received_total(session, start=span[0], end=span[1], constant_on=date(2024, 12, 31))

    assert own_dates.amount == Decimal("150.00")
    assert constant.amount == Decimal("100.00")
    assert constant.rates.used == (("USD", date(2024, 1, 1)),)
    assert "constant rates of 2024-12-31" in constant.rate_note


def test_a_rate_stored_the_other_way_round_is_used_inverted(session: Session) -> None:
    factories.rate(session, base="GBP", quote="EUR", on=date(2024, 2, 1), value="1.20")
    pledge = factories.commitment(session, amount="10", currency="GBP", pledged_on=date(2024, 2, 2))
    factories.receipt(
        session, commitment=pledge, amount="10.00", currency="GBP", on=date(2024, 2, 3)
    )
    assert received_total(session, start=YEAR[0], end=YEAR[1]).amount == Decimal("12.00")


def test_a_gbp_amount_shown_in_usd_goes_through_eur_at_the_same_date(session: Session) -> None:
    factories.rate(session, base="EUR", quote="GBP", on=date(2024, 1, 1), value="0.80")
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="1.10")
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 9, 1), value="1.20")
    pledge = factories.commitment(
        session, amount="800", currency="GBP", pledged_on=date(2024, 3, 1)
    )
    factories.receipt(
        session, commitment=pledge, amount="800", currency="GBP", on=date(2024, 10, 1)
    )

    pledged = pledged_total(session, start=YEAR[0], end=YEAR[1], currency="USD")
    received = received_total(session, start=YEAR[0], end=YEAR[1], currency="USD")

    assert pledged.amount == Decimal("1100.00")  # 800 / 0.80 * 1.10
    assert received.amount == Decimal("1200.00")  # 800 / 0.80 * 1.20
    assert "GBP 2024-01-01..2024-09-01 (via EUR)" in received.rate_note


def test_a_currency_without_a_rate_before_the_rows_date_is_left_out_and_named(
    session: Session,
) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 6, 1), value="1.00")
    pledge = factories.commitment(
        session, amount="500", currency="JPY", pledged_on=date(2024, 2, 2)
    )
    factories.receipt(session, commitment=pledge, amount="500", currency="JPY", on=date(2024, 3, 3))
    early = factories.commitment(session, amount="70", currency="USD", pledged_on=date(2024, 2, 2))
    factories.receipt(session, commitment=early, amount="70", currency="USD", on=date(2024, 3, 3))
    factories.receipt(session, commitment=early, amount="30", currency="USD", on=date(2024, 7, 1))

    total = received_total(session, start=YEAR[0], end=YEAR[1])

    assert total.amount == Decimal("30.00")
    assert total.unconverted == ("JPY", "USD")
    assert total.rates.left_out == (("JPY", Decimal("500")), ("USD", Decimal("70.00")))
    assert "left out (no rate on or before the row's date): JPY 500, USD 70.00" in total.rate_note


def test_receipts_outside_the_period_are_left_out(session: Session) -> None:
    pledge = factories.commitment(
        session, amount="300", currency="EUR", pledged_on=date(2023, 2, 2)
    )
    factories.receipt(
        session, commitment=pledge, amount="100", currency="EUR", on=date(2023, 12, 31)
    )
    factories.receipt(session, commitment=pledge, amount="200", currency="EUR", on=date(2024, 1, 1))
    total = received_total(session, start=YEAR[0], end=YEAR[1])
    assert total.amount == Decimal("200.00")
    assert total.rates.used == ()
    assert total.rate_note == "in EUR; no conversion was needed"


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
    total = pledged_total(session, start=YEAR[0], end=YEAR[1])
    assert total.amount == Decimal("1250.25")
    assert total.rates.used == (("USD", date(2024, 1, 1)),)


def test_a_rate_stored_both_ways_on_one_day_prefers_the_one_towards_eur(
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
    total = received_total(session, start=YEAR[0], end=YEAR[1])
    assert total.amount == Decimal("1180.00")


def test_outstanding_is_pledge_minus_receipts_per_commitment_never_below_zero(
    session: Session,
) -> None:
    """A pledge in USD with receipts in EUR: each side at its own date, per commitment."""
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="1.25")
    open_one = factories.commitment(
        session, amount="1000", currency="USD", pledged_on=date(2024, 1, 10)
    )
    factories.receipt(
        session, commitment=open_one, amount="300", currency="EUR", on=date(2024, 4, 1)
    )
    factories.receipt(
        session, commitment=open_one, amount="100", currency="EUR", on=date(2025, 2, 1)
    )
    overpaid = factories.commitment(
        session, amount="100", currency="EUR", pledged_on=date(2024, 3, 1)
    )
    factories.receipt(
        session, commitment=overpaid, amount="150", currency="EUR", on=date(2024, 5, 1)
    )

    at_year_end = outstanding_total(session, start=YEAR[0], end=YEAR[1], on=YEAR[1])
    later = outstanding_total(session, start=YEAR[0], end=YEAR[1], on=date(2025, 12, 31))

    assert at_year_end.amount == Decimal("500.00")  # 1000 / 1.25 - 300; the overpaid one is 0
    assert later.amount == Decimal("400.00")


def test_the_rates_applied_are_enough_to_rebuild_a_total(session: Session) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="1.10")
    factories.rate(session, base="GBP", quote="EUR", on=date(2024, 3, 1), value="1.17")
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 6, 1), value="1.25")
    pledge = factories.commitment(
        session, amount="9000", currency="USD", pledged_on=date(2024, 1, 5)
    )
    rows = [("USD", "1100", date(2024, 2, 1)), ("GBP", "300", date(2024, 4, 1)),
            ("USD", "125", date(2024, 7, 1)), ("EUR", "9.99", date(2024, 8, 1))]  # fmt: skip
    for currency, amount, on in rows:
        factories.receipt(session, commitment=pledge, amount=amount, currency=currency, on=on)

    total = received_total(session, start=YEAR[0], end=YEAR[1], currency="EUR")

    applied = {
        (code, day): rate if towards else Decimal(1) / rate
        for code, day, rate, towards in total.rates.applied
    }
    rebuilt = Decimal("9.99")
    for currency, amount, on in rows[:3]:
        day = max(d for c, d in applied if c == currency and d <= on)
        rebuilt += Decimal(amount) * applied[(currency, day)]
    assert total.amount == rebuilt.quantize(Decimal("0.01")) == Decimal("1460.99")
    assert total.rates.stamp == (
        "1 GBP = 1.17 EUR (2024-03-01); 1 EUR = 1.1 USD (2024-01-01); 1 EUR = 1.25 USD (2024-06-01)"
    )


def test_amounts_of_several_groups_on_one_day_are_converted_once_each(session: Session) -> None:
    """Two pillars of one pledge share its day: each converts once (a day's rate is found
    once and joined back to every group of that day)."""
    from coordapp.funding import conversion
    from coordapp.funding.amounts import pledged_by_pillar_amounts
    from tests.reporting import builders

    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="1.25")
    pledge = factories.commitment(
        session, amount="1000", currency="USD", pledged_on=date(2024, 3, 1)
    )
    builders.allocate(
        session, pledge, [("capacity_building", "600"), ("technology_innovation", "400")]
    )
    factories.rate(session, base="EUR", quote="GBP", on=date(2024, 1, 1), value="0.80")
    expected = {"EUR": Decimal("800.00"), "USD": Decimal("1000.00"), "GBP": Decimal("640.00")}
    for currency in ("EUR", "USD", "GBP"):
        totals, _ = conversion.convert_grouped(
            session,
            amounts=pledged_by_pillar_amounts(start=YEAR[0], end=YEAR[1]),
            keys=["pillar_id"],
            currency=currency,
        )
        assert sum(totals.values()) == expected[currency]
        total = pledged_total(session, start=YEAR[0], end=YEAR[1], currency=currency)
        assert total.amount == expected[currency]
