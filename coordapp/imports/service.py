"""The import engine: read a file, normalise its cells, report every row, then apply.

A dry run and an apply run the very same path — each row through the domain service's own
``create_*`` / ``update_*`` verb (or the type's ``apply_row`` adapter), all rows inside one
SAVEPOINT — so the report shows exactly what applying would do. The dry run always rolls the
savepoint back; an apply releases it only when no row has an error (all or nothing). The caller
(request or CLI command) commits.

For speed (bench/README.md), a file runs first in a fast mode: what its rows name is looked up
once for the whole file (``coordapp.memo``, ``ImportType.prepare``), existing records are found
through a key index, and rows are flushed 500 at a time. If a service refuses a row after
writing part of it, or the database refuses a batch, the whole file runs again with a savepoint
per row and a flush per row, so that the report stays exact.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import enum
import functools
import gc
import io
import itertools
import json
import logging
import os
import re
import secrets
import stat
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from coordapp import memo, validation
from coordapp.audit import service as audit
from coordapp.db import primary_key_attributes, utcnow
from coordapp.errors import DomainError, NotFound, ValidationError
from coordapp.extensions import DEFER_FLUSH
from coordapp.imports import mapping as header_mapping
from coordapp.imports import readers
from coordapp.imports.mapping import FileColumn, ReadAs
from coordapp.imports.models import ImportColumnMapping
from coordapp.imports.readers import FileProblem, Table
from coordapp.imports.types import IMPORT_TYPES, NAME_LOOKUPS, ImportColumn, ImportType, Kind
from coordapp.labels import label
from coordapp.records import service as records
from coordapp.reference import service as reference
from coordapp.reference.models import Country, Currency, Pillar
from coordapp.validation import DecimalMark, iso_date, parse_number
from coordapp.writers_lock import serialize_writers


class DateOrder(enum.StrEnum):
    ISO = "iso"
    DMY = "dmy"
    MDY = "mdy"


class Outcome(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"
    SKIP = "skip"  # a blank row
    # Read and normalised, but not matched or written: the header has problems (a required
    # column missing, one named twice), so what the row would do cannot be known yet.
    UNCHECKED = "unchecked"


@dataclass(frozen=True, slots=True)
class Options:
    dates: DateOrder = DateOrder.ISO
    decimal: DecimalMark = DecimalMark.POINT


@dataclass(frozen=True, slots=True)
class CellError:
    row: int | None
    column: str | None
    message: str


@dataclass(slots=True)
class RowResult:
    row: int
    outcome: Outcome
    key: str
    errors: list[CellError] = field(default_factory=list)
    changed: tuple[str, ...] = ()
    # What the row's cells were read as (the service's data, by field), for the dry run.
    values: Mapping[str, Any] = field(default_factory=dict)
    # The id of the existing record the row updates (or leaves unchanged).
    target: int | None = None
    # What the row writes but a person should look at first (e.g. a receipt that takes its
    # commitment over 100 %): shown in the dry run, never a reason to refuse the file.
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ImportReport:
    type_name: str
    filename: str
    applied: bool = False
    dry_run: bool = True
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[CellError] = field(default_factory=list)
    seconds: float = 0.0
    # How each column of the file was read (by name, synonym, the mapping, or not at all).
    columns: list[FileColumn] = field(default_factory=list)
    # Names for the codes and ids in ``RowResult.values``.
    pillar_names: Mapping[int, str] = field(default_factory=dict)
    country_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        counts = {outcome.value: 0 for outcome in Outcome}
        for row in self.rows:
            counts[row.outcome.value] += 1
        return counts

    @property
    def processed(self) -> int:
        return len(self.rows) - self.counts["skip"]

    @property
    def errors(self) -> list[CellError]:
        return self.file_errors + [error for row in self.rows for error in row.errors]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        counts = self.counts
        text = (
            f"{self.processed} rows: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['unchanged']} unchanged, {counts['error']} with errors"
        )
        if counts["unchecked"]:
            text += f", {counts['unchecked']} not checked (header problems)"
        if counts["skip"]:
            text += f"; {counts['skip']} blank row{'s' if counts['skip'] > 1 else ''} skipped"
        return text


def import_type(name: str) -> ImportType:
    try:
        return IMPORT_TYPES[name]
    except KeyError:
        raise ValidationError(
            "type", f"Unknown import type {name!r}; choose one of: {', '.join(IMPORT_TYPES)}."
        ) from None


def type_choices() -> list[tuple[str, str]]:
    return [(t.name, t.title) for t in IMPORT_TYPES.values()]


# --- cell normalisation ----------------------------------------------------------------------

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


# Names in the country's own language that the English-language converters do not know.
_NATIVE_NAMES = {
    "deutschland": "DE",
    "österreich": "AT",
    "osterreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "españa": "ES",
    "espana": "ES",
    "italia": "IT",
    "nederland": "NL",
    "belgië": "BE",
    "belgique": "BE",
    "polska": "PL",
    "česko": "CZ",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "magyarország": "HU",
    "hellas": "GR",
    "ελλάδα": "GR",
    "éire": "IE",
    "brasil": "BR",
    "méxico": "MX",
    "türkiye": "TR",
    "turkiye": "TR",
    "россия": "RU",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "україна": "UA",
}


@functools.cache
def _converter() -> Any:
    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.ERROR)
    return coco.CountryConverter()


@functools.lru_cache(maxsize=4096)
def resolve_country(name: str) -> str | None:
    """ISO alpha-2 for a country as people write it (name, ISO-2, ISO-3), or None."""
    text = " ".join(name.split())
    if not text:
        return None
    native = _NATIVE_NAMES.get(text.lower())
    if native:
        return native
    if len(text) == 2 and text.isalpha():
        return text.upper()
    result = _converter().convert([text], to="ISO2", not_found=None)
    code = result[0] if isinstance(result, list) else result
    if isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper():
        return code
    import pycountry

    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        # "Cote d Ivoire", "Sao Tome & Principe": a known name but for accents and punctuation.
        return _country_aliases().get(_plain_name(text))


def resolve_countries(names: Iterable[str]) -> dict[str, str | None]:
    """Resolve many names, asking the converter once for all it has not seen (slow per call)."""
    pending = sorted({" ".join(n.split()) for n in names if n and n.strip()})
    unseen = [
        n
        for n in pending
        if n not in _BATCH_RESOLVED and n.lower() not in _NATIVE_NAMES and len(n) != 2
    ]
    if len(unseen) > 1:
        converted = _converter().convert(unseen, to="ISO2", not_found=None)
        if len(_BATCH_RESOLVED) > 10_000:
            _BATCH_RESOLVED.clear()
        for text, code in zip(unseen, converted, strict=True):
            if isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper():
                _BATCH_RESOLVED[text] = code
    return {n: _BATCH_RESOLVED.get(n) or resolve_country(n) for n in pending}


_BATCH_RESOLVED: dict[str, str] = {}


def _plain_name(text: str) -> str:
    """A name as compared loosely: in lower case, without accents, punctuation or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", letters).split())


