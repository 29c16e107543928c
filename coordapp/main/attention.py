"""What needs attention today: the home page's list, one ``AttentionRule`` per section.

Each section is one SQL query that returns its first rows together with the total count, so
the page costs a few queries however much is overdue.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from coordapp.config import PIPELINE_STAGE_MAX_MONTHS, PIPELINE_STAGE_MIN_MONTHS
from coordapp.funding import commitments, obligations
from coordapp.funding.models import FundingCommitment
from coordapp.labels import label
from coordapp.main.attention_rule import (
    ITEMS_PER_SECTION,
    AttentionItem,
    AttentionRule,
    NeedsAttention,
    Subject,
    due_item,
    on_day,
)
from coordapp.network import compliance, membership, pipeline
from coordapp.network.models import ExpansionTarget, Hotline
from coordapp.partners import agreements, contacts, interactions, last_contacted
from coordapp.partners.interaction_models import Interaction
from coordapp.partners.models import Contact, Organization, Partnership
from coordapp.reference.models import Country
from coordapp.stats import periods as stats_periods
from coordapp.stats import quarters as stat_quarters
from coordapp.stats import timeliness
from coordapp.stats.models import HotlineStatistic

# The same windows as the partnerships and contacts lists, so both pages count alike.
RENEWAL_HORIZON_DAYS = agreements.RENEWAL_WINDOW_DAYS
STALE_CONTACT_DAYS = contacts.STALE_AFTER_DAYS


# --- who owns what: each rule's owner, resolved in its query --------------------------------


def partnership_owner() -> Any:
    """A partnership's item: the partnership's owner, else its organization's (joined)."""
    return sa.func.coalesce(Partnership.owner_id, Organization.owner_id)


def organization_owner() -> Any:
    """An organization's item (a contact of it): the organization's owner (joined)."""
    return Organization.owner_id


def expansion_owner() -> Any:
    """An expansion target's item: the target's owner."""
    return ExpansionTarget.owner_id


def hotline_owner() -> Any:
    """A hotline's item (its figures, quarters, compliance): the hotline's owner (liaison)."""
    return Hotline.owner_id


def commitment_owner() -> Any:
    """A commitment's item (pledge, instalment, report): the commitment's owner, else its
    funder's (read by id, so it works whether or not the query joins the funder)."""
    funder = aliased(Organization)
    funder_owner = (
        sa.select(funder.owner_id)
        .where(funder.id == FundingCommitment.funder_id)
        .correlate_except(funder)  # nested in the owner's look-ups too
    )
    return sa.func.coalesce(FundingCommitment.owner_id, funder_owner.scalar_subquery())


def follow_up_owner() -> Any:
    """A follow-up: its owner."""
    return Interaction.follow_up_owner_id


# The kinds of record the sections list: the page an item links to, and its owner.
PARTNERSHIP = Subject("partners.partnerships_detail", partnership_owner)
CONTACT = Subject("partners.contacts_detail", organization_owner, label_field="full_name")
EXPANSION_TARGET = Subject(
    "network.expansion_detail", expansion_owner, id_field="target_id", label_field="country"
)
HOTLINE = Subject("network.hotlines_detail", hotline_owner)
HOTLINE_QUARTER = Subject("quarters.quarters_detail", hotline_owner)
COMMITMENT = Subject("funding.commitments_detail", commitment_owner)
FUNDER_REPORT = Subject("funding.reporting_requirements_detail", commitment_owner)
FOLLOW_UP = Subject("partners.interactions_detail", follow_up_owner)


# --- the sections, in the order the home page shows them ----------------------------------


def _partnerships_query(condition: sa.ColumnElement[bool], *order_by: Any) -> sa.Select:
    """The partnerships that meet ``condition``, with their organization's name, in
    ``order_by`` and then by title."""
    return (
        sa.select(Partnership.id, Partnership.title, Partnership.end_date, Organization.name)
        .join(Organization, Organization.id == Partnership.organization_id)
        .where(condition)
        .order_by(*order_by, Partnership.title, Partnership.id)
    )


def _renewals_query(today: date) -> sa.Select:
    due = agreements.RENEWAL_DUE.label("due")
    return _partnerships_query(agreements.renewals_due_condition(today), due).add_columns(due)


