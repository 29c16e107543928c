"""Filters from URL query values: anything unknown or malformed falls back to the default.

Every page keeps its filters in the URL (``?year=2010&region=Europe``) so that a link
reproduces the view. Values arrive as strings from the URL or as whatever a control sends;
these parsers never raise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode

T = TypeVar("T", bound=str)
CURRENCIES = ("EUR", "USD")


def query_dict(search: str | None) -> dict[str, str]:
    """``?a=1&b=2`` -> {"a": "1", "b": "2"} (the last value of a repeated key wins)."""
    if not search:
        return {}
    return dict(parse_qsl(search.lstrip("?"), keep_blank_values=False))


def to_search(values: Mapping[str, Any]) -> str:
    """The query string for non-empty values, in a stable order."""
    pairs = [(k, str(v)) for k, v in values.items() if v not in (None, "")]
    return "?" + urlencode(pairs) if pairs else ""


def _whole(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def year(value: Any, *, default: int, lowest: int, highest: int) -> int:
    number = _whole(value)
    return number if number is not None and lowest <= number <= highest else default


def count(value: Any) -> int:
    """A count such as a button's clicks: a whole number from 0 to a billion (it may be sent
    back, as a JSON number); anything else is 0."""
    number = _whole(value)
    return number if number is not None and 0 <= number <= 10**9 else 0


def year_range(
    first: Any, last: Any, *, default: tuple[int, int], lowest: int, highest: int
) -> tuple[int, int]:
    start = year(first, default=default[0], lowest=lowest, highest=highest)
    end = year(last, default=default[1], lowest=lowest, highest=highest)
    return (start, end) if start <= end else default


def recent_years(
    values: Mapping[str, Any], *, today: date, lowest: int, back: int
) -> tuple[int, int]:
    """The ``from`` and ``to`` years of a page's filters, between ``lowest`` and this year; by
    default this year and the ``back`` years before it."""
    return year_range(
        values.get("from"),
        values.get("to"),
        default=(max(lowest, today.year - back), today.year),
        lowest=lowest,
        highest=today.year,
    )


@dataclass(frozen=True, slots=True)
class YearRange:
    """The years a page's filters span (``recent_years``), for the filters that hold more."""

    first_year: int
    last_year: int

    def years_query(self) -> dict[str, int]:
        """The years as the URL keeps them (``?from=2017&to=2026``)."""
        return {"from": self.first_year, "to": self.last_year}

    def years(self) -> dict[str, int]:
        """The years as the reports take them (``first_year=``, ``last_year=``)."""
        return {"first_year": self.first_year, "last_year": self.last_year}


def choice(value: Any, options: Iterable[T], default: T | None = None) -> T | None:
    """``value`` if it is one of ``options`` (compared as strings), else ``default``."""
    text = str(value).strip() if value is not None else ""
    for option in options:
        if text == option:
            return option
    return default


def country_code(value: Any, known: Iterable[str]) -> str | None:
    text = str(value).strip().upper() if value is not None else ""
    return text if len(text) == 2 and text in set(known) else None
