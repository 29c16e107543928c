"""Pillar targets against their actuals.

* Pillar indicators about trainings and funding count the target's pillar only; the others
  (member hotlines, countries covered, partnerships, expansion targets) measure the network.
* Pillar indicators are stocks (levels on a date) or flows (counts over the year); a stock is
  expected on the straight path from its start-of-year value to its target, a flow at target
  x the share of the year elapsed (``expected_by_now``).
* Money received by a pillar converts through ``coordapp.funding.conversion``, each receipt at
  the rate of its own date, split pro rata by its commitment's allocations.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.cache import cached
from coordapp.db import distinct_values
from coordapp.funding import amounts as funding_amounts
from coordapp.funding import conversion, pivot_figures, rate_info
from coordapp.funding.models import FundingAllocation
from coordapp.network import coverage as network_coverage
from coordapp.network.models import ExpansionStage, ExpansionStageEvent, ExpansionTarget
from coordapp.partners import agreements as partners_agreements
from coordapp.partners.models import Partnership, PartnershipType
from coordapp.pillars.models import IndicatorKind, PillarIndicator, PillarTarget
from coordapp.reference.models import Pillar
from coordapp.reporting.common import RateInfo, as_decimal, as_int, period_end
from coordapp.training.models import TrainingEvent, TrainingParticipation


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
        return Decimal(as_int(value)), None
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
        return Decimal(as_int(value)), None
    if indicator is PillarIndicator.FUNDING_RECEIVED_EUR:
        # From the funding totals kept current on write where they can answer: the same sum.
        kept = pivot_figures.received_by_pillar_in_pivot(
            session, pillar_id=pillar_id, year=year, end=end
        )
        if kept is not None:
            return kept
        totals, rates = conversion.convert_grouped(
            session,
            amounts=funding_amounts.received_by_pillar_amounts(start=start, end=end).where(
                FundingAllocation.pillar_id == pillar_id
            ),
            keys=["pillar_id"],
            currency="EUR",
        )
        return totals.get((pillar_id,), Decimal("0.00")), rates
    if indicator in (PillarIndicator.MEMBER_HOTLINES, PillarIndicator.COUNTRIES_COVERED):
        # Countries covered: sovereign states only (territories are not in this indicator).
        # Cached: both indicators, each now and at the start of the year, ask for it.
        summary = cached(session, network_coverage.coverage_summary, on=end)
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
        return Decimal(as_int(value)), None
    # ACTIVE_PARTNERSHIPS, TECHNOLOGY_PARTNERSHIPS, PARTNER_ORGANIZATIONS: in force at ``end``.
    in_force = [partners_agreements.in_force_condition(end)]
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
    return Decimal(as_int(session.scalar(sa.select(measure).where(*in_force)))), None


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
        target = as_decimal(t.target_value, "0.01")
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
        rates=rate_info.merge("EUR", rate_parts) if rate_parts else None,
        rows=tuple(rows),
    )


def target_years(session: Session) -> tuple[int, ...]:
    return tuple(distinct_values(session, PillarTarget.year, PillarTarget.archived_at.is_(None)))
