"""The two baselines the services are measured against, computing the same results.

* ``raw_*``: one hand-written SQL string each, run with ``session.execute(text(...))``.
* ``naive_*``: simple SELECTs of the relevant rows, the computation in Python, on every call.

Both return the services' own result types so that results compare with ``==``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding.conversion import PIVOT
from coordapp.funding.models import ExchangeRate, FundingReceipt
from coordapp.funding.rate_info import MoneyTotal, RateInfo, RateSpan
from coordapp.network.coverage import CountryCoverage, CoverageStatus, CoverageSummary
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
           WHEN p.stage IS NOT NULL AND p.stage <> 'member' THEN 'pipeline'
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
           COALESCE(SUM(CASE WHEN cv.level IS NULL AND p.stage IS NOT NULL
                                  AND p.stage <> 'member'
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

# Money received, each receipt at the rate in force on its own receipt date (or all at the rate
# of :constant_on), through EUR. Receipts are summed per (currency, day) first; then, per day,
# one hand-written look-up per leg picks the latest rate on or before that day between the
# currency and EUR, stored in either direction (on one day, the row stored towards EUR wins).
# The source leg (currency -> EUR) is looked up unless the currency is the target or EUR; the
# target leg (EUR -> target) unless the currency is the target or the target is EUR. Python
# multiplies the picked rates out in Decimal (SQLite would hand back 1 / rate as a float).
_RECEIPT_DAYS = """
WITH days AS (
    SELECT r.currency_code,
           COALESCE({constant_on}, r.received_on) AS on_day,
           SUM(r.amount) AS native
    FROM funding_receipts r
    WHERE r.archived_at IS NULL AND r.received_on BETWEEN :start AND :end
    GROUP BY r.currency_code, COALESCE({constant_on}, r.received_on)
)
"""

# PostgreSQL: a LATERAL sub-select per (currency, day) and leg, ORDER BY rate_date DESC LIMIT 1.
RAW_RECEIVED_PG_SQL = (
    _RECEIPT_DAYS.format(constant_on="CAST(:constant_on AS DATE)")
    + """
SELECT d.currency_code, d.native,
       src.rate_date AS src_date, src.rate AS src_rate, src.towards AS src_towards,
       dst.rate_date AS dst_date, dst.rate AS dst_rate, dst.towards AS dst_towards
FROM days d
LEFT JOIN LATERAL (
    SELECT x.rate_date, x.rate, x.quote_code = 'EUR' AS towards
    FROM exchange_rates x
    WHERE d.currency_code NOT IN (:target, 'EUR')
      AND ((x.base_code = d.currency_code AND x.quote_code = 'EUR')
           OR (x.base_code = 'EUR' AND x.quote_code = d.currency_code))
      AND x.rate_date <= d.on_day
    ORDER BY x.rate_date DESC, x.quote_code = 'EUR' DESC
    LIMIT 1
) src ON TRUE
LEFT JOIN LATERAL (
    SELECT x.rate_date, x.rate, x.quote_code = 'EUR' AS towards
    FROM exchange_rates x
    WHERE d.currency_code <> :target AND :target <> 'EUR'
      AND ((x.base_code = :target AND x.quote_code = 'EUR')
           OR (x.base_code = 'EUR' AND x.quote_code = :target))
      AND x.rate_date <= d.on_day
    ORDER BY x.rate_date DESC, x.quote_code = 'EUR' DESC
    LIMIT 1
) dst ON TRUE
"""
)

# SQLite: a correlated sub-select per (currency, day) and leg picks the rate row's id.
_PICK_SQLITE = """(
        SELECT x.id FROM exchange_rates x
        WHERE ((x.base_code = {code} AND x.quote_code = 'EUR')
               OR (x.base_code = 'EUR' AND x.quote_code = {code}))
          AND x.rate_date <= d.on_day
        ORDER BY x.rate_date DESC, x.quote_code = 'EUR' DESC
        LIMIT 1
    )"""
RAW_RECEIVED_SQLITE_SQL = (
    _RECEIPT_DAYS.format(constant_on=":constant_on")
    + """,
