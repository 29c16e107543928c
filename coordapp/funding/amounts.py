"""The money figures: which rows count, each dated for its conversion, and their totals.

Each ``*_amounts`` select is the one definition of the rows behind a figure; it has the
columns currency_code, amount and dated (the date its rate is taken on). Surfaces add keys
(year, pillar, funder) and convert through ``coordapp.funding.conversion``; the totals kept
current on write (``coordapp.funding.totals``) are these rows summed. ``start`` and ``end``
are inclusive; None leaves that side open.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding import conversion, rate_info
from coordapp.funding.models import (
    CommitmentStatus,
    FundingAllocation,
    FundingCommitment,
    FundingInstalment,
    FundingReceipt,
)
from coordapp.funding.rate_info import MoneyTotal


def quarter_of(column: Any) -> Any:
    """The quarter (1-4) of a date column, in SQL."""
    month = sa.extract("month", column)
    return sa.case((month <= 3, 1), (month <= 6, 2), (month <= 9, 3), else_=4)


def dated_between(column: Any, start: date | None, end: date | None) -> list[Any]:
    """``column`` from ``start`` to ``end`` inclusive (None: open on that side)."""
    return [
        *(() if start is None else (column >= start,)),
        *(() if end is None else (column <= end,)),
    ]


# The money columns of a commitment's pledge and of a receipt, each dated for its conversion.
PLEDGE_MONEY = (
    FundingCommitment.currency_code,
    FundingCommitment.amount,
    FundingCommitment.pledged_on.label("dated"),
)
RECEIPT_MONEY = (
    FundingReceipt.currency_code,
    FundingReceipt.amount,
    FundingReceipt.received_on.label("dated"),
)


def counted_commitments() -> list[Any]:
    """The commitments whose money counts: not cancelled, not archived."""
    return [
        FundingCommitment.archived_at.is_(None),
        FundingCommitment.status != CommitmentStatus.CANCELLED.value,
    ]


def counted_pledges(start: date | None, end: date | None) -> list[Any]:
    """The commitments a pledged figure counts: not archived, not cancelled, pledged between
    ``start`` and ``end``."""
    return [
        *counted_commitments(),
        *dated_between(FundingCommitment.pledged_on, start, end),
    ]


def counted_receipts(start: date | None, end: date | None) -> list[Any]:
    """The receipts a received figure counts: not archived, received between ``start`` and
    ``end``."""
    return [
        FundingReceipt.archived_at.is_(None),
        *dated_between(FundingReceipt.received_on, start, end),
    ]


def pledged_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """Commitments pledged between ``start`` and ``end``, not cancelled, not archived, at
    their pledge date."""
    return sa.select(*PLEDGE_MONEY).where(*counted_pledges(start, end))


def received_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """Receipts (not archived) received between ``start`` and ``end``, at their receipt date."""
    return sa.select(*RECEIPT_MONEY).where(*counted_receipts(start, end))


def expected_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """Instalments expected between ``start`` and ``end`` of commitments not cancelled, not
    archived, at their expected date."""
    return (
        sa.select(
            FundingCommitment.currency_code,
            FundingInstalment.amount,
            FundingInstalment.expected_on.label("dated"),
        )
        .join(FundingCommitment, FundingCommitment.id == FundingInstalment.commitment_id)
        .where(
            *counted_commitments(),
            *dated_between(FundingInstalment.expected_on, start, end),
        )
    )


def pledged_by_pillar_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """The pledges' pillar allocations (columns pillar_id + the money columns)."""
    return (
        sa.select(
            FundingAllocation.pillar_id,
            FundingCommitment.currency_code,
            FundingAllocation.amount,
            FundingCommitment.pledged_on.label("dated"),
        )
        .join(FundingAllocation, FundingAllocation.commitment_id == FundingCommitment.id)
        .where(*counted_pledges(start, end))
    )


def received_by_pillar_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """Receipts split pro rata to their commitment's pillar allocations (allocation amount /
    commitment amount), at the receipt date (columns pillar_id + the money columns)."""
    share = FundingAllocation.amount / sa.func.nullif(FundingCommitment.amount, 0)
    return (
        sa.select(
            FundingAllocation.pillar_id,
            FundingReceipt.currency_code,
            (FundingReceipt.amount * share).label("amount"),
            FundingReceipt.received_on.label("dated"),
        )
        .join(FundingCommitment, FundingCommitment.id == FundingReceipt.commitment_id)
        .join(FundingAllocation, FundingAllocation.commitment_id == FundingCommitment.id)
        .where(*counted_receipts(start, end))
    )


@dataclass(frozen=True, slots=True)
class ConvertedTotal:
    """A money figure's total: its ``amounts`` rows between ``start`` and ``end`` (inclusive),
    converted to ``currency`` at each row's date, or all at ``constant_on``'s rates."""

    amounts: Callable[..., sa.Select]

    def __call__(
        self,
        session: Session,
        *,
        start: date,
        end: date,
        currency: str = "EUR",
        constant_on: date | None = None,
    ) -> MoneyTotal:
        return conversion.convert_total(
            session,
            amounts=self.amounts(start=start, end=end),
            currency=currency,
            constant_on=constant_on,
        )


# Money received between ``start`` and ``end`` (inclusive), in ``currency``.
received_total = ConvertedTotal(received_amounts)
# Commitments (pledged or confirmed, not cancelled) pledged between ``start`` and ``end``.
pledged_total = ConvertedTotal(pledged_amounts)


def outstanding_total(
    session: Session,
    *,
    start: date,
    end: date,
    on: date,
    currency: str = "EUR",
    constant_on: date | None = None,
) -> MoneyTotal:
    """Of the commitments pledged between ``start`` and ``end`` (not cancelled), what had not
    been received by ``on``: per commitment, its pledge (at the pledge date) minus its receipts
    up to ``on`` (each at its receipt date), never below zero; summed."""
    pledges = pledged_amounts(start=start, end=end).add_columns(
        FundingCommitment.id.label("commitment_id")
    )
    receipts = (
        sa.select(FundingReceipt.commitment_id, *RECEIPT_MONEY)
        .join(FundingCommitment, FundingCommitment.id == FundingReceipt.commitment_id)
        .where(
            FundingReceipt.archived_at.is_(None),
            FundingReceipt.received_on <= on,
            FundingCommitment.id.in_(pledges.with_only_columns(FundingCommitment.id)),
        )
    )
    pledged, r1 = conversion.convert_grouped(
        session, amounts=pledges, keys=["commitment_id"], currency=currency, constant_on=constant_on
    )
    received, r2 = conversion.convert_grouped(
        session,
        amounts=receipts,
        keys=["commitment_id"],
        currency=currency,
        constant_on=constant_on,
    )
    quantum = conversion.minor_quantum(session, currency)
    amount = sum(
        (max(value - received.get(key, Decimal(0)), Decimal(0)) for key, value in pledged.items()),
        Decimal(0).quantize(quantum),
    )
    return MoneyTotal(amount=amount, currency=currency, rates=rate_info.merge(currency, (r1, r2)))
