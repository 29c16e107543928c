"""Property-based tests of the shared validators: for any input they either return a clean
value that keeps their promise, or raise ValidationError — never another exception."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

from coordapp import validation
from coordapp.errors import ValidationError

FUZZ = settings(max_examples=200, deadline=None, database=None, derandomize=True)

# Text that looks like what people paste: words, links, hashes, control characters, huge runs.
awkward_text = st.one_of(
    st.none(),
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30).map(lambda s: f"http://{s}"),
    st.text(alphabet="0123456789abcdef", min_size=30, max_size=70),
    st.sampled_from(
        [
            "",
            "   ",
            "\x00",
            "a\x00b",
            "http://[",
            "https://[::1",
            "http://",
            "https://example.org/path?q=1",
            "example.org/report",
            "www.example.org",
            "ftp://example.org",
            "javascript:alert(1)",
            "x" * 6000,
            "\u202e\ufeff\u200b",
            "line one\r\nline two",
        ]
    ),
)


def _never_crashes(call: Any) -> Any:
    try:
        return call()
    except ValidationError as error:
        assert error.message
        return error


@FUZZ
@given(value=awkward_text, max_length=st.integers(min_value=1, max_value=6000))
def test_free_text(value: str | None, max_length: int) -> None:
    result = _never_crashes(lambda: validation.free_text("notes", value, max_length=max_length))
    if isinstance(result, ValidationError):
        assert result.field == "notes"
        return
    if result is None:
        assert value is None or not value.strip()
        return
    assert result == value.strip() if value is not None else False
    assert 0 < len(result) <= max_length
    assert "\x00" not in result
    assert not validation._URL_LIKE.search(result)
    assert not validation._HASH_LIKE.search(result)


@FUZZ
@given(value=awkward_text)
@example("http://[")
@example("https://[::1")
@example("http://example.org:99999/")
def test_web_url(value: str | None) -> None:
    result = _never_crashes(lambda: validation.web_url("website", value))
    if isinstance(result, ValidationError) or result is None:
        return
    assert result.startswith(("http://", "https://"))
    assert len(result) <= 300 and " " not in result


@FUZZ
@given(
    value=st.one_of(
        awkward_text,
        st.lists(awkward_text.filter(lambda s: s is not None), max_size=5).map("\n".join),
    )
)
@example("https://example.org/a\nhttp://[\n")
def test_url_list(value: str | None) -> None:
    result = _never_crashes(lambda: validation.url_list("document_refs", value))
    if isinstance(result, ValidationError) or result is None:
        return
    for line in result.splitlines():
        assert line.startswith(("http://", "https://"))


amounts = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["1,000.50", "1.000,50", "NaN", "sNaN", "-0", "1e999999999", "1e-999999999", "0.0000"]
    ),
)


@FUZZ
@given(value=amounts, minor_units=st.integers(min_value=0, max_value=4), positive=st.booleans())
@example(value="sNaN", minor_units=2, positive=False)
@example(value="1e999999999", minor_units=2, positive=True)
@example(value="1e-999999999", minor_units=2, positive=False)
def test_money(value: object, minor_units: int, positive: bool) -> None:
    result = _never_crashes(
        lambda: validation.money("amount", value, minor_units=minor_units, positive=positive)
    )
    if isinstance(result, ValidationError):
        return
    assert isinstance(result, Decimal) and result.is_finite()
    assert Decimal(0) <= result < Decimal("1e14")
    if positive:
        assert result > 0
    exponent = result.as_tuple().exponent
    assert isinstance(exponent, int) and -exponent <= minor_units
    # It fits the NUMERIC(18, 4) money columns exactly.
    assert result == result.quantize(Decimal("0.0001"))


class Colour(enum.StrEnum):
    RED = "red"
    GREEN = "green"


@FUZZ
@given(
    value=st.one_of(
        st.none(),
        st.text(max_size=10),
        st.integers(),
        st.sampled_from(["red", "green", "RED", " red", Colour.RED]),
        st.lists(st.text(max_size=3), max_size=2),
    ),
    required=st.booleans(),
)
def test_choice(value: object, required: bool) -> None:
    result = _never_crashes(lambda: validation.choice("colour", Colour, value, required=required))
    if isinstance(result, ValidationError):
        return
    assert result is None and not required and value in (None, "") or result in Colour


@FUZZ
@given(start=st.none() | st.dates(), end=st.none() | st.dates())
def test_date_range(start: date | None, end: date | None) -> None:
    result = _never_crashes(lambda: validation.date_range(start, end))
    refused = start is not None and end is not None and end < start
    assert isinstance(result, ValidationError) == refused
