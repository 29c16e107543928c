"""The home page: the network's figures, and what needs attention today.

Each "needs attention" section is one SQL query that returns its first rows together with the
total count (a window count), so the page costs six queries however much is overdue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.config import PIPELINE_STAGE_MAX_MONTHS, PIPELINE_STAGE_MIN_MONTHS
from coordapp.funding import conversion
from coordapp.funding import service as funding
from coordapp.funding.models import CommitmentStatus, FundingCommitment
from coordapp.labels import label
from coordapp.network import service as network
from coordapp.network.models import COVERING_STATUSES, ExpansionTarget, Hotline
from coordapp.partners import service as partners
from coordapp.partners.models import Contact, Organization, Partnership
from coordapp.reference.models import Country
from coordapp.stats import service as stats
from coordapp.stats.models import HotlineStatistic

# The same windows as the partnerships and contacts lists, so both pages count alike.
RENEWAL_HORIZON_DAYS = partners.RENEWAL_WINDOW_DAYS
STALE_CONTACT_DAYS = partners.STALE_AFTER_DAYS
ITEMS_PER_SECTION = 10


@dataclass(frozen=True, slots=True)
class HomeFigures:
    today: date
    coverage: network.CoverageSummary
    partnerships_in_force: int
    received_this_year: funding.MoneyTotal
    pledged_this_year: funding.MoneyTotal

    @property
    def money_rates(self) -> conversion.RateInfo:
        return conversion.merge(
            self.received_this_year.currency,
            (self.received_this_year.rates, self.pledged_this_year.rates),
        )


def home_figures(session: Session, *, today: date, currency: str) -> HomeFigures:
    year_start = date(today.year, 1, 1)
    return HomeFigures(
        today=today,
        coverage=network.coverage_summary(session, on=today),
        partnerships_in_force=partners.count_in_force(session, on=today),
        received_this_year=funding.received_total(
            session, start=year_start, end=today, currency=currency
        ),
        pledged_this_year=funding.pledged_total(
            session, start=year_start, end=today, currency=currency
        ),
    )


def database_ok(session: Session) -> bool:
    try:
        session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        session.rollback()
        return False


# --- needs attention -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AttentionItem:
    """One record that needs attention; ``endpoint`` + ``record_id`` name its page."""

    endpoint: str
    record_id: int
    label: str
    detail: str
    overdue: bool = False
    # A second page where the work is done, e.g. the statistics grid: (endpoint, url values).
    action: tuple[str, str, dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class AttentionSection:
    key: str
    title: str
    rule: str
    count: int
    items: tuple[AttentionItem, ...]
    # The name of the headline figure this count is (``data-figure`` on the home page), if any.
    figure: str | None = None

    @property
    def more(self) -> int:
        return self.count - len(self.items)


@dataclass(frozen=True, slots=True)
class NeedsAttention:
    today: date
    sections: tuple[AttentionSection, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)


def _first_rows(session: Session, query: sa.Select, *, limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` rows of ``query`` and the number of rows it has in all."""
    rows = session.execute(query.add_columns(sa.func.count().over().label("total")).limit(limit))
    found = list(rows.all())
    return found, (int(found[0].total) if found else 0)


def renewals_due(
    session: Session, *, today: date, limit: int = ITEMS_PER_SECTION
) -> AttentionSection:
    """Agreements in force whose renewal is due within 90 days, or overdue (soonest first):
    ``partners.renewals_due_condition``, the one definition of the figure."""
    due = partners.RENEWAL_DUE.label("due")
    query = (
        sa.select(Partnership.id, Partnership.title, Partnership.end_date, Organization.name, due)
        .join(Organization, Organization.id == Partnership.organization_id)
        .where(partners.renewals_due_condition(today))
        .order_by(due, Partnership.title, Partnership.id)
    )
    rows, count = _first_rows(session, query, limit=limit)
    return AttentionSection(
        key="renewals",
        title=partners.RENEWALS_DUE_LABEL,
        rule=(
            f"Partnerships in force whose renewal falls in the next {RENEWAL_HORIZON_DAYS} days "
            "or is overdue (end date minus the notice period). Agreements past their end date "
            "are listed under “ended without a decision” instead."
        ),
        count=count,
        figure="renewals_due",
        items=tuple(
            AttentionItem(
                endpoint="partners.partnerships_detail",
                record_id=r.id,
                label=r.title,
                detail=(
                    f"{r.name} · renewal {'was ' if r.due < today else ''}due "
                    f"{r.due.isoformat()}, ends {r.end_date.isoformat()}"
                ),
                overdue=r.due < today,
            )
            for r in rows
        ),
    )


