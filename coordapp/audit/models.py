"""The audit log: who changed what, when, field by field."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordapp.db import Base, utcnow


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Who acted when there is no user: "cli", "seed", "demo", "system".
    actor_label: Mapped[str] = mapped_column(sa.String(254), nullable=False)
    action: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    entity_type: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    entity_id: Mapped[str | None] = mapped_column(sa.String(40))
    # {"field": [before, after], ...}; values as JSON-safe strings.
    changes: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    summary: Mapped[str | None] = mapped_column(sa.Text)


class DataVersion(Base):
    """One row whose counter goes up with every flush that changes data.

    Dashboards key their caches on it, so any write anywhere invalidates them.
    """

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
