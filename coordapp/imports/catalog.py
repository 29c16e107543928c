"""One definition per import type: its columns, natural key, example row and service verbs
(``IMPORT_TYPES``, by name)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coordapp.errors import ValidationError
from coordapp.funding import rates as funding_rates
from coordapp.funding.models import (
    ExchangeRate,
    FundingCommitment,
    FundingInstalment,
    FundingReceipt,
    ReportingRequirement,
    ReportKind,
)
from coordapp.imports import adapters, obligation_adapters
from coordapp.imports.types import ImportColumn, ImportType, Kind
from coordapp.network.models import Hotline
from coordapp.partners import contacts, organizations, partnerships
from coordapp.partners import models as partners_models
from coordapp.partners.models import Contact, Organization, Partnership
from coordapp.pillars import service as pillars
from coordapp.pillars.models import PillarIndicator, PillarTarget
from coordapp.stats.models import HotlineStatistic
from coordapp.training.models import DeliveryMode, TrainingEvent, TrainingKind


def _name_of_organization(foreign_key: Any) -> Any:
    """An organization's name in lower case, as a natural-key column of a record that names it."""
    return (
        sa.select(sa.func.lower(Organization.name))
        .where(Organization.id == foreign_key)
        .scalar_subquery()
    )


def _lower(value: Any) -> str:
    return str(value).strip().lower()


def _lower_equals(column: Any, value: Any) -> Any:
    return sa.func.lower(column) == str(value).strip().lower()


ORGANIZATIONS = ImportType(
    name="organizations",
    title="Organizations",
    model=Organization,
    columns=(
        ImportColumn(
            "name",
            "name",
            required=True,
            aliases=("organization", "organisation"),
            names=("organization",),
        ),
        ImportColumn(
            "kind", "kind", Kind.CHOICE, required=True, choices=partners_models.OrganizationKind
        ),
        ImportColumn("status", "status", Kind.CHOICE, choices=partners_models.OrganizationStatus),
        ImportColumn(
            "hq_country", "hq_country_code", Kind.COUNTRY, aliases=("country", "hq_country_code")
        ),
        ImportColumn("website", "website"),
        ImportColumn("tags", "tags"),
        ImportColumn("notes", "notes"),
    ),
    key_columns=("name",),
    match=lambda d: [_lower_equals(Organization.name, d["name"])],
    create=organizations.create_organization,
    update=organizations.update_organization,
    example={
        "name": "Example Trust & Safety Ltd",
        "kind": "industry",
        "status": "active",
        "hq_country": "Deutschland",
        "website": "https://example.org",
        "tags": "cloud, hosting",
        "notes": "Met at the annual meeting",
    },
    describe=lambda d: str(d.get("name") or ""),
    list_endpoint="partners.organizations_list",
    index=(sa.func.lower(Organization.name),),
    index_key=lambda d: (str(d["name"]).strip().lower(),),
    batch_writes=True,
)

CONTACTS = ImportType(
    name="contacts",
    title="Contacts",
    model=Contact,
    columns=(
        ImportColumn(
            "organization",
            "organization",
            required=True,
            aliases=("organisation",),
            current=lambda c: c.organization.name,
            names=("organization",),
        ),
        ImportColumn("full_name", "full_name", required=True, aliases=("name",)),
        ImportColumn("job_title", "job_title", aliases=("title",)),
        ImportColumn("email", "email", aliases=("e_mail",)),
        ImportColumn("phone", "phone"),
        ImportColumn(
            "last_contacted_on", "last_contacted_on", Kind.DATE, aliases=("last_contacted",)
        ),
        ImportColumn("lawful_basis", "lawful_basis"),
    ),
    key_columns=("email",),
    # A contact is the same person by email; without an email, by name at the organization.
    match=lambda d: (
        [_lower_equals(Contact.email, d["email"])]
        if d.get("email")
        else [
            _lower_equals(Contact.full_name, d.get("full_name") or ""),
            Contact.organization_id.in_(
                sa.select(Organization.id).where(
                    _lower_equals(Organization.name, d.get("organization") or "")
                )
            ),
        ]
    ),
    index=(sa.func.lower(Contact.email),),
    index_key=lambda d: (_lower(d["email"]),) if d.get("email") else None,
    batch_writes=True,
    create=contacts.create_contact,
    update=contacts.update_contact,
    example={
        "organization": "Example Trust & Safety Ltd",
        "full_name": "Alex Example",
        "job_title": "Head of Trust & Safety",
        "email": "alex@example.org",
        "phone": "+32 2 555 01 23",
        "last_contacted_on": "2026-03-31",
        "lawful_basis": "Legitimate interest: partnership contact",
    },
    describe=lambda d: str(d.get("email") or d.get("full_name") or ""),
    list_endpoint="partners.contacts_list",
    notes=("Contacts are matched by email, or by name at the organization when there is none.",),
)

