"""Reporting figures as a reader may see them: small counts hidden below manager.

The dashboards, the API and the board pack show the same figures; each passes them through
here, and this module applies the one rule of ``coordapp.disclosure`` to the fields that count
people (training participants) or cases (hotline statistics). Events, hotlines, feedback scores,
percentages and means are not counts of people and stay exact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import disclosure
from coordapp.reporting.activity import ActivityFigures, ActivityPoint
from coordapp.reporting.coverage import CountryPanel
from coordapp.reporting.growth import Overview
from coordapp.reporting.training import TrainingCount, TrainingFigures
from coordapp.training import pages as training_pages
from coordapp.training.models import TrainingParticipation

T = TypeVar("T")


def _with_totals(
    groups: dict[Any, list[int]],
    items: Sequence[T],
    field: str,
    totals: dict[Any, Any],
) -> tuple[list[Any], dict[Any, Any]]:
    """Each group of ``items`` (indexes by key) against its total: the values of ``field`` as
    shown, and each group's total as shown (``totals``: the group's total, None if not shown)."""
    shown: list[Any] = [getattr(item, field) for item in items]
    shown_totals: dict[Any, Any] = {}
    for key, indexes in groups.items():
        cells, total = disclosure.suppress_with_total(
            [shown[i] for i in indexes],
            totals.get(key),
            viewer_can_see_exact=False,
        )
        for i, value in zip(indexes, cells, strict=True):
            shown[i] = value
        shown_totals[key] = total
    return shown, shown_totals


def activity(data: ActivityFigures, *, viewer_can_see_exact: bool) -> ActivityFigures:
    """A metric's quarterly figures: a small count as "<5", and a sum built on a small value
    hidden too (not drawn). A hotline's quarters are shown exactly in the statistics list, so
    hiding another quarter would not protect a small one: every sum that includes it (its
    hotline's total over the years, its country's, region's and the network's quarter) goes.
    ``data``: computed with ``small_below`` at the threshold. Percentages are never hidden."""
    if viewer_can_see_exact or data.metric is None or not data.metric.unit.is_count:
        return data

    def value(point: ActivityPoint) -> Any:
        if disclosure.is_small(point.value) or not point.small_values:
            return disclosure.suppress(point.value, viewer_can_see_exact=False)
        return disclosure.SECONDARY

    def shown(points: Sequence[ActivityPoint]) -> tuple[ActivityPoint, ...]:
        return tuple(replace(p, value=value(p)) for p in points)

    return replace(
        data,
        by_period=shown(data.by_period),
        by_period_group=shown(data.by_period_group),
        by_group=shown(data.by_group),
    )


def _per_year(rows: Sequence[TrainingCount]) -> tuple[tuple[TrainingCount, ...], dict[int, Any]]:
    """Participants per year and kind (or pillar), each year against its total (shown on the
    overview and in the board pack): the rows as shown and the years' totals as shown."""
    groups: dict[int, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        groups[row.year].append(i)
    totals = {year: sum(rows[i].participants for i in indexes) for year, indexes in groups.items()}
    values, shown_totals = _with_totals(groups, rows, "participants", totals)
    return (
        tuple(replace(r, participants=v) for r, v in zip(rows, values, strict=True)),
        shown_totals,
    )


def training(data: TrainingFigures, *, viewer_can_see_exact: bool) -> TrainingFigures:
    """Training figures: participants below the threshold as "<5" (per year and kind or pillar,
    with a second value hidden where the year's total would reveal one; per country; per
    hotline)."""
    if viewer_can_see_exact:
        return data
    return replace(
        data,
        by_kind=_per_year(data.by_kind)[0],
        by_pillar=_per_year(data.by_pillar)[0],
        by_country=disclosure.suppress_all(
            data.by_country, ("participants",), viewer_can_see_exact=False
        ),
        by_hotline=disclosure.suppress_all(
            data.by_hotline, ("participants",), viewer_can_see_exact=False
        ),
    )


def training_year_totals(data: TrainingFigures, *, viewer_can_see_exact: bool) -> dict[int, Any]:
    """Participants per year as they may be shown next to the by-kind and by-pillar rows: a
    year's total is hidden when either breakdown has no other value to hide in its place."""
    totals = {r.year: 0 for r in data.by_kind}
    for r in data.by_kind:
        totals[r.year] += r.participants
    if viewer_can_see_exact:
        return totals
    by_kind, by_pillar = _per_year(data.by_kind)[1], _per_year(data.by_pillar)[1]
    return {
        year: next(
            (t for t in (by_kind.get(year), by_pillar.get(year)) if disclosure.is_hidden(t)),
            disclosure.suppress(total, viewer_can_see_exact=False),
        )
        for year, total in totals.items()
    }


# The overview's headline figures that count people.
PEOPLE_KPIS = frozenset({"participants"})


def overview(data: Overview, *, viewer_can_see_exact: bool) -> Overview:
    """The overview's tiles: a small count of people trained (this year or the same day last
    year) as "<5"; the change between them is then not shown either."""
    if viewer_can_see_exact:
        return data
    return replace(
        data,
        kpis=tuple(
            disclosure.suppress_fields(k, ("value", "previous"), viewer_can_see_exact=False)
            if k.key in PEOPLE_KPIS
            else k
            for k in data.kpis
        ),
    )


def country_panel(
    session: Session, data: CountryPanel, *, viewer_can_see_exact: bool
) -> CountryPanel:
    """The map's country panel: each training row as its event's page shows it (weighed
    against the event's total), and the people trained there in all, if small, as "<5"."""
    if viewer_can_see_exact or not data.trainings:
        return data
    ids = [t.participation_id for t in data.trainings]
    events = session.scalars(
        sa.select(TrainingParticipation.event_id).where(TrainingParticipation.id.in_(ids))
    )
    counts = training_pages.shown_counts(
        training_pages.participations_of_events(session, events), viewer_can_see_exact=False
    )
    return replace(
        data,
        trainings=tuple(
            replace(t, participants=counts.participants.get(t.participation_id, t.participants))
            for t in data.trainings
        ),
        participants_trained=disclosure.suppress(
            data.participants_trained, viewer_can_see_exact=False
        ),
    )
