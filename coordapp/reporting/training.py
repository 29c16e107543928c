"""Trainings held, their participants, reach and feedback."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network.models import Hotline
from coordapp.reference.models import Country, Pillar
from coordapp.reporting.common import as_decimal, as_int, in_years, year_of
from coordapp.training import totals as training_totals
from coordapp.training.models import TrainingEvent, TrainingParticipation

TRAINING_TOP_HOTLINES = 25

_NO_INT = sa.cast(sa.null(), sa.Integer)
_NO_NUMBER = sa.cast(sa.null(), sa.Numeric)
_NO_RANK = sa.cast(sa.null(), sa.BigInteger)


def trainings_between(
    session: Session, start: date, end: date, *, from_rows: bool = False
) -> tuple[int, int]:
    """Trainings held (started) between ``start`` and ``end`` and their participants: on
    PostgreSQL from the totals kept per event (``coordapp.training.totals``), on SQLite, or
    ``from_rows``, from the events and their participations."""
    if not from_rows and training_totals.kept(session):
        training_totals.refresh(session)  # this transaction's own writes, if any
        totals = training_totals.EVENT_TOTALS
        row = session.execute(
            sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(totals.c.people), 0)).where(
                totals.c.start_date.between(start, end)
            )
        ).one()
        return as_int(row[0]), as_int(row[1])
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
    from_rows: bool = False,
) -> TrainingFigures:
    """Events and participants per year by kind and by pillar; reach by the participating
    hotline's country and by hotline; average feedback per year (weighted by participants).

    Trainings count when held: started in the years and on or before ``until`` (the measuring
    date: today in the current year), so a planned training is not yet a training held.

    One statement. On PostgreSQL it reads the totals kept per event and per hotline taking
    part (``coordapp.training.totals``, ``_kept_statement``); on SQLite, or ``from_rows``, the
    trainings held (``held``) and their participations (``attended``), read once, then each
    figure grouped from them (``_figures_statement``): the same figures either way."""
    parameters: dict[str, Any] = {}
    if from_rows or not training_totals.kept(session):
        statement = _figures_statement(
            _held(session, first_year, last_year, kind=kind, pillar=pillar, until=until)
        )
    else:
        training_totals.refresh(session)  # this transaction's own writes, if any
        statement = _kept_statement(kind=bool(kind), pillar=bool(pillar), until=until is not None)
        parameters = {"start": date(first_year, 1, 1), "end": date(last_year, 12, 31)}
        for name, value in (("kind", kind), ("pillar", pillar), ("until", until)):
            if value:
                parameters[name] = value
    per_year: list[Any] = []
    reach: dict[str, list[Any]] = {"country": [], "hotline": []}
    for row in session.execute(statement, parameters):
        if row.figure == "year":
            per_year.append(row)
        else:
            reach[row.figure].append(row)

    def reached(rows: list[Any]) -> tuple[TrainingReach, ...]:
        return tuple(
            TrainingReach(str(r.key), str(r.label), int(r.events), int(r.people))
            for r in sorted(rows, key=lambda r: r.rank)
        )

    by_kind, by_pillar, feedback = _per_year(per_year)
    return TrainingFigures(
        first_year=first_year,
        last_year=last_year,
        kind=kind,
        pillar=pillar,
        by_kind=by_kind,
        by_pillar=by_pillar,
        by_country=reached(reach["country"]),
        by_hotline=reached(reach["hotline"]),
        feedback=feedback,
    )


def _chosen(columns: Any, years: Any, *, kind: Any, pillar: Any, until: Any) -> list[Any]:
    """The conditions on ``columns`` (start_date, kind, pillar_id: of the events or of a kept
    total) of the trainings counted: held in the years (the condition ``years``), by ``until``,
    of the kind and pillar (code) chosen (None: any); values or parameters."""
    where = [years]
    if until is not None:
        where.append(columns.start_date <= until)
    if kind is not None:
        where.append(columns.kind == kind)
    if pillar is not None:
        where.append(columns.pillar_id.in_(sa.select(Pillar.id).where(Pillar.code == pillar)))
    return where


def _held(
    session: Session,
    first_year: int,
    last_year: int,
    *,
    kind: str | None,
    pillar: str | None,
    until: date | None,
) -> Any:
    """The unarchived trainings held (id, kind, pillar name, year), as the CTE ``held``."""
    return (
        sa.select(
            TrainingEvent.id,
            TrainingEvent.kind,
            Pillar.name.label("pillar"),
            year_of(TrainingEvent.start_date).label("year"),
        )
        .join(Pillar, Pillar.id == TrainingEvent.pillar_id)
        .where(
            TrainingEvent.archived_at.is_(None),
            *_chosen(
                TrainingEvent.__table__.c,
                in_years(session, TrainingEvent.start_date, first_year, last_year),
                kind=kind or None,
                pillar=pillar or None,
                until=until,
            ),
        )
        .cte("held")
    )


@functools.cache
def _kept_statement(*, kind: bool, pillar: bool, until: bool) -> sa.CompoundSelect:
    """The rows of ``_figures_statement`` read from the kept totals (PostgreSQL): the events'
    own totals grouped per year, kind and pillar; the hotlines taking part grouped per country
    (an event counted once per country, by the first of its hotlines there) and per hotline.

    Built once per shape (which of ``kind``, ``pillar``, ``until`` are chosen); the first and
    last day of the years, ``until``, ``kind`` and ``pillar`` are bound at each call
    (``_kept_parameters``)."""
    totals, reach = training_totals.EVENT_TOTALS, training_totals.REACH

    def chosen(table: sa.Table) -> list[Any]:
        return _chosen(
            table.c,
            table.c.start_date.between(
                sa.bindparam("start", type_=sa.Date), sa.bindparam("end", type_=sa.Date)
            ),
            kind=sa.bindparam("kind", type_=sa.String) if kind else None,
            pillar=sa.bindparam("pillar", type_=sa.String) if pillar else None,
            until=sa.bindparam("until", type_=sa.Date) if until else None,
        )

    year = year_of(totals.c.start_date)
    per_year = (
        sa.select(
            sa.literal_column("'year'", sa.String).label("figure"),
            year.label("year"),
            totals.c.kind.label("key"),
            sa.cast(Pillar.name, sa.String).label("label"),
            sa.func.count().label("events"),
            sa.func.sum(totals.c.people).label("people"),
            sa.func.sum(totals.c.taking_part).label("taking_part"),
            sa.func.sum(totals.c.responses).label("responses"),
            sa.func.sum(totals.c.weighted).label("weighted"),
            sa.func.sum(totals.c.weight).label("weight"),
            _NO_RANK.label("rank"),
        )
        .join(Pillar, Pillar.id == totals.c.pillar_id)
        .where(*chosen(totals))
        .group_by(year, totals.c.kind, Pillar.name)
    )
    # One pass over the reach, per hotline (each of one country); the countries add up their
    # hotlines (an event counted by its first hotline of the country).
    per_hotline = (
        sa.select(
            reach.c.hotline_id,
            reach.c.country_code,
            sa.func.count().filter(reach.c.first_of_country).label("country_events"),
            sa.func.count().label("events"),
            sa.func.sum(reach.c.participants).label("people"),
        )
        .where(*chosen(reach))
        .group_by(reach.c.hotline_id, reach.c.country_code)
        .cte("per_hotline")
    )
    per_country = (
        sa.select(
            per_hotline.c.country_code,
            sa.func.sum(per_hotline.c.country_events).label("events"),
            sa.func.sum(per_hotline.c.people).label("people"),
        )
        .group_by(per_hotline.c.country_code)
        .subquery("per_country")
    )
    # Only the hotlines with at least the 25th most participants can be among the top 25 (by
    # participants, then name): their names are looked up, not every hotline's.
    least_of_top = (
        sa.select(per_hotline.c.people)
        .order_by(per_hotline.c.people.desc())
        .offset(TRAINING_TOP_HOTLINES - 1)
        .limit(1)
        .scalar_subquery()
    )
    contenders = (
        sa.select(per_hotline.c.hotline_id, per_hotline.c.events, per_hotline.c.people)
        .where(per_hotline.c.people >= sa.func.coalesce(least_of_top, 0))
        .subquery("contenders")
    )
    return sa.union_all(
        per_year, _ranked_countries(per_country), _top_hotlines(contenders, few=True)
    )


def _figures_statement(held: Any) -> sa.CompoundSelect:
    """Every figure of ``training_figures`` over the trainings ``held`` (id, kind, pillar,
    year), as rows of (figure, year, key, label, events, people, taking part, responses,
    weighted score, weight, rank):

    * ``year``: per year, kind (key) and pillar (label), the events, their participants, the
      participations, feedback responses, participant-weighted score and weight. Each event's
      participations are added up first (one row per event), so events are counted by row
      and the groups hashed, not sorted for a ``DISTINCT``; an event without participations
      counts with none (outer join).
    * ``country``: per country of the participating hotlines, the events (distinct: the
      participations are first added up per country and event) and participants, ranked by
      participants (most first), then name.
    * ``hotline``: the ``TRAINING_TOP_HOTLINES`` hotlines with most participants, their events
      (one participation per hotline and event: a unique constraint) and participants.
    """
    part = TrainingParticipation
    attended = (
        sa.select(part.event_id, part.hotline_id, part.participants, part.feedback_score)
        .join(held, held.c.id == part.event_id)
        .cte("attended")
    )
    per_event = (
        sa.select(
            attended.c.event_id,
            sa.func.sum(attended.c.participants).label("people"),
            sa.func.count().label("taking_part"),
            sa.func.count(attended.c.feedback_score).label("responses"),
            sa.func.sum(attended.c.feedback_score * attended.c.participants).label("weighted"),
            sa.func.sum(
                sa.case((attended.c.feedback_score.is_not(None), attended.c.participants), else_=0)
            ).label("weight"),
        )
        .group_by(attended.c.event_id)
        .subquery("per_event")
    )
    per_year = (
        sa.select(
            sa.literal_column("'year'", sa.String).label("figure"),
            held.c.year,
            sa.cast(held.c.kind, sa.String).label("key"),
            sa.cast(held.c.pillar, sa.String).label("label"),
            sa.func.count().label("events"),
            sa.func.coalesce(sa.func.sum(per_event.c.people), 0).label("people"),
            sa.func.sum(per_event.c.taking_part).label("taking_part"),
            sa.func.sum(per_event.c.responses).label("responses"),
            sa.func.sum(per_event.c.weighted).label("weighted"),
            sa.func.sum(per_event.c.weight).label("weight"),
            _NO_RANK.label("rank"),
        )
        .select_from(held)
        .outerjoin(per_event, per_event.c.event_id == held.c.id)
        .group_by(held.c.year, held.c.kind, held.c.pillar)
    )

    per_country_event = (
        sa.select(
            Hotline.country_code,
            attended.c.event_id,
            sa.func.sum(attended.c.participants).label("people"),
        )
        .join(Hotline, Hotline.id == attended.c.hotline_id)
        .group_by(Hotline.country_code, attended.c.event_id)
        .subquery("per_country_event")
    )
    per_country = (
        sa.select(
            per_country_event.c.country_code,
            sa.func.count().label("events"),
            sa.func.sum(per_country_event.c.people).label("people"),
        )
        .group_by(per_country_event.c.country_code)
        .subquery("per_country")
    )

    per_hotline = (
        sa.select(
            attended.c.hotline_id,
            sa.func.count().label("events"),
            sa.func.sum(attended.c.participants).label("people"),
        )
        .where(attended.c.hotline_id.is_not(None))
        .group_by(attended.c.hotline_id)
        .subquery("per_hotline")
    )
    return sa.union_all(per_year, _ranked_countries(per_country), _top_hotlines(per_hotline))


def _ranked_countries(per_country: Any) -> sa.Select:
    """The ``country`` rows from ``per_country`` (country code, events, people): each with its
    country's alpha-3 and name, ranked by participants (most first), then name."""
    return sa.select(
        sa.literal_column("'country'", sa.String).label("figure"),
        _NO_INT.label("year"),
        sa.cast(Country.alpha3, sa.String).label("key"),
        sa.cast(Country.name, sa.String).label("label"),
        per_country.c.events,
        per_country.c.people,
        _NO_NUMBER.label("taking_part"),
        _NO_NUMBER.label("responses"),
        _NO_NUMBER.label("weighted"),
        _NO_NUMBER.label("weight"),
        sa.func.row_number()
        .over(order_by=(per_country.c.people.desc(), Country.name))
        .label("rank"),
    ).join(Country, Country.alpha2 == per_country.c.country_code)


