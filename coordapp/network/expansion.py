"""Expansion targets: each one's stage on a date, and the records workspace's commands
(create, edit, move to a stage) and stage history."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from coordapp import validation
from coordapp.auth import service as auth
from coordapp.auth.models import Role, User
from coordapp.batching import Batch
from coordapp.errors import ValidationError
from coordapp.labels import label
from coordapp.network.membership import membership_status_on, past_event_date, require_active
from coordapp.network.models import (
    EXPANSION_STAGE_ORDER,
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    Priority,
)
from coordapp.records import service as records
from coordapp.reference import service as reference


def stage_by_target_subquery(on: date) -> sa.Subquery:
    """(target_id, stage) as of ``on`` for every target, archived or not.

    Stages may go back as well as forward, so on one day the later entry wins.
    """
    ranked = (
        sa.select(
            ExpansionStageEvent.target_id,
            ExpansionStageEvent.stage,
            ExpansionStageEvent.entered_on,
            sa.func.row_number()
            .over(
                partition_by=ExpansionStageEvent.target_id,
                order_by=(ExpansionStageEvent.entered_on.desc(), ExpansionStageEvent.id.desc()),
            )
            .label("rn"),
        )
        .where(ExpansionStageEvent.entered_on <= on)
        .subquery("ranked_target_stage")
    )
    return (
        sa.select(ranked.c.target_id, ranked.c.stage, ranked.c.entered_on)
        .where(ranked.c.rn == 1)
        .subquery("target_stage_on")
    )


def stage_order(event: ExpansionStageEvent) -> tuple[date, int]:
    return (event.entered_on, event.id or sys.maxsize)


def stage_from_events(events: Iterable[ExpansionStageEvent], *, on: date) -> ExpansionStage | None:
    """The rule of the stage subqueries over events already loaded (one list page)."""
    past = [e for e in events if e.entered_on <= on]
    return max(past, key=stage_order).stage if past else None


def assignable_owner_choices(session: Session) -> list[tuple[str, str]]:
    """Active managers and admins (the people who work on expansion), for the owner select."""
    return [
        (str(user_id), name)
        for user_id, name in session.execute(
            sa.select(User.id, User.full_name)
            .where(User.active.is_(True), User.role.in_([Role.MANAGER.value, Role.ADMIN.value]))
            .order_by(User.full_name)
        )
    ]


def get_expansion_target(session: Session, target_id: int) -> ExpansionTarget:
    obj: ExpansionTarget = records.get_or_404(
        session, ExpansionTarget, target_id, what="expansion target"
    )
    return obj


def _optional_id(session: Session, field: str, value: object, model: Any, what: str) -> int | None:
    record_id = validation.optional_id(field, value, message=f"Choose a {what} from the list.")
    if record_id is not None and session.get(model, record_id) is None:
        raise ValidationError(field, f"There is no {what} with id {record_id}.")
    return record_id


def _clean_expansion_fields(
    session: Session, data: Mapping[str, Any], *, obj: ExpansionTarget | None, batch: Batch | None
) -> dict[str, Any]:
    """Priority, owner, next step and due date, notes, linked hotline (stages move apart)."""
    owner_id = _optional_id(session, "owner_id", data.get("owner_id"), User, "user")
    if owner_id is not None:
        owner = session.get_one(User, owner_id)
        if not owner.active or owner.role == Role.VIEWER:
            raise ValidationError(
                "owner_id", f"{owner.full_name} cannot own pipeline work (needs an active manager)."
            )
    due = validation.date_value("next_step_due", data.get("next_step_due"), required=False)
    return {
        "priority": validation.choice(
            "priority", Priority, data.get("priority") or Priority.MEDIUM.value
        ),
        "owner_id": owner_id,
        "next_step": validation.free_text("next_step", data.get("next_step"), max_length=300),
        "next_step_due": due,
        "hotline_id": _optional_id(
            session, "hotline_id", data.get("hotline_id"), Hotline, "hotline"
        ),
        "notes": validation.free_text("notes", data.get("notes")),
    }


def create_expansion_target(
    session: Session, *, data: Mapping[str, Any], actor_id: int | None = None
) -> ExpansionTarget:
    """A new target in a country without one, entering its first stage on a date."""
    code = reference.require_country(
        session, "country_code", data.get("country_code"), required=True
    )
    existing = session.scalar(
        sa.select(ExpansionTarget).where(ExpansionTarget.country_code == code)
    )
    if existing is not None:
        hint = " (archived: restore it instead)" if existing.archived_at else ""
        raise ValidationError(
            "country_code", f"{existing.country.name} already has an expansion target{hint}."
        )
    stage = validation.choice("stage", ExpansionStage, data.get("stage"))
    entered_on = past_event_date("stage_on", data.get("stage_on"), today=date.today())
    target = ExpansionTarget(
        country_code=code, **_clean_expansion_fields(session, data, obj=None, batch=None)
    )
    session.add(target)
    session.flush()
    session.add(
        ExpansionStageEvent(
            target_id=target.id,
            stage=stage,
            entered_on=entered_on,
            note=validation.free_text("stage_note", data.get("stage_note"), max_length=500),
            actor_id=actor_id,
        )
    )
    session.flush()
    return target


# A target's edit changes its fields; its stages move apart (``move_stage``).
update_expansion_target = records.RecordCommands(
    ExpansionTarget, clean=_clean_expansion_fields
).update


def stage_history(session: Session, *, target_id: int) -> list[ExpansionStageEvent]:
    return list(
        session.scalars(
            sa.select(ExpansionStageEvent)
            .where(ExpansionStageEvent.target_id == target_id)
            .options(selectinload(ExpansionStageEvent.target))
            .order_by(ExpansionStageEvent.entered_on, ExpansionStageEvent.id)
        )
    )


def move_stage(
    session: Session,
    *,
    target: ExpansionTarget,
    stage: ExpansionStage | str | None,
    on: date | str | None,
    note: str | None,
    actor_id: int | None,
) -> ExpansionStageEvent:
    """Move the target to any stage (forward or back), dated between its last move and today."""
    require_active(target, "expansion target")
    new_stage: ExpansionStage = validation.choice("stage", ExpansionStage, stage)
    day = past_event_date("on", on, today=date.today())
    history = stage_history(session, target_id=target.id)
    if history:
        last = history[-1]
        if day < last.entered_on:
            raise ValidationError(
                "on",
                f"The previous move ({label(last.stage).lower()}) is dated "
                f"{last.entered_on.isoformat()}; a move cannot be dated before it.",
            )
        if last.stage == new_stage:
            raise ValidationError(
                "stage",
                f"The target is already at {label(new_stage).lower()} "
                f"(since {last.entered_on.isoformat()}).",
            )
    event = ExpansionStageEvent(
        target_id=target.id,
        stage=new_stage,
        entered_on=day,
        note=validation.free_text("note", note, max_length=500),
        actor_id=actor_id,
    )
    session.add(event)
    session.flush()
    session.expire(target, ["stage_events"])
    return event


@dataclass(frozen=True, slots=True)
class StageSpell:
    """One stay in a stage: from its event until the next move (or today, if current)."""

    event: ExpansionStageEvent
    until: date
    days: int
    current: bool


def stage_spells(events: Sequence[ExpansionStageEvent], *, today: date) -> list[StageSpell]:
    ordered = sorted((e for e in events if e.entered_on <= today), key=stage_order)
    spells = []
    for index, event in enumerate(ordered):
        current = index == len(ordered) - 1
        until = today if current else ordered[index + 1].entered_on
        spells.append(
            StageSpell(event, until, max(0, (until - event.entered_on).days), current=current)
        )
    return spells


def days_per_stage(spells: Iterable[StageSpell]) -> list[tuple[ExpansionStage, int]]:
    """Total days in each stage reached (a stage visited twice adds up), in pipeline order."""
    totals: dict[ExpansionStage, int] = {}
    for spell in spells:
        totals[spell.event.stage] = totals.get(spell.event.stage, 0) + spell.days
    return sorted(totals.items(), key=lambda item: EXPANSION_STAGE_ORDER[item[0]])


def expansion_related(session: Session, *, target: ExpansionTarget, today: date) -> dict[str, Any]:
    history = stage_history(session, target_id=target.id)
    spells = stage_spells(history, today=today)
    actors = {
        user.id: user
        for user in session.scalars(
            sa.select(User).where(User.id.in_({e.actor_id for e in history if e.actor_id}))
        )
    }
    return {
        "current_stage": spells[-1].event.stage if spells else None,
        "spells": list(reversed(spells)),
        "days_per_stage": days_per_stage(spells),
        "actors": actors,
        "hotline_status": (
            membership_status_on(session, hotline_id=target.hotline_id, on=today)
            if target.hotline_id
            else None
        ),
    }


# The expansion targets a user owns, for their personal-data export.
auth.export_owned(
    "expansion_targets_owned",
    ExpansionTarget.owner_id,
    id=ExpansionTarget.id,
    country=ExpansionTarget.country_code,
)
