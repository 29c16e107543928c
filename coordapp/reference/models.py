"""Reference data seeded from maintained libraries: countries (ISO 3166-1, UN M49), currencies."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from coordapp.db import Base, TimestampMixin


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
        sa.CheckConstraint("minor_units BETWEEN 0 AND 4", name="minor_units_range"),
    )

    code: Mapped[str] = mapped_column(sa.String(3), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    minor_units: Mapped[int] = mapped_column(nullable=False)

    def __repr__(self) -> str:
        return f"<Currency {self.code}>"
