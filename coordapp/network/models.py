"""Member hotlines, their membership history and covered countries; the expansion pipeline."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from coordapp.db import (
    ArchivableMixin,
    Audited,
    Base,
    TimestampMixin,
    VersionedMixin,
    str_enum,
)

if TYPE_CHECKING:
    from coordapp.auth.models import User
    from coordapp.partners.models import Organization
    from coordapp.reference.models import Country


class MembershipStatus(enum.StrEnum):
    APPLICANT = "applicant"
    PROVISIONAL = "provisional"
    FULL = "full"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


# Statuses under which a hotline's countries count as covered.
COVERING_STATUSES = (MembershipStatus.PROVISIONAL, MembershipStatus.FULL)


class ExpansionStage(enum.StrEnum):
    IDENTIFIED = "identified"
    SCOPING = "scoping"
    STAKEHOLDER_ENGAGEMENT = "stakeholder_engagement"
    HOTLINE_SETUP = "hotline_setup"
    APPLICANT = "applicant"
    MEMBER = "member"


EXPANSION_STAGE_ORDER = {stage: i for i, stage in enumerate(ExpansionStage)}


class Priority(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


hotline_countries = sa.Table(
    "hotline_countries",
    Base.metadata,
    sa.Column("hotline_id", sa.ForeignKey("hotlines.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("country_code", sa.ForeignKey("countries.alpha2"), primary_key=True, index=True),
)


class Hotline(Audited, VersionedMixin, ArchivableMixin, TimestampMixin, Base):
    def __str__(self) -> str:
        return self.name

    __tablename__ = "hotlines"
    __table_args__ = (
        sa.Index("ix_hotlines_name_lower", sa.func.lower(sa.column("name"))),
        sa.CheckConstraint("staff_count IS NULL OR staff_count >= 0", name="staff_non_negative"),
        sa.CheckConstraint(
            "founded_year IS NULL OR founded_year BETWEEN 1950 AND 2100", name="founded_year_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    operator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"), index=True)
    country_code: Mapped[str] = mapped_column(
        sa.ForeignKey("countries.alpha2"), nullable=False, index=True
    )
    # The hotline's own public reporting page (never a reported URL).
    public_url: Mapped[str | None] = mapped_column(sa.String(300))
    founded_year: Mapped[int | None] = mapped_column()
    # Space-separated ISO 639-1 codes, e.g. "de en".
    languages: Mapped[str | None] = mapped_column(sa.String(120))
    # Space-separated channel keys, e.g. "web email phone app".
    reporting_channels: Mapped[str | None] = mapped_column(sa.String(120))
    staff_count: Mapped[int | None] = mapped_column()
    notes: Mapped[str | None] = mapped_column(sa.Text)

    operator: Mapped[Organization | None] = relationship()
    country: Mapped[Country] = relationship()
    covered_countries: Mapped[list[Country]] = relationship(secondary=hotline_countries)
    membership_events: Mapped[list[HotlineMembershipEvent]] = relationship(
        back_populates="hotline",
        order_by="(HotlineMembershipEvent.event_date, HotlineMembershipEvent.id)",
    )

    def __repr__(self) -> str:
        return f"<Hotline {self.id} {self.name}>"


class HotlineMembershipEvent(Audited, TimestampMixin, Base):
    """A dated change of membership status; the status on any date is derived from these."""

    __tablename__ = "hotline_membership_events"
    __table_args__ = (sa.UniqueConstraint("hotline_id", "event_date", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hotline_id: Mapped[int] = mapped_column(
        sa.ForeignKey("hotlines.id", ondelete="CASCADE"), nullable=False, index=True
    )
    event_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[MembershipStatus] = mapped_column(
        str_enum(MembershipStatus, "membership_status"), nullable=False
    )
    note: Mapped[str | None] = mapped_column(sa.String(500))

    hotline: Mapped[Hotline] = relationship(back_populates="membership_events")


class ExpansionTarget(Audited, VersionedMixin, ArchivableMixin, TimestampMixin, Base):
    """A country without (enough) coverage being worked on. Its stage comes from its history."""

    def __str__(self) -> str:
        return f"Expansion: {self.country.name if self.country else self.country_code}"

    __tablename__ = "expansion_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(
        sa.ForeignKey("countries.alpha2"), nullable=False, unique=True
    )
    priority: Mapped[Priority] = mapped_column(
        str_enum(Priority, "expansion_priority"), nullable=False, default=Priority.MEDIUM
    )
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    # The hotline being set up in the country, once there is one.
    hotline_id: Mapped[int | None] = mapped_column(sa.ForeignKey("hotlines.id"), index=True)
    next_step: Mapped[str | None] = mapped_column(sa.String(300))
    next_step_due: Mapped[date | None] = mapped_column(sa.Date, index=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)

    country: Mapped[Country] = relationship()
    owner: Mapped[User | None] = relationship()
    hotline: Mapped[Hotline | None] = relationship()
    stage_events: Mapped[list[ExpansionStageEvent]] = relationship(
        back_populates="target",
        order_by="(ExpansionStageEvent.entered_on, ExpansionStageEvent.id)",
    )
    # Computed, never stored: loaded by the pipeline list (``with_expression``) from the one
    # definition of the pipeline (coordapp.network.service); None where not asked for.
    in_pipeline_today: Mapped[bool | None] = query_expression()
    stage_stalled_today: Mapped[bool | None] = query_expression()

    __audit_exclude__ = frozenset(
        {"created_at", "updated_at", "version", "in_pipeline_today", "stage_stalled_today"}
    )


class ExpansionStageEvent(Audited, TimestampMixin, Base):
    __tablename__ = "expansion_stage_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    target_id: Mapped[int] = mapped_column(
        sa.ForeignKey("expansion_targets.id", ondelete="CASCADE"), nullable=False, index=True
    )
    stage: Mapped[ExpansionStage] = mapped_column(
        str_enum(ExpansionStage, "expansion_stage"), nullable=False
    )
    entered_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    note: Mapped[str | None] = mapped_column(sa.String(500))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    target: Mapped[ExpansionTarget] = relationship(back_populates="stage_events")
