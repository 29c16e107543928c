"""The two baselines the services are measured against, computing the same results.

* ``raw_*``: one hand-written SQL string each, run with ``session.execute(text(...))``.
* ``naive_*``: simple SELECTs of the relevant rows, the computation in Python, on every call.

Both return the services' own result types so that results compare with ``==``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding.models import ExchangeRate, FundingReceipt
from coordapp.funding.service import MoneyTotal
from coordapp.network.models import (
    COVERING_STATUSES,
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineMembershipEvent,
    MembershipStatus,
    hotline_countries,
)
from coordapp.network.service import CountryCoverage, CoverageStatus, CoverageSummary
from coordapp.reference.models import Country, Currency

# ---------------------------------------------------------------------------------------------
# Raw SQL
# ---------------------------------------------------------------------------------------------

# Shared CTEs: status of each hotline on :on (latest event; on one day the later lifecycle step
# wins, then the later row), its first admission, the best status per country, the stage of
# each unarchived expansion target on :on (latest date, then the later row).
_COVERAGE_CTES = """
WITH ranked_events AS (
    SELECT e.hotline_id,
           e.status,
           ROW_NUMBER() OVER (
               PARTITION BY e.hotline_id
               ORDER BY e.event_date DESC,
                        CASE e.status
                            WHEN 'applicant' THEN 0
                            WHEN 'provisional' THEN 1
                            WHEN 'full' THEN 2
                            WHEN 'suspended' THEN 3
                            WHEN 'withdrawn' THEN 4
                        END DESC,
                        e.id DESC
           ) AS rn
    FROM hotline_membership_events e
    WHERE e.event_date <= :on
),
member_status AS (
    SELECT hotline_id, status FROM ranked_events WHERE rn = 1
),
first_admitted AS (
    SELECT hotline_id, MIN(event_date) AS since
    FROM hotline_membership_events
    WHERE event_date <= :on AND status IN ('provisional', 'full')
    GROUP BY hotline_id
),
covered AS (
    SELECT hc.country_code,
           MAX(CASE WHEN ms.status = 'full' THEN 2 ELSE 1 END) AS level,
           COUNT(DISTINCT h.id) AS hotline_count,
           MIN(CASE WHEN hc.covered_from > fa.since THEN hc.covered_from ELSE fa.since END)
               AS member_since
    FROM hotline_countries hc
    JOIN hotlines h ON h.id = hc.hotline_id AND h.archived_at IS NULL
    JOIN member_status ms ON ms.hotline_id = h.id AND ms.status IN ('provisional', 'full')
    JOIN first_admitted fa ON fa.hotline_id = h.id
    WHERE (hc.covered_from IS NULL OR hc.covered_from <= :on)
      AND (hc.covered_until IS NULL OR hc.covered_until > :on)
    GROUP BY hc.country_code
),
ranked_stages AS (
    SELECT s.target_id,
           s.stage,
           ROW_NUMBER() OVER (
               PARTITION BY s.target_id ORDER BY s.entered_on DESC, s.id DESC
           ) AS rn
    FROM expansion_stage_events s
    WHERE s.entered_on <= :on
),
pipeline AS (
    SELECT t.country_code, rs.stage
    FROM expansion_targets t
    JOIN ranked_stages rs ON rs.target_id = t.id AND rs.rn = 1
    WHERE t.archived_at IS NULL
)
"""

RAW_COVERAGE_SQL = (
    _COVERAGE_CTES
    + """
SELECT c.alpha2, c.alpha3, c.name, c.region, c.sub_region, c.is_sovereign,
       CASE
           WHEN cv.level = 2 THEN 'full'
           WHEN cv.level = 1 THEN 'provisional'
           WHEN p.stage IS NOT NULL THEN 'pipeline'
           ELSE 'none'
       END AS status,
       COALESCE(cv.hotline_count, 0) AS hotline_count,
       cv.member_since,
       p.stage
FROM countries c
LEFT JOIN covered cv ON cv.country_code = c.alpha2
LEFT JOIN pipeline p ON p.country_code = c.alpha2
{where}
ORDER BY c.name
"""
)

RAW_SUMMARY_SQL = (
    _COVERAGE_CTES
    + """
