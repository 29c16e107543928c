"""The one number and date reader of forms, imports and the API: what it takes, what it
refuses, and the words it refuses with (the same on every surface)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from coordapp import validation
from coordapp.errors import ValidationError
from coordapp.validation import DecimalMark, iso_date, parse_number

POINT, COMMA = DecimalMark.POINT, DecimalMark.COMMA


@pytest.mark.parametrize(
    ("written", "mark", "number"),
    [
        ("1.250.000,50", COMMA, "1250000.50"),
        ("1250000,50", COMMA, "1250000.50"),
        ("12,5", COMMA, "12.5"),
        ("1.085", COMMA, "1085"),  # a dot in a group of three is a thousands separator
        ("1 250 000,50", COMMA, "1250000.50"),
        ("1\u00a0250\u00a0000,50", COMMA, "1250000.50"),  # no-break spaces, as Excel writes
        ("1\u202f250,5", COMMA, "1250.5"),  # narrow no-break space (French locale)
        ("1,250,000.50", POINT, "1250000.50"),
        ("1250000.50", POINT, "1250000.50"),
        ("1'250'000.50", POINT, "1250000.50"),  # Swiss
        ("1 250 000.50", POINT, "1250000.50"),
        ("12.50", POINT, "12.50"),
        (".5", POINT, "0.5"),
        ("-12.5", POINT, "-12.5"),
        ("\u22121 000", POINT, "-1000"),  # a typographic minus
        ("+7", POINT, "7"),
        ("  42  ", POINT, "42"),
    ],
)
def test_numbers_as_people_write_them(written: str, mark: DecimalMark, number: str) -> None:
    read = parse_number(written, mark)
    assert read == Decimal(number)
    # The decimals written are kept, so that a currency's decimal places can be checked.
    assert read.as_tuple().exponent == Decimal(number).as_tuple().exponent


@pytest.mark.parametrize(
    ("written", "mark", "message"),
    [
        (
            "12.5",
            COMMA,
            "'12.5' is not a number written with a decimal comma: a dot may only separate "
            "thousands in groups of three (1.250.000,50); did you mean 12,5?",
        ),
        (
            "12,5",
            POINT,
            "'12,5' is not a number written with a decimal point: a comma may only separate "
            "thousands in groups of three (1,250,000.50); did you mean 12.5?",
        ),
        (
            "1,25",
            POINT,
            "'1,25' is not a number written with a decimal point: a comma may only separate "
            "thousands in groups of three (1,250,000.50); did you mean 1.25?",
        ),
        (
            "1.250,50",
            POINT,
            "'1.250,50' is not a number written with a decimal point: a comma may only separate "
            "thousands in groups of three (1,250,000.50); did you mean 1250.50?",
        ),
        (
            "1,250.50",
            COMMA,
            "'1,250.50' is not a number written with a decimal comma: a dot may only separate "
            "thousands in groups of three (1.250.000,50); did you mean 1250,50?",
        ),
        (
            "1,250,000",
            COMMA,
            "'1,250,000' is not a number written with a decimal comma: it has more than one "
            "decimal comma; did you mean 1250000?",
        ),
        (
            "1.2.3",
            POINT,
            "'1.2.3' is not a number written with a decimal point: it has more than one "
            "decimal point.",
        ),
        (
            "12 50",
            POINT,
            "'12 50' is not a number written with a decimal point: a space may only separate "
            "thousands in groups of three (1 250 000.50).",
        ),
        (
            "1\u00a025,5",
            COMMA,
            "'1\\xa025,5' is not a number written with a decimal comma: a space may only "
            "separate thousands in groups of three (1 250 000,50).",
        ),
        (
            "1'25",
            POINT,
            '"1\'25" is not a number written with a decimal point: an apostrophe may only '
            "separate thousands in groups of three (1'250'000.50).",
        ),
        (
            "1,250 000.50",
            POINT,
            "'1,250 000.50' is not a number written with a decimal point: it mixes a comma and "
            "a space as thousands separators; use one.",
        ),
        ("abc", POINT, "'abc' is not a number; write e.g. 1234.56."),
        ("abc", COMMA, "'abc' is not a number; write e.g. 1234,56."),
        ("1e5", POINT, "'1e5' is not a number; write e.g. 1234.56."),
        ("NaN", POINT, "'NaN' is not a number; write e.g. 1234.56."),
        ("Infinity", POINT, "'Infinity' is not a number; write e.g. 1234.56."),
        ("12.", POINT, "'12.' is not a number; write e.g. 1234.56."),
        ("\u0661\u0662", POINT, "'\u0661\u0662' is not a number; write e.g. 1234.56."),
        ("1\t000", POINT, "'1\\t000' is not a number; write e.g. 1234.56."),
        ("", POINT, "Enter a number, e.g. 1234.56."),
        (True, POINT, "True is not a number."),
        (float("nan"), POINT, "'NaN' is not a number."),
        (Decimal("Infinity"), POINT, "'Infinity' is not a number."),
    ],
)
def test_what_is_refused_says_why_and_what_was_meant(
    written: object, mark: DecimalMark, message: str
) -> None:
    with pytest.raises(ValueError) as caught:
        parse_number(written, mark)
    assert str(caught.value) == message


def test_a_long_cell_is_quoted_short() -> None:
    with pytest.raises(ValueError) as caught:
        parse_number("x" * 5000)
    assert len(str(caught.value)) < 100


def test_numbers_already_typed_are_taken_as_they_are() -> None:
    assert parse_number(1250, COMMA) == Decimal(1250)
    assert parse_number(Decimal("12.50"), COMMA) == Decimal("12.50")
    # A spreadsheet float: its shortest exact text, never a binary expansion.
    assert str(parse_number(0.1, COMMA)) == "0.1"


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("1,085", "write it without thousands separators; did you mean 1.085 or 1085?"),
        ("17,250.5", "write it without thousands separators; did you mean 17250.5?"),
    ],
)
def test_without_thousands_separators_any_separator_is_refused(written: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_number(written, thousands=False)
    assert str(caught.value).endswith(message)
    assert parse_number("1.085", thousands=False) == Decimal("1.085")


# --- money -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "minor_units", "message"),
    [
        ("12.5", 0, "JPY amounts have 0 decimal places; this amount has 1."),
        (Decimal("12.5"), 0, "JPY amounts have 0 decimal places; this amount has 1."),
        (12.5, 0, "JPY amounts have 0 decimal places; this amount has 1."),
        ("10.001", 2, "JPY amounts have 2 decimal places; this amount has 3."),
        ("1.0005", 3, "JPY amounts have 3 decimal places; this amount has 4."),
        ("1,5", 2, "did you mean 1.5?"),
        ("1,25", 2, "did you mean 1.25?"),
        ("-5", 2, "The amount cannot be negative."),
        ("100000000000000", 2, "The amount is too large."),
    ],
)
def test_money_is_refused_with_the_currency_and_the_reason(
    value: object, minor_units: int, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        validation.money("amount", value, minor_units=minor_units, currency="JPY")
    assert caught.value.field == "amount"
    assert caught.value.message.endswith(message)


def test_money_takes_a_decimal_point_and_groups_of_three() -> None:
    assert validation.money("amount", "1,250,000.50", minor_units=2) == Decimal("1250000.50")
    assert validation.money("amount", "1 250", minor_units=0) == Decimal(1250)
    assert validation.money("amount", "12", minor_units=0, currency="JPY") == Decimal(12)


# --- dates -----------------------------------------------------------------------------------


def test_iso_dates_are_read() -> None:
    assert iso_date(" 2026-03-01 ") == date(2026, 3, 1)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2026-3-1", "'2026-3-1' is not a date as YYYY-MM-DD; did you mean 2026-03-01?"),
        ("2026/03/01", "'2026/03/01' is not a date as YYYY-MM-DD; did you mean 2026-03-01?"),
        ("2026-02-30", "'2026-02-30' is not a real date (YYYY-MM-DD)."),
        ("2026-13-01", "'2026-13-01' is not a real date (YYYY-MM-DD)."),
        # date.fromisoformat reads these; nobody means them in a form or a spreadsheet.
        ("20260301", "'20260301' is not a date; write it as YYYY-MM-DD."),
        ("2026-W10-1", "'2026-W10-1' is not a date; write it as YYYY-MM-DD."),
        ("31.03.2026", "'31.03.2026' is not a date; write it as YYYY-MM-DD."),
    ],
)
def test_other_dates_are_refused_with_what_was_meant(written: str, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        iso_date(written)
    assert str(caught.value) == message


@pytest.mark.parametrize(
    ("given", "number"), [("", None), ("  ", None), (None, None), (" 12 ", 12), (0, 0), (120, 120)]
)
def test_whole_numbers_are_read_and_blank_is_none(given: object, number: int | None) -> None:
    assert validation.whole_number("months", given, low=0, high=120) == number


@pytest.mark.parametrize(
    ("given", "plain", "named"),
    [
        ("x", "Enter a whole number from 1 to 120.", "Enter the staff count as a whole number."),
        ("1.5", "Enter a whole number from 1 to 120.", "Enter the staff count as a whole number."),
        (True, "Enter a whole number from 1 to 120.", "Enter the staff count as a whole number."),
        ("0", "Enter a whole number from 1 to 120.", "The staff count must be between 1 and 120."),
        (121, "Enter a whole number from 1 to 120.", "The staff count must be between 1 and 120."),
    ],
)
def test_whole_numbers_refused_say_what_is_wanted(given: object, plain: str, named: str) -> None:
    with pytest.raises(ValidationError) as error:
        validation.whole_number("months", given, low=1, high=120)
    assert (error.value.field, error.value.message) == ("months", plain)
    with pytest.raises(ValidationError) as error:
        validation.whole_number("staff_count", given, low=1, high=120, what="the staff count")
    assert error.value.message == named
