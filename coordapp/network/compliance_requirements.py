"""The compliance register's requirements: reference data, seeded once (`flask seed`) and
then the admins' to change (name, description, expiry and renewal, needed for full membership,
order); which requirements are in force."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import validation
from coordapp.batching import Batch
from coordapp.errors import NotFound, ValidationError
from coordapp.network.compliance_models import RENEWAL_MONTHS, ComplianceRequirement
from coordapp.records import service as records

# What the network asks of a full member, seeded once (`flask seed`) and then the admins':
# name, detail label, has expiry, renewal months, needed for full membership, description.
SEED_REQUIREMENTS: tuple[tuple[str, str | None, bool, int | None, bool, str], ...] = (
    (
        "Code of Practice signed",
        "Version",
        False,
        None,
        True,
        "The hotline has signed the network's Code of Practice (the version signed, the date).",
    ),
    (
        "Quality-assurance assessment",
        "Result",
        True,
        36,
        True,
        "The network's quality-assurance assessment of the hotline: date, result, next due.",
    ),
    (
        "Staff-welfare policy",
        None,
        True,
        12,
        True,
        "A staff-welfare policy for the analysts, reviewed at least yearly (reviewed on).",
    ),
    (
        "Legal basis",
        None,
        True,
        None,
        True,
        "The legal basis on which the hotline processes reports (date, expiry if any).",
    ),
    (
        "Law-enforcement recognition",
        None,
        True,
        None,
        True,
        "Recognition of the hotline by national law enforcement (date, expiry if any).",
    ),
    (
        "Analysts trained: basic",
        None,
        False,
        None,
        True,
        "The hotline's analysts have completed the network's basic training (date).",
    ),
    (
        "Analysts trained: advanced",
        None,
        False,
        None,
        False,
        "The hotline's analysts have completed the network's advanced training (date).",
    ),
)


def seed_requirements(session: Session) -> int:
    """Write the network's requirements into an empty register; how many were written. Once
    there are requirements they are the admins' (renamed, archived, added): nothing changes."""
    if session.scalar(sa.select(ComplianceRequirement.id).limit(1)) is not None:
        return 0
    session.add_all(
        ComplianceRequirement(
            name=name,
            detail_label=detail_label,
            has_expiry=has_expiry,
            renewal_months=months,
            needed_for_full=needed,
            description=description,
            sort_order=10 * (position + 1),
        )
        for position, (name, detail_label, has_expiry, months, needed, description) in enumerate(
            SEED_REQUIREMENTS
        )
    )
    session.flush()
    return len(SEED_REQUIREMENTS)


def get_requirement(session: Session, requirement_id: int) -> ComplianceRequirement:
    obj: ComplianceRequirement = records.get_or_404(
        session, ComplianceRequirement, requirement_id, what="compliance requirement"
    )
    return obj


def active_requirements(session: Session) -> list[ComplianceRequirement]:
    """The requirements in force, in their sort order."""
    return list(
        session.scalars(
            sa.select(ComplianceRequirement)
            .where(ComplianceRequirement.archived_at.is_(None))
            .order_by(ComplianceRequirement.sort_order, ComplianceRequirement.name)
        )
    )


def _clean_requirement(
    session: Session,
    data: Mapping[str, Any],
    *,
    obj: ComplianceRequirement | None,
    batch: Batch | None = None,
) -> dict[str, Any]:
    name = validation.required_text("name", data.get("name"), max_length=120)
    other = session.scalar(
        sa.select(ComplianceRequirement.id).where(
            sa.func.lower(ComplianceRequirement.name) == name.lower(),
            ComplianceRequirement.id != (obj.id if obj is not None else 0),
        )
    )
    if other is not None:
        raise ValidationError("name", f"There is already a requirement called {name!r}.")
    has_expiry = bool(data.get("has_expiry"))
    months = validation.whole_number(
        "renewal_months", data.get("renewal_months"), low=RENEWAL_MONTHS[0], high=RENEWAL_MONTHS[1]
    )
    if months is not None and not has_expiry:
        raise ValidationError(
            "renewal_months", "A renewal period needs the requirement to have an expiry."
        )
    order = validation.whole_number("sort_order", data.get("sort_order"), low=0, high=10_000)
    return {
        "name": name,
        "description": validation.free_text("description", data.get("description")),
        "detail_label": validation.free_text(
            "detail_label", data.get("detail_label"), max_length=60, bare_domains=False
        ),
        "has_expiry": has_expiry,
        "renewal_months": months,
        "needed_for_full": bool(data.get("needed_for_full")),
        "sort_order": order or 0,
    }


REQUIREMENT_COMMANDS = records.RecordCommands(ComplianceRequirement, clean=_clean_requirement)
create_requirement = REQUIREMENT_COMMANDS.create
update_requirement = REQUIREMENT_COMMANDS.update


def requirement_for_item(session: Session, requirement_id: object) -> ComplianceRequirement:
    """The requirement an item is recorded against: one in force, else a message."""
    number = validation.optional_id(
        "requirement_id", requirement_id, message="Choose a requirement from the list."
    )
    requirement = session.get(ComplianceRequirement, number) if number else None
    if requirement is None or requirement.archived_at is not None:
        raise ValidationError("requirement_id", "There is no such requirement in force.")
    return requirement


def require_item_requirement(session: Session, requirement_id: int) -> ComplianceRequirement:
    """The requirement of an item page (404 for an unknown or archived one)."""
    requirement = session.get(ComplianceRequirement, requirement_id)
    if requirement is None or requirement.archived_at is not None:
        raise NotFound(f"There is no compliance requirement in force with id {requirement_id}.")
    return requirement
