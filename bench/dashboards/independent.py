"""Independent hand-written SQL for the dashboards' figures, and a whole-result comparison.

Each figure's rule is written here again as plain PostgreSQL from its description (docstrings of
``coordapp.reporting``, ``coordapp.funding.conversion``, ``coordapp.partners.agreements``),
not from the service's SQLAlchemy. ``compare(session, params)`` runs both and returns every
difference (row by row; money to the cent), ``[]`` when they agree. PostgreSQL only: the
statements use ``LATERAL``, ``string_agg`` and ``DISTINCT ON``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench import queries
from coordapp.reporting import activity as activity_report
from coordapp.reporting import coverage as coverage_report
from coordapp.reporting import funding as funding_report
from coordapp.reporting import growth as growth_report
from coordapp.reporting import partnerships as partnership_report
from coordapp.reporting import pillars as pillar_report
from coordapp.reporting import training as training_report
from coordapp.reporting.common import FIRST_YEAR

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Params:
    """The filters each dashboard's first view uses on ``today`` (the pages' defaults)."""

    today: date
    busiest_country: str = ""
    currency: str = "EUR"  # the funding page's (the overview's KPIs are in EUR too)

    @property
    def funding(self) -> dict[str, Any]:
        return {
            "first_year": self.today.year - 9,
            "last_year": self.today.year,
            "currency": self.currency,
        }

    @property
    def training(self) -> dict[str, Any]:
        return {"first_year": self.today.year - 9, "last_year": self.today.year}

    @property
    def activity(self) -> dict[str, Any]:
        return {"first_year": self.today.year - 7, "last_year": self.today.year}


# --- map -----------------------------------------------------------------------------------

# Member hotlines covering each place on :on: the hotline's latest membership event on or before
# :on (same day: the later lifecycle step, then the later row) is provisional or full, it is not
# archived, and its dated spell of the country covers :on.
MAP_HOTLINES_SQL = """
SELECT hc.country_code, string_agg(h.name, '|' ORDER BY h.name) AS names
FROM hotline_countries hc
JOIN hotlines h ON h.id = hc.hotline_id AND h.archived_at IS NULL
JOIN LATERAL (
    SELECT e.status FROM hotline_membership_events e
    WHERE e.hotline_id = h.id AND e.event_date <= :on
    ORDER BY e.event_date DESC,
             array_position(ARRAY['applicant','provisional','full','suspended','withdrawn'],
                            e.status::text) DESC,
             e.id DESC
    LIMIT 1
) latest ON latest.status IN ('provisional', 'full')
WHERE (hc.covered_from IS NULL OR hc.covered_from <= :on)
  AND (hc.covered_until IS NULL OR hc.covered_until > :on)
GROUP BY hc.country_code
"""


def map_independent(session: Session, p: Params) -> dict[str, Any]:
    names = {
        code: tuple(joined.split("|"))
        for code, joined in session.execute(sa.text(MAP_HOTLINES_SQL), {"on": p.today})
    }
    return {
        "countries": sorted(
            (
                c.country_code,
                c.status.value,
                names.get(c.country_code, ()),
                c.member_since,
                c.pipeline_stage.value if c.pipeline_stage else None,
                c.is_sovereign,
            )
            for c in queries.raw_coverage_as_of(session, on=p.today)
        ),
        "summary": _summary(queries.raw_coverage_summary(session, on=p.today)),
    }


def _summary(s: Any) -> tuple[Any, ...]:
    return (
        s.member_hotlines,
        s.full_hotlines,
        s.provisional_hotlines,
        s.countries_covered,
        s.territories_covered,
    )


def map_service(session: Session, p: Params) -> dict[str, Any]:
    m = coverage_report.coverage_map(session, on=p.today, region=None)
    return {
        "countries": sorted(
            (
                c.code,
                c.status.value,
                c.hotlines,
                c.member_since,
                c.pipeline_stage.value if c.pipeline_stage else None,
                c.is_sovereign,
            )
            for c in m.countries
        ),
        "summary": _summary(m.summary),
    }


# --- map: country panel --------------------------------------------------------------------

# One country on :on: the unarchived hotlines whose spell covers it that day, with their status
# (latest event, as on the map) and their history up to :on (date, then row order); its partners
# (unarchived organizations based there, hotline operators excepted); the trainings hotlines
# based there attended up to :on (distinct events, participants, the 8 latest by date then
# title); its expansion target's stage history up to :on.
PANEL_SQL = """
WITH here AS (
    SELECT h.id, h.name, h.country_code FROM hotline_countries hc
    JOIN hotlines h ON h.id = hc.hotline_id AND h.archived_at IS NULL
    WHERE hc.country_code = :code
      AND (hc.covered_from IS NULL OR hc.covered_from <= :on)
      AND (hc.covered_until IS NULL OR hc.covered_until > :on)
),
attended AS (
    SELECT e.id, e.title, e.start_date, h.name AS hotline, tp.participants
    FROM training_events e JOIN training_participations tp ON tp.event_id = e.id
    JOIN hotlines h ON h.id = tp.hotline_id
    WHERE h.country_code = :code AND e.archived_at IS NULL AND e.start_date <= :on
)
SELECT 'step' AS part, here.name AS a, here.country_code AS b, e.status::text AS c,
       e.note AS d, e.event_date AS day, e.id AS n