@functools.cache
def _country_aliases() -> dict[str, str]:
    """Every name the libraries know a country by, compared loosely -> ISO alpha-2: pycountry's
    names, official and common names, country_converter's short and official names, and the
    native names above."""
    import pycountry

    aliases: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name:
                aliases.setdefault(_plain_name(name), country.alpha_2)
    # Kosovo, which pycountry lacks, as the reference table keys it (coco: XKX).
    by_alpha3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries} | {"XKX": "XK"}
    data = _converter().data
    for alpha3, short, official in zip(
        data["ISO3"], data["name_short"], data["name_official"], strict=True
    ):
        code = by_alpha3.get(alpha3)
        for name in (short, official):
            if code and isinstance(name, str):
                aliases.setdefault(_plain_name(name), code)
    for name, code in _NATIVE_NAMES.items():
        aliases.setdefault(_plain_name(name), code)
    return aliases


def _words_sorted(name: str) -> str:
    return " ".join(sorted(name.split()))


@functools.cache
def _alias_choices() -> tuple[list[str], list[str]]:
    """The aliases as written, and with their words sorted ("kingdom united")."""
    written = list(_country_aliases())
    return written, [_words_sorted(name) for name in written]


@functools.lru_cache(maxsize=4096)
def _closest_countries(wanted: str) -> Mapping[str, int]:
    """ISO alpha-2 -> typing slips (a letter missing, extra, wrong, or two swapped) from
    ``wanted`` to the country's closest name, in the words' order or sorted; only the
    countries within one slip for a name of up to nine letters, two for a longer one."""
    if len(wanted) < 4:  # "Oz", "XY": any country is one or two slips away
        return {}
    slips = 1 if len(wanted) < 10 else 2
    aliases = _country_aliases()
    written, words_sorted = _alias_choices()
    closest: dict[str, int] = {}
    for query, choices in ((wanted, written), (_words_sorted(wanted), words_sorted)):
        for _, distance, index in process.extract(
            query, choices, scorer=OSA.distance, score_cutoff=slips, limit=None
        ):
            code = aliases[written[index]]
            closest[code] = min(distance, closest.get(code, distance))
    return closest


def country_suggestions(session: Session, text: str, *, limit: int = 3) -> list[str]:
    """The countries ``text`` is probably a misspelling of, closest first ("Germany (DE)");
    none for a name that is not close to any country's ("Atlantis", "Wakanda"). Names are
    compared loosely (``_plain_name``), by the edit distance of ``_closest_countries``."""
    closest = _closest_countries(_plain_name(text))
    if not closest:
        return []
    names = dict(
        session.execute(
            sa.select(Country.alpha2, Country.name).where(Country.alpha2.in_(list(closest)))
        ).all()
    )
    ranked = sorted((closest[code], name, code) for code, name in names.items())
    return [f"{name} ({code})" for _, name, code in ranked[:limit]]


def _unknown_country(session: Session, text: str) -> ValueError:
    hints = country_suggestions(session, text)
    hint = f" Did you mean {' or '.join(hints)}?" if hints else ""
    return ValueError(f"No country is named {text!r}.{hint}")


