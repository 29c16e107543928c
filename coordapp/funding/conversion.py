"""The one money conversion: every converted amount on every surface goes through here.

The rule, stated once:

* **Each row at the rate of its own date.** A receipt converts at the rate in force on its
  receipt date, a pledge on its pledge date: the latest stored rate on or before that date.
  A past year's figures therefore never move when a newer rate is added.
* **Constant rates** (``constant_on``): every row at the latest rate on or before one chosen
  date, for comparing years without exchange-rate effects.
* **Through EUR.** Rates are stored against EUR (``PIVOT``), in either direction (1 EUR = x USD,
  or 1 GBP = y EUR; on a date stored both ways the one stored towards EUR wins). An amount in
  GBP shown in USD goes GBP -> EUR -> USD, both legs at the same date. A rate stored between two
  other currencies is not used.
* **What cannot be converted is left out and named**: a row whose currency has no rate on or
  before its date is not in the total; ``RateInfo.left_out`` names the currency and the native
  amount left out, and every surface prints ``RateInfo.note``.
* Sums are exact (``Decimal``): a rate stored towards EUR multiplies as stored, one stored
  away from EUR divides (1 / rate, to 28 significant digits: the factor); amounts times factors
  and their sums are exact, whatever order they are added in. Each total is rounded once,
  half to even, to the target currency's minor unit.

The look-up is SQL: amounts are summed per key, currency and day; each (currency, day) gets its
rate date in one sorted pass over those days and the rate dates (a running ``max()``); the sums
are summed again per key and rate date, and Python multiplies those few rows out in Decimal
with the stored rates (a reference table of a few hundred rows, read once per conversion).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from operator import itemgetter
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding.models import ExchangeRate
from coordapp.funding.rate_info import PIVOT, MoneyTotal, RateInfo, RateSpan
from coordapp.reference.models import Currency

K = TypeVar("K", bound=Hashable)

# The factor of a rate stored away from EUR (1 / rate) has 28 significant digits; products
# and sums are exact (no amount or sum here comes near 200 digits), so a total does not
# depend on how its rows were grouped before they were added up.
FACTOR_DIGITS = Context(prec=28, rounding=ROUND_HALF_EVEN)
EXACT = Context(prec=200, rounding=ROUND_HALF_EVEN)


def minor_quantum(session: Session, currency: str) -> Decimal:
    minor = session.scalar(sa.select(Currency.minor_units).where(Currency.code == currency))
    return Decimal(1).scaleb(-(2 if minor is None else minor))


def _dec(value: Any) -> Decimal:
    """A database number as Decimal (SQLite hands back floats: round off their binary noise)."""
    if value is None:
        return Decimal(0)
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_EVEN)


def _day_rates(sums: Any, currency: str) -> sa.Select:
    """(code, day, rate_on): for every (currency, day) the amounts need, the date of the latest
    rate between that currency and EUR on or before the day (either direction).

    One sorted pass instead of a look-up per day: the days and the rate dates of each currency
    go into one stream, and a running max() over it carries the latest rate date forward (a
    rate dated on the day itself sorts first, so it counts).
    """
    needed = [
        sa.select(sums.c.currency_code.label("code"), sums.c.dated.label("day")).where(
            sums.c.currency_code.not_in([currency, PIVOT])
        )
    ]
    if currency != PIVOT:  # the second leg, EUR -> currency, on every day that converts
        needed.append(
            sa.select(sa.literal(currency).label("code"), sums.c.dated.label("day")).where(
                sums.c.currency_code != currency
            )
        )
    # One row per (code, day): a single select is no UNION, so it is made distinct itself.
    days = (sa.union(*needed) if len(needed) > 1 else needed[0].distinct()).subquery("days")
    rates = ExchangeRate.__table__
    no_date = sa.cast(sa.null(), sa.Date)
    stream = sa.union_all(
        sa.select(
            days.c.code, days.c.day, no_date.label("rate_date"), sa.literal(1).label("is_day")
        ),
        # Each rate against EUR, as a rate of its other currency: base/EUR and EUR/quote.
        *(
            sa.select(
                code.label("code"),
                rates.c.rate_date.label("day"),
                rates.c.rate_date,
                sa.literal(0).label("is_day"),
            ).where(pivot == PIVOT)
            for code, pivot in (
                (rates.c.base_code, rates.c.quote_code),
                (rates.c.quote_code, rates.c.base_code),
            )
        ),
    ).subquery("stream")
    running = sa.select(
        stream.c.code,
        stream.c.day,
        stream.c.is_day,
        sa.func.max(stream.c.rate_date)
        .over(
            partition_by=stream.c.code,
            order_by=(stream.c.day, stream.c.is_day),
            rows=(None, 0),
        )
        .label("rate_on"),
    ).subquery("running")
    return sa.select(running.c.code, running.c.day, running.c.rate_on).where(running.c.is_day == 1)


def convert_grouped(
    session: Session,
    *,
    amounts: sa.Select,
    keys: Sequence[str],
    currency: str,
    constant_on: date | None = None,
    quantum: Decimal | None = None,
) -> tuple[dict[tuple[Any, ...], Decimal], RateInfo]:
    """Sum ``amounts`` per key in ``currency``.

    ``amounts`` has the columns ``keys``..., ``currency_code``, ``amount`` and ``dated`` (the
    row's own date). See the module docstring for the rule.
    """
    if quantum is None:
        quantum = minor_quantum(session, currency)
    src = amounts.subquery("amounts")
    legs = _with_legs(src, [src.c[k] for k in keys], currency, constant_on)
    key_cols = [legs.c[k] for k in keys]
    rows = session.execute(
        sa.select(
            *key_cols, legs.c.currency_code, legs.c.from_on, legs.c.to_on, _native(legs)
        ).group_by(*key_cols, legs.c.currency_code, legs.c.from_on, legs.c.to_on)
    ).all()
    converted = convert_summed(
        session, {0: (rows, len(keys))}, currency=currency, constant_on=constant_on, quantum=quantum
    )
    return converted[0]


def convert_summed(
    session: Session,
    parts: Mapping[K, tuple[Sequence[Any], int]],
    *,
    currency: str,
    constant_on: date | None = None,
    quantum: Decimal | None = None,
) -> dict[K, tuple[dict[tuple[Any, ...], Decimal], RateInfo]]:
    """Per part, rows already summed per key, currency and rate dates — (keys...,
    currency_code, from_on, to_on, native) with ``width`` keys — multiplied out and rounded as
    ``convert_grouped`` does, with the rates read once."""
    if quantum is None:
        quantum = minor_quantum(session, currency)
    codes = {row[width] for rows, width in parts.values() for row in rows} | {currency}
    factors, stored = _factors(session, codes)
    return {
        name: _convert_rows(
            session, rows, width, currency, constant_on, quantum, factors=factors, stored=stored
        )
        for name, (rows, width) in parts.items()
    }


def convert_grouping_sets(
    session: Session,
    *,
    amounts: sa.Select,
    part: str,
    groupings: Sequence[tuple[Sequence[str], Sequence[str]]],
    currency: str,
    constant_on: date | None = None,
    quantum: Decimal | None = None,
) -> dict[tuple[int, str], tuple[dict[tuple[Any, ...], Decimal], RateInfo]]:
    """Several ``convert_grouped`` in one statement over one read of ``amounts``.

    ``amounts`` has the column ``part`` (which figure a row belongs to, such as pledged or
    received), every key column, and the money columns. Each grouping is (keys, parts): the
    rows of those parts summed per those keys. Returns, per (grouping's index, part), what
    ``convert_grouped`` would return for that part's rows and keys: the same sums, converted
    and rounded the same way, and the same rates.
    """
    if quantum is None:
        quantum = minor_quantum(session, currency)
    src = amounts.subquery("amounts")
    all_keys = sorted({k for keys, _ in groupings for k in keys})
    # The keys together are about as fine as the rows (a funder's receipts are on different
    # days): summing per day first would not make fewer rows.
    legs = _with_legs(
        src, [src.c[part], *(src.c[k] for k in all_keys)], currency, constant_on, presum=False
    )
    selects = []
    for index, (keys, parts) in enumerate(groupings):
        key_cols = [legs.c[k] for k in keys]
        selects.append(
            sa.select(
                sa.literal(index).label("grouping"),
                legs.c[part].label("part"),
                *(
                    legs.c[k] if k in keys else sa.null().label(k)  # type: ignore[misc]
                    for k in all_keys
                ),
                legs.c.currency_code,
                legs.c.from_on,
                legs.c.to_on,
                _native(legs),
            )
            .where(legs.c[part].in_(parts))
            .group_by(legs.c[part], *key_cols, legs.c.currency_code, legs.c.from_on, legs.c.to_on)
        )
    rows = session.execute(sa.union_all(*selects)).all()
    by_part: dict[tuple[int, str], list[tuple[Any, ...]]] = {
        (index, name): [] for index, (_, parts) in enumerate(groupings) for name in parts
    }
    # Each row as (its grouping's keys..., currency_code, from_on, to_on, native).
    money = len(all_keys) + 2
    picks = [
        itemgetter(*(2 + all_keys.index(k) for k in keys), *range(money, money + 4))
        for keys, _ in groupings
    ]
    for row in rows:
        by_part[(row[0], row[1])].append(picks[row[0]](row))
    return convert_summed(
        session,
        {part: (part_rows, len(groupings[part[0]][0])) for part, part_rows in by_part.items()},
        currency=currency,
        constant_on=constant_on,
        quantum=quantum,
    )


def rate_dates_to_pivot(amounts: sa.Select, *, keys: Sequence[str]) -> sa.Select:
    """``amounts`` (keys..., currency_code, amount, dated) summed per key, currency and the
    date of the rate that takes the currency to EUR on the row's date: the columns keys...,
    currency_code, rate_on (None: the amount is in EUR, or no rate on or before its date) and
    native. What a summary kept in EUR stores (``coordapp.funding.totals``): the rule's look-up,
    not a copy of it."""
    src = amounts.subquery("amounts")
    legs = _with_legs(src, [src.c[k] for k in keys], PIVOT, None)
    key_cols = [legs.c[k] for k in keys]
    return sa.select(
        *key_cols, legs.c.currency_code, legs.c.from_on.label("rate_on"), _native(legs)
    ).group_by(*key_cols, legs.c.currency_code, legs.c.from_on)


def _native(legs: Any) -> Any:
    return sa.func.sum(legs.c.native).label("native")


def _with_legs(
    src: Any,
    key_cols: Sequence[Any],
    currency: str,
    constant_on: date | None,
    *,
    presum: bool = True,
) -> Any:
    """The amounts (summed per key, currency and day when ``presum``), each with the dates of
    the rates of its two legs (None: no rate), as a CTE (columns the keys, currency_code,
    from_on, to_on, native)."""
    dated = src.c.dated if constant_on is None else sa.literal(constant_on, sa.Date)
    # Sum per key, currency and day first (unless the keys are as fine as the rows); then find
    # each (currency, day)'s rates once, however many keys share it; then sum again per key
    # and the rate dates found.
    columns = [*key_cols, src.c.currency_code, dated.label("dated")]
    if presum:
        sums = (
            sa.select(*columns, sa.func.sum(src.c.amount).label("native"))
            .group_by(*key_cols, src.c.currency_code, dated)
            .cte("sums")
        )
    else:
        sums = sa.select(*columns, src.c.amount.label("native")).cte("sums")
    day_rates = _day_rates(sums, currency).cte("day_rates")
    from_rates = day_rates.alias("from_rates")
    to_rates = day_rates.alias("to_rates")
    return (
        sa.select(
            *[sums.c[c.name] for c in key_cols],
            sums.c.currency_code,
            from_rates.c.rate_on.label("from_on"),
            to_rates.c.rate_on.label("to_on"),
            sums.c.native,
        )
        .select_from(sums)
        .outerjoin(
            from_rates,
            sa.and_(from_rates.c.code == sums.c.currency_code, from_rates.c.day == sums.c.dated),
        )
        .outerjoin(
            to_rates,
            sa.and_(
                to_rates.c.code == currency,
                to_rates.c.day == sums.c.dated,
                sums.c.currency_code != currency,
            ),
        )
        .cte("legs")
    )


def _multiply(
    rows: Sequence[Any],
    width: int,
    currency: str,
    factors: dict[tuple[str, date, bool], Decimal],
) -> tuple[
    dict[tuple[Any, ...], Decimal],
    dict[str, Decimal],
    dict[tuple[str, Any, Any], Decimal | None],
]:
    """Rows of (keys..., currency_code, from_on, to_on, native) multiplied out, exactly: the
    unrounded total per key (0 for a key whose rows all lack a rate), the native amounts left
    out per currency, and the factor of every (currency, from_on, to_on) met (None: no rate)."""
    totals: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    left: dict[str, Decimal] = defaultdict(Decimal)
    # (currency, from_on, to_on) -> the combined factor, or None when a rate is missing.
    combined: dict[tuple[str, Any, Any], Decimal | None] = {}
    with localcontext(EXACT):
        for row in rows:
            key = tuple(row[:width])
            code, from_on, to_on, raw = row[width:]
            native = _dec(raw)
            if code == currency:
                totals[key] += native
                continue
            legs = (code, from_on, to_on)
            if legs not in combined:
                combined[legs] = _combine(factors, code, from_on, to_on, currency)
            factor = combined[legs]
            if factor is None:
                left[code] += native
                totals.setdefault(key, Decimal(0))
            else:
                totals[key] += native * factor
    return totals, left, combined


def exact_totals(
    session: Session, rows: Sequence[Any], width: int, currency: str = PIVOT
) -> dict[tuple[Any, ...], Decimal]:
    """Unrounded totals in ``currency`` of rows of (keys..., currency_code, from_on, to_on,
    native), for a summary that adds them up further (``coordapp.funding.totals``)."""
    factors, _ = _factors(session, {row[width] for row in rows} | {currency})
    return _multiply(rows, width, currency, factors)[0]


def _convert_rows(
    session: Session,
    rows: Sequence[Any],
    width: int,
    currency: str,
    constant_on: date | None,
    quantum: Decimal,
    *,
    factors: dict[tuple[str, date, bool], Decimal],
    stored: dict[tuple[str, date], tuple[Decimal, bool]],
) -> tuple[dict[tuple[Any, ...], Decimal], RateInfo]:
    """Rows of (keys..., currency_code, from_on, to_on, native) multiplied out and rounded."""
    totals, left, combined = _multiply(rows, width, currency, factors)
    spans: dict[str, list[date]] = {}
    via: set[str] = set()
    used: set[tuple[str, date]] = set()
    for (code, from_on, to_on), factor in combined.items():
        if factor is None:
            continue
        applied = [(code, _as_date(from_on))] if code != PIVOT else []
        if currency != PIVOT:
            applied.append((currency, _as_date(to_on)))
            if code != PIVOT:
                via.add(code)
        rate_days = [on for _, on in applied]
        span = spans.setdefault(code, [min(rate_days), max(rate_days)])
        span[0], span[1] = min(span[0], *rate_days), max(span[1], *rate_days)
        used.update(applied)
    return round_totals(totals, quantum), RateInfo(
        currency=currency,
        constant_on=constant_on,
        spans=tuple(RateSpan(c, s[0], s[1], c in via) for c, s in sorted(spans.items())),
        left_out=tuple(
            (c, amount.quantize(minor_quantum(session, c), rounding=ROUND_HALF_EVEN))
            for c, amount in sorted(left.items())
        ),
        used=tuple(sorted(used)),
        applied=tuple(sorted((code, day, *stored[(code, day)]) for code, day in used)),
    )


def round_totals(
    totals: Mapping[tuple[Any, ...], Decimal], quantum: Decimal
) -> dict[tuple[Any, ...], Decimal]:
    """Each exact total rounded once, half to even, to ``quantum``."""
    return {k: v.quantize(quantum, rounding=ROUND_HALF_EVEN) for k, v in totals.items()}


def rounded_in_sql(total: Any, quantum: Decimal) -> Any:
    """``total`` (an exact NUMERIC, PostgreSQL) rounded as ``round_totals`` rounds: once, half
    to even, to ``quantum`` (SQL's round() takes a half away from zero). The same value and
    decimals; only a zero is never negative (the totals of money are not)."""
    scale = -quantum.as_tuple().exponent  # type: ignore[operator]
    shift = sa.literal(Decimal(10) ** scale, sa.Numeric())
    shifted = total * shift
    whole = sa.func.trunc(shifted)
    return sa.case(
        (
            sa.func.abs(shifted - whole) == sa.literal(Decimal("0.5"), sa.Numeric()),
            sa.func.round((whole + sa.func.mod(whole, 2)) / shift, scale),
        ),
        else_=sa.func.round(total, scale),
    )


def _combine(
    factors: dict[tuple[str, date, bool], Decimal],
    code: str,
    from_on: Any,
    to_on: Any,
    currency: str,
) -> Decimal | None:
    """The factor taking ``code`` to ``currency`` through EUR, or None if a leg has no rate."""
    factor = Decimal(1)  # multiplied in the caller's exact context
    if code != PIVOT:
        if from_on is None:
            return None
        factor *= factors[(code, _as_date(from_on), True)]
    if currency != PIVOT:
        if to_on is None:
            return None
        factor *= factors[(currency, _as_date(to_on), False)]
    return factor


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _factors(
    session: Session, codes: set[str]
) -> tuple[dict[tuple[str, date, bool], Decimal], dict[tuple[str, date], tuple[Decimal, bool]]]:
    """(code, rate date, towards EUR?) -> factor for every stored rate between EUR and
    ``codes`` (a reference table of a few hundred rows: read whole).

    Towards EUR: 1 ``code`` = factor EUR. Away from EUR: 1 EUR = factor ``code``. The second
    dict names the rate each (code, date) uses as it was stored: (rate, towards EUR?).
    """
    codes = codes - {PIVOT}
    if not codes:
        return {}, {}
    rate_rows = session.execute(
        sa.select(
            ExchangeRate.base_code,
            ExchangeRate.quote_code,
            ExchangeRate.rate_date,
            ExchangeRate.rate,
        ).where(
            sa.or_(
                sa.and_(ExchangeRate.base_code.in_(codes), ExchangeRate.quote_code == PIVOT),
                sa.and_(ExchangeRate.base_code == PIVOT, ExchangeRate.quote_code.in_(codes)),
            )
        )
    ).all()
    towards: dict[tuple[str, date], Decimal] = {}
    away: dict[tuple[str, date], Decimal] = {}
    for base, quote, day, rate in rate_rows:
        if quote == PIVOT:
            towards[(base, _as_date(day))] = _dec_rate(rate)
        else:
            away[(quote, _as_date(day))] = _dec_rate(rate)
    factors: dict[tuple[str, date, bool], Decimal] = {}
    stored: dict[tuple[str, date], tuple[Decimal, bool]] = {}
    for code_day in set(towards) | set(away):
        code, day = code_day
        # Stored towards EUR wins a tie on one date (1 GBP = x EUR over 1 EUR = y GBP).
        if code_day in towards:
            factors[(code, day, True)] = towards[code_day]
            factors[(code, day, False)] = FACTOR_DIGITS.divide(1, towards[code_day])
            stored[code_day] = (towards[code_day], True)
        else:
            factors[(code, day, True)] = FACTOR_DIGITS.divide(1, away[code_day])
            factors[(code, day, False)] = away[code_day]
            stored[code_day] = (away[code_day], False)
    return factors, stored


def _dec_rate(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.0000000001"), rounding=ROUND_HALF_EVEN)


def convert_total(
    session: Session, *, amounts: sa.Select, currency: str, constant_on: date | None = None
) -> MoneyTotal:
    """One total of ``amounts`` (columns currency_code, amount, dated) in ``currency``."""
    quantum = minor_quantum(session, currency)
    totals, rates = convert_grouped(
        session,
        amounts=amounts.add_columns(sa.literal(1).label("whole")),
        keys=["whole"],
        currency=currency,
        constant_on=constant_on,
        quantum=quantum,
    )
    return MoneyTotal(
        amount=totals.get((1,), Decimal(0).quantize(quantum)), currency=currency, rates=rates
    )


@dataclass(frozen=True, slots=True)
class RateCoverage:
    """From which date each currency converts: its first stored rate against EUR.

    The rule above takes the latest rate on or before a row's date, so a currency converts on
    every date from its first rate on and on none before it: the first dates answer "would this
    row be left out?" for any number of rows without a query each.
    """

    first: Mapping[str, date]

    def missing(self, code: str, *, on: date, currency: str) -> tuple[str, ...]:
        """The currencies without a rate on or before ``on`` on the way from ``code`` to
        ``currency`` (through EUR): empty when a row in ``code`` dated ``on`` converts."""
        if code == currency:
            return ()
        legs = dict.fromkeys(c for c in (code, currency) if c != PIVOT)
        return tuple(c for c in legs if c not in self.first or self.first[c] > on)


def rate_coverage(session: Session) -> RateCoverage:
    """Every currency's first rate date against EUR (either direction), in one query."""
    rates = ExchangeRate.__table__
    code = sa.case((rates.c.quote_code == PIVOT, rates.c.base_code), else_=rates.c.quote_code)
    rows = session.execute(
        sa.select(code.label("code"), sa.func.min(rates.c.rate_date))
        .where(sa.or_(rates.c.quote_code == PIVOT, rates.c.base_code == PIVOT))
        .group_by(code)
    ).all()
    return RateCoverage(first={str(c): _as_date(day) for c, day in rows})
