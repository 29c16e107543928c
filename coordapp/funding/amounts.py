"""The money figures: which rows count, each dated for its conversion, and their totals.

Each ``*_amounts`` select is the one definition of the rows behind a figure; it has the
columns currency_code, amount and dated (the date its rate is taken on). Surfaces add keys
(year, pillar, funder) and convert through ``coordapp.funding.conversion``; the totals kept
current on write (``coordapp.funding.totals``) are these rows summed. ``start`` and ``end``
are inclusive; None leaves that side open.
"""

from __future__ import annotations

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


def dated_between(column: Any, start: date | None, end: date | None) -> list[Any]:
    """``column`` from ``start`` to ``end`` inclusive (None: open on that side)."""
    return [
        *(() if start is None else (column >= start,)),
        *(() if end is None else (column <= end,)),
    ]


def counted_commitments() -> list[Any]:
    """The commitments whose money counts: not cancelled, not archived."""
    return [
        FundingCommitment.archived_at.is_(None),
        FundingCommitment.status != CommitmentStatus.CANCELLED.value,
    ]


def pledged_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """Commitments pledged between ``start`` and ``end``, not cancelled, not archived, at
    their pledge date."""
    return sa.select(
        FundingCommitment.currency_code,
        FundingCommitment.amount,
        FundingCommitment.pledged_on.label("dated"),
    ).where(
        FundingCommitment.archived_at.is_(None),
        FundingCommitment.status != CommitmentStatus.CANCELLED.value,
        *dated_between(FundingCommitment.pledged_on, start, end),
    )


def received_amounts(*, start: date | None = None, end: date | None = None) -> sa.Select:
    """Receipts (not archived) received between ``start`` and ``end``, at their receipt date."""
    return sa.select(
        FundingReceipt.currency_code,
        FundingReceipt.amount,
        FundingReceipt.received_on.label("dated"),
    ).where(
        FundingReceipt.archived_at.is_(None),
        *dated_between(FundingReceipt.received_on, start, end),
    )


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
        .where(
            *counted_commitments(),
            *dated_between(FundingCommitment.pledged_on, start, end),
        )
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
        .where(
            FundingReceipt.archived_at.is_(None),
            *dated_between(FundingReceipt.received_on, start, end),
        )
    )


def received_total(
    session: Session,
    *,
    start: date,
    end: date,
    currency: str = "EUR",
    constant_on: date | None = None,
) -> MoneyTotal:
    """Money received between ``start`` and ``end`` (inclusive), in ``currency``."""
    return conversion.convert_total(
        session,
        amounts=received_amounts(start=start, end=end),
        currency=currency,
        constant_on=constant_on,
    )


def pledged_total(
    session: Session,
    *,
    start: date,
    end: date,
    currency: str = "EUR",
    constant_on: date | None = None,
) -> MoneyTotal:
    """Commitments (pledged or confirmed, not cancelled) pledged between ``start`` and ``end``."""
    return conversion.convert_total(
        session,
        amounts=pledged_amounts(start=start, end=end),
        currency=currency,
        constant_on=constant_on,
    )


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
        sa.select(
            FundingReceipt.commitment_id,
            FundingReceipt.currency_code,
            FundingReceipt.amount,
            FundingReceipt.received_on.label("dated"),
        )
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
