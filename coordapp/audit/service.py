"""Audit trail: every flush of an ``Audited`` record writes field-level events.

The actor travels on the session (``session.info``): the request sets the signed-in user,
a CLI command sets its own label. Bulk loaders (seed, demo, bench) switch per-row events off
and write one summary event instead (``bulk_load``); personal-data erasure writes one "erase"
event and redacts the record's earlier ones (``erasing``). Each flush also moves the data
version on (``coordapp.data_version``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from psycopg.types.json import Json
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session

from coordapp import listing
from coordapp.audit.models import AuditEvent
from coordapp.data_version import bump_data_version, table_group, written_groups
from coordapp.db import Audited, NewRow, primary_key_attributes, utcnow
from coordapp.listing import Column, Filter, ListSpec

# Core inserts on the table: safe inside a flush, unlike adding ORM objects.
_AUDIT_TABLE: sa.Table = AuditEvent.__table__  # type: ignore[assignment]
_ACTOR_ID = "audit_actor_id"
_ACTOR_LABEL = "audit_actor_label"
_ROW_EVENTS_OFF = "audit_row_events_off"  # bulk loads and erasures
_DEFERRED = "audit_deferred"  # {"summary": str, "rows": [...], "bump": bool} during an import


def set_actor(session: Session, *, actor_id: int | None, label: str) -> None:
    session.info[_ACTOR_ID] = actor_id
    session.info[_ACTOR_LABEL] = label


@contextlib.contextmanager
def _row_events_off(session: Session) -> Iterator[None]:
    previous = session.info.get(_ROW_EVENTS_OFF, False)
    session.info[_ROW_EVENTS_OFF] = True
    try:
        yield
    finally:
        session.info[_ROW_EVENTS_OFF] = previous


@contextlib.contextmanager
def bulk_load(session: Session) -> Iterator[None]:
    """Seed, demo and bench loads: flushes inside write no per-row events (the loader records
    one summary event instead). The data version still moves on."""
    with _row_events_off(session):
        yield


@contextlib.contextmanager
def erasing(
    session: Session, *, entity_type: str, entity_id: object, fields: frozenset[str]
) -> Iterator[None]:
    """Personal-data erasure of ``fields`` of one record, written inside the block.

    The flushes inside write no field-level event: it would copy the values being erased into
    the audit. On leaving, the block is flushed and the values of ``fields`` in the record's
    earlier events become ``ERASED`` (``redact_fields``). The caller then records the one
    "erase" event, which names no old value.
    """
    with _row_events_off(session):
        yield
        session.flush()
    redact_fields(session, entity_type=entity_type, entity_id=entity_id, fields=fields)


@contextlib.contextmanager
def deferred(session: Session, *, summary: str, events: bool = True) -> Iterator[None]:
    """Keep per-row audit events (each labelled with ``summary``) and the data-version bump in
    memory until ``write_deferred``; leaving the block without writing them drops them.
    ``events=False``: work that is rolled back whatever happens (an import's dry run) has no
    events to keep, and none are even made.

    A large import flushes once per row: one audit insert and one version update per flush would
    double its statements. Here they become a multi-row insert per batch of rows
    (``write_deferred_events``) and one update at the end.
    """
    previous = session.info.get(_DEFERRED)
    session.info[_DEFERRED] = {
        "summary": summary,
        "rows": [],
        "bump": False,
        "groups": set(),
        "events": events,
    }
    try:
        yield
    finally:
        session.info[_DEFERRED] = previous


_EVENT_COLUMNS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "entity_type",
    "entity_id",
    "changes",
    "summary",
)


def _insert_events(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Write audit events (dicts of ``_EVENT_COLUMNS``). PostgreSQL copies them in: for an
    import's tens of thousands of events, about a third of the CPU that a parameter set per
    event takes (bench.imports). The stored values are the same (``changes`` as the JSON the
    column's type writes, ``null`` for None)."""
    connection = session.connection()
    if connection.dialect.name != "postgresql":
        session.execute(sa.insert(_AUDIT_TABLE), rows)
        return
    driver = connection.connection.driver_connection
    assert driver is not None  # a live connection's psycopg connection
    statement = f"COPY {_AUDIT_TABLE.name} ({', '.join(_EVENT_COLUMNS)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(
                [Json(row[name]) if name == "changes" else row[name] for name in _EVENT_COLUMNS]
            )


