"""Validators the services share, so forms, imports and the API refuse the same things.

Each raises ``ValidationError(field, message)`` and returns the cleaned value.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from coordapp.errors import ValidationError

MAX_RECORD_ID = 2**31 - 1  # the INTEGER primary keys: a larger number is never a record


def record_id(raw: object) -> int | None:
    """An id given as text (a query string, a form, a JSON value): the number if it can be a
    record's id, else None (the caller answers "not found" without asking the database, which
    would refuse to compare a number beyond its column)."""
    text = str(raw if raw is not None else "").strip()
    if not text.isdecimal():
        return None
    number = int(text)
    return number if 0 < number <= MAX_RECORD_ID else None


COORDINATION_ONLY = (
    "This system holds coordination data only: do not paste links or file hashes here "
    "(reported material never belongs in coordapp)."
)
# Anything that looks like a link (scheme, www., or host.tld/path) or a file hash.
_URL_LIKE = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/)"
)
_HASH_LIKE = re.compile(r"(?i)\b[0-9a-f]{32,}\b")


def free_text(field: str, value: str | None, *, max_length: int = 5000) -> str | None:
    """Notes and descriptions: trimmed, bounded, and never a link or a hash."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > max_length:
        raise ValidationError(field, f"At most {max_length} characters (this has {len(value)}).")
    if _URL_LIKE.search(value) or _HASH_LIKE.search(value):
        raise ValidationError(field, COORDINATION_ONLY)
    if "\x00" in value:  # PostgreSQL cannot store it; it is never typed on purpose
        raise ValidationError(field, "Remove the NUL character from this text.")
    return value


def required_text(field: str, value: str | None, *, max_length: int) -> str:
    cleaned = free_text(field, value, max_length=max_length)
    if not cleaned:
        raise ValidationError(field, "This field is required.")
    return cleaned


def web_url(field: str, value: str | None, *, max_length: int = 300) -> str | None:
    """Website and document-reference fields: http(s) links with a host, nothing else."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(field, f"At most {max_length} characters.")
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[" (an unclosed IPv6 host)
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValidationError(field, "Enter a full http:// or https:// address.")
    return value


def url_list(field: str, value: str | None) -> str | None:
    """One http(s) link per line (document references)."""
    if value is None or not value.strip():
        return None
    links = [line.strip() for line in value.splitlines() if line.strip()]
    return "\n".join(web_url(field, link) or "" for link in links)


def date_range(start: date | None, end: date | None, *, end_field: str = "end_date") -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError(end_field, "The end date cannot be before the start date.")


def money(field: str, value: object, *, minor_units: int, positive: bool = False) -> Decimal:
    """A non-negative amount with no more decimals than the currency has."""
    try:
        amount = Decimal(str(value).strip().replace(",", "")) if value is not None else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError(field, "Enter an amount as a number, e.g. 12500.00.")
    if amount < 0 or (positive and amount == 0):
        raise ValidationError(
            field,
            "The amount must be more than zero." if positive else "The amount cannot be negative.",
        )
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > minor_units:
        raise ValidationError(
            field,
            f"This currency has {minor_units} decimal place{'s' if minor_units != 1 else ''}; "
            f"{amount} has more.",
        )
    if amount >= Decimal("1e14"):
        raise ValidationError(field, "The amount is too large.")
    return amount


def choice(field: str, enum_cls: Any, value: object, *, required: bool = True) -> Any:
    """A member of ``enum_cls`` from its value, or a message listing the allowed values."""
    if value is None or value == "":
        if required:
            raise ValidationError(field, "Choose a value.")
        return None
    try:
        return enum_cls(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in enum_cls)
        raise ValidationError(field, f"{value!r} is not one of: {allowed}.") from exc
