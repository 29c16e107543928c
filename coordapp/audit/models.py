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
