"""Queries and commands over organizations, contacts and partnerships."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.functions import FunctionElement

from coordapp import batching, listing, validation
from coordapp.audit import service as audit
from coordapp.audit.models import AuditEvent
from coordapp.auth import service as auth
from coordapp.auth.models import Role, User
from coordapp.auth.service import normalise_email
from coordapp.batching import Batch
from coordapp.db import utcnow
from coordapp.errors import ValidationError
from coordapp.labels import enum_choices, label
from coordapp.listing import Column, Filter, ListSpec
from coordapp.partners.models import (
    Contact,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Partnership,
    PartnershipStatus,
    PartnershipType,
    partnership_pillars,
)
from coordapp.pillars.models import Pillar
from coordapp.records import service as records
from coordapp.reference import service as reference
from coordapp.reference.models import Country

# --- organizations ---------------------------------------------------------------------------


def _in_region(column: Any) -> Any:
    def apply(query: sa.Select[Any], value: str) -> sa.Select[Any]:
        return query.where(column.in_(sa.select(Country.alpha2).where(Country.region == value)))

    return apply


ORGANIZATION_LIST = ListSpec(
    name="organizations",
    entity=Organization,
    columns=(
        Column("name", "Name", Organization.name, lambda o: o.name, link=True),
        Column("kind", "Kind", Organization.kind, lambda o: label(o.kind)),
        Column("status", "Status", Organization.status, lambda o: label(o.status)),
        Column(
            "country",
            "HQ country",
            Organization.hq_country_code,
            lambda o: o.hq_country.name if o.hq_country else None,
        ),
        Column("tags", "Tags", None, lambda o: o.tags),
        Column("updated", "Updated", Organization.updated_at, lambda o: o.updated_at.date()),
    ),
    default_sort="name",
    search=(Organization.name, Organization.tags),
    filters=(
        Filter(
            "kind",
            "Kind",
            lambda q, v: q.where(Organization.kind == v),
            lambda s: enum_choices(OrganizationKind),
        ),
        Filter(
            "status",
            "Status",
            lambda q, v: q.where(Organization.status == v),
            lambda s: enum_choices(OrganizationStatus),
        ),
        Filter(
            "country",
            "HQ country",
            lambda q, v: q.where(Organization.hq_country_code == v.upper()),
            reference.country_choices,
        ),
        Filter(
            "region", "Region", _in_region(Organization.hq_country_code), reference.region_choices
        ),
    ),
    options=(selectinload(Organization.hq_country),),
)


def get_organization(session: Session, organization_id: int) -> Organization:
    obj: Organization = records.get_or_404(
        session, Organization, organization_id, what="organization"
    )
    return obj


def organization_name_key(name: str) -> str:
    """An organization's name as look-ups compare it: any case."""
    return name.strip().lower()


def _clean_organization(
    session: Session,
    data: Mapping[str, Any],
    *,
    exclude_id: int | None = None,
    batch: Batch | None = None,
) -> dict[str, Any]:
    name = validation.required_text("name", data.get("name"), max_length=200)
    audit.serialize_writers(session)
    other = records.other_named(
        session,
        Organization,
        kind="organization",
        key=organization_name_key(name),
        name=name,
        exclude_id=exclude_id,
        batch=batch,
    )
    if other is not None:
        raise ValidationError("name", f"An organization named {name!r} already exists.")
    return {
        "name": name,
        "kind": validation.choice("kind", OrganizationKind, data.get("kind")),
        "status": validation.choice(
            "status", OrganizationStatus, data.get("status") or OrganizationStatus.PROSPECT.value
        ),
        "hq_country_code": reference.require_country(
            session, "hq_country_code", data.get("hq_country_code"), batch=batch
        ),
        "website": validation.web_url("website", data.get("website")),
        "tags": validation.free_text("tags", data.get("tags"), max_length=300),
        "notes": validation.free_text("notes", data.get("notes")),
    }


def create_organization(
    session: Session, *, data: Mapping[str, Any], batch: Batch | None = None
) -> Organization:
    """A new organization; flushes (in an import's ``batch``, with the batch)."""
    organization = Organization(**_clean_organization(session, data, batch=batch))
    session.add(organization)
    if batch is not None:
        batch.remember("organization", {organization_name_key(organization.name): organization})
    batching.flush(session, batch)
    return organization


def update_organization(
    session: Session,
    *,
    obj: Organization,
    data: Mapping[str, Any],
    expected_version: int | None,
    batch: Batch | None = None,
) -> Organization:
    records.check_version(obj, expected_version)
    records.apply_changes(obj, _clean_organization(session, data, exclude_id=obj.id, batch=batch))
    batching.flush(session, batch)
    return obj


