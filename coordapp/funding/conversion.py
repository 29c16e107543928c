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
* Sums are exact (``Decimal``); each total is rounded once, half to even, to the target
  currency's minor unit.

The look-up is SQL: each (currency, date) finds its rate date with an index-backed ``max()``
over ``exchange_rates(base_code, quote_code, rate_date)``; Python multiplies the few grouped
sums out in Decimal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding.models import ExchangeRate
from coordapp.reference.models import Currency

PIVOT = "EUR"
ROW_DATES = "each row at the rate of its own date"


@dataclass(frozen=True, slots=True)
class RateSpan:
    """The rates one currency was converted with: the oldest and newest rate date used."""

    code: str
    first: date
    last: date
    via_pivot: bool  # converted through EUR (target is not EUR)

    @property
    def text(self) -> str:
        days = self.first.isoformat()
        if self.last != self.first:
            days += f"..{self.last.isoformat()}"
        return f"{self.code} {days}" + (f" (via {PIVOT})" if self.via_pivot else "")


@dataclass(frozen=True, slots=True)
class RateInfo:
    """Which rates converted a figure to ``currency``, enough to rebuild it exactly."""

    currency: str
    constant_on: date | None = None  # None: each row at its own date's rate
    spans: tuple[RateSpan, ...] = ()
    left_out: tuple[tuple[str, Decimal], ...] = ()  # (currency, native amount) with no rate
    used: tuple[tuple[str, date], ...] = ()  # every (currency, rate date) applied
    # (currency, rate date, EUR per unit) of every rate applied: enough to rebuild the figure.
    in_eur: tuple[tuple[str, date, Decimal], ...] = ()

    @property
    def basis(self) -> str:
        if self.constant_on is None:
            return ROW_DATES
        return f"constant rates of {self.constant_on.isoformat()}"

    @property
    def unconverted(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.left_out)

    @property
    def oldest_rate_date(self) -> date | None:
        return min((s.first for s in self.spans), default=None)

    @property
    def newest_rate_date(self) -> date | None:
        return max((s.last for s in self.spans), default=None)

    @property
    def stamp(self) -> str:
        """Every rate applied, as EUR per unit on its date (for an export's stamp)."""
        if not self.in_eur:
            return "none"
        return "; ".join(
            f"{code} {day.isoformat()} = {value} EUR" for code, day, value in self.in_eur
        )

    @property
    def note(self) -> str:
        """The sentence every surface prints under a converted figure."""
        if not self.spans:
            note = f"in {self.currency}; no conversion was needed"
        else:
            used = ", ".join(span.text for span in self.spans)
            note = f"in {self.currency}, {self.basis}: {used}"
        if self.left_out:
            missing = ", ".join(f"{code} {amount:,}" for code, amount in self.left_out)
            note += f"; left out (no rate on or before the row's date): {missing}"
        return note


def merge(currency: str, parts: Sequence[RateInfo]) -> RateInfo:
    """One RateInfo for a view made of several converted figures."""
    constant = {p.constant_on for p in parts}
    spans: dict[str, RateSpan] = {}
    left: dict[str, Decimal] = defaultdict(Decimal)
    used: set[tuple[str, date]] = set()
    in_eur: set[tuple[str, date, Decimal]] = set()
    for part in parts:
        in_eur.update(part.in_eur)
        for span in part.spans:
            old = spans.get(span.code)
            spans[span.code] = (
                span
                if old is None
                else RateSpan(
                    span.code,
                    min(old.first, span.first),
                    max(old.last, span.last),
                    old.via_pivot or span.via_pivot,
                )
            )
        for code, amount in part.left_out:
            left[code] = max(left[code], amount)
        used.update(part.used)
    return RateInfo(
        currency=currency,
        constant_on=constant.pop() if len(constant) == 1 else None,
        spans=tuple(spans[c] for c in sorted(spans)),
        left_out=tuple(sorted(left.items())),
        used=tuple(sorted(used)),
        in_eur=tuple(sorted(in_eur)),
    )


@dataclass(frozen=True, slots=True)
class MoneyTotal:
    """A converted total and the rates behind it."""

    amount: Decimal
    currency: str
    rates: RateInfo

    @property
    def unconverted(self) -> tuple[str, ...]:
        return self.rates.unconverted

    @property
    def rate_note(self) -> str:
        return self.rates.note


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


def _latest(base: Any, quote: Any, on: Any) -> Any:
    rates = ExchangeRate.__table__.alias()
    return (
        sa.select(sa.func.max(rates.c.rate_date))
        .where(rates.c.base_code == base, rates.c.quote_code == quote, rates.c.rate_date <= on)
        .scalar_subquery()
    )


def _later_of(first: Any, second: Any) -> Any:
    return sa.case(
        (first.is_(None), second),
        (second.is_(None), first),
        (first >= second, first),
        else_=second,
    )