, hotline_counts AS (
    SELECT COALESCE(SUM(CASE WHEN ms.status = 'full' THEN 1 ELSE 0 END), 0) AS full_hotlines,
           COALESCE(SUM(CASE WHEN ms.status = 'provisional' THEN 1 ELSE 0 END), 0)
               AS provisional_hotlines
    FROM member_status ms
    JOIN hotlines h ON h.id = ms.hotline_id
    WHERE h.archived_at IS NULL
),
country_counts AS (
    SELECT COALESCE(SUM(CASE WHEN c.is_sovereign AND cv.level = 2 THEN 1 ELSE 0 END), 0)
               AS countries_full,
           COALESCE(SUM(CASE WHEN c.is_sovereign AND cv.level = 1 THEN 1 ELSE 0 END), 0)
               AS countries_provisional,
           COALESCE(SUM(CASE WHEN c.is_sovereign AND cv.level IS NULL AND p.stage IS NOT NULL
                             THEN 1 ELSE 0 END), 0) AS countries_in_pipeline,
           COALESCE(SUM(CASE WHEN NOT c.is_sovereign AND cv.level IS NOT NULL
                             THEN 1 ELSE 0 END), 0) AS territories_covered
    FROM countries c
    LEFT JOIN covered cv ON cv.country_code = c.alpha2
    LEFT JOIN pipeline p ON p.country_code = c.alpha2
)
SELECT * FROM hotline_counts CROSS JOIN country_counts
"""
)

# Per currency of the receipts: native sum, sum converted with the latest rate on or before
# :rates_on stored in either direction (rate, or 1 / rate), that rate's date; and the minor
# units of the target currency on every row.
RAW_RECEIVED_SQL = """
WITH candidate_rates AS (
    SELECT base_code AS currency_code, rate AS factor, rate_date
    FROM exchange_rates
    WHERE quote_code = :target AND rate_date <= :rates_on
    UNION ALL
    SELECT quote_code AS currency_code, 1.0 / rate AS factor, rate_date
    FROM exchange_rates
    WHERE base_code = :target AND rate_date <= :rates_on
),
latest_rates AS (
    SELECT currency_code, factor, rate_date
    FROM (
        SELECT currency_code, factor, rate_date,
               ROW_NUMBER() OVER (PARTITION BY currency_code ORDER BY rate_date DESC) AS rn
        FROM candidate_rates
    ) ranked
    WHERE rn = 1
)
SELECT r.currency_code,
       SUM(r.amount) AS native,
       SUM(CASE WHEN r.currency_code = :target THEN r.amount ELSE r.amount * lr.factor END)
           AS converted,
       MAX(lr.rate_date) AS rate_date,
       (SELECT minor_units FROM currencies WHERE code = :target) AS minor_units
