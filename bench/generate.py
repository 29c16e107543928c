"""Synthetic coordination data at N times the size of the demo network, for the benchmarks.

``generate(session_or_connection, scale=N)`` writes, with SQLAlchemy Core executemany inserts,
into a database that is already migrated and seeded with reference data:

======================  ==========================  =====================================
table                   rows at scale 1             notes
======================  ==========================  =====================================
organizations           40                          funders of the commitments
hotlines                55                          ~3 % archived
hotline_countries       ~70                         home country, sometimes 1-3 more
membership events       ~200 (3-5 per hotline)      1999..2025; same-day steps, some
                                                    entered out of order
expansion_targets       15 (capped at 200)          one per country, ~5 % archived
expansion stage events  ~50 (2-5 per target)        2005..2025
funding_commitments     500                         EUR / USD / GBP, 2015..2025
funding_receipts        ~1,000 (0-4 per commitment) ~2 % archived, ~10 % in another
                                                    currency than the pledge
exchange_rates          264                         monthly EUR->USD, EUR->GBP 2015..2025
======================  ==========================  =====================================

Every count except the exchange rates (reference data, unique per pair and date) is multiplied
by ``scale``; countries are reused (there are 250). Into a freshly seeded database the output
depends on ``seed`` and ``scale`` only; a second run appends (names carry the row ids, so they
stay unique). All names are synthetic; nothing here is, or points to, report content.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.data_version import bump_data_version
from coordapp.funding import totals
from coordapp.funding.models import (
    CommitmentStatus,
    ExchangeRate,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.network import membership
from coordapp.network.models import (
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineMembershipEvent,
    MembershipStatus,
    Priority,
    hotline_countries,
)
from coordapp.partners.models import Organization, OrganizationKind, OrganizationStatus
from coordapp.reference.models import Country

STAMP = datetime(2025, 12, 31, 12, 0, 0)  # created_at / updated_at of every generated row
ARCHIVED = datetime(2025, 6, 30, 9, 0, 0)
BATCH = 5_000  # rows per executemany call

HOTLINES_PER_SCALE = 55
TARGETS_PER_SCALE = 15
MAX_TARGETS = 200
ORGANIZATIONS_PER_SCALE = 40
COMMITMENTS_PER_SCALE = 500
RATE_PAIRS = (("EUR", "USD", Decimal("1.10")), ("EUR", "GBP", Decimal("0.85")))
RATE_YEARS = (2015, 2025)
CURRENCIES = ("EUR", "USD", "GBP")
CURRENCY_WEIGHTS = (60, 25, 15)

A, P, F, S, W = (
    MembershipStatus.APPLICANT,
    MembershipStatus.PROVISIONAL,
    MembershipStatus.FULL,
    MembershipStatus.SUSPENDED,
    MembershipStatus.WITHDRAWN,
)
# Lifecycles of 3 to 5 events: applicant -> provisional -> full, then maybe trouble.
LIFECYCLES: tuple[tuple[MembershipStatus, ...], ...] = (
    (A, P, F),
    (A, P, F),
    (A, P, F),
    (A, P, F, S),
    (A, P, F, W),
    (A, P, F, S, F),
    (A, P, F, S, W),
    (A, P, W),  # provisional member that never made it to full
)


@dataclass(frozen=True, slots=True)
class GenerateResult:
    """Rows written per table."""

    rows: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.rows.values())


def _table(model: Any) -> sa.Table:
    return model.__table__  # type: ignore[no-any-return]


def _insert(target: Session | sa.Connection, table: sa.Table, rows: Sequence[dict]) -> int:
    """executemany in batches (Core: no ORM unit of work, no per-row audit events)."""
    for i in range(0, len(rows), BATCH):
        target.execute(sa.insert(table), list(rows[i : i + BATCH]))
    return len(rows)


def _next_id(target: Session | sa.Connection, table: sa.Table) -> int:
    return int(target.scalar(sa.select(sa.func.max(table.c.id))) or 0) + 1


def _dialect_name(target: Session | sa.Connection) -> str:
    bind = target.get_bind() if isinstance(target, Session) else target
    return bind.dialect.name


def _fix_sequences(target: Session | sa.Connection, tables: Iterable[sa.Table]) -> None:
    """PostgreSQL: move the id sequences past the explicit ids written here."""
    if _dialect_name(target) != "postgresql":
        return
    for table in tables:
        target.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"
            )
        )


def _day(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    """A positive amount with cents (now and then with 4 minor digits, as NUMERIC(18, 4) allows)."""
    cents = rng.randint(low * 100, high * 100)
    value = Decimal(cents).scaleb(-2)
    if rng.random() < 0.05:
        value += Decimal(rng.randint(1, 99)).scaleb(-4)
    return value


def _membership_events(rng: random.Random, founded: int) -> list[tuple[date, MembershipStatus]]:
    lifecycle = rng.choice(LIFECYCLES)
    day = _day(rng, date(max(founded, 1999), 1, 1), date(max(founded, 1999), 12, 31))
    events: list[tuple[date, MembershipStatus]] = []
    last = date(2025, 12, 31)
    for i, status in enumerate(lifecycle):
        if i > 0:
            # ~8 % of steps happen on the same day as the previous one (admitted on application).
            gap = 0 if rng.random() < 0.08 else rng.randint(60, 1400)
            day = min(day + timedelta(days=gap), last)
        if (day, status) in events:
            break  # would break UNIQUE (hotline_id, event_date, status): end the history here
        events.append((day, status))
        if day == last:
            break
    # Same-day steps are sometimes entered in the wrong order (admission before application):
    # the status on that day must follow the lifecycle, not the row order.
    for i in range(1, len(events)):
        if events[i][0] == events[i - 1][0] and rng.random() < 0.5:
            events[i - 1], events[i] = events[i], events[i - 1]
    return events


def rebuild_kept(
    session_or_connection: Session | sa.Connection, rebuild: Callable[[Session], None]
) -> None:
    """Derived rows kept current on write (``rebuild``: the funding totals', the membership
    spans', the activity totals'), computed again: Core inserts bypass the flush that keeps them
    (``coordapp.kept``)."""
    if isinstance(session_or_connection, Session):
        rebuild(session_or_connection)
        return
    with Session(bind=session_or_connection) as session:
        rebuild(session)


def generate(
    session_or_connection: Session | sa.Connection, *, scale: int, seed: int = 1999
) -> GenerateResult:
    """Write ``scale`` times the demo network's volume of synthetic rows; return the counts.

    The caller commits. Works on a ``Session`` or a ``Connection``.
    """
    if scale < 1:
        raise ValueError("scale must be >= 1")
    db = session_or_connection
    rng = random.Random(f"{seed}:{scale}")
    countries = list(db.scalars(sa.select(Country.alpha2).order_by(Country.alpha2)))
    if not countries:
        raise RuntimeError("no countries: seed the reference data first (flask seed)")

    t_org, t_hotline = _table(Organization), _table(Hotline)
    t_event, t_target = _table(HotlineMembershipEvent), _table(ExpansionTarget)
    t_stage, t_commit = _table(ExpansionStageEvent), _table(FundingCommitment)
    t_receipt, t_rate = _table(FundingReceipt), _table(ExchangeRate)
    stamps = {"created_at": STAMP, "updated_at": STAMP}
    versioned = {**stamps, "version": 1, "archived_at": None}
    rows: dict[str, int] = {}

    with audit.bulk_load(db):  # type: ignore[arg-type]
        # Organizations (funders and hotline operators).
        org_id = _next_id(db, t_org)
        kinds = list(OrganizationKind)
        organizations = [
            {
                "id": org_id + i,
                "name": f"Bench organization {org_id + i:07d}",  # ids: unique on a second run too
                "kind": rng.choice(kinds).value,
                "status": OrganizationStatus.ACTIVE.value,
                "hq_country_code": rng.choice(countries),
                "website": f"https://org{i}.example.org/",
                "tags": "bench",
                "notes": None,
                **versioned,
            }
            for i in range(ORGANIZATIONS_PER_SCALE * scale)
        ]
        rows["organizations"] = _insert(db, t_org, organizations)
        org_ids = [o["id"] for o in organizations]

        # Hotlines, the countries they accept reports for, their membership history.
        hotline_id = _next_id(db, t_hotline)
        event_id = _next_id(db, t_event)
        hotlines: list[dict[str, Any]] = []
        covers: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for i in range(HOTLINES_PER_SCALE * scale):
            hid = hotline_id + i
            home = rng.choice(countries)
            founded = rng.randint(1995, 2024)
            hotlines.append(
                {
                    "id": hid,
                    "name": f"Bench hotline {hid:07d} ({home})",
                    "operator_id": rng.choice(org_ids) if rng.random() < 0.7 else None,
                    "country_code": home,
                    "public_url": f"https://hotline{i}.example.org/report",
                    "founded_year": founded,
                    "languages": "en",
                    "reporting_channels": "web email",
                    "staff_count": rng.randint(1, 40),
                    "notes": None,
                    **versioned,
                    "archived_at": ARCHIVED if rng.random() < 0.03 else None,
                }
            )
            codes = {home}
            if rng.random() < 0.2:
                codes.update(rng.sample(countries, rng.randint(1, 3)))
            covers.extend({"hotline_id": hid, "country_code": c} for c in sorted(codes))
            for day, status in _membership_events(rng, founded):
                events.append(
                    {
                        "id": event_id + len(events),
                        "hotline_id": hid,
                        "event_date": day,
                        "status": status.value,
                        "note": None,
                        **stamps,
                    }
                )
        rows["hotlines"] = _insert(db, t_hotline, hotlines)
        rows["hotline_countries"] = _insert(db, hotline_countries, covers)
        rows["hotline_membership_events"] = _insert(db, t_event, events)

        # Expansion targets (unique per country) and their stage history.
        taken = set(db.scalars(sa.select(ExpansionTarget.country_code)))
        free = [c for c in countries if c not in taken]
        target_id, stage_id = _next_id(db, t_target), _next_id(db, t_stage)
        stages = list(ExpansionStage)
        targets: list[dict[str, Any]] = []
        stage_events: list[dict[str, Any]] = []
        for i, code in enumerate(
            rng.sample(free, min(TARGETS_PER_SCALE * scale, MAX_TARGETS, len(free)))
        ):
            tid = target_id + i
            targets.append(
                {
                    "id": tid,
                    "country_code": code,
                    "priority": rng.choice(list(Priority)).value,
                    "owner_id": None,
                    "next_step": "Follow up with stakeholders",
                    "next_step_due": _day(rng, date(2025, 1, 1), date(2026, 12, 31)),
                    "notes": None,
                    **versioned,
                    "archived_at": ARCHIVED if rng.random() < 0.05 else None,
                }
            )
            day = _day(rng, date(2005, 1, 1), date(2022, 12, 31))
            for stage in stages[: rng.randint(2, 5)]:
                stage_events.append(
                    {
                        "id": stage_id + len(stage_events),
                        "target_id": tid,
                        "stage": stage.value,
                        "entered_on": day,
                        "note": None,
                        "actor_id": None,
                        **stamps,
                    }
                )
                day = min(day + timedelta(days=rng.randint(0, 500)), date(2025, 12, 31))
        rows["expansion_targets"] = _insert(db, t_target, targets)
        rows["expansion_stage_events"] = _insert(db, t_stage, stage_events)

        # Funding commitments and receipts.
        commit_id, receipt_id = _next_id(db, t_commit), _next_id(db, t_receipt)
        statuses = (
            CommitmentStatus.PLEDGED,
            CommitmentStatus.CONFIRMED,
            CommitmentStatus.CANCELLED,
        )
        commitments: list[dict[str, Any]] = []
        receipts: list[dict[str, Any]] = []
        for i in range(COMMITMENTS_PER_SCALE * scale):
            cid = commit_id + i
            currency = rng.choices(CURRENCIES, CURRENCY_WEIGHTS)[0]
            pledged = _day(rng, date(2015, 1, 1), date(2025, 11, 30))
            end = pledged + timedelta(days=rng.randint(180, 3 * 365))
            commitments.append(
                {
                    "id": cid,
                    "funder_id": rng.choice(org_ids),
                    "partnership_id": None,
                    "title": f"Bench pledge {i}",
                    "amount": _money(rng, 5_000, 500_000),
                    "currency_code": currency,
                    "pledged_on": pledged,
                    "period_start": pledged,
                    "period_end": end,
                    "status": rng.choices(statuses, (30, 60, 10))[0].value,
                    "notes": None,
                    **versioned,
                }
            )
            for _ in range(rng.choice((0, 1, 2, 2, 2, 3, 4))):
                paid_in = currency if rng.random() < 0.9 else rng.choice(CURRENCIES)
                receipts.append(
                    {
                        "id": receipt_id + len(receipts),
                        "commitment_id": cid,
                        "received_on": _day(rng, pledged, min(end, date(2025, 12, 31))),
                        "amount": _money(rng, 500, 100_000),
                        "currency_code": paid_in,
                        "reference": f"R-{cid}-{len(receipts)}",
                        **stamps,
                        "archived_at": ARCHIVED if rng.random() < 0.02 else None,
                    }
                )
        rows["funding_commitments"] = _insert(db, t_commit, commitments)
        rows["funding_receipts"] = _insert(db, t_receipt, receipts)

        # Monthly exchange rates (reference data: the same at every scale, unless present).
        have = set(
            db.execute(
                sa.select(ExchangeRate.base_code, ExchangeRate.quote_code, ExchangeRate.rate_date)
            )
            .tuples()
            .all()
        )
        rate_id = _next_id(db, t_rate)
        rates: list[dict[str, Any]] = []
        for base, quote, level in RATE_PAIRS:
            value = level
            for year in range(RATE_YEARS[0], RATE_YEARS[1] + 1):
                for month in range(1, 13):
                    value = (value * Decimal(1 + rng.uniform(-0.02, 0.02))).quantize(
                        Decimal("0.0001")
                    )
                    on = date(year, month, 1)
                    if (base, quote, on) in have:
                        continue
                    rates.append(
                        {
                            "id": rate_id + len(rates),
                            "base_code": base,
                            "quote_code": quote,
                            "rate_date": on,
                            "rate": value,
                            "source": "bench (synthetic)",
                            **stamps,
                        }
                    )
        rows["exchange_rates"] = _insert(db, t_rate, rates)

    _fix_sequences(db, (t_org, t_hotline, t_event, t_target, t_stage, t_commit, t_receipt, t_rate))
    rebuild_kept(db, totals.rebuild)
    rebuild_kept(db, membership.rebuild)
    bump_data_version(db)  # Core inserts bypass the ORM flush that normally does it
    audit.record(
        db,  # type: ignore[arg-type]
        action="bench_generate",
        entity_type="bench",
        summary=f"scale {scale}, seed {seed}: "
        + ", ".join(f"{name} {count}" for name, count in rows.items()),
    )
    return GenerateResult(rows=rows)
