"""The numbers behind the leadership dashboards, computed in SQL.

Small keyword-only functions over a session, each returning a frozen dataclass of tuples (safe
to cache and share between requests). They read only; they never write. Money stays
``Decimal`` and every converted amount names the exchange-rate date it used (``RateInfo``).

Choices that the dashboards show to their readers:

* A year's figures are measured up to its last day, or up to ``today`` for the current year.
* Money converts through ``coordapp.funding.conversion``: each row at the rate of its own
  date (a past year never moves when a rate is added), or at constant rates of one date.
* Received money by pillar: each receipt is split pro rata by its commitment's allocations
  (allocation amount / commitment amount); pledged money by pillar is the allocations.
* Pillar indicators about trainings and funding count the target's pillar only; the others
  (member hotlines, countries covered, partnerships, expansion targets) measure the network.
* Pillar indicators are stocks (levels on a date) or flows (counts over the year); a stock is
  expected on the straight path from its start-of-year value to its target, a flow at target
  x the share of the year elapsed (``expected_by_now``).
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.auth.models import User
from coordapp.funding import conversion
from coordapp.funding import service as funding
from coordapp.funding.models import (
    FundingAllocation,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.network import coverage as network_coverage
from coordapp.network import membership as network_membership
from coordapp.network import pipeline as network_pipeline
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
from coordapp.partners import agreements
from coordapp.partners.models import (
    Organization,
    Partnership,
    PartnershipType,
    partnership_pillars,
)
from coordapp.pillars.models import IndicatorKind, Pillar, PillarIndicator, PillarTarget
from coordapp.reference.models import Country
from coordapp.stats.models import HotlineStatistic, MetricDefinition, MetricUnit
from coordapp.training.models import TrainingEvent, TrainingParticipation

FIRST_YEAR = 1999  # the network's founding year: where the map's slider starts
RENEWAL_WINDOW_DAYS = agreements.RENEWAL_WINDOW_DAYS
ACTIVITY_TOP_GROUPS = 8
ACTIVITY_BAR_GROUPS = 25
TRAINING_TOP_HOTLINES = 25

_COVERING = [s.value for s in COVERING_STATUSES]


# ---------------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------------


def period_end(year: int, *, today: date) -> date:
    """The day a year's figures are measured on: 31 December, or ``today`` in the current year."""
    return min(date(year, 12, 31), today)


def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _year_of(column: Any) -> Any:
    return sa.cast(sa.extract("year", column), sa.Integer)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


REPORT_WORK_MEM = "64MB"


def _enough_memory_to_group(session: Session) -> None:
    """PostgreSQL: room for a report's hash aggregates in memory for the rest of the
    transaction (the 4 MB default sends the funding page's groups to disk and to sorts)."""
    if _dialect(session) == "postgresql":
        session.execute(sa.text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))


def _in_years(session: Session, column: Any, first: int, last: int) -> Any:
    """``column`` (a date) falls in the years ``first``..``last``.

    PostgreSQL gets a date range (its statistics estimate it well; an expression on the column
    would be guessed at 0.5 % of the rows and lead it to nested loops). SQLite gets the year
    expression: given a date range covering most of a table it walks the date index row by
    row, about three times slower than reading the table.
    """
    if _dialect(session) == "sqlite":
        return _year_of(column).between(first, last)
    return column.between(date(first, 1, 1), date(last, 12, 31))


def _int(value: Any) -> int:
    return int(value or 0)


def _dec(value: Any, places: str = "0.0001") -> Decimal:
    """A database number as Decimal (SQLite hands back floats: round off their binary noise)."""
    if value is None:
        return Decimal(0)
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_EVEN)


RateInfo = conversion.RateInfo


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def regions(session: Session) -> tuple[str, ...]:
    """The UN M49 regions countries belong to (for the region filter)."""
    return tuple(
        session.scalars(
            sa.select(Country.region)
            .where(Country.region.is_not(None))
            .distinct()
            .order_by(Country.region)
        )
    )


def country_codes(session: Session) -> frozenset[str]:
    """Every ISO 3166-1 alpha-2 code in the reference table."""
    return frozenset(session.scalars(sa.select(Country.alpha2)))


def pillars(session: Session) -> tuple[tuple[str, str], ...]:
    """(code, name) of the pillars in their order."""
    return tuple(
        (row.code, row.name)
        for row in session.execute(
            sa.select(Pillar.code, Pillar.name).order_by(Pillar.sort_order, Pillar.name)
        )
    )