FROM here JOIN hotline_membership_events e ON e.hotline_id = here.id AND e.event_date <= :on
UNION ALL
SELECT 'status', here.name, NULL, latest.status::text, NULL, NULL, NULL
FROM here JOIN LATERAL (
    SELECT e.status FROM hotline_membership_events e
    WHERE e.hotline_id = here.id AND e.event_date <= :on
    ORDER BY e.event_date DESC,
             array_position(ARRAY['applicant','provisional','full','suspended','withdrawn'],
                            e.status::text) DESC,
             e.id DESC
    LIMIT 1
) latest ON TRUE
UNION ALL
SELECT 'partner', o.name, o.kind::text, o.status::text, NULL, NULL, NULL
FROM organizations o
WHERE o.hq_country_code = :code AND o.archived_at IS NULL AND o.kind <> 'hotline_operator'
UNION ALL
SELECT 'trained', NULL, NULL, NULL, NULL, NULL, count(DISTINCT id) FROM attended
UNION ALL
SELECT 'people', NULL, NULL, NULL, NULL, NULL, sum(participants) FROM attended
UNION ALL
(SELECT 'training', title, hotline, NULL, NULL, start_date, participants FROM attended
 ORDER BY start_date DESC, title LIMIT 8)
UNION ALL
SELECT 'stage', NULL, NULL, s.stage::text, NULL, s.entered_on, s.id
FROM expansion_targets t JOIN expansion_stage_events s ON s.target_id = t.id
WHERE t.country_code = :code AND t.archived_at IS NULL AND s.entered_on <= :on
"""


def panel_independent(session: Session, p: Params) -> dict[str, Any]:
    parts: dict[str, list[Any]] = defaultdict(list)
    for r in session.execute(sa.text(PANEL_SQL), {"code": p.busiest_country, "on": p.today}):
        parts[r.part].append(r)
    status = {r.a: r.c for r in parts["status"]}
    steps: dict[str, list[Any]] = defaultdict(list)
    home: dict[str, str] = {}
    for r in sorted(parts["step"], key=lambda r: (r.day, r.n)):
        steps[r.a].append((r.day, r.c, r.d))
        home[r.a] = r.b
    coverage = next(
        c
        for c in queries.raw_coverage_as_of(session, on=p.today)
        if c.country_code == p.busiest_country
    )
    return {
        "coverage": (coverage.status.value, coverage.member_since),
        "hotlines": sorted((name, home[name], status[name], tuple(h)) for name, h in steps.items()),
        "partners": sorted((r.a, r.b, r.c) for r in parts["partner"]),
        "trainings": (parts["trained"][0].n or 0, parts["people"][0].n or 0),
        "latest": sorted((r.a, r.day, r.b, r.n) for r in parts["training"]),
        "stages": [(r.day, r.c) for r in sorted(parts["stage"], key=lambda r: (r.day, r.n))],
    }


def panel_service(session: Session, p: Params) -> dict[str, Any]:
    c = coverage_report.country_panel(session, code=p.busiest_country, on=p.today)
    assert c is not None  # noqa: S101  (the busiest country exists)
    return {
        "coverage": (c.status.value, c.member_since),
        "hotlines": sorted(
            (
                h.name,
                h.home_country,
                h.status.value if h.status else None,
                tuple((s.on, s.status.value, s.note) for s in h.history),
            )
            for h in c.hotlines
        ),
        "partners": sorted((name, str(kind), str(status)) for name, kind, status in c.partners),
        "trainings": (c.trainings_attended, c.participants_trained),
        "latest": sorted((t.title, t.start_date, t.hotline, t.participants) for t in c.trainings),
        "stages": [(day, stage.value) for day, stage in c.expansion.history] if c.expansion else [],
    }


# --- overview: growth ----------------------------------------------------------------------


# The network each 31 December since 1999 (this year: today): per day, each unarchived
# hotline's latest membership event on or before it (same day: the later lifecycle step, then
# the later row); members are provisional or full; a place is covered when a member's dated
# spell covers the day; countries are sovereign places, territories the others.
GROWTH_SQL = """
WITH days AS (
    SELECT y AS year, LEAST(make_date(y, 12, 31), CAST(:today AS date)) AS day
    FROM generate_series(:first, EXTRACT(YEAR FROM CAST(:today AS date))::int) AS y
),
-- Each event is a hotline's status from its date until the next event's (in date, lifecycle
-- step, row order): the status on a day is the event whose spell contains it.
spells AS (
    SELECT e.hotline_id, e.status, e.event_date,
           lead(e.event_date) OVER (
               PARTITION BY e.hotline_id
               ORDER BY e.event_date,
                        array_position(
                            ARRAY['applicant','provisional','full','suspended','withdrawn'],
                            e.status::text),
                        e.id
           ) AS next_date
    FROM hotline_membership_events e
    JOIN hotlines h ON h.id = e.hotline_id AND h.archived_at IS NULL
),
members AS (
    SELECT d.year, d.day, s.hotline_id AS id, s.status
    FROM days d JOIN spells s
      ON s.event_date <= d.day AND (s.next_date IS NULL OR s.next_date > d.day)
    WHERE s.status IN ('provisional', 'full')
),
member_counts AS (
    SELECT year, count(*) AS members, count(*) FILTER (WHERE status = 'full') AS full,
           count(*) FILTER (WHERE status = 'provisional') AS provisional
    FROM members GROUP BY year
),
places AS (
    SELECT DISTINCT m.year, hc.country_code
    FROM members m JOIN hotline_countries hc ON hc.hotline_id = m.id
    WHERE (hc.covered_from IS NULL OR hc.covered_from <= m.day)
      AND (hc.covered_until IS NULL OR hc.covered_until > m.day)
),
place_counts AS (
    SELECT p.year, count(*) FILTER (WHERE c.is_sovereign) AS countries,
           count(*) FILTER (WHERE NOT c.is_sovereign) AS territories
    FROM places p JOIN countries c ON c.alpha2 = p.country_code GROUP BY p.year
)
SELECT d.year, d.day, coalesce(m.members, 0), coalesce(m.full, 0), coalesce(m.provisional, 0),
       coalesce(p.countries, 0), coalesce(p.territories, 0)
