"""The coverage map on a date and the country panel beside it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from coordapp.network import compliance as network_compliance
from coordapp.network import coverage as network_coverage
from coordapp.network import membership as network_membership
from coordapp.network import pipeline as network_pipeline
from coordapp.network.models import (
    ExpansionStage,
    ExpansionTarget,
    Hotline,
    HotlineMembershipEvent,
    MembershipStatus,
    hotline_countries,
)
from coordapp.partners.models import Organization
from coordapp.reference.models import Country
from coordapp.reporting.common import as_int
from coordapp.training.models import TrainingEvent, TrainingParticipation

# How every drawing of the map shows a status: the dashboard's choropleth and the board pack's
# image alike.
STATUS_COLORS = {
    network_coverage.CoverageStatus.FULL: "#1d4e89",
    network_coverage.CoverageStatus.PROVISIONAL: "#5fa8d3",
    network_coverage.CoverageStatus.PIPELINE: "#f4a259",
    network_coverage.CoverageStatus.NONE: "#e4e7eb",
}
STATUS_LABELS = {
    network_coverage.CoverageStatus.FULL: "Full member",
    network_coverage.CoverageStatus.PROVISIONAL: "Provisional member",
    network_coverage.CoverageStatus.PIPELINE: "Expansion pipeline",
    network_coverage.CoverageStatus.NONE: "No hotline",
}


@dataclass(frozen=True, slots=True)
class MapCountry:
    code: str
    alpha3: str
    name: str
    region: str | None
    status: network_coverage.CoverageStatus
    hotlines: tuple[str, ...]
    member_since: date | None
    pipeline_stage: ExpansionStage | None
    is_sovereign: bool = True


@dataclass(frozen=True, slots=True)
class CoverageMap:
    """The map on ``on``: every country and territory drawn with its status, and the headline
    figures of ``summary`` (``network_coverage.coverage_summary`` for the same day and region)."""

    on: date
    region: str | None
    countries: tuple[MapCountry, ...]
    summary: network_coverage.CoverageSummary

    def count(self, *statuses: network_coverage.CoverageStatus) -> int:
        """Places drawn with one of ``statuses`` (countries and territories alike)."""
        return sum(1 for c in self.countries if c.status in statuses)

    @property
    def member_hotlines(self) -> int:
        return self.summary.member_hotlines

    @property
    def full_hotlines(self) -> int:
        return self.summary.full_hotlines

    @property
    def provisional_hotlines(self) -> int:
        return self.summary.provisional_hotlines

    @property
    def countries_covered(self) -> int:
        """Sovereign states covered (``network_coverage.coverage_summary``)."""
        return self.summary.countries_covered

    @property
    def territories_covered(self) -> int:
        """Dependent territories covered (``network_coverage.coverage_summary``)."""
        return self.summary.territories_covered

    @property
    def is_empty(self) -> bool:
        return (
            self.count(
                network_coverage.CoverageStatus.FULL,
                network_coverage.CoverageStatus.PROVISIONAL,
                network_coverage.CoverageStatus.PIPELINE,
            )
            == 0
        )


def coverage_map(session: Session, *, on: date, region: str | None = None) -> CoverageMap:
    """Every country and territory's coverage on ``on`` with the member hotlines that cover it
    on ``on`` (dated spells of ``hotline_countries`` and membership that day); the headline
    counts are ``network_coverage.coverage_summary`` for the same day and region (member
    hotlines in a region: those covering at least one of its countries or territories).
    """
    rows = network_coverage.coverage_as_of(session, on=on, region=region)
    members = network_coverage.member_hotlines_covering(session, on=on)
    names: dict[str, list[str]] = defaultdict(list)
    for member in members:
        if member.country_code is not None and (region is None or member.region == region):
            names[member.country_code].append(member.name)
    return CoverageMap(
        on=on,
        region=region,
        countries=tuple(
            MapCountry(
                code=r.country_code,
                alpha3=r.alpha3,
                name=r.name,
                region=r.region,
                status=r.status,
                hotlines=tuple(names.get(r.country_code, ())),
                member_since=r.member_since,
                pipeline_stage=r.pipeline_stage,
                is_sovereign=r.is_sovereign,
            )
            for r in rows
        ),
        summary=network_coverage.coverage_summary(
            session, on=on, region=region, rows=rows, members=members
        ),
    )


@dataclass(frozen=True, slots=True)
class MembershipStep:
    on: date
    status: MembershipStatus
    note: str | None


@dataclass(frozen=True, slots=True)
class PanelHotline:
    id: int
    name: str
    home_country: str
    status: MembershipStatus | None
    history: tuple[MembershipStep, ...]


@dataclass(frozen=True, slots=True)
class PanelExpansion:
    stage: ExpansionStage | None
    priority: str
    owner: str | None
    next_step: str | None
    next_step_due: date | None
    history: tuple[tuple[date, ExpansionStage], ...]
    # The target as the pipeline sees it on the panel's date (None: not in the pipeline then),
    # with how long its stage has been open and whether that is over the benchmark.
    pipeline: network_pipeline.PipelineTarget | None = None


@dataclass(frozen=True, slots=True)
class PanelTraining:
    title: str
    start_date: date
    hotline: str
    participants: int
    participation_id: int = 0  # the row, to show it as the event's page does


@dataclass(frozen=True, slots=True)
class CountryPanel:
    code: str
    name: str
    region: str | None
    sub_region: str | None
    on: date
    status: network_coverage.CoverageStatus
    member_since: date | None
    hotlines: tuple[PanelHotline, ...]
    expansion: PanelExpansion | None
    partners: tuple[tuple[str, str, str], ...]  # (name, kind, status)
    trainings: tuple[PanelTraining, ...]
    trainings_attended: int
    participants_trained: int


def country_panel(session: Session, *, code: str, on: date) -> CountryPanel | None:
    """What the map's side panel shows for one country on ``on``; None for an unknown code."""
    country = session.get(Country, code.upper()) if code else None
    if country is None:
        return None
    coverage = next(
        iter(network_coverage.coverage_as_of(session, on=on, country=country.alpha2)), None
    )
    # Each of the country's few hotlines looks its status up through the index on its events
    # (joined to membership_on_subquery, every hotline's history was ranked first).
    status = network_membership.membership_status_of(Hotline.id, on).label("status")
    hotline_rows = session.execute(
        sa.select(Hotline.id, Hotline.name, Hotline.country_code, status)
        .join(hotline_countries, hotline_countries.c.hotline_id == Hotline.id)
        .where(
            hotline_countries.c.country_code == country.alpha2,
            network_coverage.spell_covers(on),
            Hotline.archived_at.is_(None),
        )
        .order_by(Hotline.name)
    ).all()
    history: dict[int, list[MembershipStep]] = defaultdict(list)
    if hotline_rows:
        for event in session.execute(
            sa.select(
                HotlineMembershipEvent.hotline_id,
                HotlineMembershipEvent.event_date,
                HotlineMembershipEvent.status,
                HotlineMembershipEvent.note,
            )
            .where(
                HotlineMembershipEvent.hotline_id.in_([r.id for r in hotline_rows]),
                HotlineMembershipEvent.event_date <= on,
            )
            .order_by(HotlineMembershipEvent.event_date, HotlineMembershipEvent.id)
        ):
            history[event.hotline_id].append(
                MembershipStep(event.event_date, MembershipStatus(event.status), event.note)
            )
    hotlines = tuple(
        PanelHotline(
            id=r.id,
            name=r.name,
            home_country=r.country_code,
            status=MembershipStatus(r.status) if r.status else None,
            history=tuple(history.get(r.id, ())),
        )
        for r in hotline_rows
        if history.get(r.id)
    )
    return CountryPanel(
        code=country.alpha2,
        name=country.name,
        region=country.region,
        sub_region=country.sub_region,
        on=on,
        status=coverage.status if coverage else network_coverage.CoverageStatus.NONE,
        member_since=coverage.member_since if coverage else None,
        hotlines=hotlines,
        expansion=_panel_expansion(session, code=country.alpha2, on=on),
        partners=tuple(
            (row.name, row.kind, row.status)
            for row in session.execute(
                sa.select(Organization.name, Organization.kind, Organization.status)
                .where(
                    Organization.hq_country_code == country.alpha2,
                    Organization.archived_at.is_(None),
                    Organization.kind != "hotline_operator",
                )
                .order_by(Organization.name)
            )
        ),
        **_panel_trainings(session, code=country.alpha2, on=on),
    )