# --- the engine ------------------------------------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass(frozen=True, slots=True)
class _Header:
    """Which file column holds which import column, and what is wrong with the header."""

    mapping: dict[int, ImportColumn]
    problems: list[str]
    read_as: list[FileColumn]
    # Every row can go through its service: no required column is missing, none is named
    # twice (unknown columns alone still let the rows be checked, but refuse the file).
    checkable: bool
    # File columns the header names but no import column reads (unknown or ignored).
    unread: frozenset[int]


def _map_header(
    itype: ImportType, header: Sequence[str], chosen: Sequence[str | None] | None = None
) -> _Header:
    mapping: dict[int, ImportColumn] = {}
    problems: list[str] = []
    unknown: list[str] = []
    twice: list[str] = []
    read_as = header_mapping.read_header(itype, header, chosen)
    for file_column in read_as:
        column = file_column.column
        if file_column.how == ReadAs.UNKNOWN:
            unknown.append(file_column.header)
        elif column is None:
            continue
        elif column in mapping.values():
            twice.append(column.name)
        else:
            mapping[file_column.index] = column
    problems.extend(
        f"The column {name!r} appears twice in the header (or is mapped twice)."
        for name in dict.fromkeys(twice)
    )
    expected = ", ".join(c.name for c in itype.columns)
    missing = [c.name for c in itype.columns if c.required and c not in mapping.values()]
    if missing:
        problems.insert(
            0,
            f"The header lacks the required column(s) {', '.join(missing)}; is this a "
            f"{itype.title.lower()} file? The first row must name the columns ({expected}), "
            "or map the file's columns to them.",
        )
    if unknown:
        problems.append(
            f"Unknown column(s) {', '.join(repr(u) for u in unknown)}: map each to a "
            f"{itype.title.lower()} column or ignore it. The columns are: {expected}."
        )
    unread = frozenset(fc.index for fc in read_as if fc.index not in mapping)
    return _Header(mapping, problems, read_as, not missing and not twice, unread)


@dataclass(frozen=True, slots=True)
class _Lookups:
    """What cells name, resolved once per file: countries as written, and the pillars."""

    countries: Mapping[str, str | None]
    pillars: Sequence[tuple[int, str, str]]  # (id, code, name)
    currencies: frozenset[str] = frozenset()


def _normalise(
    session: Session,
    column: ImportColumn,
    value: Any,
    options: Options,
    lookups: _Lookups,
) -> Any:
    countries = lookups.countries
    if _blank(value):
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
        return _country_list(session, str(value), countries)
    if column.kind == Kind.USER:
        return _user_id(session, str(value))
    if column.kind == Kind.ALLOCATIONS:
        return _allocations(lookups, str(value), options)
    if column.kind == Kind.MEMBERSHIP:
        return _membership(str(value), options)
    text = " ".join(str(value).split()) if not isinstance(value, str) else value.strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if column.kind == Kind.COUNTRY:
        return _country_code(session, " ".join(text.split()), countries)
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


def _country_code(session: Session, text: str, countries: Mapping[str, str | None]) -> str:
    code = countries.get(text) or resolve_country(text)
    if code is None or reference.get_country(session, code) is None:
        raise _unknown_country(session, text)
    return code


def _country_list(session: Session, text: str, countries: Mapping[str, str | None]) -> list[str]:
    codes: list[str] = []
    for item in list_items(text):
        # "AT, LI" also works, as long as the comma does not belong to a name ("Korea, Rep.").
        parts = [item]
        if "," in item and not (countries.get(item) or resolve_country(item)):
            parts = [p.strip() for p in item.split(",") if p.strip()]
        for part in parts:
            code = _country_code(session, part, countries)
            if code not in codes:
                codes.append(code)
    return codes


def _user_id(session: Session, text: str) -> int:
    from coordapp.auth import service as auth

    user = auth.get_by_email(session, text.strip())
    if user is None:
        raise ValueError(f"No user has the email {text.strip()!r}.")
    return user.id


_ALLOCATION = re.compile(
    r"^(?P<pillar>.*?)\s*[:=]?\s*(?P<value>[-+]?[\d.,'\u2019 \u00a0\u202f]*\d)\s*(?P<percent>%?)$"
)
_ALLOCATION_EXAMPLE = '"Capacity Building 60%; Network Expansion 40%"'


def _allocations(lookups: _Lookups, text: str, options: Options) -> tuple[str, dict[int, Decimal]]:
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
    from coordapp.network.models import MembershipStatus

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


def _find_pillar(lookups: _Lookups, text: str) -> int | None:
    wanted = " ".join(text.split()).lower()
    for pillar_id, code, name in lookups.pillars:
        if wanted in (code.lower(), name.lower()):
            return int(pillar_id)
    return None


def _pillar_id(lookups: _Lookups, text: str) -> int:
    pillar_id = _find_pillar(lookups, text)
    if pillar_id is None:
        known = ", ".join(name for _, _, name in lookups.pillars)
        raise ValueError(f"{text.strip()!r} is not a pillar; use one of: {known}.")
    return pillar_id


