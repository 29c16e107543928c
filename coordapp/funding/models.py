"""Funding commitments (pledges), their pillar allocations and receipts; exchange rates."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.db import (
    DERIVED,
    ArchivableMixin,
    Audited,
    AuditedRow,
    Base,
    DatedEvent,
    Money,
    Rate,
    RecordBase,
    TimestampMixin,
    paging_indexes,
    parent_key,
    period_check,
    str_enum,
)

if TYPE_CHECKING:
    from coordapp.auth.models import User
    from coordapp.partners.models import Organization, Partnership
    from coordapp.reference.models import Pillar


class CommitmentStatus(enum.StrEnum):
    PLEDGED = "pledged"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


# The column type of a commitment's status, on the commitment and in its history.
COMMITMENT_STATUS = str_enum(CommitmentStatus, "commitment_status")


class FundingCommitment(RecordBase):
    def __str__(self) -> str:
        return self.title

    __tablename__ = "funding_commitments"
    __table_args__ = (
        sa.CheckConstraint("amount >= 0", name="amount_non_negative"),
        period_check(),
        # The lists' sorts (the receipts' by commitment too) and the currency filter's choices
        # walk these; home's unconfirmed pledges (status, oldest period first) the last one.
        *paging_indexes("funding_commitments", "title", "currency_code"),
        sa.Index("ix_funding_commitments_status_period_start", "status", "period_start"),
    )

    funder_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organizations.id"), nullable=False, index=True
    )
    partnership_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partnerships.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    currency_code: Mapped[str] = mapped_column(sa.ForeignKey("currencies.code"), nullable=False)
    # Indexed: the commitments list's default order (newest first) walks it.
    pledged_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    period_start: Mapped[date] = mapped_column(sa.Date, nullable=False)
    period_end: Mapped[date] = mapped_column(sa.Date, nullable=False)
    status: Mapped[CommitmentStatus] = mapped_column(
        COMMITMENT_STATUS, nullable=False, default=CommitmentStatus.PLEDGED
    )
    notes: Mapped[str | None] = mapped_column(sa.Text)
    # Who looks after it (its needs-attention items are theirs); none: unassigned.
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"), index=True)

    funder: Mapped[Organization] = relationship()
    owner: Mapped[User | None] = relationship()
    partnership: Mapped[Partnership | None] = relationship()
    allocations: Mapped[list[FundingAllocation]] = relationship(
        back_populates="commitment", cascade="all, delete-orphan"
    )
    receipts: Mapped[list[FundingReceipt]] = relationship(
        back_populates="commitment", order_by="FundingReceipt.received_on"
    )
    status_events: Mapped[list[CommitmentStatusEvent]] = relationship(
        back_populates="commitment",
        order_by="(CommitmentStatusEvent.changed_on, CommitmentStatusEvent.id)",
    )
    instalments: Mapped[list[FundingInstalment]] = relationship(
        back_populates="commitment",
        cascade="all, delete-orphan",
        order_by="(FundingInstalment.expected_on, FundingInstalment.id)",
    )


class FundingAllocation(AuditedRow):
    """The part of one commitment given to one pillar, in the commitment's currency.

    The service keeps the allocations of a commitment summing exactly to its amount.
    """

    __tablename__ = "funding_allocations"
    __table_args__ = (
        sa.UniqueConstraint("commitment_id", "pillar_id"),
        sa.CheckConstraint("amount >= 0", name="amount_non_negative"),
    )

    commitment_id: Mapped[int] = parent_key("funding_commitments")
    pillar_id: Mapped[int] = mapped_column(sa.ForeignKey("pillars.id"), nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)

    commitment: Mapped[FundingCommitment] = relationship(back_populates="allocations")
    pillar: Mapped[Pillar] = relationship()


class CommitmentStatusEvent(DatedEvent):
    """Dated history of a commitment's status (pledged -> confirmed | cancelled)."""

    __tablename__ = "commitment_status_events"

    commitment_id: Mapped[int] = parent_key("funding_commitments")
    status: Mapped[CommitmentStatus] = mapped_column(COMMITMENT_STATUS, nullable=False)
    changed_on: Mapped[date] = mapped_column(sa.Date, nullable=False)

    commitment: Mapped[FundingCommitment] = relationship(back_populates="status_events")


