"""The network's growth year by year and the overview's KPI tiles."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

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
    year_of,
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

    One statement over the stored membership spans (``network_membership.membership_spans``)
    without matching every span to every year end: a day is turned into the number of the first
    year end on or after it (``_first_point``), so a span, or a span and a country's spell
    together, cover the year ends from the number of its start up to, not including, the number
    of its end. Each adds 1 at the one and takes 1 at the other; the running sums over the year
    ends are the counts (for the places, first per place: covered while its sum is above 0).
    """
    if first_year > today.year:
        return ()
    days = [(y, period_end(y, today=today)) for y in range(first_year, today.year + 1)]
    after_all = len(days)  # the number of "no year end": an open end, a day after today
    # A UNION ALL of literals: portable where VALUES with column aliases is not (SQLite).
    years = sa.union_all(
        *(
            sa.select(
                sa.literal(i, sa.Integer).label("point"),
                sa.literal(y, sa.Integer).label("year"),
                sa.literal(d, sa.Date).label("as_of"),
            )
            for i, (y, d) in enumerate(days)
        )
    ).cte("years")

    def first_point(day: Any, *, if_none: int = after_all) -> Any:
        """The number of the first year end on or after ``day`` (None: ``if_none``)."""
        return sa.case(
            (day.is_(None), if_none),
            (day > today, after_all),
            (day < date(first_year, 1, 1), 0),
            else_=year_of(day) - first_year,
        )

    spans = network_membership.membership_spans(active_only=True)
    members = (
        sa.select(
            spans.c.hotline_id,
            (spans.c.status == MembershipStatus.FULL.value).label("full"),
            first_point(spans.c.valid_from).label("start"),
            first_point(spans.c.valid_until).label("stop"),
        )
        .where(spans.c.status.in_(COVERING_STATUS_VALUES))
        .cte("members")
    )
    hotlines = _running_counts(
        "hotlines",
        years,
        members,
        after_all,
        full=lambda sign: sa.case((members.c.full, sign), else_=0),
    )
    spell_start = first_point(hotline_countries.c.covered_from, if_none=0)
    spell_stop = first_point(hotline_countries.c.covered_until)
    covered = (
        sa.select(
            hotline_countries.c.country_code,
            Country.is_sovereign,
            sa.case((spell_start > members.c.start, spell_start), else_=members.c.start).label(
                "start"
            ),
            sa.case((spell_stop < members.c.stop, spell_stop), else_=members.c.stop).label("stop"),
        )
        .select_from(members)
        .join(hotline_countries, hotline_countries.c.hotline_id == members.c.hotline_id)
        .join(Country, Country.alpha2 == hotline_countries.c.country_code)
        .cte("covered")
    )
    place_steps = _steps(
        "place", covered, after_all, covered.c.country_code, covered.c.is_sovereign
    )
    place_sums = sa.select(
        place_steps.c.country_code,
        place_steps.c.is_sovereign,
        place_steps.c.point.label("start"),
        sa.func.sum(place_steps.c.members)
        .over(partition_by=place_steps.c.country_code, order_by=place_steps.c.point)
        .label("sum"),
        sa.func.lead(place_steps.c.point, 1, after_all)
        .over(partition_by=place_steps.c.country_code, order_by=place_steps.c.point)
        .label("stop"),
    ).subquery("place_sums")
    places_covered = (
        sa.select(place_sums.c.is_sovereign, place_sums.c.start, place_sums.c.stop)
        .where(place_sums.c.sum > 0)
        .cte("places_covered")
    )
    places = _running_counts(
        "places",
        years,
        places_covered,
        after_all,
        countries=lambda sign: sa.case((places_covered.c.is_sovereign.is_(True), sign), else_=0),
        territories=lambda sign: sa.case((places_covered.c.is_sovereign.is_(False), sign), else_=0),
    )
    rows = session.execute(
        sa.select(
            years.c.year,
            years.c.as_of,
            hotlines.c.members.label("hotlines"),
            hotlines.c.full,
            places.c.countries,
            places.c.territories,
        )
        .outerjoin(hotlines, hotlines.c.year == years.c.year)
        .outerjoin(places, places.c.year == years.c.year)
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


def _steps(name: str, intervals: Any, after_all: int, *keys: Any, **counts: Any) -> sa.Subquery:
    """Per ``keys`` and year-end number: what the ``intervals`` (start, stop numbers) starting
    there add and those stopping there take away (``members``: 1 each; ``counts``: a function
    of the sign, 1 or -1, per interval)."""
    valid = intervals.c.start < intervals.c.stop

    def side(point: Any, sign: int, *where: Any) -> sa.Select[Any]:
        return sa.select(
            *keys,
            point.label("point"),
            sa.literal(sign, sa.Integer).label("members"),
            *(count(sign).label(name) for name, count in counts.items()),
        ).where(valid, *where)

    moves = sa.union_all(
        side(intervals.c.start, 1), side(intervals.c.stop, -1, intervals.c.stop < after_all)
    ).subquery(f"{name}_moves")
    key_columns = [moves.c[key.name] for key in keys]
    return (
        sa.select(
            *key_columns,
            moves.c.point,
            sa.func.sum(moves.c.members).label("members"),
            *(sa.func.sum(moves.c[name]).label(name) for name in counts),
        )
        .group_by(*key_columns, moves.c.point)
        .subquery(f"{name}_steps")
    )


def _running_counts(
    name: str, years: Any, intervals: Any, after_all: int, **counts: Any
) -> sa.Subquery:
    """Per year end: how many ``intervals`` (start, stop year-end numbers) cover it (``members``)
    and the ``counts`` of them (see ``_steps``): the steps summed up to its number (a few dozen
    rows a side)."""
    steps = _steps(name, intervals, after_all, **counts)
    return (
        sa.select(
            years.c.year,
            sa.func.sum(steps.c.members).label("members"),
            *(sa.func.sum(steps.c[name]).label(name) for name in counts),
        )
        .join(steps, steps.c.point <= years.c.point)
        .group_by(years.c.year)
        .subquery(name)
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
