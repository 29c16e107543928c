"""Queries and commands over organizations, contacts and partnerships."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from coordapp import validation
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
)
from coordapp.records import service as records
from coordapp.reference import service as reference
from coordapp.reference.models import Country


def count_active_partnerships(session: Session, *, on: date) -> int:
    """Active agreements on ``on``: status active, started, not yet ended, not archived."""
    return (
        session.scalar(
            sa.select(sa.func.count(Partnership.id)).where(
                Partnership.archived_at.is_(None),
                Partnership.status == PartnershipStatus.ACTIVE.value,
                sa.or_(Partnership.start_date.is_(None), Partnership.start_date <= on),
                sa.or_(Partnership.end_date.is_(None), Partnership.end_date >= on),
            )
        )
        or 0
    )


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


def _clean_organization(
    session: Session, data: Mapping[str, Any], *, exclude_id: int | None = None
) -> dict[str, Any]:
    name = validation.required_text("name", data.get("name"), max_length=200)
    taken = session.scalar(
        sa.select(Organization.id).where(
            sa.func.lower(Organization.name) == name.lower(),
            Organization.id != (exclude_id or 0),
        )
    )
    if taken is not None:
        raise ValidationError("name", f"An organization named {name!r} already exists.")
    return {
        "name": name,
        "kind": validation.choice("kind", OrganizationKind, data.get("kind")),
        "status": validation.choice(
            "status", OrganizationStatus, data.get("status") or OrganizationStatus.PROSPECT.value
        ),
        "hq_country_code": reference.require_country(
            session, "hq_country_code", data.get("hq_country_code")
        ),
        "website": validation.web_url("website", data.get("website")),
        "tags": validation.free_text("tags", data.get("tags"), max_length=300),
        "notes": validation.free_text("notes", data.get("notes")),
    }


def create_organization(session: Session, *, data: Mapping[str, Any]) -> Organization:
    organization = Organization(**_clean_organization(session, data))
    session.add(organization)
    session.flush()
    return organization


def update_organization(
    session: Session,
    *,
    obj: Organization,
    data: Mapping[str, Any],
    expected_version: int | None,
) -> Organization:
    records.check_version(obj, expected_version)
    records.apply_changes(obj, _clean_organization(session, data, exclude_id=obj.id))
    session.flush()
    return obj


def organization_names(session: Session, *, prefix: str, limit: int = 20) -> list[str]:
    """Names for the type-ahead of organization fields (active records first)."""
    pattern = f"%{prefix.strip().lower()}%"
    return list(
        session.scalars(
            sa.select(Organization.name)
            .where(sa.func.lower(Organization.name).like(pattern))
            .order_by(Organization.archived_at.is_not(None), Organization.name)
            .limit(limit)
        )
    )


def organization_id_by_name(
    session: Session, field: str, name: str | None, *, required: bool = True
) -> int | None:
    if not name or not name.strip():
        if required:
            raise ValidationError(field, "Choose an organization.")
        return None
    found = session.scalar(
        sa.select(Organization.id).where(sa.func.lower(Organization.name) == name.strip().lower())
    )
    if found is None:
        raise ValidationError(field, f"No organization is named {name.strip()!r}.")
    return found


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