def _panel_expansion(session: Session, *, code: str, on: date) -> PanelExpansion | None:
    target = session.scalars(
        sa.select(ExpansionTarget)
        .options(joinedload(ExpansionTarget.owner))
        .where(ExpansionTarget.country_code == code, ExpansionTarget.archived_at.is_(None))
    ).first()
    if target is None:
        return None
    # Its stage moves up to ``on``, in the order the relationship loads them (date, then id).
    steps = tuple(
        (e.entered_on, ExpansionStage(e.stage)) for e in target.stage_events if e.entered_on <= on
    )
    return PanelExpansion(
        stage=steps[-1][1] if steps else None,
        priority=str(target.priority),
        owner=target.owner.full_name if target.owner else None,
        next_step=target.next_step,
        next_step_due=target.next_step_due,
        history=steps,
        pipeline=next(
            iter(network_pipeline.pipeline_targets(session, on=on, country_code=code)), None
        ),
    )


def _panel_trainings(session: Session, *, code: str, on: date) -> dict[str, Any]:
    """Trainings attended by hotlines based in the country, up to ``on``."""
    base = (
        sa.select(
            TrainingEvent.id,
            TrainingEvent.title,
            TrainingEvent.start_date,
            Hotline.name.label("hotline"),
            TrainingParticipation.participants,
            TrainingParticipation.id.label("participation_id"),
        )
        .join(TrainingParticipation, TrainingParticipation.event_id == TrainingEvent.id)
        .join(Hotline, Hotline.id == TrainingParticipation.hotline_id)
        .where(
            Hotline.country_code == code,
            TrainingEvent.archived_at.is_(None),
            TrainingEvent.start_date <= on,
        )
        .subquery("attended")
    )
    events, people = session.execute(
        sa.select(sa.func.count(sa.distinct(base.c.id)), sa.func.sum(base.c.participants))
    ).one()
    latest = session.execute(
        sa.select(
            base.c.title,
            base.c.start_date,
            base.c.hotline,
            base.c.participants,
            base.c.participation_id,
        )
        .order_by(base.c.start_date.desc(), base.c.title)
        .limit(8)
    ).all()
    return {
        "trainings": tuple(
            PanelTraining(
                r.title, r.start_date, r.hotline, int(r.participants), int(r.participation_id)
            )
            for r in latest
        ),
        "trainings_attended": as_int(events),
        "participants_trained": as_int(people),
    }


def compliance_shares(session: Session, *, today: date) -> dict[str, float]:
    """The coverage map's compliance colouring: per country (alpha-2), the share of the
    full-membership requirements its member hotlines satisfy today (one rule:
    ``network.compliance.compliance_share_by_country``)."""
    return network_compliance.compliance_share_by_country(session, today=today)
