"""The deterministic demo network: users, partners, hotlines, funding, trainings, statistics.

``load_demo`` writes a fictional but realistically shaped network (see ``coordapp.demo.data``)
into an empty database that has the reference data. It is idempotent (the secretariat
organization marks a loaded demo) and deterministic: every random choice comes from a
``random.Random`` seeded with 1999 plus a fixed label, so one part of the data never depends on
how much of another was generated. ``today`` only caps the generated series (nothing is dated
after it) and anchors the few dates that must sit near it (renewals due, stale contacts,
overdue next steps). The same ``today`` always gives the same rows.

The parts, run in this order over one ``context.DemoContext``: ``people`` (users,
organizations, contacts), ``network`` (hotlines, partnerships, the expansion pipeline),
``money`` (exchange rates, funding), ``activity`` (trainings, statistics, pillar targets) and
``compliance`` (the membership-compliance register).

It holds coordination data only: statistics are aggregate counts, notes are coordination notes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.demo import data
from coordapp.demo.activity import add_pillar_targets, add_statistics, add_trainings
from coordapp.demo.compliance import add_compliance
from coordapp.demo.context import DemoContext
from coordapp.demo.interactions import add_interactions
from coordapp.demo.money import add_exchange_rates, add_funding
from coordapp.demo.network import add_expansion_targets, add_hotlines, add_partnerships
from coordapp.demo.obligations import add_obligations
from coordapp.demo.owners import assign_owners
from coordapp.demo.people import add_contacts, add_hotline_users, add_organizations, add_users
from coordapp.demo.signoff import add_quarter_signoff
from coordapp.errors import ValidationError
from coordapp.network.models import Hotline
from coordapp.partners.models import Organization
from coordapp.reference.models import Country, Currency, MetricDefinition, Pillar
from coordapp.reference.service import METRIC_CODES

DEMO_PASSWORD = data.DEMO_PASSWORD
DEMO_USERS: tuple[tuple[str, str], ...] = tuple(
    (email, role) for email, role, *_ in data.USERS
) + tuple((email, "hotline") for email, *_ in data.HOTLINE_USERS)
# The hotlines each demo hotline user works for, as `flask demo credentials` names them.
DEMO_HOTLINE_USERS: dict[str, str] = {
    email: ", ".join(spec.name for key in keys for spec in data.HOTLINES if spec.key == key)
    for email, _name, keys in data.HOTLINE_USERS
}
SECRETARIAT_NAME = data.SECRETARIAT_NAME
REFERENCE_MISSING = "Reference data is missing: run `flask seed` first."
CURRENCIES = ("EUR", "USD", "GBP")


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    message: str


def load_demo(
    session: Session, *, only_if_empty: bool = False, today: date | None = None
) -> DemoResult:
    """Load the demo network unless it (or, with ``only_if_empty``, any hotline) is there."""
    today = today or date.today()
    countries, pillars, metrics = _reference_data(session)
    if session.scalar(sa.select(Organization.id).where(Organization.name == SECRETARIAT_NAME)):
        hotlines = session.scalar(sa.select(sa.func.count(Hotline.id))) or 0
        return DemoResult(
            False, f"Demo data already present ({hotlines} hotlines); nothing changed."
        )
    if only_if_empty and session.scalar(sa.select(Hotline.id).limit(1)) is not None:
        return DemoResult(False, "Database already has data; demo not loaded.")

    ctx = DemoContext(
        session=session, today=today, countries=countries, pillars=pillars, metrics=metrics
    )
    with audit.bulk_load(session):
        add_users(ctx)
        add_organizations(ctx)
        add_contacts(ctx)
        add_hotlines(ctx)
        add_hotline_users(ctx)
        add_partnerships(ctx)
        add_interactions(ctx)
        add_exchange_rates(ctx)
        add_funding(ctx)
        add_obligations(ctx)
        add_trainings(ctx)
        add_statistics(ctx)
        add_quarter_signoff(ctx)
        add_pillar_targets(ctx)
        add_expansion_targets(ctx)
        add_compliance(ctx)
        assign_owners(ctx)
        session.flush()

    home_countries = len({h.country_code for h in ctx.hotlines.values()})
    message = (
        f"Demo network loaded: {len(ctx.hotlines)} hotlines in {home_countries} countries, "
        f"{ctx.counts['organizations']} organizations, {ctx.counts['contacts']} contacts, "
        f"{ctx.counts['partnerships']} partnerships, "
        f"{ctx.counts['funding_commitments']} funding commitments, "
        f"{ctx.counts['training_events']} training events, "
        f"{ctx.counts['hotline_statistics']} hotline statistics, "
        f"{ctx.counts['expansion_targets']} expansion targets, "
        f"{ctx.counts['compliance_items']} compliance items."
    )
    audit.record(
        session,
        action="demo_load",
        entity_type="demo",
        changes={"today": today.isoformat(), "rows": dict(sorted(ctx.counts.items()))},
        summary=message[:300],
    )
    return DemoResult(True, message)


def _reference_data(
    session: Session,
) -> tuple[dict[str, Country], dict[str, Pillar], dict[str, list[MetricDefinition]]]:
    countries = {c.alpha2: c for c in session.scalars(sa.select(Country))}
    pillars = {p.code: p for p in session.scalars(sa.select(Pillar))}
    metrics: dict[str, list[MetricDefinition]] = {}
    for metric in session.scalars(sa.select(MetricDefinition).order_by(MetricDefinition.version)):
        metrics.setdefault(metric.code, []).append(metric)
    currencies = set(session.scalars(sa.select(Currency.code).where(Currency.code.in_(CURRENCIES))))
    if (
        not _needed_countries() <= countries.keys()
        or not set(data.PILLAR_TARGETS) <= pillars.keys()
        or not set(METRIC_CODES) <= metrics.keys()
        or currencies != set(CURRENCIES)
    ):
        raise ValidationError(None, REFERENCE_MISSING)
    return countries, pillars, metrics


def _needed_countries() -> set[str]:
    codes = {data.SECRETARIAT_COUNTRY}
    for spec in data.HOTLINES:
        codes.update((spec.country, *spec.also_covers.split()))
    codes.update(row[2] for row in data.PARTNERS)
    codes.update(row[0] for row in data.EXPANSION_TARGETS)
    return codes
