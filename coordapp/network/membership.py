"""Membership of the hotlines: the status on any date (one rule, in SQL and over loaded
events) and the dated history that it is derived from, kept possible on every change."""

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
from coordapp.network.models import (
    COVERING_STATUSES,
    ExpansionTarget,
    Hotline,
    HotlineMembershipEvent,
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


def _status_rank() -> sa.Case[Any]:
    return ranked(HotlineMembershipEvent.status, STATUS_RANK)


def membership_on_subquery(on: date) -> sa.Subquery:
    """One row per hotline that has any event on or before ``on``: (hotline_id, status)."""
    return membership_on_select(on).subquery("membership_on")


def membership_on_select(on: date) -> sa.Select[Any]:
    """``membership_on_subquery`` as a select, for a statement that reads it more than once
    (as a CTE: the events are ranked once)."""
    ranked = (
        sa.select(
            HotlineMembershipEvent.hotline_id,
            HotlineMembershipEvent.status,
            sa.func.row_number()
            .over(
                partition_by=HotlineMembershipEvent.hotline_id,
                order_by=(
                    HotlineMembershipEvent.event_date.desc(),
                    _status_rank().desc(),
                    HotlineMembershipEvent.id.desc(),
                ),
            )
            .label("rn"),
        )
        .where(HotlineMembershipEvent.event_date <= on)
        .subquery("ranked_membership")
    )
    return sa.select(ranked.c.hotline_id, ranked.c.status).where(ranked.c.rn == 1)


def membership_spans(*, active_only: bool = False) -> sa.Subquery:
    """Every membership event as a span: (hotline_id, status, valid_from, valid_until), each
    valid until the next event of its hotline in the order of the status-on-a-date rule (date,
    lifecycle rank, id; ``valid_until`` None: still in force). A day falls in at most one span
    per hotline (``valid_from <= day < valid_until``), whose status is the hotline's that day:
    ``membership_status_of`` for many days in one statement. ``active_only``: archived
    hotlines' events left out."""
    spans = sa.select(
        HotlineMembershipEvent.hotline_id,
        HotlineMembershipEvent.status,
        HotlineMembershipEvent.event_date.label("valid_from"),
        sa.func.lead(HotlineMembershipEvent.event_date)
        .over(
            partition_by=HotlineMembershipEvent.hotline_id,
            order_by=(HotlineMembershipEvent.event_date, _status_rank(), HotlineMembershipEvent.id),
        )
        .label("valid_until"),
    )
    if active_only:
        spans = spans.join(Hotline, Hotline.id == HotlineMembershipEvent.hotline_id).where(
            Hotline.archived_at.is_(None)
        )
    return spans.subquery("spans")


def span_holds(spans: Any, day: Any) -> sa.ColumnElement[bool]:
    """The span (of ``membership_spans``) is in force on ``day`` (a date or a date column)."""
    return sa.and_(
        spans.c.valid_from <= day, sa.or_(spans.c.valid_until.is_(None), spans.c.valid_until > day)
    )


def membership_status_of(hotline_id: Any, on: date) -> sa.ScalarSelect[Any]:
    """The status of the hotline ``hotline_id`` (a column) on ``on``, as a correlated scalar.

    The same rule as ``membership_on_subquery`` (latest event on or before ``on``; same-day
    events by status rank, then id), looked up per hotline through the index on ``hotline_id``:
    for a filter on a list of hotlines. Joined as a window-function subquery instead, the
    planner cannot estimate how many rows have ``rn = 1`` and may loop over every pair (15
    million comparisons at 100x the demo network, bench/README.md "Home page").
    """
    return (
        sa.select(HotlineMembershipEvent.status)
        .where(
            HotlineMembershipEvent.hotline_id == hotline_id,
            HotlineMembershipEvent.event_date <= on,
        )
        .order_by(
            HotlineMembershipEvent.event_date.desc(),
            _status_rank().desc(),
            HotlineMembershipEvent.id.desc(),
        )
        .limit(1)
        .scalar_subquery()
    )


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
    """(hotline_id, since): the first date each hotline was a provisional or full member."""
    return (
        sa.select(
            HotlineMembershipEvent.hotline_id,
            sa.func.min(HotlineMembershipEvent.event_date).label("since"),
        )
        .where(
            HotlineMembershipEvent.event_date <= on,
            HotlineMembershipEvent.status.in_(COVERING_VALUES),
        )
        .group_by(HotlineMembershipEvent.hotline_id)
        .subquery("first_admitted_on")
    )


def first_admitted_of(hotline_id: Any, on: date) -> sa.ScalarSelect[Any]:
    """The first day the hotline ``hotline_id`` (a column) was a provisional or full member, up
    to ``on``, as a correlated scalar (the rule of ``first_admitted_subquery``, looked up per
    hotline through the index on (hotline_id, event_date, status))."""
    return (
        sa.select(sa.func.min(HotlineMembershipEvent.event_date))
        .where(
            HotlineMembershipEvent.hotline_id == hotline_id,
            HotlineMembershipEvent.event_date <= on,
            HotlineMembershipEvent.status.in_(COVERING_VALUES),
        )
        .scalar_subquery()
    )


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
