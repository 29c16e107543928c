"""Partnerships by status, type, pillar and partner kind, and the renewals due."""

from __future__ import annotations

import functools
from collections import defaultdict
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


@functools.cache
def _counts_statement(*, filtered: bool) -> sa.CompoundSelect:
    """Every count of ``partnership_figures`` in one statement, for the day bound as ``on`` (and
    ``status``, when ``filtered``): a union of groupings, one per figure, over the unarchived
    partnerships with their state that day. Built once per shape: composing it took longer
    than PostgreSQL takes to run it."""
    on = sa.bindparam("on", type_=sa.Date)
    live = (
        sa.select(
            Partnership.id,
            Partnership.type,
            Partnership.organization_id,
            Partnership.start_date,
            partners_agreements.state_on_expression(on).label("state"),
        )
        .where(Partnership.archived_at.is_(None))
        .cte("live")
    )
    chosen = [live.c.state == sa.bindparam("status", type_=sa.String)] if filtered else []
    no_year = sa.cast(sa.null(), sa.Integer)

    def grouped(figure: str, key: Any, year: Any = no_year) -> sa.Select:
        return sa.select(
            sa.literal_column(f"'{figure}'", sa.String).label("figure"),
            sa.cast(key, sa.String).label("key"),
            year.label("year"),
            sa.func.count().label("n"),
        ).group_by(key, *([] if year is no_year else [year]))

    year = year_of(live.c.start_date)
    return sa.union_all(
        grouped("status", live.c.state),
        grouped("type", live.c.type).where(*chosen),
        grouped("pillar", Pillar.name)
        .select_from(live)
        .join(partnership_pillars, partnership_pillars.c.partnership_id == live.c.id)
        .join(Pillar, Pillar.id == partnership_pillars.c.pillar_id)
        .where(*chosen),
        grouped("kind", Organization.kind)
        .select_from(live)
        .join(Organization, Organization.id == live.c.organization_id)
        .where(*chosen),
        grouped("new", live.c.type, year).where(
            *chosen, live.c.start_date.is_not(None), live.c.start_date <= on
        ),
    )


@functools.lru_cache(maxsize=8)
def _renewals_statement(on: date) -> sa.Select:
    """The renewals due on ``on`` (``partners_agreements.renewals_due_condition``), renewal
    date first, with their partner and owner; built once per day asked for."""
    return (
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
        .order_by(partners_agreements.RENEWAL_DUE, Partnership.title)
    )


def partnership_figures(
    session: Session, *, on: date, status: str | None = None
) -> PartnershipFigures:
    """Unarchived partnerships by their status on ``on``
    (``partners_agreements.state_on_expression``:
    "active" is in force, "expired" is still recorded as active but past its end date), and (of
    ``status``, or all) by type, pillar, kind; the renewals due on ``on``.

    Two statements: every count in one pass over the unarchived partnerships (a union of
    groupings, one per figure), then the renewals due. In force and expired are the by-status
    counts of "active" and "expired": by the rules of ``state_on_expression`` these are exactly
    ``count_in_force`` and ``count_expired`` (tests/main/test_partnership_figures_agree.py).

    Each grouping counts rows, not distinct partnerships: a partnership is one row of ``live``,
    one organization's, and pairs with a pillar at most once (the link table's key; pillar names
    are unique), so the two are equal, and counting rows lets PostgreSQL hash the groups
    instead of sorting every grouping's rows for its ``DISTINCT``. The counting statement is
    built once (``_counts_statement``), the day and status bound at each call."""
    counts = _counts_statement(filtered=bool(status))
    rows = session.execute(counts, {"on": on, "status": status} if status else {"on": on})
    by: dict[str, list[tuple[str, int]]] = defaultdict(list)
    new_per_year: list[tuple[int, str, int]] = []
    for figure, key, y, n in rows:
        if figure == "new":
            new_per_year.append((int(y), str(key), int(n)))
        else:
            by[figure].append((str(key), int(n)))
    order = {s.value: i for i, s in enumerate(partners_agreements.AgreementState)}
    by_status = dict(by["status"])
    renewals = session.execute(_renewals_statement(on)).all()

    def most_first(pairs: list[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(pairs, key=lambda kv: (-kv[1], kv[0])))

    return PartnershipFigures(
        on=on,
        status=status,
        in_force=by_status.get(partners_agreements.AgreementState.ACTIVE.value, 0),
        expired=by_status.get(partners_agreements.AgreementState.EXPIRED.value, 0),
        by_status=tuple(sorted(by["status"], key=lambda kv: order.get(kv[0], 99))),
        by_type=most_first(by["type"]),
        by_pillar=most_first(by["pillar"]),
        by_kind=most_first(by["kind"]),
        new_per_year=tuple(sorted(new_per_year)),
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