class FundingReceipt(Audited, ArchivableMixin, TimestampMixin, Base):
    """Money actually received against a commitment, in the currency it arrived in."""

    def __str__(self) -> str:
        return f"Receipt of {self.received_on.isoformat()}" if self.received_on else "Receipt"

    __tablename__ = "funding_receipts"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        # The list's sorts, and the currency filter's choices.
        *paging_indexes("funding_receipts", "amount", "currency_code", "reference"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("funding_commitments.id"), nullable=False, index=True
    )
    received_on: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    currency_code: Mapped[str] = mapped_column(sa.ForeignKey("currencies.code"), nullable=False)
    reference: Mapped[str | None] = mapped_column(sa.String(120))

    commitment: Mapped[FundingCommitment] = relationship(back_populates="receipts")


class FundingInstalment(AuditedRow):
    """One expected payment of a commitment's schedule, in the commitment's currency.

    The service keeps a commitment's instalments summing exactly to its amount (the schedule is
    saved as a whole); ``coordapp.funding.obligations`` matches them against receipts.
    """

    def __str__(self) -> str:
        return f"Instalment of {self.expected_on.isoformat()}" if self.expected_on else "Instalment"

    __tablename__ = "funding_instalments"
    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        # The matching walks a commitment's instalments in date order; overdue ones by date.
        sa.Index(
            "ix_funding_instalments_commitment_id_expected_on", "commitment_id", "expected_on"
        ),
        sa.Index("ix_funding_instalments_expected_on", "expected_on"),
    )

    commitment_id: Mapped[int] = parent_key("funding_commitments", index=False)
    expected_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)

    commitment: Mapped[FundingCommitment] = relationship(back_populates="instalments")


class ReportKind(enum.StrEnum):
    NARRATIVE = "narrative"
    FINANCIAL = "financial"


class ReportingRequirement(AuditedRow):
    """A report a funder requires under a commitment: due, submitted, accepted. The document
    is named by a text reference only (never stored, never a link)."""

    def __str__(self) -> str:
        kind = self.kind.value if self.kind else "report"
        due = self.due_on.isoformat() if self.due_on else "?"
        return f"{kind.capitalize()} report due {due}"

    __tablename__ = "reporting_requirements"
    __table_args__ = (
        sa.CheckConstraint(
            "accepted_on IS NULL OR (submitted_on IS NOT NULL AND accepted_on >= submitted_on)",
            name="accepted_after_submitted",
        ),
        sa.Index("ix_reporting_requirements_commitment_id_due_on", "commitment_id", "due_on"),
        # Needs-attention: reports not submitted, by due date.
        sa.Index("ix_reporting_requirements_due_on", "due_on"),
    )

    commitment_id: Mapped[int] = parent_key("funding_commitments", index=False)
    kind: Mapped[ReportKind] = mapped_column(str_enum(ReportKind, "report_kind"), nullable=False)
    due_on: Mapped[date] = mapped_column(sa.Date, nullable=False)
    submitted_on: Mapped[date | None] = mapped_column(sa.Date)
    accepted_on: Mapped[date | None] = mapped_column(sa.Date)
    document_reference: Mapped[str | None] = mapped_column(sa.String(200))
    note: Mapped[str | None] = mapped_column(sa.String(1000))

    commitment: Mapped[FundingCommitment] = relationship()


class ExchangeRate(AuditedRow):
    """1 unit of ``base_code`` = ``rate`` units of ``quote_code`` on ``rate_date``."""

    def __str__(self) -> str:
        return f"{self.base_code}/{self.quote_code} {self.rate_date.isoformat()}"

    __tablename__ = "exchange_rates"
    __table_args__ = (
        sa.UniqueConstraint("base_code", "quote_code", "rate_date"),
        sa.CheckConstraint("rate > 0", name="rate_positive"),
        sa.CheckConstraint("base_code <> quote_code", name="distinct_currencies"),
    )

    base_code: Mapped[str] = mapped_column(sa.ForeignKey("currencies.code"), nullable=False)
    quote_code: Mapped[str] = mapped_column(sa.ForeignKey("currencies.code"), nullable=False)
    rate_date: Mapped[date] = mapped_column(sa.Date, nullable=False)
    rate: Mapped[Decimal] = mapped_column(Rate, nullable=False)
    source: Mapped[str | None] = mapped_column(sa.String(120))