EXCHANGE_RATES = ImportType(
    name="exchange-rates",
    title="Exchange rates",
    model=ExchangeRate,
    columns=(
        ImportColumn("base", "base_code", Kind.CURRENCY, required=True, aliases=("base_code",)),
        ImportColumn("quote", "quote_code", Kind.CURRENCY, required=True, aliases=("quote_code",)),
        ImportColumn("date", "rate_date", Kind.DATE, required=True, aliases=("rate_date",)),
        ImportColumn("rate", "rate", Kind.DECIMAL, required=True, thousands=False),
        ImportColumn("source", "source"),
    ),
    key_columns=("base", "quote", "date"),
    match=lambda d: [
        ExchangeRate.base_code == d["base_code"],
        ExchangeRate.quote_code == d["quote_code"],
        ExchangeRate.rate_date == d["rate_date"],
    ],
    create=funding_rates.create_exchange_rate,
    update=funding_rates.update_exchange_rate,
    example={
        "base": "EUR",
        "quote": "USD",
        "date": "2026-03-31",
        "rate": "1.0850",
        "source": "ECB reference rate",
    },
    describe=lambda d: f"{d.get('base_code')}/{d.get('quote_code')} {d.get('rate_date')}",
    list_endpoint="funding.exchange_rates_list",
    index=(ExchangeRate.base_code, ExchangeRate.quote_code, ExchangeRate.rate_date),
    index_key=lambda d: (d["base_code"], d["quote_code"], d["rate_date"]),
    prepare=adapters.prepare_rates,
    notes=(
        "1 unit of the base currency = rate units of the quote currency on the date.",
        "One of the two currencies is EUR: other pairs are converted through EUR.",
    ),
    batch_writes=True,
)

PILLAR_TARGETS = ImportType(
    name="pillar-targets",
    title="Pillar targets",
    model=PillarTarget,
    columns=(
        ImportColumn("pillar", "pillar_id", Kind.PILLAR, required=True),
        ImportColumn("year", "year", Kind.INTEGER, required=True),
        ImportColumn("indicator", "indicator", Kind.CHOICE, required=True, choices=PillarIndicator),
        ImportColumn(
            "target_value", "target_value", Kind.DECIMAL, required=True, aliases=("target",)
        ),
        ImportColumn("description", "description"),
    ),
    key_columns=("pillar", "year", "indicator"),
    match=lambda d: [
        PillarTarget.pillar_id == d["pillar_id"],
        PillarTarget.year == d["year"],
        PillarTarget.indicator == d["indicator"],
    ],
    create=pillars.create_pillar_target,
    update=pillars.update_pillar_target,
    example={
        "pillar": "Capacity Building",
        "year": "2027",
        "indicator": "trainings_held",
        "target_value": "12",
        "description": "Regional analyst workshops",
    },
    describe=lambda d: f"{d.get('indicator')} {d.get('year')}",
    list_endpoint="pillars.pillar_targets_list",
    index=(PillarTarget.pillar_id, PillarTarget.year, PillarTarget.indicator),
    index_key=lambda d: (d["pillar_id"], d["year"], str(d["indicator"])),
    prepare=adapters.prepare_targets,
    notes=("The pillar by its name or code.",),
    batch_writes=True,
)