def _renewal_detail(r: Any, today: date) -> str:
    return (
        f"{r.name} · renewal {'was ' if r.due < today else ''}due "
        f"{r.due.isoformat()}, ends {r.end_date.isoformat()}"
    )


RENEWALS_DUE = AttentionRule(
    key="renewals",
    title=agreements.RENEWALS_DUE_LABEL,
    rule=(
        f"Partnerships in force whose renewal falls in the next {RENEWAL_HORIZON_DAYS} days "
        "or is overdue (end date minus the notice period). Agreements past their end date "
        "are listed under “ended without a decision” instead."
    ),
    query=_renewals_query,
    subject=PARTNERSHIP,
    detail=_renewal_detail,
    due_on=lambda r, today: r.due,
    figure="renewals_due",
)
# Agreements in force whose renewal is due within 90 days, or overdue (soonest first):
# ``partners.renewals_due_condition``, the one definition of the figure.
renewals_due = RENEWALS_DUE.section


def _expired_query(today: date) -> sa.Select:
    return _partnerships_query(agreements.expired_condition(today), Partnership.end_date)


def _expired_detail(r: Any, today: date) -> str:
    return f"{r.name} · ended {on_day(r.end_date, today)}, no decision recorded"


# Agreements still recorded as active whose end date has passed (longest ago first):
# ``partners.expired_condition``. Each stays until a decision is recorded (a status change to
# ended or lapsed, or a renewal with a new end date).
ENDED_WITHOUT_DECISION = AttentionRule(
    key="expired",
    title=agreements.EXPIRED_LABEL,
    rule=(
        "Partnerships still recorded as active whose end date has passed: renew them "
        "(a new end date) or record that they ended or lapsed. They no longer count as "
        "in force."
    ),
    query=_expired_query,
    subject=PARTNERSHIP,
    detail=_expired_detail,
    due_on=lambda r, today: r.end_date,
    figure="partnerships_expired",
)
ended_without_decision = ENDED_WITHOUT_DECISION.section


def _stale_contacts_query(today: date) -> sa.Select:
    return (
        sa.select(
            Contact.id,
            Contact.full_name,
            last_contacted.contact_last_contacted().label("last_contacted_on"),
            Organization.name,
        )
        .join(Organization, Organization.id == Contact.organization_id)
        .where(
            Contact.archived_at.is_(None),
            Contact.erased_at.is_(None),
            contacts.stale_condition(today),
        )
        .order_by(
            last_contacted.contact_last_contacted().is_not(None),
            last_contacted.contact_last_contacted(),
            Contact.full_name,
            Contact.id,
        )
    )


def _stale_contact_detail(r: Any, today: date) -> str:
    if not r.last_contacted_on:
        return f"{r.name} · never contacted"
    return f"{r.name} · last contacted {on_day(r.last_contacted_on, today)}"


# Contacts last spoken to more than 180 days ago, or never (longest silence first).
STALE_CONTACTS = AttentionRule(
    key="contacts",
    title="Contacts gone quiet",
    rule=f"Contacts not contacted for more than {STALE_CONTACT_DAYS} days, or never.",
    query=_stale_contacts_query,
    subject=CONTACT,
    detail=_stale_contact_detail,
)
stale_contacts = STALE_CONTACTS.section


def _next_steps_query(today: date) -> sa.Select:
    return (
        sa.select(
            ExpansionTarget.id.label("target_id"),
            ExpansionTarget.next_step,
            ExpansionTarget.next_step_due,
            Country.name.label("country"),
        )
        .join(Country, Country.alpha2 == ExpansionTarget.country_code)
        .where(ExpansionTarget.archived_at.is_(None), ExpansionTarget.next_step_due < today)
        .order_by(ExpansionTarget.next_step_due, Country.name, ExpansionTarget.id)
    )


def _next_step_detail(r: Any, today: date) -> str:
    return f"{r.next_step or 'Next step'} · due {on_day(r.next_step_due, today, past='overdue')}"


# Expansion targets whose next step was due before today (most overdue first).
OVERDUE_NEXT_STEPS = AttentionRule(
    key="next_steps",
    title="Overdue expansion steps",
    rule="Expansion targets whose next step was due before today.",
    query=_next_steps_query,
    subject=EXPANSION_TARGET,
    detail=_next_step_detail,
    due_on=lambda r, today: r.next_step_due,
)
overdue_next_steps = OVERDUE_NEXT_STEPS.section