def _leg_to_pivot(code: Any, on: Any) -> Any:
    """The date of the rate that takes ``code`` to EUR on ``on`` (either direction)."""
    return _later_of(_latest(code, PIVOT, on), _latest(PIVOT, code, on))


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
    key_cols = [src.c[k] for k in keys]
    dated = src.c.dated if constant_on is None else sa.literal(constant_on, sa.Date)
    sums = (
        sa.select(
            *key_cols,
            src.c.currency_code,
            dated.label("dated"),
            sa.func.sum(src.c.amount).label("native"),
        )
        .group_by(*key_cols, src.c.currency_code, dated)
        .subquery("sums")
    )
    needs_from = sums.c.currency_code.not_in([currency, PIVOT])
    needs_to = sums.c.currency_code != currency
    from_on = sa.case((needs_from, _leg_to_pivot(sums.c.currency_code, sums.c.dated)))
    to_on = (
        sa.case((needs_to, _leg_to_pivot(sa.literal(currency), sums.c.dated)))
        if currency != PIVOT
        else sa.null()
    )
    looked = sa.select(
        *[sums.c[k] for k in keys],
        sums.c.currency_code,
        sums.c.native,
        from_on.label("from_on"),
        to_on.label("to_on"),
    ).subquery("looked")
    rows = session.execute(
        sa.select(
            *[looked.c[k] for k in keys],
            looked.c.currency_code,
            looked.c.from_on,
            looked.c.to_on,
            sa.func.sum(looked.c.native).label("native"),
        ).group_by(
            *[looked.c[k] for k in keys], looked.c.currency_code, looked.c.from_on, looked.c.to_on
        )
    ).all()
    factors = _factors(session, rows, currency)
    totals: dict[tuple[Any, ...], Decimal] = defaultdict(Decimal)
    left: dict[str, Decimal] = defaultdict(Decimal)
    spans: dict[str, list[date]] = {}
    via: set[str] = set()
    used: set[tuple[str, date]] = set()
    for row in rows:
        key = tuple(row[: len(keys)])
        code, native = row.currency_code, _dec(row.native)
        if code == currency:
            totals[key] += native
            continue
        factor = Decimal(1)
        applied: list[tuple[str, date]] = []
        missing = False
        if code != PIVOT:
            if row.from_on is None:
                missing = True
            else:
                on = _as_date(row.from_on)
                factor *= factors[(code, on, True)]
                applied.append((code, on))
        if currency != PIVOT and not missing:
            if row.to_on is None:
                missing = True
            else:
                on = _as_date(row.to_on)
                factor *= factors[(currency, on, False)]
                applied.append((currency, on))
        if missing:
            left[code] += native
            totals.setdefault(key, Decimal(0))
            continue
        totals[key] += native * factor
        rate_days = [on for _, on in applied]
        span = spans.setdefault(code, [min(rate_days), max(rate_days)])
        span[0], span[1] = min(span[0], *rate_days), max(span[1], *rate_days)
        if currency != PIVOT and code != PIVOT:
            via.add(code)
        used.update(applied)
    rounded = {k: v.quantize(quantum, rounding=ROUND_HALF_EVEN) for k, v in totals.items()}
    return rounded, RateInfo(
        currency=currency,
        constant_on=constant_on,
        spans=tuple(RateSpan(c, s[0], s[1], c in via) for c, s in sorted(spans.items())),
        left_out=tuple(
            (c, amount.quantize(minor_quantum(session, c), rounding=ROUND_HALF_EVEN))
            for c, amount in sorted(left.items())
        ),
        used=tuple(sorted(used)),
        in_eur=tuple(sorted((code, day, factors[(code, day, True)]) for code, day in used)),
    )


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _factors(
    session: Session, rows: Sequence[Any], currency: str
) -> dict[tuple[str, date, bool], Decimal]:
    """(code, rate date, towards EUR?) -> factor, read for the few (code, date) pairs needed.

    Towards EUR: 1 ``code`` = factor EUR. Away from EUR: 1 EUR = factor ``code``.
    """
    wanted: set[tuple[str, date]] = set()
    for row in rows:
        if row.from_on is not None:
            wanted.add((row.currency_code, _as_date(row.from_on)))
        if row.to_on is not None:
            wanted.add((currency, _as_date(row.to_on)))
    if not wanted:
        return {}
    codes = {code for code, _ in wanted}
    days = {day for _, day in wanted}
    stored = session.execute(
        sa.select(
            ExchangeRate.base_code,
            ExchangeRate.quote_code,
            ExchangeRate.rate_date,
            ExchangeRate.rate,
        ).where(
            sa.or_(
                sa.and_(ExchangeRate.base_code.in_(codes), ExchangeRate.quote_code == PIVOT),
                sa.and_(ExchangeRate.base_code == PIVOT, ExchangeRate.quote_code.in_(codes)),
            ),
            ExchangeRate.rate_date.in_(days),
        )
    ).all()
    to_pivot: dict[tuple[str, date], Decimal] = {}
    from_pivot: dict[tuple[str, date], Decimal] = {}
    for base, quote, day, rate in stored:
        day, rate = _as_date(day), _dec_rate(rate)
        if quote == PIVOT:
            to_pivot[(base, day)] = rate
        else:
            from_pivot[(quote, day)] = rate
    factors: dict[tuple[str, date, bool], Decimal] = {}
    for code, day in wanted:
        # Stored towards EUR wins a tie on one date (1 GBP = x EUR over 1 EUR = y GBP).
        if (code, day) in to_pivot:
            towards = to_pivot[(code, day)]
            factors[(code, day, True)] = towards
            factors[(code, day, False)] = Decimal(1) / towards
        else:
            away = from_pivot[(code, day)]
            factors[(code, day, True)] = Decimal(1) / away
            factors[(code, day, False)] = away
    return factors


def _dec_rate(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value)).quantize(Decimal("0.0000000001"), rounding=ROUND_HALF_EVEN)


def convert_total(
    session: Session, *, amounts: sa.Select, currency: str, constant_on: date | None = None
) -> MoneyTotal:
    """One total of ``amounts`` (columns currency_code, amount, dated) in ``currency``."""
    totals, rates = convert_grouped(
        session,
        amounts=amounts.add_columns(sa.literal(1).label("whole")),
        keys=["whole"],
        currency=currency,
        constant_on=constant_on,
    )
    quantum = minor_quantum(session, currency)
    return MoneyTotal(
        amount=totals.get((1,), Decimal(0).quantize(quantum)), currency=currency, rates=rates
    )
