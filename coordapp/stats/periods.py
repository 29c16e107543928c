"""Calendar quarters, the periods hotline statistics are reported in."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

QUARTERS = (1, 2, 3, 4)


def quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    """First and last day of a calendar quarter."""
    start = date(year, 3 * quarter - 2, 1)
    following = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, following - timedelta(days=1)


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def last_complete_quarter(today: date) -> tuple[int, int]:
    """(year, quarter) of the last quarter that ended before ``today``."""
    year, quarter = today.year, quarter_of(today)
    if quarter_bounds(year, quarter)[1] < today:  # only when today is after the quarter's end
        return year, quarter
    return (year - 1, 4) if quarter == 1 else (year, quarter - 1)


class quarter_start(FunctionElement[date]):  # noqa: N801 (used as a SQL function)
    """SQL: the first day of the calendar quarter holding a date column, ``quarter_bounds``'s
    start in the database (PostgreSQL ``date_trunc``, SQLite date modifiers)."""

    type = sa.Date()
    name = "quarter_start"
    inherit_cache = True


@compiles(quarter_start, "postgresql")
def _quarter_start_postgresql(element: quarter_start, compiler: Any, **kw: Any) -> str:
    return f"CAST(date_trunc('quarter', {compiler.process(element.clauses, **kw)}) AS DATE)"


@compiles(quarter_start, "sqlite")
def _quarter_start_sqlite(element: quarter_start, compiler: Any, **kw: Any) -> str:
    day = compiler.process(element.clauses, **kw)
    # The month's first day, then back 0-2 months to the quarter's first month.
    return (
        f"date({day}, 'start of month', "
        f"'-' || ((CAST(strftime('%m', {day}) AS INTEGER) - 1) % 3) || ' months')"
    )
