"""Country pages: every country and territory with its coverage on a date, filtered, and
what the network does in or for one country."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from coordapp.errors import NotFound
from coordapp.network.coverage import (
    CountryCoverage,
    CoverageStatus,
    country_coverage,
    coverage_query,
    spell_covers,
)
from coordapp.network.expansion import stage_from_events
from coordapp.network.membership import membership_on_subquery
from coordapp.network.models import (
    ExpansionTarget,
    Hotline,
    MembershipStatus,
    hotline_countries,
)
from coordapp.partners.models import Organization
from coordapp.reference import service as reference
from coordapp.reference.models import Country

COVERED = "covered"  # the country list's filter value for "full or provisional"
KIND_CHOICES = (("country", "Countries (sovereign states)"), ("territory", "Territories"))


def coverage_status_choices() -> list[tuple[str, str]]:
    return [
        (COVERED, "Covered (full or provisional)"),
        (CoverageStatus.FULL.value, "Full member coverage"),
        (CoverageStatus.PROVISIONAL.value, "Provisional member coverage"),
        (CoverageStatus.PIPELINE.value, "In the expansion pipeline"),
        (CoverageStatus.NONE.value, "No coverage"),
    ]


def country_coverage_list(
    session: Session,
    *,
    on: date,
    region: str | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> list[CountryCoverage]:
    """Countries and territories with their coverage on ``on``, filtered in SQL by region,
    coverage status (``covered``: full or provisional) and kind (``country``: sovereign state,
    ``territory``). ``status=covered&kind=country`` lists exactly what ``coverage_summary``
    counts as countries covered, ``status=covered&kind=territory`` its territories covered.

    Unknown filter values are ignored (no filter), like every list.
    """
    coverage = coverage_query(on).subquery("coverage")
    query = sa.select(coverage).order_by(coverage.c.name)
    if region and region in reference.list_regions(session):
        query = query.where(coverage.c.region == region)
    if status == COVERED:
        query = query.where(
            coverage.c.status.in_([CoverageStatus.FULL.value, CoverageStatus.PROVISIONAL.value])
        )
    elif status in {s.value for s in CoverageStatus}:
        query = query.where(coverage.c.status == status)
    if kind in {"country", "territory"}:
        query = query.where(coverage.c.is_sovereign.is_(kind == "country"))
    return [country_coverage(row) for row in session.execute(query)]


def get_country(session: Session, code: str) -> Country:
    country = session.get(Country, code.upper()) if len(code) == 2 else None
    if country is None:
        raise NotFound(f"{code[:10]!r} is not a known ISO 3166-1 country code.")
    return country


def country_overview(session: Session, *, country: Country, today: date) -> dict[str, Any]:
    """What the network does in or for one country, as of ``today`` (the view adds the
    trainings held there)."""
    coverage = coverage_query(today, country=country.alpha2).subquery("one")
    row = session.execute(sa.select(coverage)).one()
    membership = membership_on_subquery(today)
    hotlines = session.execute(
        sa.select(Hotline, membership.c.status)
        .join(hotline_countries, hotline_countries.c.hotline_id == Hotline.id)
        .outerjoin(membership, membership.c.hotline_id == Hotline.id)
        .where(
            hotline_countries.c.country_code == country.alpha2,
            spell_covers(today),
            Hotline.archived_at.is_(None),
        )
        .order_by(Hotline.country_code != country.alpha2, Hotline.name)
    ).all()
    target = session.scalar(
        sa.select(ExpansionTarget)
        .where(ExpansionTarget.country_code == country.alpha2)
        .options(selectinload(ExpansionTarget.owner), selectinload(ExpansionTarget.stage_events))
    )
    return {
        "coverage": CoverageStatus(row.status),
        "member_since": row.member_since,
        "hotlines": [
            (hotline, MembershipStatus(status) if status else None) for hotline, status in hotlines
        ],
        "target": target,
        "target_stage": stage_from_events(target.stage_events, on=today) if target else None,
        "organizations": session.scalars(
            sa.select(Organization)
            .where(
                Organization.hq_country_code == country.alpha2, Organization.archived_at.is_(None)
            )
            .order_by(Organization.name)
        ).all(),
    }
