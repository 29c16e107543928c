"""Record builders for the reporting tests (the real database; complements tests.factories)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding.models import FundingAllocation, FundingCommitment
from coordapp.network.models import Hotline, MembershipStatus
from coordapp.partners.models import (
    Organization,
    OrganizationKind,
    Partnership,
    PartnershipStatus,
    PartnershipType,
)
from coordapp.pillars.models import PillarIndicator, PillarTarget
from coordapp.reference.models import MetricDefinition, Pillar
from coordapp.stats.models import HotlineQuarter, HotlineStatistic, PeriodKind, QuarterState
from coordapp.training.models import (
    DeliveryMode,
    TrainingEvent,
    TrainingKind,
    TrainingParticipation,
)
from tests import factories

_seq = itertools.count(1)


def pillar(session: Session, code: str) -> Pillar:
    return session.scalars(sa.select(Pillar).where(Pillar.code == code)).one()


def metric(session: Session, code: str) -> MetricDefinition:
    return session.scalars(
        sa.select(MetricDefinition)
        .where(MetricDefinition.code == code)
        .order_by(MetricDefinition.version.desc())
    ).first()  # type: ignore[return-value]


def allocate(
    session: Session, commitment: FundingCommitment, parts: Iterable[tuple[str, str]]
) -> None:
    for code, amount in parts:
        session.add(
            FundingAllocation(
                commitment_id=commitment.id,
                pillar_id=pillar(session, code).id,
                amount=Decimal(amount),
            )
        )
    session.flush()


def partnership(
    session: Session,
    *,
    organization: Organization | None = None,
    type: PartnershipType = PartnershipType.TECHNOLOGY,
    status: PartnershipStatus = PartnershipStatus.ACTIVE,
    start: date | None = None,
    end: date | None = None,
    notice_days: int = 90,
    pillars: Iterable[str] = (),
) -> Partnership:
    item = Partnership(
        organization_id=(organization or factories.organization(session)).id,
        title=f"Agreement {next(_seq)}",
        type=type,
        status=status,
        start_date=start,
        end_date=end,
        renewal_notice_days=notice_days,
        pillars=[pillar(session, code) for code in pillars],
    )
    session.add(item)
    session.flush()
    return item


def training(
    session: Session,
    *,
    on: date,
    pillar_code: str = "capacity_building",
    kind: TrainingKind = TrainingKind.WORKSHOP,
    hotlines: Iterable[tuple[Hotline, int, str | None]] = (),
    organizations: Iterable[tuple[Organization, int]] = (),
) -> TrainingEvent:
    """An event with participations: (hotline, participants, feedback score or None)."""
    event = TrainingEvent(
        title=f"Training {next(_seq)}",
        kind=kind,
        pillar_id=pillar(session, pillar_code).id,
        start_date=on,
        end_date=on,
        delivery=DeliveryMode.ONLINE,
    )
    session.add(event)
    session.flush()
    for hotline, people, score in hotlines:
        session.add(
            TrainingParticipation(
                event_id=event.id,
                hotline_id=hotline.id,
                participants=people,
                feedback_score=Decimal(score) if score else None,
            )
        )
    for org, people in organizations:
        session.add(
            TrainingParticipation(event_id=event.id, organization_id=org.id, participants=people)
        )
    session.flush()
    return event


def target(
    session: Session, *, pillar_code: str, year: int, indicator: PillarIndicator, value: str
) -> PillarTarget:
    item = PillarTarget(
        pillar_id=pillar(session, pillar_code).id,
        year=year,
        indicator=indicator,
        target_value=Decimal(value),
    )
    session.add(item)
    session.flush()
    return item


def statistic(
    session: Session,
    *,
    hotline: Hotline,
    metric_code: str,
    quarter_start: date,
    value: str,
    approved: bool = True,
) -> HotlineStatistic:
    """A quarterly figure, its quarter approved (figures count once approved) unless not."""
    month = quarter_start.month + 3
    year = quarter_start.year + (1 if month > 12 else 0)
    end = date(year, (month - 1) % 12 + 1, 1)
    item = HotlineStatistic(
        hotline_id=hotline.id,
        # The version in force for the quarter, as the grid stores it.
        metric_id=session.scalars(
            sa.select(MetricDefinition.id).where(
                MetricDefinition.code == metric_code,
                MetricDefinition.valid_from <= quarter_start,
                sa.or_(
                    MetricDefinition.valid_until.is_(None),
                    MetricDefinition.valid_until >= quarter_start,
                ),
            )
        ).one(),
        period_kind=PeriodKind.QUARTER,
        period_start=quarter_start,
        period_end=date.fromordinal(end.toordinal() - 1),
        value=Decimal(value),
    )
    session.add(item)
    if approved:
        approve(session, hotline=hotline, quarter_start=quarter_start, end=item.period_end)
    session.flush()
    return item


def approve(session: Session, *, hotline: Hotline, quarter_start: date, end: date) -> None:
    """The hotline's quarter approved (once)."""
    known = session.scalars(
        sa.select(HotlineQuarter).where(
            HotlineQuarter.hotline_id == hotline.id, HotlineQuarter.period_start == quarter_start
        )
    ).one_or_none()
    if known is None:
        session.add(
            HotlineQuarter(
                hotline_id=hotline.id,
                period_start=quarter_start,
                period_end=end,
                state=QuarterState.APPROVED,
            )
        )
    else:
        known.state = QuarterState.APPROVED


def funder(session: Session, kind: OrganizationKind) -> Organization:
    return factories.organization(session, kind=kind)


def training_of_three(session: Session, *, on: date) -> tuple[TrainingEvent, list[Hotline]]:
    """A training on ``on`` where Hotline Small (Malta) sent 3 people, Hotline Mid (the
    Netherlands) 12 and Hotline Big (Germany) 40: one small row among larger ones."""
    events = [(date(2000, 1, 1), MembershipStatus.FULL)]
    hotlines = [
        factories.hotline(session, country=country, name=f"Hotline {name}", events=events)
        for country, name in (("MT", "Small"), ("NL", "Mid"), ("DE", "Big"))
    ]
    event = training(
        session, on=on, hotlines=[(h, n, None) for h, n in zip(hotlines, (3, 12, 40), strict=True)]
    )
    return event, hotlines
