"""The import types of the network's records: organizations, contacts, hotlines,
partnerships and trainings.

The registry of all of them is ``coordapp.imports.catalog``."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coordapp.imports import adapters, keys
from coordapp.imports.columns import EXAMPLE_ORGANIZATION, OWNER
from coordapp.imports.types import ImportColumn, ImportType, Kind
from coordapp.network.models import Hotline
from coordapp.partners import contacts, organizations, partnerships
from coordapp.partners import models as partners_models
from coordapp.partners.models import Contact, Organization, Partnership
from coordapp.training.models import DeliveryMode, TrainingEvent, TrainingKind

ORGANIZATIONS = ImportType(
    name="organizations",
    title="Organizations",
    model=Organization,
    columns=(
        ImportColumn(
            "name",
            required=True,
            aliases=("organization", "organisation"),
            names=("organization",),
            example=EXAMPLE_ORGANIZATION,
        ),
        ImportColumn(
            "kind", required=True, choices=partners_models.OrganizationKind, example="industry"
        ),
        ImportColumn("status", choices=partners_models.OrganizationStatus, example="active"),
        ImportColumn(
            "hq_country",
            "hq_country_code",
            Kind.COUNTRY,
            aliases=("country", "hq_country_code"),
            example="Deutschland",
        ),
        ImportColumn("website", example="https://example.org"),
        ImportColumn("tags", example="cloud, hosting"),
        OWNER,
        ImportColumn("notes", example="Met at the annual meeting"),
    ),
    key_columns=("name",),
    **keys.by_name(Organization.name),
    create=organizations.create_organization,
    update=organizations.update_organization,
    describe=lambda d: str(d.get("name") or ""),
    list_endpoint="partners.organizations_list",
)

CONTACTS = ImportType(
    name="contacts",
    title="Contacts",
    model=Contact,
    columns=(
        ImportColumn(
            "organization",
            required=True,
            aliases=("organisation",),
            current=lambda c: c.organization.name,
            names=("organization",),
            example=EXAMPLE_ORGANIZATION,
        ),
        ImportColumn("full_name", required=True, aliases=("name",), example="Alex Example"),
        ImportColumn("job_title", aliases=("title",), example="Head of Trust & Safety"),
        ImportColumn("email", aliases=("e_mail",), example="alex@example.org"),
        ImportColumn("phone", example="+32 2 555 01 23"),
        ImportColumn(
            "last_contacted_on", kind=Kind.DATE, aliases=("last_contacted",), example="2026-03-31"
        ),
        ImportColumn("lawful_basis", example="Legitimate interest: partnership contact"),
    ),
    key_columns=("email",),
    # A contact is the same person by email; without an email, by name at the organization.
    match=lambda d: (
        [keys.lower_equals(Contact.email, d["email"])]
        if d.get("email")
        else [
            keys.lower_equals(Contact.full_name, d.get("full_name") or ""),
            Contact.organization_id.in_(
                sa.select(Organization.id).where(
                    keys.lower_equals(Organization.name, d.get("organization") or "")
                )
            ),
        ]
    ),
    index=(sa.func.lower(Contact.email),),
    index_key=lambda d: (keys.lower(d["email"]),) if d.get("email") else None,
    create=contacts.create_contact,
    update=contacts.update_contact,
    describe=lambda d: str(d.get("email") or d.get("full_name") or ""),
    list_endpoint="partners.contacts_list",
    notes=("Contacts are matched by email, or by name at the organization when there is none.",),
)

HOTLINES = ImportType(
    name="hotlines",
    title="Hotlines",
    model=Hotline,
    columns=(
        ImportColumn(
            "name",
            required=True,
            aliases=("hotline",),
            names=("hotline",),
            example="Example Hotline",
        ),
        ImportColumn(
            "country",
            "country_code",
            Kind.COUNTRY,
            required=True,
            aliases=("home_country",),
            example="Österreich",
        ),
        ImportColumn(
            "operator",
            aliases=("operating_organization",),
            current=lambda h: h.operator.name if h.operator else None,
            names=("organization",),
            example=EXAMPLE_ORGANIZATION,
        ),
        ImportColumn(
            "covered_countries",
            kind=Kind.COUNTRY_LIST,
            aliases=("countries_covered",),
            current=lambda h: h.covered_codes,
            example="Austria; Liechtenstein",
        ),
        ImportColumn(
            "public_url",
            aliases=("reporting_url", "website"),
            example="https://hotline.example.org",
        ),
        ImportColumn("founded_year", kind=Kind.INTEGER, aliases=("founded",), example="2019"),
        ImportColumn("languages", example="de en"),
        ImportColumn("reporting_channels", aliases=("channels",), example="web email"),
        ImportColumn("staff_count", kind=Kind.INTEGER, aliases=("staff",), example="4"),
        dataclasses.replace(OWNER, aliases=(*OWNER.aliases, "liaison")),
        ImportColumn("notes", example="Joined after the 2018 scoping visit"),
        ImportColumn(
            "membership",
            kind=Kind.MEMBERSHIP,
            aliases=("membership_events", "membership_history"),
            current=lambda h: [],
            example="2019-05-01 applicant; 2020-06-01 provisional; 2022-06-01 full",
        ),
    ),
    key_columns=("name",),
    **keys.by_name(Hotline.name),
    create=adapters.create_hotline,
    update=adapters.update_hotline,
    describe=lambda d: str(d.get("name") or ""),
    list_endpoint="network.hotlines_list",
    preload=(selectinload(Hotline.coverage_spells), selectinload(Hotline.membership_events)),
    state=adapters.hotline_state,
    notes=(
        "The home country is always covered; list the other countries it takes reports for.",
        "Membership changes in the file are added to the hotline's history when missing; "
        "the import never removes history.",
    ),
)

PARTNERSHIPS = ImportType(
    name="partnerships",
    title="Partnerships",
    model=Partnership,
    columns=(
        ImportColumn(
            "organization",
            required=True,
            aliases=("organisation", "partner"),
            current=lambda p: p.organization.name,
            names=("organization",),
            example=EXAMPLE_ORGANIZATION,
        ),
        ImportColumn("title", required=True, example="Hash-sharing MoU"),
        ImportColumn(
            "type", required=True, choices=partners_models.PartnershipType, example="strategic_mou"
        ),
        ImportColumn("status", choices=partners_models.PartnershipStatus, example="active"),
        ImportColumn("start_date", kind=Kind.DATE, aliases=("start",), example="2026-01-01"),
        ImportColumn("end_date", kind=Kind.DATE, aliases=("end",), example="2027-12-31"),
        ImportColumn(
            "renewal_notice_days", kind=Kind.INTEGER, aliases=("notice_days",), example="90"
        ),
        OWNER,
        ImportColumn(
            "pillars",
            kind=Kind.PILLAR_LIST,
            current=lambda p: [pillar.id for pillar in p.pillars],
            example="Technology & Innovation; Capacity Building",
        ),
        ImportColumn("notes", example="Renewal talks start in September"),
        ImportColumn(
            "document_refs",
            aliases=("documents",),
            example="https://intranet.example.org/agreements/mou-2026",
        ),
    ),
    key_columns=("organization", "title"),
    **keys.by_organization_and_title(
        Partnership.organization_id, Partnership.title, field="organization"
    ),
    create=partnerships.create_partnership,
    update=partnerships.update_partnership,
    describe=lambda d: f"{d.get('organization') or ''}: {d.get('title') or ''}",
    list_endpoint="partners.partnerships_list",
    state=adapters.partnership_state,
    preload=(selectinload(Partnership.pillars),),
    notes=(
        "A partnership is found by its organization and title. The owner is a manager's email.",
    ),
)

TRAININGS = ImportType(
    name="trainings",
    title="Trainings with participation",
    model=TrainingEvent,
    columns=(
        ImportColumn(
            "title",
            required=True,
            aliases=("training", "event"),
            example="Analyst wellbeing workshop",
        ),
        ImportColumn(
            "start_date", kind=Kind.DATE, required=True, aliases=("start",), example="2026-11-16"
        ),
        ImportColumn(
            "end_date", kind=Kind.DATE, required=True, aliases=("end",), example="2026-11-17"
        ),
        ImportColumn("kind", required=True, choices=TrainingKind, example="workshop"),
        ImportColumn(
            "pillar", "pillar_id", Kind.PILLAR, required=True, example="Capacity Building"
        ),
        ImportColumn("delivery", required=True, choices=DeliveryMode, example="in person"),
        ImportColumn(
            "location_country",
            "location_country_code",
            Kind.COUNTRY,
            aliases=("location", "country"),
            example="Belgium",
        ),
        ImportColumn("organizer", names=("organization",), example=EXAMPLE_ORGANIZATION),
        ImportColumn("topics", example="Resilience, peer support"),
        ImportColumn("trainers", example="Dr. A. Trainer"),
        ImportColumn("notes"),
        ImportColumn(
            "participant",
            aliases=("hotline", "organization", "organisation"),
            names=("hotline", "organization"),
            example=EXAMPLE_ORGANIZATION,
        ),
        ImportColumn("participants", kind=Kind.INTEGER, aliases=("people",), example="3"),
        ImportColumn("completed", kind=Kind.INTEGER, example="3"),
        ImportColumn("feedback_score", kind=Kind.DECIMAL, aliases=("feedback",), example="4.5"),
    ),
    key_columns=("title", "start_date", "participant"),
    prepare=adapters.prepare_trainings,
    apply_row=adapters.apply_training,
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
