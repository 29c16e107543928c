"""What every record type shares: optimistic versions, field changes, archive and restore."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import batching, validation
from coordapp.audit import service as audit
from coordapp.batching import Batch
from coordapp.db import utcnow
from coordapp.errors import Conflict, NotFound, ValidationError
from coordapp.validation import MAX_RECORD_ID
from coordapp.writers_lock import serialize_writers


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


@dataclass(frozen=True)
class UniqueName:
    """The name of a kind of record that is unique in any case, checked on every save.

    ``what`` starts the message ("A hotline" named … already exists); ``kind`` and ``key``
    (the name as look-ups compare it) are how an import's batch remembers names
    (``other_named``)."""

    model: Any
    what: str
    kind: str
    key: Callable[[str], str]

    def clean(
        self, session: Session, data: Mapping[str, Any], *, obj: Any | None, batch: Batch | None
    ) -> str:
        """The submitted ``name``, unless another record (than ``obj``) has it. Takes the
        writers' lock first: two saves must not both find the name free."""
        name = validation.required_text("name", data.get("name"), max_length=200)
        serialize_writers(session)
        other = other_named(
            session,
            self.model,
            kind=self.kind,
            key=self.key(name),
            name=name,
            exclude_id=obj.id if obj is not None else None,
            batch=batch,
        )
        if other is not None:
            raise ValidationError("name", f"{self.what} named {name!r} already exists.")
        return name


def get_or_404(
    session: Session, model: Any, record_id: Any, *, what: str, **part_of: object
) -> Any:
    """The ``model`` row ``record_id``, else NotFound. With ``part_of`` (e.g.
    ``event_id=event.id``) only a part of that record: another record's part is not found
    through it."""
    if isinstance(record_id, int) and not 0 < record_id <= MAX_RECORD_ID:
        raise NotFound(f"There is no {what} with id {record_id}.")
    obj = session.get(model, record_id)
    if obj is None or any(getattr(obj, key) != value for key, value in part_of.items()):
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


R = TypeVar("R")


@dataclass(frozen=True)
class RecordCommands(Generic[R]):
    """The create and update commands of one kind of record, declared once.

    ``clean(session, data, *, obj, batch)`` turns submitted ``data`` into column values or raises
    ``ValidationError`` (``obj`` is the record being changed, None for a new one). ``create``
    builds the record from them, adds it and flushes; ``update`` checks the version the user
    saw, applies the values that differ and flushes (in an import's ``batch``, with the batch).
    The optional hooks carry what a kind does beyond that: ``build`` a new record from
    (session, data, values), refuse to edit one (``check_editable``), ``change`` it in more than
    its columns (session, obj, data, values), and ``remember`` it in an import's batch
    (batch, obj, values; after updates too unless ``remember_updates`` is False).
    """

    model: type[R]
    clean: Callable[..., dict[str, Any]]
    # False: the table has no version column; the last save wins, and the audit shows both.
    versioned: bool = True
    build: Callable[[Session, Mapping[str, Any], dict[str, Any]], R] | None = None
    check_editable: Callable[[R], None] | None = None
    change: Callable[[Session, R, Mapping[str, Any], dict[str, Any]], None] | None = None
    remember: Callable[[Batch, R, dict[str, Any]], None] | None = None
    remember_updates: bool = True

    def create(self, session: Session, *, data: Mapping[str, Any], batch: Batch | None = None) -> R:
        """A new record; flushes (in an import's ``batch``, with the batch)."""
        values = self.clean(session, data, obj=None, batch=batch)
        obj = self.build(session, data, values) if self.build else self.model(**values)
        session.add(obj)
        if batch is not None and self.remember is not None:
            self.remember(batch, obj, values)
        batching.flush(session, batch)
        return obj

    def update(
        self,
        session: Session,
        *,
        obj: R,
        data: Mapping[str, Any],
        expected_version: int | None = None,
        batch: Batch | None = None,
    ) -> R:
        """Change ``obj`` as the user saw it at ``expected_version``; flushes (as ``create``)."""
        if self.versioned:
            check_version(obj, expected_version)
        if self.check_editable is not None:
            self.check_editable(obj)
        values = self.clean(session, data, obj=obj, batch=batch)
        if self.change is not None:
            self.change(session, obj, data, values)
        else:
            apply_changes(obj, values)
        if batch is not None and self.remember is not None and self.remember_updates:
            self.remember(batch, obj, values)
        batching.flush(session, batch)
        return obj


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
