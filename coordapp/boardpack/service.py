"""The board pack's figures for one year, gathered from the reporting and network services.

Every figure comes from the same service function the dashboards call, with the same
arguments for the same date, so the pack and the dashboards cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import disclosure
from coordapp.funding import amounts as funding_amounts
from coordapp.funding.rate_info import MoneyTotal
from coordapp.network import coverage as network_coverage
from coordapp.network import pipeline as network_pipeline
from coordapp.network.models import (
    ExpansionStage,
    Hotline,
    HotlineMembershipEvent,
    MembershipStatus,
)
from coordapp.partners import agreements
from coordapp.reference.models import Country
from coordapp.reporting import activity as activity_report
from coordapp.reporting import coverage as coverage_report
from coordapp.reporting import funding as funding_report
from coordapp.reporting import pillars as pillar_report
from coordapp.reporting import training as training_report
from coordapp.reporting.common import period_end

FIRST_YEAR = 1999  # the network's founding year: no board pack before it
_ADMITTED = (MembershipStatus.PROVISIONAL.value, MembershipStatus.FULL.value)


@dataclass(frozen=True, slots=True)
class YearChoice:
    year: int
    message: str | None  # why the asked-for year was not used


@dataclass(frozen=True, slots=True)
class HotlineEvent:
    name: str
    country: str
    on: date
    status: MembershipStatus


@dataclass(frozen=True, slots=True)
class PipelineEntry:
    country_code: str
    country: str
    stage: ExpansionStage
    priority: str
    next_step_due: date | None
    stage_since: date
    stalled: bool  # the stage has been open longer than the benchmark on the pack's date


@dataclass(frozen=True, slots=True)
class BoardPack:
    year: int
    today: date
    measured_on: date  # 31 December of the year, or today in the current year
    previous_on: date  # 31 December of the year before
    coverage: network_coverage.CoverageSummary
    coverage_before: network_coverage.CoverageSummary
    partnerships_in_force: int  # partners.count_in_force on ``measured_on``
    partnerships_in_force_before: int  # ... on ``previous_on``
    new_hotlines: tuple[HotlineEvent, ...]
    lapsed_hotlines: tuple[HotlineEvent, ...]
    funding: funding_report.FundingFigures
    outstanding: MoneyTotal  # of the year's pledges, not received by measured_on
    training: training_report.TrainingFigures
    pillars: pillar_report.PillarFigures
    pipeline: tuple[PipelineEntry, ...]
    metrics: tuple[activity_report.MetricInfo, ...]
    # Per metric, the network's quarters of the year (approved figures; provisional named).
    activity: tuple[activity_report.ActivityFigures, ...] = ()
    reporting_rates: tuple[activity_report.QuarterRates, ...] = ()

    @property
    def funding_by_pillar(self) -> tuple[funding_report.FundingPillarYear, ...]:
        """The funding report's pillar rows of the pack's year."""
        return tuple(row for row in self.funding.by_pillar if row.year == self.year)

    @property
    def funding_total(self) -> funding_report.FundingYear:
        return self.funding.by_year[0]

    @property
    def training_events(self) -> int:
        return sum(row.events for row in self.training.by_kind)

    @property
    def training_participants(self) -> int:
        return sum(row.participants for row in self.training.by_kind)

    @property
    def rates_note(self) -> str:
        return self.funding.rates.note

    @property
    def metric_versions(self) -> str:
        return "; ".join(f"{m.code} v{m.version}" for m in self.metrics) or "none"

    def pipeline_by_stage(self) -> tuple[tuple[ExpansionStage, int], ...]:
        counts: dict[ExpansionStage, int] = {}
        for entry in self.pipeline:
            counts[entry.stage] = counts.get(entry.stage, 0) + 1
        return tuple((stage, counts[stage]) for stage in ExpansionStage if stage in counts)


def last_complete_year(*, today: date) -> int:
    return today.year - 1


def choose_year(raw: str | None, *, today: date) -> YearChoice:
    """The year asked for, or the last complete year with a message saying why."""
    default = last_complete_year(today=today)
    if raw is None or not raw.strip():
        return YearChoice(default, None)
    text = raw.strip()
    if not text.isdecimal() or len(text) > 4:
        return YearChoice(default, f"“{text[:20]}” is not a year; showing {default}.")
    year = int(text)
    if year < FIRST_YEAR:
        return YearChoice(default, f"Board packs start in {FIRST_YEAR}; showing {default}.")
    if year > today.year:
        return YearChoice(default, f"{year} has not started yet; showing {default}.")
    return YearChoice(year, None)


def _new_hotlines(session: Session, *, year: int, on: date) -> tuple[HotlineEvent, ...]:
    """Hotlines first admitted (provisional or full) in ``year``, up to ``on``."""
    first = (
        sa.select(
            HotlineMembershipEvent.hotline_id,
            sa.func.min(HotlineMembershipEvent.event_date).label("since"),
        )
        .where(HotlineMembershipEvent.status.in_(_ADMITTED))
        .group_by(HotlineMembershipEvent.hotline_id)
        .subquery("first_admitted")
    )
    first_status = (
        sa.select(HotlineMembershipEvent.status)
        .where(
            HotlineMembershipEvent.hotline_id == first.c.hotline_id,
            HotlineMembershipEvent.event_date == first.c.since,
            HotlineMembershipEvent.status.in_(_ADMITTED),
        )
        .order_by(HotlineMembershipEvent.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = session.execute(
        sa.select(Hotline.name, Country.name, first.c.since, first_status)
        .join(first, first.c.hotline_id == Hotline.id)
        .join(Country, Country.alpha2 == Hotline.country_code)
        .where(
            Hotline.archived_at.is_(None),
            first.c.since >= date(year, 1, 1),
            first.c.since <= on,
        )
        .order_by(first.c.since, Hotline.name)
    )
    return tuple(
        HotlineEvent(name, country, since, MembershipStatus(status))
        for name, country, since, status in rows
    )


def _lapsed_hotlines(session: Session, *, year: int, on: date) -> tuple[HotlineEvent, ...]:
    """Withdrawals recorded in ``year``, up to ``on``."""
    rows = session.execute(
        sa.select(Hotline.name, Country.name, HotlineMembershipEvent.event_date)
        .join(Hotline, Hotline.id == HotlineMembershipEvent.hotline_id)
        .join(Country, Country.alpha2 == Hotline.country_code)
        .where(
            Hotline.archived_at.is_(None),
            HotlineMembershipEvent.status == MembershipStatus.WITHDRAWN.value,
            HotlineMembershipEvent.event_date >= date(year, 1, 1),
            HotlineMembershipEvent.event_date <= on,
        )
        .order_by(HotlineMembershipEvent.event_date, Hotline.name)
    )
    return tuple(
        HotlineEvent(name, country, day, MembershipStatus.WITHDRAWN) for name, country, day in rows
    )


def _pipeline(session: Session, *, on: date) -> tuple[PipelineEntry, ...]:
    """The expansion pipeline on ``on``: the network service's one definition, latest stage
    first (its length is the coverage table's "countries in the pipeline")."""
    return tuple(
        PipelineEntry(
            t.country_code,
            t.country,
            t.stage,
            t.priority.value,
            t.next_step_due,
            t.stage_since,
            t.stalled,
        )
        for t in network_pipeline.pipeline_targets(session, on=on)
    )


def board_pack(session: Session, *, year: int, today: date) -> BoardPack:
    """All of the year's figures, measured at year end (or ``today`` in the current year);
    money in EUR, each row at the rate of its own date (so a past year's pack never changes
    when a rate is added)."""
    measured_on = period_end(year, today=today)
    previous_on = date(year - 1, 12, 31)
    return BoardPack(
        year=year,
        today=today,
        measured_on=measured_on,
        previous_on=previous_on,
        coverage=network_coverage.coverage_summary(session, on=measured_on),
        coverage_before=network_coverage.coverage_summary(session, on=previous_on),
        partnerships_in_force=agreements.count_in_force(session, on=measured_on),
        partnerships_in_force_before=agreements.count_in_force(session, on=previous_on),
        new_hotlines=_new_hotlines(session, year=year, on=measured_on),
        lapsed_hotlines=_lapsed_hotlines(session, year=year, on=measured_on),
        funding=funding_report.funding_figures(
            session, first_year=year, last_year=year, currency="EUR", until=measured_on
        ),
        outstanding=funding_amounts.outstanding_total(
            session, start=date(year, 1, 1), end=measured_on, on=measured_on, currency="EUR"
        ),
        training=training_report.training_figures(
            session, first_year=year, last_year=year, until=measured_on
        ),
        pillars=pillar_report.pillar_progress(session, year=year, today=today),
        pipeline=_pipeline(session, on=measured_on),
        metrics=activity_report.metrics(session),
        activity=tuple(
            activity_report.hotline_activity(
                session,
                metric_code=m.code,
                group_by="network",
                first_year=year,
                last_year=year,
                small_below=disclosure.threshold(),
            )
            for m in activity_report.metrics(session)
        ),
        reporting_rates=activity_report.reporting_rates(
            session, first_year=year, last_year=year, today=today
        ),
    )


@dataclass(frozen=True, slots=True)
class BoardMaps:
    """The coverage map at the pack's date and a year before, as the map dashboard has them."""

    now: coverage_report.CoverageMap
    before: coverage_report.CoverageMap


def board_maps(session: Session, *, pack: BoardPack) -> BoardMaps:
    """``reporting.coverage.coverage_map`` on the pack's two dates: each place's status is the
    dashboard's, and each map's counts are the pack's coverage figures for the same day."""
    return BoardMaps(
        now=coverage_report.coverage_map(session, on=pack.measured_on),
        before=coverage_report.coverage_map(session, on=pack.previous_on),
    )
