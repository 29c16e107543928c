"""Cells read by their column's kind: dates in the chosen order, numbers with the chosen decimal
mark, choices by value or label, countries, pillars, users, allocations, membership changes."""

from __future__ import annotations

import datetime as dt
import enum
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.batching import Batch
from coordapp.imports.countries import resolve_country, unknown_country
from coordapp.imports.types import ImportColumn, Kind
from coordapp.labels import label
from coordapp.network.models import MembershipStatus
from coordapp.reference import service as reference
from coordapp.validation import DecimalMark, blank, iso_date, parse_number


class DateOrder(enum.StrEnum):
    ISO = "iso"
    DMY = "dmy"
    MDY = "mdy"


@dataclass(frozen=True, slots=True)
class Options:
    dates: DateOrder = DateOrder.ISO
    decimal: DecimalMark = DecimalMark.POINT


# Day or month first: 31.03.2026, 3/31/2026 (one separator throughout); two-digit years too,
# only to say that they are not taken.
_DAY_OR_MONTH_FIRST = re.compile(r"([0-9]{1,2})([./-])([0-9]{1,2})\2([0-9]{4}|[0-9]{2})")


def parse_date(value: Any, order: DateOrder) -> dt.date:
    """ISO (YYYY-MM-DD) always; ``31.03.2026`` / ``03/31/2026`` only in the chosen day- or
    month-first order. Anything else (a two-digit year, 2026-3-1, 20260301) is an error that
    says what to write."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    if len(text) > 10 and text[10] in "T ":  # a date with its time, as spreadsheets export it
        try:
            dt.datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD.") from None
        text = text[:10]
    found = _DAY_OR_MONTH_FIRST.fullmatch(text)
    if found is None:
        if order == DateOrder.ISO or re.match(r"[0-9]{4}[^0-9]", text):
            return iso_date(text)  # or its message: what is wrong, what was meant
        expected = "DD.MM.YYYY" if order == DateOrder.DMY else "MM/DD/YYYY"
        raise ValueError(f"{text!r} is not a date; write it as YYYY-MM-DD or {expected}.")
    first, separator, second, year = found.groups()
    if len(year) == 2:
        raise ValueError(
            f"{text!r} has a two-digit year; write the year in full, "
            f"e.g. {first}{separator}{second}{separator}20{year}."
        )
    if order == DateOrder.ISO:
        raise ValueError(
            f"{text!r} is ambiguous: write YYYY-MM-DD, or choose day-first or month-first dates."
        )
    day, month = (first, second) if order == DateOrder.DMY else (second, first)
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        read_as = "day first" if order == DateOrder.DMY else "month first"
        raise ValueError(f"{text!r} is not a real date (read {read_as}).") from None


def parse_decimal(value: Any, mark: DecimalMark, *, thousands: bool = True) -> Decimal:
    """A number cell read with the file's decimal mark (``coordapp.validation.parse_number``:
    the forms' and the API's reader, with the same messages)."""
    return parse_number(value, mark, thousands=thousands)


def parse_choice(value: Any, choices: type[enum.Enum]) -> str:
    """A choice by its value ("in_person", "in person", "In-Person") or its label."""
    text = str(value).strip()
    wanted = "_".join(text.lower().replace("-", " ").split())
    values, by_value, by_label = _choice_keys(choices)
    found = [i for i in (by_value.get(wanted), by_label.get(text.lower())) if i is not None]
    if found:
        return values[min(found)]  # the first member either way matches, as in enum order
    raise ValueError(f"{text!r} is not one of: {', '.join(values)}.")


@functools.cache
def _choice_keys(choices: type[enum.Enum]) -> tuple[list[str], dict[str, int], dict[str, int]]:
    """The members' values, and their positions by value and by label in lower case."""
    values = [str(member.value) for member in choices]
    by_value: dict[str, int] = {}
    by_label: dict[str, int] = {}
    for position, member in enumerate(choices):
        by_value.setdefault(str(member.value), position)
        by_label.setdefault(label(member).lower(), position)
    return values, by_value, by_label


@dataclass(frozen=True, slots=True)
class Lookups:
    """What cells name, resolved once per file: countries as written, and the pillars."""

    countries: Mapping[str, str | None]
    pillars: Sequence[tuple[int, str, str]]  # (id, code, name)
    currencies: frozenset[str] = frozenset()


def normalise(
    session: Session,
    column: ImportColumn,
    value: Any,
    options: Options,
    lookups: Lookups,
    batch: Batch,
) -> Any:
    countries = lookups.countries
    if blank(value):
        if column.required:
            raise ValueError("This column is required.")
        return None
    if column.kind == Kind.DATE:
        return parse_date(value, options.dates)
    if column.kind == Kind.DECIMAL:
        return parse_decimal(value, options.decimal, thousands=column.thousands)
    if column.kind == Kind.CHOICE and column.choices is not None:
        return parse_choice(value, column.choices)
    if column.kind == Kind.INTEGER:
        number = parse_decimal(value, options.decimal)
        if number != number.to_integral_value():
            raise ValueError(f"{str(value).strip()!r} is not a whole number.")
        return int(number)
    if column.kind == Kind.PILLAR:
        return _pillar_id(lookups, str(value))
    if column.kind == Kind.PILLAR_LIST:
        return [
            _pillar_id(lookups, part) for part in re.split(r"[;,|\n]+", str(value)) if part.strip()
        ]
    if column.kind == Kind.COUNTRY_LIST:
        return _country_list(session, str(value), countries, batch)
    if column.kind == Kind.USER:
        return _user_id(session, str(value), batch)
    if column.kind == Kind.ALLOCATIONS:
        return _allocations(lookups, str(value), options)
    if column.kind == Kind.MEMBERSHIP:
        return _membership(str(value), options)
    text = " ".join(str(value).split()) if not isinstance(value, str) else value.strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if column.kind == Kind.COUNTRY:
        return _country_code(session, " ".join(text.split()), countries, batch)
    if column.kind == Kind.CURRENCY:
        # Checked here, not only by the service, so the row reports it with its other cells.
        code = text.upper()
        if lookups.currencies and code not in lookups.currencies:
            raise ValueError(f"{text!r} is not an ISO 4217 currency code (e.g. EUR, USD).")
        return code
    return text