def _stalled_detail(r: Any, today: date) -> str:
    return (
        f"{label(r.stage)} since {r.stage_since.isoformat()} "
        f"({pipeline.whole_months_between(r.stage_since, today)} months)"
    )


# Pipeline targets whose stage has been open longer than the benchmark today (the network
# service's one definition of a stalled stage; longest open first).
STALLED_PIPELINE_STAGES = AttentionRule(
    key="stalled_stages",
    title=f"Pipeline stages open over {PIPELINE_STAGE_MAX_MONTHS} months",
    rule=lambda today: (
        f"Countries in the expansion pipeline whose current stage was entered more than "
        f"{PIPELINE_STAGE_MAX_MONTHS} months ago (before {pipeline.stalled_cutoff(today)}); "
        f"a stage usually takes {PIPELINE_STAGE_MIN_MONTHS} to {PIPELINE_STAGE_MAX_MONTHS} "
        "months."
    ),
    query=lambda today: pipeline.pipeline_select(today, stalled_only=True),
    subject=EXPANSION_TARGET,
    detail=_stalled_detail,
    overdue=True,
)
stalled_pipeline_stages = STALLED_PIPELINE_STAGES.section


def _last_quarter(today: date) -> tuple[int, int, date, date, str]:
    year, quarter = stats_periods.last_complete_quarter(today)
    start, end = stats_periods.quarter_bounds(year, quarter)
    return year, quarter, start, end, f"Q{quarter} {year}"


def _quarter_deadline(today: date) -> date:
    """The deadline for submitting the last complete quarter."""
    return stat_quarters.deadline_of(_last_quarter(today)[3])


def _missing_statistics_query(today: date) -> sa.Select:
    _, _, start, end, _ = _last_quarter(today)
    # The hotlines that reported, read once through the index on the period (a hashed NOT IN):
    # the planner cannot estimate how many hotlines the per-row status look-up keeps, and with
    # too low a guess it probed each hotline's figures and scanned the countries for every row.
    reported = sa.select(HotlineStatistic.hotline_id).where(
        HotlineStatistic.period_start >= start, HotlineStatistic.period_start <= end
    )
    country = sa.select(Country.name).where(Country.alpha2 == Hotline.country_code)
    return (
        sa.select(Hotline.id, Hotline.name, country.scalar_subquery().label("country"))
        .where(
            Hotline.archived_at.is_(None),
            membership.is_member_on(Hotline.id, today),
            Hotline.id.not_in(reported),
        )
        .order_by(Hotline.name, Hotline.id)
    )


def _hotline_quarter_item(
    r: Any, today: date, *, what: str, action: str, overdue: bool = False
) -> AttentionItem:
    """A hotline and its last complete quarter's figures (``what``: e.g. "not submitted")."""
    year, _, _, _, period = _last_quarter(today)
    return AttentionItem(
        endpoint=HOTLINE.endpoint,
        record_id=r.id,
        label=r.name,
        detail=f"{r.country} · {what.format(period=period)}",
        overdue=overdue,
        action=(action, "stats.statistics_grid", {"hotline": r.id, "year": year}),
    )


def _last_quarter_rule(
    key: str,
    title: str,
    rule: Callable[[date], str],
    query: Callable[[date], sa.Select],
    *,
    what: str,
    action: str,
    overdue: bool = False,
) -> AttentionRule:
    """A section of member hotlines and the last complete quarter's figures ("{period}" in
    ``title`` and ``what`` names the quarter), each due by the quarter's deadline."""
    return AttentionRule(
        key=key,
        title=lambda today: title.format(period=_last_quarter(today)[4]),
        rule=rule,
        query=query,
        subject=HOTLINE,
        item=lambda r, today: _hotline_quarter_item(
            r, today, what=what, action=action, overdue=overdue
        ),
        due_on=lambda r, today: _quarter_deadline(today),
    )


def _missing_statistics_rule(today: date) -> str:
    _, _, start, end, period = _last_quarter(today)
    return (
        f"Provisional and full member hotlines with no figure at all for {period} "
        f"({start.isoformat()} – {end.isoformat()}), the last complete quarter."
    )


