"""The import types of money: funding commitments, receipts, exchange rates, and the
obligations of a commitment (instalment schedules, funder reporting requirements).

The registry of all of them is ``coordapp.imports.catalog``."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from coordapp.funding import rates as funding_rates
from coordapp.funding.models import (
    ExchangeRate,
    FundingCommitment,
    FundingInstalment,
    FundingReceipt,
    ReportingRequirement,
    ReportKind,
)
from coordapp.imports import adapters, keys, obligation_adapters
from coordapp.imports.columns import EXAMPLE_ORGANIZATION, OWNER
from coordapp.imports.types import ImportColumn, ImportType, Kind

# The commitment the examples create, and that the examples of its receipts and obligations name.
EXAMPLE_COMMITMENT = "Analyst training grant 2027"

# A row of a commitment's receipts or obligations names the commitment by funder and title.
COMMITMENT_COLUMNS = (
    ImportColumn("funder", required=True, names=("organization",), example=EXAMPLE_ORGANIZATION),
    ImportColumn(
        "commitment", required=True, aliases=("commitment_title",), example=EXAMPLE_COMMITMENT
    ),
)

FUNDING_COMMITMENTS = ImportType(
    name="funding-commitments",
    title="Funding commitments",
    model=FundingCommitment,
    columns=(
        ImportColumn(
            "funder",
            required=True,
            current=lambda c: c.funder.name,
            names=("organization",),
            example=EXAMPLE_ORGANIZATION,
        ),
        ImportColumn("title", required=True, example=EXAMPLE_COMMITMENT),
        ImportColumn("amount", kind=Kind.DECIMAL, required=True, example="120000"),
        ImportColumn(
            "currency",
            "currency_code",
            Kind.CURRENCY,
            required=True,
            aliases=("currency_code",),
            example="USD",
        ),
        ImportColumn(
            "pledged_on", kind=Kind.DATE, required=True, aliases=("pledged",), example="2026-10-15"
        ),
        ImportColumn("period_start", kind=Kind.DATE, required=True, example="2027-01-01"),
        ImportColumn("period_end", kind=Kind.DATE, required=True, example="2027-12-31"),
        ImportColumn(
            "allocations",
            kind=Kind.ALLOCATIONS,
            required=True,
            aliases=("pillars", "allocation"),
            current=adapters.commitment_allocations,
            example="Capacity Building 60%; Technology & Innovation 40%",
        ),
        ImportColumn(
            "partnership", current=lambda c: c.partnership.title if c.partnership else None
        ),
        OWNER,
        ImportColumn("notes", example="Confirmation letter expected in January"),
    ),
    key_columns=("funder", "title"),
    **keys.by_organization_and_title(
        FundingCommitment.funder_id, FundingCommitment.title, field="funder"
    ),
    create=adapters.create_commitment,
    update=adapters.update_commitment,
    warn=adapters.commitment_warnings,
    describe=lambda d: f"{d.get('funder') or ''}: {d.get('title') or ''}",
    list_endpoint="funding.commitments_list",
    state=adapters.commitment_state,
    preload=(
        selectinload(FundingCommitment.allocations),
        selectinload(FundingCommitment.status_events),
    ),
    notes=(
        "A commitment is found by its funder and title; it is recorded as pledged.",
        "Allocations are shares in percent (adding up to 100) or amounts (adding up to the "
        "pledge), one per pillar, separated by semicolons; a pillar named alone takes the "
        "whole pledge.",
    ),
)

RECEIPTS = ImportType(
    name="receipts",
    title="Funding receipts",
    model=FundingReceipt,
    columns=(
        *COMMITMENT_COLUMNS,
        ImportColumn(
            "received_on",
            kind=Kind.DATE,
            required=True,
            aliases=("received", "date"),
            example="2026-11-02",
        ),
        ImportColumn("amount", kind=Kind.DECIMAL, required=True, example="60000"),
        ImportColumn(
            "currency", "currency_code", Kind.CURRENCY, aliases=("currency_code",), example="USD"
        ),
        ImportColumn("reference", example="First instalment"),
    ),
    key_columns=("funder", "commitment", "received_on", "amount", "currency"),
    apply_row=adapters.apply_receipt,
    prepare=adapters.prepare_receipts,
    describe=lambda d: (
        f"{d.get('commitment') or ''} {d.get('received_on') or ''} "
        f"{d.get('amount') or ''} {d.get('currency_code') or ''}"
    ).strip(),
    list_endpoint="funding.receipts_list",
    notes=(
        "A receipt is the same one when commitment, date, amount and currency are equal; "
        "the currency defaults to the commitment's.",
    ),
)

EXCHANGE_RATES = ImportType(
    name="exchange-rates",
    title="Exchange rates",
    model=ExchangeRate,
    columns=(
        ImportColumn(
            "base", "base_code", Kind.CURRENCY, required=True, aliases=("base_code",), example="EUR"
        ),
        ImportColumn(
            "quote",
            "quote_code",
            Kind.CURRENCY,
            required=True,
            aliases=("quote_code",),
            example="USD",
        ),
        ImportColumn(
            "date",
            "rate_date",
            Kind.DATE,
            required=True,
            aliases=("rate_date",),
            example="2026-03-31",
        ),
        ImportColumn("rate", kind=Kind.DECIMAL, required=True, thousands=False, example="1.0850"),
        ImportColumn("source", example="ECB reference rate"),
    ),
    key_columns=("base", "quote", "date"),
    **keys.by_columns(ExchangeRate.base_code, ExchangeRate.quote_code, ExchangeRate.rate_date),
    create=funding_rates.create_exchange_rate,
    update=funding_rates.update_exchange_rate,
    describe=lambda d: f"{d.get('base_code')}/{d.get('quote_code')} {d.get('rate_date')}",
    list_endpoint="funding.exchange_rates_list",
    prepare=adapters.prepare_rates,
    notes=(
        "1 unit of the base currency = rate units of the quote currency on the date.",
        "One of the two currencies is EUR: other pairs are converted through EUR.",
    ),
)

INSTALMENT_SCHEDULES = ImportType(
    name="instalment-schedules",
    title="Instalment schedules",
    model=FundingInstalment,
    columns=(
        *COMMITMENT_COLUMNS,
        ImportColumn(
            "instalments",
            required=True,
            aliases=("schedule",),
            example="2027-01-31 60000; 2027-07-31 40000",
        ),
    ),
    key_columns=("funder", "commitment"),
    apply_row=obligation_adapters.apply_schedule,
    prepare=obligation_adapters.prepare_schedules,
    describe=lambda d: f"{d.get('funder') or ''}: {d.get('commitment') or ''}",
    list_endpoint="funding.commitments_list",
    notes=(
        "One row per commitment (found by its funder and title) with its whole schedule: "
        "each instalment as its expected date and amount in the commitment's currency "
        "(decimal point), separated by semicolons; they must add up to the pledge. The row "
        "replaces the commitment's schedule.",
    ),
)

REPORTING_REQUIREMENTS = ImportType(
    name="reporting-requirements",
    title="Reporting requirements",
    model=ReportingRequirement,
    columns=(
        *COMMITMENT_COLUMNS,
        ImportColumn("kind", required=True, choices=ReportKind, example="financial"),
        ImportColumn(
            "due_on", kind=Kind.DATE, required=True, aliases=("due",), example="2027-03-01"
        ),
        ImportColumn("submitted_on", kind=Kind.DATE, aliases=("submitted",)),
        ImportColumn("accepted_on", kind=Kind.DATE, aliases=("accepted",)),
        ImportColumn("document_reference", aliases=("reference",), example="FIN-2026 v1"),
        ImportColumn("note", aliases=("notes",)),
    ),
    key_columns=("funder", "commitment", "kind", "due_on"),
    apply_row=obligation_adapters.apply_requirement,
    prepare=obligation_adapters.prepare_requirements,
    describe=lambda d: (
        f"{d.get('commitment') or ''}: {d.get('kind') or ''} report due {d.get('due_on') or ''}"
    ),
    list_endpoint="funding.reporting_requirements_list",
    notes=(
        "A requirement is the same one when commitment, kind (narrative or financial) and due "
        "date are equal; a report is never accepted before it is submitted.",
    ),
)