_LIST_SPLIT = re.compile(r"[;|\n]+")


def list_items(text: str) -> list[str]:
    """The items of a list cell: separated by semicolons, bars or new lines."""
    return [" ".join(part.split()) for part in _LIST_SPLIT.split(text) if part.strip()]


def _country_code(
    session: Session, text: str, countries: Mapping[str, str | None], batch: Batch
) -> str:
    code = countries.get(text) or resolve_country(text)
    if code is None or reference.get_country(session, code, batch=batch) is None:
        raise unknown_country(session, text)
    return code


def _country_list(
    session: Session, text: str, countries: Mapping[str, str | None], batch: Batch
) -> list[str]:
    codes: list[str] = []
    for item in list_items(text):
        # "AT, LI" also works, as long as the comma does not belong to a name ("Korea, Rep.").
        parts = [item]
        if "," in item and not (countries.get(item) or resolve_country(item)):
            parts = [p.strip() for p in item.split(",") if p.strip()]
        for part in parts:
            code = _country_code(session, part, countries, batch)
            if code not in codes:
                codes.append(code)
    return codes


def _user_id(session: Session, text: str, batch: Batch) -> int:
    user = auth.get_by_email(session, text.strip(), batch=batch)
    if user is None:
        raise ValueError(f"No user has the email {text.strip()!r}.")
    return user.id


_ALLOCATION = re.compile(
    r"^(?P<pillar>.*?)\s*[:=]?\s*(?P<value>[-+]?[\d.,'\u2019 \u00a0\u202f]*\d)\s*(?P<percent>%?)$"
)
_ALLOCATION_EXAMPLE = '"Capacity Building 60%; Network Expansion 40%"'


def _allocations(lookups: Lookups, text: str, options: Options) -> tuple[str, dict[int, Decimal]]:
    """("percent" or "amount", pillar id -> value) from "Pillar 60%; Other pillar 40%".

    A pillar named alone, without a share, takes the whole pledge ("Capacity Building" is
    100 %); among several, every pillar needs its share."""
    items = list_items(text)
    unshared = [item for item in items if not _ALLOCATION.match(item)]
    if len(items) == 1 and unshared:
        return "percent", {_pillar_id(lookups, items[0]): Decimal(100)}
    if unshared and all(_find_pillar(lookups, item) is not None for item in unshared):
        named = " and ".join(repr(item) for item in unshared)
        raise ValueError(
            f"{named} {'has' if len(unshared) == 1 else 'have'} no share: when a pledge goes "
            f"to several pillars, give each its percentage or amount, e.g. {_ALLOCATION_EXAMPLE} "
            "(a pillar named alone takes the whole pledge)."
        )
    values: dict[int, Decimal] = {}
    percents = 0
    for item in items:
        found = _ALLOCATION.match(item)
        if not found or not found.group("pillar").strip():
            raise ValueError(
                f"{item!r}: write each share as a pillar and an amount or a percentage, "
                f"e.g. {_ALLOCATION_EXAMPLE}."
            )
        pillar = found.group("pillar").strip()
        pillar_id = _pillar_id(lookups, pillar)
        if found.group("percent"):
            percents += 1
        if pillar_id in values:
            raise ValueError(f"{pillar!r} is named twice.")
        try:
            values[pillar_id] = parse_decimal(found.group("value").strip(), options.decimal)
        except ValueError as exc:
            raise ValueError(f"{pillar}: {exc}") from None
    if percents and percents != len(items):
        raise ValueError("Give every share as a percentage, or every share as an amount.")
    return ("percent" if percents else "amount"), values


_EVENT = re.compile(r"^(?P<day>\S+)\s+(?P<status>.+)$")


def _membership(text: str, options: Options) -> list[tuple[dt.date, str]]:
    events: list[tuple[dt.date, str]] = []
    for item in list_items(text):
        found = _EVENT.match(item)
        if not found:
            raise ValueError(
                f"{item!r}: write each membership change as a date and a status, "
                'e.g. "2019-05-01 provisional; 2021-06-01 full".'
            )
        day = parse_date(found.group("day"), options.dates)
        status = parse_choice(found.group("status").removesuffix(" member"), MembershipStatus)
        events.append((day, status))
    return events


def _find_pillar(lookups: Lookups, text: str) -> int | None:
    wanted = " ".join(text.split()).lower()
    for pillar_id, code, name in lookups.pillars:
        if wanted in (code.lower(), name.lower()):
            return int(pillar_id)
    return None


def _pillar_id(lookups: Lookups, text: str) -> int:
    pillar_id = _find_pillar(lookups, text)
    if pillar_id is None:
        known = ", ".join(name for _, _, name in lookups.pillars)
        raise ValueError(f"{text.strip()!r} is not a pillar; use one of: {known}.")
    return pillar_id