HOTLINES = ImportType(
    name="hotlines",
    title="Hotlines",
    model=Hotline,
    columns=(
        ImportColumn("name", "name", required=True, aliases=("hotline",), names=("hotline",)),
        ImportColumn(
            "country", "country_code", Kind.COUNTRY, required=True, aliases=("home_country",)
        ),
        ImportColumn(
            "operator",
            "operator",
            aliases=("operating_organization",),
            current=lambda h: h.operator.name if h.operator else None,
            names=("organization",),
        ),
        ImportColumn(
            "covered_countries",
            "covered_countries",
            Kind.COUNTRY_LIST,
            aliases=("countries_covered",),
            current=lambda h: h.covered_codes,
        ),
        ImportColumn("public_url", "public_url", aliases=("reporting_url", "website")),
        ImportColumn("founded_year", "founded_year", Kind.INTEGER, aliases=("founded",)),
        ImportColumn("languages", "languages"),
        ImportColumn("reporting_channels", "reporting_channels", aliases=("channels",)),
        ImportColumn("staff_count", "staff_count", Kind.INTEGER, aliases=("staff",)),
        ImportColumn("notes", "notes"),
        ImportColumn(
            "membership",
            "membership",
            Kind.MEMBERSHIP,
            aliases=("membership_events", "membership_history"),
            current=lambda h: [],
        ),
    ),
    key_columns=("name",),
    match=lambda d: [_lower_equals(Hotline.name, d["name"])],
    create=adapters.create_hotline,
    update=adapters.update_hotline,
    example={
        "name": "Example Hotline",
        "country": "Österreich",
        "operator": "Example Trust & Safety Ltd",
        "covered_countries": "Austria; Liechtenstein",
        "public_url": "https://hotline.example.org",
        "founded_year": "2019",
        "languages": "de en",
        "reporting_channels": "web email",
        "staff_count": "4",
        "notes": "Joined after the 2018 scoping visit",
        "membership": "2019-05-01 applicant; 2020-06-01 provisional; 2022-06-01 full",
    },
    describe=lambda d: str(d.get("name") or ""),
    list_endpoint="network.hotlines_list",
    index=(sa.func.lower(Hotline.name),),
    index_key=lambda d: (str(d["name"]).strip().lower(),),
    preload=(selectinload(Hotline.coverage_spells), selectinload(Hotline.membership_events)),
    state=adapters.hotline_state,
    notes=(
        "The home country is always covered; list the other countries it takes reports for.",
        "Membership changes in the file are added to the hotline's history when missing; "
        "the import never removes history.",
    ),
    batch_writes=True,
)

