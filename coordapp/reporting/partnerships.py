"""Partnerships by status, type, pillar and partner kind, and the renewals due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.auth.models import User
from coordapp.partners import agreements as partners_agreements
from coordapp.partners.models import (
    Organization,
    Partnership,
    PartnershipType,
    partnership_pillars,
)
from coordapp.reference.models import Pillar
from coordapp.reporting.common import year_of


@dataclass(frozen=True, slots=True)
class Renewal:
    title: str
    organization: str
    type: PartnershipType
    end_date: date
    notice_days: int
    notice_date: date
    owner: str | None

    def overdue(self, on: date) -> bool:
        return self.notice_date < on


@dataclass(frozen=True, slots=True)
class PartnershipFigures:
    on: date
    status: str | None
    in_force: int  # partners_agreements.count_in_force on ``on``
    expired: int  # partners_agreements.count_expired on ``on`` (ended without a decision)
    by_status: tuple[tuple[str, int], ...]  # status on ``on`` (partners_agreements.AgreementState)
    by_type: tuple[tuple[str, int], ...]
    by_pillar: tuple[tuple[str, int], ...]
    by_kind: tuple[tuple[str, int], ...]
    new_per_year: tuple[tuple[int, str, int], ...]  # (year, type, count)
    renewals: tuple[
        Renewal, ...
    ]  # partners_agreements.renewals_due_condition on ``on``, overdue first

    @property
    def is_empty(self) -> bool:
        return not self.by_status


def partnership_figures(
    session: Session, *, on: date, status: str | None = None
) -> PartnershipFigures:
    """Unarchived partnerships by their status on ``on``
    (``partners_agreements.state_on_expression``:
    "active" is in force, "expired" is still recorded as active but past its end date), and (of
    ``status``, or all) by type, pillar, kind; the renewals due on ``on``."""
    live = Partnership.archived_at.is_(None)
    state = partners_agreements.state_on_expression(on)
    chosen = [live] + ([state == status] if status else [])

    def counts(column: Any, *joins: tuple[Any, Any]) -> tuple[tuple[str, int], ...]:
        query = sa.select(column, sa.func.count(sa.distinct(Partnership.id))).select_from(
            Partnership
        )
        for target, onclause in joins:
            query = query.join(target, onclause)
        query = query.where(*chosen).group_by(column).order_by(sa.func.count().desc(), column)
        return tuple((str(k), int(n)) for k, n in session.execute(query))

    state_column = state.label("state")
    by_status = tuple(
        (str(k), int(n))
        for k, n in session.execute(
            sa.select(state_column, sa.func.count()).where(live).group_by(state_column)
        )
    )
    order = {s.value: i for i, s in enumerate(partners_agreements.AgreementState)}
    notice = partners_agreements.RENEWAL_DUE
    renewals = session.execute(
        sa.select(
            Partnership.title,
            Organization.name,
            Partnership.type,
            Partnership.end_date,
            Partnership.renewal_notice_days,
            User.full_name,
        )
        .join(Organization, Organization.id == Partnership.organization_id)
        .outerjoin(User, User.id == Partnership.owner_id)
        .where(partners_agreements.renewals_due_condition(on))
        .order_by(notice, Partnership.title)
    ).all()
    year = year_of(Partnership.start_date)
    return PartnershipFigures(
        on=on,
        status=status,
        in_force=partners_agreements.count_in_force(session, on=on),
        expired=partners_agreements.count_expired(session, on=on),
        by_status=tuple(sorted(by_status, key=lambda kv: order.get(kv[0], 99))),
        by_type=counts(Partnership.type),
        by_pillar=counts(
            Pillar.name,
            (partnership_pillars, partnership_pillars.c.partnership_id == Partnership.id),
            (Pillar, Pillar.id == partnership_pillars.c.pillar_id),
        ),
        by_kind=counts(
            Organization.kind, (Organization, Organization.id == Partnership.organization_id)
        ),
        new_per_year=tuple(
            (int(y), str(t), int(n))
            for y, t, n in session.execute(
                sa.select(year, Partnership.type, sa.func.count())
                .where(*chosen, Partnership.start_date.is_not(None), Partnership.start_date <= on)
                .group_by(year, Partnership.type)
                .order_by(year, Partnership.type)
            )
        ),
        renewals=tuple(
            Renewal(
                title=r.title,
                organization=r.name,
                type=PartnershipType(r.type),
                end_date=r.end_date,
                notice_days=r.renewal_notice_days,
                notice_date=r.end_date - timedelta(days=r.renewal_notice_days),
                owner=r.full_name,
            )
            for r in renewals
        ),
    )
