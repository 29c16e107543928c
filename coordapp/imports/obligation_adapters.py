"""Import rows of funder obligations: a commitment's whole instalment schedule in one row
(checked to add up to the pledge, like the schedule form), and reporting requirements.

Before the rows, ``prepare_schedules`` / ``prepare_requirements`` read the commitments of every
funder the file names (with their schedules, or their requirements) a thousand funders per
query; the rows then find them without a query each (bench.imports: 10,000 rows)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from coordapp.batching import Batch
from coordapp.errors import ValidationError
from coordapp.funding import obligations
from coordapp.funding.models import FundingCommitment, ReportingRequirement
from coordapp.imports.adapters import (
    CREATE,
    UNCHANGED,
    UPDATE,
    _name_key,
    _one,
    commitments_named,
)
from coordapp.partners import organizations
from coordapp.records.service import scalars_in

REQUIREMENT_FIELDS = ("submitted_on", "accepted_on", "document_reference", "note")


def prepare_schedules(
    session: Session, *, values: Mapping[str, list[Any]], context: dict[str, Any], batch: Batch
) -> None:
    """The commitments the file may name, their schedules loaded."""
    _, context["commitments"] = commitments_named(
        session, values, batch, selectinload(FundingCommitment.instalments)
    )


RequirementKey = tuple[int, str, Any]  # commitment id, kind, due date


def prepare_requirements(
    session: Session, *, values: Mapping[str, list[Any]], context: dict[str, Any], batch: Batch
) -> None:
    """The commitments the file may name, and their reporting requirements by key."""
    commitments, context["commitments"] = commitments_named(session, values, batch)
    requirements: dict[RequirementKey, list[ReportingRequirement]] = {}
    for found in scalars_in(
        session,
        sa.select(ReportingRequirement),
        ReportingRequirement.commitment_id,
        [c.id for c in commitments],
    ):
        key = (found.commitment_id, str(found.kind), found.due_on)
        requirements.setdefault(key, []).append(found)
    context["requirements"] = requirements


def _commitment(
    session: Session, data: Mapping[str, Any], batch: Batch, context: Mapping[str, Any]
) -> FundingCommitment:
    """The commitment a row names by funder and title (among those read ahead, if they were)."""
    funder_id = organizations.organization_id_by_name(
        session, "funder", data.get("funder"), batch=batch
    )
    title = _name_key(data.get("commitment"))
    if "commitments" in context:
        found = context["commitments"].get((funder_id, title), [])
    else:
        found = list(
            session.scalars(
                sa.select(FundingCommitment).where(
                    FundingCommitment.funder_id == funder_id,
                    sa.func.lower(FundingCommitment.title) == title,
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
    commitment = _commitment(session, data, batch, context)
    rows = schedule_cells(data.get("instalments"))
    # replace_schedule checks the rows (refusing, nothing written) and leaves an equal schedule.
    before, saved = obligations.replace_schedule(
        session, commitment=commitment, rows=rows, batch=batch
    )
    if saved == before:
        return UNCHANGED, ()
    return (UPDATE if before else CREATE), ("instalments",)


def apply_requirement(
    session: Session, *, data: Mapping[str, Any], context: dict[str, Any], batch: Batch
) -> tuple[str, tuple[str, ...]]:
    """A requirement is the same one when commitment, kind and due date are equal."""
    commitment = _commitment(session, data, batch, context)
    values = {**data, "commitment_id": str(commitment.id)}
    cleaned = obligations.clean_requirement(session, values, batch=batch)
    key = (commitment.id, str(cleaned["kind"]), cleaned["due_on"])
    known: dict[RequirementKey, list[ReportingRequirement]] | None = context.get("requirements")
    if known is not None:
        same = known.get(key, [])
    else:
        same = list(
            session.scalars(
                sa.select(ReportingRequirement).where(
                    ReportingRequirement.commitment_id == commitment.id,
                    ReportingRequirement.kind == cleaned["kind"],
                    ReportingRequirement.due_on == cleaned["due_on"],
                )
            )
        )
    existing = _one(same, "reporting requirement")
    if existing is None:
        created = obligations.create_requirement(session, data=values, batch=batch)
        if known is not None:  # a later row of the file with the same key finds it
            known[key] = [created]
        return CREATE, ()
    changed = tuple(f for f in REQUIREMENT_FIELDS if getattr(existing, f) != cleaned[f])
    if not changed:
        return UNCHANGED, ()
    obligations.update_requirement(session, obj=existing, data=values, batch=batch)
    return UPDATE, changed