FROM days d LEFT JOIN member_counts m ON m.year = d.year LEFT JOIN place_counts p ON p.year = d.year
ORDER BY d.year
"""


# Partnerships in force on a day (unarchived, started, active without end or active / ended /
# lapsed with an end on or after the day); trainings held (unarchived, started) between 1 January
# and the day, with their participants.
KPI_SQL = """
WITH periods(label, first_day, last_day) AS (
    VALUES ('now', CAST(:start_now AS date), CAST(:now AS date)),
           ('then', CAST(:start_then AS date), CAST(:then AS date))
)
SELECT d.label,
       (SELECT count(*) FROM partnerships p
        WHERE p.archived_at IS NULL AND (p.start_date IS NULL OR p.start_date <= d.last_day)
          AND ((p.status = 'active' AND p.end_date IS NULL)
               OR (p.status IN ('active', 'ended', 'lapsed') AND p.end_date >= d.last_day)))
           AS in_force,
       (SELECT count(*) FROM training_events e
        WHERE e.archived_at IS NULL AND e.start_date BETWEEN d.first_day AND d.last_day)
           AS trainings,
       (SELECT coalesce(sum(tp.participants), 0)
        FROM training_events e JOIN training_participations tp ON tp.event_id = e.id
        WHERE e.archived_at IS NULL AND e.start_date BETWEEN d.first_day AND d.last_day)
           AS participants
FROM periods d
"""


def _year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=28 if (day.month, day.day) == (2, 29) else day.day)


def overview_independent(session: Session, p: Params) -> dict[str, Any]:
    """The KPI tiles (today against the same day a year earlier, in EUR) and the growth chart."""
    now, then = p.today, _year_before(p.today)
    counts = {
        r.label: r
        for r in session.execute(
            sa.text(KPI_SQL),
            {
                "now": now,
                "then": then,
                "start_now": date(now.year, 1, 1),
                "start_then": date(then.year, 1, 1),
            },
        )
    }
    kpis: dict[str, list[Any]] = defaultdict(list)
    for day, label in ((now, "now"), (then, "then")):
        s = queries.raw_coverage_summary(session, on=day)
        money, _ = funding_totals(
            session,
            funding_sql("pledged_year", "received_year"),
            start=date(day.year, 1, 1),
            end=day,
            currency="EUR",
        )
        for key, value in (
            ("member_hotlines", s.member_hotlines),
            ("countries_covered", s.countries_covered),
            ("territories_covered", s.territories_covered),
            ("partnerships_in_force", counts[label].in_force),
            ("pledged", money["pledged_year"].get((str(day.year),), Decimal("0.00"))),
            ("received", money["received_year"].get((str(day.year),), Decimal("0.00"))),
            ("trainings", counts[label].trainings),
            ("participants", counts[label].participants),
        ):
            kpis[key].append(value)
    rows = session.execute(sa.text(GROWTH_SQL), {"today": p.today, "first": FIRST_YEAR})
    return {
        "kpis": sorted((k, *v) for k, v in kpis.items()),
        "growth": [tuple(r) for r in rows],
    }


def overview_service(session: Session, p: Params) -> dict[str, Any]:
    o = growth_report.overview(session, today=p.today, currency="EUR")
    return {
        "kpis": sorted((k.key, k.value, k.previous) for k in o.kpis),
        "growth": [
            (
                g.year,
                g.on,
                g.member_hotlines,
                g.full_hotlines,
                g.provisional_hotlines,
                g.countries_covered,
                g.territories_covered,
            )
            for g in o.growth
        ],
    }


# --- partnerships --------------------------------------------------------------------------

# A partnership's state on :on: running (started, and active without end or active / ended /
# lapsed with an end on or after :on) is "active"; otherwise an active one is "expired" when its
# end is past, else "not_started"; any other keeps its status. Archived ones do not count.
PARTNERSHIPS_SQL = """
WITH live AS (
    SELECT p.*,
           CASE
               WHEN (p.start_date IS NULL OR p.start_date <= :on)
                AND ((p.status = 'active' AND p.end_date IS NULL)
                     OR (p.status IN ('active', 'ended', 'lapsed') AND p.end_date >= :on))
                   THEN 'active'
               WHEN p.status = 'active' AND p.end_date < :on THEN 'expired'
               WHEN p.status = 'active' THEN 'not_started'
               ELSE p.status::text
           END AS state
    FROM partnerships p
    WHERE p.archived_at IS NULL
)
SELECT 'status' AS fig, state AS k, NULL::int AS y, count(*) AS n FROM live GROUP BY state
UNION ALL
SELECT 'type', type::text, NULL, count(*) FROM live GROUP BY type
UNION ALL
SELECT 'kind', o.kind::text, NULL, count(*)
FROM live JOIN organizations o ON o.id = live.organization_id GROUP BY o.kind
UNION ALL
SELECT 'pillar', pl.name, NULL, count(DISTINCT live.id)
FROM live JOIN partnership_pillars t ON t.partnership_id = live.id
JOIN pillars pl ON pl.id = t.pillar_id GROUP BY pl.name
UNION ALL
SELECT 'new', type::text, EXTRACT(YEAR FROM start_date)::int, count(*)
FROM live WHERE start_date <= :on GROUP BY 3, type
UNION ALL
SELECT 'renewal', title, NULL, 1
FROM live
WHERE state = 'active' AND status = 'active' AND end_date IS NOT NULL
  AND end_date - renewal_notice_days <= CAST(:on AS date) + 90
