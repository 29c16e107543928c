"""The partners' lists (organizations, contacts, partnerships) as the records workspace, the
CSV export and the API show them: columns, filters, sorts, and how their cells read."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Session, object_session, selectinload

from coordapp import listing
from coordapp.auth.models import Role, User
from coordapp.labels import label
from coordapp.listing import Column, Filter, ListSpec
from coordapp.partners import last_contacted
from coordapp.partners.agreements import (
    RENEWAL_DUE,
    RENEWAL_WINDOW_DAYS,
    AgreementState,
    agreement_state_choices,
    expired_condition,
    in_force_condition,
    renewal_due_on,
    renewal_state,
    renewals_due_condition,
    state_on,
    state_on_expression,
)
from coordapp.partners.contacts import STALE_AFTER_DAYS, is_stale_on, stale_condition
from coordapp.partners.models import (
    Contact,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Partnership,
    PartnershipType,
    partnership_pillars,
)
from coordapp.reference import service as reference
from coordapp.reference.models import Country


def _in_region(column: Any) -> Any:
    def apply(query: sa.Select[Any], value: str) -> sa.Select[Any]:
        return query.where(column.in_(sa.select(Country.alpha2).where(Country.region == value)))

    return apply


ORGANIZATION_LIST = ListSpec(
    entity=Organization,
    columns=(
        Column("name", "Name", Organization.name, link=True),
        listing.label_column("kind", "Kind", Organization.kind),
        listing.label_column("status", "Status", Organization.status),
        listing.related_name_column(
            "country", "HQ country", Organization.hq_country_code, "hq_country"
        ),
        Column("tags", "Tags", None, lambda o: o.tags),
        listing.owner_column(Organization.owner_id),
        Column("updated", "Updated", Organization.updated_at, lambda o: o.updated_at.date()),
    ),
    default_sort="name",
    search=(Organization.name, Organization.tags),
    filters=(
        listing.enum_filter_on("kind", "Kind", Organization.kind, OrganizationKind),
        listing.enum_filter_on("status", "Status", Organization.status, OrganizationStatus),
        listing.code_filter_on(
            "country", "HQ country", Organization.hq_country_code, reference.country_choices
        ),
        Filter(
            "region", "Region", _in_region(Organization.hq_country_code), reference.region_choices
        ),
        listing.owner_filter_on(Organization.owner_id),
    ),
    options=(selectinload(Organization.hq_country), selectinload(Organization.owner)),
)


def _contact_organization(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    """An organization id (links from an organization's page) or part of its name."""
    if value.isdecimal():
        return query.where(Contact.organization_id == int(value))
    return query.where(sa.func.lower(Organization.name).like(f"%{value.lower()}%"))


def _contact_stale(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value != "1":
        return query
    return query.where(stale_condition(date.today()))


def _nowrap(value: Any) -> Markup | str:
    if value in (None, ""):
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return Markup('<span class="text-nowrap">{}</span>').format(text)


_PREFETCHED = "_list_last_contacted"  # a page's derived dates, set by _prefetch_last_contacted


def _prefetch_last_contacted(session: Session, contacts: list[Contact]) -> None:
    """Every listed contact's last contact, in one query (the list stays constant)."""
    found = last_contacted.last_contacted_of_contacts(session, [c.id for c in contacts])
    for contact in contacts:
        setattr(contact, _PREFETCHED, found.get(contact.id))


def _last_contacted(contact: Contact) -> date | None:
    if _PREFETCHED in vars(contact):
        return vars(contact)[_PREFETCHED]  # type: ignore[no-any-return]
    session = object_session(contact)
    assert session is not None
    return last_contacted.last_contacted_of_contact(session, contact)


def _last_contacted_display(contact: Contact, *, today: date) -> Markup | str:
    """The day, with a "stale" badge when the contact has gone quiet (pages only, not CSV)."""
    last = _last_contacted(contact)
    text = _nowrap(last) or "never"
    if not is_stale_on(last, today=today):
        return text
    return Markup('{} <span class="badge text-bg-warning">stale</span>').format(text)


CONTACT_LIST = ListSpec(
    entity=Contact,
    joins=(Contact.organization,),
    columns=(
        Column("name", "Name", Contact.full_name, link=True),
        Column("organization", "Organization", Organization.name, lambda c: c.organization.name),
        Column("title", "Job title", Contact.job_title),
        Column("email", "Email", Contact.email),
        Column("phone", "Phone", None, lambda c: c.phone, display=lambda c: _nowrap(c.phone)),
        Column(
            "last_contacted",
            "Last contacted",
            last_contacted.contact_last_contacted(),
            lambda c: _last_contacted(c) or "never",
            display=lambda c: _last_contacted_display(c, today=date.today()),
        ),
    ),
    default_sort="name",
    search=(Contact.full_name, Contact.email),
    filters=(
        Filter("organization", "Organization", _contact_organization),
        Filter(
            "stale",
            "Last contact",
            _contact_stale,
            lambda s: [("1", f"Quiet {STALE_AFTER_DAYS}+ days")],
        ),
    ),
    options=(selectinload(Contact.organization),),
    prefetch=_prefetch_last_contacted,
)


def renewal_display(partnership: Partnership, *, today: date) -> Markup | str:
    """The renewal due date as pages show it, with a badge when due soon or overdue."""
    text = _nowrap(renewal_due_on(partnership))
    state = renewal_state(partnership, today=today)
    if state is None:
        return text
    css, word = ("danger", "overdue") if state == "overdue" else ("warning", "due soon")
    return Markup('{} <span class="badge text-bg-{}">{}</span>').format(text, css, word)


def _renewal_filter(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    today, due = date.today(), RENEWAL_DUE
    if value == "any":
        return query.where(renewals_due_condition(today))
    if value == "due":
        return query.where(renewals_due_condition(today), due >= today)
    if value == "overdue":
        return query.where(renewals_due_condition(today), due < today)
    return query


def _state_filter(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    """The status on today's date (``AgreementState``); "active" is "in force"."""
    today = date.today()
    if value == AgreementState.ACTIVE.value:
        return query.where(in_force_condition(today))
    if value == AgreementState.EXPIRED.value:
        return query.where(expired_condition(today))
    if value in {s.value for s in AgreementState}:
        return query.where(state_on_expression(today) == value)
    return query


def _state_display(partnership: Partnership, *, today: date) -> Markup | str:
    state = state_on(partnership, today)
    if state == AgreementState.EXPIRED:
        return Markup('<span class="badge text-bg-danger">{}</span>').format("Expired")
    return label(state)


def _pillar_filter(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if not value.isdecimal():
        return query
    return query.where(
        Partnership.id.in_(
            sa.select(partnership_pillars.c.partnership_id).where(
                partnership_pillars.c.pillar_id == int(value)
            )
        )
    )


def _owner_choices(session: Session) -> list[tuple[str, str]]:
    """Managers and admins, and anyone who owns an agreement (even if since demoted)."""
    owners = sa.select(Partnership.owner_id).where(Partnership.owner_id.is_not(None))
    return [
        (str(user_id), name)
        for user_id, name in session.execute(
            sa.select(User.id, User.full_name)
            .where(sa.or_(User.role.in_([Role.MANAGER, Role.ADMIN]), User.id.in_(owners)))
            .order_by(User.full_name)
        )
    ]


PARTNERSHIP_LIST = ListSpec(
    entity=Partnership,
    joins=(Partnership.organization,),
    outer_joins=(Partnership.owner,),
    columns=(
        Column("title", "Title", Partnership.title, link=True),
        Column("organization", "Organization", Organization.name, lambda p: p.organization.name),
        listing.label_column("type", "Type", Partnership.type),
        Column(
            "status",
            "Status",
            # Evaluated at each query, so a long-running worker sorts by today's status.
            state_on_expression(sa.bindparam("state_day", callable_=date.today, type_=sa.Date)),
            lambda p: label(state_on(p, date.today())),
            display=lambda p: _state_display(p, today=date.today()),
        ),
        Column("pillars", "Pillars", None, lambda p: ", ".join(x.name for x in p.pillars)),
        Column("owner", "Owner", User.full_name, lambda p: p.owner.full_name if p.owner else None),
        Column("start", "Start", Partnership.start_date, display=lambda p: _nowrap(p.start_date)),
        Column("end", "End", Partnership.end_date, display=lambda p: _nowrap(p.end_date)),
        Column(
            "renewal_due",
            "Renewal due",
            RENEWAL_DUE,
            renewal_due_on,
            display=lambda p: renewal_display(p, today=date.today()),
        ),
    ),
    default_sort="title",
    search=(Partnership.title, Organization.name),
    filters=(
        Filter("status", "Status today", _state_filter, agreement_state_choices),
        listing.enum_filter_on("type", "Type", Partnership.type, PartnershipType),
        Filter("pillar", "Pillar", _pillar_filter, reference.pillar_choices),
        listing.id_filter_on("owner", "Owner", Partnership.owner_id, _owner_choices),
        listing.enum_filter_on("kind", "Organization kind", Organization.kind, OrganizationKind),
        listing.year_filter_on(Partnership.start_date, "Start year"),
        Filter(
            "renewal",
            "Renewal",
            _renewal_filter,
            lambda s: [
                ("any", f"Due within {RENEWAL_WINDOW_DAYS} days or overdue"),
                ("due", f"Due within {RENEWAL_WINDOW_DAYS} days"),
                ("overdue", "Overdue"),
            ],
        ),
    ),
    options=(
        selectinload(Partnership.organization),
        selectinload(Partnership.owner),
        selectinload(Partnership.pillars),
    ),
)
