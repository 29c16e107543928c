"""The membership-compliance register: what a hotline must have to be a full member
(requirements, reference data an admin changes) and, per hotline and requirement, where it
stands (an item: status, dates, a document reference that is text, never a file or a link)."""

from __future__ import annotations

import enum
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.db import (
    ArchivableMixin,
    Audited,
    Base,
    TimestampMixin,
    VersionedMixin,
    parent_key,
    range_check,
    str_enum,
)

if TYPE_CHECKING:
    from coordapp.network.models import Hotline


class ComplianceStatus(enum.StrEnum):
    MET = "met"
    PENDING = "pending"
    NOT_MET = "not_met"
    WAIVED = "waived"


# How many months a requirement's evidence may be renewed after, at most.
RENEWAL_MONTHS = (1, 120)


class ComplianceRequirement(Audited, VersionedMixin, ArchivableMixin, TimestampMixin, Base):
    """One thing the network asks of its member hotlines (seeded; an admin may change it)."""

    def __str__(self) -> str:
        return self.name

    __tablename__ = "compliance_requirements"
    __table_args__ = (range_check("renewal_months", *RENEWAL_MONTHS, optional=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False, unique=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    # What the item's free detail means for this requirement, e.g. "Version" or "Result".
    detail_label: Mapped[str | None] = mapped_column(sa.String(60))
    # Whether a met item runs out (an expiry or next-due date), and after how long by default.
    has_expiry: Mapped[bool] = mapped_column(nullable=False, default=False)
    renewal_months: Mapped[int | None] = mapped_column()
    needed_for_full: Mapped[bool] = mapped_column(nullable=False, default=True)
    sort_order: Mapped[int] = mapped_column(nullable=False, default=0)


class ComplianceItem(Audited, VersionedMixin, TimestampMixin, Base):
    """Where one hotline stands on one requirement."""

    __tablename__ = "compliance_items"
    __table_args__ = (
        sa.UniqueConstraint("hotline_id", "requirement_id"),
        sa.CheckConstraint(
            "expires_on IS NULL OR done_on IS NULL OR expires_on > done_on",
            name="expires_after_done",
        ),
        sa.Index("ix_compliance_items_expires_on", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hotline_id: Mapped[int] = parent_key("hotlines")
    requirement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("compliance_requirements.id"), nullable=False, index=True
    )
    status: Mapped[ComplianceStatus] = mapped_column(
        str_enum(ComplianceStatus, "compliance_status"), nullable=False
    )
    # The version signed, the assessment's result, ... (what the requirement's detail_label says).
    detail: Mapped[str | None] = mapped_column(sa.String(200))
    # Where the paper is kept, as text ("CoP register 2024/17"): never a file, never a link.
    document_reference: Mapped[str | None] = mapped_column(sa.String(200))
    done_on: Mapped[date | None] = mapped_column(sa.Date)
    # The last day it holds (an expiry or the next due date).
    expires_on: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str | None] = mapped_column(sa.String(1000))

    hotline: Mapped[Hotline] = relationship()
    requirement: Mapped[ComplianceRequirement] = relationship()
