"""Hotline membership on a date and coverage of the world as of a date, computed in SQL."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network.models import (
    COVERING_STATUSES,
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineMembershipEvent,
    MembershipStatus,
    hotline_countries,
)
from coordapp.reference.models import Country


class CoverageStatus(enum.StrEnum):
    FULL = "full"
    PROVISIONAL = "provisional"
    PIPELINE = "pipeline"
    NONE = "none"


# On one date, later lifecycle steps win: an applicant admitted the same day is provisional.
_STATUS_RANK = {
    MembershipStatus.APPLICANT: 0,
    MembershipStatus.PROVISIONAL: 1,
    MembershipStatus.FULL: 2,
    MembershipStatus.SUSPENDED: 3,
    MembershipStatus.WITHDRAWN: 4,
}


@dataclass(frozen=True, slots=True)
class CountryCoverage:
    country_code: str
    alpha3: str
    name: str
    region: str | None
    sub_region: str | None
    status: CoverageStatus
    hotline_count: int
    member_since: date | None
    pipeline_stage: ExpansionStage | None


@dataclass(frozen=True, slots=True)
class CoverageSummary:
    on: date
    member_hotlines: int
    full_hotlines: int
    provisional_hotlines: int
    countries_covered: int
    countries_full: int
    countries_provisional: int
    countries_in_pipeline: int


def _status_rank() -> sa.Case:
    return sa.case(
        {status.value: rank for status, rank in _STATUS_RANK.items()},
        value=HotlineMembershipEvent.status,
    )


def membership_on_subquery(on: date) -> sa.Subquery:
    """One row per hotline that has any event on or before ``on``: (hotline_id, status)."""
    ranked = (
        sa.select(
            HotlineMembershipEvent.hotline_id,
            HotlineMembershipEvent.status,
            sa.func.row_number()
            .over(
                partition_by=HotlineMembershipEvent.hotline_id,
                order_by=(
                    HotlineMembershipEvent.event_date.desc(),
                    _status_rank().desc(),
                    HotlineMembershipEvent.id.desc(),
                ),
            )
            .label("rn"),
        )
        .where(HotlineMembershipEvent.event_date <= on)
        .subquery("ranked_membership")
    )
    return (
        sa.select(ranked.c.hotline_id, ranked.c.status)
        .where(ranked.c.rn == 1)
        .subquery("membership_on")
    )


def membership_status_on(session: Session, *, hotline_id: int, on: date) -> MembershipStatus | None:
    """The hotline's membership status on ``on`` (events dated ``on`` count), or None."""
    membership = membership_on_subquery(on)
    value = session.execute(
        sa.select(membership.c.status).where(membership.c.hotline_id == hotline_id)
    ).scalar_one_or_none()
    return MembershipStatus(value) if value is not None else None


def _stage_on_subquery(on: date) -> sa.Subquery:
    ranked = (
        sa.select(
            ExpansionStageEvent.target_id,
            ExpansionStageEvent.stage,
            sa.func.row_number()
            .over(
                partition_by=ExpansionStageEvent.target_id,
                # Stages may go back as well as forward, so on one day the later entry wins.
                order_by=(ExpansionStageEvent.entered_on.desc(), ExpansionStageEvent.id.desc()),
            )
            .label("rn"),
        )
        .where(ExpansionStageEvent.entered_on <= on)
        .subquery("ranked_stage")
    )
    return (
        sa.select(ExpansionTarget.country_code, ranked.c.stage)
        .join(ranked, ranked.c.target_id == ExpansionTarget.id)
        .where(ranked.c.rn == 1, ExpansionTarget.archived_at.is_(None))
        .subquery("stage_on")
    )