# Member hotlines (provisional or full today) without any figure for the last quarter.
MISSING_STATISTICS = _last_quarter_rule(
    "statistics",
    "Statistics missing for {period}",
    _missing_statistics_rule,
    _missing_statistics_query,
    what="nothing reported for {period}",
    action="Enter figures",
)
missing_statistics = MISSING_STATISTICS.section


def _awaiting_review_query(today: date) -> sa.Select:
    q = stat_quarters.review_queue_select().subquery("queue")
    return (
        sa.select(q.c.id, q.c.period_start, q.c.submitted_at, Hotline.name)
        .join(Hotline, Hotline.id == q.c.hotline_id)
        .order_by(q.c.submitted_at, q.c.id)
    )


def _awaiting_review_item(r: Any, today: date) -> AttentionItem:
    start = r.period_start
    return AttentionItem(
        endpoint=HOTLINE_QUARTER.endpoint,
        record_id=r.id,
        label=f"{r.name} · Q{stats_periods.quarter_of(start)} {start.year}",
        detail=f"submitted {r.submitted_at:%Y-%m-%d}",
        overdue=(today - r.submitted_at.date()).days > stat_quarters.deadline_days(),
    )


# Quarters hotlines submitted that a manager has not approved or returned (oldest first).
QUARTERS_AWAITING_REVIEW = AttentionRule(
    key="quarters_review",
    title="Quarters awaiting review",
    rule="Hotline quarters submitted for review, the longest waiting first; approving locks "
    "them and makes their figures count.",
    query=_awaiting_review_query,
    subject=HOTLINE_QUARTER,
    item=_awaiting_review_item,
    due_on=lambda r, today: r.submitted_at.date() + timedelta(days=stat_quarters.deadline_days()),
)


def _late_rule(today: date) -> str:
    _, _, _, end, period = _last_quarter(today)
    return (
        f"Provisional and full member hotlines that have not submitted {period} by its "
        f"deadline, {stat_quarters.deadline_of(end).isoformat()} "
        f"({stat_quarters.deadline_days()} days after the quarter's end); none before it."
    )


# Member hotlines past the deadline of the last complete quarter without submitting it.
LATE_QUARTERS = _last_quarter_rule(
    "quarters_late",
    "Hotlines late with {period}",
    _late_rule,
    timeliness.late_quarters_select,
    what="{period} not submitted",
    action="Open the figures",
    overdue=True,
)


def _unconfirmed_pledges_query(today: date) -> sa.Select:
    return (
        sa.select(
            FundingCommitment.id,
            FundingCommitment.title,
            FundingCommitment.amount,
            FundingCommitment.currency_code,
            FundingCommitment.period_start,
            Organization.name,
        )
        .join(Organization, Organization.id == FundingCommitment.funder_id)
        .where(commitments.unconfirmed_pledge_condition(today))
        .order_by(FundingCommitment.period_start, FundingCommitment.title, FundingCommitment.id)
    )


def _unconfirmed_pledge_detail(r: Any, today: date) -> str:
    return (
        f"{r.name} · {r.currency_code} {Decimal(r.amount):,.2f} · "
        f"period from {r.period_start.isoformat()}"
    )


# Pledges whose period has started but that are still not confirmed (oldest first).
UNCONFIRMED_PLEDGES = AttentionRule(
    key="pledges",
    title="Pledges not yet confirmed",
    rule="Pledges whose funding period has started but whose status is still pledged.",
    query=_unconfirmed_pledges_query,
    subject=COMMITMENT,
    detail=_unconfirmed_pledge_detail,
    overdue=True,
    due_on=lambda r, today: r.period_start,
)
unconfirmed_pledges = UNCONFIRMED_PLEDGES.section


def _compliance_item(r: Any, today: date) -> AttentionItem:
    ran_out = r.expires_on < today
    return AttentionItem(
        endpoint=HOTLINE.endpoint,
        record_id=r.hotline_id,
        label=f"{r.hotline}: {r.requirement}",
        detail=f"{'ran out' if ran_out else 'runs out'} {on_day(r.expires_on, today)}",
        overdue=ran_out,
    )


