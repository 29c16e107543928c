"""Reading the kept funding totals (``coordapp.funding.totals``): the dashboards' funding
figures in EUR per year, pillar, funder and funder kind, and the cash expected and received per
quarter, where the totals can answer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding import conversion, rate_info, totals
from coordapp.funding.models import FigurePart
from coordapp.partners.models import Organization
from coordapp.reference.models import Pillar


@dataclass(frozen=True, slots=True)
class Figures:
    """The funding figures in EUR at each row's own date, per part (pledged, received): the
    totals rounded and the rates behind them, as ``conversion.convert_grouping_sets`` gives
    them."""

    by_year: Mapping[str, tuple[dict[tuple[Any, ...], Decimal], rate_info.RateInfo]]
    by_pillar: Mapping[str, tuple[dict[tuple[Any, ...], Decimal], rate_info.RateInfo]]
    by_funder: Mapping[str, dict[tuple[Any, ...], Decimal]]
    by_kind: Mapping[str, dict[tuple[Any, ...], Decimal]]


def figures_in_pivot(
    session: Session, *, first_year: int, last_year: int, end: date, quantum: Decimal
) -> Figures | None:
    """Pledged and received from ``first_year`` to ``end`` (in ``last_year``) per year, year
    and pillar, funder and funder kind, in EUR at each row's own date, read from the totals:
    None where they cannot answer (not PostgreSQL; rows after ``end`` in its year: the totals
    hold whole years)."""
    if not totals.kept(session) or totals.rows_after(session, end, date(last_year, 12, 31)):
        return None
    totals.refresh(session)
    parts = [p.value for p in FigurePart]
    rows: dict[tuple[str, bool], list[tuple[Any, ...]]] = {
        (part, pillar): [] for part in parts for pillar in (False, True)
    }
    # Plain Core columns and strings: thousands of rows, no ORM or enum processing per row.
    pillars, organizations = Pillar.__table__, Organization.__table__
    for part, year, pillar, code, rate_on, native in session.execute(
        sa.select(
            sa.type_coerce(totals.YEAR_TOTALS.c.part, sa.String),
            totals.YEAR_TOTALS.c.year,
            pillars.c.name,
            totals.YEAR_TOTALS.c.currency_code,
            totals.YEAR_TOTALS.c.rate_on,
            totals.YEAR_TOTALS.c.native,
        )
        .select_from(totals.YEAR_TOTALS)
        .outerjoin(pillars, pillars.c.id == totals.YEAR_TOTALS.c.pillar_id)
        .where(totals.YEAR_TOTALS.c.year.between(first_year, last_year))
    ).all():
        keys = (year,) if pillar is None else (year, pillar)
        rows[(part, pillar is not None)].append((*keys, code, rate_on, None, native))
    converted = conversion.convert_summed(
        session,
        {key: (part_rows, 1 + key[1]) for key, part_rows in rows.items()},
        currency=conversion.PIVOT,
        quantum=quantum,
    )
    funder_totals: dict[str, dict[tuple[Any, ...], Decimal]] = {part: {} for part in parts}
    kind_totals: dict[str, dict[tuple[Any, ...], Decimal]] = {part: {} for part in parts}
    # Summed per funder id, then named (names are unique: the same groups as by name); each
    # funder's and each kind's exact total rounded in SQL (thousands of funders).
    sums = _funder_sums(session, first_year, last_year).subquery("sums")
    named = (
        sa.select(
            sa.type_coerce(sums.c.part, sa.String).label("part"),
            organizations.c.name,
            sa.type_coerce(organizations.c.kind, sa.String).label("kind"),
            sums.c.eur,
        )
        .join(organizations, organizations.c.id == sums.c.funder_id)
        .cte("named")
    )
    # One row per funder (both parts), then one per kind (no funder: names are never NULL);
    # the funders largest first, as the figures order them, so that sorting them again is one
    # pass.
    pledged, received = (
        conversion.rounded_in_sql(sa.func.sum(named.c.eur).filter(named.c.part == part), quantum)
        for part in parts
    )
    both = sa.func.coalesce(pledged, 0) + sa.func.coalesce(received, 0)
    grouped = (
        sa.select(named.c.name, named.c.kind, pledged, received)
        .group_by(
            sa.func.grouping_sets(sa.tuple_(named.c.name, named.c.kind), sa.tuple_(named.c.kind))
        )
        # By code point, as Python compares strings (and faster than a language's order).
        .order_by(
            named.c.name.is_(None),
            both.desc(),
            named.c.name.collate("C"),
            named.c.kind.collate("C"),
        )
    )
    for name, kind, *amounts in session.execute(grouped).all():
        key, found = ((kind,), kind_totals) if name is None else ((name, kind), funder_totals)
        for part, amount in zip(parts, amounts, strict=True):
            if amount is not None:  # no row of that part
                found[part][key] = amount
    return Figures(
        by_year={part: converted[(part, False)] for part in parts},
        by_pillar={part: converted[(part, True)] for part in parts},
        by_funder=funder_totals,
        by_kind=kind_totals,
    )


def _funder_sums(session: Session, first_year: int, last_year: int) -> sa.Select:
    """(part, funder_id, eur) of every funder with a kept total in the years: the sum of
    those years' totals, or, when the years holding totals outside the range are fewer than
    those inside it, the sum of every year less theirs (exact either way: the same numbers)."""
    kept = totals.FUNDER_TOTALS.c
    low, high = session.execute(sa.select(sa.func.min(kept.year), sa.func.max(kept.year))).one()
    inside = kept.year.between(first_year, last_year)
    if low is None or _years_outside(low, high, first_year, last_year) >= (
        min(high, last_year) - max(low, first_year) + 1
    ):
        return (
            sa.select(kept.part, kept.funder_id, sa.func.sum(kept.eur).label("eur"))
            .where(inside)
            .group_by(kept.part, kept.funder_id)
        )
    outside = (
        sa.select(
            kept.part,
            kept.funder_id,
            sa.func.sum(kept.eur).label("eur"),
            sa.func.count().label("years"),
        )
        .where(sa.not_(inside))
        .group_by(kept.part, kept.funder_id)
        .subquery("outside")
    )
    every = totals.FUNDER_ALL_YEARS.c
    return (
        sa.select(
            every.part,
            every.funder_id,
            (every.eur - sa.func.coalesce(outside.c.eur, 0)).label("eur"),
        )
        .outerjoin(
            outside,
            sa.and_(outside.c.part == every.part, outside.c.funder_id == every.funder_id),
        )
        .where(every.years > sa.func.coalesce(outside.c.years, 0))
    )


def _years_outside(low: int, high: int, first_year: int, last_year: int) -> int:
    """How many of the years from ``low`` to ``high`` are not from ``first_year`` to
    ``last_year``."""
    return max(0, min(high, first_year - 1) - low + 1) + max(0, high - max(low, last_year + 1) + 1)


def received_by_pillar_in_pivot(
    session: Session, *, pillar_id: int, year: int, end: date
) -> tuple[Decimal, rate_info.RateInfo] | None:
    """Money received from 1 January of ``year`` to ``end`` (in that year) split to one pillar
    (``amounts.received_by_pillar_amounts``), in EUR at each receipt's own date, and the rates
    behind it, as ``conversion.convert_grouped`` gives them, read from the totals: None where
    they cannot answer (not PostgreSQL; rows after ``end`` in its year)."""
    if not totals.kept(session) or totals.rows_after(session, end, date(year, 12, 31)):
        return None
    totals.refresh(session)
    kept = totals.YEAR_TOTALS.c
    rows = session.execute(
        sa.select(kept.pillar_id, kept.currency_code, kept.rate_on, sa.null(), kept.native).where(
            kept.part == FigurePart.RECEIVED.value, kept.year == year, kept.pillar_id == pillar_id
        )
    ).all()
    quantum = conversion.minor_quantum(session, conversion.PIVOT)
    converted, rates = conversion.convert_summed(
        session, {0: (rows, 1)}, currency=conversion.PIVOT, quantum=quantum
    )[0]
    return converted.get((pillar_id,), Decimal(0).quantize(quantum)), rates


def cash_in_pivot(
    session: Session, *, first_year: int, last_year: int, quantum: Decimal
) -> tuple[dict[tuple[Any, ...], Decimal], rate_info.RateInfo] | None:
    """Instalments expected and money received from ``first_year`` to ``last_year`` per (part,
    year, quarter), in EUR at each row's own date, and the rates behind them, as
    ``conversion.convert_grouped`` gives them, read from the totals: None where they cannot
    answer (not PostgreSQL)."""
    if not totals.kept(session):
        return None
    totals.refresh(session)
    kept = totals.QUARTER_TOTALS.c
    rows = session.execute(
        sa.select(
            sa.type_coerce(kept.part, sa.String),
            kept.year,
            kept.quarter,
            kept.currency_code,
            kept.rate_on,
            sa.null(),
            kept.native,
        ).where(kept.year.between(first_year, last_year))
    ).all()
    converted = conversion.convert_summed(
        session, {0: (rows, 3)}, currency=conversion.PIVOT, quantum=quantum
    )
    return converted[0]