def _reference_rows(session: Session) -> list[Any]:
    rows: list[Any] = []
    for model in (Country, Currency, Pillar):
        rows.extend(session.scalars(sa.select(model)).all())
    return rows


def _existing_keys(session: Session, itype: ImportType) -> dict[tuple[Any, ...], int] | None:
    if not itype.index or itype.index_key is None:
        return None
    query = sa.select(*itype.index, itype.model.id)
    keys: dict[tuple[Any, ...], int] = {}
    for row in session.execute(query):
        key = tuple(str(v) if isinstance(v, enum.Enum) else v for v in row[:-1])
        # Two records with one key (possible where no constraint forbids it): a row naming
        # that key is refused rather than matched to either.
        keys[key] = AMBIGUOUS if key in keys else row[-1]
    return keys


AMBIGUOUS = -1  # in the key index: more than one existing record has this key


def _preload(
    session: Session, itype: ImportType, known: dict[tuple[Any, ...], int] | None, rows: int
) -> list[Any]:
    if not known or len(known) > 20 * rows:
        return []
    statement = sa.select(itype.model).options(*itype.preload)
    return records.scalars_in(session, statement, itype.model.id, known.values())


def _snapshot(obj: Any) -> dict[str, Any]:
    skip = {"updated_at", "created_at", "version"}
    return {
        attr.key: getattr(obj, attr.key)
        for attr in inspect(obj).mapper.column_attrs
        if attr.key not in skip
    }


def run_import(
    session: Session,
    *,
    type_name: str,
    filename: str,
    content: bytes,
    options: Options | None = None,
    apply: bool = False,
    columns: Sequence[str | None] | None = None,
) -> ImportReport:
    """Report what importing the file does; with ``apply``, do it — all rows or none.

    The report lists every data row with its spreadsheet row number (blank ones as skipped),
    what its cells were read as, and every problem of the header and of the rows at once.
    ``columns`` maps the file's columns (``coordapp.imports.mapping``); columns it leaves
    None are read by name or synonym. Nothing is committed here.
    """
    options = options or Options()
    itype = import_type(type_name)
    started = time.perf_counter()
    report = ImportReport(type_name=itype.name, filename=filename, dry_run=not apply)
    try:
        table: Table = readers.read_table(filename, content, header_hint=_header_hint(itype))
    except FileProblem as exc:
        report.file_errors.append(CellError(None, None, exc.message))
        return report
    header = _map_header(itype, table.header, columns)
    report.columns = header.read_as
    report.file_errors.extend(CellError(1, None, p) for p in header.problems)
    mapping = header.mapping
    country_columns = [
        (i, c.kind) for i, c in mapping.items() if c.kind in (Kind.COUNTRY, Kind.COUNTRY_LIST)
    ]
    # Each distinct cell once: a file repeats its countries row after row.
    country_cells = {
        (str(cells[i]), kind)
        for _, cells in table.rows
        for i, kind in country_columns
        if i < len(cells) and not _blank(cells[i])
    }
    countries: Mapping[str, str | None] = resolve_countries(
        name
        for text, kind in country_cells
        for name in ([text] if kind == Kind.COUNTRY else list_items(text))
    )
    # Strong references keep the reference rows in the session's (weak) identity map, so the
    # services' per-row look-ups of countries, currencies and pillars cost no query.
    reference_rows = _reference_rows(session)
    lookups = _Lookups(
        countries=countries,
        pillars=[(p.id, p.code, p.name) for p in reference_rows if isinstance(p, Pillar)],
        currencies=frozenset(c.code for c in reference_rows if isinstance(c, Currency)),
    )
    report.pillar_names = {pillar_id: name for pillar_id, _, name in lookups.pillars}
    report.country_names = {c.alpha2: c.name for c in reference_rows if isinstance(c, Country)}
    # Hold other writers off for the whole file, once (services that check a rule the database
    # cannot enforce ask for this per row; taken here, outside the savepoints, it is held).
    serialize_writers(session)
    try:
        with (
            _collecting_garbage_less_often(),
            contextlib.nullcontext() if apply else _ids_outside_sequences(session),
        ):
            try:
                _attempt(session, itype, header, table, options, lookups, report, apply, safe=False)
            except _RetrySafely:
                # A row failed inside a service after writing part of itself: run again with a
                # savepoint per row, so that each failed row leaves nothing behind.
                _attempt(session, itype, header, table, options, lookups, report, apply, safe=True)
    finally:
        del reference_rows
    if table.blank_rows:
        report.rows.extend(RowResult(n, Outcome.SKIP, "blank") for n in table.blank_rows)
        report.rows.sort(key=lambda row: row.row)
    report.seconds = time.perf_counter() - started
    return report


def file_header(type_name: str, filename: str, content: bytes) -> list[str] | None:
    """The header row of an upload, or None when the file cannot be read (its check says why)."""
    found = preview(type_name, filename, content)
    return found[0] if found is not None else None