# ---------------------------------------------------------------------------------------------
# Coverage map
# ---------------------------------------------------------------------------------------------


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
    figures of ``summary`` (``network.coverage_summary`` for the same day and region)."""

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
        """Sovereign states covered (``network.coverage_summary``)."""
        return self.summary.countries_covered

    @property
    def territories_covered(self) -> int:
        """Dependent territories covered (``network.coverage_summary``)."""
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
    counts are ``network.coverage_summary`` for the same day and region (member hotlines in a
    region: those covering at least one of its countries or territories).
    """
    rows = network_coverage.coverage_as_of(session, on=on, region=region)
    membership = network_membership.membership_on_subquery(on)
    query = (
        sa.select(
            hotline_countries.c.country_code,
            Hotline.id,
            Hotline.name,
            membership.c.status,
        )
        .join(Hotline, Hotline.id == hotline_countries.c.hotline_id)
        .join(membership, membership.c.hotline_id == Hotline.id)
        .where(
            Hotline.archived_at.is_(None),
            membership.c.status.in_(_COVERING),
            network_coverage.spell_covers(on),
        )
        .order_by(hotline_countries.c.country_code, Hotline.name)
    )
    if region:
        query = query.join(Country, Country.alpha2 == hotline_countries.c.country_code).where(
            Country.region == region
        )
    names: dict[str, list[str]] = defaultdict(list)
    for country_code, _hotline_id, name, _status in session.execute(query):
        names[country_code].append(name)
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
        summary=network_coverage.coverage_summary(session, on=on, region=region),
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
        (
            c
            for c in network_coverage.coverage_as_of(session, on=on, region=country.region)
            if c.country_code == country.alpha2
        ),
        None,
    )
    membership = network_membership.membership_on_subquery(on)
    hotline_rows = session.execute(
        sa.select(Hotline.id, Hotline.name, Hotline.country_code, membership.c.status)
        .join(hotline_countries, hotline_countries.c.hotline_id == Hotline.id)
        .outerjoin(membership, membership.c.hotline_id == Hotline.id)
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
    row = session.execute(
        sa.select(
            ExpansionTarget.id,
            ExpansionTarget.priority,
            ExpansionTarget.next_step,
            ExpansionTarget.next_step_due,
            User.full_name,
        )
        .outerjoin(User, User.id == ExpansionTarget.owner_id)
        .where(ExpansionTarget.country_code == code, ExpansionTarget.archived_at.is_(None))
    ).first()
    if row is None:
        return None
    steps = tuple(
        (e.entered_on, ExpansionStage(e.stage))
        for e in session.execute(
            sa.select(ExpansionStageEvent.entered_on, ExpansionStageEvent.stage)
            .where(ExpansionStageEvent.target_id == row.id, ExpansionStageEvent.entered_on <= on)
            .order_by(ExpansionStageEvent.entered_on, ExpansionStageEvent.id)
        )
    )
    return PanelExpansion(
        stage=steps[-1][1] if steps else None,
        priority=str(row.priority),
        owner=row.full_name,
        next_step=row.next_step,
        next_step_due=row.next_step_due,
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
        "trainings_attended": _int(events),
        "participants_trained": _int(people),
    }


# ---------------------------------------------------------------------------------------------
# Growth of the network and the overview
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GrowthPoint:
    year: int
    on: date
    member_hotlines: int
    full_hotlines: int
    provisional_hotlines: int
    countries_covered: int
    territories_covered: int = 0


def _status_rank() -> sa.Case:
    return sa.case(
        {status.value: rank for status, rank in network_membership.STATUS_RANK.items()},
        value=HotlineMembershipEvent.status,
    )


def network_growth(
    session: Session, *, today: date, first_year: int = FIRST_YEAR
) -> tuple[GrowthPoint, ...]:
    """Member hotlines, countries covered and territories covered at each year end (today for
    the current year): the figures of ``network.coverage_summary`` on each of those days (the
    map's year replay), computed for all years at once.

    ``countries_covered`` counts sovereign states, ``territories_covered`` dependent
    territories, each covered on the day by a provisional or full member hotline whose
    ``hotline_countries`` spell is in force that day (``network.spell_covers``).

    One statement: each membership event is valid until the next one of its hotline (LEAD in
    the same order as the status-on-a-date rule: date, lifecycle rank, id); a year-end falls in
    exactly one such span per hotline.
    """
    if first_year > today.year:
        return ()
    days = [(y, period_end(y, today=today)) for y in range(first_year, today.year + 1)]
    # A UNION ALL of literals: portable where VALUES with column aliases is not (SQLite).
    years = sa.union_all(
        *(
            sa.select(
                sa.literal(y, sa.Integer).label("year"), sa.literal(d, sa.Date).label("as_of")
            )
            for y, d in days
        )
    ).cte("years")
    spans = (
        sa.select(
            HotlineMembershipEvent.hotline_id,
            HotlineMembershipEvent.status,
            HotlineMembershipEvent.event_date.label("valid_from"),
            sa.func.lead(HotlineMembershipEvent.event_date)
            .over(
                partition_by=HotlineMembershipEvent.hotline_id,
                order_by=(
                    HotlineMembershipEvent.event_date,
                    _status_rank(),
                    HotlineMembershipEvent.id,
                ),
            )
            .label("valid_until"),
        )
        .join(Hotline, Hotline.id == HotlineMembershipEvent.hotline_id)
        .where(Hotline.archived_at.is_(None))
        .subquery("spans")
    )
    members = (
        sa.select(years.c.year, spans.c.hotline_id, spans.c.status)
        .join(
            spans,
            sa.and_(
                spans.c.valid_from <= years.c.as_of,
                sa.or_(spans.c.valid_until.is_(None), spans.c.valid_until > years.c.as_of),
            ),
        )
        .where(spans.c.status.in_(_COVERING))
        .subquery("members")
    )
    covered = (
        sa.select(members.c.year, hotline_countries.c.country_code, Country.is_sovereign)
        .join(years, years.c.year == members.c.year)
        .join(hotline_countries, hotline_countries.c.hotline_id == members.c.hotline_id)
        .join(Country, Country.alpha2 == hotline_countries.c.country_code)
        .where(network_coverage.spell_covers(years.c.as_of))
        .distinct()
        .subquery("covered")
    )
    countries = (
        sa.select(
            covered.c.year,
            sa.func.count().filter(covered.c.is_sovereign.is_(True)).label("countries"),
            sa.func.count().filter(covered.c.is_sovereign.is_(False)).label("territories"),
        )
        .group_by(covered.c.year)
        .subquery("countries")
    )
    hotlines = (
        sa.select(
            members.c.year,
            sa.func.count().label("hotlines"),
            sa.func.count().filter(members.c.status == MembershipStatus.FULL.value).label("full"),
        )
        .group_by(members.c.year)
        .subquery("hotlines")
    )
    rows = session.execute(
        sa.select(
            years.c.year,
            years.c.as_of,
            hotlines.c.hotlines,
            hotlines.c.full,
            countries.c.countries,
            countries.c.territories,
        )
        .outerjoin(hotlines, hotlines.c.year == years.c.year)
        .outerjoin(countries, countries.c.year == years.c.year)
        .order_by(years.c.year)
    ).all()
    return tuple(
        GrowthPoint(
            year=row.year,
            on=_as_date(row.as_of),
            member_hotlines=_int(row.hotlines),
            full_hotlines=_int(row.full),
            provisional_hotlines=_int(row.hotlines) - _int(row.full),
            countries_covered=_int(row.countries),
            territories_covered=_int(row.territories),
        )
        for row in rows
    )


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str
    label: str
    value: Decimal
    previous: Decimal
    unit: str  # "count" or a currency code
    note: str

    @property
    def change(self) -> Decimal:
        return self.value - self.previous


@dataclass(frozen=True, slots=True)
class Overview:
    today: date
    compared_with: date
    currency: str
    rates: RateInfo
    kpis: tuple[Kpi, ...]
    growth: tuple[GrowthPoint, ...]

    @property
    def is_empty(self) -> bool:
        return all(k.value == 0 and k.previous == 0 for k in self.kpis)


def trainings_between(session: Session, start: date, end: date) -> tuple[int, int]:
    """Trainings held (started) between ``start`` and ``end`` and their participants."""
    row = session.execute(
        sa.select(
            sa.func.count(sa.distinct(TrainingEvent.id)),
            sa.func.coalesce(sa.func.sum(TrainingParticipation.participants), 0),
        )
        .outerjoin(TrainingParticipation, TrainingParticipation.event_id == TrainingEvent.id)
        .where(TrainingEvent.archived_at.is_(None), TrainingEvent.start_date.between(start, end))
    ).one()
    return _int(row[0]), _int(row[1])


def overview(session: Session, *, today: date, currency: str = "EUR") -> Overview:
    """KPI tiles for ``today`` (this year up to today) against the same day a year earlier."""
    before = one_year_before(today)
    now_cov = network_coverage.coverage_summary(session, on=today)
    then_cov = network_coverage.coverage_summary(session, on=before)
    pledged_now = funding.pledged_total(
        session, start=date(today.year, 1, 1), end=today, currency=currency
    )
    pledged_then = funding.pledged_total(
        session, start=date(before.year, 1, 1), end=before, currency=currency
    )
    received_now = funding.received_total(
        session, start=date(today.year, 1, 1), end=today, currency=currency
    )
    received_then = funding.received_total(
        session, start=date(before.year, 1, 1), end=before, currency=currency
    )
    trainings_now, people_now = trainings_between(session, date(today.year, 1, 1), today)
    trainings_then, people_then = trainings_between(session, date(before.year, 1, 1), before)
    totals = (pledged_now, pledged_then, received_now, received_then)
    rates = conversion.merge(currency, [t.rates for t in totals])
    ytd = f"1 Jan–{today.strftime('%d %b')}"

    def count(key: str, label: str, now: int, then: int, note: str) -> Kpi:
        return Kpi(key, label, Decimal(now), Decimal(then), "count", note)

    kpis = (
        count(
            "member_hotlines",
            "Member hotlines",
            now_cov.member_hotlines,
            then_cov.member_hotlines,
            f"{now_cov.full_hotlines} full · {now_cov.provisional_hotlines} provisional",
        ),
        count(
            "countries_covered",
            network_coverage.COUNTRIES_COVERED_LABEL,
            now_cov.countries_covered,
            then_cov.countries_covered,
            f"sovereign states · {now_cov.countries_in_pipeline} more in the expansion pipeline",
        ),
        count(
            "territories_covered",
            network_coverage.TERRITORIES_COVERED_LABEL,
            now_cov.territories_covered,
            then_cov.territories_covered,
            "dependent territories, counted apart",
        ),
        count(
            "partnerships_in_force",
            agreements.IN_FORCE_LABEL,
            agreements.count_in_force(session, on=today),
            agreements.count_in_force(session, on=before),
            "active agreements, started and not past their end date",
        ),
        Kpi(
            "pledged",
            f"Funding pledged {today.year}",
            pledged_now.amount,
            pledged_then.amount,
            currency,
            f"{ytd}, not cancelled",
        ),
        Kpi(
            "received",
            f"Funding received {today.year}",
            received_now.amount,
            received_then.amount,
            currency,
            ytd,
        ),
        count("trainings", f"Trainings {today.year}", trainings_now, trainings_then, ytd),
        count(
            "participants",
            f"Training participants {today.year}",
            people_now,
            people_then,
            ytd,
        ),
    )
    return Overview(
        today=today,
        compared_with=before,
        currency=currency,
        rates=rates,
        kpis=kpis,
        growth=network_growth(session, today=today),
    )


# ---------------------------------------------------------------------------------------------
# Partnerships
# ---------------------------------------------------------------------------------------------


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
    in_force: int  # partners.count_in_force on ``on``
    expired: int  # partners.count_expired on ``on`` (ended without a decision)
    by_status: tuple[tuple[str, int], ...]  # status on ``on`` (partners.AgreementState)
    by_type: tuple[tuple[str, int], ...]
    by_pillar: tuple[tuple[str, int], ...]
    by_kind: tuple[tuple[str, int], ...]
    new_per_year: tuple[tuple[int, str, int], ...]  # (year, type, count)
    renewals: tuple[Renewal, ...]  # partners.renewals_due_condition on ``on``, overdue first

    @property
    def is_empty(self) -> bool:
        return not self.by_status


def partnership_figures(
    session: Session, *, on: date, status: str | None = None
) -> PartnershipFigures:
    """Unarchived partnerships by their status on ``on`` (``partners.state_on_expression``:
    "active" is in force, "expired" is still recorded as active but past its end date), and (of
    ``status``, or all) by type, pillar, kind; the renewals due on ``on``."""
    live = Partnership.archived_at.is_(None)
    state = agreements.state_on_expression(on)
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
    order = {s.value: i for i, s in enumerate(agreements.AgreementState)}
    notice = agreements.RENEWAL_DUE
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
        .where(agreements.renewals_due_condition(on))
        .order_by(notice, Partnership.title)
    ).all()
    year = _year_of(Partnership.start_date)
    return PartnershipFigures(
        on=on,
        status=status,
        in_force=agreements.count_in_force(session, on=on),
        expired=agreements.count_expired(session, on=on),
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


# ---------------------------------------------------------------------------------------------
# Funding
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FundingYear:
    year: int
    pledged: Decimal
    received: Decimal


@dataclass(frozen=True, slots=True)
class FundingShare:
    key: str
    pledged: Decimal
    received: Decimal


@dataclass(frozen=True, slots=True)
class FundingPillarYear:
    year: int
    pillar: str
    pledged: Decimal
    received: Decimal


@dataclass(frozen=True, slots=True)
class FundingFigures:
    first_year: int
    last_year: int
    rates: RateInfo
    by_year: tuple[FundingYear, ...]
    by_pillar: tuple[FundingPillarYear, ...]
    by_funder: tuple[tuple[str, str, Decimal, Decimal], ...]  # (funder, kind, pledged, received)
    by_kind: tuple[FundingShare, ...]

    @property
    def currency(self) -> str:
        return self.rates.currency

    @property
    def is_empty(self) -> bool:
        return not any(y.pledged or y.received for y in self.by_year)


def funding_figures(
    session: Session,
    *,
    first_year: int,
    last_year: int,
    currency: str = "EUR",
    constant_on: date | None = None,
    until: date | None = None,
) -> FundingFigures:
    """Pledged (commitments not cancelled, by pledge date) and received (by receipt date) per
    year, per pillar, per funder and funder kind, in ``currency``: each row at the rate of its
    own date, or all at the rates of ``constant_on`` (see ``coordapp.funding.conversion``).

    Rows dated after ``until`` (the measuring date: today in the current year) are not counted.
    Each group is converted and rounded on its own (a kind's total is not the sum of its
    funders' rounded totals)."""
    quantum = conversion.minor_quantum(session, currency)
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    if until is not None:
        end = min(end, until)
    _enough_memory_to_group(session)
    pledge_year = _year_of(FundingCommitment.pledged_on)
    receipt_year = _year_of(FundingReceipt.received_on)
    text = sa.String()

    def rows(part: str, amounts: sa.Select, year: Any, *extra: Any) -> sa.Select:
        """``amounts`` in the one shape of all four parts: part, year, pillar, funder, kind and
        the money columns (a key a part has not is NULL)."""
        named = {c.key: c for c in extra}
        money = amounts.selected_columns
        return amounts.with_only_columns(
            sa.literal(part, text).label("part"),
            year.label("year"),
            *(
                named.get(k, sa.cast(sa.null(), text)).label(k)
                for k in ("pillar", "funder", "kind")
            ),
            money.currency_code,
            money.amount,
            money.dated,
        )

    pillar = Pillar.name.label("pillar")
    funder = (Organization.name.label("funder"), Organization.kind.label("kind"))
    by_funder = (Organization, Organization.id == FundingCommitment.funder_id)
    by_pillar = (Pillar, Pillar.id == FundingAllocation.pillar_id)
    parts = (
        ("pledged", funding.pledged_amounts(start=start, end=end).join(*by_funder), pledge_year),
        (
            "received",
            funding.received_amounts(start=start, end=end)
            .join(FundingCommitment, FundingCommitment.id == FundingReceipt.commitment_id)
            .join(*by_funder),
            receipt_year,
        ),
        (
            "pledged_pillar",
            funding.pledged_by_pillar_amounts(start=start, end=end).join(*by_pillar),
            pledge_year,
        ),
        (
            "received_pillar",
            funding.received_by_pillar_amounts(start=start, end=end).join(*by_pillar),
            receipt_year,
        ),
    )
    amounts = sa.union_all(
        *(
            rows(name, select, year, *((pillar,) if name.endswith("_pillar") else funder))
            for name, select, year in parts
        )
    )
    # Each group converted and rounded on its own, as eight separate conversions would be, in
    # one statement that reads receipts and commitments once.
    money = ("pledged", "received")
    converted = conversion.convert_grouping_sets(
        session,
        amounts=sa.select(amounts.subquery("funding_rows")),
        part="part",
        groupings=[
            (["year"], money),
            (["year", "pillar"], ("pledged_pillar", "received_pillar")),
            (["funder", "kind"], money),
            (["kind"], money),
        ],
        currency=currency,
        constant_on=constant_on,
        quantum=quantum,
    )
    pledged_year, r1 = converted[(0, "pledged")]
    received_year, r2 = converted[(0, "received")]
    pledged_pillar, r3 = converted[(1, "pledged_pillar")]
    received_pillar, r4 = converted[(1, "received_pillar")]
    pledged_funder, r5 = converted[(2, "pledged")]
    received_funder, r6 = converted[(2, "received")]
    pledged_kind, r7 = converted[(3, "pledged")]
    received_kind, r8 = converted[(3, "received")]
    zero = Decimal(0).quantize(quantum)
    funders = sorted(
        set(pledged_funder) | set(received_funder),
        key=lambda k: (-(pledged_funder.get(k, zero) + received_funder.get(k, zero)), k),
    )
    kinds = {
        str(k[0]): (pledged_kind.get(k, zero), received_kind.get(k, zero))
        for k in set(pledged_kind) | set(received_kind)
    }
    pillar_keys = sorted(set(pledged_pillar) | set(received_pillar))
    return FundingFigures(
        first_year=first_year,
        last_year=last_year,
        rates=conversion.merge(currency, (r1, r2, r3, r4, r5, r6, r7, r8)),
        by_year=tuple(
            FundingYear(
                y,
                pledged_year.get((y,), zero),
                received_year.get((y,), zero),
            )
            for y in range(first_year, last_year + 1)
        ),
        by_pillar=tuple(
            FundingPillarYear(
                int(k[0]), str(k[1]), pledged_pillar.get(k, zero), received_pillar.get(k, zero)
            )
            for k in pillar_keys
        ),
        by_funder=tuple(
            (str(k[0]), str(k[1]), pledged_funder.get(k, zero), received_funder.get(k, zero))
            for k in funders
        ),
        by_kind=tuple(
            FundingShare(kind, amounts[0], amounts[1])
            for kind, amounts in sorted(
                kinds.items(), key=lambda kv: (-(kv[1][0] + kv[1][1]), kv[0])
            )
        ),
    )


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrainingCount:
    year: int
    key: str
    events: int
    participants: int


@dataclass(frozen=True, slots=True)
class TrainingReach:
    key: str
    label: str
    events: int
    participants: int


@dataclass(frozen=True, slots=True)
class TrainingFeedback:
    year: int
    responses: int
    average: Decimal | None


@dataclass(frozen=True, slots=True)
class TrainingFigures:
    first_year: int
    last_year: int
    kind: str | None
    pillar: str | None
    by_kind: tuple[TrainingCount, ...]
    by_pillar: tuple[TrainingCount, ...]
    by_country: tuple[TrainingReach, ...]
    by_hotline: tuple[TrainingReach, ...]
    feedback: tuple[TrainingFeedback, ...]

    @property
    def is_empty(self) -> bool:
        return not self.by_kind


def training_figures(
    session: Session,
    *,
    first_year: int,
    last_year: int,
    kind: str | None = None,
    pillar: str | None = None,
    until: date | None = None,
) -> TrainingFigures:
    """Events and participants per year by kind and by pillar; reach by the participating
    hotline's country and by hotline; average feedback per year (weighted by participants).

    Trainings count when held: started in the years and on or before ``until`` (the measuring
    date: today in the current year), so a planned training is not yet a training held."""
    events = (
        sa.select(
            TrainingEvent.id,
            TrainingEvent.kind,
            Pillar.name.label("pillar"),
            _year_of(TrainingEvent.start_date).label("year"),
        )
        .join(Pillar, Pillar.id == TrainingEvent.pillar_id)
        .where(
            TrainingEvent.archived_at.is_(None),
            _in_years(session, TrainingEvent.start_date, first_year, last_year),
        )
    )
    if until is not None:
        events = events.where(TrainingEvent.start_date <= until)
    if kind:
        events = events.where(TrainingEvent.kind == kind)
    if pillar:
        events = events.where(Pillar.code == pillar)
    ev = events.subquery("events")
    part = TrainingParticipation

    def per_year(column: Any) -> tuple[TrainingCount, ...]:
        rows = session.execute(
            sa.select(
                ev.c.year,
                column,
                sa.func.count(sa.distinct(ev.c.id)),
                sa.func.coalesce(sa.func.sum(part.participants), 0),
            )
            .outerjoin(part, part.event_id == ev.c.id)
            .group_by(ev.c.year, column)
            .order_by(ev.c.year, column)
        )
        return tuple(TrainingCount(int(y), str(k), int(e), int(p)) for y, k, e, p in rows)

    def reach(key: Any, label: Any, *, limit: int | None, events: Any) -> tuple[TrainingReach, ...]:
        query = (
            sa.select(
                key,
                label,
                events,
                sa.func.sum(part.participants).label("people"),
            )
            .select_from(ev)
            .join(part, part.event_id == ev.c.id)
            .join(Hotline, Hotline.id == part.hotline_id)
            .join(Country, Country.alpha2 == Hotline.country_code)
            .group_by(key, label)
            .order_by(sa.desc("people"), label)
        )
        if limit:
            query = query.limit(limit)
        return tuple(
            TrainingReach(str(k), str(lbl), int(e), int(p))
            for k, lbl, e, p in session.execute(query)
        )

    weighted = sa.func.sum(part.feedback_score * part.participants)
    weight = sa.func.sum(sa.case((part.feedback_score.is_not(None), part.participants), else_=0))
    feedback = tuple(
        TrainingFeedback(
            int(y),
            int(n),
            (_dec(w) / _dec(d)).quantize(Decimal("0.01")) if d else None,
        )
        for y, n, w, d in session.execute(
            sa.select(ev.c.year, sa.func.count(part.feedback_score), weighted, weight)
            .join(part, part.event_id == ev.c.id)
            .group_by(ev.c.year)
            .order_by(ev.c.year)
        )
    )
    return TrainingFigures(
        first_year=first_year,
        last_year=last_year,
        kind=kind,
        pillar=pillar,
        by_kind=per_year(ev.c.kind),
        by_pillar=per_year(ev.c.pillar),
        by_country=reach(
            Country.alpha3, Country.name, limit=None, events=sa.func.count(sa.distinct(ev.c.id))
        ),
        # One participation per hotline and event (a unique constraint): rows = events.
        by_hotline=reach(
            sa.cast(Hotline.id, sa.String),
            Hotline.name,
            limit=TRAINING_TOP_HOTLINES,
            events=sa.func.count(),
        ),
        feedback=feedback,
    )


# ---------------------------------------------------------------------------------------------
# Pillars: targets against actuals
# ---------------------------------------------------------------------------------------------


def expected_by_now(
    *, kind: IndicatorKind, target: Decimal, start: Decimal | None, share: Decimal
) -> Decimal:
    """Where an indicator should be once ``share`` of its year has passed.

    A stock moves in a straight line from its value at the start of the year (31 December of
    the year before) to the target: start + (target - start) x share. A flow starts the year
    at zero: target x share. A past year (share 1) is held to its whole target either way; a
    stock whose start is unknown (a year not begun) is treated like a flow.
    """
    if kind is IndicatorKind.STOCK and start is not None:
        value = start + (target - start) * share
    else:
        value = target * share
    return value.quantize(Decimal("0.01"))


def pillar_on_track(*, actual: Decimal, expected: Decimal) -> bool:
    """The one on-track signal of a pillar indicator (dashboard, chart and board pack)."""
    return actual >= expected


@dataclass(frozen=True, slots=True)
class PillarProgress:
    pillar_code: str
    pillar_name: str
    indicator: PillarIndicator
    description: str | None
    target: Decimal
    actual: Decimal
    expected: Decimal
    # The value on 31 December of the year before, for stocks (None for flows).
    start: Decimal | None = None

    @property
    def kind(self) -> IndicatorKind:
        return self.indicator.kind

    @property
    def on_track(self) -> bool:
        return pillar_on_track(actual=self.actual, expected=self.expected)

    @property
    def unit(self) -> str:
        return self.indicator.unit


@dataclass(frozen=True, slots=True)
class PillarFigures:
    year: int
    measured_on: date
    elapsed_share: Decimal
    rates: RateInfo | None
    rows: tuple[PillarProgress, ...]

    @property
    def is_empty(self) -> bool:
        return not self.rows


def elapsed_share(year: int, *, today: date) -> Decimal:
    """How much of ``year`` has passed on ``today`` (1 for past years, 0 for future ones)."""
    if year < today.year:
        return Decimal(1)
    if year > today.year:
        return Decimal(0)
    days = 366 if calendar.isleap(year) else 365
    return (Decimal(today.timetuple().tm_yday) / Decimal(days)).quantize(Decimal("0.0001"))


def indicator_actual(
    session: Session,
    *,
    indicator: PillarIndicator,
    pillar_id: int,
    year: int,
    today: date,
) -> tuple[Decimal, RateInfo | None]:
    """The actual value of one indicator for one pillar and year (see the module docstring)."""
    start, end = date(year, 1, 1), period_end(year, today=today)
    if end < start:
        return Decimal(0), None
    trainings = sa.and_(
        TrainingEvent.archived_at.is_(None),
        TrainingEvent.pillar_id == pillar_id,
        TrainingEvent.start_date.between(start, end),
    )
    part = TrainingParticipation
    if indicator is PillarIndicator.TRAININGS_HELD:
        value = session.scalar(sa.select(sa.func.count(TrainingEvent.id)).where(trainings))
        return Decimal(_int(value)), None
    if indicator in (PillarIndicator.TRAINING_PARTICIPANTS, PillarIndicator.HOTLINES_TRAINED):
        measure = (
            sa.func.sum(part.participants)
            if indicator is PillarIndicator.TRAINING_PARTICIPANTS
            else sa.func.count(sa.distinct(part.hotline_id))
        )
        value = session.scalar(
            sa.select(measure)
            .join(TrainingEvent, TrainingEvent.id == part.event_id)
            .where(trainings, part.hotline_id.is_not(None))
        )
        return Decimal(_int(value)), None
    if indicator is PillarIndicator.FUNDING_RECEIVED_EUR:
        totals, rates = conversion.convert_grouped(
            session,
            amounts=funding.received_by_pillar_amounts(start=start, end=end).where(
                FundingAllocation.pillar_id == pillar_id
            ),
            keys=["pillar_id"],
            currency="EUR",
        )
        return totals.get((pillar_id,), Decimal("0.00")), rates
    if indicator in (PillarIndicator.MEMBER_HOTLINES, PillarIndicator.COUNTRIES_COVERED):
        # Countries covered: sovereign states only (territories are not in this indicator).
        summary = network_coverage.coverage_summary(session, on=end)
        value = (
            summary.member_hotlines
            if indicator is PillarIndicator.MEMBER_HOTLINES
            else summary.countries_covered
        )
        return Decimal(value), None
    if indicator is PillarIndicator.EXPANSION_TARGETS_ADVANCED:
        value = session.scalar(
            sa.select(sa.func.count(sa.distinct(ExpansionStageEvent.target_id)))
            .join(ExpansionTarget, ExpansionTarget.id == ExpansionStageEvent.target_id)
            .where(
                ExpansionTarget.archived_at.is_(None),
                ExpansionStageEvent.entered_on.between(start, end),
                ExpansionStageEvent.stage != ExpansionStage.IDENTIFIED.value,
            )
        )
        return Decimal(_int(value)), None
    # ACTIVE_PARTNERSHIPS, TECHNOLOGY_PARTNERSHIPS, PARTNER_ORGANIZATIONS: in force at ``end``.
    in_force = [agreements.in_force_condition(end)]
    if indicator is PillarIndicator.TECHNOLOGY_PARTNERSHIPS:
        in_force.append(
            Partnership.type.in_(
                [PartnershipType.TECHNOLOGY.value, PartnershipType.DATA_SHARING.value]
            )
        )
    measure = (
        sa.func.count(sa.distinct(Partnership.organization_id))
        if indicator is PillarIndicator.PARTNER_ORGANIZATIONS
        else sa.func.count(Partnership.id)
    )
    return Decimal(_int(session.scalar(sa.select(measure).where(*in_force)))), None


def indicator_start(
    session: Session,
    *,
    indicator: PillarIndicator,
    pillar_id: int,
    year: int,
    today: date,
) -> Decimal | None:
    """A stock's value at the start of ``year`` (its actual on 31 December of the year before);
    None for flows, and for a year that has not begun."""
    if indicator.kind is not IndicatorKind.STOCK or year > today.year:
        return None
    value, _ = indicator_actual(
        session, indicator=indicator, pillar_id=pillar_id, year=year - 1, today=today
    )
    return value


def pillar_progress(session: Session, *, year: int, today: date) -> PillarFigures:
    """Every (unarchived) target of ``year`` with its actual, its expected value by now
    (``expected_by_now``: stocks on the straight path from their start-of-year value to the
    target, flows at target x elapsed share; the whole target for past years) and the
    on-track signal (``pillar_on_track``)."""
    share = elapsed_share(year, today=today)
    targets = session.execute(
        sa.select(
            PillarTarget.pillar_id,
            Pillar.code,
            Pillar.name,
            PillarTarget.indicator,
            PillarTarget.description,
            PillarTarget.target_value,
        )
        .join(Pillar, Pillar.id == PillarTarget.pillar_id)
        .where(PillarTarget.year == year, PillarTarget.archived_at.is_(None))
        .order_by(Pillar.sort_order, Pillar.name, PillarTarget.indicator)
    ).all()
    rows = []
    rate_parts = []
    for t in targets:
        indicator = PillarIndicator(t.indicator)
        actual, rates = indicator_actual(
            session, indicator=indicator, pillar_id=t.pillar_id, year=year, today=today
        )
        if rates is not None:
            rate_parts.append(rates)
        target = _dec(t.target_value, "0.01")
        start = indicator_start(
            session, indicator=indicator, pillar_id=t.pillar_id, year=year, today=today
        )
        rows.append(
            PillarProgress(
                pillar_code=t.code,
                pillar_name=t.name,
                indicator=indicator,
                description=t.description,
                target=target,
                actual=actual,
                expected=expected_by_now(
                    kind=indicator.kind, target=target, start=start, share=share
                ),
                start=start,
            )
        )
    measured_on = period_end(year, today=today)
    return PillarFigures(
        year=year,
        measured_on=measured_on,
        elapsed_share=share,
        rates=conversion.merge("EUR", rate_parts) if rate_parts else None,
        rows=tuple(rows),
    )


def target_years(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalars(
            sa.select(PillarTarget.year)
            .where(PillarTarget.archived_at.is_(None))
            .distinct()
            .order_by(PillarTarget.year)
        )
    )


# ---------------------------------------------------------------------------------------------
# Hotline activity (aggregate statistics)
# ---------------------------------------------------------------------------------------------

GROUPINGS = ("network", "region", "country", "hotline")


@dataclass(frozen=True, slots=True)
class MetricInfo:
    code: str
    name: str
    unit: MetricUnit
    version: int
    definition: str

    @property
    def label(self) -> str:
        return f"{self.name} (definition v{self.version})"


@dataclass(frozen=True, slots=True)
class ActivityPoint:
    period_start: date
    group: str
    version: int
    value: Decimal
    hotlines: int
    # How many of the hotlines' values summed here are small (1 to ``small_below`` - 1): a sum
    # built on a value hidden from viewers is hidden too (coordapp.reporting.disclosed).
    small_values: int = 0


@dataclass(frozen=True, slots=True)
class ActivityFigures:
    metric: MetricInfo | None
    group_by: str
    first_year: int
    last_year: int
    region: str | None
    versions: tuple[int, ...]
    by_period: tuple[ActivityPoint, ...]  # the whole selection per quarter
    by_period_group: tuple[ActivityPoint, ...]  # the largest groups per quarter
    by_group: tuple[ActivityPoint, ...]  # totals (or means) per group over the years chosen

    @property
    def is_empty(self) -> bool:
        return not self.by_period


def metrics(session: Session) -> tuple[MetricInfo, ...]:
    """The latest version of each metric definition, in display order."""
    latest = (
        sa.select(MetricDefinition.code, sa.func.max(MetricDefinition.version).label("version"))
        .group_by(MetricDefinition.code)
        .subquery("latest")
    )
    return tuple(
        MetricInfo(m.code, m.name, MetricUnit(m.unit), m.version, m.definition)
        for m in session.scalars(
            sa.select(MetricDefinition)
            .join(
                latest,
                sa.and_(
                    latest.c.code == MetricDefinition.code,
                    latest.c.version == MetricDefinition.version,
                ),
            )
            .order_by(MetricDefinition.sort_order, MetricDefinition.code)
        )
    )


def hotline_activity(
    session: Session,
    *,
    metric_code: str,
    group_by: str = "network",
    first_year: int,
    last_year: int,
    region: str | None = None,
    small_below: int = 0,
) -> ActivityFigures:
    """One metric's quarterly values: sums for counts, means for percentages, labelled with the
    definition versions they were reported under; each with how many of the values it is
    built on are below ``small_below`` (and above zero)."""
    metric = next((m for m in metrics(session) if m.code == metric_code), None)
    group_by = group_by if group_by in GROUPINGS else "network"
    empty = ActivityFigures(metric, group_by, first_year, last_year, region, (), (), (), ())
    if metric is None:
        return empty
    stat = HotlineStatistic
    group_column: Any = {
        "network": sa.literal("All hotlines"),
        "region": sa.func.coalesce(Country.region, "(no region)"),
        "country": Country.name,
        "hotline": Hotline.name,
    }[group_by]

    def rows(grouped: bool) -> sa.Subquery:
        # Hotlines and countries are joined only when the grouping or the region needs them.
        query = (
            sa.select(
                stat.period_start,
                stat.hotline_id,
                stat.value,
                MetricDefinition.version,
                (group_column if grouped else sa.literal("All selected")).label("grp"),
            )
            .join(MetricDefinition, MetricDefinition.id == stat.metric_id)
            .where(
                MetricDefinition.code == metric_code,
                _in_years(session, stat.period_start, first_year, last_year),
            )
        )
        if region or (grouped and group_by != "network"):
            query = query.join(Hotline, Hotline.id == stat.hotline_id).join(
                Country, Country.alpha2 == Hotline.country_code
            )
        if region:
            query = query.where(Country.region == region)
        return query.subquery("stats")

    src = rows(grouped=True)
    everything = rows(grouped=False)
    aggregate = sa.func.avg if metric.unit is MetricUnit.PERCENT else sa.func.sum
    places = "0.01"

    def small(source: Any) -> Any:
        is_small = sa.and_(source.c.value > 0, source.c.value < small_below)
        return sa.func.sum(sa.case((is_small, 1), else_=0)).label("small")

    def points(rows: Iterable[Any]) -> tuple[ActivityPoint, ...]:
        return tuple(
            ActivityPoint(
                _as_date(r.period_start),
                str(r.grp),
                int(r.version),
                _dec(r.v, places),
                int(r.n),
                int(r.small or 0),
            )
            for r in rows
        )

    by_period = points(
        session.execute(
            sa.select(
                everything.c.period_start,
                sa.literal("All selected").label("grp"),
                everything.c.version,
                aggregate(everything.c.value).label("v"),
                # One row per hotline, metric and period (a unique constraint): rows = hotlines.
                sa.func.count().label("n"),
                small(everything),
            )
            .group_by(everything.c.period_start, everything.c.version)
            .order_by(everything.c.period_start, everything.c.version)
        )
    )
    if not by_period:
        return empty
    totals = (
        sa.select(
            sa.literal(date(first_year, 1, 1), sa.Date).label("period_start"),
            src.c.grp,
            sa.func.max(src.c.version).label("version"),
            aggregate(src.c.value).label("v"),
            sa.func.count(sa.distinct(src.c.hotline_id)).label("n"),
            small(src),
        )
        .group_by(src.c.grp)
        .order_by(sa.desc("v"), src.c.grp)
        .limit(ACTIVITY_BAR_GROUPS)
    )
    by_group = points(session.execute(totals))
    top = [p.group for p in by_group[:ACTIVITY_TOP_GROUPS]]
    by_period_group = points(
        session.execute(
            sa.select(
                src.c.period_start,
                src.c.grp,
                src.c.version,
                aggregate(src.c.value).label("v"),
                sa.func.count().label("n"),
                small(src),
            )
            .where(src.c.grp.in_(top))
            .group_by(src.c.period_start, src.c.grp, src.c.version)
            .order_by(src.c.period_start, src.c.grp)
        )
    )
    return ActivityFigures(
        metric=metric,
        group_by=group_by,
        first_year=first_year,
        last_year=last_year,
        region=region,
        versions=tuple(sorted({p.version for p in by_period})),
        by_period=by_period,
        by_period_group=by_period_group,
        by_group=by_group,
    )
