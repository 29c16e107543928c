"""Member hotlines, their membership history and covered countries; the expansion pipeline."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING, cast

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from coordapp.db import (
    DERIVED,
    Base,
    DatedEvent,
    RecordBase,
    parent_key,
    partial_index,
    range_check,
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


class HotlineCoverage(Base):
    """One spell during which a hotline accepts reports for a country.

    ``covered_from`` is the first day (NULL: from the hotline's admission, for a hotline that
    had never been admitted when the country was added); ``covered_until`` is the first day
    *no longer* covered (exclusive; NULL: still covered). A country removed today is not
    covered today. A hotline has at most one open spell per country; closed spells are history.
    Whether the country counts as covered on a date also depends on the hotline's membership
    that day (``coordapp.network.coverage.coverage_query``).
    """

    __tablename__ = "hotline_countries"
    __table_args__ = (
        sa.CheckConstraint(
            "covered_until IS NULL OR covered_from IS NULL OR covered_until > covered_from",
            name="covered_spell_not_empty",
        ),
        partial_index(
            "uq_hotline_countries_open_spell",
            "hotline_id",
            "country_code",
            unique=True,
            where="covered_until IS NULL",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hotline_id: Mapped[int] = parent_key("hotlines")
    country_code: Mapped[str] = mapped_column(
        sa.ForeignKey("countries.alpha2"), nullable=False, index=True
    )
    covered_from: Mapped[date | None] = mapped_column(sa.Date)
    covered_until: Mapped[date | None] = mapped_column(sa.Date)

    country: Mapped[Country] = relationship()

    def covers_on(self, day: date) -> bool:
        """The spell's own dates only (membership is checked apart)."""
        return (self.covered_from is None or self.covered_from <= day) and (
            self.covered_until is None or day < self.covered_until
        )


# The association table, for Core queries (coverage on a date, the benchmarks).
hotline_countries = cast(sa.Table, HotlineCoverage.__table__)

# No hotline was founded before (the services accept founding years up to this one).
FIRST_FOUNDED_YEAR = 1950


class Hotline(RecordBase):
    def __str__(self) -> str:
        return self.name

    __tablename__ = "hotlines"
    __table_args__ = (
        sa.Index("ix_hotlines_name_lower", sa.func.lower(sa.column("name"))),
        sa.CheckConstraint("staff_count IS NULL OR staff_count >= 0", name="staff_non_negative"),
        range_check("founded_year", FIRST_FOUNDED_YEAR, 2100, optional=True),
    )

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
    # The liaison (its needs-attention items are theirs); none: unassigned.
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)

    operator: Mapped[Organization | None] = relationship()
    owner: Mapped[User | None] = relationship()
    country: Mapped[Country] = relationship()
    # Every coverage spell, open and closed (written by the network service).
    coverage_spells: Mapped[list[HotlineCoverage]] = relationship(
        cascade="all, delete-orphan",
        order_by="(HotlineCoverage.country_code, HotlineCoverage.id)",
    )
    # The countries it accepts reports for now (open spells); read-only.
    covered_countries: Mapped[list[Country]] = relationship(
        secondary="hotline_countries",
        primaryjoin="and_(Hotline.id == HotlineCoverage.hotline_id, "
        "HotlineCoverage.covered_until.is_(None))",
        secondaryjoin="Country.alpha2 == HotlineCoverage.country_code",
        viewonly=True,
    )
    membership_events: Mapped[list[HotlineMembershipEvent]] = relationship(
        back_populates="hotline",
        order_by="(HotlineMembershipEvent.event_date, HotlineMembershipEvent.id)",
    )

    @property
    def covered_codes(self) -> list[str]:
        """Alpha-2 codes of the open spells, sorted: read from the spells held in memory, so
        it is right before a (deferred) flush too."""
        return sorted(s.country_code for s in self.coverage_spells if s.covered_until is None)

    def __repr__(self) -> str:
        return f"<Hotline {self.id} {self.name}>"


class HotlineMembershipEvent(DatedEvent):
    """A dated change of membership status; the status on any date is derived from these."""

    __tablename__ = "hotline_membership_events"
    __table_args__ = (sa.UniqueConstraint("hotline_id", "event_date", "status"),)

    hotline_id: Mapped[int] = parent_key("hotlines")
    event_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[MembershipStatus] = mapped_column(
        str_enum(MembershipStatus, "membership_status"), nullable=False
    )

    hotline: Mapped[Hotline] = relationship(back_populates="membership_events")


class HotlineMembershipSpan(Base):
    """A hotline's membership status from the day it starts to the day the next one starts
    (``ends_on`` exclusive; None: still in force), one row per day with events: the status of
    ``coordapp.network.membership``'s rule on every day of the span. ``admitted_on``: the
    hotline's first day as a provisional or full member (None: never), on each of its rows.

    Derived, never edited: ``coordapp.network.membership`` keeps it current in the transaction
    that writes the hotline's events.
    """

    __tablename__ = "hotline_membership_spans"
    # One hotline's span on a day is found through the primary key (hotline_id, starts_on); the
    # whole network's spans on a day are a scan of this compact table (18,815 rows at 100x the
    # demo network, 1.6 ms), which the planner prefers to any index on the ends for every day.
    __table_args__ = {"info": {DERIVED: True}}

    hotline_id: Mapped[int] = mapped_column(
        sa.ForeignKey("hotlines.id", ondelete="CASCADE"), primary_key=True
    )
    starts_on: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    ends_on: Mapped[date | None] = mapped_column(sa.Date)
    status: Mapped[MembershipStatus] = mapped_column(
        str_enum(MembershipStatus, "membership_status"), nullable=False
    )
    admitted_on: Mapped[date | None] = mapped_column(sa.Date)


class ExpansionTarget(RecordBase):
    """A country without (enough) coverage being worked on. Its stage comes from its history."""

    def __str__(self) -> str:
        return f"Expansion: {self.country.name if self.country else self.country_code}"

    __tablename__ = "expansion_targets"

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
    # definition of the pipeline (coordapp.network.pipeline); None where not asked for.
    in_pipeline_today: Mapped[bool | None] = query_expression()
    stage_stalled_today: Mapped[bool | None] = query_expression()

    __audit_exclude__ = frozenset(
        {"created_at", "updated_at", "version", "in_pipeline_today", "stage_stalled_today"}
    )


class ExpansionStageEvent(DatedEvent):
    __tablename__ = "expansion_stage_events"

    target_id: Mapped[int] = parent_key("expansion_targets")
    stage: Mapped[ExpansionStage] = mapped_column(
        str_enum(ExpansionStage, "expansion_stage"), nullable=False
    )
    entered_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    target: Mapped[ExpansionTarget] = relationship(back_populates="stage_events")
