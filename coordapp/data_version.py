"""The data version: a counter that every data-changing flush moves on, kept per group of tables.

The reporting cache keys its values on it (``coordapp.cache``), so a write anywhere
makes stale exactly the cached figures that read that write's group of tables. The audit
listener moves it on after each flush (``coordapp.audit.service``); writers that bypass the
ORM (bulk Core inserts, a restore) move it on themselves. The writers' lock
(``coordapp.writers_lock``) is a lock on its one row.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy import inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from coordapp.db import Base

# The groups of tables that have a data version of their own: a table belongs to the group
# named after the package of its model (``coordapp.funding.models`` -> funding), else other.
DATA_GROUPS = (
    "audit",
    "auth",
    "funding",
    "imports",
    "network",
    "partners",
    "pillars",
    "reference",
    "stats",
    "training",
    "other",
)


class DataVersion(Base):
    """One row whose counter goes up with every flush that changes data."""

    __tablename__ = "data_version"
    __table_args__ = (sa.CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, default=0)
    # Per group of tables (DATA_GROUPS): the version of the last write to one of its tables.
    audit_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    auth_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    funding_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    imports_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    network_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    partners_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    pillars_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    reference_version: Mapped[int] = mapped_column(
        sa.BigInteger, nullable=False, server_default="0"
    )
    stats_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    training_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")
    other_version: Mapped[int] = mapped_column(sa.BigInteger, nullable=False, server_default="0")


DATA_VERSION_TABLE: sa.Table = DataVersion.__table__  # type: ignore[assignment]


def data_version(session: Session) -> int:
    """The counter every data-changing flush increments (0 before any write)."""
    return session.scalar(sa.select(DataVersion.version).where(DataVersion.id == 1)) or 0


# The per-group versions, in the order of DATA_GROUPS.
GROUP_VERSION_COLUMNS = tuple(DATA_VERSION_TABLE.c[f"{g}_version"] for g in DATA_GROUPS)


def data_versions(session: Session) -> dict[str, int]:
    """Per group of tables (``DATA_GROUPS``), the data version of its last write."""
    row = session.execute(
        sa.select(*GROUP_VERSION_COLUMNS).where(DATA_VERSION_TABLE.c.id == 1)
    ).one_or_none()
    return versions_by_group(row or (0,) * len(DATA_GROUPS))


def versions_by_group(values: Iterable[int]) -> dict[str, int]:
    """``GROUP_VERSION_COLUMNS``' values (in their order) by group."""
    return dict(zip(DATA_GROUPS, values, strict=True))


def table_groups() -> dict[str, str]:
    """Every mapped table's group (``DATA_GROUPS``): the package its model lives in.

    Read from the mapper registry as it is (``create_app`` imports every model first); built
    again only when a model has been mapped since.
    """
    return _table_groups(len(Base.registry.mappers))


@lru_cache(maxsize=4)
def _table_groups(mapped: int) -> dict[str, str]:
    groups: dict[str, str] = {}
    for mapper in Base.registry.mappers:
        package = mapper.class_.__module__.split(".")
        group = package[1] if len(package) > 2 and package[1] in DATA_GROUPS else "other"
        for table in mapper.tables:
            groups[table.name] = group
        for relationship in mapper.relationships:
            # A link table written through a collection: the owner's flush bumps its group.
            if isinstance(relationship.secondary, sa.Table):
                groups.setdefault(relationship.secondary.name, group)
    return groups


def table_group(table_name: str) -> str:
    """The group whose data version a write to ``table_name`` moves on."""
    return table_groups().get(table_name, "other")


def written_groups(objects: Iterable[Any]) -> set[str]:
    """The groups whose data version a flush of ``objects`` (ORM instances) moves on."""
    return {table_group(t.name) for o in objects for t in inspect(o).mapper.tables}


def bump_data_version(
    session: Session | sa.Connection, groups: Iterable[str] | None = None
) -> None:
    """Move the data version on, and that of ``groups`` (None: every group); for writers that
    bypass the ORM (bulk Core inserts)."""
    new = DATA_VERSION_TABLE.c.version + 1
    touched = DATA_GROUPS if groups is None else sorted(set(groups))
    session.execute(
        sa.update(DATA_VERSION_TABLE)
        .where(DATA_VERSION_TABLE.c.id == 1)
        .values(version=new, **{f"{g}_version": new for g in touched})
    )


def set_data_version(connection: sa.Connection, version: int) -> None:
    """Set the data version, and that of every group, to ``version`` (after a restore: no
    cached figure may match a version from before)."""
    connection.execute(
        sa.update(DATA_VERSION_TABLE).values(
            version=version, **{f"{g}_version": version for g in DATA_GROUPS}
        )
    )
