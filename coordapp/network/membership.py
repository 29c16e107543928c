"""Membership of the hotlines: the status on any date (one rule, in SQL and over loaded
events) and the dated history that it is derived from, kept possible on every change.

The SQL side reads ``hotline_membership_spans``: each hotline's statuses with the days they
start and end, computed from its events by the rule (``_spans_from_events``) and kept current
in the transaction that writes them (``coordapp.kept``), so that a status on a date is an
indexed range look-up instead of a ranking of every hotline's history."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching, validation
from coordapp.batching import Batch
from coordapp.db import NewRow, ranked
from coordapp.errors import ValidationError
from coordapp.kept import KeptPerKey
from coordapp.network.models import (
    COVERING_STATUSES,
    ExpansionTarget,
    Hotline,
    HotlineMembershipEvent,
    HotlineMembershipSpan,
    MembershipStatus,
)
from coordapp.records import service as records

# On one date, later lifecycle steps win: an applicant admitted the same day is provisional.
STATUS_RANK = {
    MembershipStatus.APPLICANT: 0,
    MembershipStatus.PROVISIONAL: 1,
    MembershipStatus.FULL: 2,
    MembershipStatus.SUSPENDED: 3,
    MembershipStatus.WITHDRAWN: 4,
}


SPANS: sa.Table = HotlineMembershipSpan.__table__  # type: ignore[assignment]


def _status_rank() -> sa.Case[Any]:
    return ranked(HotlineMembershipEvent.status, STATUS_RANK)


def membership_on_subquery(on: date) -> sa.Subquery:
    """One row per hotline that has any event on or before ``on``: (hotline_id, status,
    admitted_on); ``admitted_on`` is the hotline's first admission, which may be after ``on``
    (``first_admitted_subquery`` for the rule up to ``on``)."""
    return membership_on_select(on).subquery("membership_on")


def membership_on_select(on: date) -> sa.Select[Any]:
    """``membership_on_subquery`` as a select: the stored span of each hotline in force on
    ``on`` (``hotline_membership_spans``, through the index on the spans' ends)."""
    return sa.select(SPANS.c.hotline_id, SPANS.c.status, SPANS.c.admitted_on).where(
        span_holds(SPANS, on)
    )


def membership_spans(*, active_only: bool = False) -> sa.Subquery:
    """The stored spans (``hotline_membership_spans``) as (hotline_id, status, valid_from,
    valid_until, admitted_on): each status valid from the day it starts until the day the next
    one of its hotline does (``valid_until`` None: still in force). A day falls in at most one
    span per hotline (``valid_from <= day < valid_until``), whose status is the hotline's that
    day: ``membership_status_of`` for many days in one statement. ``active_only``: archived
    hotlines' spans left out."""
    spans = sa.select(
        SPANS.c.hotline_id,
        SPANS.c.status,
        SPANS.c.starts_on.label("valid_from"),
        SPANS.c.ends_on.label("valid_until"),
        SPANS.c.admitted_on,
    )
    if active_only:
        spans = spans.join(Hotline, Hotline.id == SPANS.c.hotline_id).where(
            Hotline.archived_at.is_(None)
        )
    return spans.subquery("spans")


def span_holds(spans: Any, day: Any) -> sa.ColumnElement[bool]:
    """The span (a stored one, or of ``membership_spans``) is in force on ``day`` (a date or a
    date column)."""
    columns = spans.c
    starts = columns.starts_on if "starts_on" in columns else columns.valid_from
    ends = columns.ends_on if "ends_on" in columns else columns.valid_until
    return sa.and_(starts <= day, sa.or_(ends.is_(None), ends > day))


def membership_status_of(hotline_id: Any, on: date) -> sa.ScalarSelect[Any]:
    """The status of the hotline ``hotline_id`` (a column) on ``on``, as a correlated scalar:
    its stored span in force on ``on``, through the primary key (hotline_id, starts_on). For a
    filter on a list of hotlines."""
    return (
        sa.select(SPANS.c.status)
        .where(SPANS.c.hotline_id == hotline_id, span_holds(SPANS, on))
        .scalar_subquery()
    )


def is_member_on(hotline_id: Any, on: date) -> sa.ColumnElement[bool]:
    """The hotline ``hotline_id`` (a column) is a provisional or full member on ``on``: a
    semi-join to the spans in force that day (one hashed pass over the stored spans, where
    ``membership_status_of`` looks each hotline up apart). For a filter on many hotlines."""
    covering = sa.select(SPANS.c.hotline_id).where(
        span_holds(SPANS, on), SPANS.c.status.in_(COVERING_VALUES)
    )
    return hotline_id.in_(covering)


def membership_status_on(session: Session, *, hotline_id: int, on: date) -> MembershipStatus | None:
    """The hotline's membership status on ``on`` (events dated ``on`` count), or None."""
    membership = membership_on_subquery(on)
    value = session.execute(
        sa.select(membership.c.status).where(membership.c.hotline_id == hotline_id)
    ).scalar_one_or_none()
    return MembershipStatus(value) if value is not None else None


# Membership history is what happened: nothing before this date is plausible, nothing after today.
EARLIEST_EVENT = date(1950, 1, 1)

COVERING_VALUES = tuple(s.value for s in COVERING_STATUSES)
_EVENT_NOUN = {
    MembershipStatus.APPLICANT: "application",
    MembershipStatus.PROVISIONAL: "provisional admission",
    MembershipStatus.FULL: "full membership",
    MembershipStatus.SUSPENDED: "suspension",
    MembershipStatus.WITHDRAWN: "withdrawal",
}
_STATE_WORDS = {
    None: "not yet in the network",
    MembershipStatus.APPLICANT: "an applicant",
    MembershipStatus.PROVISIONAL: "a provisional member",
    MembershipStatus.FULL: "a full member",
    MembershipStatus.SUSPENDED: "suspended",
    MembershipStatus.WITHDRAWN: "withdrawn",
}


def first_admitted_subquery(on: date) -> sa.Subquery:
    """(hotline_id, since): the first date each hotline was a provisional or full member, for
    those admitted by ``on`` (read from their span in force on ``on``: a hotline admitted by
    ``on`` has one)."""
    return (
        sa.select(SPANS.c.hotline_id, SPANS.c.admitted_on.label("since"))
        .where(span_holds(SPANS, on), SPANS.c.admitted_on <= on)
        .subquery("first_admitted_on")
    )


def first_admitted_of(hotline_id: Any, on: date) -> sa.ScalarSelect[Any]:
    """The first day the hotline ``hotline_id`` (a column) was a provisional or full member, up
    to ``on``, as a correlated scalar (the rule of ``first_admitted_subquery``, looked up per
    hotline through the spans' primary key)."""
    return (
        sa.select(SPANS.c.admitted_on)
        .where(SPANS.c.hotline_id == hotline_id, span_holds(SPANS, on), SPANS.c.admitted_on <= on)
        .scalar_subquery()
    )


# --- the stored spans, kept current on write -------------------------------------------------


def _spans_from_events(hotline_ids: list[int] | None) -> sa.Select[Any]:
    """The spans of the hotlines ``hotline_ids`` (None: every hotline) computed from their
    events by the rule of ``status_from_events``: on each day with events the one latest in
    ``membership_order`` (the later lifecycle step, then the later row) wins, and holds until
    the hotline's next day with events."""
    event = HotlineMembershipEvent
    days = sa.select(
        event.hotline_id,
        event.event_date,
        event.status,
        sa.func.row_number()
        .over(
            partition_by=(event.hotline_id, event.event_date),
            order_by=(_status_rank().desc(), event.id.desc()),
        )
        .label("latest"),
        sa.func.min(sa.case((event.status.in_(COVERING_VALUES), event.event_date)))
        .over(partition_by=event.hotline_id)
        .label("admitted_on"),
    )
    if hotline_ids is not None:
        days = days.where(event.hotline_id.in_(hotline_ids))
    day = days.subquery("event_days")
    return sa.select(
        day.c.hotline_id,
        day.c.event_date,
        sa.func.lead(day.c.event_date)
        .over(partition_by=day.c.hotline_id, order_by=day.c.event_date)
        .label("ends_on"),
        day.c.status,
        day.c.admitted_on,
    ).where(day.c.latest == 1)


_SPAN_COLUMNS = ["hotline_id", "starts_on", "ends_on", "status", "admitted_on"]


def _refresh_spans(session: Session, hotline_ids: list[int]) -> None:
    session.execute(sa.delete(SPANS).where(SPANS.c.hotline_id.in_(hotline_ids)))
    session.execute(sa.insert(SPANS).from_select(_SPAN_COLUMNS, _spans_from_events(hotline_ids)))


def _rebuild_spans(session: Session) -> None:
    session.execute(sa.delete(SPANS))
    session.execute(sa.insert(SPANS).from_select(_SPAN_COLUMNS, _spans_from_events(None)))


KEPT_SPANS = KeptPerKey(
    name="membership_spans_pending",
    source=HotlineMembershipEvent,
    key="hotline_id",
    refresh_keys=_refresh_spans,
    rebuild_all=_rebuild_spans,
)


def install(session_class: Any) -> None:
    """Keep ``hotline_membership_spans`` current in every session of ``session_class``."""
    KEPT_SPANS.install(session_class)


def rebuild(session: Session) -> None:
    """Compute every hotline's spans again from its events (after a bulk load or a restore)."""
    KEPT_SPANS.rebuild(session)


def membership_order(event: HotlineMembershipEvent) -> tuple[date, int, int]:
    return (event.event_date, STATUS_RANK[event.status], event.id or 0)


def status_from_events(
    events: Iterable[HotlineMembershipEvent], *, on: date
) -> MembershipStatus | None:
    """The rule of ``membership_on_subquery`` over events already loaded (one list page).

    Lists filter and sort by the SQL subquery; this only labels the rows they show.
    """
    past = [e for e in events if e.event_date <= on]
    return max(past, key=membership_order).status if past else None


def first_admitted_from_events(
    events: Iterable[HotlineMembershipEvent], *, on: date
) -> date | None:
    dates = [e.event_date for e in events if e.event_date <= on and e.status in COVERING_STATUSES]
    return min(dates) if dates else None


@dataclass(frozen=True, slots=True)
class _Step:
    on: date
    status: MembershipStatus
    order: int  # id; a new event sorts after stored ones of the same date and status

    @property
    def key(self) -> tuple[date, int, int]:
        return (self.on, STATUS_RANK[self.status], self.order)

    def __str__(self) -> str:
        return f"{_EVENT_NOUN[self.status]} on {self.on.isoformat()}"


def _chronology_problem(steps: Iterable[_Step]) -> str | None:
    """Why a membership history is impossible, naming the events in conflict; None if fine.

    The history is read in the order ``membership_on_subquery`` uses: by date, then by the
    lifecycle order applicant < provisional < full < suspended < withdrawn.
    """
    ordered = sorted(steps, key=lambda s: s.key)
    if not ordered:
        return None
    first = ordered[0]
    if first.status in (MembershipStatus.SUSPENDED, MembershipStatus.WITHDRAWN):
        return (
            f"The {first} would be the first event: a history starts with an application "
            "(or, for a founding hotline, its admission)."
        )
    first_spell = list(
        itertools.takewhile(lambda s: s.status != MembershipStatus.WITHDRAWN, ordered)
    )
    application = next((s for s in first_spell if s.status == MembershipStatus.APPLICANT), None)
    if application is not None:
        early = next(
            (s for s in first_spell if s.status in COVERING_STATUSES and s.key < application.key),
            None,
        )
        if early is not None:
            return f"No full member before applicant: the {early} comes before the {application}."
    previous: _Step | None = None
    withdrawal: _Step | None = None
    for step in ordered:
        if withdrawal is not None and step.status != MembershipStatus.APPLICANT:
            return (
                f"No event after withdrawal without re-application: the {step} follows the "
                f"{withdrawal} with no new application in between."
            )
        if step.status == MembershipStatus.SUSPENDED and (
            previous is None or previous.status not in COVERING_STATUSES
        ):
            state = _STATE_WORDS[previous.status if previous else None]
            since = f" (since the {previous})" if previous else ""
            return f"Only a member can be suspended: at the {step} the hotline is {state}{since}."
        if step.status == MembershipStatus.WITHDRAWN:
            withdrawal = step
        elif step.status == MembershipStatus.APPLICANT:
            withdrawal = None
        previous = step
    return None


def _stored_steps(session: Session, hotline_id: int) -> list[tuple[int, _Step]]:
    return [
        (event_id, _Step(on, MembershipStatus(status), event_id))
        for event_id, on, status in session.execute(
            sa.select(
                HotlineMembershipEvent.id,
                HotlineMembershipEvent.event_date,
                HotlineMembershipEvent.status,
            ).where(HotlineMembershipEvent.hotline_id == hotline_id)
        )
    ]


def require_active(obj: Hotline | ExpansionTarget, what: str) -> None:
    if obj.archived_at is not None:
        raise ValidationError(None, f"This {what} is archived; restore it before changing it.")


def past_event_date(
    field: str, value: object, *, today: date, earliest: date | None = None
) -> date:
    value = validation.required_date(field, value)
    if value > today:
        raise ValidationError(
            field,
            f"{value.isoformat()} is in the future; record what has happened (today is "
            f"{today.isoformat()}).",
        )
    if earliest is not None and value < earliest:
        raise ValidationError(field, f"The date cannot be before {earliest.isoformat()}.")
    return value


def add_membership_event(
    session: Session,
    *,
    hotline: Hotline,
    on: date | str | None,
    status: MembershipStatus | str | None,
    note: str | None,
) -> HotlineMembershipEvent:
    """Record a dated membership change, in any order of entry, if the history stays possible."""
    (event,) = add_membership_events(session, hotline=hotline, events=[(on, status, note)])
    assert isinstance(event, HotlineMembershipEvent)
    return event


def add_membership_events(
    session: Session,
    *,
    hotline: Hotline | NewRow,
    events: Sequence[tuple[date | str | None, MembershipStatus | str | None, str | None]],
    batch: Batch | None = None,
) -> list[HotlineMembershipEvent | NewRow]:
    """Record several dated changes (on, status, note) as if entered one after the other: each
    is checked against the stored history and the ones before it, and all are written at once
    (flushed). A hotline an import's ``batch`` created (a ``NewRow``) has no history yet, and
    its events are rows of the batch too."""
    if not isinstance(hotline, NewRow):
        require_active(hotline, "hotline")
    if isinstance(hotline, NewRow):
        steps: list[_Step] = []
    elif "membership_events" in sa.inspect(hotline).dict:  # loaded (or new): no query
        # Events not yet flushed (earlier rows of an import) have no id: they sort after the
        # stored ones, in the order they were added.
        steps = [
            _Step(
                e.event_date,
                MembershipStatus(e.status),
                e.id if e.id is not None else sys.maxsize // 2 + position,
            )
            for position, e in enumerate(hotline.membership_events)
        ]
    else:
        steps = [step for _, step in _stored_steps(session, hotline.id)]
    added: list[HotlineMembershipEvent | NewRow] = []
    for position, (on, status, note) in enumerate(events):
        day = past_event_date("on", on, today=date.today(), earliest=EARLIEST_EVENT)
        new_status: MembershipStatus = validation.choice("status", MembershipStatus, status)
        cleaned_note = validation.free_text("note", note, max_length=500)
        # A new event sorts after stored ones of the same date and status, and after the
        # ones added before it here.
        candidate = _Step(day, new_status, sys.maxsize - len(events) + position)
        if any(s.on == day and s.status == new_status for s in steps):
            raise ValidationError("on", f"The history already has the {candidate}.")
        problem = _chronology_problem([*steps, candidate])
        if problem:
            raise ValidationError("status", problem)
        steps.append(candidate)
        if isinstance(hotline, NewRow):
            assert batch is not None
            values = {"event_date": day, "status": new_status, "note": cleaned_note}
            added.append(batch.insert(HotlineMembershipEvent, {"hotline_id": hotline, **values}))
            continue
        # Through the relationship: the hotline's loaded history includes it, and the hotline
        # needs no id yet (an import may flush a batch of rows later).
        event = HotlineMembershipEvent(
            hotline=hotline, event_date=day, status=new_status, note=cleaned_note
        )
        session.add(event)
        added.append(event)
    batching.flush(session, batch)
    return added


def remove_membership_event(session: Session, *, event: HotlineMembershipEvent) -> None:
    """Delete a wrongly entered event, if the history without it stays possible."""
    hotline = event.hotline
    require_active(hotline, "hotline")
    removed = _Step(event.event_date, event.status, event.id)
    remaining = [s for event_id, s in _stored_steps(session, hotline.id) if event_id != event.id]
    problem = _chronology_problem(remaining)
    if problem:
        raise ValidationError(None, f"Deleting the {removed} would break the history. {problem}")
    session.delete(event)
    session.flush()
    session.expire(hotline, ["membership_events"])


def get_membership_event(
    session: Session, *, hotline: Hotline, event_id: int
) -> HotlineMembershipEvent:
    return records.get_or_404(
        session, HotlineMembershipEvent, event_id, what="membership event", hotline_id=hotline.id
    )


def membership_timeline(session: Session, *, hotline_id: int) -> list[HotlineMembershipEvent]:
    """The hotline's events in the order the status is derived from (date, then lifecycle)."""
    events = session.scalars(
        sa.select(HotlineMembershipEvent).where(HotlineMembershipEvent.hotline_id == hotline_id)
    ).all()
    return sorted(events, key=membership_order)