def ended_without_decision(
    session: Session, *, today: date, limit: int = ITEMS_PER_SECTION
) -> AttentionSection:
    """Agreements still recorded as active whose end date has passed (longest ago first):
    ``partners.expired_condition``. Each stays here until a decision is recorded (a status
    change to ended or lapsed, or a renewal with a new end date)."""
    query = (
        sa.select(Partnership.id, Partnership.title, Partnership.end_date, Organization.name)
        .join(Organization, Organization.id == Partnership.organization_id)
        .where(partners.expired_condition(today))
        .order_by(Partnership.end_date, Partnership.title, Partnership.id)
    )
    rows, count = _first_rows(session, query, limit=limit)
    return AttentionSection(
        key="expired",
        title=partners.EXPIRED_LABEL,
        rule=(
            "Partnerships still recorded as active whose end date has passed: renew them "
            "(a new end date) or record that they ended or lapsed. They no longer count as "
            "in force."
        ),
        count=count,
        items=tuple(
            AttentionItem(
                endpoint="partners.partnerships_detail",
                record_id=r.id,
                label=r.title,
                detail=(
                    f"{r.name} · ended {r.end_date.isoformat()} "
                    f"({(today - r.end_date).days} days ago), no decision recorded"
                ),
                overdue=True,
            )
            for r in rows
        ),
        figure="partnerships_expired",
    )


def stale_contacts(
    session: Session, *, today: date, limit: int = ITEMS_PER_SECTION
) -> AttentionSection:
    """Contacts last spoken to more than 180 days ago, or never (longest silence first)."""
    query = (
        sa.select(Contact.id, Contact.full_name, Contact.last_contacted_on, Organization.name)
        .join(Organization, Organization.id == Contact.organization_id)
        .where(
            Contact.archived_at.is_(None),
            Contact.erased_at.is_(None),
            sa.or_(
                Contact.last_contacted_on.is_(None),
                Contact.last_contacted_on < partners.stale_before(today),
            ),
        )
        .order_by(
            Contact.last_contacted_on.is_not(None),
            Contact.last_contacted_on,
            Contact.full_name,
            Contact.id,
        )
    )
    rows, count = _first_rows(session, query, limit=limit)
    return AttentionSection(
        key="contacts",
        title="Contacts gone quiet",
        rule=f"Contacts not contacted for more than {STALE_CONTACT_DAYS} days, or never.",
        count=count,
        items=tuple(
            AttentionItem(
                endpoint="partners.contacts_detail",
                record_id=r.id,
                label=r.full_name,
                detail=(
                    f"{r.name} · "
                    + (
                        f"last contacted {r.last_contacted_on.isoformat()} "
                        f"({(today - r.last_contacted_on).days} days ago)"
                        if r.last_contacted_on
                        else "never contacted"
                    )
                ),
            )
            for r in rows
        ),
    )


def overdue_next_steps(
    session: Session, *, today: date, limit: int = ITEMS_PER_SECTION
) -> AttentionSection:
    """Expansion targets whose next step was due before today (most overdue first)."""
    query = (
        sa.select(
            ExpansionTarget.id,
            ExpansionTarget.next_step,
            ExpansionTarget.next_step_due,
            Country.name,
        )
        .join(Country, Country.alpha2 == ExpansionTarget.country_code)
        .where(ExpansionTarget.archived_at.is_(None), ExpansionTarget.next_step_due < today)
        .order_by(ExpansionTarget.next_step_due, Country.name, ExpansionTarget.id)
    )
    rows, count = _first_rows(session, query, limit=limit)
    return AttentionSection(
        key="next_steps",
        title="Overdue expansion steps",
        rule="Expansion targets whose next step was due before today.",
        count=count,
        items=tuple(
            AttentionItem(
                endpoint="network.expansion_detail",
                record_id=r.id,
                label=r.name,
                detail=(
                    f"{r.next_step or 'Next step'} · due {r.next_step_due.isoformat()} "
                    f"({(today - r.next_step_due).days} days overdue)"
                ),
                overdue=True,
            )
            for r in rows
        ),
    )