def organization_names(session: Session, *, prefix: str, limit: int = 20) -> list[str]:
    """Names for the type-ahead of organization fields (active records first)."""
    pattern = f"%{prefix.replace(chr(0), '').strip().lower()}%"
    return list(
        session.scalars(
            sa.select(Organization.name)
            .where(sa.func.lower(Organization.name).like(pattern))
            .order_by(Organization.archived_at.is_not(None), Organization.name)
            .limit(limit)
        )
    )


def organization_id_by_name(
    session: Session,
    field: str,
    name: str | None,
    *,
    required: bool = True,
    batch: Batch | None = None,
) -> int | None:
    if not name or not name.strip():
        if required:
            raise ValidationError(field, "Choose an organization.")
        return None
    name = name.replace("\x00", "")  # PostgreSQL refuses NUL even in a query parameter
    key = organization_name_key(name)
    found = batching.remembered(
        batch,
        "organization",
        key,
        lambda: session.scalar(
            sa.select(Organization).where(sa.func.lower(Organization.name) == key)
        ),
    )
    if found is None:
        raise ValidationError(field, f"No organization is named {name.strip()!r}.")
    return found.id


def organizations_by_names(session: Session, names: Iterable[str]) -> dict[str, Organization]:
    """The organizations of those names, keyed by the name in lower case (a thousand per query)."""
    wanted = {organization_name_key(name) for name in names if name and name.strip()}
    found = records.scalars_in(
        session, sa.select(Organization), sa.func.lower(Organization.name), wanted
    )
    return {organization_name_key(organization.name): organization for organization in found}


def organization_related(session: Session, obj: Organization) -> dict[str, Any]:
    """What the organization's page shows besides its fields."""
    from coordapp.funding.models import FundingCommitment
    from coordapp.network.models import Hotline
    from coordapp.training.models import TrainingEvent, TrainingParticipation

    return {
        "contacts": session.scalars(
            sa.select(Contact).where(Contact.organization_id == obj.id).order_by(Contact.full_name)
        ).all(),
        "partnerships": session.scalars(
            sa.select(Partnership)
            .where(Partnership.organization_id == obj.id)
            .order_by(Partnership.start_date.desc().nulls_last())
        ).all(),
        "commitments": session.scalars(
            sa.select(FundingCommitment)
            .where(FundingCommitment.funder_id == obj.id)
            .order_by(FundingCommitment.pledged_on.desc())
        ).all(),
        "hotlines": session.scalars(
            sa.select(Hotline).where(Hotline.operator_id == obj.id).order_by(Hotline.name)
        ).all(),
        "trainings": session.execute(
            sa.select(TrainingEvent, TrainingParticipation.participants)
            .join(TrainingParticipation, TrainingParticipation.event_id == TrainingEvent.id)
            .where(TrainingParticipation.organization_id == obj.id)
            .order_by(TrainingEvent.start_date.desc())
        ).all(),
    }


# --- contacts --------------------------------------------------------------------------------

STALE_AFTER_DAYS = 180
# Digits and the usual separators; at least five digits somewhere.
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,40}$")
CONTACT_PERSONAL_FIELDS = frozenset({"full_name", "email", "phone", "job_title", "lawful_basis"})


def stale_before(today: date) -> date:
    """Contacts last spoken to before this day (or never) count as stale."""
    return today - timedelta(days=STALE_AFTER_DAYS)


def is_stale(contact: Contact, *, today: date) -> bool:
    return contact.last_contacted_on is None or contact.last_contacted_on < stale_before(today)


