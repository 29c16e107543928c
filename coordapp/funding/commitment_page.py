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
from coordapp.funding.amounts import PLEDGE_MONEY, RECEIPT_MONEY
from coordapp.funding.commitments import next_statuses
from coordapp.funding.models import (
    CommitmentStatusEvent,
    FundingAllocation,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.funding.money import in_minor_units, money_text, rate_text, share_text
from coordapp.funding.rate_info import MoneyTotal
from coordapp.reference.models import Pillar


def stored_rate_text(code: str, day: date, rate: Decimal, towards_pivot: bool) -> str:
    """One applied rate (``RateInfo.applied``) in the direction it was stored."""
    base, quote = (code, conversion.PIVOT) if towards_pivot else (conversion.PIVOT, code)
    return f"1 {base} = {rate_text(rate)} {quote} ({day.isoformat()})"


@dataclass(frozen=True, slots=True)
class ConvertedFigure:
    """A total in the reporting currency and the exact rates it was converted with (the rates
    the conversion applied, as stored)."""

    total: MoneyTotal

    @property
    def amount_text(self) -> str:
        return money_text(self.total.amount, self.total.currency)

    @property
    def rate_text(self) -> str:
        parts = []
        if applied := self.total.rates.applied:
            parts.append("at " + "; ".join(stored_rate_text(*rate) for rate in applied))
        elif not self.total.unconverted:
            parts.append(f"in {self.total.currency}, no conversion")
        if self.total.rates.left_out:
            missing = ", ".join(f"{c} {a:,}" for c, a in self.total.rates.left_out)
            parts.append(f"without {missing}: no rate on or before the row's date")
        return "; ".join(parts)

    @property
    def text(self) -> str:
        converted = bool(self.total.rates.applied)
        if not converted and not self.total.unconverted:
            return f"{self.amount_text} (no conversion needed)"
        approx = "≈ " if converted else ""
        return f"{approx}{self.amount_text} {self.rate_text}"


def convert(
    session: Session, *, amounts: sa.Select, currency: str, constant_on: date | None = None
) -> ConvertedFigure:
    """Convert (currency_code, amount, dated) rows to ``currency``, naming the rates used."""
    return ConvertedFigure(
        conversion.convert_total(
            session, amounts=amounts, currency=currency, constant_on=constant_on
        )
    )


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
    receipts = sa.select(*RECEIPT_MONEY).where(
        FundingReceipt.commitment_id == commitment.id, FundingReceipt.archived_at.is_(None)
    )
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
    pledged = sa.select(*PLEDGE_MONEY).where(FundingCommitment.id == commitment.id)
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
