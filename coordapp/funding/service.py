"""Funding totals converted to the reporting currency with dated exchange rates, in SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding.models import (
    CommitmentStatus,
    ExchangeRate,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.reference.models import Currency


@dataclass(frozen=True, slots=True)
class MoneyTotal:
    """A converted total that names the rates it used.

    ``rate_dates`` maps each converted currency to the date of the rate applied; currencies with
    no rate on or before ``rates_on`` are listed in ``unconverted`` and left out of ``amount``.
    """

    amount: Decimal
    currency: str
    rates_on: date
    rate_dates: dict[str, date] = field(default_factory=dict)
    unconverted: tuple[str, ...] = ()

    @property
    def oldest_rate_date(self) -> date | None:
        return min(self.rate_dates.values()) if self.rate_dates else None

    @property
    def rate_note(self) -> str:
        if not self.rate_dates:
            return f"in {self.currency}, no conversion needed"
        oldest = self.oldest_rate_date
        return f"converted to {self.currency} at rates of {oldest.isoformat() if oldest else '-'}"


def rates_to(target: str, *, on: date) -> sa.Subquery:
    """(currency_code, factor, rate_date): multiply an amount in currency_code by factor to get
    ``target``, using the latest rate on or before ``on`` stored in either direction."""
    direct = sa.select(
        ExchangeRate.base_code.label("currency_code"),
        ExchangeRate.rate.label("factor"),
        ExchangeRate.rate_date,
        sa.literal(1).label("is_direct"),
    ).where(ExchangeRate.quote_code == target, ExchangeRate.rate_date <= on)
    inverse = sa.select(
        ExchangeRate.quote_code.label("currency_code"),
        (sa.literal(Decimal(1), sa.Numeric(20, 10)) / ExchangeRate.rate).label("factor"),
        ExchangeRate.rate_date,
        sa.literal(0).label("is_direct"),
    ).where(ExchangeRate.base_code == target, ExchangeRate.rate_date <= on)
    both = sa.union_all(direct, inverse).subquery("all_rates")
    ranked = sa.select(
        both.c.currency_code,
        both.c.factor,
        both.c.rate_date,
        sa.func.row_number()
        # On a date with rates stored both ways, the one stored towards the target wins.
        .over(
            partition_by=both.c.currency_code,
            order_by=(both.c.rate_date.desc(), both.c.is_direct.desc()),
        )
        .label("rn"),
    ).subquery("ranked_rates")
    return (
        sa.select(ranked.c.currency_code, ranked.c.factor, ranked.c.rate_date)
        .where(ranked.c.rn == 1)
        .subquery("rates")
    )


def _convert_sum(
    session: Session,
    *,
    amounts: sa.Select,
    target: str,
    rates_on: date,
) -> MoneyTotal:
    """Sum ``amounts`` (columns: currency_code, amount) converted to ``target``."""
    src = amounts.subquery("amounts")
    rates = rates_to(target, on=rates_on)
    per_currency = session.execute(
        sa.select(
            src.c.currency_code,
            sa.func.sum(src.c.amount).label("native"),
            sa.func.sum(
                sa.case(
                    (src.c.currency_code == target, src.c.amount),
                    else_=src.c.amount * rates.c.factor,
                )
            ).label("converted"),
            sa.func.max(rates.c.rate_date).label("rate_date"),
        )
        .outerjoin(rates, rates.c.currency_code == src.c.currency_code)
        .group_by(src.c.currency_code)
    ).all()
    total = Decimal(0)
    rate_dates: dict[str, date] = {}
    unconverted: list[str] = []
    for row in per_currency:
        if row.currency_code == target:
            total += Decimal(row.native)
        elif row.rate_date is None:
            unconverted.append(row.currency_code)
        else:
            total += Decimal(row.converted)
            rate_dates[row.currency_code] = row.rate_date
    minor = session.scalar(sa.select(Currency.minor_units).where(Currency.code == target))
    quantum = Decimal(1).scaleb(-(2 if minor is None else minor))
    return MoneyTotal(
        amount=total.quantize(quantum, rounding=ROUND_HALF_EVEN),
        currency=target,
        rates_on=rates_on,
        rate_dates=rate_dates,
        unconverted=tuple(sorted(unconverted)),
    )


def received_total(
    session: Session, *, start: date, end: date, currency: str = "EUR", rates_on: date
) -> MoneyTotal:
    """Money received between ``start`` and ``end`` (inclusive), in ``currency``."""
    amounts = sa.select(FundingReceipt.currency_code, FundingReceipt.amount).where(
        FundingReceipt.archived_at.is_(None),
        FundingReceipt.received_on.between(start, end),
    )
    return _convert_sum(session, amounts=amounts, target=currency, rates_on=rates_on)


def pledged_total(
    session: Session, *, start: date, end: date, currency: str = "EUR", rates_on: date
) -> MoneyTotal:
    """Commitments (pledged or confirmed, not cancelled) pledged between ``start`` and ``end``."""
    amounts = sa.select(FundingCommitment.currency_code, FundingCommitment.amount).where(
        FundingCommitment.archived_at.is_(None),
        FundingCommitment.status != CommitmentStatus.CANCELLED.value,
        FundingCommitment.pledged_on.between(start, end),
    )
    return _convert_sum(session, amounts=amounts, target=currency, rates_on=rates_on)