def preview(
    type_name: str, filename: str, content: bytes, *, samples: int = 3
) -> tuple[list[str], list[list[str]]] | None:
    """The header of an upload and, per column, its first few non-blank values (for the
    mapping page); None when the file cannot be read."""
    itype = import_type(type_name)
    try:
        table = readers.read_table(filename, content, header_hint=_header_hint(itype))
    except FileProblem:
        return None
    found: list[list[str]] = [[] for _ in table.header]
    for _, cells in table.rows:
        for index, cell in enumerate(cells[: len(found)]):
            if len(found[index]) < samples and not _blank(cell):
                found[index].append(str(cell).strip())
        if all(len(values) >= samples for values in found):
            break
    return table.header, found


def _header_hint(itype: ImportType) -> frozenset[str]:
    """Names that mark a workbook's header row (below a title): the columns', and synonyms."""
    names = [n for c in itype.columns for n in (c.name, c.field, *c.aliases)]
    return frozenset(readers.normal_header(n) for n in (*names, *header_mapping.synonym_words()))


def columns_from_options(
    type_name: str, filename: str, content: bytes, options: Sequence[str]
) -> list[str | None] | None:
    """The CLI's ``--map 'File column=column'`` options as a mapping of the file's header.

    Raises ValidationError for an option that names no column of the file or of the type."""
    if not options:
        return None
    itype = import_type(type_name)
    header = file_header(itype.name, filename, content)
    if header is None:
        return None  # the file cannot be read: its report says why
    try:
        return header_mapping.parse_map_options(itype, header, options)
    except ValueError as exc:
        raise ValidationError("map", str(exc)) from None


# --- column mappings remembered per header (plain statements: a preference, not data) -------

_MAPPINGS: sa.Table = ImportColumnMapping.__table__  # type: ignore[assignment]


def saved_columns(session: Session, *, type_name: str, header: Sequence[str]) -> list[str] | None:
    """The mapping last chosen for a file of this type with this header, if it still fits."""
    itype = import_type(type_name)
    found = session.execute(
        sa.select(_MAPPINGS.c.columns).where(
            _MAPPINGS.c.import_type == itype.name,
            _MAPPINGS.c.header_hash == header_mapping.header_key(header),
        )
    ).scalar_one_or_none()
    if not isinstance(found, list) or len(found) != len(header):
        return None
    fits = all(
        choice == header_mapping.IGNORE or itype.column(str(choice)) is not None for choice in found
    )
    return [str(choice) for choice in found] if fits else None


def remember_columns(
    session: Session, *, actor: Any, type_name: str, header: Sequence[str], columns: Sequence[str]
) -> None:
    """Keep the mapping chosen for this header, for the next file that has it."""
    itype = import_type(type_name)
    key = header_mapping.header_key(header)
    values = {
        "header": list(header),
        "columns": list(columns),
        "saved_by_id": getattr(actor, "id", None),
        "saved_at": utcnow(),
    }
    where = (_MAPPINGS.c.import_type == itype.name, _MAPPINGS.c.header_hash == key)
    updated = session.execute(sa.update(_MAPPINGS).where(*where).values(**values))
    if not updated.rowcount:  # type: ignore[attr-defined]
        session.execute(
            sa.insert(_MAPPINGS).values(import_type=itype.name, header_hash=key, **values)
        )


@contextlib.contextmanager
def _ids_outside_sequences(session: Session) -> Iterator[None]:
    """Within the block, each new record is given a negative id before it is inserted.

    A dry run writes every row and rolls back, but PostgreSQL never takes back a value its
    sequence handed out: each check of a 20,000-row file would burn 20,000 ids (and leave gaps
    that look like deleted records). An id given in the INSERT asks the sequence for nothing;
    negative ids never meet real ones, and the rollback removes them.
    """
    negative_ids = itertools.count(-1, -1)

    def give_ids(flushing: Session, _context: Any, _instances: Any) -> None:
        for record in flushing.new:
            state = inspect(record)
            key = _sequence_key(state.mapper)
            if key is not None and state.dict.get(key) is None:
                setattr(record, key, next(negative_ids))

    sa.event.listen(session, "before_flush", give_ids)
    try:
        yield
    finally:
        sa.event.remove(session, "before_flush", give_ids)


@functools.cache
def _sequence_key(mapper: Any) -> str | None:
    """The attribute of a mapped class's one integer, sequence-given primary key, or None."""
    if len(mapper.primary_key) != 1:
        return None
    column = mapper.primary_key[0]
    if not isinstance(column.type, sa.Integer) or column.autoincrement is False:
        return None
    return primary_key_attributes(mapper)[0]


def _attempt(
    session: Session,
    itype: ImportType,
    header: _Header,
    table: Table,
    options: Options,
    lookups: _Lookups,
    report: ImportReport,
    apply: bool,
    *,
    safe: bool,
) -> None:
    summary = f"Imported from {report.filename!r} ({itype.title.lower()})"
    with audit.deferred(session, summary=summary), memo.remembering(session):
        _look_up_names(session, header.mapping, table)
        report.rows, outer = _run_rows(session, itype, header, table, options, lookups, safe=safe)
        if apply and report.ok:
            counts = report.counts
            audit.record(
                session,
                action="import",
                entity_type=itype.model.__tablename__,
                summary=(
                    f"Imported {itype.title.lower()} from {report.filename!r}: "
                    f"{counts['create']} created, {counts['update']} updated, "
                    f"{counts['unchanged']} unchanged."
                ),
            )
            audit.write_deferred(session)
            outer.commit()
            report.applied = True
        else:
            outer.rollback()


