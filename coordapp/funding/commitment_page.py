"""What a commitment's page shows besides its fields: its allocations, receipts, status
history, and pledged against received, natively and converted with the rates named."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding import conversion
from coordapp.funding.commitments import next_statuses
from coordapp.funding.models import (
    CommitmentStatusEvent,
    ExchangeRate,
    FundingAllocation,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.funding.money import in_minor_units, money_text, rate_text, share_text
from coordapp.funding.rate_info import MoneyTotal
from coordapp.reference.models import Pillar


@dataclass(frozen=True, slots=True)
class RateUsed:
    """One stored rate, in the direction it was stored: 1 ``base`` = ``rate`` ``quote``."""

    base: str
    quote: str
    rate: Decimal
    rate_date: date

    @property
    def text(self) -> str:
        return f"1 {self.base} = {rate_text(self.rate)} {self.quote} ({self.rate_date.isoformat()})"


@dataclass(frozen=True, slots=True)
class ConvertedFigure:
    """A total in the reporting currency and the exact rates it was converted with."""

    total: MoneyTotal
    rates: tuple[RateUsed, ...]

    @property
    def amount_text(self) -> str:
        return money_text(self.total.amount, self.total.currency)

    @property
    def rate_text(self) -> str:
        parts = []
        if self.rates:
            parts.append("at " + "; ".join(r.text for r in self.rates))
        elif not self.total.unconverted:
            parts.append(f"in {self.total.currency}, no conversion")
        if self.total.rates.left_out:
            missing = ", ".join(f"{c} {a:,}" for c, a in self.total.rates.left_out)
            parts.append(f"without {missing}: no rate on or before the row's date")
        return "; ".join(parts)

    @property
    def text(self) -> str:
        if not self.rates and not self.total.unconverted:
            return f"{self.amount_text} (no conversion needed)"
        approx = "≈ " if self.rates else ""
        return f"{approx}{self.amount_text} {self.rate_text}"


def rates_used(session: Session, *, total: MoneyTotal) -> tuple[RateUsed, ...]:
    """The stored rates behind ``total``, as they were stored (the rows the conversion read)."""
    if not total.rates.used:
        return ()
    pivot = conversion.PIVOT
    conditions = [
        sa.and_(
            ExchangeRate.rate_date == on,
            sa.or_(
                sa.and_(ExchangeRate.base_code == code, ExchangeRate.quote_code == pivot),
                sa.and_(ExchangeRate.base_code == pivot, ExchangeRate.quote_code == code),
            ),
        )
        for code, on in total.rates.used
    ]
    found: dict[tuple[str, date], RateUsed] = {}
    for rate in session.scalars(sa.select(ExchangeRate).where(sa.or_(*conditions))):
        code = rate.base_code if rate.quote_code == pivot else rate.quote_code
        key = (code, rate.rate_date)
        # Stored towards EUR wins a tie, as in the conversion.
        if key not in found or rate.quote_code == pivot:
            found[key] = RateUsed(rate.base_code, rate.quote_code, rate.rate, rate.rate_date)
    return tuple(found[key] for key in sorted(found))


def convert(
    session: Session, *, amounts: sa.Select, currency: str, constant_on: date | None = None
) -> ConvertedFigure:
    """Convert (currency_code, amount, dated) rows to ``currency`` and name the rates used."""
    total = conversion.convert_total(
        session, amounts=amounts, currency=currency, constant_on=constant_on
    )
    return ConvertedFigure(total=total, rates=rates_used(session, total=total))


@dataclass(frozen=True, slots=True)
class CommitmentMoney:
    """Pledged against received for one commitment, natively and in the reporting currency."""

    currency: str
    pledged: Decimal
    received_in_currency: Decimal
    received_other: tuple[tuple[str, Decimal], ...]
    pledged_converted: ConvertedFigure
    received_converted: ConvertedFigure

    @property
    def received_share(self) -> str:
        return share_text(self.received_in_currency, self.pledged)

    @property
    def received_percent(self) -> float:
        """For the progress bar only (never for money)."""
        if not self.pledged:
            return 0.0
        return float(min(self.received_in_currency / self.pledged * 100, Decimal(100)))

    @property
    def converted_share(self) -> str | None:
        """Received as a share of pledged, both converted (None when a rate is missing)."""
        pledged, received = self.pledged_converted.total, self.received_converted.total
        if pledged.unconverted or received.unconverted or not pledged.amount:
            return None
        return share_text(received.amount, pledged.amount)

    @property
    def converted_percent(self) -> float:
        pledged = self.pledged_converted.total.amount
        if not pledged or self.pledged_converted.total.unconverted:
            return 0.0
        return float(min(self.received_converted.total.amount / pledged * 100, Decimal(100)))


def commitment_money(
    session: Session, *, commitment: FundingCommitment, currency: str
) -> CommitmentMoney:
    """The pledge at its pledge date's rate, each receipt at its receipt date's rate."""
    receipts = sa.select(
        FundingReceipt.currency_code,
        FundingReceipt.amount,
        FundingReceipt.received_on.label("dated"),
    ).where(FundingReceipt.commitment_id == commitment.id, FundingReceipt.archived_at.is_(None))
    by_currency = {
        code: Decimal(total)
        for code, total in session.execute(
            sa.select(FundingReceipt.currency_code, sa.func.sum(FundingReceipt.amount))
            .where(
                FundingReceipt.commitment_id == commitment.id,
                FundingReceipt.archived_at.is_(None),
            )
            .group_by(FundingReceipt.currency_code)
        )
    }
    pledge_currency = commitment.currency_code
    pledged = sa.select(
        FundingCommitment.currency_code,
        FundingCommitment.amount,
        FundingCommitment.pledged_on.label("dated"),
    ).where(FundingCommitment.id == commitment.id)
    return CommitmentMoney(
        currency=pledge_currency,
        pledged=in_minor_units(commitment.amount, pledge_currency),
        received_in_currency=in_minor_units(
            by_currency.pop(pledge_currency, Decimal(0)), pledge_currency
        ),
        received_other=tuple(
            (code, in_minor_units(total, code)) for code, total in sorted(by_currency.items())
        ),
        pledged_converted=convert(session, amounts=pledged, currency=currency),
        received_converted=convert(session, amounts=receipts, currency=currency),
    )


@dataclass(frozen=True, slots=True)
class AllocationLine:
    pillar: str
    amount: Decimal
    share: str


def commitment_related(
    session: Session, obj: FundingCommitment, *, currency: str
) -> dict[str, Any]:
    """What the commitment's page shows besides its fields."""
    pledged = in_minor_units(obj.amount, obj.currency_code)
    allocations = session.execute(
        sa.select(Pillar.name, FundingAllocation.amount)
        .join(Pillar, Pillar.id == FundingAllocation.pillar_id)
        .where(FundingAllocation.commitment_id == obj.id)
        .order_by(Pillar.sort_order, Pillar.id)
    ).all()
    return {
        "allocations": [
            AllocationLine(
                pillar=name,
                amount=in_minor_units(amount, obj.currency_code),
                share=share_text(amount, pledged),
            )
            for name, amount in allocations
        ],
        "receipts": session.scalars(
            sa.select(FundingReceipt)
            .where(FundingReceipt.commitment_id == obj.id)
            .order_by(FundingReceipt.received_on, FundingReceipt.id)
        ).all(),
        "status_events": session.scalars(
            sa.select(CommitmentStatusEvent)
            .where(CommitmentStatusEvent.commitment_id == obj.id)
            .order_by(CommitmentStatusEvent.changed_on, CommitmentStatusEvent.id)
        ).all(),
        "money": commitment_money(session, commitment=obj, currency=currency),
        "next_statuses": next_statuses(obj),
        "money_text": money_text,
    }


def commitment_allocation_values(commitment: FundingCommitment) -> dict[str, str]:
    """The edit form's allocation inputs: the stored amounts per pillar id."""
    return {
        str(a.pillar_id): str(in_minor_units(a.amount, commitment.currency_code))
        for a in commitment.allocations
    }
