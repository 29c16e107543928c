"""The network's growth year by year and the overview's KPI tiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.cache import cached
from coordapp.funding import amounts as funding_amounts
from coordapp.funding import rate_info
from coordapp.network import coverage as network_coverage
from coordapp.network import membership as network_membership
from coordapp.network.models import (
    MembershipStatus,
    hotline_countries,
)
from coordapp.partners import agreements as partners_agreements
from coordapp.reference.models import Country
from coordapp.reporting.common import (
    COVERING_STATUS_VALUES,
    FIRST_YEAR,
    RateInfo,
    as_date,
    as_int,
    one_year_before,
    period_end,
)
from coordapp.reporting.training import trainings_between


@dataclass(frozen=True, slots=True)
class GrowthPoint:
    year: int
    on: date
    member_hotlines: int
    full_hotlines: int
    provisional_hotlines: int
    countries_covered: int
    territories_covered: int = 0


def network_growth(
    session: Session, *, today: date, first_year: int = FIRST_YEAR
) -> tuple[GrowthPoint, ...]:
    """Member hotlines, countries covered and territories covered at each year end (today for
    the current year): the figures of ``network_coverage.coverage_summary`` on each of those days
    (the map's year replay), computed for all years at once.

    ``countries_covered`` counts sovereign states, ``territories_covered`` dependent
    territories, each covered on the day by a provisional or full member hotline whose
    ``hotline_countries`` spell is in force that day (``network_coverage.spell_covers``).

    One statement: each membership event is valid until the next one of its hotline (LEAD in
    the same order as the status-on-a-date rule: date, lifecycle rank, id); a year-end falls in
    exactly one such span per hotline.
    """
    if first_year > today.year:
        return ()
    days = [(y, period_end(y, today=today)) for y in range(first_year, today.year + 1)]
    # A UNION ALL of literals: portable where VALUES with column aliases is not (SQLite).
    years = sa.union_all(
        *(
            sa.select(
                sa.literal(y, sa.Integer).label("year"), sa.literal(d, sa.Date).label("as_of")
            )
            for y, d in days
        )
    ).cte("years")
    spans = network_membership.membership_spans(active_only=True)
    members = (
        sa.select(years.c.year, years.c.as_of, spans.c.hotline_id, spans.c.status)
        .join(spans, network_membership.span_holds(spans, years.c.as_of))
        .where(spans.c.status.in_(COVERING_STATUS_VALUES))
        # A CTE: read by both counts below, the spans are ranked and matched to the days once
        # (as a subquery each count worked them out again: at 100x, 2 x 110 ms of 270).
        .cte("members")
    )
    covered = (
        sa.select(members.c.year, hotline_countries.c.country_code, Country.is_sovereign)
        .join(hotline_countries, hotline_countries.c.hotline_id == members.c.hotline_id)
        .join(Country, Country.alpha2 == hotline_countries.c.country_code)
        .where(network_coverage.spell_covers(members.c.as_of))
        .distinct()
        .subquery("covered")
    )
    countries = (
        sa.select(
            covered.c.year,
            sa.func.count().filter(covered.c.is_sovereign.is_(True)).label("countries"),
            sa.func.count().filter(covered.c.is_sovereign.is_(False)).label("territories"),
        )
        .group_by(covered.c.year)
        .subquery("countries")
    )
    hotlines = (
        sa.select(
            members.c.year,
            sa.func.count().label("hotlines"),
            sa.func.count().filter(members.c.status == MembershipStatus.FULL.value).label("full"),
        )
        .group_by(members.c.year)
        .subquery("hotlines")
    )
    rows = session.execute(
        sa.select(
            years.c.year,
            years.c.as_of,
            hotlines.c.hotlines,
            hotlines.c.full,
            countries.c.countries,
            countries.c.territories,
        )
        .outerjoin(hotlines, hotlines.c.year == years.c.year)
        .outerjoin(countries, countries.c.year == years.c.year)
        .order_by(years.c.year)
    ).all()
    return tuple(
        GrowthPoint(
            year=row.year,
            on=as_date(row.as_of),
            member_hotlines=as_int(row.hotlines),
            full_hotlines=as_int(row.full),
            provisional_hotlines=as_int(row.hotlines) - as_int(row.full),
            countries_covered=as_int(row.countries),
            territories_covered=as_int(row.territories),
        )
        for row in rows
    )


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str
    label: str
    value: Decimal
    previous: Decimal
    unit: str  # "count" or a currency code
    note: str

    @property
    def change(self) -> Decimal:
        return self.value - self.previous


@dataclass(frozen=True, slots=True)
class Overview:
    today: date
    compared_with: date
    currency: str
    rates: RateInfo
    kpis: tuple[Kpi, ...]
    growth: tuple[GrowthPoint, ...]

    @property
    def is_empty(self) -> bool:
        return all(k.value == 0 and k.previous == 0 for k in self.kpis)


def overview(session: Session, *, today: date, currency: str = "EUR") -> Overview:
    """KPI tiles for ``today`` (this year up to today) against the same day a year earlier."""
    before = one_year_before(today)
    # Cached: the pillars' coverage indicators ask for today's too.
    now_cov = cached(session, network_coverage.coverage_summary, on=today)
    then_cov = cached(session, network_coverage.coverage_summary, on=before)
    pledged_now = funding_amounts.pledged_total(
        session, start=date(today.year, 1, 1), end=today, currency=currency
    )
    pledged_then = funding_amounts.pledged_total(
        session, start=date(before.year, 1, 1), end=before, currency=currency
    )
    received_now = funding_amounts.received_total(
        session, start=date(today.year, 1, 1), end=today, currency=currency
    )
    received_then = funding_amounts.received_total(
        session, start=date(before.year, 1, 1), end=before, currency=currency
    )
    trainings_now, people_now = trainings_between(session, date(today.year, 1, 1), today)
    trainings_then, people_then = trainings_between(session, date(before.year, 1, 1), before)
    totals = (pledged_now, pledged_then, received_now, received_then)
    rates = rate_info.merge(currency, [t.rates for t in totals])
    ytd = f"1 Jan–{today.strftime('%d %b')}"

    def count(key: str, label: str, now: int, then: int, note: str) -> Kpi:
        return Kpi(key, label, Decimal(now), Decimal(then), "count", note)

    kpis = (
        count(
            "member_hotlines",
            "Member hotlines",
            now_cov.member_hotlines,
            then_cov.member_hotlines,
            f"{now_cov.full_hotlines} full · {now_cov.provisional_hotlines} provisional",
        ),
        count(
            "countries_covered",
            network_coverage.COUNTRIES_COVERED_LABEL,
            now_cov.countries_covered,
            then_cov.countries_covered,
            f"sovereign states · {now_cov.countries_in_pipeline} more in the expansion pipeline",
        ),
        count(
            "territories_covered",
            network_coverage.TERRITORIES_COVERED_LABEL,
            now_cov.territories_covered,
            then_cov.territories_covered,
            "dependent territories, counted apart",
        ),
        count(
            "partnerships_in_force",
            partners_agreements.IN_FORCE_LABEL,
            partners_agreements.count_in_force(session, on=today),
            partners_agreements.count_in_force(session, on=before),
            "active agreements, started and not past their end date",
        ),
        Kpi(
            "pledged",
            f"Funding pledged {today.year}",
            pledged_now.amount,
            pledged_then.amount,
            currency,
            f"{ytd}, not cancelled",
        ),
        Kpi(
            "received",
            f"Funding received {today.year}",
            received_now.amount,
            received_then.amount,
            currency,
            ytd,
        ),
        count("trainings", f"Trainings {today.year}", trainings_now, trainings_then, ytd),
        count(
            "participants",
            f"Training participants {today.year}",
            people_now,
            people_then,
            ytd,
        ),
    )
    return Overview(
        today=today,
        compared_with=before,
        currency=currency,
        rates=rates,
        kpis=kpis,
        growth=network_growth(session, today=today),
    )