"""


def partnerships_independent(session: Session, p: Params) -> dict[str, Any]:
    out: dict[str, Any] = defaultdict(set)
    for fig, key, year, n in session.execute(sa.text(PARTNERSHIPS_SQL), {"on": p.today}):
        out[fig].add((key, n) if year is None else (year, key, n))
    out["in_force"] = sum(n for k, n in out["status"] if k == "active")
    out["expired"] = sum(n for k, n in out["status"] if k == "expired")
    out["renewal"] = sorted(k for k, _ in out["renewal"])
    return dict(out)


def partnerships_service(session: Session, p: Params) -> dict[str, Any]:
    f = partnership_report.partnership_figures(session, on=p.today, status=None)
    return {
        "status": set(f.by_status),
        "type": set(f.by_type),
        "kind": set(f.by_kind),
        "pillar": set(f.by_pillar),
        "new": set(f.new_per_year),
        "in_force": f.in_force,
        "expired": f.expired,
        "renewal": sorted(r.title for r in f.renewals),
    }


# --- funding -------------------------------------------------------------------------------

# Every amount the funding page adds up, once per figure it appears in: pledges (commitments not
# cancelled nor archived, at their pledge date) and receipts (not archived, at their receipt
# date), by year, by pillar (a pledge's allocations; a receipt split pro rata to its commitment's
# allocations), by funder and by funder kind. Per (currency, day) the rate between the currency
# and EUR in force that day (latest rate date on or before it, stored either way; on one date the
# one stored towards EUR first), and the same for the target currency; each amount times its
# factor (a rate stored towards EUR multiplies on the way to EUR, one stored away divides), then
# summed per group (rounded half-even to the cent in Python). Amounts missing a needed rate are
# left out; the rates applied and the currencies left out come back as extra rows.
_FUNDING_TEMPLATE = """
WITH pledged AS (
    SELECT c.id, c.amount, c.currency_code, c.pledged_on AS day, o.name AS funder,
           o.kind::text AS kind
    FROM funding_commitments c JOIN organizations o ON o.id = c.funder_id
    WHERE c.archived_at IS NULL AND c.status <> 'cancelled'
      AND c.pledged_on >= :start AND c.pledged_on <= :end
),
received AS (
    SELECT r.commitment_id, r.amount, r.currency_code, r.received_on AS day, o.name AS funder,
           o.kind::text AS kind, c.amount AS committed
    FROM funding_receipts r
    JOIN funding_commitments c ON c.id = r.commitment_id
    JOIN organizations o ON o.id = c.funder_id
    WHERE r.archived_at IS NULL AND r.received_on >= :start AND r.received_on <= :end
),
days AS (
    SELECT currency_code, day FROM pledged UNION SELECT currency_code, day FROM received
),
-- The legs needed: (currency, day) towards EUR unless the currency is the target or EUR, and
-- (target, day) from EUR unless the currency is the target or the target is EUR.
needed AS (
    SELECT currency_code AS code, day FROM days WHERE currency_code NOT IN (:target, 'EUR')
    UNION
    SELECT :target, day FROM days WHERE currency_code <> :target AND :target <> 'EUR'
),
-- One rate per currency and date, stored either way; on one date the one towards EUR wins.
rates AS (
    SELECT DISTINCT ON (code, rate_date) code, rate_date, rate, towards
    FROM (
        SELECT base_code AS code, rate_date, rate, TRUE AS towards
        FROM exchange_rates WHERE quote_code = 'EUR'
        UNION ALL
        SELECT quote_code, rate_date, rate, FALSE FROM exchange_rates WHERE base_code = 'EUR'
    ) both_ways
    ORDER BY code, rate_date, towards DESC
),
-- The rate in force on each needed day: the days and the rate dates in one timeline per
-- currency; each rate opens a run of days (a rate on the day itself comes first).
legs AS (
    SELECT code, day, rate_date, rate, towards FROM (
    SELECT code, at AS day, first_value(rate_date) OVER w AS rate_date,
           first_value(rate) OVER w AS rate, first_value(towards) OVER w AS towards, is_day
    FROM (
        SELECT *, count(rate_date) OVER (PARTITION BY code ORDER BY at, is_day) AS run
        FROM (
            SELECT code, rate_date AS at, 0 AS is_day, rate_date, rate, towards FROM rates
            WHERE code IN (SELECT code FROM needed)
            UNION ALL
            SELECT code, day, 1, NULL, NULL, NULL FROM needed
        ) timeline
    ) runs
    WINDOW w AS (PARTITION BY code, run ORDER BY at, is_day)
    ) filled WHERE is_day = 1
),
rated AS (
    SELECT d.currency_code, d.day,
           d.currency_code NOT IN (:target, 'EUR') AS needs_src,
           d.currency_code <> :target AND :target <> 'EUR' AS needs_dst,
           src.rate_date AS src_date,
           CASE WHEN src.towards THEN src.rate ELSE 1 / src.rate END AS src_factor,
           dst.rate_date AS dst_date,
           CASE WHEN dst.towards THEN 1 / dst.rate ELSE dst.rate END AS dst_factor,
           NOT ((d.currency_code NOT IN (:target, 'EUR') AND src.rate_date IS NULL)
                OR (d.currency_code <> :target AND :target <> 'EUR' AND dst.rate_date IS NULL))
               AS ok
    FROM days d
    LEFT JOIN legs src ON src.code = d.currency_code AND src.day = d.day
    LEFT JOIN legs dst ON dst.code = :target AND dst.day = d.day
),
usable AS (
    SELECT rated.*,
           CASE WHEN ok THEN CASE WHEN needs_src THEN src_factor ELSE 1 END
                           * CASE WHEN needs_dst THEN dst_factor ELSE 1 END
           END AS factor
    FROM rated
),
-- Each pledge and receipt in the target currency at its own date (NULL: a rate is missing).
pledges AS (
    SELECT p.*, p.amount * u.factor AS value, u.factor
    FROM pledged p JOIN usable u ON u.currency_code = p.currency_code AND u.day = p.day
),
receipts AS (
    SELECT r.*, r.amount * u.factor AS value
    FROM received r JOIN usable u ON u.currency_code = r.currency_code AND u.day = r.day
),
amounts(fig, k1, k2, value) AS (
{amounts}
)
SELECT fig, k1, k2, coalesce(sum(value), 0) AS total FROM amounts GROUP BY fig, k1, k2
UNION ALL
SELECT DISTINCT 'used', currency_code, src_date::text, NULL::numeric
FROM usable WHERE ok AND needs_src
UNION ALL
SELECT DISTINCT 'used', :target, dst_date::text, NULL::numeric
FROM usable WHERE ok AND needs_dst
UNION ALL
SELECT DISTINCT 'left_out', currency_code, '', NULL::numeric FROM usable WHERE NOT ok
"""


# The amount branches of the statement above, one per figure.
_FUNDING_BRANCHES = {
    "pledged_year": "SELECT 'pledged_year', EXTRACT(YEAR FROM day)::text, '', value FROM pledges",
    "received_year": "SELECT 'received_year', EXTRACT(YEAR FROM day)::text, '', value"
    " FROM receipts",
    "pledged_pillar": """SELECT 'pledged_pillar', EXTRACT(YEAR FROM p.day)::text, pl.name,
           a.amount * p.factor
    FROM pledges p JOIN funding_allocations a ON a.commitment_id = p.id
    JOIN pillars pl ON pl.id = a.pillar_id""",
    "received_pillar": """SELECT 'received_pillar', EXTRACT(YEAR FROM r.day)::text, pl.name,
           r.value * a.amount / NULLIF(r.committed, 0)
    FROM receipts r JOIN funding_allocations a ON a.commitment_id = r.commitment_id
    JOIN pillars pl ON pl.id = a.pillar_id""",
    "pledged_funder": "SELECT 'pledged_funder', funder, kind, value FROM pledges",
    "received_funder": "SELECT 'received_funder', funder, kind, value FROM receipts",
    "pledged_kind": "SELECT 'pledged_kind', kind, '', value FROM pledges",
    "received_kind": "SELECT 'received_kind', kind, '', value FROM receipts",
}


def funding_sql(*figures: str) -> str:
    """The funding statement adding up only ``figures`` (all of them by default)."""
    chosen = figures or tuple(_FUNDING_BRANCHES)
    return _FUNDING_TEMPLATE.replace(
        "{amounts}", "\n    UNION ALL\n".join(f"    {_FUNDING_BRANCHES[f]}" for f in chosen)
    )


FUNDING_SQL = funding_sql()


def funding_totals(
    session: Session, sql: str, *, start: date, end: date, currency: str
) -> tuple[dict[str, dict[tuple[str, ...], Decimal]], dict[str, set[Any]]]:
    """(figure -> key -> total to the cent, {"used": rates applied, "left_out": currencies})."""
    totals: dict[str, dict[tuple[str, ...], Decimal]] = defaultdict(dict)
    extra: dict[str, set[Any]] = defaultdict(set)
    for fig, k1, k2, total in session.execute(
        sa.text(sql), {"start": start, "end": end, "target": currency}
    ):
        if total is None:
            extra[fig].add((k1, date.fromisoformat(k2)) if fig == "used" else k1)
        else:
            key = (k1, k2) if fig.endswith(("pillar", "funder")) else (k1,)
            totals[fig][key] = Decimal(total).quantize(CENT, ROUND_HALF_EVEN)
    return totals, extra


def funding_independent(session: Session, p: Params) -> dict[str, Any]:
    f = p.funding
    start, end = date(f["first_year"], 1, 1), min(date(f["last_year"], 12, 31), p.today)
    totals, extra = funding_totals(
        session, FUNDING_SQL, start=start, end=end, currency=f["currency"]
    )
    zero = Decimal(0).quantize(CENT)

    def both(key: str, k: tuple[str, ...]) -> tuple[Decimal, Decimal]:
        return totals[f"pledged_{key}"].get(k, zero), totals[f"received_{key}"].get(k, zero)

    def keys(key: str) -> set[tuple[str, ...]]:
        return set(totals[f"pledged_{key}"]) | set(totals[f"received_{key}"])

    return {
        "by_year": [
            (y, *both("year", (str(y),))) for y in range(f["first_year"], f["last_year"] + 1)
        ],
        "by_pillar": sorted((int(y), pl, *both("pillar", (y, pl))) for y, pl in keys("pillar")),
        "by_funder": sorted((fu, kind, *both("funder", (fu, kind))) for fu, kind in keys("funder")),
        "by_kind": sorted((k, *both("kind", (k,))) for (k,) in keys("kind")),
        "rates_used": sorted(extra["used"]),
        "left_out": sorted(extra["left_out"]),
    }


def funding_service(session: Session, p: Params) -> dict[str, Any]:
    f = funding_report.funding_figures(session, **p.funding, until=p.today)
    return {
        "by_year": [(y.year, y.pledged, y.received) for y in f.by_year],
        "by_pillar": sorted((r.year, r.pillar, r.pledged, r.received) for r in f.by_pillar),
        "by_funder": sorted(f.by_funder),
        "by_kind": sorted((k.key, k.pledged, k.received) for k in f.by_kind),
        "rates_used": sorted(f.rates.used),
        "left_out": sorted(code for code, _ in f.rates.left_out),
    }


# --- training ------------------------------------------------------------------------------

# Trainings held: not archived, started in the years chosen and on or before today. Per year and
# kind / pillar: events (distinct) and participants (0 for an event nobody attended); reach by the
# participating hotline's country and by hotline (top 25 by people, then name); feedback per
# year: responses and the participant-weighted mean score, to 0.01.
TRAINING_SQL = """
WITH held AS (
    SELECT e.id, e.kind::text AS kind, pl.name AS pillar,
           EXTRACT(YEAR FROM e.start_date)::int AS year
    FROM training_events e JOIN pillars pl ON pl.id = e.pillar_id
    WHERE e.archived_at IS NULL AND e.start_date >= :start AND e.start_date <= :end
),
attended AS (
    SELECT held.*, p.hotline_id, p.participants, p.feedback_score
    FROM held LEFT JOIN training_participations p ON p.event_id = held.id
)
SELECT 'kind' AS fig, year, kind AS k, NULL AS label, count(DISTINCT id) AS events,
       coalesce(sum(participants), 0) AS people, NULL::numeric AS w, NULL::numeric AS d