def _top_hotlines(per_hotline: Any, *, few: bool = False) -> sa.Select:
    """The ``hotline`` rows: the ``TRAINING_TOP_HOTLINES`` hotlines of ``per_hotline``
    (hotline id, events, people) with most participants, then by name, ranked.

    ``few``: ``per_hotline`` holds the few contenders only, and each one's name is looked up
    by its key instead of joining every hotline (each has a country: a required reference)."""
    if few:
        label = (
            sa.select(Hotline.name)
            .where(Hotline.id == per_hotline.c.hotline_id)
            .scalar_subquery()
            .label("label")
        )
        ordered = sa.select(
            sa.cast(per_hotline.c.hotline_id, sa.String).label("key"),
            label,
            per_hotline.c.events,
            per_hotline.c.people,
        ).order_by(per_hotline.c.people.desc(), label)
    else:
        ordered = (
            sa.select(
                sa.cast(Hotline.id, sa.String).label("key"),
                Hotline.name.label("label"),
                per_hotline.c.events,
                per_hotline.c.people,
            )
            .join(Hotline, Hotline.id == per_hotline.c.hotline_id)
            .join(Country, Country.alpha2 == Hotline.country_code)
            .order_by(per_hotline.c.people.desc(), Hotline.name)
        )
    top = ordered.limit(TRAINING_TOP_HOTLINES).subquery("top")
    return sa.select(
        sa.literal_column("'hotline'", sa.String).label("figure"),
        _NO_INT.label("year"),
        sa.cast(top.c.key, sa.String).label("key"),
        sa.cast(top.c.label, sa.String).label("label"),
        top.c.events,
        top.c.people,
        _NO_NUMBER.label("taking_part"),
        _NO_NUMBER.label("responses"),
        _NO_NUMBER.label("weighted"),
        _NO_NUMBER.label("weight"),
        sa.func.row_number().over(order_by=(top.c.people.desc(), top.c.label)).label("rank"),
    )