# --- totals kept current on write (coordapp.funding.totals) -----------------------------------


class FigurePart(enum.StrEnum):
    PLEDGED = "pledged"
    RECEIVED = "received"


# The column type of the kept totals' figure part (pledged or received).
FIGURE_PART = str_enum(FigurePart, "funding_figure_part")


class FundingYearTotal(Base):
    """Pledged or received money of one year, whole or one pillar's part, in one currency,
    summed per the date of the rate that converts it to EUR (None: in EUR, or no rate yet).

    Derived, never edited: ``coordapp.funding.totals`` keeps it current in the transaction
    that writes commitments, allocations, receipts or rates (on PostgreSQL).
    """

    __tablename__ = "funding_year_totals"
    __table_args__ = {"info": {DERIVED: True}}

    id: Mapped[int] = mapped_column(primary_key=True)
    part: Mapped[FigurePart] = mapped_column(FIGURE_PART, nullable=False)
    year: Mapped[int] = mapped_column(nullable=False, index=True)
    pillar_id: Mapped[int | None] = mapped_column(sa.ForeignKey("pillars.id"))  # None: whole
    currency_code: Mapped[str] = mapped_column(sa.ForeignKey("currencies.code"), nullable=False)
    rate_on: Mapped[date | None] = mapped_column(sa.Date)
    # Exact sums (NUMERIC without a scale): a receipt's pillar share has more decimals than
    # the money it comes from. NULL only for shares of a commitment of 0.
    native: Mapped[Decimal | None] = mapped_column(sa.Numeric(asdecimal=True))


class FundingFunderTotal(Base):
    """A funder's pledged or received money of one year in EUR, each row at the rate of its
    own date, unrounded (0 when none of it converts). Derived like ``FundingYearTotal``."""

    __tablename__ = "funding_funder_totals"
    __table_args__ = {"info": {DERIVED: True}}

    year: Mapped[int] = mapped_column(primary_key=True)
    funder_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), primary_key=True)
    part: Mapped[FigurePart] = mapped_column(FIGURE_PART, primary_key=True)
    eur: Mapped[Decimal] = mapped_column(sa.Numeric(asdecimal=True), nullable=False)


class FundingFunderAllYears(Base):
    """A funder's pledged or received money of every year in EUR (the sum of its
    ``FundingFunderTotal`` rows, exact) and how many years it has a row for: a range of years
    is read as every year less the years outside it when those are fewer. Derived like
    ``FundingYearTotal``."""

    __tablename__ = "funding_funder_all_years"
    __table_args__ = {"info": {DERIVED: True}}

    funder_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"), primary_key=True)
    part: Mapped[FigurePart] = mapped_column(FIGURE_PART, primary_key=True)
    eur: Mapped[Decimal] = mapped_column(sa.Numeric(asdecimal=True), nullable=False)
    years: Mapped[int] = mapped_column(nullable=False)


class CashPart(enum.StrEnum):
    EXPECTED = "expected"
    RECEIVED = "received"


# The column type of the kept cash totals' part (instalments expected or money received).
CASH_PART = str_enum(CashPart, "funding_cash_part")


class FundingQuarterTotal(Base):
    """Instalments expected or money received in one quarter, in one currency, summed per the
    date of the rate that converts it to EUR (None: in EUR, or no rate yet): the cash by quarter
    figure's rows. Derived like ``FundingYearTotal``."""

    __tablename__ = "funding_quarter_totals"
    __table_args__ = {"info": {DERIVED: True}}

    id: Mapped[int] = mapped_column(primary_key=True)
    part: Mapped[CashPart] = mapped_column(CASH_PART, nullable=False)
    year: Mapped[int] = mapped_column(nullable=False, index=True)
    quarter: Mapped[int] = mapped_column(nullable=False)
    currency_code: Mapped[str] = mapped_column(sa.ForeignKey("currencies.code"), nullable=False)
    rate_on: Mapped[date | None] = mapped_column(sa.Date)
    native: Mapped[Decimal] = mapped_column(sa.Numeric(asdecimal=True), nullable=False)
