"""Audit trail: every flush of an ``Audited`` record writes field-level events.

The actor travels on the session (``session.info``): the request sets the signed-in user,
a CLI command sets its own label. Bulk loaders (seed, demo, bench) switch per-row events off
and write one summary event instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent, DataVersion
from coordapp.db import Audited, utcnow

# Core inserts on the table: safe inside a flush, unlike adding ORM objects.
_AUDIT_TABLE: sa.Table = AuditEvent.__table__  # type: ignore[assignment]
_DATA_VERSION_TABLE: sa.Table = DataVersion.__table__  # type: ignore[assignment]
_ACTOR_ID = "audit_actor_id"
_ACTOR_LABEL = "audit_actor_label"
_BULK = "audit_bulk"


def set_actor(session: Session, *, actor_id: int | None, label: str) -> None:
    session.info[_ACTOR_ID] = actor_id
    session.info[_ACTOR_LABEL] = label


@contextlib.contextmanager
def bulk_load(session: Session) -> Iterator[None]:
    """Suspend per-row audit events (seed/demo/bench loads record one summary instead)."""
    previous = session.info.get(_BULK, False)
    session.info[_BULK] = True
    try:
        yield
    finally:
        session.info[_BULK] = previous


def record(
    session: Session,
    *,
    action: str,
    entity_type: str,
    entity_id: object | None = None,
    changes: dict[str, Any] | None = None,
    summary: str | None = None,
) -> None:
    """Write one explicit audit event (for actions that are not plain row changes)."""
    session.execute(
        sa.insert(_AUDIT_TABLE).values(
            occurred_at=utcnow(),
            actor_id=session.info.get(_ACTOR_ID),
            actor_label=session.info.get(_ACTOR_LABEL) or "system",
            action=action,
            entity_type=entity_type,
            entity_id=None if entity_id is None else str(entity_id),
            changes=changes,
            summary=summary,
        )
    )


def events_for(session: Session, *, entity_type: str, entity_id: object) -> list[AuditEvent]:
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _entity_id(obj: Any) -> str | None:
    key = inspect(obj).mapper.primary_key_from_instance(obj)
    if not key or any(part is None for part in key):
        return None
    return ":".join(str(part) for part in key)


def _column_changes(obj: Any, *, mode: str) -> dict[str, list[Any]]:
    state = inspect(obj)
    excluded: frozenset[str] = getattr(obj, "__audit_exclude__", frozenset())
    changes: dict[str, list[Any]] = {}
    for attr in state.mapper.column_attrs:
        key = attr.key
        if key in excluded:
            continue
        hist = state.attrs[key].history
        if mode == "insert":
            value = getattr(obj, key)
            if value is not None:
                changes[key] = [None, _json_value(value)]
        elif mode == "delete":
            values = hist.unchanged or hist.deleted
            before = values[0] if values else None
            changes[key] = [_json_value(before), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before != after:
                changes[key] = [_json_value(before), _json_value(after)]
    return changes


def data_version(session: Session) -> int:
    """The counter every data-changing flush increments (0 before any write)."""
    return session.scalar(sa.select(DataVersion.version).where(DataVersion.id == 1)) or 0


def bump_data_version(session: Session | sa.Connection) -> None:
    """Move the data version on; for writers that bypass the ORM (bulk Core inserts)."""
    session.execute(
        sa.update(_DATA_VERSION_TABLE)
        .where(_DATA_VERSION_TABLE.c.id == 1)
        .values(version=_DATA_VERSION_TABLE.c.version + 1)
    )


def _after_flush(session: Session, flush_context: Any) -> None:
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        bump_data_version(session)
    if session.info.get(_BULK):
        return
    rows: list[dict[str, Any]] = []
    now = utcnow()
    actor_id = session.info.get(_ACTOR_ID)
    actor_label = session.info.get(_ACTOR_LABEL) or "system"
    for mode, objects in (
        ("insert", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            if not isinstance(obj, Audited):
                continue
            if mode == "update" and not session.is_modified(obj, include_collections=False):
                continue
            changes = _column_changes(obj, mode=mode)
            if mode == "update" and not changes:
                continue
            action = "update"
            if mode == "insert":
                action = "create"
            elif mode == "delete":
                action = "delete"
            elif "archived_at" in changes:
                action = "archive" if changes["archived_at"][1] else "restore"
            rows.append(
                {
                    "occurred_at": now,
                    "actor_id": actor_id,
                    "actor_label": actor_label,
                    "action": action,
                    "entity_type": obj.__tablename__,  # type: ignore[attr-defined]
                    "entity_id": _entity_id(obj),
                    "changes": changes,
                    "summary": None,
                }
            )
    if rows:
        session.execute(sa.insert(_AUDIT_TABLE), rows)


def install(session_class: Any) -> None:
    """Attach the audit listener to a session class (once, from create_app)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush, propagate=True)