FROM funding_receipts r
LEFT JOIN latest_rates lr ON lr.currency_code = r.currency_code
WHERE r.archived_at IS NULL AND r.received_on BETWEEN :start AND :end
GROUP BY r.currency_code
"""

_DATE = sa.Date()
_MONEY = sa.Numeric(18, 4, asdecimal=True)

_raw_coverage = {
    filtered: sa.text(RAW_COVERAGE_SQL.format(where="WHERE c.region = :region" if filtered else ""))
    .bindparams(sa.bindparam("on", type_=_DATE))
    .columns(member_since=_DATE)
    for filtered in (False, True)
}
_raw_summary = sa.text(RAW_SUMMARY_SQL).bindparams(sa.bindparam("on", type_=_DATE))
_raw_received = (
    sa.text(RAW_RECEIVED_SQL)
    .bindparams(
        sa.bindparam("rates_on", type_=_DATE),
        sa.bindparam("start", type_=_DATE),
        sa.bindparam("end", type_=_DATE),
    )
    .columns(native=_MONEY, converted=_MONEY, rate_date=_DATE)
)


def raw_coverage_as_of(
    session: Session, *, on: date, region: str | None = None
) -> list[CountryCoverage]:
    return [
        CountryCoverage(
            country_code=row.alpha2,
            alpha3=row.alpha3,
            name=row.name,
            region=row.region,
            sub_region=row.sub_region,
            status=CoverageStatus(row.status),
            hotline_count=row.hotline_count,
            member_since=row.member_since,
            pipeline_stage=ExpansionStage(row.stage) if row.stage is not None else None,
            is_sovereign=bool(row.is_sovereign),
        )
        for row in session.execute(
            _raw_coverage[bool(region)], {"on": on, "region": region} if region else {"on": on}
        )
    ]


def raw_coverage_summary(session: Session, *, on: date) -> CoverageSummary:
    row = session.execute(_raw_summary, {"on": on}).one()
    full, provisional = int(row.full_hotlines), int(row.provisional_hotlines)
    countries_full, countries_provisional = int(row.countries_full), int(row.countries_provisional)
    return CoverageSummary(
        on=on,
        member_hotlines=full + provisional,
        full_hotlines=full,
        provisional_hotlines=provisional,
        countries_covered=countries_full + countries_provisional,
        countries_full=countries_full,
        countries_provisional=countries_provisional,
        countries_in_pipeline=int(row.countries_in_pipeline),
        territories_covered=int(row.territories_covered),
    )


def raw_received_total(
    session: Session, *, start: date, end: date, currency: str = "EUR", rates_on: date
) -> MoneyTotal:
    rows = session.execute(
        _raw_received, {"target": currency, "rates_on": rates_on, "start": start, "end": end}
    ).all()
    total = Decimal(0)
    rate_dates: dict[str, date] = {}
    unconverted: list[str] = []
    minor = None
    for row in rows:
        minor = row.minor_units
        if row.currency_code == currency:
            total += row.native
        elif row.rate_date is None:
            unconverted.append(row.currency_code)
        else:
            total += row.converted
            rate_dates[row.currency_code] = row.rate_date
    if not rows:  # no receipt: the minor units still decide the quantum
        minor = session.scalar(
            sa.text("SELECT minor_units FROM currencies WHERE code = :c"), {"c": currency}
        )
    return MoneyTotal(
        amount=total.quantize(Decimal(1).scaleb(-(2 if minor is None else minor)), ROUND_HALF_EVEN),
        currency=currency,
        rates_on=rates_on,
        rate_dates=rate_dates,
        unconverted=tuple(sorted(unconverted)),
    )


# ---------------------------------------------------------------------------------------------
# Naive: load the rows, compute in Python
# ---------------------------------------------------------------------------------------------

_STATUS_RANK = {status: rank for rank, status in enumerate(MembershipStatus)}
_COVERING = frozenset(COVERING_STATUSES)


def _naive_coverage_rows(
    session: Session, on: date
) -> tuple[list[Any], dict[str, tuple[int, int, date]], dict[str, ExpansionStage], int, int]:
    """(countries, {country: (level, hotlines, since)}, {country: stage}, full, provisional)."""
    countries = list(
        session.execute(
            sa.select(
                Country.alpha2,
                Country.alpha3,
                Country.name,
                Country.region,
                Country.sub_region,
                Country.is_sovereign,
            )
        )
    )
    live = {
        hid
        for hid, archived in session.execute(sa.select(Hotline.id, Hotline.archived_at))
        if archived is None
    }
    latest: dict[int, tuple[tuple[date, int, int], MembershipStatus]] = {}
    since: dict[int, date] = {}
    for hid, day, status, eid in session.execute(
        sa.select(
            HotlineMembershipEvent.hotline_id,
            HotlineMembershipEvent.event_date,
            HotlineMembershipEvent.status,
            HotlineMembershipEvent.id,
        )
    ):
        if day > on:
            continue
        key = (day, _STATUS_RANK[status], eid)
        if hid not in latest or key > latest[hid][0]:
            latest[hid] = (key, status)
        if status in _COVERING and (hid not in since or day < since[hid]):
            since[hid] = day
    member = {hid: st for hid, (_, st) in latest.items() if hid in live and st in _COVERING}
    covered: dict[str, tuple[int, int, date]] = {}
    for hid, code, start, until in session.execute(
        sa.select(
            hotline_countries.c.hotline_id,
            hotline_countries.c.country_code,
            hotline_countries.c.covered_from,
            hotline_countries.c.covered_until,
        )
    ):
        if hid not in member:
            continue
        if (start is not None and start > on) or (until is not None and until <= on):
            continue
        level = 2 if member[hid] == MembershipStatus.FULL else 1
        first = max(since[hid], start) if start is not None else since[hid]
        prev = covered.get(code)
        covered[code] = (
            (level, 1, first)
            if prev is None
            else (max(prev[0], level), prev[1] + 1, min(prev[2], first))
        )
    targets = {
        tid: code
        for tid, code, archived in session.execute(
            sa.select(ExpansionTarget.id, ExpansionTarget.country_code, ExpansionTarget.archived_at)
        )
        if archived is None
    }
    stage_of: dict[int, tuple[tuple[date, int], ExpansionStage]] = {}
    for tid, stage, day, sid in session.execute(
        sa.select(
            ExpansionStageEvent.target_id,
            ExpansionStageEvent.stage,
            ExpansionStageEvent.entered_on,
            ExpansionStageEvent.id,
        )
    ):
        if day <= on and tid in targets and (tid not in stage_of or (day, sid) > stage_of[tid][0]):
            stage_of[tid] = ((day, sid), stage)
    pipeline = {targets[tid]: stage for tid, (_, stage) in stage_of.items()}
    full = sum(1 for st in member.values() if st == MembershipStatus.FULL)
    return countries, covered, pipeline, full, len(member) - full


def naive_coverage_as_of(
    session: Session, *, on: date, region: str | None = None
) -> list[CountryCoverage]:
    countries, covered, pipeline, _, _ = _naive_coverage_rows(session, on)
    result = []
    for c in sorted(countries, key=lambda c: c.name):
        if region and c.region != region:
            continue
        level, count, since = covered.get(c.alpha2, (0, 0, None))
        stage = pipeline.get(c.alpha2)
        status = (
            CoverageStatus.FULL
            if level == 2
            else CoverageStatus.PROVISIONAL
            if level == 1
            else CoverageStatus.PIPELINE
            if stage is not None
            else CoverageStatus.NONE
        )
        result.append(
            CountryCoverage(
                country_code=c.alpha2,
                alpha3=c.alpha3,
                name=c.name,
                region=c.region,
                sub_region=c.sub_region,
                status=status,
                hotline_count=count,
                member_since=since,
                pipeline_stage=stage,
                is_sovereign=bool(c.is_sovereign),
            )
        )
    return result


def naive_coverage_summary(session: Session, *, on: date) -> CoverageSummary:
    countries, covered, pipeline, full, provisional = _naive_coverage_rows(session, on)
    codes = {c.alpha2 for c in countries if c.is_sovereign}
    territories = {c.alpha2 for c in countries if not c.is_sovereign}
    levels = [covered[code][0] for code in codes if code in covered]
    return CoverageSummary(
        on=on,
        member_hotlines=full + provisional,
        full_hotlines=full,
        provisional_hotlines=provisional,
        countries_covered=len(levels),
        countries_full=levels.count(2),
        countries_provisional=levels.count(1),
        countries_in_pipeline=sum(1 for code in codes if code in pipeline and code not in covered),
        territories_covered=sum(1 for code in territories if code in covered),
    )


def naive_received_total(
    session: Session, *, start: date, end: date, currency: str = "EUR", rates_on: date
) -> MoneyTotal:
    receipts = session.execute(
        sa.select(FundingReceipt.currency_code, FundingReceipt.amount).where(
            FundingReceipt.archived_at.is_(None), FundingReceipt.received_on.between(start, end)
        )
    ).all()
    latest: dict[str, tuple[date, Decimal]] = {}
    for base, quote, day, rate in session.execute(
        sa.select(
            ExchangeRate.base_code,
            ExchangeRate.quote_code,
            ExchangeRate.rate_date,
            ExchangeRate.rate,
        )
    ):
        if day > rates_on:
            continue
        if quote == currency:
            other, factor = base, rate
        elif base == currency:
            other, factor = quote, Decimal(1) / rate
        else:
            continue
        if other not in latest or day > latest[other][0]:
            latest[other] = (day, factor)
    minor = session.scalar(sa.select(Currency.minor_units).where(Currency.code == currency))
    total = Decimal(0)
    rate_dates: dict[str, date] = {}
    unconverted: set[str] = set()
    for code, amount in receipts:
        if code == currency:
            total += amount
        elif code in latest:
            total += amount * latest[code][1]
            rate_dates[code] = latest[code][0]
        else:
            unconverted.add(code)
    return MoneyTotal(
        amount=total.quantize(Decimal(1).scaleb(-(2 if minor is None else minor)), ROUND_HALF_EVEN),
        currency=currency,
        rates_on=rates_on,
        rate_dates=rate_dates,
        unconverted=tuple(sorted(unconverted)),
    )
