"""The import types of the network's records: organizations, contacts, hotlines,
partnerships and trainings.

The registry of all of them is ``coordapp.imports.catalog``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from coordapp.imports import adapters, keys
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
        ImportColumn("owner", "owner_id", Kind.USER, aliases=("owner_email",), names=("user",)),
        ImportColumn("notes", "notes"),
    ),
    key_columns=("name",),
    **keys.by_name(Organization.name),
    create=organizations.create_organization,
    update=organizations.update_organization,
    example={
        "name": "Example Trust & Safety Ltd",
        "kind": "industry",
        "status": "active",
        "hq_country": "Deutschland",
        "website": "https://example.org",
        "tags": "cloud, hosting",
        "owner": "manager@coordapp.example",
        "notes": "Met at the annual meeting",
    },
    describe=lambda d: str(d.get("name") or ""),
    list_endpoint="partners.organizations_list",
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
        ImportColumn(
            "owner", "owner_id", Kind.USER, aliases=("owner_email", "liaison"), names=("user",)
        ),
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
    **keys.by_name(Hotline.name),
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
        "owner": "manager@coordapp.example",
        "notes": "Joined after the 2018 scoping visit",
        "membership": "2019-05-01 applicant; 2020-06-01 provisional; 2022-06-01 full",
    },
    describe=lambda d: str(d.get("name") or ""),
    list_endpoint="network.hotlines_list",
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
    **keys.by_organization_and_title(
        Partnership.organization_id, Partnership.title, field="organization"
    ),
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
    preload=(selectinload(Partnership.pillars),),
    notes=(
        "A partnership is found by its organization and title. The owner is a manager's email.",
    ),
    batch_writes=True,
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
