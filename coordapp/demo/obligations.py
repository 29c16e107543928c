"""Demo funder obligations: instalment schedules of the commitments in force (one funder
behind its schedule, so an instalment is overdue) and their yearly reports (past ones
submitted and accepted, one overdue, one due soon)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from coordapp.demo.context import DemoContext, add_months
from coordapp.demo.money import _split
from coordapp.funding.models import (
    CommitmentStatus,
    FundingCommitment,
    FundingInstalment,
    ReportingRequirement,
    ReportKind,
)

# Reports are due this long after each year of a commitment's period ends.
REPORT_AFTER_DAYS = 60


def _years(commitment: FundingCommitment) -> int:
    months = (commitment.period_end.year - commitment.period_start.year) * 12 + (
        commitment.period_end.month - commitment.period_start.month + 1
    )
    return max(1, round(months / 12))


def _schedule(ctx: DemoContext, commitment: FundingCommitment, *, behind: bool) -> None:
    """One instalment a year, a fortnight into each year of the period; ``behind``: the first
    year's is 60% of the pledge, more than the first receipt, so it is overdue."""
    years = _years(commitment)
    weights = [6, *([4 // (years - 1) or 1] * (years - 1))] if behind and years > 1 else None
    parts = _split(commitment.amount, weights or [1] * years)
    for i, part in enumerate(parts):
        commitment.instalments.append(
            FundingInstalment(
                expected_on=add_months(commitment.period_start, 12 * i) + timedelta(days=14),
                amount=part,
            )
        )
    ctx.counts["funding_instalments"] += len(parts)


def _reports(ctx: DemoContext, commitment: FundingCommitment, *, late: bool) -> None:
    """A narrative and a financial report after each year of the period; those due before
    today are submitted and accepted, except the latest narrative one when ``late``."""
    rows: list[ReportingRequirement] = []
    for i in range(_years(commitment)):
        year_end = add_months(commitment.period_start, 12 * (i + 1)) - timedelta(days=1)
        due_on = year_end + timedelta(days=REPORT_AFTER_DAYS)
        for kind in (ReportKind.NARRATIVE, ReportKind.FINANCIAL):
            report = ReportingRequirement(
                commitment=commitment,
                kind=kind,
                due_on=due_on,
                document_reference=f"{kind.value[:3].upper()}-{year_end.year}-{commitment.id}",
            )
            if due_on < ctx.today:
                report.submitted_on = due_on - timedelta(days=5)
                accepted = report.submitted_on + timedelta(days=20)
                report.accepted_on = accepted if accepted <= ctx.today else None
            rows.append(report)
    past_narrative = [
        r for r in rows if r.kind == ReportKind.NARRATIVE and r.submitted_on is not None
    ]
    if late and past_narrative:
        # The latest narrative report is overdue: never submitted.
        past_narrative[-1].submitted_on = past_narrative[-1].accepted_on = None
    ctx.add_all("reporting_requirements", list[object](rows))


def _due_soon(ctx: DemoContext, commitment: FundingCommitment) -> None:
    ctx.add_all(
        "reporting_requirements",
        [
            ReportingRequirement(
                commitment=commitment,
                kind=ReportKind.NARRATIVE,
                due_on=ctx.today + timedelta(days=14),
                note="Interim update requested by the programme officer.",
            )
        ],
    )


def add_obligations(ctx: DemoContext) -> None:
    ctx.session.flush()
    since = ctx.today - timedelta(days=365)
    # Commitments paid in another currency are left without a schedule: the matching rule
    # (``obligations.MATCHING_RULE``) matches receipts in the commitment's own currency only.
    in_force = [
        c
        for c in ctx.session.scalars(
            sa.select(FundingCommitment)
            .where(
                FundingCommitment.status != CommitmentStatus.CANCELLED.value,
                FundingCommitment.period_end >= since,
            )
            .order_by(FundingCommitment.period_start, FundingCommitment.id)
        )
        if all(r.currency_code == c.currency_code for r in c.receipts)
    ]
    multi_year = [
        c
        for c in in_force
        if c.status == CommitmentStatus.CONFIRMED
        and _years(c) > 1
        and c.period_start + timedelta(days=14) < ctx.today
    ]
    behind = multi_year[-1] if multi_year else None
    confirmed = [c for c in in_force if c.status == CommitmentStatus.CONFIRMED]
    for commitment in in_force:
        _schedule(ctx, commitment, behind=commitment is behind)
        if commitment.status == CommitmentStatus.CONFIRMED:
            _reports(ctx, commitment, late=commitment is confirmed[0])
    if confirmed:
        _due_soon(ctx, confirmed[-1])
