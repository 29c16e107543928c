"""What a person should look at before money is saved, stated once for every surface.

The forms, the importer and the API all call these rules; none refuses the row (the money may
well be right), each says what the figures would do with it:

* **No rate** — a receipt or a commitment in a currency with no rate path to the reporting
  currency on or before the row's own date (``conversion``: through EUR, the latest rate on or
  before the date) is left out of every total until a rate is added. Saved, with a link to add
  the rate.
* **Over the commitment** — a receipt that takes its commitment's receipts over 100 % of the
  pledge. Receipts count in the commitment's currency: those in that currency as they are, those
  in another currency converted at the rate of their own date (``conversion``, through EUR);
  one that cannot be converted counts as nothing here (it has its own "no rate" warning).
* **Outside the period** — a receipt dated before its commitment's period starts or after it
  ends.

The last two ask a form's user to confirm (``needs_confirmation``); the first is shown after the
save, with the way to fix it.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.batching import Batch
from coordapp.db import Money
from coordapp.errors import ValidationError
from coordapp.funding import conversion, money, receipts
from coordapp.funding.conversion import RateCoverage
from coordapp.funding.models import FundingCommitment, FundingReceipt
from coordapp.reference import service as reference

# Commitments per conversion query (an import may name thousands).
_CHUNK = 1000


class WarningKind(enum.StrEnum):
    NO_RATE = "no_rate"
    OVER_COMMITMENT = "over_commitment"
    OUTSIDE_PERIOD = "outside_period"


@dataclass(frozen=True, slots=True)
class MoneyWarning:
    kind: WarningKind
    message: str
    # No rate: the currency a rate against EUR is missing for, and the date it must not be after.
    currency: str | None = None
    on: date | None = None

    @property
    def needs_confirmation(self) -> bool:
        return self.kind != WarningKind.NO_RATE


def rate_warnings(
    coverage: RateCoverage, *, code: str, on: date, reporting: str, what: str
) -> list[MoneyWarning]:
    """``what`` (e.g. "receipt of AED 500.00") in ``code`` on ``on`` would be left out."""
    return [
        MoneyWarning(
            WarningKind.NO_RATE,
            f"There is no rate between {missing} and {conversion.PIVOT} on or before "
            f"{on.isoformat()}: the {what} is left out of every total in {reporting} until "
            "one is added.",
            currency=missing,
            on=on,
        )
        for missing in coverage.missing(code, on=on, currency=reporting)
    ]


def commitment_warnings(
    session: Session,
    *,
    data: Mapping[str, Any],
    reporting: str,
    coverage: RateCoverage | None = None,
    batch: Batch | None = None,
) -> list[MoneyWarning]:
    """A pledge converts at its pledge date: warn when its currency has no rate by then.

    Data that is not valid has no warnings (saving it says what is wrong). ``coverage``: the
    rates as read once for many rows (an import), else read here."""
    pledged_on = data.get("pledged_on")
    if not isinstance(pledged_on, date):
        return []
    try:
        currency = reference.require_currency(
            session, "currency_code", data.get("currency_code"), batch=batch
        )
    except ValidationError:
        return []
    return rate_warnings(
        coverage or conversion.rate_coverage(session),
        code=currency.code,
        on=pledged_on,
        reporting=reporting,
        what=f"pledge in {currency.code}",
    )


def receipt_values(
    session: Session, *, commitments: Iterable[FundingCommitment]
) -> dict[int, dict[int, Decimal]]:
    """Commitment id -> receipt id -> each stored receipt (not archived) in its commitment's
    currency (one conversion per commitment currency; a receipt that cannot be converted is 0).
    """
    by_currency: dict[str, list[int]] = defaultdict(list)
    for commitment in commitments:
        by_currency[commitment.currency_code].append(commitment.id)
    values: dict[int, dict[int, Decimal]] = {cid: {} for ids in by_currency.values() for cid in ids}
    for currency, all_ids in by_currency.items():
        for first in range(0, len(all_ids), _CHUNK):
            ids = all_ids[first : first + _CHUNK]
            amounts = sa.select(
                FundingReceipt.commitment_id,
                FundingReceipt.id.label("receipt_id"),
                FundingReceipt.currency_code,
                FundingReceipt.amount,
                FundingReceipt.received_on.label("dated"),
            ).where(FundingReceipt.commitment_id.in_(ids), FundingReceipt.archived_at.is_(None))
            totals, _ = conversion.convert_grouped(
                session, amounts=amounts, keys=["commitment_id", "receipt_id"], currency=currency
            )
            for (commitment_id, receipt_id), value in totals.items():
                values[commitment_id][receipt_id] = value
    return values


def _in_currency(session: Session, receipt: Mapping[str, Any], currency: str) -> Decimal:
    """One receipt in ``currency`` at the rate of its own date (0 when it cannot be)."""
    if receipt["currency_code"] == currency:
        return Decimal(receipt["amount"])
    row = sa.select(
        sa.literal(receipt["currency_code"]).label("currency_code"),
        sa.literal(Decimal(receipt["amount"]), Money).label("amount"),
        sa.literal(receipt["received_on"], sa.Date).label("dated"),
    )
    total = conversion.convert_total(session, amounts=row, currency=currency)
    return Decimal(0) if total.unconverted else total.amount


def receipt_check(
    session: Session,
    *,
    commitment: FundingCommitment,
    receipt: Mapping[str, Any],
    received_before: Decimal,
    coverage: RateCoverage,
    reporting: str,
) -> tuple[list[MoneyWarning], Decimal]:
    """The warnings of ``receipt`` (values as ``receipts.clean_receipt`` returns them) against
    ``commitment``, which had ``received_before`` (in its currency) without it; and the
    receipt's own value in the commitment's currency."""
    currency, received_on = receipt["currency_code"], receipt["received_on"]
    own = money.money_text(receipt["amount"], currency)
    warnings = rate_warnings(
        coverage, code=currency, on=received_on, reporting=reporting, what=f"receipt of {own}"
    )
    value = _in_currency(session, receipt, commitment.currency_code)
    received = received_before + value
    if received > commitment.amount:
        pledge = commitment.currency_code
        warnings.append(
            MoneyWarning(
                WarningKind.OVER_COMMITMENT,
                f"With this receipt, {money.money_text(received, pledge)} of the "
                f"{money.money_text(commitment.amount, pledge)} pledged in "
                f"{commitment.title!r} is received "
                f"({money.share_text(received, commitment.amount)}): "
                f"{money.money_text(received - commitment.amount, pledge)} more than the "
                "commitment.",
            )
        )
    if not commitment.period_start <= received_on <= commitment.period_end:
        when = (
            f"before its period started ({commitment.period_start.isoformat()})"
            if received_on < commitment.period_start
            else f"after its period ended ({commitment.period_end.isoformat()})"
        )
        warnings.append(
            MoneyWarning(
                WarningKind.OUTSIDE_PERIOD,
                f"Received on {received_on.isoformat()}, {when} of the commitment "
                f"{commitment.title!r}.",
            )
        )
    return warnings, value


def receipt_warnings(
    session: Session,
    *,
    data: Mapping[str, Any],
    reporting: str,
    exclude_id: int | None = None,
) -> list[MoneyWarning]:
    """The warnings of one receipt as a form or the API sends it (``exclude_id``: the receipt's
    own stored row, when it is being edited or was just saved). Data that is not valid has no
    warnings (saving it says what is wrong)."""
    try:
        receipt = receipts.clean_receipt(session, data)
    except ValidationError:
        return []
    commitment = session.get(FundingCommitment, receipt["commitment_id"])
    assert commitment is not None  # clean_receipt found it
    stored = receipt_values(session, commitments=[commitment])[commitment.id]
    before = sum((v for rid, v in stored.items() if rid != exclude_id), Decimal(0))
    warnings, _ = receipt_check(
        session,
        commitment=commitment,
        receipt=receipt,
        received_before=before,
        coverage=conversion.rate_coverage(session),
        reporting=reporting,
    )
    return warnings