def _coverage_query(on: date) -> sa.Select:
    """One row per country with its coverage status on ``on``, decided in SQL.

    A country is covered when a hotline that is a provisional or full member on that date
    accepts reports for it; the best status among its hotlines counts. Otherwise it is in the
    pipeline when an (unarchived) expansion target had reached a stage by then.
    """
    membership = membership_on_subquery(on)
    covering_values = [s.value for s in COVERING_STATUSES]
    first_admitted = (
        sa.select(
            HotlineMembershipEvent.hotline_id,
            sa.func.min(HotlineMembershipEvent.event_date).label("since"),
        )
        .where(
            HotlineMembershipEvent.event_date <= on,
            HotlineMembershipEvent.status.in_(covering_values),
        )
        .group_by(HotlineMembershipEvent.hotline_id)
        .subquery("first_admitted")
    )
    per_country = (
        sa.select(
            hotline_countries.c.country_code,
            sa.func.max(
                sa.case((membership.c.status == MembershipStatus.FULL.value, 2), else_=1)
            ).label("level"),
            sa.func.count(sa.distinct(Hotline.id)).label("hotline_count"),
            sa.func.min(first_admitted.c.since).label("member_since"),
        )
        .join(Hotline, Hotline.id == hotline_countries.c.hotline_id)
        .join(membership, membership.c.hotline_id == Hotline.id)
        .join(first_admitted, first_admitted.c.hotline_id == Hotline.id)
        .where(Hotline.archived_at.is_(None), membership.c.status.in_(covering_values))
        .group_by(hotline_countries.c.country_code)
        .subquery("per_country")
    )
    stage_on = _stage_on_subquery(on)
    status = sa.case(
        (per_country.c.level == 2, CoverageStatus.FULL.value),
        (per_country.c.level == 1, CoverageStatus.PROVISIONAL.value),
        (stage_on.c.stage.is_not(None), CoverageStatus.PIPELINE.value),
        else_=CoverageStatus.NONE.value,
    )
    return (
        sa.select(
            Country.alpha2,
            Country.alpha3,
            Country.name,
            Country.region,
            Country.sub_region,
            status.label("status"),
            sa.func.coalesce(per_country.c.hotline_count, 0).label("hotline_count"),
            per_country.c.member_since,
            stage_on.c.stage,
        )
        .outerjoin(per_country, per_country.c.country_code == Country.alpha2)
        .outerjoin(stage_on, stage_on.c.country_code == Country.alpha2)
    )


def coverage_as_of(
    session: Session, *, on: date, region: str | None = None
) -> list[CountryCoverage]:
    """Every country's coverage on ``on`` (see ``_coverage_query``), ordered by name."""
    query = _coverage_query(on).order_by(Country.name)
    if region:
        query = query.where(Country.region == region)
    return [
        CountryCoverage(
            country_code=row.alpha2,
            alpha3=row.alpha3,
            name=row.name,
            region=row.region,
            sub_region=row.sub_region,
            status=CoverageStatus(row.status),
            hotline_count=row.hotline_count,
            member_since=row.member_since,
            pipeline_stage=ExpansionStage(row.stage) if row.stage is not None else None,
        )
        for row in session.execute(query)
    ]


def coverage_summary(session: Session, *, on: date) -> CoverageSummary:
    """Headline counts for ``on``: member hotlines (full / provisional) and countries covered."""
    membership = membership_on_subquery(on)
    full, provisional = session.execute(
        sa.select(
            sa.func.count().filter(membership.c.status == MembershipStatus.FULL.value),
            sa.func.count().filter(membership.c.status == MembershipStatus.PROVISIONAL.value),
        )
        .select_from(membership)
        .join(Hotline, Hotline.id == membership.c.hotline_id)
        .where(Hotline.archived_at.is_(None))
    ).one()
    coverage = _coverage_query(on).subquery("coverage")
    by_status: dict[str, int] = dict.fromkeys(CoverageStatus, 0)
    for status, count in session.execute(
        sa.select(coverage.c.status, sa.func.count()).group_by(coverage.c.status)
    ):
        by_status[status] = count
    return CoverageSummary(
        on=on,
        member_hotlines=full + provisional,
        full_hotlines=full,
        provisional_hotlines=provisional,
        countries_covered=by_status[CoverageStatus.FULL] + by_status[CoverageStatus.PROVISIONAL],
        countries_full=by_status[CoverageStatus.FULL],
        countries_provisional=by_status[CoverageStatus.PROVISIONAL],
        countries_in_pipeline=by_status[CoverageStatus.PIPELINE],
    )
