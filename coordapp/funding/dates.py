"""The dates funding records accept: none before 1990, and what has happened (a receipt, a
status change) not in the future."""

from __future__ import annotations

from datetime import date

from coordapp.errors import ValidationError

EARLIEST_DATE = date(1990, 1, 1)


def not_in_future(field: str, value: date, *, what: str) -> None:
    if value > date.today():
        raise ValidationError(
            field,
            f"{value.isoformat()} is in the future: record {what} once it has happened.",
        )
