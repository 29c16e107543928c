"""Import rows of funder obligations: a commitment's whole instalment schedule in one row
(checked to add up to the pledge, like the schedule form), and reporting requirements."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.batching import Batch
from coordapp.errors import ValidationError
from coordapp.funding import obligations
from coordapp.funding.models import FundingCommitment, ReportingRequirement
from coordapp.imports.adapters import CREATE, UNCHANGED, UPDATE, _name_key, _one
from coordapp.partners import organizations

REQUIREMENT_FIELDS = ("submitted_on", "accepted_on", "document_reference", "note")


def _commitment(session: Session, data: Mapping[str, Any], batch: Batch) -> FundingCommitment:
    """The commitment a row names by funder and title."""
    funder_id = organizations.organization_id_by_name(
        session, "funder", data.get("funder"), batch=batch
    )
    found = list(
        session.scalars(
            sa.select(FundingCommitment).where(
                FundingCommitment.funder_id == funder_id,
                sa.func.lower(FundingCommitment.title) == _name_key(data.get("commitment")),
            )
        )
    )
    commitment = _one(found, "commitment")
    if commitment is None:
        raise ValidationError(
            "commitment", f"The funder has no commitment titled {data.get('commitment')!r}."
        )
    return commitment  # type: ignore[no-any-return]


def schedule_cells(text: Any) -> list[dict[str, str]]:
    """ "2026-03-31 50000; 2026-09-30 50000" as the schedule form's rows."""
    rows = []
    for part in str(text or "").replace("\n", ";").split(";"):
        if not part.strip():
            continue
        pieces = part.split()
        if len(pieces) != 2:
            raise ValidationError(
                "instalments",
                f"Write each instalment as its date and amount, e.g. 2026-03-31 50000 "
                f"(not {part.strip()!r}).",
            )
        rows.append({"expected_on": pieces[0], "amount": pieces[1]})
    return rows


def apply_schedule(
    session: Session, *, data: Mapping[str, Any], context: dict[str, Any], batch: Batch
) -> tuple[str, tuple[str, ...]]:
    """The row's schedule replaces the commitment's whole schedule (adding up to the pledge)."""
    commitment = _commitment(session, data, batch)
    rows = schedule_cells(data.get("instalments"))
    schedule = obligations.clean_schedule(commitment, rows)
    before = [(i.expected_on, i.amount) for i in commitment.instalments]
    if before == schedule:
        return UNCHANGED, ()
    obligations.save_schedule(session, commitment=commitment, rows=rows, batch=batch)
    return (UPDATE if before else CREATE), ("instalments",)


def apply_requirement(
    session: Session, *, data: Mapping[str, Any], context: dict[str, Any], batch: Batch
) -> tuple[str, tuple[str, ...]]:
    """A requirement is the same one when commitment, kind and due date are equal."""
    commitment = _commitment(session, data, batch)
    values = {**data, "commitment_id": str(commitment.id)}
    cleaned = obligations.clean_requirement(session, values, batch=batch)
    existing = _one(
        list(
            session.scalars(
                sa.select(ReportingRequirement).where(
                    ReportingRequirement.commitment_id == commitment.id,
                    ReportingRequirement.kind == cleaned["kind"],
                    ReportingRequirement.due_on == cleaned["due_on"],
                )
            )
        ),
        "reporting requirement",
    )
    if existing is None:
        obligations.create_requirement(session, data=values, batch=batch)
        return CREATE, ()
    changed = tuple(f for f in REQUIREMENT_FIELDS if getattr(existing, f) != cleaned[f])
    if not changed:
        return UNCHANGED, ()
    obligations.update_requirement(session, obj=existing, data=values, batch=batch)
    return UPDATE, changed