def _contact_organization(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    """An organization id (links from an organization's page) or part of its name."""
    if value.isdecimal():
        return query.where(Contact.organization_id == int(value))
    return query.where(sa.func.lower(Organization.name).like(f"%{value.lower()}%"))


def _contact_stale(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value != "1":
        return query
    return query.where(
        sa.or_(
            Contact.last_contacted_on.is_(None),
            Contact.last_contacted_on < stale_before(date.today()),
        )
    )


def _nowrap(value: Any) -> Markup | str:
    if value in (None, ""):
        return ""
    text = value.isoformat() if isinstance(value, date) else str(value)
    return Markup('<span class="text-nowrap">{}</span>').format(text)


def _last_contacted_display(contact: Contact, *, today: date) -> Markup | str:
    """The day, with a "stale" badge when the contact has gone quiet (pages only, not CSV)."""
    text = _nowrap(contact.last_contacted_on) or "never"
    if not is_stale(contact, today=today):
        return text
    return Markup('{} <span class="badge text-bg-warning">stale</span>').format(text)


CONTACT_LIST = ListSpec(
    name="contacts",
    entity=Contact,
    base=lambda: sa.select(Contact).join(Organization, Organization.id == Contact.organization_id),
    columns=(
        Column("name", "Name", Contact.full_name, lambda c: c.full_name, link=True),
        Column("organization", "Organization", Organization.name, lambda c: c.organization.name),
        Column("title", "Job title", Contact.job_title, lambda c: c.job_title),
        Column("email", "Email", Contact.email, lambda c: c.email),
        Column("phone", "Phone", None, lambda c: c.phone, display=lambda c: _nowrap(c.phone)),
        Column(
            "last_contacted",
            "Last contacted",
            Contact.last_contacted_on,
            lambda c: c.last_contacted_on or "never",
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
)


def get_contact(session: Session, contact_id: int) -> Contact:
    obj: Contact = records.get_or_404(session, Contact, contact_id, what="contact")
    return obj


def _optional_email(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value.strip()) > 254:
        raise ValidationError("email", "At most 254 characters.")
    return normalise_email(value)


def _phone(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    value = " ".join(value.split())
    if not _PHONE.match(value) or sum(ch.isdecimal() for ch in value) < 5:
        raise ValidationError(
            "phone",
            "Enter a phone number with digits, spaces and + ( ) - . only, e.g. +32 2 555 01 23.",
        )
    return value


def _as_date(field: str, value: Any) -> date | None:
    """A date from a form (``date``) or an import / API value (ISO text)."""
    return validation.date_value(field, value, required=False)


def _past_date(field: str, value: Any, *, what: str) -> date | None:
    day = _as_date(field, value)
    if day is not None and day > date.today():
        raise ValidationError(field, f"The {what} cannot be in the future.")
    return day


def _clean_contact(
    session: Session, data: Mapping[str, Any], *, batch: Batch | None = None
) -> dict[str, Any]:
    return {
        "organization_id": organization_id_by_name(
            session, "organization", data.get("organization"), batch=batch
        ),
        "full_name": validation.required_text("full_name", data.get("full_name"), max_length=160),
        "job_title": validation.free_text("job_title", data.get("job_title"), max_length=160),
        "email": _optional_email(data.get("email")),
        "phone": _phone(data.get("phone")),
        "last_contacted_on": _past_date(
            "last_contacted_on", data.get("last_contacted_on"), what="date of the last contact"
        ),
        "lawful_basis": validation.free_text(
            "lawful_basis", data.get("lawful_basis"), max_length=300
        ),
    }


def create_contact(
    session: Session, *, data: Mapping[str, Any], batch: Batch | None = None
) -> Contact:
    """A new contact; flushes (in an import's ``batch``, with the batch)."""
    contact = Contact(**_clean_contact(session, data, batch=batch))
    session.add(contact)
    batching.flush(session, batch)
    return contact


def update_contact(
    session: Session,
    *,
    obj: Contact,
    data: Mapping[str, Any],
    expected_version: int | None,
    batch: Batch | None = None,
) -> Contact:
    records.check_version(obj, expected_version)
    if obj.erased_at is not None:
        raise ValidationError(
            None, "This contact's personal data was erased; record the person as a new contact."
        )
    records.apply_changes(obj, _clean_contact(session, data, batch=batch))
    batching.flush(session, batch)
    return obj


def contact_related(session: Session, obj: Contact) -> dict[str, Any]:
    return {"stale": is_stale(obj, today=date.today()), "stale_days": STALE_AFTER_DAYS}


def new_record_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """Prefill the organization of a new contact or partnership (``?organization_id=3``)."""
    organization_id = validation.record_id(args.get("organization_id"))
    if organization_id is None:
        return {}
    organization = session.get(Organization, organization_id)
    return {"organization": organization.name} if organization is not None else {}


# --- partnerships ----------------------------------------------------------------------------

RENEWAL_WINDOW_DAYS = 90
# Which status may follow which. Ended and lapsed agreements come back only by renewal.
STATUS_TRANSITIONS: dict[PartnershipStatus, frozenset[PartnershipStatus]] = {
    PartnershipStatus.PROSPECT: frozenset({PartnershipStatus.NEGOTIATING}),
    PartnershipStatus.NEGOTIATING: frozenset({PartnershipStatus.ACTIVE}),
    PartnershipStatus.ACTIVE: frozenset({PartnershipStatus.ENDED, PartnershipStatus.LAPSED}),
    PartnershipStatus.ENDED: frozenset(),
    PartnershipStatus.LAPSED: frozenset(),
}
RENEWABLE = frozenset({PartnershipStatus.ACTIVE, PartnershipStatus.ENDED, PartnershipStatus.LAPSED})
STATUS_ACTIONS = ("status", "renew")


class _DaysBefore(FunctionElement[date]):
    """``day`` minus ``days`` days, in each database's own date arithmetic."""

    type = sa.Date()
    inherit_cache = True
    name = "days_before"


@compiles(_DaysBefore)
def _days_before_default(element: _DaysBefore, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"({compiler.process(day, **kw)} - {compiler.process(days, **kw)})"


@compiles(_DaysBefore, "sqlite")
def _days_before_sqlite(element: _DaysBefore, compiler: Any, **kw: Any) -> str:
    day, days = list(element.clauses)
    return f"date({compiler.process(day, **kw)}, '-' || {compiler.process(days, **kw)} || ' days')"


# --- one definition per figure: in force, status on a day, renewals due ---------------------
#
# Every surface that counts or shows these (home, the needs-attention list, the partnerships
# list and its export, the API list, the Overview and Partnerships dashboards, the pillar
# indicators and the board pack) calls the functions below and nothing else.
#
# * The end date is an agreement's last day in force, whatever its status; a missing start date
#   counts as started, a missing end date as open-ended.
# * **In force on a day**: not archived, started on or before the day, and either active and
#   not past its end date, or since ended / lapsed with an end date on or after the day (so a
#   past day counts the agreements that were running then; ending an agreement sets its end
#   date to the day it took effect, which is therefore its last day in force).
# * **Expired on a day**: still recorded as active, but its end date is before the day. Nothing
#   is written: the status is derived each time it is asked for. An expired agreement is not in
#   force and not "renewal due"; it is listed once, as "ended without a decision", until someone
#   records one (a status change to ended or lapsed, or a renewal that moves the end date).
# * **Renewal date**: end date minus the notice period. **Renewals due on a day**: in force and
#   active, with a renewal date before the day (overdue) or within ``RENEWAL_WINDOW_DAYS`` after
#   it. Expired agreements are never counted here (see above), so no agreement is counted twice.


class AgreementState(enum.StrEnum):
    """A partnership's status on a given day: its stored status read against its dates."""

    PROSPECT = "prospect"
    NEGOTIATING = "negotiating"
    NOT_STARTED = "not_started"  # active, but its start date is still ahead
    ACTIVE = "active"  # in force (see ``in_force_condition``)
    EXPIRED = "expired"  # recorded as active, end date passed, no decision recorded
    ENDED = "ended"
    LAPSED = "lapsed"


AGREEMENT_STATE_LABELS = {
    AgreementState.ACTIVE: "Active (in force)",
    AgreementState.NOT_STARTED: "Active, not started yet",
    AgreementState.EXPIRED: "Expired (end date passed)",
}
IN_FORCE_LABEL = "Partnerships in force"
RENEWALS_DUE_LABEL = "Renewals due"
EXPIRED_LABEL = "Ended without a decision"


def agreement_state_label(state: AgreementState) -> str:
    return AGREEMENT_STATE_LABELS.get(state, label(state))


_ACTIVE = PartnershipStatus.ACTIVE.value
_WAS_RUNNING = [
    PartnershipStatus.ACTIVE.value,
    PartnershipStatus.ENDED.value,
    PartnershipStatus.LAPSED.value,
]


def _running_condition(on: Any) -> sa.ColumnElement[bool]:
    """In force on ``on`` apart from archiving (``on``: a date or a date-valued expression)."""
    return sa.and_(
        sa.or_(Partnership.start_date.is_(None), Partnership.start_date <= on),
        sa.or_(
            sa.and_(Partnership.status == _ACTIVE, Partnership.end_date.is_(None)),
            sa.and_(Partnership.status.in_(_WAS_RUNNING), Partnership.end_date >= on),
        ),
    )


def in_force_condition(on: date) -> sa.ColumnElement[bool]:
    """THE definition of "partnerships in force" on ``on`` (any day, past or future): a WHERE
    condition over ``Partnership`` (see the rules above)."""
    return sa.and_(Partnership.archived_at.is_(None), _running_condition(on))


def count_in_force(session: Session, *, on: date) -> int:
    """The number of partnerships in force on ``on`` (the "Partnerships in force" figure)."""
    return _int(
        session.scalar(sa.select(sa.func.count(Partnership.id)).where(in_force_condition(on)))
    )


def expired_condition(on: date) -> sa.ColumnElement[bool]:
    """Unarchived agreements still recorded as active whose end date is before ``on``."""
    return sa.and_(
        Partnership.archived_at.is_(None),
        Partnership.status == _ACTIVE,
        Partnership.end_date < on,
    )


def count_expired(session: Session, *, on: date) -> int:
    """The number of agreements that ended without a decision, as of ``on``."""
    return _int(
        session.scalar(sa.select(sa.func.count(Partnership.id)).where(expired_condition(on)))
    )


def state_on_expression(on: Any) -> sa.ColumnElement[str]:
    """``AgreementState`` value of each partnership on ``on``, in SQL (twin of ``state_on``)."""
    return sa.case(
        (_running_condition(on), AgreementState.ACTIVE.value),
        (
            sa.and_(Partnership.status == _ACTIVE, Partnership.end_date < on),
            AgreementState.EXPIRED.value,
        ),
        (Partnership.status == _ACTIVE, AgreementState.NOT_STARTED.value),
        else_=sa.cast(Partnership.status, sa.String),
    )


def state_on(partnership: Partnership, on: date) -> AgreementState:
    """The Python twin of ``state_on_expression`` for one loaded record."""
    status, start, end = partnership.status, partnership.start_date, partnership.end_date
    started = start is None or start <= on
    if started and (
        (status == PartnershipStatus.ACTIVE and end is None)
        or (status.value in _WAS_RUNNING and end is not None and end >= on)
    ):
        return AgreementState.ACTIVE
    if status == PartnershipStatus.ACTIVE:
        expired = end is not None and end < on
        return AgreementState.EXPIRED if expired else AgreementState.NOT_STARTED
    return AgreementState(status.value)


def is_in_force(partnership: Partnership, on: date) -> bool:
    return partnership.archived_at is None and state_on(partnership, on) == AgreementState.ACTIVE


# The day to start renewal talks: end date minus the notice period, for active agreements only
# (an ended, lapsed or not yet active agreement has nothing to renew on time).
RENEWAL_DUE = sa.case(
    (
        Partnership.status == PartnershipStatus.ACTIVE,
        _DaysBefore(Partnership.end_date, Partnership.renewal_notice_days),
    ),
    else_=sa.null(),
)


def renewals_due_condition(on: date) -> sa.ColumnElement[bool]:
    """THE definition of "renewals due" on ``on``: in force and active, with an end date, and a
    renewal date (end date minus notice) before ``on`` (overdue) or at most
    ``RENEWAL_WINDOW_DAYS`` after it. Expired agreements are not included (see above)."""
    return sa.and_(
        in_force_condition(on),
        Partnership.status == _ACTIVE,
        Partnership.end_date.is_not(None),
        _DaysBefore(Partnership.end_date, Partnership.renewal_notice_days)
        <= on + timedelta(days=RENEWAL_WINDOW_DAYS),
    )


def count_renewals_due(session: Session, *, on: date) -> int:
    """The number of renewals due (overdue included) on ``on``."""
    return _int(
        session.scalar(sa.select(sa.func.count(Partnership.id)).where(renewals_due_condition(on)))
    )


def renewal_due_on(partnership: Partnership) -> date | None:
    """The Python twin of ``RENEWAL_DUE`` for one loaded record."""
    if partnership.status != PartnershipStatus.ACTIVE or partnership.end_date is None:
        return None
    return partnership.end_date - timedelta(days=partnership.renewal_notice_days)


def renewal_state(partnership: Partnership, *, today: date) -> str | None:
    """'overdue' or 'due' for an agreement counted in ``renewals_due_condition``, else None."""
    due = renewal_due_on(partnership)
    if due is None or not is_in_force(partnership, today):
        return None
    if due < today:
        return "overdue"
    if due <= today + timedelta(days=RENEWAL_WINDOW_DAYS):
        return "due"
    return None


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


def _int(value: Any) -> int:
    return int(value or 0)


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


def _owner_filter(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    return query.where(Partnership.owner_id == int(value)) if value.isdecimal() else query


def _kind_filter(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value not in {k.value for k in OrganizationKind}:
        return query
    return query.where(Organization.kind == value)


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
    name="partnerships",
    entity=Partnership,
    base=lambda: (
        sa.select(Partnership)
        .join(Organization, Organization.id == Partnership.organization_id)
        .outerjoin(User, User.id == Partnership.owner_id)
    ),
    columns=(
        Column("title", "Title", Partnership.title, lambda p: p.title, link=True),
        Column("organization", "Organization", Organization.name, lambda p: p.organization.name),
        Column("type", "Type", Partnership.type, lambda p: label(p.type)),
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
        Column(
            "start",
            "Start",
            Partnership.start_date,
            lambda p: p.start_date,
            display=lambda p: _nowrap(p.start_date),
        ),
        Column(
            "end",
            "End",
            Partnership.end_date,
            lambda p: p.end_date,
            display=lambda p: _nowrap(p.end_date),
        ),
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
        Filter(
            "status",
            "Status today",
            _state_filter,
            lambda s: [(state.value, agreement_state_label(state)) for state in AgreementState],
        ),
        Filter(
            "type",
            "Type",
            listing.enum_filter(Partnership.type, PartnershipType),
            lambda s: enum_choices(PartnershipType),
        ),
        Filter("pillar", "Pillar", _pillar_filter, reference.pillar_choices),
        Filter("owner", "Owner", _owner_filter, _owner_choices),
        Filter("kind", "Organization kind", _kind_filter, lambda s: enum_choices(OrganizationKind)),
        Filter(
            "year",
            "Start year",
            listing.year_filter(Partnership.start_date),
            listing.year_choices(Partnership.start_date),
        ),
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


def get_partnership(session: Session, partnership_id: int) -> Partnership:
    obj: Partnership = records.get_or_404(session, Partnership, partnership_id, what="partnership")
    return obj


def partnership_by_title(
    session: Session, *, organization_id: int, title: str
) -> list[Partnership]:
    """The organization's partnerships with that title, any case (normally one)."""
    return list(
        session.scalars(
            sa.select(Partnership)
            .where(
                Partnership.organization_id == organization_id,
                sa.func.lower(Partnership.title) == " ".join(title.split()).lower(),
            )
            .limit(2)
        )
    )


def owner_choices(session: Session, *, keep_id: int | None = None) -> list[tuple[str, str]]:
    """Who may own an agreement: active managers and admins (plus the current owner)."""
    query = sa.select(User.id, User.full_name, User.email).where(
        sa.or_(
            sa.and_(User.active.is_(True), User.role.in_([Role.MANAGER, Role.ADMIN])),
            User.id == (keep_id or 0),
        )
    )
    return [
        (str(user_id), f"{name} ({email})")
        for user_id, name, email in session.execute(query.order_by(User.full_name))
    ]


def _owner_id(session: Session, value: Any, *, current: int | None) -> int | None:
    if value in (None, ""):
        return None
    try:
        owner_id = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("owner_id", "Choose the owner from the list.") from exc
    if owner_id == current:
        return owner_id  # keeping today's owner is always fine
    user = session.get(User, owner_id)
    if user is None:
        raise ValidationError("owner_id", f"There is no user with id {owner_id}.")
    if not user.has_role(Role.MANAGER):
        raise ValidationError(
            "owner_id", f"{user.full_name} is a {user.role.value}; the owner must be a manager."
        )
    if not user.active:
        raise ValidationError("owner_id", f"{user.full_name} is deactivated; choose another owner.")
    return owner_id


def _pillars(session: Session, values: Any) -> list[Pillar]:
    if values in (None, ""):
        return []
    if isinstance(values, str):
        values = [values]
    ids: list[int] = []
    for value in values:
        try:
            ids.append(int(value))
        except (TypeError, ValueError) as exc:
            raise ValidationError("pillars", f"{value!r} is not a pillar.") from exc
    # By primary key: the four pillars are usually in the session already (no query).
    found = {
        pillar.id: pillar
        for pillar in (session.get(Pillar, i) for i in set(ids) if 0 < i < 2**31)
        if pillar is not None
    }
    missing = sorted(set(ids) - found.keys())
    if missing:
        raise ValidationError("pillars", f"Unknown pillar id {missing[0]}.")
    return sorted(found.values(), key=lambda p: p.sort_order)


def _notice_days(value: Any) -> int:
    if value in (None, ""):
        return 90
    try:
        days = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError("renewal_notice_days", "Enter a whole number of days.") from exc
    if not 0 <= days <= 3650:
        raise ValidationError("renewal_notice_days", "Enter a number of days from 0 to 3650.")
    return days


def _status_label(status: PartnershipStatus) -> str:
    return label(status)


def _check_transition(before: PartnershipStatus, after: PartnershipStatus, field: str) -> None:
    if after == before or after in STATUS_TRANSITIONS[before]:
        return
    if after == PartnershipStatus.ACTIVE and before in RENEWABLE:
        raise ValidationError(
            field,
            f"An {label(before).lower()} agreement becomes active again only by renewal "
            "(a new end date): use Renew on its page.",
        )
    allowed = STATUS_TRANSITIONS[before]
    if not allowed:
        raise ValidationError(
            field, f"An {label(before).lower()} agreement cannot change status; renew it instead."
        )
    names = " or ".join(label(s) for s in sorted(allowed))
    raise ValidationError(
        field, f"A partnership can go from {label(before)} only to {names}, not to {label(after)}."
    )


def _clean_partnership(
    session: Session,
    data: Mapping[str, Any],
    *,
    obj: Partnership | None = None,
    batch: Batch | None = None,
) -> dict[str, Any]:
    status = validation.choice(
        "status", PartnershipStatus, data.get("status") or PartnershipStatus.PROSPECT.value
    )
    if obj is not None:
        _check_transition(obj.status, status, "status")
    start = _as_date("start_date", data.get("start_date"))
    end = _as_date("end_date", data.get("end_date"))
    validation.date_range(start, end)
    return {
        "organization_id": organization_id_by_name(
            session, "organization", data.get("organization"), batch=batch
        ),
        "title": validation.required_text("title", data.get("title"), max_length=200),
        "type": validation.choice("type", PartnershipType, data.get("type")),
        "status": status,
        "start_date": start,
        "end_date": end,
        "renewal_notice_days": _notice_days(data.get("renewal_notice_days")),
        "owner_id": _owner_id(
            session, data.get("owner_id"), current=obj.owner_id if obj is not None else None
        ),
        "notes": validation.free_text("notes", data.get("notes")),
        "document_refs": validation.url_list("document_refs", data.get("document_refs")),
    }


def create_partnership(
    session: Session, *, data: Mapping[str, Any], batch: Batch | None = None
) -> Partnership:
    """A new agreement. Any status may be recorded at first (agreements that already exist are
    entered as they stand); from then on status changes follow ``STATUS_TRANSITIONS``. Flushes
    (in an import's ``batch``, with the batch)."""
    values = _clean_partnership(session, data, batch=batch)
    partnership = Partnership(**values, pillars=_pillars(session, data.get("pillars")))
    session.add(partnership)
    batching.flush(session, batch)
    return partnership


def update_partnership(
    session: Session,
    *,
    obj: Partnership,
    data: Mapping[str, Any],
    expected_version: int | None,
    batch: Batch | None = None,
) -> Partnership:
    records.check_version(obj, expected_version)
    values = _clean_partnership(session, data, obj=obj, batch=batch)
    pillars = _pillars(session, data.get("pillars"))
    records.apply_changes(obj, values)
    before = [p.name for p in obj.pillars]
    if before != [p.name for p in pillars]:
        obj.pillars = pillars
        # The listener sees columns only; the pillar set is a collection, recorded here.
        audit.record(
            session,
            action="update",
            entity_type=Partnership.__tablename__,
            entity_id=obj.id,
            changes={"pillars": [", ".join(before) or None, ", ".join(p.name for p in pillars)]},
        )
    batching.flush(session, batch)
    return obj


def next_statuses(partnership: Partnership) -> list[PartnershipStatus]:
    return sorted(STATUS_TRANSITIONS[partnership.status], key=list(PartnershipStatus).index)


def _effective_day(field: str, on: Any) -> date:
    if on in (None, ""):
        raise ValidationError(field, "Enter the date it took effect.")
    day = _past_date(field, on, what="date")
    assert day is not None
    return day


def change_partnership_status(
    session: Session,
    *,
    partnership: Partnership,
    status: str | PartnershipStatus,
    on: date,
    note: str | None,
    expected_version: int | None = None,
) -> Partnership:
    """Move an agreement along prospect → negotiating → active → ended | lapsed.

    ``on`` is the day it happened (not in the future). Becoming active fills an empty start
    date with ``on``; ending or lapsing sets the end date to ``on`` when it is empty or later.
    The change and its dated note are kept in the record's history.
    """
    records.check_version(partnership, expected_version)
    target = validation.choice("status", PartnershipStatus, status)
    before = partnership.status
    if target == before:
        raise ValidationError("status", f"The partnership is already {label(before).lower()}.")
    _check_transition(before, target, "status")
    day = _effective_day("on", on)
    cleaned_note = validation.free_text("note", note, max_length=500)
    if partnership.start_date and day < partnership.start_date:
        raise ValidationError(
            "on", f"The date cannot be before the start date ({partnership.start_date})."
        )
    partnership.status = target
    if target == PartnershipStatus.ACTIVE and partnership.start_date is None:
        partnership.start_date = day
    if target in (PartnershipStatus.ENDED, PartnershipStatus.LAPSED) and (
        partnership.end_date is None or partnership.end_date > day
    ):
        partnership.end_date = day
    session.flush()
    audit.record(
        session,
        action="status",
        entity_type=Partnership.__tablename__,
        entity_id=partnership.id,
        summary=f"{day.isoformat()}: {label(before)} → {label(target)}"
        + (f". {cleaned_note}" if cleaned_note else ""),
    )
    return partnership


def renew_partnership(
    session: Session,
    *,
    partnership: Partnership,
    end_date: date | None,
    on: date,
    note: str | None,
    expected_version: int | None = None,
) -> Partnership:
    """A new end date for an active, ended or lapsed agreement, which is active again."""
    records.check_version(partnership, expected_version)
    if partnership.status not in RENEWABLE:
        raise ValidationError(
            "end_date",
            f"Only an active, ended or lapsed agreement can be renewed; this one is "
            f"{label(partnership.status).lower()}.",
        )
    day = _effective_day("on", on)
    if end_date is None:
        raise ValidationError("end_date", "Enter the new end date.")
    previous = partnership.end_date
    if previous is not None and end_date <= previous:
        raise ValidationError(
            "end_date", f"The new end date must be after the current one ({previous})."
        )
    if end_date < day:
        raise ValidationError("end_date", "The new end date cannot be before the renewal date.")
    validation.date_range(partnership.start_date, end_date)
    cleaned_note = validation.free_text("note", note, max_length=500)
    before = partnership.status
    partnership.status = PartnershipStatus.ACTIVE
    partnership.end_date = end_date
    session.flush()
    audit.record(
        session,
        action="renew",
        entity_type=Partnership.__tablename__,
        entity_id=partnership.id,
        summary=f"{day.isoformat()}: renewed until {end_date.isoformat()} "
        f"(was {label(before).lower()}, ending {previous.isoformat() if previous else '—'})"
        + (f". {cleaned_note}" if cleaned_note else ""),
    )
    return partnership


# --- personal data (GDPR) -------------------------------------------------------------------


def _event_json(event_row: AuditEvent) -> dict[str, Any]:
    return {
        "occurred_at": event_row.occurred_at.isoformat(timespec="seconds"),
        "actor": event_row.actor_label,
        "action": event_row.action,
        "changes": event_row.changes,
        "summary": event_row.summary,
    }


def export_contact(session: Session, *, contact: Contact) -> dict[str, Any]:
    """Everything coordapp stores about one contact person, as JSON-ready values, including the
    trainings whose attendee lists name them (rows of their organization or its hotlines).

    The export itself is recorded in the contact's history (after the copy is taken)."""
    from coordapp.training import service as training  # training's service imports this one

    data: dict[str, Any] = {
        "subject": {"type": "contact", "id": contact.id},
        "exported_at": utcnow().isoformat(timespec="seconds"),
        "contact": {
            "full_name": contact.full_name,
            "job_title": contact.job_title,
            "email": contact.email,
            "phone": contact.phone,
            "last_contacted_on": (
                contact.last_contacted_on.isoformat() if contact.last_contacted_on else None
            ),
            "lawful_basis": contact.lawful_basis,
            "created_at": contact.created_at.isoformat(timespec="seconds"),
            "updated_at": contact.updated_at.isoformat(timespec="seconds"),
            "archived_at": (
                contact.archived_at.isoformat(timespec="seconds") if contact.archived_at else None
            ),
            "erased_at": (
                contact.erased_at.isoformat(timespec="seconds") if contact.erased_at else None
            ),
        },
        "organization": {"id": contact.organization.id, "name": contact.organization.name},
        "named_as_training_attendee": [
            {
                "training": row.event.title,
                "start_date": row.event.start_date.isoformat(),
                "participant_row": row.id,
            }
            for row in training.participations_naming(
                session, name=contact.full_name, organization_id=contact.organization_id
            )
        ],
        "history": [
            _event_json(e)
            for e in audit.events_for(session, entity_type="contacts", entity_id=contact.id)
        ],
    }
    audit.record(
        session,
        action="export",
        entity_type=Contact.__tablename__,
        entity_id=contact.id,
        summary="Personal data exported.",
    )
    return data


def erase_contact(session: Session, *, contact: Contact) -> Contact:
    """Erase one contact person's personal data (right to erasure), keeping the record's shell.

    - name becomes "Erased contact #<id>"; email, phone, job title and lawful basis are
      emptied; ``erased_at`` is set and the contact is archived (it leaves the working lists);
    - the organization and everything else about it stay as they are;
    - in the contact's earlier audit events the old values of those fields are overwritten with
      "[erased]" (the events themselves — who changed which field, when — remain), and the
      erasure is recorded as one "erase" event that names no personal value;
    - the person's name is taken out of the named attendees of the trainings of their
      organization (or of the hotlines it operates), and out of those rows' history;
    - not covered: other free text that may name the person (notes are for coordination only).

    Erasing an already erased contact changes nothing.
    """
    if contact.erased_at is not None:
        return contact
    from coordapp.training import service as training  # training's service imports this one

    attendee_rows = training.erase_attendee(
        session, name=contact.full_name, organization_id=contact.organization_id
    )
    now = utcnow()
    values = {
        "full_name": f"Erased contact #{contact.id}",
        "email": None,
        "phone": None,
        "job_title": None,
        "lawful_basis": None,
    }
    # The listener would copy the old values into a new event; the erase event replaces it.
    with audit.bulk_load(session):
        changed = records.apply_changes(contact, values)
        contact.erased_at = now
        if contact.archived_at is None:
            contact.archived_at = now
        session.flush()
    audit.redact_fields(
        session,
        entity_type=Contact.__tablename__,
        entity_id=contact.id,
        fields=CONTACT_PERSONAL_FIELDS,
    )
    audit.record(
        session,
        action="erase",
        entity_type=Contact.__tablename__,
        entity_id=contact.id,
        changes={c.field: [audit.ERASED if c.before else None, c.after] for c in changed},
        summary="Personal data erased on request"
        + (f", also from {attendee_rows} training attendee list(s)." if attendee_rows else "."),
    )
    return contact


@auth.user_export.register
def partnerships_owned(session: Session, user: User) -> dict[str, Any]:
    """The agreements a user owns, for their personal-data export."""
    owned = session.execute(
        sa.select(Partnership.id, Partnership.title)
        .where(Partnership.owner_id == user.id)
        .order_by(Partnership.id)
    )
    return {"partnerships_owned": [{"id": pid, "title": title} for pid, title in owned]}
