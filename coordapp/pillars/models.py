"""The four strategic pillars and their yearly targets."""

from __future__ import annotations

import enum
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.db import RecordBase, range_check, str_enum
from coordapp.reference.models import Pillar


class IndicatorKind(enum.StrEnum):
    """How an indicator's progress through the year is judged.

    A **stock** is a level on a date (member hotlines on 31 December): it is expected to move
    in a straight line from its value at the start of the year to the target. A **flow** is a
    count over the year (trainings held in the year): it starts at zero, so it is expected at
    the target times the share of the year elapsed.
    """

    STOCK = "stock"
    FLOW = "flow"


class PillarIndicator(enum.StrEnum):
    """What a pillar target measures. Each indicator's actual is computed from the records."""

    TRAININGS_HELD = "trainings_held"
    TRAINING_PARTICIPANTS = "training_participants"
    HOTLINES_TRAINED = "hotlines_trained"
    FUNDING_RECEIVED_EUR = "funding_received_eur"
    TECHNOLOGY_PARTNERSHIPS = "technology_partnerships"
    MEMBER_HOTLINES = "member_hotlines"
    COUNTRIES_COVERED = "countries_covered"
    EXPANSION_TARGETS_ADVANCED = "expansion_targets_advanced"
    ACTIVE_PARTNERSHIPS = "active_partnerships"
    PARTNER_ORGANIZATIONS = "partner_organizations"

    @property
    def unit(self) -> str:
        return "EUR" if self is PillarIndicator.FUNDING_RECEIVED_EUR else "count"

    @property
    def kind(self) -> IndicatorKind:
        return IndicatorKind.STOCK if self in _STOCK_INDICATORS else IndicatorKind.FLOW


# Levels on a date; every other indicator counts what happened during the year.
_STOCK_INDICATORS = frozenset(
    {
        PillarIndicator.MEMBER_HOTLINES,
        PillarIndicator.COUNTRIES_COVERED,
        PillarIndicator.ACTIVE_PARTNERSHIPS,
        PillarIndicator.PARTNER_ORGANIZATIONS,
        PillarIndicator.TECHNOLOGY_PARTNERSHIPS,
    }
)


# The years a target may be set for.
TARGET_YEARS = (1990, 2100)


class PillarTarget(RecordBase):
    """A yearly KPI of a pillar. The actual value is computed from the records, never stored."""

    def __str__(self) -> str:
        return f"{self.indicator.value.replace('_', ' ').capitalize()} {self.year}"

    __tablename__ = "pillar_targets"
    __table_args__ = (
        sa.UniqueConstraint("pillar_id", "year", "indicator"),
        range_check("year", *TARGET_YEARS),
        sa.CheckConstraint("target_value >= 0", name="target_non_negative"),
    )

    pillar_id: Mapped[int] = mapped_column(sa.ForeignKey("pillars.id"), nullable=False, index=True)
    year: Mapped[int] = mapped_column(nullable=False)
    indicator: Mapped[PillarIndicator] = mapped_column(
        str_enum(PillarIndicator, "pillar_indicator"), nullable=False
    )
    description: Mapped[str | None] = mapped_column(sa.String(200))
    target_value: Mapped[Decimal] = mapped_column(sa.Numeric(18, 2), nullable=False)

    pillar: Mapped[Pillar] = relationship()
