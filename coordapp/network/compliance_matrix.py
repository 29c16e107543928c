"""The compliance matrix: every hotline in use × every requirement in force, each cell in its
state (``compliance.state_expression``), filtered by membership status today; and its export."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network import membership
from coordapp.network.compliance import STATES, InState, every_pair, state_expression
from coordapp.network.compliance_models import ComplianceItem, ComplianceRequirement
from coordapp.network.compliance_requirements import active_requirements
from coordapp.network.models import Hotline, MembershipStatus
from coordapp.reference.models import Country

NO_MEMBERSHIP = "none"


@dataclass(frozen=True, slots=True)
class MatrixCell(InState):
    state: str
    status: str | None
    detail: str | None
    document_reference: str | None
    done_on: date | None
    expires_on: date | None


@dataclass(frozen=True, slots=True)
class MatrixRow:
    hotline_id: int
    hotline: str
    country: str
    membership: str | None
    cells: tuple[MatrixCell, ...]


@dataclass(frozen=True, slots=True)
class Matrix:
    today: date
    requirements: tuple[ComplianceRequirement, ...]
    rows: tuple[MatrixRow, ...]

    @property
    def counts(self) -> list[tuple[str, int]]:
        tally = {s: 0 for s in STATES}
        for row in self.rows:
            for cell in row.cells:
                tally[cell.state] += 1
        return [(s, tally[s]) for s in STATES]


def membership_filter_choices() -> list[tuple[str, str]]:
    return [
        *((s.value, s.value.capitalize()) for s in MembershipStatus),
        (NO_MEMBERSHIP, "None (no events yet)"),
    ]


def compliance_matrix(session: Session, *, today: date, membership_status: str = "") -> Matrix:
    """Every hotline in use × every requirement in force, in one statement: the hotlines
    (optionally of one membership status today) by name, the requirements in their order."""
    requirements = tuple(active_requirements(session))
    status_today = membership.membership_status_of(Hotline.id, today).label("membership")
    hotlines = (
        sa.select(Hotline.id, Hotline.name, Country.name.label("country"), status_today)
        .join(Country, Country.alpha2 == Hotline.country_code)
        .where(Hotline.archived_at.is_(None))
    )
    if membership_status == NO_MEMBERSHIP:
        hotlines = hotlines.where(membership.membership_status_of(Hotline.id, today).is_(None))
    elif membership_status in {s.value for s in MembershipStatus}:
        hotlines = hotlines.where(
            membership.membership_status_of(Hotline.id, today) == membership_status
        )
    listed = hotlines.subquery("listed")
    query = (
        every_pair(
            sa.select(
                listed.c.id,
                listed.c.name,
                listed.c.country,
                listed.c.membership,
                ComplianceRequirement.id.label("requirement_id"),
                state_expression(ComplianceItem, today).label("state"),
                ComplianceItem.status,
                ComplianceItem.detail,
                ComplianceItem.document_reference,
                ComplianceItem.done_on,
                ComplianceItem.expires_on,
            ),
            listed,
        )
        .where(ComplianceRequirement.archived_at.is_(None))
        .order_by(
            sa.func.lower(listed.c.name),
            listed.c.id,
            ComplianceRequirement.sort_order,
            ComplianceRequirement.name,
        )
    )
    rows: list[MatrixRow] = []
    current: list[Any] = []
    for r in session.execute(query):
        if current and current[0].id != r.id:
            rows.append(_matrix_row(current))
            current = []
        current.append(r)
    if current:
        rows.append(_matrix_row(current))
    return Matrix(today=today, requirements=requirements, rows=tuple(rows))


def _matrix_row(cells: Sequence[Any]) -> MatrixRow:
    first = cells[0]
    return MatrixRow(
        hotline_id=first.id,
        hotline=first.name,
        country=first.country,
        membership=first.membership,
        cells=tuple(
            MatrixCell(
                c.state,
                None if c.status is None else str(c.status),
                c.detail,
                c.document_reference,
                c.done_on,
                c.expires_on,
            )
            for c in cells
        ),
    )


def matrix_export_rows(matrix: Matrix) -> list[list[Any]]:
    """The matrix as the CSV / XLSX export writes it: a header, then a row per hotline with
    two columns per requirement (its state, and the last day it holds)."""
    header: list[Any] = ["Hotline", "Country", "Membership today"]
    for requirement in matrix.requirements:
        header += [requirement.name, f"{requirement.name}: holds until"]
    out = [header]
    for row in matrix.rows:
        values: list[Any] = [row.hotline, row.country, row.membership or ""]
        for cell in row.cells:
            values += [cell.state_label, cell.expires_on]
        out.append(values)
    return out
