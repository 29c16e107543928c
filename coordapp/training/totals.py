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

**Kept current in the writing transaction**, as the funding totals are
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

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.attributes import instance_state

from coordapp.network.models import Hotline
from coordapp.training.models import (
    TrainingEvent,
    TrainingEventTotal,
    TrainingParticipation,
    TrainingReach,
)
from coordapp.writers_lock import serialize_writers

_PENDING = "training_totals_pending"
_CHUNK = 1000  # event ids per statement
EVENT_TOTALS: sa.Table = TrainingEventTotal.__table__  # type: ignore[assignment]
REACH: sa.Table = TrainingReach.__table__  # type: ignore[assignment]
_TRACKED = (TrainingEvent, TrainingParticipation, Hotline)
_TRACKED_TABLES = {model.__tablename__: model for model in _TRACKED}


def kept(session: Session) -> bool:
    """Whether this database keeps the totals (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


def _chunks(items: Iterable[int]) -> Iterator[list[int]]:
    batch = sorted(items)
    for start in range(0, len(batch), _CHUNK):
        yield batch[start : start + _CHUNK]


@dataclass
class _Changes:
    """What the flushes of one transaction touched, until the totals are refreshed."""

    events: set[int] = field(default_factory=set)
    hotlines: set[int] = field(default_factory=set)  # their events, as stored at refresh
    everything: bool = False  # a statement changed rows it does not name: rebuild


def _changes(session: Session) -> _Changes:
    changes: _Changes | None = session.info.get(_PENDING)
    if changes is None:
        changes = session.info[_PENDING] = _Changes()
    return changes


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    """Before participations change or go: the event each belonged to (read from the database,
    so that a row moved to another event still refreshes the one it leaves)."""
    if not kept(session):
        return
    moved: set[int] = set()
    changes: _Changes | None = None
    for obj in (*session.dirty, *session.deleted):
        if not isinstance(obj, _TRACKED):
            continue
        identity = instance_state(obj).identity
        if identity is None:
            continue
        changes = changes or _changes(session)
        if isinstance(obj, TrainingParticipation):
            moved.add(identity[0])
        elif isinstance(obj, TrainingEvent):
            changes.events.add(identity[0])
        else:
            changes.hotlines.add(identity[0])
    if changes is not None:
        part = TrainingParticipation
        for chunk in _chunks(moved):
            changes.events.update(
                session.scalars(sa.select(part.event_id).where(part.id.in_(chunk)))
            )


def _after_flush(session: Session, _context: Any) -> None:
    """After rows are written: the events they belong to now."""
    if not kept(session):
        return
    for obj in (*session.new, *session.dirty):
        if not isinstance(obj, _TRACKED) or obj in session.deleted:
            continue
        changes = _changes(session)
        if isinstance(obj, TrainingParticipation):
            changes.events.add(obj.event_id)
        elif isinstance(obj, TrainingEvent):
            changes.events.add(obj.id)
        else:
            changes.hotlines.add(obj.id)


def _on_execute(state: ORMExecuteState) -> None:
    """Writes that bypass the unit of work (``session.execute(insert(...), rows)``, as an
    import's batch does): an INSERT of events or participations names its events (a new
    hotline has taken part in none yet); any other statement on these tables could change any
    row, and the totals are built again."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    model = _TRACKED_TABLES.get(getattr(table, "name", ""))
    if model is None or not kept(state.session):
        return
    changes = _changes(state.session)
    given = state.parameters
    rows: list[Mapping[Any, Any]] = (
        list(given) if isinstance(given, Sequence) else [given] if given else []
    )
    if not state.is_insert or not rows:
        changes.everything = True
        return
    if model is Hotline:
        return
    key = "id" if model is TrainingEvent else "event_id"
    try:
        for row in rows:
            changes.events.add({getattr(k, "key", k): v for k, v in row.items()}[key])
    except KeyError:
        changes.everything = True


def _before_commit(session: Session) -> None:
    refresh(session)


def _after_transaction_end(session: Session, transaction: Any) -> None:
    # A transaction that ends without refreshing rolled back: its changes are gone, and so is
    # the need to refresh. (One that commits refreshed in before_commit.)
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def install(session_class: Any) -> None:
    """Keep the totals current in every session of ``session_class`` (once, from create_app)."""
    for name, listener in (
        ("before_flush", _before_flush),
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_execute),
        ("before_commit", _before_commit),
        ("after_transaction_end", _after_transaction_end),
    ):
        if not event.contains(session_class, name, listener):
            event.listen(session_class, name, listener, propagate=True)


# --- refreshing ------------------------------------------------------------------------------


def refresh(session: Session) -> None:
    """Bring the totals up to date with this transaction's writes (flushing them first)."""
    if _PENDING not in session.info or not kept(session):
        return
    session.flush()
    changes: _Changes = session.info.pop(_PENDING)
    if changes.everything:
        rebuild(session)
        return
    events = set(changes.events)
    part = TrainingParticipation
    for chunk in _chunks(changes.hotlines):
        events.update(
            session.scalars(sa.select(part.event_id).where(part.hotline_id.in_(chunk)).distinct())
        )
    if not events:
        return
    # Totals are computed from the rows other transactions have committed: wait for them.
    serialize_writers(session)
    for chunk in _chunks(events):
        session.execute(sa.delete(EVENT_TOTALS).where(EVENT_TOTALS.c.event_id.in_(chunk)))
        session.execute(sa.delete(REACH).where(REACH.c.event_id.in_(chunk)))
        _insert(session, chunk)


def rebuild(session: Session) -> None:
    """Compute every total again from the rows (after a bulk load or a restore)."""
    if not kept(session):
        return
    session.flush()
    session.info.pop(_PENDING, None)
    serialize_writers(session)
    session.execute(sa.delete(EVENT_TOTALS))
    session.execute(sa.delete(REACH))
    _insert(session, None)


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