picked AS (
    SELECT d.currency_code, d.native,
           CASE WHEN d.currency_code NOT IN (:target, 'EUR') THEN {src} END AS src_id,
           CASE WHEN d.currency_code <> :target AND :target <> 'EUR' THEN {dst} END AS dst_id
    FROM days d
)
SELECT p.currency_code, p.native,
       s.rate_date AS src_date, s.rate AS src_rate, s.quote_code = 'EUR' AS src_towards,
       t.rate_date AS dst_date, t.rate AS dst_rate, t.quote_code = 'EUR' AS dst_towards
FROM picked p
LEFT JOIN exchange_rates s ON s.id = p.src_id
LEFT JOIN exchange_rates t ON t.id = p.dst_id
""".format(src=_PICK_SQLITE.format(code="d.currency_code"), dst=_PICK_SQLITE.format(code=":target"))
)

_DATE = sa.Date()
_MONEY = sa.Numeric(18, 4, asdecimal=True)

_raw_coverage = {
    filtered: sa.text(RAW_COVERAGE_SQL.format(where="WHERE c.region = :region" if filtered else ""))
    .bindparams(sa.bindparam("on", type_=_DATE))
    .columns(member_since=_DATE)
    for filtered in (False, True)
}
_raw_summary = sa.text(RAW_SUMMARY_SQL).bindparams(sa.bindparam("on", type_=_DATE))
_RATE = sa.Numeric(20, 10, asdecimal=True)
_raw_received = {
    dialect: sa.text(sql)
    .bindparams(
        sa.bindparam("constant_on", type_=_DATE),
        sa.bindparam("start", type_=_DATE),
        sa.bindparam("end", type_=_DATE),
    )
    .columns(native=_MONEY, src_date=_DATE, src_rate=_RATE, dst_date=_DATE, dst_rate=_RATE)
    for dialect, sql in (("postgresql", RAW_RECEIVED_PG_SQL), ("sqlite", RAW_RECEIVED_SQLITE_SQL))
}


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
    session: Session,
    *,
    start: date,
    end: date,
    currency: str = "EUR",
    constant_on: date | None = None,
) -> MoneyTotal:
    rows = session.execute(
        _raw_received[session.get_bind().dialect.name],
        {"target": currency, "constant_on": constant_on, "start": start, "end": end},
    ).all()
    minor = {
        code: units
        for code, units in session.execute(sa.text("SELECT code, minor_units FROM currencies"))
    }
    return money_total(
        currency,
        constant_on,
        (
            (
                row.currency_code,
                row.native,
                None
                if row.src_date is None
                else (row.src_date, row.src_rate, bool(row.src_towards)),
                None
                if row.dst_date is None
                else (row.dst_date, row.dst_rate, bool(row.dst_towards)),
            )
            for row in rows
        ),
        minor,
    )


Leg = tuple[date, Decimal, bool]  # (rate date, rate, stored towards EUR?)


def _leg(day: date | None, rate: Decimal | None, towards: Any) -> Leg | None:
    return None if day is None or rate is None else (day, rate, bool(towards))


def money_total(
    currency: str,
    constant_on: date | None,
    amounts: Iterable[tuple[str, Decimal, Leg | None, Leg | None]],
    minor_units: dict[str, int | None],
) -> MoneyTotal:
    """The baselines' common bookkeeping: (code, native amount, rate to EUR, rate EUR to target)
    per amount -> the total and its RateInfo. A leg that is needed but None leaves the amount out.
    """

    def quantum(code: str) -> Decimal:
        minor = minor_units.get(code)
        return Decimal(1).scaleb(-(2 if minor is None else minor))

    total = Decimal(0)
    left: dict[str, Decimal] = {}
    days: dict[str, list[date]] = {}
    used: set[tuple[str, date]] = set()
    applied: set[tuple[str, date, Decimal, bool]] = set()
    for code, native, src, dst in amounts:
        if code == currency:
            total += native
            continue
        legs: list[tuple[str, Leg | None, bool]] = []
        if code != PIVOT:
            legs.append((code, src, True))
        if currency != PIVOT:
            legs.append((currency, dst, False))
        if any(leg is None for _, leg, _ in legs):
            left[code] = left.get(code, Decimal(0)) + native
            continue
        factor = Decimal(1)
        for leg_code, leg, to_pivot in legs:
            assert leg is not None
            day, rate, towards = leg
            # towards: 1 leg_code = rate EUR; away: 1 EUR = rate leg_code.
            factor *= rate if towards == to_pivot else Decimal(1) / rate
            used.add((leg_code, day))
            applied.add((leg_code, day, rate, towards))
            days.setdefault(code, []).append(day)
        total += native * factor
    return MoneyTotal(
        amount=total.quantize(quantum(currency), ROUND_HALF_EVEN),
        currency=currency,
        rates=RateInfo(
            currency=currency,
            constant_on=constant_on,
            spans=tuple(
                RateSpan(code, min(d), max(d), currency != PIVOT and code != PIVOT)
                for code, d in sorted(days.items())
            ),
            left_out=tuple(
                (code, amount.quantize(quantum(code), ROUND_HALF_EVEN))
                for code, amount in sorted(left.items())
            ),
            used=tuple(sorted(used)),
            applied=tuple(sorted(applied)),
        ),
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
            if stage is not None and stage != ExpansionStage.MEMBER
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
        # Every target in the pipeline counts, a territory's too (as the pipeline list does).
        countries_in_pipeline=sum(
            1
            for code, stage in pipeline.items()
            if stage != ExpansionStage.MEMBER and code not in covered
        ),
        territories_covered=sum(1 for code in territories if code in covered),
    )


def naive_rate_finder(
    rates: Iterable[tuple[str, str, date, Decimal]],
) -> Callable[[str, date], Leg | None]:
    """(code, day) -> the latest rate between ``code`` and EUR on or before ``day`` (either
    direction; on one day the one stored towards EUR wins), or None."""
    per_code: dict[str, dict[date, Leg]] = {}
    for base, quote, day, rate in rates:
        if quote == PIVOT:
            per_code.setdefault(base, {})[day] = (day, rate, True)
        elif base == PIVOT:
            stored = per_code.setdefault(quote, {})
            if day not in stored:
                stored[day] = (day, rate, False)
    sorted_days = {code: sorted(stored) for code, stored in per_code.items()}

    def find(code: str, day: date) -> Leg | None:
        known = sorted_days.get(code, [])
        at = bisect.bisect_right(known, day)
        return per_code[code][known[at - 1]] if at else None

    return find


def naive_received_total(
    session: Session,
    *,
    start: date,
    end: date,
    currency: str = "EUR",
    constant_on: date | None = None,
) -> MoneyTotal:
    receipts = session.execute(
        sa.select(
            FundingReceipt.currency_code,
            FundingReceipt.amount,
            FundingReceipt.received_on,
            FundingReceipt.archived_at,
        )
    ).all()
    find = naive_rate_finder(
        session.execute(
            sa.select(
                ExchangeRate.base_code,
                ExchangeRate.quote_code,
                ExchangeRate.rate_date,
                ExchangeRate.rate,
            )
        )
    )
    minor = {
        code: units
        for code, units in session.execute(sa.select(Currency.code, Currency.minor_units))
    }
    amounts = []
    for code, amount, received_on, archived_at in receipts:
        if archived_at is not None or not start <= received_on <= end:
            continue
        on = received_on if constant_on is None else constant_on
        amounts.append((code, amount, find(code, on), find(currency, on)))
    return money_total(currency, constant_on, amounts, minor)
