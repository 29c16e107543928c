"""What every reporting module shares: the measuring date of a year, the filter choices, and
small conversions of what the database hands back.

The reporting modules (``coverage``, ``growth``, ``partnerships``, ``training``, ``pillars``,
``activity``, and the funding figures in ``funding``) are small keyword-only functions over a
session, each returning a frozen dataclass of tuples (safe to cache and share between
requests). They read only; they never write. Money stays ``Decimal`` and every converted
amount names the exchange-rate date it used (``RateInfo``).

A year's figures are measured up to its last day, or up to ``today`` for the current year
(``period_end``).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding import rate_info
from coordapp.network.models import COVERING_STATUSES
from coordapp.reference import service as reference
from coordapp.reference.models import Country, Pillar

FIRST_YEAR = 1999  # the network's founding year: where the map's slider starts

COVERING_STATUS_VALUES = [s.value for s in COVERING_STATUSES]

RateInfo = rate_info.RateInfo


def period_end(year: int, *, today: date) -> date:
    """The day a year's figures are measured on: 31 December, or ``today`` in the current year."""
    return min(date(year, 12, 31), today)


def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def year_of(column: Any) -> Any:
    return sa.cast(sa.extract("year", column), sa.Integer)


def dialect_name(session: Session) -> str:
    return session.get_bind().dialect.name


def in_years(session: Session, column: Any, first: int, last: int) -> Any:
    """``column`` (a date) falls in the years ``first``..``last``.

    PostgreSQL gets a date range (its statistics estimate it well; an expression on the column
    would be guessed at 0.5 % of the rows and lead it to nested loops). SQLite gets the year
    expression: given a date range covering most of a table it walks the date index row by
    row, about three times slower than reading the table.
    """
    if dialect_name(session) == "sqlite":
        return year_of(column).between(first, last)
    return column.between(date(first, 1, 1), date(last, 12, 31))


def as_int(value: Any) -> int:
    return int(value or 0)


def as_decimal(value: Any, places: str = "0.0001") -> Decimal:
    """A database number as Decimal (SQLite hands back floats: round off their binary noise)."""
    if value is None:
        return Decimal(0)
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_EVEN)


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def regions(session: Session) -> tuple[str, ...]:
    """The UN M49 regions countries belong to (for the region filter)."""
    return tuple(reference.list_regions(session))


def country_codes(session: Session) -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code in the reference table."""
    return frozenset(session.scalars(sa.select(Country.alpha2)))


def pillars(session: Session) -> tuple[tuple[str, str], ...]:
    """(code, name) of the pillars in their order."""
    return tuple(
        (row.code, row.name)
        for row in session.execute(
            sa.select(Pillar.code, Pillar.name).order_by(Pillar.sort_order, Pillar.name)
        )
    )