def _look_up_names(session: Session, mapping: Mapping[int, ImportColumn], table: Table) -> None:
    """Every organization, hotline and user the file names, a thousand per query."""
    for index, column in mapping.items():
        if not column.names:
            continue
        names = {
            str(cells[index]).strip()
            for _, cells in table.rows
            if index < len(cells) and not _blank(cells[index])
        }
        for kind in column.names:
            look_up, key = NAME_LOOKUPS[kind]
            memo.remember(
                session, kind, look_up(session, sorted(names)), asked=[key(n) for n in names]
            )


_GC_LOCK = threading.Lock()
_GC_USERS = 0
_GC_SAVED: tuple[int, ...] = ()


@contextlib.contextmanager
def _collecting_garbage_less_often() -> Iterator[None]:
    """Rarer garbage collections while a file is imported.

    Its rows keep tens of thousands of ORM objects alive until the commit, and CPython's
    default thresholds then walk them again and again in full collections: 40% of the time of
    a 10,000-row statistics file (10.8 s; 6.4 s with these settings, bench/README.md). The
    process's thresholds are restored when the last import running in it ends.
    """
    global _GC_USERS, _GC_SAVED
    with _GC_LOCK:
        if _GC_USERS == 0:
            _GC_SAVED = gc.get_threshold()
            gc.set_threshold(10_000, 10, 100)
        _GC_USERS += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_USERS -= 1
            if _GC_USERS == 0:
                gc.set_threshold(*_GC_SAVED)


class _RetrySafely(Exception):
    """A service refused a row after part of it was written (fast mode only)."""


def _run_rows(
    session: Session,
    itype: ImportType,
    header: _Header,
    table: Table,
    options: Options,
    lookups: _Lookups,
    *,
    safe: bool,
) -> tuple[list[RowResult], Any]:
    """Every row through its service inside one outer SAVEPOINT, returned still open."""
    mapping = header.mapping
    by_field = {c.field: c for c in itype.columns}
    known = _existing_keys(session, itype)
    # Strong references to the records a large file is likely to update: one query per thousand
    # instead of one per row (skipped when the table is much larger than the file).
    context: dict[str, Any] = {"preloaded": _preload(session, itype, known, len(table.rows))}
    if itype.prepare is not None and header.checkable:
        itype.prepare(
            session,
            values={
                column.field: [cells[i] for _, cells in table.rows if i < len(cells)]
                for i, column in mapping.items()
            },
            context=context,
        )
    progress = session.info.get(PROGRESS_KEY)
    total = len(table.rows)
    outer = session.begin_nested()
    results: list[RowResult] = []
    batched = itype.batch_writes and not safe
    if progress is not None:
        progress(0, total)
    try:
        if batched:
            session.info[DEFER_FLUSH] = True
        for done, (number, cells) in enumerate(table.rows, start=1):
            results.append(
                _import_row(
                    session,
                    itype,
                    header,
                    by_field,
                    number,
                    cells,
                    options,
                    lookups,
                    known,
                    context,
                    safe=safe,
                )
            )
            if batched and done % BATCH_ROWS == 0:
                _flush_batch(session)
            if progress is not None and (done % 250 == 0 or done == total):
                progress(done, total)
        if batched:
            _flush_batch(session)
    except _RetrySafely:
        outer.rollback()
        raise
    except BaseException:
        if outer.is_active:
            outer.rollback()
        raise
    finally:
        session.info.pop(DEFER_FLUSH, None)
    return results, outer


BATCH_ROWS = 500


def _flush_batch(session: Session) -> None:
    """Write the rows kept back since the last batch; a refusal re-runs the file row by row."""
    session.info.pop(DEFER_FLUSH, None)
    try:
        session.flush()
    except sa.exc.DBAPIError as exc:
        raise _RetrySafely() from exc
    session.info[DEFER_FLUSH] = True


# A callable (rows processed, rows in all) put on ``session.info`` by whoever shows progress.
PROGRESS_KEY = "import_progress"


_DATE_RANGES = (("period_start", "period_end"), ("start_date", "end_date"))


