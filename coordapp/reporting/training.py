"""Trainings held, their participants, reach and feedback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network.models import Hotline
from coordapp.reference.models import Country, Pillar
from coordapp.reporting.common import as_decimal, as_int, in_years, year_of
from coordapp.training.models import TrainingEvent, TrainingParticipation

TRAINING_TOP_HOTLINES = 25


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
    return as_int(row[0]), as_int(row[1])


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
            year_of(TrainingEvent.start_date).label("year"),
        )
        .join(Pillar, Pillar.id == TrainingEvent.pillar_id)
        .where(
            TrainingEvent.archived_at.is_(None),
            in_years(session, TrainingEvent.start_date, first_year, last_year),
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

    by_kind, by_pillar, feedback = _per_year(session, ev)
    return TrainingFigures(
        first_year=first_year,
        last_year=last_year,
        kind=kind,
        pillar=pillar,
        by_kind=by_kind,
        by_pillar=by_pillar,
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


def _per_year(
    session: Session, ev: Any
) -> tuple[tuple[TrainingCount, ...], tuple[TrainingCount, ...], tuple[TrainingFeedback, ...]]:
    """Events and participants per year and kind, per year and pillar, and the feedback per
    year, from one pass over the events (``ev``) and their participations: grouped by year,
    kind and pillar in SQL, then added up here. Each event has one kind and one pillar, so its
    events add up exactly; feedback counts years with participations only (as its own inner
    join did)."""
    part = TrainingParticipation
    rows = session.execute(
        sa.select(
            ev.c.year,
            ev.c.kind,
            ev.c.pillar,
            sa.func.count(sa.distinct(ev.c.id)),
            sa.func.coalesce(sa.func.sum(part.participants), 0),
            sa.func.count(part.event_id),
            sa.func.count(part.feedback_score),
            sa.func.sum(part.feedback_score * part.participants),
            sa.func.sum(sa.case((part.feedback_score.is_not(None), part.participants), else_=0)),
        )
        .outerjoin(part, part.event_id == ev.c.id)
        .group_by(ev.c.year, ev.c.kind, ev.c.pillar)
    ).all()
    kinds: dict[tuple[int, str], list[int]] = {}
    pillars: dict[tuple[int, str], list[int]] = {}
    scores: dict[int, list[Decimal]] = {}
    for year, kind, pillar, events, people, taking_part, responses, weighted, weight in rows:
        for totals, key in ((kinds, str(kind)), (pillars, str(pillar))):
            counts = totals.setdefault((int(year), key), [0, 0])
            counts[0] += int(events)
            counts[1] += int(people)
        if taking_part:
            score = scores.setdefault(int(year), [Decimal(0), Decimal(0), Decimal(0)])
            score[0] += int(responses)
            score[1] += as_decimal(weighted or 0)
            score[2] += as_decimal(weight or 0)

    def counted(totals: dict[tuple[int, str], list[int]]) -> tuple[TrainingCount, ...]:
        return tuple(TrainingCount(y, k, e, p) for (y, k), (e, p) in sorted(totals.items()))

    feedback = tuple(
        TrainingFeedback(y, int(n), (w / d).quantize(Decimal("0.01")) if d else None)
        for y, (n, w, d) in sorted(scores.items())
    )
    return counted(kinds), counted(pillars), feedback
