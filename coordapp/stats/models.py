"""Aggregate hotline statistics: counts per hotline, metric and period. Never report contents."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.db import (
    DERIVED,
    Audited,
    Base,
    TimestampMixin,
    VersionedMixin,
    paging_indexes,
    period_check,
    str_enum,
)
from coordapp.reference.models import MetricDefinition

if TYPE_CHECKING:
    from coordapp.auth.models import User
    from coordapp.network.models import Hotline


class PeriodKind(enum.StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


class HotlineStatistic(Audited, VersionedMixin, TimestampMixin, Base):
    def __str__(self) -> str:
        start = self.period_start
        period = (
            f"{start.year} Q{(start.month - 1) // 3 + 1}"
            if self.period_kind == PeriodKind.QUARTER
            else f"{start:%Y-%m}"
        )
        return f"{self.hotline.name} · {self.metric.name} · {period}"

    __tablename__ = "hotline_statistics"
    __table_args__ = (
        sa.UniqueConstraint("hotline_id", "metric_id", "period_start"),
        sa.CheckConstraint("value >= 0", name="value_non_negative"),
        period_check(),
        # Period ranges, and the list's newest-first page: a quarter holds thousands of values,
        # so the id breaks the tie inside the index rather than in a sort.
        *paging_indexes("hotline_statistics", "period_start"),
        # The list's other sorts of the whole table (530,000 rows at 100x the demo network).
        *paging_indexes("hotline_statistics", "metric_id", "value", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hotline_id: Mapped[int] = mapped_column(
        sa.ForeignKey("hotlines.id"), nullable=False, index=True
    )
    metric_id: Mapped[int] = mapped_column(sa.ForeignKey("metric_definitions.id"), nullable=False)
    period_kind: Mapped[PeriodKind] = mapped_column(
        str_enum(PeriodKind, "period_kind"), nullable=False
    )
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    # Counts are whole numbers; the one percentage (removed within 3 days) keeps 2 decimals.
    value: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)

    hotline: Mapped[Hotline] = relationship()
    metric: Mapped[MetricDefinition] = relationship()


class QuarterState(enum.StrEnum):
    """Where one hotline's quarter stands in its sign-off (``coordapp.stats.quarters``).

    A quarter without a row is a draft: figures may be entered until it is submitted.
    """

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"  # by a manager, with a comment: to be corrected and submitted again
    APPROVED = "approved"  # locked: its figures count on every surface
    REOPENED = "reopened"  # an approved quarter a manager unlocked, with a reason


class HotlineQuarter(Audited, VersionedMixin, TimestampMixin, Base):
    """The sign-off of one hotline's quarter: its figures' state, who moved it last and why.
    Every move is a field-level audit event (state, comment, who)."""

    def __str__(self) -> str:
        return f"{self.hotline.name} · {self.label}"

    __tablename__ = "hotline_quarters"
    __table_args__ = (
        sa.UniqueConstraint("hotline_id", "period_start"),
        period_check(),
        # The review queue (submitted, oldest first) and the approved figures' look-up.
        sa.Index("ix_hotline_quarters_state_submitted_at", "state", "submitted_at"),
        sa.Index("ix_hotline_quarters_hotline_id_state", "hotline_id", "state", "period_start"),
        # The quarters list's default order (newest first, the id breaking ties) and its
        # sort by state.
        sa.Index("ix_hotline_quarters_period_start_id", "period_start", "id"),
        sa.Index("ix_hotline_quarters_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hotline_id: Mapped[int] = mapped_column(sa.ForeignKey("hotlines.id"), nullable=False)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    state: Mapped[QuarterState] = mapped_column(
        str_enum(QuarterState, "quarter_state"), nullable=False, default=QuarterState.DRAFT
    )
    # The first submission decides timeliness (a return and a later resubmission do not make
    # a quarter submitted on time late); the last one orders the review queue.
    first_submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)
    submitted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), default=None
    )
    # A return's comment or a reopening's reason (the audit keeps the earlier ones).
    comment: Mapped[str | None] = mapped_column(sa.Text, default=None)

    hotline: Mapped[Hotline] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def year(self) -> int:
        return self.period_start.year

    @property
    def quarter(self) -> int:
        return (self.period_start.month - 1) // 3 + 1

    @property
    def label(self) -> str:
        return f"Q{self.quarter} {self.year}"


class ActivityTotal(Base):
    """The statistics of one metric version, period and hotline country, counted (their quarter
    approved) or not: their sum, how many, and how many are small (above 0, below
    ``small_below``, the disclosure threshold they were counted at).

    Derived, never edited: ``coordapp.stats.activity_totals`` keeps it current in the
    transaction that writes statistics, quarters or a hotline's country (on PostgreSQL).
    """

    __tablename__ = "activity_totals"
    __table_args__ = (
        # The refresh of a country's quarter.
        sa.Index("ix_activity_totals_country_code_period_start", "country_code", "period_start"),
        {"info": {DERIVED: True}},
    )

    metric_id: Mapped[int] = mapped_column(sa.ForeignKey("metric_definitions.id"), primary_key=True)
    period_start: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    country_code: Mapped[str] = mapped_column(sa.ForeignKey("countries.alpha2"), primary_key=True)
    counted: Mapped[bool] = mapped_column(primary_key=True)
    value_sum: Mapped[Decimal] = mapped_column(sa.Numeric(asdecimal=True), nullable=False)
    value_count: Mapped[int] = mapped_column(nullable=False)
    small_count: Mapped[int] = mapped_column(nullable=False)
    small_below: Mapped[int] = mapped_column(nullable=False)


class ActivityPresence(Base):
    """A hotline has counted values of a metric version in a year (how many hotlines a group's
    figures over years are built on). Derived like ``ActivityTotal``."""

    __tablename__ = "activity_presence"
    __table_args__ = (
        sa.Index("ix_activity_presence_hotline_id_year", "hotline_id", "year"),
        {"info": {DERIVED: True}},
    )

    metric_id: Mapped[int] = mapped_column(sa.ForeignKey("metric_definitions.id"), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    hotline_id: Mapped[int] = mapped_column(sa.ForeignKey("hotlines.id"), primary_key=True)
