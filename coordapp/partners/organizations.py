"""Organizations: look-ups by name (any case), create and edit, and what an organization's
page shows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching, validation
from coordapp.auth import owners
from coordapp.auth import service as auth
from coordapp.batching import Batch
from coordapp.errors import ValidationError
from coordapp.partners.models import (
    Contact,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Partnership,
)
from coordapp.records import service as records
from coordapp.reference import service as reference


def get_organization(session: Session, organization_id: int) -> Organization:
    obj: Organization = records.get_or_404(
        session, Organization, organization_id, what="organization"
    )
    return obj


def organization_name_key(name: str) -> str:
    """An organization's name as look-ups compare it: any case."""
    return name.strip().lower()


ORGANIZATION_NAME = records.UniqueName(
    Organization, what="An organization", kind="organization", key=organization_name_key
)


def _clean_organization(
    session: Session, data: Mapping[str, Any], *, obj: Organization | None, batch: Batch | None
) -> dict[str, Any]:
    name = ORGANIZATION_NAME.clean(session, data, obj=obj, batch=batch)
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
        "owner_id": owners.clean_owner_id(
            session, data.get("owner_id"), current=obj.owner_id if obj is not None else None
        ),
        "notes": validation.free_text("notes", data.get("notes")),
    }


def _remember_organization(batch: Batch, organization: Organization, values: Any) -> None:
    batch.remember("organization", {organization_name_key(organization.name): organization})


ORGANIZATION_COMMANDS = records.RecordCommands(
    Organization,
    clean=_clean_organization,
    remember=_remember_organization,
    remember_updates=False,
)
create_organization = ORGANIZATION_COMMANDS.create
update_organization = ORGANIZATION_COMMANDS.update


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
    """The organization's own contacts and agreements (its page adds, in the view, what other
    domains hold about it: commitments, hotlines operated, trainings attended)."""
    return {
        "contacts": session.scalars(
            sa.select(Contact).where(Contact.organization_id == obj.id).order_by(Contact.full_name)
        ).all(),
        "partnerships": session.scalars(
            sa.select(Partnership)
            .where(Partnership.organization_id == obj.id)
            .order_by(Partnership.start_date.desc().nulls_last())
        ).all(),
    }


def new_record_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """Prefill the organization of a new contact or partnership (``?organization_id=3``)."""
    organization_id = validation.record_id(args.get("organization_id"))
    if organization_id is None:
        return {}
    organization = session.get(Organization, organization_id)
    return {"organization": organization.name} if organization is not None else {}


# The organizations a user owns, for their personal-data export.
auth.export_owned(
    "organizations_owned", Organization.owner_id, id=Organization.id, name=Organization.name
)