def write_deferred(session: Session) -> int:
    """Write what ``deferred`` kept (inside its block); returns the number of audit events."""
    state = session.info.get(_DEFERRED)
    if not state:
        return 0
    written = write_deferred_events(session)
    if state["bump"]:
        state["bump"] = False
        bump_data_version(session, state["groups"])
        state["groups"] = set()
    return written


def write_deferred_events(session: Session) -> int:
    """Write the audit events ``deferred`` kept so far, not the data-version bump: an import
    writes a batch of rows' events after each batch, instead of holding them all."""
    state = session.info.get(_DEFERRED)
    if not state:
        return 0
    rows, state["rows"] = state["rows"], []
    for row in rows:
        # Named by its record: the id it was given when its batch was flushed.
        entity = row.pop("entity", None)
        if entity is not None:
            row["entity_id"] = _entity_id(entity)
    if rows:
        _insert_events(session, rows)
    return len(rows)


def record(
    session: Session,
    *,
    action: str,
    entity_type: str,
    entity_id: object | None = None,
    entity: object | None = None,
    changes: dict[str, Any] | None = None,
    summary: str | None = None,
) -> None:
    """Write one explicit audit event (for actions that are not plain row changes).

    ``entity`` names the record itself instead of ``entity_id``: within ``deferred`` it may not
    have its id yet (an import flushes a batch of rows at a time).
    """
    state = session.info.get(_DEFERRED)
    if state is not None and not state["events"]:
        return
    if entity is not None and state is None:
        entity_id = _entity_id(entity)
    values: dict[str, Any] = {
        "occurred_at": utcnow(),
        "actor_id": session.info.get(_ACTOR_ID),
        "actor_label": session.info.get(_ACTOR_LABEL) or "system",
        "action": action,
        "entity_type": entity_type,
        "entity_id": None if entity_id is None else str(entity_id),
        "changes": changes,
        "summary": summary,
    }
    if state is not None:
        values["summary"] = summary or state["summary"]
        if entity is not None:
            values["entity"] = entity
        state["rows"].append(values)
        return
    session.execute(sa.insert(_AUDIT_TABLE).values(**values))


def record_about(
    session: Session,
    obj: Any,
    *,
    action: str,
    changes: dict[str, Any] | None = None,
    summary: str | None = None,
) -> None:
    """``record`` an explicit event about the record ``obj`` (its table and id name it)."""
    record(
        session,
        action=action,
        entity_type=obj.__tablename__,
        entity_id=obj.id,
        changes=changes,
        summary=summary,
    )


def personal_data_export(
    session: Session,
    *,
    person: Any,
    data: dict[str, Any],
    sections: Iterable[dict[str, Any]],
) -> dict[str, Any]:
    """One person's export (a user, a contact): ``data`` with the other domains' ``sections``
    added, and the export recorded in the audit trail as done to ``person``'s record."""
    for section in sections:
        data.update(section)
    record_about(session, person, action="export", summary="Personal data exported.")
    return data


def events_for(session: Session, *, entity_type: str, entity_id: object) -> list[AuditEvent]:
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id))
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )


_AS_THEY_ARE = frozenset({type(None), bool, int, str})


def _json_value(value: Any) -> Any:
    if type(value) in _AS_THEY_ARE:  # most values: no isinstance chain
        return value
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _entity_id(obj: Any, state: Any = None) -> str | None:
    if isinstance(obj, NewRow):
        return None if obj.id is None else str(obj.id)
    state = state if state is not None else inspect(obj)
    values = state.dict
    key = [
        values[name] if name in values else getattr(obj, name)
        for name in primary_key_attributes(state.mapper)
    ]
    if not key or any(part is None for part in key):
        return None
    return ":".join(str(part) for part in key)


@functools.cache
def _audited_attributes(mapper: Any) -> tuple[str, ...]:
    """A class's column attributes, but those its ``__audit_exclude__`` names."""
    excluded: frozenset[str] = getattr(mapper.class_, "__audit_exclude__", frozenset())
    return tuple(attr.key for attr in mapper.column_attrs if attr.key not in excluded)


def _inserted(mapper: Any, value_of: Callable[[str], Any]) -> dict[str, list[Any]]:
    """The changes of an inserted record: every audited value that is not None, as new."""
    changes: dict[str, list[Any]] = {}
    for key in _audited_attributes(mapper):
        value = value_of(key)
        if value is not None:
            changes[key] = [None, _json_value(value)]
    return changes


