"""What pages show of trainings: an event's participation rows, totals and reach; counts as a
reader may see them (coordapp.disclosure); and the trainings other domains' pages list (a
hotline's, an organization's, a country's; composed in their views). Reads only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import disclosure
from coordapp.network.models import Hotline
from coordapp.partners.models import Organization
from coordapp.reference.models import Country
from coordapp.training.models import TrainingEvent, TrainingParticipation


@dataclass(frozen=True, slots=True)
class ParticipationRow:
    participation: TrainingParticipation
    name: str
    kind: str  # "hotline" or "organization"
    country: str | None


@dataclass(frozen=True, slots=True)
class ParticipationTotals:
    rows: int
    participants: int
    completed: int
    rows_with_completion: int
    feedback_average: Decimal | None
    rows_with_feedback: int


@dataclass(frozen=True, slots=True)
class CountryReach:
    country_code: str
    country: str
    hotlines: int
    participants: int


def participation_rows(session: Session, *, event: TrainingEvent) -> list[ParticipationRow]:
    """The event's participation rows with their participant's name, hotlines first."""
    participant_name = sa.func.coalesce(Hotline.name, Organization.name)
    query = (
        sa.select(TrainingParticipation, participant_name, Country.name)
        .outerjoin(Hotline, Hotline.id == TrainingParticipation.hotline_id)
        .outerjoin(Organization, Organization.id == TrainingParticipation.organization_id)
        .outerjoin(
            Country,
            Country.alpha2 == sa.func.coalesce(Hotline.country_code, Organization.hq_country_code),
        )
        .where(TrainingParticipation.event_id == event.id)
        .order_by(TrainingParticipation.hotline_id.is_(None), participant_name)
    )
    return [
        ParticipationRow(p, name, "hotline" if p.hotline_id else "organization", country)
        for p, name, country in session.execute(query)
    ]


def participation_totals(session: Session, *, event: TrainingEvent) -> ParticipationTotals:
    """Sums over the event's rows; the feedback average is the mean of the rows' scores."""
    p = TrainingParticipation
    row = session.execute(
        sa.select(
            sa.func.count(p.id),
            sa.func.coalesce(sa.func.sum(p.participants), 0),
            sa.func.coalesce(sa.func.sum(p.completed), 0),
            sa.func.count(p.completed),
            sa.func.avg(p.feedback_score),
            sa.func.count(p.feedback_score),
        ).where(p.event_id == event.id)
    ).one()
    average = Decimal(str(row[4])).quantize(Decimal("0.01")) if row[4] is not None else None
    return ParticipationTotals(
        rows=int(row[0]),
        participants=int(row[1]),
        completed=int(row[2]),
        rows_with_completion=int(row[3]),
        feedback_average=average,
        rows_with_feedback=int(row[5]),
    )


def reach_by_country(session: Session, *, event: TrainingEvent) -> list[CountryReach]:
    """Participants grouped by the home country of the participating hotlines."""
    p = TrainingParticipation
    query = (
        sa.select(
            Hotline.country_code,
            Country.name,
            sa.func.count(sa.distinct(Hotline.id)),
            sa.func.sum(p.participants),
        )
        .join(Hotline, Hotline.id == p.hotline_id)
        .join(Country, Country.alpha2 == Hotline.country_code)
        .where(p.event_id == event.id)
        .group_by(Hotline.country_code, Country.name)
        .order_by(sa.func.sum(p.participants).desc(), Country.name)
    )
    return [
        CountryReach(code, name, int(hotlines), int(participants or 0))
        for code, name, hotlines, participants in session.execute(query)
    ]


@dataclass(frozen=True, slots=True)
class ShownCounts:
    """Participants and completions as a reader may see them (coordapp.disclosure): per
    participation row (by id) and per event (the totals, by event id). Each event's rows are
    weighed against the event's total, so a small row is hidden with the same second row on
    every page and in the API, and no total gives it away."""

    participants: dict[int, Any]
    completed: dict[int, Any]
    participants_total: dict[int, Any]
    completed_total: dict[int, Any]


def shown_counts(
    rows: Iterable[TrainingParticipation], *, viewer_can_see_exact: bool
) -> ShownCounts:
    """``rows``: every participation row of the events concerned (all of each event's rows)."""
    by_event: dict[int, list[TrainingParticipation]] = defaultdict(list)
    for row in rows:
        by_event[row.event_id].append(row)
    shown = ShownCounts({}, {}, {}, {})
    for event_id, group in by_event.items():
        for field, cells_out, totals_out in (
            ("participants", shown.participants, shown.participants_total),
            ("completed", shown.completed, shown.completed_total),
        ):
            values = [getattr(row, field) for row in group]
            cells, total = disclosure.suppress_with_total(
                values, sum(v or 0 for v in values), viewer_can_see_exact=viewer_can_see_exact
            )
            cells_out.update({row.id: cell for row, cell in zip(group, cells, strict=True)})
            totals_out[event_id] = total
    return shown


def participations_of_events(
    session: Session, event_ids: Iterable[int]
) -> list[TrainingParticipation]:
    """Every participation row of those events (to weigh one row against its event's total)."""
    ids = sorted(set(event_ids))
    if not ids:
        return []
    return list(
        session.scalars(
            sa.select(TrainingParticipation).where(TrainingParticipation.event_id.in_(ids))
        )
    )


def event_related(session: Session, obj: TrainingEvent) -> dict[str, Any]:
    """What the event's page shows besides its fields."""
    return {
        "participation": participation_rows(session, event=obj),
        "totals": participation_totals(session, event=obj),
        "reach": reach_by_country(session, event=obj),
    }


# --- what other domains' pages show of trainings (composed in their views) ------------------


def _attended(session: Session, shown: Any, where: Any) -> list[Any]:
    """(event, ``shown``) for each training with a participation row ``where``, newest first."""
    return list(
        session.execute(
            sa.select(TrainingEvent, shown)
            .join(TrainingParticipation, TrainingParticipation.event_id == TrainingEvent.id)
            .where(where)
            .order_by(TrainingEvent.start_date.desc())
        ).all()
    )


def trainings_of_hotline(session: Session, hotline_id: int) -> list[Any]:
    """(event, participation row) for each training a hotline took part in, newest first."""
    return _attended(session, TrainingParticipation, TrainingParticipation.hotline_id == hotline_id)


def trainings_of_organization(session: Session, organization_id: int) -> list[Any]:
    """(event, participants) for each training an organization took part in, newest first."""
    return _attended(
        session,
        TrainingParticipation.participants,
        TrainingParticipation.organization_id == organization_id,
    )


def trainings_in_country(session: Session, country_code: str) -> list[Any]:
    """(event, participants in all) for each unarchived training held in a country."""
    return list(
        session.execute(
            sa.select(
                TrainingEvent,
                sa.func.coalesce(sa.func.sum(TrainingParticipation.participants), 0),
            )
            .outerjoin(TrainingParticipation, TrainingParticipation.event_id == TrainingEvent.id)
            .where(
                TrainingEvent.location_country_code == country_code,
                TrainingEvent.archived_at.is_(None),
            )
            .group_by(TrainingEvent.id)
            .order_by(TrainingEvent.start_date.desc())
        ).all()
    )
