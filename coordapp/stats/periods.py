"""Calendar quarters, the periods hotline statistics are reported in."""

from __future__ import annotations

from datetime import date, timedelta

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
