"""Training totals kept current on write: what the training figures read instead of every
participation (PostgreSQL).

Two derived tables (``coordapp.training.models``), never edited by hand, each one row per
unarchived event or per hotline taking part in one, so an event is the unit they are kept by:

* ``training_event_totals`` — per unarchived event: its date, kind and pillar, and its
  participations added up (participants, rows, feedback responses, score x participants and
  the participants scored). The figures per year, kind and pillar and the feedback group these
  few thousand rows instead of joining and grouping every participation.
* ``training_reach`` — per hotline taking part in an unarchived event: the event's date, kind
  and pillar, the hotline's country and participants, and whether it is the first hotline of
  its country at the event (the one that counts the event for the country). The reach per
  country and per hotline group one narrow table instead of joining events, participations
  and hotlines.

**Kept current in the writing transaction** (``coordapp.kept``), as the funding totals are
(``coordapp.funding.totals``): a flush notes the events it touches — an event written or
archived, a participation written or removed (its event before and after), a hotline changed
(its country: every event it took part in) — and their rows are computed again from the rows
before the transaction commits, or before a figure reads them in the same transaction. A
Core INSERT into the events or participations (an import's batch) names its events; any other
statement on these tables changes rows it does not name, and the totals are built again.
Writers that bypass the ORM (the bench's bulk loads, a restore) call ``rebuild``.

On SQLite the tables stay empty and the figures are computed from the rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.kept import KeptRows, chunks, rows_with, stored_ids, written
from coordapp.network.models import Hotline
from coordapp.training.models import (
    TrainingEvent,
    TrainingEventTotal,
    TrainingParticipation,
    TrainingReach,
)
from coordapp.writers_lock import serialize_writers

EVENT_TOTALS: sa.Table = TrainingEventTotal.__table__  # type: ignore[assignment]
REACH: sa.Table = TrainingReach.__table__  # type: ignore[assignment]
_TRACKED = (TrainingEvent, TrainingParticipation, Hotline)


# --- what a transaction changed -------------------------------------------------------------


@dataclass
class _Changes:
    """What the flushes of one transaction touched, until the totals are refreshed."""

    events: set[int] = field(default_factory=set)
    hotlines: set[int] = field(default_factory=set)  # their events, as stored at refresh


def _before_flush(session: Session) -> None:
    """Before rows change or go: the events they touch — an event's own, a participation's
    event as stored (so that a row moved to another event still refreshes the one it leaves),
    a hotline's every event (read at refresh)."""
    ids = stored_ids(session, _TRACKED)
    if not ids:
        return
    changes = KEPT.changes(session)
    changes.events.update(ids[TrainingEvent])
    changes.hotlines.update(ids[Hotline])
    part = TrainingParticipation
    changes.events.update(
        event_id for (event_id,) in rows_with(session, part.id, ids[part], (part.event_id,))
    )


def _after_flush(session: Session) -> None:
    """After rows are written: the events they belong to now."""
    rows = written(session, _TRACKED)
    if not rows:
        return
    changes = KEPT.changes(session)
    for obj in rows:
        if isinstance(obj, TrainingParticipation):
            changes.events.add(obj.event_id)
        elif isinstance(obj, TrainingEvent):
            changes.events.add(obj.id)
        else:
            changes.hotlines.add(obj.id)


def _note_inserted(changes: _Changes, model: type, values: Mapping[str, Any]) -> None:
    """A row an INSERT statement names (an import's batch): an event or a participation names
    its event; a new hotline has taken part in none yet."""
    if model is TrainingEvent:
        changes.events.add(values["id"])
    elif model is TrainingParticipation:
        changes.events.add(values["event_id"])


# --- refreshing ------------------------------------------------------------------------------


