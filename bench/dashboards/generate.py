"""What ``bench.generate`` leaves out and the dashboards read: partnerships, pillar allocations
of the commitments, trainings with participations, quarterly hotline statistics, pillar
targets. Run after ``bench.generate.generate`` on the same database.

======================  ==========================  =====================================
table                   rows at scale 1             notes
======================  ==========================  =====================================
partnerships            35 (+ pillar tags)          on the generated organizations
funding_allocations     1-3 per commitment          amounts add up to the commitment
training_events         65                          2010..2025
training_participations ~500 (2-12 per event)       hotlines, sometimes organizations
hotline_statistics      ~4,400                      4 metrics per quarter 2020..2025 for
                                                    hotlines that were members
pillar_targets          10 a year, 2023..2026       not scaled (reference-like)
======================  ==========================  =====================================

Deterministic for a seed and scale on a database filled by ``bench.generate``; synthetic names
only, counts only: nothing here is, or points to, report content.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.generate import (
    STAMP,
    _fix_sequences,
    _insert,
    _next_id,
    _table,
    generate,
    rebuild_kept,
)
from coordapp.audit import service as audit
from coordapp.data_version import bump_data_version
from coordapp.funding import totals as funding_totals
from coordapp.funding.models import FundingAllocation, FundingCommitment
from coordapp.network.models import COVERING_STATUSES, Hotline, HotlineMembershipEvent
from coordapp.partners.models import (
    Organization,
    Partnership,
    PartnershipStatus,
    PartnershipType,
    partnership_pillars,
)
from coordapp.pillars.models import PillarIndicator, PillarTarget
from coordapp.reference.models import MetricDefinition, Pillar
from coordapp.stats import activity_totals
from coordapp.stats.models import HotlineQuarter, HotlineStatistic, PeriodKind, QuarterState
from coordapp.training import totals as training_totals
from coordapp.training.models import (
    DeliveryMode,
    TrainingEvent,
    TrainingKind,
    TrainingParticipation,
)

PARTNERSHIPS_PER_SCALE = 35
TRAININGS_PER_SCALE = 65
STATISTICS_FROM = date(2020, 1, 1)
STATISTICS_TO = date(2025, 12, 31)
TARGET_YEARS = range(2023, 2027)
CENT = Decimal("0.01")


def _quarters() -> list[tuple[date, date]]:
    out = []
    start = STATISTICS_FROM
    while start <= STATISTICS_TO:
        month = start.month + 3
        following = date(start.year + (month > 12), (month - 1) % 12 + 1, 1)
        out.append((start, following - timedelta(days=1)))
        start = following
    return out


def generate_activity(session: Session, *, scale: int, seed: int = 1999) -> dict[str, int]:
    """Write the dashboards' extra tables at ``scale``; return rows written per table."""
    rng = random.Random(f"{seed}:{scale}:dashboards")
    stamps = {"created_at": STAMP, "updated_at": STAMP}
    versioned = {**stamps, "version": 1, "archived_at": None}
    rows: dict[str, int] = {}
    pillar_ids = list(session.scalars(sa.select(Pillar.id).order_by(Pillar.sort_order)))
    org_ids = list(session.scalars(sa.select(Organization.id)))
    t_part, t_alloc = _table(Partnership), _table(FundingAllocation)
    t_event, t_particip = _table(TrainingEvent), _table(TrainingParticipation)
    t_stat, t_target = _table(HotlineStatistic), _table(PillarTarget)

    with audit.bulk_load(session):
        # Partnerships on the generated organizations, tagged with one or two pillars.
        first = _next_id(session, t_part)
        partnerships, tags = [], []
        for i in range(PARTNERSHIPS_PER_SCALE * scale):
            start = date(rng.randint(2008, 2025), rng.randint(1, 12), 1)
            end = start + timedelta(days=rng.choice((365, 730, 1095, 1825)))
            status = rng.choices(list(PartnershipStatus), (5, 5, 60, 20, 10))[0]
            partnerships.append(
                {
                    "id": first + i,
                    "organization_id": rng.choice(org_ids),
                    "title": f"Bench agreement {first + i}",
                    "type": rng.choice(list(PartnershipType)).value,
                    "status": status.value,
                    "start_date": start,
                    "end_date": end,
                    "renewal_notice_days": rng.choice((30, 60, 90, 120)),
                    "owner_id": None,
                    "notes": None,
                    "document_refs": None,
                    **versioned,
                }
            )
            for pid in rng.sample(pillar_ids, rng.randint(1, 2)):
                tags.append({"partnership_id": first + i, "pillar_id": pid})
        rows["partnerships"] = _insert(session, t_part, partnerships)
        rows["partnership_pillars"] = _insert(session, partnership_pillars, tags)

        # Pillar allocations of the commitments that have none, adding up to the amount.
        allocated = sa.select(FundingAllocation.commitment_id)
        commitments = session.execute(
            sa.select(FundingCommitment.id, FundingCommitment.amount)
            .where(FundingCommitment.id.not_in(allocated))
            .order_by(FundingCommitment.id)
        ).all()
        first = _next_id(session, t_alloc)
        allocations: list[dict[str, Any]] = []
        for cid, amount in commitments:
            amount = Decimal(str(amount))
            chosen = rng.sample(pillar_ids, rng.randint(1, 3))
            weights = [rng.randint(1, 5) for _ in chosen]
            parts = [
                (amount * w / sum(weights)).quantize(CENT, rounding=ROUND_DOWN)
                for w in weights[:-1]
            ]
            parts.append(amount - sum(parts, Decimal(0)))
            for pid, part in zip(chosen, parts, strict=True):
                allocations.append(
                    {
                        "id": first + len(allocations),
                        "commitment_id": cid,
                        "pillar_id": pid,
                        "amount": part,
                        **stamps,
                    }
                )
        rows["funding_allocations"] = _insert(session, t_alloc, allocations)
        rebuild_kept(session, funding_totals.rebuild)  # the allocations split the pledges

        # Trainings and who took part.
        hotline_ids = list(
            session.scalars(sa.select(Hotline.id).where(Hotline.archived_at.is_(None)))
        )
        first, first_part = _next_id(session, t_event), _next_id(session, t_particip)
        events, participations = [], []
        for i in range(TRAININGS_PER_SCALE * scale):
            eid = first + i
            start = date(rng.randint(2010, 2025), rng.randint(1, 12), rng.randint(1, 28))
            events.append(
                {
                    "id": eid,
                    "title": f"Bench training {eid}",
                    "kind": rng.choice(list(TrainingKind)).value,
                    "pillar_id": rng.choice(pillar_ids),
                    "topics": None,
                    "start_date": start,
                    "end_date": start + timedelta(days=rng.randint(0, 3)),
                    "delivery": rng.choice(list(DeliveryMode)).value,
                    "location_country_code": None,
                    "organizer_id": None,
                    "trainers": None,
                    "notes": None,
                    **versioned,
                }
            )
            for hid in rng.sample(hotline_ids, min(len(hotline_ids), rng.randint(2, 12))):
                people = rng.randint(1, 6)
                participations.append(
                    {
                        "id": first_part + len(participations),
                        "event_id": eid,
                        "hotline_id": hid,
                        "organization_id": None,
                        "participants": people,
                        "completed": people,
                        "feedback_score": None
                        if rng.random() < 0.15
                        else Decimal(rng.randint(25, 50)) / 10,
                        "attendee_names": None,
                        **stamps,
                    }
                )
        rows["training_events"] = _insert(session, t_event, events)
        rows["training_participations"] = _insert(session, t_particip, participations)
        training_totals.rebuild(session)  # Core inserts: the totals kept per event, afresh

        # Quarterly statistics of the hotlines that were members at some point (and have no
        # figures yet: on top of the demo network, whose hotlines report their own).
        metrics = list(
            session.execute(sa.select(MetricDefinition.id, MetricDefinition.unit)).tuples()
        )
        members = list(
            session.scalars(
                sa.select(HotlineMembershipEvent.hotline_id)
                .where(
                    HotlineMembershipEvent.status.in_([s.value for s in COVERING_STATUSES]),
                    HotlineMembershipEvent.hotline_id.not_in(
                        sa.select(HotlineStatistic.hotline_id)
                    ),
                )
                .distinct()
                .order_by(HotlineMembershipEvent.hotline_id)
            )
        )
        first = _next_id(session, t_stat)
        stats: list[dict[str, Any]] = []
        for hid in members:
            size = rng.randint(50, 3000)
            for start, end in _quarters():
                for metric_id, unit in metrics:
                    value = (
                        Decimal(f"{rng.uniform(60, 99):.2f}")
                        if unit == "percent"
                        else Decimal(int(size * rng.uniform(0.2, 1.2)))
                    )
                    stats.append(
                        {
                            "id": first + len(stats),
                            "hotline_id": hid,
                            "metric_id": metric_id,
                            "period_kind": PeriodKind.QUARTER.value,
                            "period_start": start,
                            "period_end": end,
                            "value": value,
                            **stamps,
                            "version": 1,
                        }
                    )
        rows["hotline_statistics"] = _insert(session, t_stat, stats)
        # Their sign-off: approved, but every third hotline's last quarter awaits review (a
        # provisional quarter: its figures do not count yet).
        last = _quarters()[-1][0]
        signed_off = [
            {
                "hotline_id": hid,
                "period_start": start,
                "period_end": end,
                "state": (
                    QuarterState.SUBMITTED
                    if start == last and n % 3 == 0
                    else QuarterState.APPROVED
                ).value,
                "first_submitted_at": datetime.combine(end + timedelta(days=n % 45 + 1), time()),
                "submitted_at": datetime.combine(end + timedelta(days=n % 45 + 1), time()),
                **stamps,
                "version": 1,
            }
            for n, hid in enumerate(members)
            for start, end in _quarters()
        ]
        rows["hotline_quarters"] = _insert(session, _table(HotlineQuarter), signed_off)
        rebuild_kept(session, activity_totals.rebuild)  # the figures and their sign-off

        # Pillar targets (once: unique per pillar, year and indicator).
        have = set(
            session.execute(
                sa.select(PillarTarget.pillar_id, PillarTarget.year, PillarTarget.indicator)
            ).tuples()
        )
        first = _next_id(session, t_target)
        targets = []
        indicators = list(PillarIndicator)
        for year in TARGET_YEARS:
            for n, indicator in enumerate(indicators):
                pid = pillar_ids[n % len(pillar_ids)]
                if (pid, year, indicator.value) in have:
                    continue
                targets.append(
                    {
                        "id": first + len(targets),
                        "pillar_id": pid,
                        "year": year,
                        "indicator": indicator.value,
                        "description": None,
                        "target_value": Decimal(rng.randint(5, 500)),
                        **versioned,
                    }
                )
        rows["pillar_targets"] = _insert(session, t_target, targets)

    _fix_sequences(session, (t_part, t_alloc, t_event, t_particip, t_stat, t_target))
    bump_data_version(session)  # Core inserts bypass the flush that normally does it
    return rows


def load_database(*, scale: int, analyze: bool) -> dict[str, int]:
    """Migrate the current app's (empty) database, seed the reference data, generate ``scale`` (both
    generators), commit, and ``ANALYZE`` if asked (PostgreSQL: what autovacuum does soon after
    a bulk load). The rows written per table; the session is left open in the app context."""
    import contextlib
    import io
    import time

    from flask_migrate import upgrade

    from coordapp.extensions import db
    from coordapp.reference.service import seed_reference_data

    with contextlib.redirect_stderr(io.StringIO()):
        upgrade()
    session = db.session()
    seed_reference_data(session)
    session.commit()
    started = time.perf_counter()
    written = dict(generate(session, scale=scale).rows)
    written.update(generate_activity(session, scale=scale))
    session.commit()
    took = time.perf_counter() - started
    print(f"    generated {sum(written.values()):,} rows in {took:.1f} s", flush=True)
    if analyze:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    return written


def release_database() -> None:
    """Roll back the app context's session and close every connection (before DROP DATABASE)."""
    from coordapp.extensions import db

    db.session.rollback()
    db.session.remove()
    db.engine.dispose()
