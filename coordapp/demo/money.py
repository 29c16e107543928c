"""Demo exchange rates and funding: commitments, their allocations to pillars, receipts."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from coordapp.demo import data
from coordapp.demo.context import CENT, DemoContext, add_months, seeded_random, slug
from coordapp.funding.models import (
    CommitmentStatus,
    CommitmentStatusEvent,
    ExchangeRate,
    FundingAllocation,
    FundingCommitment,
    FundingReceipt,
)

RATES_FROM = date(2015, 1, 1)


def _split(amount: Decimal, weights: list[int]) -> list[Decimal]:
    """Split ``amount`` by ``weights`` into cents; the last part takes the remainder."""
    total = sum(weights)
    parts = [(amount * w / total).quantize(CENT, rounding=ROUND_DOWN) for w in weights[:-1]]
    return [*parts, amount - sum(parts, Decimal(0))]


def _yearly_mean(quote: str, moment: float) -> float:
    """The reference rate at ``moment`` (a fractional year), between mid-year means."""
    table = data.EUR_RATES[quote]
    first, last = min(table), max(table)
    position = min(max(moment - 0.5, first), last)
    year = int(position)
    if year >= last:
        return table[last]
    fraction = position - year
    return table[year] * (1 - fraction) + table[year + 1] * fraction


def add_exchange_rates(ctx: DemoContext) -> None:
    rows: list[object] = []
    month = RATES_FROM
    while month <= ctx.today:
        rng = seeded_random("rates", month.isoformat())
        for quote in ("USD", "GBP"):
            low, high = data.RATE_BOUNDS[quote]
            mean = _yearly_mean(quote, month.year + (month.month - 0.5) / 12)
            value = min(max(mean * (1 + rng.uniform(-0.012, 0.012)), low), high)
            rate = Decimal(f"{value:.4f}")
            ctx.rates[(quote, month)] = rate
            rows.append(
                ExchangeRate(
                    base_code="EUR",
                    quote_code=quote,
                    rate_date=month,
                    rate=rate,
                    source=data.RATE_SOURCE,
                )
            )
        month = add_months(month, 1)
    ctx.add_all("exchange_rates", rows)


def add_funding(ctx: DemoContext) -> None:
    commitments: list[FundingCommitment] = []
    for funder in data.FUNDERS:
        commitments.extend(_commitments_of(ctx, *funder))
    commitments.append(_open_pledge(ctx))
    _ensure_receipt_this_year(ctx, commitments)
    ctx.add_all("funding_commitments", list(commitments))
    for commitment in commitments:
        ctx.counts["funding_allocations"] += len(commitment.allocations)
        ctx.counts["funding_receipts"] += len(commitment.receipts)
        ctx.counts["commitment_status_events"] += len(commitment.status_events)


def _commitments_of(
    ctx: DemoContext,
    funder: str,
    currency: str,
    programme: str,
    first_year: int,
    last_year: int | None,
    cycle: int,
    month: int,
    yearly_range: tuple[int, int],
    pillars: tuple[str, ...],
) -> list[FundingCommitment]:
    commitments = []
    for year in range(first_year, (last_year or ctx.today.year) + 1, cycle):
        rng = seeded_random("funding", funder, year)
        pledged_on = date(year, month, 1) + timedelta(days=rng.randint(0, 20))
        if pledged_on > ctx.today:
            break
        period_start = add_months(pledged_on, 1)
        period_end = add_months(period_start, 12 * cycle) - timedelta(days=1)
        amount = Decimal(rng.randint(*yearly_range) * 1000 * cycle).quantize(CENT)
        decided_on = pledged_on + timedelta(days=rng.randint(25, 80))
        status = CommitmentStatus.PLEDGED
        if decided_on <= ctx.today:
            cancelled = (funder, year) in data.CANCELLED_PLEDGES
            status = CommitmentStatus.CANCELLED if cancelled else CommitmentStatus.CONFIRMED
        commitment = FundingCommitment(
            funder=ctx.orgs[funder],
            partnership=ctx.funding_partnerships.get(funder),
            title=f"{programme} {period_start.year}-{period_end.year}",
            amount=amount,
            currency_code=currency,
            pledged_on=pledged_on,
            period_start=period_start,
            period_end=period_end,
            status=status,
            notes="Withdrawn by the funder before signature."
            if status == CommitmentStatus.CANCELLED
            else None,
        )
        commitment.status_events.append(
            CommitmentStatusEvent(
                status=CommitmentStatus.PLEDGED, changed_on=pledged_on, note="Pledge letter"
            )
        )
        if status != CommitmentStatus.PLEDGED:
            commitment.status_events.append(
                CommitmentStatusEvent(status=status, changed_on=decided_on)
            )
        weights = [rng.randint(2, 6) for _ in pillars]
        commitment.allocations = [
            FundingAllocation(pillar=ctx.pillars[code], amount=part)
            for code, part in zip(pillars, _split(amount, weights), strict=True)
        ]
        if status == CommitmentStatus.CONFIRMED:
            _receipts(ctx, rng, commitment, years=cycle, in_eur=funder in data.PAYS_USD_IN_EUR)
        commitments.append(commitment)
    return commitments


def _receipts(
    ctx: DemoContext, rng: random.Random, commitment: FundingCommitment, *, years: int, in_eur: bool
) -> None:
    """One instalment a year, early in each year of the period, up to ``today``."""
    for i, part in enumerate(_split(commitment.amount, [1] * years)):
        received_on = add_months(commitment.period_start, 12 * i) + timedelta(
            days=rng.randint(10, 40)
        )
        if received_on > ctx.today:
            break
        currency, amount = commitment.currency_code, part
        if in_eur and currency != "EUR":
            rate = ctx.rates[(currency, received_on.replace(day=1))]
            currency, amount = "EUR", (part / rate).quantize(CENT)
        commitment.receipts.append(
            FundingReceipt(
                received_on=received_on,
                amount=amount,
                currency_code=currency,
                reference=f"DEMO-{commitment.pledged_on.year}-{slug(commitment.funder.name, 1)}"
                f"-{i + 1}",
            )
        )


def _open_pledge(ctx: DemoContext) -> FundingCommitment:
    """A recent pledge still waiting for its agreement (status pledged)."""
    pledged_on = ctx.today - timedelta(days=20)
    period_start = add_months(pledged_on, 2)
    amount = Decimal("75000.00")
    commitment = FundingCommitment(
        funder=ctx.orgs["Lighthouse Philanthropies"],
        title=f"Bridge grant {period_start.year}",
        amount=amount,
        currency_code="USD",
        pledged_on=pledged_on,
        period_start=period_start,
        period_end=add_months(period_start, 12) - timedelta(days=1),
        status=CommitmentStatus.PLEDGED,
        notes="Awaiting the multi-year agreement under negotiation.",
    )
    commitment.status_events.append(
        CommitmentStatusEvent(status=CommitmentStatus.PLEDGED, changed_on=pledged_on)
    )
    commitment.allocations = [
        FundingAllocation(pillar=ctx.pillars[code], amount=part)
        for code, part in zip((data.NE, data.SC), _split(amount, [3, 1]), strict=True)
    ]
    return commitment


def _ensure_receipt_this_year(ctx: DemoContext, commitments: list[FundingCommitment]) -> None:
    """Early in January the yearly instalments have not arrived yet: add one advance."""
    year_start = date(ctx.today.year, 1, 1)
    if any(r.received_on >= year_start for c in commitments for r in c.receipts):
        return
    running = [
        c
        for c in commitments
        if c.status == CommitmentStatus.CONFIRMED and c.period_start <= ctx.today <= c.period_end
    ]
    if not running:
        return
    commitment = max(running, key=lambda c: (c.period_end, c.pledged_on))
    commitment.receipts.append(
        FundingReceipt(
            received_on=ctx.today,
            amount=(commitment.amount / 20).quantize(CENT),
            currency_code=commitment.currency_code,
            reference=f"DEMO-{ctx.today.year}-advance",
        )
    )