FROM attended GROUP BY year, kind
UNION ALL
SELECT 'pillar', year, pillar, NULL, count(DISTINCT id), coalesce(sum(participants), 0),
       NULL, NULL
FROM attended GROUP BY year, pillar
UNION ALL
SELECT 'country', NULL, c.alpha3, c.name, count(DISTINCT a.id), sum(a.participants), NULL, NULL
FROM attended a JOIN hotlines h ON h.id = a.hotline_id JOIN countries c ON c.alpha2 = h.country_code
GROUP BY c.alpha3, c.name
UNION ALL
(SELECT 'hotline', NULL, h.id::text, h.name, count(*), sum(a.participants), NULL, NULL
 FROM attended a JOIN hotlines h ON h.id = a.hotline_id
 JOIN countries c ON c.alpha2 = h.country_code
 GROUP BY h.id, h.name ORDER BY sum(a.participants) DESC, h.name LIMIT 25)
UNION ALL
SELECT 'feedback', year, NULL, NULL, count(feedback_score), NULL,
       sum(feedback_score * participants),
       sum(CASE WHEN feedback_score IS NOT NULL THEN participants ELSE 0 END)
FROM attended WHERE hotline_id IS NOT NULL GROUP BY year
"""


def training_independent(session: Session, p: Params) -> dict[str, Any]:
    t = p.training
    start, end = date(t["first_year"], 1, 1), min(date(t["last_year"], 12, 31), p.today)
    out: dict[str, list[Any]] = defaultdict(list)
    for r in session.execute(sa.text(TRAINING_SQL), {"start": start, "end": end}):
        if r.fig in ("kind", "pillar"):
            out[r.fig].append((r.year, r.k, r.events, r.people))
        elif r.fig == "feedback":
            mean = (Decimal(r.w) / Decimal(r.d)).quantize(CENT) if r.d else None
            out[r.fig].append((r.year, r.events, mean))
        else:
            out[r.fig].append((r.k, r.label, r.events, r.people))
    return {
        "kind": sorted(out["kind"]),
        "pillar": sorted(out["pillar"]),
        "country": sorted(out["country"], key=lambda r: (-r[3], r[1])),
        "hotline": sorted(out["hotline"], key=lambda r: (-r[3], r[1])),
        "feedback": sorted(out["feedback"]),
    }


def training_service(session: Session, p: Params) -> dict[str, Any]:
    f = training_report.training_figures(session, **p.training, until=p.today)

    def counts(rows: Any) -> list[Any]:
        return sorted((r.year, r.key, r.events, r.participants) for r in rows)

    def reach(rows: Any) -> list[Any]:
        return [(r.key, r.label, r.events, r.participants) for r in rows]

    return {
        "kind": counts(f.by_kind),
        "pillar": counts(f.by_pillar),
        "country": reach(f.by_country),
        "hotline": reach(f.by_hotline),
        "feedback": [(x.year, x.responses, x.average) for x in f.feedback],
    }


# --- pillar progress -----------------------------------------------------------------------

STOCKS = (
    "member_hotlines",
    "countries_covered",
    "active_partnerships",
    "partner_organizations",
    "technology_partnerships",
)

# Each unarchived target of :year with its indicator's value over a period (the year up to its
# measuring day; for a stock also the year before, its start value): trainings held (unarchived,
# the pillar's, started in the period), their participants and distinct hotlines (participations
# with a hotline), expansion targets advanced (unarchived, a stage past "identified" entered in
# the period), partnerships in force on the period's last day (all, technology and data-sharing
# ones, or their distinct organizations). Member hotlines, countries covered and funding received
# come from the coverage and funding statements.
PILLARS_SQL = """
WITH t AS (
    SELECT pt.pillar_id, pl.code, pl.name, pl.sort_order, pt.indicator::text AS indicator,
           pt.description, pt.target_value
    FROM pillar_targets pt JOIN pillars pl ON pl.id = pt.pillar_id
    WHERE pt.year = :year AND pt.archived_at IS NULL
),
periods(which, first_day, last_day) AS (
    VALUES ('actual', CAST(:first AS date), CAST(:last AS date)),
           ('start', CAST(:first_before AS date), CAST(:last_before AS date))
),
held AS (
    SELECT e.id, e.pillar_id, e.start_date FROM training_events e WHERE e.archived_at IS NULL
),
in_force AS (
    SELECT p.id, p.organization_id, p.type::text AS type, d.which
    FROM partnerships p CROSS JOIN periods d
    WHERE p.archived_at IS NULL AND (p.start_date IS NULL OR p.start_date <= d.last_day)
      AND ((p.status = 'active' AND p.end_date IS NULL)
           OR (p.status IN ('active', 'ended', 'lapsed') AND p.end_date >= d.last_day))
)
SELECT t.*, d.which, d.last_day,
       CASE t.indicator
           WHEN 'trainings_held' THEN
               (SELECT count(*) FROM held WHERE held.pillar_id = t.pillar_id
                  AND held.start_date BETWEEN d.first_day AND d.last_day)
           WHEN 'training_participants' THEN
               (SELECT coalesce(sum(tp.participants), 0) FROM held
                JOIN training_participations tp ON tp.event_id = held.id
                WHERE held.pillar_id = t.pillar_id AND tp.hotline_id IS NOT NULL
                  AND held.start_date BETWEEN d.first_day AND d.last_day)
           WHEN 'hotlines_trained' THEN
               (SELECT count(DISTINCT tp.hotline_id) FROM held
                JOIN training_participations tp ON tp.event_id = held.id
                WHERE held.pillar_id = t.pillar_id
                  AND held.start_date BETWEEN d.first_day AND d.last_day)
           WHEN 'expansion_targets_advanced' THEN
               (SELECT count(DISTINCT s.target_id) FROM expansion_stage_events s
                JOIN expansion_targets x ON x.id = s.target_id AND x.archived_at IS NULL
                WHERE s.stage <> 'identified' AND s.entered_on BETWEEN d.first_day AND d.last_day)
           WHEN 'active_partnerships' THEN
               (SELECT count(*) FROM in_force f WHERE f.which = d.which)
           WHEN 'technology_partnerships' THEN
               (SELECT count(*) FROM in_force f
                WHERE f.which = d.which AND f.type IN ('technology', 'data_sharing'))
           WHEN 'partner_organizations' THEN
               (SELECT count(DISTINCT f.organization_id) FROM in_force f WHERE f.which = d.which)
       END AS value