def _column_changes(obj: Any, *, mode: str, state: Any = None) -> dict[str, list[Any]]:
    state = state if state is not None else inspect(obj)
    if mode == "insert":
        # Just inserted: every value is new, no history to compare (the unit of work's dict
        # holds it, unless the database gave it and it was expired).
        values = state.dict
        return _inserted(
            state.mapper, lambda key: values[key] if key in values else getattr(obj, key)
        )
    changes: dict[str, list[Any]] = {}
    for key in _audited_attributes(state.mapper):
        hist = state.attrs[key].history
        if mode == "delete":
            values = hist.unchanged or hist.deleted
            before = values[0] if values else None
            changes[key] = [_json_value(before), None]
        elif hist.has_changes():
            before = hist.deleted[0] if hist.deleted else None
            after = hist.added[0] if hist.added else None
            if before != after:
                changes[key] = [_json_value(before), _json_value(after)]
    return changes


def insert_rows(session: Session, rows: Sequence[NewRow]) -> None:
    """Write ``rows`` (their ids given) with one multi-row INSERT per table, parents first, and
    what a flush of the same records writes besides: a "create" event per audited record, with
    the same changes, and the data-version bump (kept for the end within ``deferred``).

    For an import's new records (``coordapp.batching.Batch``): no objects, no unit of work.
    Every column is written, with its default where the row gives no value, as the unit of
    work does.
    """
    if not rows:
        return
    state = session.info.get(_DEFERRED)
    now = utcnow()
    actor_id = session.info.get(_ACTOR_ID)
    actor_label = session.info.get(_ACTOR_LABEL) or "system"
    audited = not session.info.get(_ROW_EVENTS_OFF) and (state is None or state["events"])
    by_table: dict[sa.Table, list[dict[str, Any]]] = {}
    events: list[dict[str, Any]] = []
    for row in rows:
        mapper = inspect(row.model)
        values = _row_values(mapper, row)
        table, columns = _insert_columns(mapper)
        by_table.setdefault(table, []).append({column: values[key] for key, column in columns})
        if audited and issubclass(row.model, Audited):
            events.append(
                {
                    "occurred_at": now,
                    "actor_id": actor_id,
                    "actor_label": actor_label,
                    "action": "create",
                    "entity_type": table.name,
                    "entity_id": str(row.id),
                    "changes": _inserted(mapper, values.__getitem__),
                    "summary": state["summary"] if state is not None else None,
                }
            )
    for table, parameters in by_table.items():
        session.execute(sa.insert(table), parameters)
    groups = {table_group(table.name) for table in by_table}
    if state is not None:
        state["bump"] = True
        state["groups"] |= groups
        state["rows"].extend(events)
        return
    bump_data_version(session, groups)
    if events:
        _insert_events(session, events)


def _row_values(mapper: Any, row: NewRow) -> dict[str, Any]:
    """Every column attribute's value as the unit of work would insert it: the row's own (a
    ``NewRow`` standing for its id), its id, or the column's default."""
    given = row.values
    values: dict[str, Any] = {}
    for key, make_default, default in _column_defaults(mapper):
        if key in given:
            value = given[key]
            values[key] = value.id if isinstance(value, NewRow) else value
        else:
            values[key] = make_default() if make_default is not None else default
    values[primary_key_attributes(mapper)[0]] = row.id
    return values


@functools.cache
def _column_defaults(mapper: Any) -> tuple[tuple[str, Callable[[], Any] | None, Any], ...]:
    """(attribute, the function giving its column's default or None, the default value) per
    column (``utcnow`` for timestamps, 1 for a version, None for most)."""
    found: list[tuple[str, Callable[[], Any] | None, Any]] = []
    for attribute in mapper.column_attrs:
        default = attribute.columns[0].default
        if default is not None and default.is_callable:
            found.append((attribute.key, functools.partial(default.arg, None), None))
        else:
            found.append((attribute.key, None, default.arg if default is not None else None))
    return tuple(found)


@functools.cache
def _insert_columns(mapper: Any) -> tuple[sa.Table, tuple[tuple[str, str], ...]]:
    """The table of a mapped class and (attribute, column key) for each of its columns."""
    return mapper.local_table, tuple(
        (attribute.key, attribute.columns[0].key) for attribute in mapper.column_attrs
    )


def _after_flush(session: Session, flush_context: Any) -> None:
    state = session.info.get(_DEFERRED)
    changed = [
        *session.new,
        *session.deleted,
        *(o for o in session.dirty if session.is_modified(o)),
    ]
    if changed:
        groups = written_groups(changed)
        if state is not None:
            state["bump"] = True
            state["groups"] |= groups
        else:
            bump_data_version(session, groups)
    if session.info.get(_ROW_EVENTS_OFF) or (state is not None and not state["events"]):
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
            instance = inspect(obj)
            changes = _column_changes(obj, mode=mode, state=instance)
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
                    "entity_id": _entity_id(obj, instance),
                    "changes": changes,
                    "summary": state["summary"] if state is not None else None,
                }
            )
    if rows and state is not None:
        state["rows"].extend(rows)
    elif rows:
        _insert_events(session, rows)


