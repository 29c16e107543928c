"""Receipts: money received against a commitment, in the currency it arrived in."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import validation
from coordapp.batching import Batch
from coordapp.errors import ValidationError
from coordapp.funding.commitments import open_commitment_of
from coordapp.funding.dates import EARLIEST_DATE, not_in_future
from coordapp.funding.models import (
    CommitmentStatus,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.funding.money import money_text
from coordapp.partners.models import Organization
from coordapp.records import service as records
from coordapp.reference import service as reference

# Most recent open commitments offered in the receipt form's select.
COMMITMENT_CHOICES_LIMIT = 500


def get_receipt(session: Session, receipt_id: int) -> FundingReceipt:
    obj: FundingReceipt = records.get_or_404(session, FundingReceipt, receipt_id, what="receipt")
    return obj


def receipts_of_commitments(
    session: Session, commitment_ids: Iterable[int]
) -> list[FundingReceipt]:
    """Every receipt against those commitments, oldest entry first (a thousand per query)."""
    statement = sa.select(FundingReceipt)
    found = records.scalars_in(session, statement, FundingReceipt.commitment_id, commitment_ids)
    return sorted(found, key=lambda receipt: receipt.id)


def clean_receipt(
    session: Session, data: Mapping[str, Any], *, obj: object = None, batch: Batch | None = None
) -> dict[str, Any]:
    """A receipt's values as stored (the currency is the commitment's when none is given), or
    the ValidationError saying what is wrong."""
    commitment = open_commitment_of(
        session,
        data.get("commitment_id"),
        choose="Choose the commitment the money was paid for.",
        restore_before="recording money against it",
    )
    received_on = validation.required_date(
        "received_on", data.get("received_on"), what="the date received"
    )
    not_in_future("received_on", received_on, what="a receipt")
    if received_on < EARLIEST_DATE:
        raise ValidationError(
            "received_on", f"Dates before {EARLIEST_DATE.year} are not plausible."
        )
    currency = reference.require_currency(
        session,
        "currency_code",
        data.get("currency_code") or commitment.currency_code,
        batch=batch,
    )
    return {
        "commitment_id": commitment.id,
        "received_on": received_on,
        "currency_code": currency.code,
        "amount": validation.money(
            "amount",
            data.get("amount"),
            minor_units=currency.minor_units,
            positive=True,
            currency=currency.code,
        ),
        "reference": validation.free_text("reference", data.get("reference"), max_length=120),
    }


RECEIPT_COMMANDS = records.RecordCommands(FundingReceipt, clean=clean_receipt, versioned=False)
create_receipt = RECEIPT_COMMANDS.create
update_receipt = RECEIPT_COMMANDS.update


def commitment_choices(
    session: Session, *, include: int | None = None
) -> list[tuple[str, str, str]]:
    """Open commitments (most recent first) for the receipt form, plus ``include``: (id,
    label, currency)."""
    rows = session.execute(
        sa.select(
            FundingCommitment.id,
            FundingCommitment.title,
            FundingCommitment.amount,
            FundingCommitment.currency_code,
            Organization.name,
        )
        .join(Organization, Organization.id == FundingCommitment.funder_id)
        .where(
            sa.or_(
                sa.and_(
                    FundingCommitment.archived_at.is_(None),
                    FundingCommitment.status != CommitmentStatus.CANCELLED.value,
                ),
                FundingCommitment.id == (include or 0),
            )
        )
        .order_by(FundingCommitment.pledged_on.desc(), FundingCommitment.id.desc())
        .limit(COMMITMENT_CHOICES_LIMIT)
    ).all()
    return [
        (str(cid), f"{funder} · {title} · {money_text(amount, code)} (#{cid})", code)
        for cid, title, amount, code, funder in rows
    ]


def receipt_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """Prefill a new receipt from ``?commitment_id=`` (the commitment page's button) or
    ``?commitment=`` (the receipts list's filter): the commitment and its currency."""
    commitment_id = validation.record_id(args.get("commitment_id") or args.get("commitment"))
    commitment = session.get(FundingCommitment, commitment_id) if commitment_id else None
    if commitment is None:
        return {"received_on": date.today()}
    return {
        "commitment_id": str(commitment.id),
        "currency_code": commitment.currency_code,
        "received_on": date.today(),
    }
