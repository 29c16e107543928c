"""Training events and who took part (per hotline or organization)."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.db import DERIVED, AuditedRow, Base, RecordBase, parent_key, str_enum

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


class TrainingEventTotal(Base):
    """One unarchived training event with its participations added up: what the figures per
    year, kind and pillar and the feedback read instead of every participation.

    Derived, never edited: ``coordapp.training.totals`` keeps it current in the transaction
    that writes events, participations or hotlines (on PostgreSQL).
    """

    __tablename__ = "training_event_totals"
    __table_args__ = {"info": {DERIVED: True}}

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_events.id", ondelete="CASCADE"), primary_key=True
    )
    start_date: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    pillar_id: Mapped[int] = mapped_column(sa.ForeignKey("pillars.id"), nullable=False)
    people: Mapped[int] = mapped_column(nullable=False)  # participants, all rows
    taking_part: Mapped[int] = mapped_column(nullable=False)  # participation rows
    responses: Mapped[int] = mapped_column(nullable=False)  # rows with a feedback score
    # Exact: the sum of score x participants (NULL: no score given).
    weighted: Mapped[Decimal | None] = mapped_column(sa.Numeric(asdecimal=True))
    weight: Mapped[int] = mapped_column(nullable=False)  # participants of the scored rows


class TrainingReach(Base):
    """One hotline's participation in an unarchived training event, with what the reach
    figures filter and group it by: the event's date, kind and pillar, the hotline's country,
    and whether it is the first hotline of its country at the event (by id: the one that
    counts the event for the country). Derived like ``TrainingEventTotal``."""

    __tablename__ = "training_reach"
    __table_args__ = (
        sa.Index("ix_training_reach_start_date", "start_date"),
        sa.Index("ix_training_reach_hotline_id", "hotline_id"),
        {"info": {DERIVED: True}},
    )

    event_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_events.id", ondelete="CASCADE"), primary_key=True
    )
    hotline_id: Mapped[int] = mapped_column(sa.ForeignKey("hotlines.id"), primary_key=True)
    country_code: Mapped[str] = mapped_column(sa.String(2), nullable=False)
    start_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(32), nullable=False)
    pillar_id: Mapped[int] = mapped_column(nullable=False)
    participants: Mapped[int] = mapped_column(nullable=False)
    first_of_country: Mapped[bool] = mapped_column(nullable=False)