def install(session_class: Any) -> None:
    """Attach the audit listener to a session class (once, from create_app)."""
    if not event.contains(session_class, "after_flush", _after_flush):
        event.listen(session_class, "after_flush", _after_flush, propagate=True)


# --- the audit log page and personal-data erasure ---------------------------------------------

ERASED = "[erased]"


def _on_or_after(value: str) -> Any:
    day = _parse_day(value)
    return None if day is None else AuditEvent.occurred_at >= dt.datetime.combine(day, dt.time())


def _before_end_of(value: str) -> Any:
    day = _parse_day(value)
    if day is None:
        return None
    return AuditEvent.occurred_at < dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def _parse_day(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        return None


def _where(condition: Any) -> Any:
    """A filter that ignores values it cannot use (an unparsable date is no filter)."""

    def apply(query: sa.Select[Any], value: str) -> sa.Select[Any]:
        clause = condition(value)
        return query if clause is None else query.where(clause)

    return apply


def _distinct(column: Any) -> Any:
    def choices(session: Session) -> list[tuple[str, str]]:
        return [(v, v) for v in session.scalars(sa.select(column).distinct().order_by(column))]

    return choices


def _format_changes(changes: dict[str, Any] | None) -> str:
    return "; ".join(f"{name}: {pair[0]} → {pair[1]}" for name, pair in (changes or {}).items())


AUDIT_LIST = ListSpec(
    name="audit-log",
    entity=AuditEvent,
    columns=(
        Column(
            "when",
            "When (UTC)",
            AuditEvent.occurred_at,
            lambda e: e.occurred_at.strftime("%Y-%m-%d %H:%M:%S"),
        ),
        Column("actor", "Who", AuditEvent.actor_label, lambda e: e.actor_label),
        Column("action", "Action", AuditEvent.action, lambda e: e.action),
        Column("entity", "Record type", AuditEvent.entity_type, lambda e: e.entity_type),
        Column("entity_id", "Record id", None, lambda e: e.entity_id),
        Column("changes", "Changes", None, lambda e: _format_changes(e.changes) or e.summary),
    ),
    default_sort="-when",
    archivable=False,
    filters=(
        listing.choice_filter_on(
            "entity_type", "Record type", AuditEvent.entity_type, _distinct(AuditEvent.entity_type)
        ),
        listing.choice_filter_on(
            "action", "Action", AuditEvent.action, _distinct(AuditEvent.action)
        ),
        listing.choice_filter_on(
            "actor", "Who", AuditEvent.actor_label, _distinct(AuditEvent.actor_label)
        ),
        Filter("entity_id", "Record id", lambda q, v: q.where(AuditEvent.entity_id == v)),
        Filter("date_from", "From (YYYY-MM-DD)", _where(_on_or_after)),
        Filter("date_to", "To (YYYY-MM-DD)", _where(_before_end_of)),
    ),
)


def events_by_actor(session: Session, *, actor_id: int) -> list[AuditEvent]:
    """What one user did, oldest first."""
    return list(
        session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.actor_id == actor_id)
            .order_by(AuditEvent.occurred_at, AuditEvent.id)
        )
    )


def redact_fields(
    session: Session, *, entity_type: str, entity_id: object, fields: frozenset[str]
) -> int:
    """Overwrite the before/after values of ``fields`` in one record's earlier events.

    Used by personal-data erasure: the event (who, when, which field changed) stays, the
    values a person could be identified by do not. Returns the number of events rewritten.
    """
    rewritten = 0
    for event_row in events_for(session, entity_type=entity_type, entity_id=entity_id):
        if not event_row.changes or not fields & event_row.changes.keys():
            continue
        event_row.changes = {
            name: ([None if v is None else ERASED for v in pair] if name in fields else list(pair))
            for name, pair in event_row.changes.items()
        }
        rewritten += 1
    session.flush()
    return rewritten


def relabel_actor(session: Session, *, actor_id: int, label: str) -> int:
    """Replace the name (email) an actor is shown by in every event they made."""
    result = session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.actor_id == actor_id)
        .values(actor_label=label)
        .execution_options(synchronize_session="fetch")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