def _refresh_changes(session: Session, changes: _Changes) -> None:
    events = set(changes.events)
    part = TrainingParticipation
    for chunk in chunks(changes.hotlines):
        events.update(
            session.scalars(sa.select(part.event_id).where(part.hotline_id.in_(chunk)).distinct())
        )
    if not events:
        return
    # Totals are computed from the rows other transactions have committed: wait for them.
    serialize_writers(session)
    for chunk in chunks(events):
        session.execute(sa.delete(EVENT_TOTALS).where(EVENT_TOTALS.c.event_id.in_(chunk)))
        session.execute(sa.delete(REACH).where(REACH.c.event_id.in_(chunk)))
        _insert(session, chunk)


def _rebuild_all(session: Session) -> None:
    serialize_writers(session)
    session.execute(sa.delete(EVENT_TOTALS))
    session.execute(sa.delete(REACH))
    _insert(session, None)


_STEPS = (_note_inserted, _before_flush, _after_flush, _refresh_changes, _rebuild_all)
KEPT = KeptRows("training_totals_pending", _Changes, _TRACKED, *_STEPS)
# For create_app (install), the figures (kept, refresh), restores and bulk loads (rebuild).
install, refresh, rebuild, kept = KEPT.install, KEPT.refresh, KEPT.rebuild, KEPT.kept


def _insert(session: Session, event_ids: list[int] | None) -> None:
    """The rows of the unarchived events of ``event_ids`` (None: every event)."""
    session.execute(
        sa.insert(EVENT_TOTALS).from_select(
            [c.name for c in _EVENT_COLUMNS], _event_rows(event_ids)
        )
    )
    session.execute(
        sa.insert(REACH).from_select([c.name for c in _REACH_COLUMNS], _reach_rows(event_ids))
    )


_EVENT_COLUMNS = (
    EVENT_TOTALS.c.event_id,
    EVENT_TOTALS.c.start_date,
    EVENT_TOTALS.c.kind,
    EVENT_TOTALS.c.pillar_id,
    EVENT_TOTALS.c.people,
    EVENT_TOTALS.c.taking_part,
    EVENT_TOTALS.c.responses,
    EVENT_TOTALS.c.weighted,
    EVENT_TOTALS.c.weight,
)
_REACH_COLUMNS = (
    REACH.c.event_id,
    REACH.c.hotline_id,
    REACH.c.country_code,
    REACH.c.start_date,
    REACH.c.kind,
    REACH.c.pillar_id,
    REACH.c.participants,
    REACH.c.first_of_country,
)


def _live(event_ids: list[int] | None) -> list[Any]:
    """The events that count: unarchived (an archived training is no training held)."""
    where = [TrainingEvent.archived_at.is_(None)]
    if event_ids is not None:
        where.append(TrainingEvent.id.in_(event_ids))
    return where


def _event_rows(event_ids: list[int] | None) -> sa.Select:
    part = TrainingParticipation
    scored = part.feedback_score.is_not(None)
    return (
        sa.select(
            TrainingEvent.id,
            TrainingEvent.start_date,
            sa.cast(TrainingEvent.kind, sa.String),
            TrainingEvent.pillar_id,
            sa.func.coalesce(sa.func.sum(part.participants), 0),
            sa.func.count(part.id),
            sa.func.count(part.feedback_score),
            sa.func.sum(part.feedback_score * part.participants),
            sa.func.coalesce(sa.func.sum(sa.case((scored, part.participants), else_=0)), 0),
        )
        .outerjoin(part, part.event_id == TrainingEvent.id)
        .where(*_live(event_ids))
        .group_by(TrainingEvent.id)
    )


def _reach_rows(event_ids: list[int] | None) -> sa.Select:
    part = TrainingParticipation
    first = sa.func.row_number().over(
        partition_by=(part.event_id, Hotline.country_code), order_by=part.hotline_id
    )
    return (
        sa.select(
            part.event_id,
            part.hotline_id,
            Hotline.country_code,
            TrainingEvent.start_date,
            sa.cast(TrainingEvent.kind, sa.String),
            TrainingEvent.pillar_id,
            part.participants,
            first == 1,
        )
        .join(TrainingEvent, TrainingEvent.id == part.event_id)
        .join(Hotline, Hotline.id == part.hotline_id)
        .where(*_live(event_ids))
    )
