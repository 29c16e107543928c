"""Partner organizations, their contacts and agreements (partnerships)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.db import RecordBase, link_table, str_enum

if TYPE_CHECKING:
    from coordapp.auth.models import User
    from coordapp.reference.models import Country, Pillar


class OrganizationKind(enum.StrEnum):
    INDUSTRY = "industry"
    LAW_ENFORCEMENT = "law_enforcement"
    NGO = "ngo"
    GOVERNMENT = "government"
    INTERGOVERNMENTAL = "intergovernmental"
    ACADEMIC = "academic"
    FOUNDATION = "foundation"
    HOTLINE_OPERATOR = "hotline_operator"


class OrganizationStatus(enum.StrEnum):
    PROSPECT = "prospect"
    ACTIVE = "active"
    INACTIVE = "inactive"


class PartnershipType(enum.StrEnum):
    FUNDING = "funding"
    TECHNOLOGY = "technology"
    STRATEGIC_MOU = "strategic_mou"
    IN_KIND = "in_kind"
    DATA_SHARING = "data_sharing"


class PartnershipStatus(enum.StrEnum):
    PROSPECT = "prospect"
    NEGOTIATING = "negotiating"
    ACTIVE = "active"
    ENDED = "ended"
    LAPSED = "lapsed"


partnership_pillars = link_table(
    "partnership_pillars", ("partnership_id", "partnerships"), ("pillar_id", "pillars")
)


class Organization(RecordBase):
    def __str__(self) -> str:
        return self.name

    __tablename__ = "organizations"
    # Names are unique regardless of case: the services look them up by lower(name).
    __table_args__ = (sa.Index("ix_organizations_name_lower", sa.func.lower(sa.column("name"))),)

    name: Mapped[str] = mapped_column(sa.String(200), nullable=False, unique=True)
    kind: Mapped[OrganizationKind] = mapped_column(
        str_enum(OrganizationKind, "organization_kind"), nullable=False, index=True
    )
    status: Mapped[OrganizationStatus] = mapped_column(
        str_enum(OrganizationStatus, "organization_status"),
        nullable=False,
        default=OrganizationStatus.PROSPECT,
    )
    hq_country_code: Mapped[str | None] = mapped_column(
        sa.ForeignKey("countries.alpha2"), index=True
    )
    website: Mapped[str | None] = mapped_column(sa.String(300))
    # Comma-free short labels, stored as one space-separated string for simple search.
    tags: Mapped[str | None] = mapped_column(sa.String(300))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # Who looks after it (its needs-attention items are theirs); none: unassigned.
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)

    hq_country: Mapped[Country | None] = relationship()
    owner: Mapped[User | None] = relationship()
    contacts: Mapped[list[Contact]] = relationship(back_populates="organization")
    partnerships: Mapped[list[Partnership]] = relationship(back_populates="organization")

    def __repr__(self) -> str:
        return f"<Organization {self.id} {self.name}>"


class Contact(RecordBase):
    """A person at an organization. Personal data: minimal, exportable, erasable."""

    def __str__(self) -> str:
        return self.full_name

    __tablename__ = "contacts"
    __table_args__ = (sa.Index("ix_contacts_email_lower", sa.func.lower(sa.column("email"))),)

    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    full_name: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    job_title: Mapped[str | None] = mapped_column(sa.String(160))
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    phone: Mapped[str | None] = mapped_column(sa.String(40))
    last_contacted_on: Mapped[date | None] = mapped_column(sa.Date)
    lawful_basis: Mapped[str | None] = mapped_column(sa.String(300))
    erased_at: Mapped[datetime | None] = mapped_column(default=None)

    organization: Mapped[Organization] = relationship(back_populates="contacts")


class Partnership(RecordBase):
    def __str__(self) -> str:
        return self.title

    __tablename__ = "partnerships"
    __table_args__ = (
        sa.CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
            name="end_after_start",
        ),
        sa.CheckConstraint("renewal_notice_days >= 0", name="notice_non_negative"),
    )

    organization_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    type: Mapped[PartnershipType] = mapped_column(
        str_enum(PartnershipType, "partnership_type"), nullable=False
    )
    status: Mapped[PartnershipStatus] = mapped_column(
        str_enum(PartnershipStatus, "partnership_status"),
        nullable=False,
        default=PartnershipStatus.PROSPECT,
        index=True,
    )
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    end_date: Mapped[date | None] = mapped_column(sa.Date, index=True)
    renewal_notice_days: Mapped[int] = mapped_column(nullable=False, default=90)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # Newline-separated links to agreements in the document store (never report material).
    document_refs: Mapped[str | None] = mapped_column(sa.Text)

    organization: Mapped[Organization] = relationship(back_populates="partnerships")
    owner: Mapped[User | None] = relationship()
    pillars: Mapped[list[Pillar]] = relationship(secondary=partnership_pillars)
