"""A file of exchange rates (``date,base,quote,rate``): every row checked, then all loaded
or none."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import validation
from coordapp.audit import service as audit
from coordapp.errors import ValidationError
from coordapp.funding import conversion
from coordapp.funding.dates import EARLIEST_DATE
from coordapp.funding.models import (
    ExchangeRate,
)
from coordapp.funding.rates import NOT_AGAINST_PIVOT, rate_value
from coordapp.reference.models import Currency

MAX_RATE_FILE_BYTES = 2_000_000

MAX_RATE_FILE_ROWS = 20_000

RATE_FILE_HEADER = ("date", "base", "quote", "rate")


class RatesFileInvalid(ValidationError):
    """The rates file has problems; ``errors`` names each one by row. Nothing was written."""

    def __init__(self, errors: Sequence[str]) -> None:
        count = len(errors)
        super().__init__(
            "file",
            f"The file has {count} problem{'s' if count != 1 else ''}; nothing was loaded. "
            "Correct the rows below and upload it again.",
        )
        self.errors = list(errors)


@dataclass(frozen=True, slots=True)
class RatesLoaded:
    created: int
    updated: int
    unchanged: int


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _read_rates_file(
    content: bytes, *, known_currencies: set[str]
) -> list[tuple[int, date, str, str, Decimal]]:
    """Parse and check every row; raise RatesFileInvalid listing every problem."""
    if len(content) > MAX_RATE_FILE_BYTES:
        raise RatesFileInvalid(
            [f"The file is larger than {MAX_RATE_FILE_BYTES // 1_000_000} MB; split it up."]
        )
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RatesFileInvalid(
            [f"The file is not UTF-8 text (byte {exc.start + 1}); save it as CSV UTF-8."]
        ) from exc
    lines = text.splitlines()
    first = next((line for line in lines if line.strip()), None)
    if first is None:
        raise RatesFileInvalid(["The file is empty: it needs the header date,base,quote,rate."])
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    errors: list[str] = []
    rows: list[tuple[int, date, str, str, Decimal]] = []
    seen: dict[tuple[date, str, str], int] = {}
    for cells in reader:
        row = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in cells]
            if sorted(header) != sorted(RATE_FILE_HEADER):
                raise RatesFileInvalid(
                    [
                        f"Row {row}: the header must be date,base,quote,rate "
                        f"(found: {delimiter.join(cell.strip() for cell in cells)[:120]})."
                    ]
                )
            continue
        if len(rows) + len(errors) >= MAX_RATE_FILE_ROWS:
            errors.append(f"The file has more than {MAX_RATE_FILE_ROWS:,} rows; split it up.")
            break
        if len(cells) != len(header):
            errors.append(
                f"Row {row}: expected {len(header)} values ({delimiter.join(header)}), "
                f"found {len(cells)}."
            )
            continue
        values = dict(zip(header, (cell.strip() for cell in cells), strict=True))
        problems = []
        rate_date: date | None = None
        if _ISO_DATE.match(values["date"]):
            try:
                rate_date = date.fromisoformat(values["date"])
            except ValueError:
                rate_date = None
        if rate_date is None:
            problems.append(f"date {values['date']!r} is not a date as YYYY-MM-DD")
        elif rate_date < EARLIEST_DATE:
            problems.append(f"date {values['date']} is before {EARLIEST_DATE.year}")
        base, quote = values["base"].upper(), values["quote"].upper()
        for name, code in (("base", base), ("quote", quote)):
            if code not in known_currencies:
                problems.append(f"{name} {values[name]!r} is not a known ISO 4217 currency code")
        if base == quote and base:
            problems.append("base and quote are the same currency")
        elif base and quote and conversion.PIVOT not in (base, quote):
            problems.append(NOT_AGAINST_PIVOT.format(base=base, quote=quote).rstrip("."))
        raw_rate = values["rate"]
        if delimiter == ";" and "," in raw_rate and "." not in raw_rate:
            raw_rate = raw_rate.replace(",", ".")  # a decimal comma, as European spreadsheets write
        rate = rate_value("rate", raw_rate)
        if isinstance(rate, str):
            problems.append(f"rate {values['rate']!r}: {rate[0].lower()}{rate[1:].rstrip('.')}")
        if not problems and rate_date is not None and not isinstance(rate, str):
            key = (rate_date, base, quote)
            if key in seen:
                problems.append(
                    f"the same date, base and quote as row {seen[key]} "
                    f"({rate_date.isoformat()} {base}/{quote})"
                )
            else:
                seen[key] = row
                rows.append((row, rate_date, base, quote, rate))
        if problems:
            errors.append(f"Row {row}: " + "; ".join(problems) + ".")
    if header is None:
        raise RatesFileInvalid(["The file is empty: it needs the header date,base,quote,rate."])
    if errors:
        raise RatesFileInvalid(errors)
    if not rows:
        raise RatesFileInvalid(["The file has a header but no rates."])
    return rows


def load_exchange_rates_csv(
    session: Session, *, content: bytes, filename: str | None = None
) -> RatesLoaded:
    """Load a ``date,base,quote,rate`` file: all rows or none.

    Every row is checked first; any problem refuses the whole file. Then new rates are added and
    changed ones updated (same date, base and quote), in the caller's one transaction.
    """
    known = set(session.scalars(sa.select(Currency.code)))
    rows = _read_rates_file(content, known_currencies=known)
    dates = [r[1] for r in rows]
    existing = {
        (r.rate_date, r.base_code, r.quote_code): r
        for r in session.scalars(
            sa.select(ExchangeRate).where(
                ExchangeRate.rate_date.between(min(dates), max(dates)),
                ExchangeRate.base_code.in_({r[2] for r in rows}),
                ExchangeRate.quote_code.in_({r[3] for r in rows}),
            )
        )
    }
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    try:
        name = validation.free_text("file", name, max_length=80) or ""
    except ValidationError:
        name = ""
    source = f"CSV upload {name}".strip()
    created = updated = unchanged = 0
    for _row, rate_date, base, quote, rate in rows:
        current = existing.get((rate_date, base, quote))
        if current is None:
            session.add(
                ExchangeRate(
                    base_code=base, quote_code=quote, rate_date=rate_date, rate=rate, source=source
                )
            )
            created += 1
        elif current.rate != rate:
            current.rate = rate
            current.source = source
            updated += 1
        else:
            unchanged += 1
    session.flush()
    result = RatesLoaded(created=created, updated=updated, unchanged=unchanged)
    audit.record(
        session,
        action="import",
        entity_type=ExchangeRate.__tablename__,
        summary=f"{source}: {created} created, {updated} updated, {unchanged} unchanged",
    )
    return result
