"""The expansion pipeline on a date (one definition: ``countries_in_pipeline``) and its
stalled stages, against the 6-12-month benchmark per stage."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.config import PIPELINE_STAGE_MAX_MONTHS
from coordapp.db import ranked
from coordapp.network.coverage import covered_condition
from coordapp.network.expansion import stage_by_target_subquery
from coordapp.network.models import (
    EXPANSION_STAGE_ORDER,
    ExpansionStage,
    ExpansionTarget,
    Priority,
)
from coordapp.reference.models import Country


def pipeline_subquery(on: date) -> sa.Subquery:
    """The expansion pipeline on ``on``: (target_id, country_code, stage, stage_since).

    A target is in the pipeline when it is unarchived, has reached a stage by ``on``, that
    stage is not "member" (a target that reached membership has left the pipeline), and its
    country is not covered on ``on`` (coverage wins: a country has one status on the map).
    ``stage_since`` is the day the current stage was entered.
    """
    stage = stage_by_target_subquery(on)
    return (
        sa.select(
            ExpansionTarget.id.label("target_id"),
            ExpansionTarget.country_code,
            stage.c.stage,
            stage.c.entered_on.label("stage_since"),
        )
        .join(stage, stage.c.target_id == ExpansionTarget.id)
        .where(
            ExpansionTarget.archived_at.is_(None),
            stage.c.stage != ExpansionStage.MEMBER.value,
            ~covered_condition(ExpansionTarget.country_code, on),
        )
        .subquery("pipeline_on")
    )


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def whole_months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 when ``end`` is not later)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and months_before(end, months) < start:
        months -= 1
    return max(0, months)


def stalled_cutoff(on: date) -> date:
    """A pipeline stage entered before this day has been open longer than the benchmark
    (``PIPELINE_STAGE_MAX_MONTHS``) on ``on``. A stage entered exactly twelve months before
    ``on`` (the cutoff itself) is not stalled yet; one entered a day earlier is."""
    return months_before(on, PIPELINE_STAGE_MAX_MONTHS)


def stage_open_too_long(stage_since: date, *, on: date) -> bool:
    """The rule of ``stalled_cutoff`` for one stage entered on ``stage_since``."""
    return stage_since < stalled_cutoff(on)


@dataclass(frozen=True, slots=True)
class PipelineTarget:
    """An expansion target in the pipeline on ``on`` (see ``pipeline_subquery``)."""

    target_id: int
    country_code: str
    country: str
    region: str | None
    stage: ExpansionStage
    stage_since: date
    priority: Priority
    next_step: str | None
    next_step_due: date | None
    on: date

    @property
    def months_in_stage(self) -> int:
        return whole_months_between(self.stage_since, self.on)

    @property
    def stalled(self) -> bool:
        return stage_open_too_long(self.stage_since, on=self.on)


def pipeline_select(on: date, *, stalled_only: bool = False) -> sa.Select[Any]:
    """The pipeline on ``on`` as rows (target_id, country_code, country, region, stage,
    stage_since, priority, next_step, next_step_due): latest stage first, then by country.
    With ``stalled_only``, only the targets whose stage has been open too long."""
    pipeline = pipeline_subquery(on)
    query = (
        sa.select(
            pipeline.c.target_id,
            pipeline.c.country_code,
            Country.name.label("country"),
            Country.region,
            pipeline.c.stage,
            pipeline.c.stage_since,
            ExpansionTarget.priority,
            ExpansionTarget.next_step,
            ExpansionTarget.next_step_due,
        )
        .join(ExpansionTarget, ExpansionTarget.id == pipeline.c.target_id)
        .join(Country, Country.alpha2 == pipeline.c.country_code)
    )
    if stalled_only:
        return query.where(pipeline.c.stage_since < stalled_cutoff(on)).order_by(
            pipeline.c.stage_since, Country.name, pipeline.c.target_id
        )
    stage_rank = ranked(pipeline.c.stage, EXPANSION_STAGE_ORDER)
    return query.order_by(stage_rank.desc(), Country.name, pipeline.c.target_id)


def pipeline_targets(
    session: Session, *, on: date, stalled_only: bool = False, country_code: str | None = None
) -> tuple[PipelineTarget, ...]:
    """The targets in the expansion pipeline on ``on`` (one country's, if given)."""
    query = pipeline_select(on, stalled_only=stalled_only)
    if country_code is not None:
        query = query.where(ExpansionTarget.country_code == country_code)
    # The select's columns are named, and typed, as PipelineTarget's fields.
    return tuple(PipelineTarget(**row._mapping, on=on) for row in session.execute(query))


def countries_in_pipeline(session: Session, *, on: date) -> int:
    """Countries in the expansion pipeline on ``on``: the one count every page shows.

    Unarchived expansion targets whose stage on ``on`` is not "member" and whose country no
    member hotline covers on ``on`` (``pipeline_subquery``; one target per country).
    """
    pipeline = pipeline_subquery(on)
    return int(session.scalar(sa.select(sa.func.count()).select_from(pipeline)) or 0)


def stalled_stages(session: Session, *, on: date) -> tuple[PipelineTarget, ...]:
    """Pipeline targets whose current stage has been open longer than the benchmark on ``on``
    (longest open first)."""
    return pipeline_targets(session, on=on, stalled_only=True)