def _import_row(
    session: Session,
    itype: ImportType,
    header: _Header,
    by_field: Mapping[str, ImportColumn],
    number: int,
    cells: Sequence[Any],
    options: Options,
    lookups: _Lookups,
    known: dict[tuple[Any, ...], int] | None,
    context: dict[str, Any],
    *,
    safe: bool,
) -> RowResult:
    data: dict[str, Any] = {}
    errors: list[CellError] = []
    mapping = header.mapping
    for index, column in mapping.items():
        value = cells[index] if index < len(cells) else None
        try:
            data[column.field] = _normalise(session, column, value, options, lookups)
        except ValueError as exc:
            errors.append(CellError(number, column.name, str(exc)))
    # Rules the services check after the first refusal, checked here with the cells, so the
    # row lists them all at once (the same rule functions the services call).
    for start, end in _DATE_RANGES:
        if data.get(start) is not None and data.get(end) is not None and end in by_field:
            try:
                validation.date_range(data[start], data[end], end_field=end)
            except ValidationError as exc:
                errors.append(CellError(number, by_field[end].name, exc.message))
    for index in range(len(cells)):
        if index not in mapping and index not in header.unread and not _blank(cells[index]):
            errors.append(
                CellError(number, None, f"A value in column {index + 1}, which has no header.")
            )
    key = itype.describe(data)
    if errors or not header.checkable:
        outcome = Outcome.ERROR if errors else Outcome.UNCHECKED
        return RowResult(number, outcome, key, errors, values=data)
    # Fast mode writes without a savepoint per row (two statements fewer per row); a row that
    # a service refuses then sends the whole file through the safe mode (see ``run_import``).
    savepoint = session.begin_nested() if safe else None
    try:
        warnings: list[str] = []
        if itype.apply_row is not None:
            outcome_name, changed, *warned = itype.apply_row(session, data=data, context=context)
            outcome, target = Outcome(outcome_name), None
            warnings = list(warned[0]) if warned else []
        else:
            outcome, changed, target = _match_and_write(session, itype, data, known)
            if itype.warn is not None:
                warnings = itype.warn(session, data=data, context=context)
        if savepoint is not None:
            savepoint.commit()
        return RowResult(
            number, outcome, key, changed=changed, values=data, target=target, warnings=warnings
        )
    except (DomainError, sa.exc.IntegrityError) as exc:
        if savepoint is None:
            raise _RetrySafely() from exc
        savepoint.rollback()
        memo.forget(session)
        if isinstance(exc, ValidationError):
            where = by_field.get(exc.field or "")
            refusal = CellError(number, where.name if where else exc.field, exc.message)
        elif isinstance(exc, DomainError):
            refusal = CellError(number, None, exc.message)
        else:
            refusal = CellError(number, None, f"Refused by the database: {exc.orig}")
        return RowResult(number, Outcome.ERROR, key, [refusal], values=data)


def _match_and_write(
    session: Session,
    itype: ImportType,
    data: Mapping[str, Any],
    known: dict[tuple[Any, ...], int] | None,
) -> tuple[Outcome, tuple[str, ...], int | None]:
    """Update the record the row's natural key finds, or create one (and which it updated)."""
    key = itype.index_key(data) if known is not None and itype.index_key is not None else None
    if known is not None and key is not None:
        found = known.get(key)
        if found == AMBIGUOUS:
            raise ValidationError(
                None, f"More than one existing {itype.title.lower()} record matches this row."
            )
        if found is not None and not isinstance(found, int):
            existing = [found]  # created by an earlier row of this file, not flushed yet
        else:
            existing = [session.get(itype.model, found)] if found is not None else []
    else:
        if session.info.get(DEFER_FLUSH):
            _flush_batch(session)  # the query must see the earlier rows of this file
        existing = list(session.scalars(sa.select(itype.model).where(*itype.match(data)).limit(2)))
    if len(existing) > 1:
        raise ValidationError(
            None, f"More than one existing {itype.title.lower()} record matches this row."
        )
    if existing:
        obj = existing[0]
        full = {c.field: c.value_of(obj) for c in itype.columns}
        full.update(data)
        before = _snapshot(obj) | (itype.state(obj) if itype.state else {})
        itype.update(session, obj=obj, data=full, expected_version=None)
        after = _snapshot(obj) | (itype.state(obj) if itype.state else {})
        changed = tuple(k for k in after if after[k] != before[k])
        return (Outcome.UPDATE if changed else Outcome.UNCHANGED), changed, _stored_id(obj)
    created = itype.create(session, data=data)
    if known is not None and key is not None:
        known[key] = created.id if created.id is not None else created
    return Outcome.CREATE, (), None


def _stored_id(obj: Any) -> int | None:
    """The record's id if it was stored before this file (not a row above, nor a dry-run id)."""
    record_id = getattr(obj, "id", None)
    return record_id if isinstance(record_id, int) and record_id > 0 else None


# --- uploads kept between the dry run and the apply (a file, never the database) -------------
#
# In the app's instance folder, not a shared /tmp: the folder is the app user's own (0700, its
# owner checked), each upload is 0600, and a ``<token>.owner`` file beside it names the user who
# uploaded it; another user naming that token gets a 404.

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")
STASH_MAX_AGE_SECONDS = 6 * 3600
STASH_DIR_MODE = 0o700
STASH_FILE_MODE = 0o600