PARTNERSHIPS = ImportType(
    name="partnerships",
    title="Partnerships",
    model=Partnership,
    columns=(
        ImportColumn(
            "organization",
            "organization",
            required=True,
            aliases=("organisation", "partner"),
            current=lambda p: p.organization.name,
            names=("organization",),
        ),
        ImportColumn("title", "title", required=True),
        ImportColumn(
            "type", "type", Kind.CHOICE, required=True, choices=partners_models.PartnershipType
        ),
        ImportColumn("status", "status", Kind.CHOICE, choices=partners_models.PartnershipStatus),
        ImportColumn("start_date", "start_date", Kind.DATE, aliases=("start",)),
        ImportColumn("end_date", "end_date", Kind.DATE, aliases=("end",)),
        ImportColumn(
            "renewal_notice_days", "renewal_notice_days", Kind.INTEGER, aliases=("notice_days",)
        ),
        ImportColumn("owner", "owner_id", Kind.USER, aliases=("owner_email",), names=("user",)),
        ImportColumn(
            "pillars",
            "pillars",
            Kind.PILLAR_LIST,
            current=lambda p: [pillar.id for pillar in p.pillars],
        ),
        ImportColumn("notes", "notes"),
        ImportColumn("document_refs", "document_refs", aliases=("documents",)),
    ),
    key_columns=("organization", "title"),
    create=partnerships.create_partnership,
    update=partnerships.update_partnership,
    example={
        "organization": "Example Trust & Safety Ltd",
        "title": "Hash-sharing MoU",
        "type": "strategic_mou",
        "status": "active",
        "start_date": "2026-01-01",
        "end_date": "2027-12-31",
        "renewal_notice_days": "90",
        "owner": "manager@coordapp.example",
        "pillars": "Technology & Innovation; Capacity Building",
        "notes": "Renewal talks start in September",
        "document_refs": "https://intranet.example.org/agreements/mou-2026",
    },
    describe=lambda d: f"{d.get('organization') or ''}: {d.get('title') or ''}",
    list_endpoint="partners.partnerships_list",
    state=adapters.partnership_state,
    index=(
        _name_of_organization(Partnership.organization_id),
        sa.func.lower(Partnership.title),
    ),
    index_key=lambda d: (_lower(d["organization"]), " ".join(str(d["title"]).split()).lower()),
    preload=(selectinload(Partnership.pillars),),
    notes=(
        "A partnership is found by its organization and title. The owner is a manager's email.",
    ),
    batch_writes=True,
)

FUNDING_COMMITMENTS = ImportType(
    name="funding-commitments",
    title="Funding commitments",
    model=FundingCommitment,
    columns=(
        ImportColumn(
            "funder",
            "funder",
            required=True,
            current=lambda c: c.funder.name,
            names=("organization",),
        ),
        ImportColumn("title", "title", required=True),
        ImportColumn("amount", "amount", Kind.DECIMAL, required=True),
        ImportColumn(
            "currency", "currency_code", Kind.CURRENCY, required=True, aliases=("currency_code",)
        ),
        ImportColumn("pledged_on", "pledged_on", Kind.DATE, required=True, aliases=("pledged",)),
        ImportColumn("period_start", "period_start", Kind.DATE, required=True),
        ImportColumn("period_end", "period_end", Kind.DATE, required=True),
        ImportColumn(
            "allocations",
            "allocations",
            Kind.ALLOCATIONS,
            required=True,
            aliases=("pillars", "allocation"),
            current=adapters.commitment_allocations,
        ),
        ImportColumn(
            "partnership",
            "partnership",
            current=lambda c: c.partnership.title if c.partnership else None,
        ),
        ImportColumn("notes", "notes"),
    ),
    key_columns=("funder", "title"),
    create=adapters.create_commitment,
    update=adapters.update_commitment,
    warn=adapters.commitment_warnings,
    example={
        "funder": "Example Trust & Safety Ltd",
        "title": "Analyst training grant 2027",
        "amount": "120000",
        "currency": "USD",
        "pledged_on": "2026-10-15",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "allocations": "Capacity Building 60%; Technology & Innovation 40%",
        "partnership": "",
        "notes": "Confirmation letter expected in January",
    },
    describe=lambda d: f"{d.get('funder') or ''}: {d.get('title') or ''}",
    list_endpoint="funding.commitments_list",
    state=adapters.commitment_state,
    index=(
        _name_of_organization(FundingCommitment.funder_id),
        sa.func.lower(FundingCommitment.title),
    ),
    index_key=lambda d: (_lower(d["funder"]), " ".join(str(d["title"]).split()).lower()),
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
    batch_writes=True,
)

