"""What every record type shares: optimistic versions, field changes, archive and restore."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching
from coordapp.audit import service as audit
from coordapp.batching import Batch
from coordapp.db import utcnow
from coordapp.errors import Conflict, NotFound
from coordapp.validation import MAX_RECORD_ID


class StaleRecord(Conflict):
    """The record changed since the user loaded it; ``current`` holds its values now."""

    def __init__(self, obj: Any, *, expected: int | None) -> None:
        super().__init__(
            f"This {type(obj).__name__.lower()} was changed by someone else after you opened it "
            f"(your version {expected}, now version {obj.version}). Nothing was saved."
        )
        self.obj = obj
        self.expected = expected


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


def scalars_in(
    session: Session, statement: sa.Select[Any], column: Any, values: Iterable[Any]
) -> list[Any]:
    """``statement``'s rows whose ``column`` is one of ``values``, a thousand values per query
    (databases cap a statement's parameters)."""
    wanted = sorted(set(values))
    found: list[Any] = []
    for start in range(0, len(wanted), 1000):
        found.extend(session.scalars(statement.where(column.in_(wanted[start : start + 1000]))))
    return found


def other_named(
    session: Session,
    model: Any,
    *,
    kind: str,
    key: str,
    name: str,
    exclude_id: int | None,
    batch: Batch | None = None,
) -> Any | None:
    """A record of ``model`` other than ``exclude_id`` with that name in any case: the duplicate
    check of a name. In an import's ``batch`` it is answered from the names the file was looked
    up with (under ``kind`` and ``key``)."""
    other = batching.remembered(
        batch,
        kind,
        key,
        lambda: session.scalar(
            sa.select(model).where(
                sa.func.lower(model.name) == name.lower(), model.id != (exclude_id or 0)
            )
        ),
    )
    if other is None or (exclude_id is not None and other.id == exclude_id):
        return None
    return other


def get_or_404(session: Session, model: Any, record_id: Any, *, what: str) -> Any:
    if isinstance(record_id, int) and not 0 < record_id <= MAX_RECORD_ID:
        raise NotFound(f"There is no {what} with id {record_id}.")
    obj = session.get(model, record_id)
    if obj is None:
        raise NotFound(f"There is no {what} with id {record_id}.")
    return obj


def check_version(obj: Any, expected: int | None) -> None:
    """Refuse a save made against an older version of ``obj``."""
    if expected is not None and obj.version != expected:
        raise StaleRecord(obj, expected=expected)


def apply_changes(obj: Any, values: Mapping[str, Any]) -> list[FieldChange]:
    """Set the values that differ; return what changed (the audit listener records it too)."""
    changes = []
    for name, value in values.items():
        before = getattr(obj, name)
        if before != value:
            setattr(obj, name, value)
            changes.append(FieldChange(name, before, value))
    return changes


def archive(session: Session, *, obj: Any, expected_version: int | None = None) -> Any:
    check_version(obj, expected_version)
    if obj.archived_at is None:
        obj.archived_at = utcnow()
        session.flush()
    return obj


def restore(session: Session, *, obj: Any, expected_version: int | None = None) -> Any:
    check_version(obj, expected_version)
    if obj.archived_at is not None:
        obj.archived_at = None
        session.flush()
    return obj


def history(session: Session, *, obj: Any) -> list[Any]:
    """The audit events of one record, oldest first."""
    return audit.events_for(session, entity_type=obj.__tablename__, entity_id=obj.id)


def recent_changes_since(session: Session, *, obj: Any, limit: int = 10) -> list[Any]:
    events = history(session, obj=obj)
    return [e for e in events if e.action != "create"][-limit:]


def exists(session: Session, column: Any, value: Any, *, exclude_id: int | None = None) -> bool:
    query = sa.select(sa.literal(1)).where(column == value)
    if exclude_id is not None:
        query = query.where(column.class_.id != exclude_id)
    return session.scalar(query.limit(1)) is not None