FROM t CROSS JOIN periods d
WHERE d.which = 'actual' OR (t.indicator IN :stocks AND :year <= :this_year)
"""


def pillar_year(session: Session, today: date) -> int:
    """The pillars page's default year: this year if it has targets, else the latest that has."""
    years = session.execute(
        sa.text("SELECT DISTINCT year FROM pillar_targets WHERE archived_at IS NULL")
    ).scalars()
    known = set(years)
    return today.year if (today.year in known or not known) else max(known)


def pillars_independent(session: Session, p: Params) -> dict[str, Any]:
    year = pillar_year(session, p.today)
    last = min(date(year, 12, 31), p.today)
    days = 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365
    share = (
        Decimal(1)
        if year < p.today.year
        else Decimal(0)
        if year > p.today.year
        else (Decimal(p.today.timetuple().tm_yday) / days).quantize(Decimal("0.0001"))
    )
    rows = session.execute(
        sa.text(PILLARS_SQL).bindparams(sa.bindparam("stocks", expanding=True)),
        {
            "year": year,
            "this_year": p.today.year,
            "first": date(year, 1, 1),
            "last": last,
            "first_before": date(year - 1, 1, 1),
            "last_before": min(date(year - 1, 12, 31), p.today),
            "stocks": list(STOCKS),
        },
    ).all()
    received: dict[date, dict[tuple[str, ...], Decimal]] = {}
    values: dict[tuple[str, str, str], Decimal] = {}
    for r in rows:
        value: Any = r.value
        if r.last_day < date(year - (r.which == "start"), 1, 1):
            value = 0  # a period not begun
        elif r.indicator in ("member_hotlines", "countries_covered"):
            summary = queries.raw_coverage_summary(session, on=r.last_day)
            value = getattr(summary, r.indicator)
        elif r.indicator == "funding_received_eur":
            if r.last_day not in received:
                received[r.last_day] = funding_totals(
                    session,
                    funding_sql("received_pillar"),
                    start=date(r.last_day.year, 1, 1),
                    end=r.last_day,
                    currency="EUR",
                )[0]["received_pillar"]
            value = received[r.last_day].get((str(r.last_day.year), r.name), Decimal("0.00"))
        values[(r.code, r.indicator, r.which)] = Decimal(value)
    out = []
    for r in rows:
        if r.which != "actual":
            continue
        target = Decimal(r.target_value).quantize(CENT)
        start = values.get((r.code, r.indicator, "start"))
        base = start if start is not None else Decimal(0)
        expected = base + (target - base) * share if start is not None else target * share
        out.append(
            (
                r.code,
                r.indicator,
                r.description,
                target,
                values[(r.code, r.indicator, "actual")],
                expected.quantize(CENT),
                start,
            )
        )
    return {"year": year, "rows": sorted(out)}


