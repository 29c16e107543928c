"""Exchange rates, stored against EUR (every conversion goes through it): create, update,
and the natural key (base, quote, date) that makes a rate unique."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import validation
from coordapp.batching import Batch
from coordapp.errors import ValidationError
from coordapp.funding import conversion
from coordapp.funding.dates import EARLIEST_DATE
from coordapp.funding.models import (
    ExchangeRate,
)
from coordapp.funding.money import rate_text
from coordapp.records import service as records
from coordapp.reference import service as reference
from coordapp.reference.models import Currency

RATE_DECIMALS = 10

MAX_RATE = Decimal("1e10")


def exchange_rate_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """Prefill a new rate from ``?quote_code=AED&rate_date=2026-12-01`` (the link under a
    receipt or pledge that no rate converts yet): against EUR, as every rate is."""
    defaults: dict[str, Any] = {"base_code": conversion.PIVOT}
    quote = (args.get("quote_code") or "").strip().upper()[:3]
    if quote and quote != conversion.PIVOT and session.get(Currency, quote) is not None:
        defaults["quote_code"] = quote
    with contextlib.suppress(ValueError):
        defaults["rate_date"] = date.fromisoformat((args.get("rate_date") or "")[:10])
    return defaults


def get_exchange_rate(session: Session, rate_id: int) -> ExchangeRate:
    obj: ExchangeRate = records.get_or_404(session, ExchangeRate, rate_id, what="exchange rate")
    return obj


def rate_value(field: str, value: object) -> Decimal | str:
    """A rate, or the message saying what is wrong with it."""
    if value is None or not str(value).strip():
        return "Enter the rate, e.g. 1.0850."
    try:
        # No thousands separators: "1,085" is far likelier 1.085 than 1085.
        rate = validation.parse_number(value, thousands=False)
    except ValueError as exc:
        return str(exc)
    if rate <= 0:
        return "The rate must be a number greater than 0."
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > RATE_DECIMALS:
        return f"Use at most {RATE_DECIMALS} decimal places."
    if rate >= MAX_RATE:
        return "The rate is too large."
    return rate


# Every conversion goes through EUR (coordapp.funding.conversion), so a rate between two other
# currencies would never be used: it is refused with the way to say it instead.
NOT_AGAINST_PIVOT = (
    "Rates are stored against EUR: {base}/{quote} would never be used (other pairs are "
    "converted through EUR); enter EUR/{base} and EUR/{quote} instead."
)


def _clean_rate(
    session: Session, data: Mapping[str, Any], *, obj: ExchangeRate | None, batch: Batch | None
) -> dict[str, Any]:
    base = reference.require_currency(session, "base_code", data.get("base_code"), batch=batch).code
    quote = reference.require_currency(
        session, "quote_code", data.get("quote_code"), batch=batch
    ).code
    if base == quote:
        raise ValidationError("quote_code", "The quote currency must differ from the base.")
    if conversion.PIVOT not in (base, quote):
        raise ValidationError("quote_code", NOT_AGAINST_PIVOT.format(base=base, quote=quote))
    rate_date = validation.required_date("rate_date", data.get("rate_date"), what="the rate's date")
    if rate_date < EARLIEST_DATE:
        raise ValidationError("rate_date", f"Dates before {EARLIEST_DATE.year} are not plausible.")
    rate = rate_value("rate", data.get("rate"))
    if isinstance(rate, str):
        raise ValidationError("rate", rate)
    taken = _rate_taken(session, (base, quote, rate_date), exclude=obj, batch=batch)
    if taken is not None:
        raise ValidationError(
            "rate_date",
            f"A {base}/{quote} rate for {rate_date.isoformat()} already exists "
            f"(1 {base} = {rate_text(taken.rate)} {quote}); edit that one instead.",
        )
    return {
        "base_code": base,
        "quote_code": quote,
        "rate_date": rate_date,
        "rate": rate,
        "source": validation.free_text("source", data.get("source"), max_length=120),
    }


def remember_rate_keys(session: Session, batch: Batch) -> None:
    """For an import's ``batch``: every stored rate's id by (base, quote, date), read in one
    query, so that no row of a rates file asks the database whether its rate exists."""
    columns = (ExchangeRate.base_code, ExchangeRate.quote_code, ExchangeRate.rate_date)
    rows = session.execute(sa.select(ExchangeRate.id, *columns))
    batch.remember_keys(_RATE, {tuple(row[1:]): row[0] for row in rows})


_RATE = "exchange_rate"


def _rate_taken(
    session: Session,
    key: tuple[str, str, date],
    *,
    exclude: ExchangeRate | None,
    batch: Batch | None,
) -> ExchangeRate | None:
    """The other rate with this currency pair and date, if there is one."""
    base, quote, rate_date = key
    query = sa.select(ExchangeRate).where(
        ExchangeRate.base_code == base,
        ExchangeRate.quote_code == quote,
        ExchangeRate.rate_date == rate_date,
        ExchangeRate.id != ((exclude.id if exclude is not None else None) or 0),
    )
    found = (
        batch.taken(_RATE, key, exclude=exclude, query=lambda: session.scalar(query))
        if batch is not None
        else session.scalar(query)
    )
    # An id read ahead, or a rate an earlier row of the file created.
    return session.get(ExchangeRate, found) if isinstance(found, int) else found


def _remember_rate(batch: Batch, rate: ExchangeRate, values: Any) -> None:
    batch.note_key(_RATE, (rate.base_code, rate.quote_code, rate.rate_date), rate)


RATE_COMMANDS = records.RecordCommands(
    ExchangeRate, clean=_clean_rate, versioned=False, remember=_remember_rate
)
create_exchange_rate = RATE_COMMANDS.create
update_exchange_rate = RATE_COMMANDS.update
