"""Reference data: countries (ISO 3166-1, UN M49) and currencies seeded from maintained libraries;
the network's own four pillars and its statistics' metric definitions.

Every domain may refer to these; they refer to nothing above them.
"""

from __future__ import annotations

import enum
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordapp.db import Base, TimestampMixin, range_check, str_enum


class Country(TimestampMixin, Base):
    __tablename__ = "countries"
    __table_args__ = (
        sa.CheckConstraint("length(alpha2) = 2 AND alpha2 = upper(alpha2)", name="alpha2_iso"),
        sa.CheckConstraint("length(alpha3) = 3 AND alpha3 = upper(alpha3)", name="alpha3_iso"),
        sa.UniqueConstraint("alpha3"),
    )

    alpha2: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    alpha3: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    numeric: Mapped[str | None] = mapped_column(sa.String(3))
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False, index=True)
    official_name: Mapped[str | None] = mapped_column(sa.String(200))
    region: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    sub_region: Mapped[str | None] = mapped_column(sa.String(60))
    # A sovereign state (UN member or observer, or Kosovo), as opposed to a dependent territory
    # such as Greenland or Christmas Island: "countries covered" counts only these. Seeded.
    is_sovereign: Mapped[bool] = mapped_column(
        nullable=False, default=False, server_default=sa.false()
    )

    def __repr__(self) -> str:
        return f"<Country {self.alpha2} {self.name}>"


class Currency(TimestampMixin, Base):
    __tablename__ = "currencies"
    __table_args__ = (
        sa.CheckConstraint("length(code) = 3 AND code = upper(code)", name="code_iso"),
        range_check("minor_units", 0, 4),
    )

    code: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    minor_units: Mapped[int] = mapped_column(nullable=False)

    def __repr__(self) -> str:
        return f"<Currency {self.code}>"


class Pillar(TimestampMixin, Base):
    __tablename__ = "pillars"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False, unique=True)
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)

    def __repr__(self) -> str:
        return f"<Pillar {self.code}>"


class MetricUnit(enum.StrEnum):
    """What a figure counts or measures. Figures of different units are never added up."""

    COUNT = "count"  # reports (the stored value predates the other units)
    URLS = "urls"  # content URLs
    PERCENT = "percent"
    DAYS = "days"

    @property
    def label(self) -> str:
        return _UNIT_LABELS[self]

    @property
    def is_count(self) -> bool:
        """A whole number of reports or URLs: summed over hotlines, small ones hidden."""
        return self in (MetricUnit.COUNT, MetricUnit.URLS)


_UNIT_LABELS = {
    MetricUnit.COUNT: "reports",
    MetricUnit.URLS: "content URLs",
    MetricUnit.PERCENT: "%",
    MetricUnit.DAYS: "days",
}


class MetricDefinition(TimestampMixin, Base):
    """What a statistic means from ``valid_from`` to ``valid_until`` (open: still in force).

    A changed meaning or unit is a new version of the same code, never an edit of the figures'
    definition; versions of one code never overlap, and each runs over whole quarters so every
    quarter's value has exactly one version (``coordapp.reference.metrics``).
    """

    __tablename__ = "metric_definitions"
    __table_args__ = (
        sa.UniqueConstraint("code", "version"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint(
            "valid_until IS NULL OR valid_until >= valid_from", name="valid_until_after_from"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    definition: Mapped[str] = mapped_column(sa.Text, nullable=False)
    unit: Mapped[MetricUnit] = mapped_column(str_enum(MetricUnit, "metric_unit"), nullable=False)
    valid_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)

    @property
    def label(self) -> str:
        return f"{self.name} (v{self.version}, {self.unit.label})"

    def __repr__(self) -> str:
        return f"<MetricDefinition {self.code} v{self.version}>"