def _per_year(
    rows: list[Any],
) -> tuple[tuple[TrainingCount, ...], tuple[TrainingCount, ...], tuple[TrainingFeedback, ...]]:
    """Events and participants per year and kind, per year and pillar, and the feedback per
    year, from the rows grouped by year, kind and pillar in SQL (``_figures_statement``), added
    up here. Each event has one kind and one pillar, so its events add up exactly; feedback
    counts years with participations only (as its own inner join did)."""
    kinds: dict[tuple[int, str], list[int]] = {}
    pillars: dict[tuple[int, str], list[int]] = {}
    scores: dict[int, list[Decimal]] = {}
    for r in rows:
        year, kind, pillar = int(r.year), str(r.key), str(r.label)
        for totals, key in ((kinds, kind), (pillars, pillar)):
            counts = totals.setdefault((year, key), [0, 0])
            counts[0] += int(r.events)
            counts[1] += int(r.people)
        if r.taking_part:
            score = scores.setdefault(year, [Decimal(0), Decimal(0), Decimal(0)])
            score[0] += int(r.responses)
            score[1] += as_decimal(r.weighted or 0)
            score[2] += as_decimal(r.weight or 0)

    def counted(totals: dict[tuple[int, str], list[int]]) -> tuple[TrainingCount, ...]:
        return tuple(TrainingCount(y, k, e, p) for (y, k), (e, p) in sorted(totals.items()))

    feedback = tuple(
        TrainingFeedback(y, int(n), (w / d).quantize(Decimal("0.01")) if d else None)
        for y, (n, w, d) in sorted(scores.items())
    )
    return counted(kinds), counted(pillars), feedback