def pillars_service(session: Session, p: Params) -> dict[str, Any]:
    year = pillar_year(session, p.today)
    f = pillar_report.pillar_progress(session, year=year, today=p.today)
    return {
        "year": year,
        "rows": sorted(
            (
                r.pillar_code,
                r.indicator.value,
                r.description,
                r.target,
                r.actual,
                r.expected,
                r.start,
            )
            for r in f.rows
        ),
    }


# --- hotline activity ----------------------------------------------------------------------

# The first metric (display order; its latest version's unit decides sum or mean) per quarter,
# the figures of approved quarters only,
# and definition version, over the years chosen; per region (no region: "(no region)") the top
# 25 totals; and per quarter the 8 largest regions.
ACTIVITY_SQL = """
WITH metric AS (
    SELECT code FROM metric_definitions
    WHERE (code, version) IN (SELECT code, max(version) FROM metric_definitions GROUP BY code)
    ORDER BY sort_order, code LIMIT 1
),
rows AS (
    SELECT s.period_start, s.hotline_id, s.value, m.version,
           coalesce(c.region, '(no region)') AS grp, m.unit
    FROM hotline_statistics s
    JOIN metric_definitions m ON m.id = s.metric_id
    JOIN metric ON metric.code = m.code
    JOIN hotlines h ON h.id = s.hotline_id JOIN countries c ON c.alpha2 = h.country_code
    WHERE s.period_start >= :start AND s.period_start <= :end
      -- approved quarters only: the hotline's row of the value's calendar quarter
      AND EXISTS (SELECT 1 FROM hotline_quarters q
                  WHERE q.hotline_id = s.hotline_id AND q.state = 'approved'
                    AND q.period_start = date_trunc('quarter', s.period_start)::date)
),
last_unit AS (SELECT unit FROM rows ORDER BY version DESC LIMIT 1),
agg AS (
    SELECT period_start, grp, version, count(*) AS n,
           CASE WHEN max(unit::text) IN ('count', 'urls') THEN sum(value) ELSE avg(value) END AS v
    FROM rows GROUP BY period_start, grp, version
),
totals AS (
    SELECT grp, max(version) AS version, count(DISTINCT hotline_id) AS n,
           CASE WHEN max(unit::text) IN ('count', 'urls') THEN sum(value) ELSE avg(value) END AS v
    FROM rows WHERE unit = (SELECT unit FROM last_unit)
    GROUP BY grp ORDER BY v DESC, grp LIMIT 25
)
SELECT 'period' AS fig, period_start, 'All selected' AS grp, version, count(*) AS n,
       CASE WHEN max(unit::text) IN ('count', 'urls') THEN sum(value) ELSE avg(value) END AS v
FROM rows GROUP BY period_start, version
UNION ALL
SELECT 'group', CAST(:start AS date), grp, version, n, v FROM totals
UNION ALL
SELECT 'period_group', a.period_start, a.grp, a.version, a.n, a.v FROM agg a
WHERE a.grp IN (SELECT grp FROM totals ORDER BY v DESC, grp LIMIT 8)
"""


