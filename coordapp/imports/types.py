"""One definition per import type: its columns, natural key, example row and service verbs.

Definitions are declarative; the engine (``service.py``) reads files, normalises cells by the
column's kind, finds the existing record by the natural key and calls the domain service's own
``create_*`` / ``update_*`` verbs, so an imported row is validated exactly like a form.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from coordapp.funding import service as funding
from coordapp.funding.models import ExchangeRate
from coordapp.partners import service as partners
from coordapp.partners.models import Contact, Organization, OrganizationKind, OrganizationStatus
from coordapp.pillars import service as pillars
from coordapp.pillars.models import PillarIndicator, PillarTarget


class Kind(enum.StrEnum):
    TEXT = "text"
    DATE = "date"
    DECIMAL = "decimal"
    COUNTRY = "country"
    CURRENCY = "currency"
    CHOICE = "choice"
    INTEGER = "integer"
    PILLAR = "pillar"


@dataclass(frozen=True, slots=True)
class ImportColumn:
    name: str  # the header as written in the template
    field: str  # the key of the service's data dict
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: type[enum.Enum] | None = None
    aliases: tuple[str, ...] = ()
    # The record's current value in the service's input form (for columns the file leaves out).
    current: Callable[[Any], Any] | None = None

    def value_of(self, obj: Any) -> Any:
        return self.current(obj) if self.current else getattr(obj, self.field)


@dataclass(frozen=True, slots=True)
class ImportType:
    name: str
    title: str
    model: type[Any]
    columns: tuple[ImportColumn, ...]
    # Natural key: the columns that find an existing record, and how (SQL conditions).
    key_columns: tuple[str, ...]
    match: Callable[[Mapping[str, Any]], list[Any]]
    create: Callable[..., Any]
    update: Callable[..., Any]
    example: Mapping[str, str]
    describe: Callable[[Mapping[str, Any]], str]
    list_endpoint: str = ""
    # The natural key as SQL expressions and as computed from a row's data: with both, the
    # engine reads every existing key once instead of querying per row.
    index: tuple[Any, ...] = ()
    index_key: Callable[[Mapping[str, Any]], tuple[Any, ...]] | None = None
    notes: tuple[str, ...] = field(default=())

    def column(self, name: str) -> ImportColumn | None:
        for column in self.columns:
            if column.name == name or name in column.aliases or column.field == name:
                return column
        return None


def _lower_equals(column: Any, value: Any) -> Any:
    return sa.func.lower(column) == str(value).strip().lower()


ORGANIZATIONS = ImportType(
    name="organizations",
    title="Organizations",
    model=Organization,
    columns=(
        ImportColumn("name", "name", required=True, aliases=("organization", "organisation")),
        ImportColumn("kind", "kind", Kind.CHOICE, required=True, choices=OrganizationKind),
        ImportColumn("status", "status", Kind.CHOICE, choices=OrganizationStatus),
        ImportColumn(
            "hq_country", "hq_country_code", Kind.COUNTRY, aliases=("country", "hq_country_code")
        ),
        ImportColumn("website", "website"),
        ImportColumn("tags", "tags"),
        ImportColumn("notes", "notes"),
    ),
    key_columns=("name",),
    match=lambda d: [_lower_equals(Organization.name, d["name"])],
    create=partners.create_organization,
    update=partners.update_organization,
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
    create=partners.create_contact,
    update=partners.update_contact,
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
        ImportColumn("rate", "rate", Kind.DECIMAL, required=True),
        ImportColumn("source", "source"),
    ),
    key_columns=("base", "quote", "date"),
    match=lambda d: [
        ExchangeRate.base_code == d["base_code"],
        ExchangeRate.quote_code == d["quote_code"],
        ExchangeRate.rate_date == d["rate_date"],
    ],
    create=funding.create_exchange_rate,
    update=funding.update_exchange_rate,
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
    notes=("1 unit of the base currency = rate units of the quote currency on the date.",),
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
    notes=("The pillar by its name or code.",),
)

IMPORT_TYPES: dict[str, ImportType] = {
    t.name: t for t in (ORGANIZATIONS, CONTACTS, EXCHANGE_RATES, PILLAR_TARGETS)
}