RECEIPTS = ImportType(
    name="receipts",
    title="Funding receipts",
    model=FundingReceipt,
    columns=(
        ImportColumn("funder", "funder", required=True, names=("organization",)),
        ImportColumn("commitment", "commitment", required=True, aliases=("commitment_title",)),
        ImportColumn(
            "received_on", "received_on", Kind.DATE, required=True, aliases=("received", "date")
        ),
        ImportColumn("amount", "amount", Kind.DECIMAL, required=True),
        ImportColumn("currency", "currency_code", Kind.CURRENCY, aliases=("currency_code",)),
        ImportColumn("reference", "reference"),
    ),
    key_columns=("funder", "commitment", "received_on", "amount", "currency"),
    apply_row=adapters.apply_receipt,
    prepare=adapters.prepare_receipts,
    example={
        "funder": "Example Trust & Safety Ltd",
        "commitment": "Analyst training grant 2027",
        "received_on": "2026-11-02",
        "amount": "60000",
        "currency": "USD",
        "reference": "First instalment",
    },
    describe=lambda d: (
        f"{d.get('commitment') or ''} {d.get('received_on') or ''} "
        f"{d.get('amount') or ''} {d.get('currency_code') or ''}"
    ).strip(),
    list_endpoint="funding.receipts_list",
    notes=(
        "A receipt is the same one when commitment, date, amount and currency are equal; "
        "the currency defaults to the commitment's.",
    ),
    batch_writes=True,
)

INSTALMENT_SCHEDULES = ImportType(
    name="instalment-schedules",
    title="Instalment schedules",
    model=FundingInstalment,
    columns=(
        ImportColumn("funder", "funder", required=True, names=("organization",)),
        ImportColumn("commitment", "commitment", required=True, aliases=("commitment_title",)),
        ImportColumn("instalments", "instalments", required=True, aliases=("schedule",)),
    ),
    key_columns=("funder", "commitment"),
    apply_row=obligation_adapters.apply_schedule,
    example={
        "funder": "Example Trust & Safety Ltd",
        "commitment": "Analyst training grant 2027",
        "instalments": "2027-01-31 60000; 2027-07-31 40000",
    },
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
        ImportColumn("funder", "funder", required=True, names=("organization",)),
        ImportColumn("commitment", "commitment", required=True, aliases=("commitment_title",)),
        ImportColumn("kind", "kind", Kind.CHOICE, required=True, choices=ReportKind),
        ImportColumn("due_on", "due_on", Kind.DATE, required=True, aliases=("due",)),
        ImportColumn("submitted_on", "submitted_on", Kind.DATE, aliases=("submitted",)),
        ImportColumn("accepted_on", "accepted_on", Kind.DATE, aliases=("accepted",)),
        ImportColumn("document_reference", "document_reference", aliases=("reference",)),
        ImportColumn("note", "note", aliases=("notes",)),
    ),
    key_columns=("funder", "commitment", "kind", "due_on"),
    apply_row=obligation_adapters.apply_requirement,
    example={
        "funder": "Example Trust & Safety Ltd",
        "commitment": "Analyst training grant 2027",
        "kind": "financial",
        "due_on": "2027-03-01",
        "submitted_on": "",
        "accepted_on": "",
        "document_reference": "FIN-2026 v1",
        "note": "",
    },
    describe=lambda d: (
        f"{d.get('commitment') or ''}: {d.get('kind') or ''} report due {d.get('due_on') or ''}"
    ),
    list_endpoint="funding.reporting_requirements_list",
    notes=(
        "A requirement is the same one when commitment, kind (narrative or financial) and due "
        "date are equal; a report is never accepted before it is submitted.",
    ),
)