def stash_dir() -> Path:
    directory = Path(current_app.instance_path) / "import-stash"
    directory.mkdir(mode=STASH_DIR_MODE, parents=True, exist_ok=True)
    status = directory.stat()
    if status.st_uid != os.getuid():
        raise RuntimeError(f"{directory} belongs to another user; refusing to keep uploads there")
    if stat.S_IMODE(status.st_mode) != STASH_DIR_MODE:
        directory.chmod(STASH_DIR_MODE)
    return directory


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, STASH_FILE_MODE)
    os.fchmod(descriptor, STASH_FILE_MODE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def stash_upload(content: bytes, *, owner_id: int) -> str:
    """Keep an uploaded file until it is applied; returns the random token that names it."""
    directory = stash_dir()
    cutoff = time.time() - STASH_MAX_AGE_SECONDS
    for old in directory.iterdir():
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    token = secrets.token_urlsafe(24)
    _write_private(directory / f"{token}.owner", str(owner_id).encode())
    _write_private(directory / token, content)
    return token


def _stash_owner(directory: Path, token: str) -> int | None:
    try:
        return int((directory / f"{token}.owner").read_text())
    except (OSError, ValueError):
        return None


def load_stash(token: str, *, owner_id: int) -> bytes | None:
    """The upload ``token`` names, if ``owner_id`` uploaded it; None when it is gone.

    Raises NotFound when the token names another user's upload."""
    if not _TOKEN.match(token or ""):
        return None
    directory = stash_dir()
    owner = _stash_owner(directory, token)
    if owner is None:
        return None
    if owner != owner_id:
        raise NotFound("No such upload.")
    try:
        return (directory / token).read_bytes()
    except OSError:
        return None


def drop_stash(token: str, *, owner_id: int) -> None:
    if not _TOKEN.match(token or ""):
        return
    directory = stash_dir()
    if _stash_owner(directory, token) == owner_id:
        for path in (directory / token, directory / f"{token}.owner"):
            with contextlib.suppress(OSError):
                path.unlink()


# --- progress of a running import (a small file beside the stash: any worker can read it) ----


def new_progress_id() -> str:
    return secrets.token_urlsafe(24)


def _progress_path(progress_id: str) -> Path | None:
    if not _TOKEN.match(progress_id or ""):
        return None
    return stash_dir() / f"{progress_id}.progress"


def progress_writer(progress_id: str) -> Callable[[int, int], None] | None:
    """A callback for ``reporting_progress`` that records (rows processed, rows in all)."""
    path = _progress_path(progress_id)
    if path is None:
        return None

    def write(done: int, total: int) -> None:
        with contextlib.suppress(OSError):
            _write_private(path, json.dumps({"done": done, "total": total}).encode())

    return write


def read_progress(progress_id: str) -> dict[str, int] | None:
    path = _progress_path(progress_id)
    if path is None:
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return {"done": int(data.get("done", 0)), "total": int(data.get("total", 0))}


@contextlib.contextmanager
def reporting_progress(
    session: Session, callback: Callable[[int, int], None] | None
) -> Iterator[None]:
    """Within the block, imports on ``session`` report their progress to ``callback``."""
    if callback is None:
        yield
        return
    session.info[PROGRESS_KEY] = callback
    try:
        yield
    finally:
        session.info.pop(PROGRESS_KEY, None)


# --- templates -------------------------------------------------------------------------------


def template_csv(type_name: str) -> bytes:
    itype = import_type(type_name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in itype.columns])
    writer.writerow([itype.example.get(c.name, "") for c in itype.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(type_name: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    itype = import_type(type_name)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = itype.title[:31]
    sheet.append([c.name for c in itype.columns])
    sheet.append([itype.example.get(c.name, "") for c in itype.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(itype.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def column_help(itype: ImportType) -> list[tuple[str, str, bool]]:
    """(column, what it takes, required) for the page and the CLI."""
    described = {
        Kind.TEXT: "text",
        Kind.DATE: "a date (YYYY-MM-DD, or day/month-first as chosen)",
        Kind.DECIMAL: (
            "a number with the decimal mark chosen; thousands grouped in threes, if at all"
        ),
        Kind.COUNTRY: "a country name or ISO code",
        Kind.CURRENCY: "an ISO 4217 currency code",
        Kind.CHOICE: "one of",
        Kind.INTEGER: "a whole number",
        Kind.PILLAR: "a pillar's name or code",
        Kind.COUNTRY_LIST: "countries (names or ISO codes) separated by semicolons",
        Kind.PILLAR_LIST: "pillar names separated by semicolons",
        Kind.USER: "a user's email",
        Kind.ALLOCATIONS: (
            "each pillar with its share: 'Capacity Building 60%; Network Expansion 40%', "
            "or amounts that add up to the pledge; a pillar named alone takes all of it"
        ),
        Kind.MEMBERSHIP: (
            "dated membership changes: '2019-05-01 provisional; 2021-06-01 full' "
            "(applicant, provisional, full, suspended, withdrawn)"
        ),
    }
    rows = []
    for column in itype.columns:
        text = described[column.kind]
        if column.kind == Kind.CHOICE and column.choices is not None:
            text += ": " + ", ".join(str(m.value) for m in column.choices)
        rows.append((column.name, text, column.required))
    return rows
