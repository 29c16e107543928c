"""Declarative base, naming convention and the mixins every business record shares."""

from __future__ import annotations

import enum
import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import (
    DeclarativeBase,
    Mapped,
    MappedColumn,
    Session,
    declared_attr,
    mapped_column,
)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Table info marking a table computed from others (kept current by code; not backed up).
DERIVED = "derived"

# Money in any ISO 4217 currency (up to 4 minor digits: CLF, UYW) and exchange rates.
Money = sa.Numeric(18, 4, asdecimal=True)
Rate = sa.Numeric(20, 10, asdecimal=True)


def ranked(expression: Any, ranks: Mapping[Any, int]) -> sa.Case[Any]:
    """``expression``'s enum value as its rank in ``ranks`` (enum member: rank), in SQL: for
    ordering by an order that is not the values' alphabetical one."""
    return sa.case({member.value: rank for member, rank in ranks.items()}, value=expression)


def distinct_values(session: Session, column: Any, *where: Any) -> list[Any]:
    """The different values of ``column`` in the rows ``where`` keeps, in order: one query."""
    return list(session.scalars(sa.select(column).where(*where).distinct().order_by(column)))


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> sa.Index:
    """An index of the rows the SQL condition ``where`` keeps, alike on SQLite and PostgreSQL."""
    condition = sa.text(where)
    return sa.Index(
        name, *columns, unique=unique, sqlite_where=condition, postgresql_where=condition
    )


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@functools.cache
def primary_key_attributes(mapper: Any) -> tuple[str, ...]:
    """The attribute names of a mapped class's primary key columns (asked per row by the audit
    listener and the dry run's id giver: ``inspect`` and the mapper's own helpers cost more)."""
    return tuple(mapper.get_property_by_column(column).key for column in mapper.primary_key)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def str_enum(enum_cls: type[enum.StrEnum], name: str) -> sa.Enum:
    """A portable string enum column type: VARCHAR + CHECK, the stored value is the enum value."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


def parent_key(table: str, *, index: bool = True) -> MappedColumn[int]:
    """The id of the record a row is part of, deleted with it; indexed unless an index of the
    table's own leads with it."""
    return mapped_column(
        sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False, index=index
    )


def link_table(
    name: str, parent: tuple[str, str], other: tuple[str, str], *, index_other: bool = False
) -> sa.Table:
    """A many-to-many table: its rows pair the record ``parent`` (column, table) names with the
    one ``other`` names, keyed by both; a pair is deleted with its parent record, and the other
    record cannot be deleted while paired (``index_other``: look pairs up from that side too)."""
    (parent_id, parent_table), (other_id, other_table) = parent, other
    return sa.Table(
        name,
        Base.metadata,
        sa.Column(
            parent_id, sa.ForeignKey(f"{parent_table}.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            other_id, sa.ForeignKey(f"{other_table}.id"), primary_key=True, index=index_other
        ),
    )


def range_check(column: str, low: int, high: int, *, optional: bool = False) -> sa.CheckConstraint:
    """``column`` from ``low`` to ``high``, both allowed (or empty, if ``optional``), as the
    constraint ``<column>_range``; the services validate against the same bounds."""
    rule = f"{column} BETWEEN {low} AND {high}"
    return sa.CheckConstraint(
        f"{column} IS NULL OR {rule}" if optional else rule, name=f"{column}_range"
    )


def period_check() -> sa.CheckConstraint:
    """The rule of a table with a period (``period_start`` to ``period_end``, both days in
    it): it ends on or after the day it starts."""
    return sa.CheckConstraint("period_end >= period_start", name="period_end_after_start")


def paging_indexes(table: str, *columns: str) -> tuple[sa.Index, ...]:
    """The indexes a list sorted by one of ``columns`` walks page by page, the id breaking
    ties."""
    return tuple(sa.Index(f"ix_{table}_{column}_id", column, "id") for column in columns)


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)


class ArchivableMixin:
    """Business records are archived, never hard-deleted."""

    archived_at: Mapped[datetime | None] = mapped_column(default=None)

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None


class VersionedMixin:
    """Optimistic locking: a save against a stale version raises StaleDataError."""

    version: Mapped[int] = mapped_column(nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Audited:
    """Marker: inserts, updates and deletes of these records write field-level audit events."""

    __audit_exclude__: frozenset[str] = frozenset({"created_at", "updated_at", "version"})


class SurrogateKey:
    """An integer id as the primary key."""

    # First, as in the tables the migrations made (a base class's columns come after the
    # subclass's own).
    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-1)


class RecordBase(SurrogateKey, Audited, VersionedMixin, ArchivableMixin, TimestampMixin, Base):
    """A business record that managers create and edit: audited field by field, versioned
    against lost updates, archived rather than deleted, timestamped."""

    __abstract__ = True


class AuditedRow(SurrogateKey, Audited, TimestampMixin, Base):
    """A timestamped row whose inserts, updates and deletes are audited (a dated event in a
    record's history, a part of a record)."""

    __abstract__ = True


class DatedEvent(AuditedRow):
    """One dated step of a record's history (a status, a stage) with an optional note; the
    record's state on any date is derived from its events."""

    __abstract__ = True

    note: Mapped[str | None] = mapped_column(sa.String(500))


class NewRow:
    """A record written with a Core INSERT among many (``coordapp.batching.Batch.insert``)
    rather than through the unit of work: its class, its values by attribute (a value may be
    another ``NewRow``, standing for its id) and its id, given when the batch writes it."""

    __slots__ = ("model", "values", "id")

    def __init__(self, model: type[Any], values: dict[str, Any]) -> None:
        self.model = model
        self.values = values
        self.id: int | None = None

    def __repr__(self) -> str:
        return f"<NewRow {self.model.__name__} {self.id}>"