TRAININGS = ImportType(
    name="trainings",
    title="Trainings with participation",
    model=TrainingEvent,
    columns=(
        ImportColumn("title", "title", required=True, aliases=("training", "event")),
        ImportColumn("start_date", "start_date", Kind.DATE, required=True, aliases=("start",)),
        ImportColumn("end_date", "end_date", Kind.DATE, required=True, aliases=("end",)),
        ImportColumn("kind", "kind", Kind.CHOICE, required=True, choices=TrainingKind),
        ImportColumn("pillar", "pillar_id", Kind.PILLAR, required=True),
        ImportColumn("delivery", "delivery", Kind.CHOICE, required=True, choices=DeliveryMode),
        ImportColumn(
            "location_country",
            "location_country_code",
            Kind.COUNTRY,
            aliases=("location", "country"),
        ),
        ImportColumn("organizer", "organizer", names=("organization",)),
        ImportColumn("topics", "topics"),
        ImportColumn("trainers", "trainers"),
        ImportColumn("notes", "notes"),
        ImportColumn(
            "participant",
            "participant",
            aliases=("hotline", "organization", "organisation"),
            names=("hotline", "organization"),
        ),
        ImportColumn("participants", "participants", Kind.INTEGER, aliases=("people",)),
        ImportColumn("completed", "completed", Kind.INTEGER),
        ImportColumn("feedback_score", "feedback_score", Kind.DECIMAL, aliases=("feedback",)),
    ),
    key_columns=("title", "start_date", "participant"),
    apply_row=adapters.apply_training,
    batch_writes=True,
    example={
        "title": "Analyst wellbeing workshop",
        "start_date": "2026-11-16",
        "end_date": "2026-11-17",
        "kind": "workshop",
        "pillar": "Capacity Building",
        "delivery": "in person",
        "location_country": "Belgium",
        "organizer": "Example Trust & Safety Ltd",
        "topics": "Resilience, peer support",
        "trainers": "Dr. A. Trainer",
        "notes": "",
        "participant": "Example Trust & Safety Ltd",
        "participants": "3",
        "completed": "3",
        "feedback_score": "4.5",
    },
    describe=lambda d: " / ".join(
        str(part) for part in (d.get("title"), d.get("participant")) if part
    ),
    list_endpoint="training.trainings_list",
    notes=(
        "One row per participant, the event's columns repeated on each (an attendance "
        "sheet); the event is found by title and start date.",
        "The participant is a hotline or an organization, by name.",
    ),
)

HOTLINE_STATISTICS = ImportType(
    name="hotline-statistics",
    title="Hotline statistics",
    model=HotlineStatistic,
    columns=(
        ImportColumn("hotline", "hotline", required=True, names=("hotline",)),
        ImportColumn("year", "year", Kind.INTEGER, required=True),
        ImportColumn("quarter", "quarter", Kind.INTEGER, required=True, aliases=("q",)),
        *(ImportColumn(code, code, Kind.DECIMAL) for code in adapters.METRIC_CODES),
    ),
    key_columns=("hotline", "year", "quarter"),
    apply_row=adapters.apply_statistics,
    prepare=adapters.prepare_statistics,
    example={
        "hotline": "Example Hotline",
        "year": "2026",
        "quarter": "2",
        "reports_received": "1250",
        "reports_assessed_csam": "830",
        "reports_forwarded": "790",
        "removed_within_3_days_pct": "87.5",
    },
    describe=lambda d: f"{d.get('hotline') or ''} {d.get('year') or ''} Q{d.get('quarter') or ''}",
    list_endpoint="stats.statistics_list",
    notes=(
        "Aggregate counts only, one quarter per row, checked like the quarterly grid "
        "(a quarter's figures are entered once it has ended). A blank cell leaves the stored "
        "value as it is.",
    ),
    batch_writes=True,
)

IMPORT_TYPES: dict[str, ImportType] = {
    t.name: t
    for t in (
        ORGANIZATIONS,
        CONTACTS,
        HOTLINES,
        PARTNERSHIPS,
        FUNDING_COMMITMENTS,
        RECEIPTS,
        INSTALMENT_SCHEDULES,
        REPORTING_REQUIREMENTS,
        EXCHANGE_RATES,
        TRAININGS,
        HOTLINE_STATISTICS,
        PILLAR_TARGETS,
    )
}


def import_type(name: str) -> ImportType:
    try:
        return IMPORT_TYPES[name]
    except KeyError:
        raise ValidationError(
            "type", f"Unknown import type {name!r}; choose one of: {', '.join(IMPORT_TYPES)}."
        ) from None


def type_choices() -> list[tuple[str, str]]:
    return [(t.name, t.title) for t in IMPORT_TYPES.values()]