# Compliance items that have run out or run out soon (``compliance.items_due_query``).
COMPLIANCE_DUE = AttentionRule(
    key="compliance",
    title="Compliance items due",
    rule=(
        "Membership-compliance items (met or waived) of hotlines in use that have expired or "
        f"expire within {compliance.EXPIRING_WITHIN_DAYS} days."
    ),
    query=compliance.items_due_query,
    subject=HOTLINE,
    item=_compliance_item,
    due_on=lambda r, today: r.expires_on,
)
compliance_due = COMPLIANCE_DUE.section


def _instalment_item(r: Any, today: date) -> AttentionItem:
    return AttentionItem(
        endpoint=COMMITMENT.endpoint,
        record_id=r.commitment_id,
        label=r.title,
        detail=(
            f"instalment of {r.expected_on.isoformat()}: {r.currency_code} "
            f"{Decimal(r.short):,.2f} of {Decimal(r.amount):,.2f} not received"
        ),
        overdue=True,
    )


# Instalments past their expected date that receipts do not fully cover (oldest first).
OVERDUE_INSTALMENTS = AttentionRule(
    key="instalments",
    title="Instalments overdue",
    rule="Instalments of commitments in force whose expected date has passed and that are "
    "not fully received. " + obligations.MATCHING_RULE,
    query=obligations.overdue_instalments_select,
    subject=COMMITMENT,
    item=_instalment_item,
    due_on=lambda r, today: r.expected_on,
)


def _report_item(r: Any, today: date) -> AttentionItem:
    return due_item(
        FUNDER_REPORT.endpoint,
        r.id,
        f"{r.title}: {label(r.kind).lower()} report",
        r.due_on,
        today,
        ", not submitted",
    )


# Funder reports not submitted, due within the horizon or overdue (earliest due first).
REPORTS_DUE = AttentionRule(
    key="reports",
    title="Funder reports due",
    rule=f"Reports owed to funders, not yet submitted, overdue or due within "
    f"{obligations.REPORT_HORIZON_DAYS} days.",
    query=obligations.reports_due_select,
    subject=FUNDER_REPORT,
    item=_report_item,
)


def _follow_up_item(r: Any, today: date) -> AttentionItem:
    return due_item(
        FOLLOW_UP.endpoint,
        r.id,
        f"{r.name}: follow-up of the {label(r.kind).lower()} of {r.occurred_on.isoformat()}",
        r.follow_up_on,
        today,
        "",
    )


# Open follow-ups of interactions, due within a week or overdue (earliest due first).
FOLLOW_UPS_DUE = AttentionRule(
    key="follow_ups",
    title="Follow-ups due",
    rule=f"Follow-ups of meetings, calls and e-mails not yet done, overdue or due within "
    f"{interactions.FOLLOW_UP_HORIZON_DAYS} days.",
    query=interactions.follow_ups_due_select,
    subject=FOLLOW_UP,
    item=_follow_up_item,
)

ATTENTION_RULES = (
    RENEWALS_DUE,
    ENDED_WITHOUT_DECISION,
    STALE_CONTACTS,
    OVERDUE_NEXT_STEPS,
    STALLED_PIPELINE_STAGES,
    MISSING_STATISTICS,
    QUARTERS_AWAITING_REVIEW,
    LATE_QUARTERS,
    UNCONFIRMED_PLEDGES,
    OVERDUE_INSTALMENTS,
    REPORTS_DUE,
    FOLLOW_UPS_DUE,
    COMPLIANCE_DUE,
)


def needs_attention(
    session: Session,
    *,
    today: date,
    owner_id: int | None = None,
    limit: int | None = ITEMS_PER_SECTION,
) -> NeedsAttention:
    """The sections of the home page's "needs attention" list, one per ``ATTENTION_RULES``:
    everyone's items, or with ``owner_id`` only that user's (none if they are deactivated);
    the first ``limit`` items of each section (all with None) and its full count."""
    return NeedsAttention(
        today=today,
        sections=tuple(
            rule.section(session, today=today, owner_id=owner_id, limit=limit)
            for rule in ATTENTION_RULES
        ),
        owner_id=owner_id,
    )


def unassigned_count(session: Session, *, today: date) -> int:
    """How many items need attention that no active user owns (no owner, or a deactivated
    one): counts only, one statement per rule."""
    return sum(rule.count(session, today=today, unassigned=True) for rule in ATTENTION_RULES)