def activity_independent(session: Session, p: Params) -> dict[str, Any]:
    a = p.activity
    out: dict[str, list[Any]] = defaultdict(list)
    params = {"start": date(a["first_year"], 1, 1), "end": date(a["last_year"], 12, 31)}
    for r in session.execute(sa.text(ACTIVITY_SQL), params):
        v = Decimal(r.v).quantize(CENT, ROUND_HALF_EVEN)
        out[r.fig].append((r.period_start, r.grp, r.version, v, r.n))
    return {k: sorted(out[k]) for k in ("period", "group", "period_group")}


def activity_service(session: Session, p: Params) -> dict[str, Any]:
    metric = activity_report.metrics(session)[0].code
    f = activity_report.hotline_activity(
        session, metric_code=metric, group_by="region", **p.activity
    )

    def points(rows: Any) -> list[Any]:
        return sorted((x.period_start, x.group, x.version, x.value, x.hotlines) for x in rows)

    return {
        "period": points(f.by_period),
        "group": points(f.by_group),
        "period_group": points(f.by_period_group),
    }


# --- the comparison ------------------------------------------------------------------------

Figure = Callable[[Session, Params], dict[str, Any]]
FIGURES: dict[str, tuple[Figure, Figure]] = {
    "map": (map_independent, map_service),
    "map panel": (panel_independent, panel_service),
    "overview": (overview_independent, overview_service),
    "partnerships": (partnerships_independent, partnerships_service),
    "funding": (funding_independent, funding_service),
    "training": (training_independent, training_service),
    "pillars": (pillars_independent, pillars_service),
    "activity": (activity_independent, activity_service),
}


def differences(name: str, independent: dict[str, Any], service: dict[str, Any]) -> list[str]:
    """Every part that differs, with the first few differing rows of each."""
    problems = []
    for part in sorted(set(independent) | set(service)):
        want, got = independent.get(part), service.get(part)
        if want == got:
            continue
        if isinstance(want, list | set) and isinstance(got, list | set):
            only_sql = [r for r in want if r not in got][:3]
            only_service = [r for r in got if r not in want][:3]
            problems.append(
                f"{name}.{part}: {len(want)} rows (SQL) vs {len(got)} (service); only in SQL "
                f"{only_sql}; only in service {only_service}"
            )
        else:
            problems.append(f"{name}.{part}: SQL {want!r} vs service {got!r}")
    return problems


def compare(session: Session, p: Params, names: list[str] | None = None) -> list[str]:
    problems: list[str] = []
    for name in names or list(FIGURES):
        independent, service = FIGURES[name]
        problems += differences(name, independent(session, p), service(session, p))
    return problems
