"""The commitments, receipts and exchange-rates lists: their columns, filters and choices
(the pages, the exports and the API read the same specs)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from coordapp import listing
from coordapp.funding.models import (
    CommitmentStatus,
    ExchangeRate,
    FundingAllocation,
    FundingCommitment,
    FundingReceipt,
    ReportingRequirement,
    ReportKind,
)
from coordapp.funding.money import in_minor_units, rate_text
from coordapp.listing import Column, Filter, ListSpec
from coordapp.partners.models import Organization, OrganizationKind
from coordapp.reference import service as reference


def _has_allocation_to(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if not value.isdecimal():
        return query
    return query.where(
        sa.exists().where(
            FundingAllocation.commitment_id == FundingCommitment.id,
            FundingAllocation.pillar_id == int(value),
        )
    )


def _pillar_names(commitment: FundingCommitment) -> str:
    ordered = sorted(commitment.allocations, key=lambda a: (a.pillar.sort_order, a.pillar.id))
    return ", ".join(a.pillar.name for a in ordered)


def _money_columns(model: Any) -> tuple[Column, Column]:
    """A money record's amount, in its currency's minor units (shown with separators), and
    its currency."""

    def minor_units(item: Any) -> Any:
        return in_minor_units(item.amount, item.currency_code)

    return (
        Column(
            "amount",
            "Amount",
            model.amount,
            minor_units,
            display=lambda item: f"{minor_units(item):,}",
            align_end=True,
        ),
        Column("currency", "Currency", model.currency_code),
    )


COMMITMENT_LIST = ListSpec(
    name="commitments",
    entity=FundingCommitment,
    columns=(
        Column("title", "Title", FundingCommitment.title, link=True),
        Column("funder", "Funder", Organization.name, lambda c: c.funder.name),
        *_money_columns(FundingCommitment),
        listing.label_column("status", "Status", FundingCommitment.status),
        Column("pledged_on", "Pledged on", FundingCommitment.pledged_on),
        Column("period_end", "Period ends", FundingCommitment.period_end),
        Column("pillars", "Pillars", None, _pillar_names),
        listing.owner_column(FundingCommitment.owner_id),
    ),
    default_sort="-pledged_on",
    search=(FundingCommitment.title, Organization.name),
    filters=(
        listing.enum_filter_on("status", "Status", FundingCommitment.status, CommitmentStatus),
        listing.code_filter_on("currency", "Currency", FundingCommitment.currency_code),
        Filter("pillar", "Pillar", _has_allocation_to, reference.pillar_choices),
        listing.enum_filter_on("funder_kind", "Funder kind", Organization.kind, OrganizationKind),
        listing.year_filter_on(FundingCommitment.pledged_on, "Pledged in"),
        listing.owner_filter_on(FundingCommitment.owner_id),
    ),
    options=(
        selectinload(FundingCommitment.funder),
        selectinload(FundingCommitment.owner),
        selectinload(FundingCommitment.allocations).selectinload(FundingAllocation.pillar),
    ),
    joins=(FundingCommitment.funder,),
)


def _funder_choices(session: Session) -> list[tuple[str, str]]:
    return [
        (str(oid), name)
        for oid, name in session.execute(
            sa.select(Organization.id, Organization.name)
            .where(Organization.id.in_(sa.select(FundingCommitment.funder_id).distinct()))
            .order_by(Organization.name)
        )
    ]


# A receipt's or a reporting requirement's commitment and its funder (the list joins both).
_COMMITMENT_COLUMNS = (
    Column("commitment", "Commitment", FundingCommitment.title, lambda r: r.commitment.title),
    Column("funder", "Funder", Organization.name, lambda r: r.commitment.funder.name),
)

RECEIPT_LIST = ListSpec(
    name="receipts",
    entity=FundingReceipt,
    columns=(
        Column("received_on", "Received on", FundingReceipt.received_on, link=True),
        *_money_columns(FundingReceipt),
        *_COMMITMENT_COLUMNS,
        Column("reference", "Reference", FundingReceipt.reference),
    ),
    default_sort="-received_on",
    search=(FundingReceipt.reference, FundingCommitment.title, Organization.name),
    filters=(
        listing.year_filter_on(FundingReceipt.received_on, "Received in"),
        listing.code_filter_on("currency", "Currency", FundingReceipt.currency_code),
        listing.id_filter_on("funder", "Funder", FundingCommitment.funder_id, _funder_choices),
        listing.id_filter_on("commitment", "Commitment", FundingReceipt.commitment_id),
    ),
    options=(selectinload(FundingReceipt.commitment).selectinload(FundingCommitment.funder),),
    joins=(FundingReceipt.commitment, FundingCommitment.funder),
)

EXCHANGE_RATE_LIST = ListSpec(
    entity=ExchangeRate,
    columns=(
        Column("rate_date", "Date", ExchangeRate.rate_date, link=True),
        Column("base", "Base", ExchangeRate.base_code),
        Column("quote", "Quote", ExchangeRate.quote_code),
        Column(
            "rate", "Rate (1 base = rate quote)", ExchangeRate.rate, lambda r: rate_text(r.rate)
        ),
        Column("source", "Source", ExchangeRate.source),
    ),
    default_sort="-rate_date",
    filters=(
        listing.code_filter_on("base", "Base", ExchangeRate.base_code),
        listing.code_filter_on("quote", "Quote", ExchangeRate.quote_code),
        listing.year_filter_on(ExchangeRate.rate_date),
    ),
    archivable=False,
)


def _optional_date(value: Any) -> str:
    return value.isoformat() if value is not None else "—"


REQUIREMENT_LIST = ListSpec(
    entity=ReportingRequirement,
    columns=(
        Column("due_on", "Due on", ReportingRequirement.due_on, link=True),
        listing.label_column("kind", "Report", ReportingRequirement.kind),
        *_COMMITMENT_COLUMNS,
        Column(
            "submitted_on",
            "Submitted on",
            ReportingRequirement.submitted_on,
            display=lambda r: _optional_date(r.submitted_on),
        ),
        Column(
            "accepted_on",
            "Accepted on",
            ReportingRequirement.accepted_on,
            display=lambda r: _optional_date(r.accepted_on),
        ),
        Column("document_reference", "Document reference", ReportingRequirement.document_reference),
    ),
    default_sort="due_on",
    search=(ReportingRequirement.document_reference, FundingCommitment.title, Organization.name),
    filters=(
        listing.year_filter_on(ReportingRequirement.due_on, "Due in"),
        listing.enum_filter_on("kind", "Report", ReportingRequirement.kind, ReportKind),
        listing.id_filter_on("commitment", "Commitment", ReportingRequirement.commitment_id),
    ),
    options=(selectinload(ReportingRequirement.commitment).selectinload(FundingCommitment.funder),),
    archivable=False,
    joins=(ReportingRequirement.commitment, FundingCommitment.funder),
)
