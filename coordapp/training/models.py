"""Training events and who took part (per hotline or organization)."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.db import AuditedRow, RecordBase, parent_key, str_enum

if TYPE_CHECKING:
    from coordapp.network.models import Hotline
    from coordapp.partners.models import Organization
    from coordapp.reference.models import Country, Pillar


class TrainingKind(enum.StrEnum):
    WORKSHOP = "workshop"
    WEBINAR = "webinar"
    EXCHANGE_VISIT = "exchange_visit"
    CONFERENCE = "conference"
    E_LEARNING = "e_learning"


class DeliveryMode(enum.StrEnum):
    ONLINE = "online"
    IN_PERSON = "in_person"
    HYBRID = "hybrid"


class TrainingEvent(RecordBase):
    def __str__(self) -> str:
        return self.title

    __tablename__ = "training_events"
    __table_args__ = (sa.CheckConstraint("end_date >= start_date", name="end_after_start"),)

    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    kind: Mapped[TrainingKind] = mapped_column(
        str_enum(TrainingKind, "training_kind"), nullable=False
    )
    pillar_id: Mapped[int] = mapped_column(sa.ForeignKey("pillars.id"), nullable=False, index=True)
    topics: Mapped[str | None] = mapped_column(sa.String(300))
    start_date: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    end_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    delivery: Mapped[DeliveryMode] = mapped_column(
        str_enum(DeliveryMode, "delivery_mode"), nullable=False
    )
    location_country_code: Mapped[str | None] = mapped_column(sa.ForeignKey("countries.alpha2"))
    organizer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    trainers: Mapped[str | None] = mapped_column(sa.String(300))
    notes: Mapped[str | None] = mapped_column(sa.Text)

    pillar: Mapped[Pillar] = relationship()
    location_country: Mapped[Country | None] = relationship()
    organizer: Mapped[Organization | None] = relationship()
    participations: Mapped[list[TrainingParticipation]] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )


class TrainingParticipation(AuditedRow):
    """How many people one hotline or organization sent to one event."""

    __tablename__ = "training_participations"
    __table_args__ = (
        sa.CheckConstraint(
            "(hotline_id IS NOT NULL AND organization_id IS NULL)"
            " OR (hotline_id IS NULL AND organization_id IS NOT NULL)",
            name="exactly_one_participant",
        ),
        sa.CheckConstraint("participants >= 0", name="participants_non_negative"),
        sa.CheckConstraint(
            "completed IS NULL OR (completed >= 0 AND completed <= participants)",
            name="completed_within_participants",
        ),
        sa.CheckConstraint(
            "feedback_score IS NULL OR (feedback_score >= 1 AND feedback_score <= 5)",
            name="feedback_range",
        ),
        # One row per participant per event (NULLs never collide, so one constraint per kind).
        sa.UniqueConstraint("event_id", "hotline_id"),
        sa.UniqueConstraint("event_id", "organization_id"),
    )

    event_id: Mapped[int] = parent_key("training_events")
    hotline_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hotlines.id"), index=True)
    organization_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizations.id"), index=True
    )
    participants: Mapped[int] = mapped_column(nullable=False)
    completed: Mapped[int | None] = mapped_column()
    feedback_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(3, 2))
    # Optional named attendees, one per line (personal data: erasable).
    attendee_names: Mapped[str | None] = mapped_column(sa.Text)

    event: Mapped[TrainingEvent] = relationship(back_populates="participations")
    hotline: Mapped[Hotline | None] = relationship()
    organization: Mapped[Organization | None] = relationship()