def stalled_pipeline_stages(
    session: Session, *, today: date, limit: int = ITEMS_PER_SECTION
) -> AttentionSection:
    """Pipeline targets whose stage has been open longer than the benchmark today (the
    network service's one definition of a stalled stage; longest open first)."""
    rows, count = _first_rows(
        session, network.pipeline_select(today, stalled_only=True), limit=limit
    )
    return AttentionSection(
        key="stalled_stages",
        title=f"Pipeline stages open over {PIPELINE_STAGE_MAX_MONTHS} months",
        rule=(
            f"Countries in the expansion pipeline whose current stage was entered more than "
            f"{PIPELINE_STAGE_MAX_MONTHS} months ago (before {network.stalled_cutoff(today)}); "
            f"a stage usually takes {PIPELINE_STAGE_MIN_MONTHS} to {PIPELINE_STAGE_MAX_MONTHS} "
            "months."
        ),
        count=count,
        items=tuple(
            AttentionItem(
                endpoint="network.expansion_detail",
                record_id=r.target_id,
                label=r.country,
                detail=(
                    f"{label(r.stage)} since {r.stage_since.isoformat()} "
                    f"({network.whole_months_between(r.stage_since, today)} months)"
                ),
                overdue=True,
            )
            for r in rows
        ),
    )


def missing_statistics(
    session: Session, *, today: date, limit: int = ITEMS_PER_SECTION
) -> AttentionSection:
    """Member hotlines (provisional or full today) without any figure for the last quarter."""
    year, quarter = stats.last_complete_quarter(today)
    start, end = stats.quarter_bounds(year, quarter)
    reported = sa.exists().where(
        HotlineStatistic.hotline_id == Hotline.id,
        HotlineStatistic.period_start >= start,
        HotlineStatistic.period_start <= end,
    )
    query = (
        sa.select(Hotline.id, Hotline.name, Country.name.label("country"))
        .join(Country, Country.alpha2 == Hotline.country_code)
        .where(
            Hotline.archived_at.is_(None),
            network.membership_status_of(Hotline.id, today).in_(
                [s.value for s in COVERING_STATUSES]
            ),
            ~reported,
        )
        .order_by(Hotline.name, Hotline.id)
    )
    rows, count = _first_rows(session, query, limit=limit)
    period = f"Q{quarter} {year}"
    return AttentionSection(
        key="statistics",
        title=f"Statistics missing for {period}",
        rule=(
            f"Provisional and full member hotlines with no figure at all for {period} "
            f"({start.isoformat()} – {end.isoformat()}), the last complete quarter."
        ),
        count=count,
        items=tuple(
            AttentionItem(
                endpoint="network.hotlines_detail",
                record_id=r.id,
                label=r.name,
                detail=f"{r.country} · nothing reported for {period}",
                action=("Enter figures", "stats.statistics_grid", {"hotline": r.id, "year": year}),
            )
            for r in rows
        ),
    )


def unconfirmed_pledges(
    session: Session, *, today: date, limit: int = ITEMS_PER_SECTION
) -> AttentionSection:
    """Pledges whose period has started but that are still not confirmed (oldest first)."""
    query = (
        sa.select(
            FundingCommitment.id,
            FundingCommitment.title,
            FundingCommitment.amount,
            FundingCommitment.currency_code,
            FundingCommitment.period_start,
            Organization.name,
        )
        .join(Organization, Organization.id == FundingCommitment.funder_id)
        .where(
            FundingCommitment.archived_at.is_(None),
            FundingCommitment.status == CommitmentStatus.PLEDGED.value,
            FundingCommitment.period_start <= today,
        )
        .order_by(FundingCommitment.period_start, FundingCommitment.title, FundingCommitment.id)
    )
    rows, count = _first_rows(session, query, limit=limit)
    return AttentionSection(
        key="pledges",
        title="Pledges not yet confirmed",
        rule="Pledges whose funding period has started but whose status is still pledged.",
        count=count,
        items=tuple(
            AttentionItem(
                endpoint="funding.commitments_detail",
                record_id=r.id,
                label=r.title,
                detail=(
                    f"{r.name} · {r.currency_code} {Decimal(r.amount):,.2f} · "
                    f"period from {r.period_start.isoformat()}"
                ),
                overdue=True,
            )
            for r in rows
        ),
    )


def needs_attention(
    session: Session, *, today: date, limit: int = ITEMS_PER_SECTION
) -> NeedsAttention:
    """The six sections of the home page's "needs attention" list."""
    return NeedsAttention(
        today=today,
        sections=tuple(
            section(session, today=today, limit=limit)
            for section in (
                renewals_due,
                ended_without_decision,
                stale_contacts,
                overdue_next_steps,
                stalled_pipeline_stages,
                missing_statistics,
                unconfirmed_pledges,
            )
        ),
    )
