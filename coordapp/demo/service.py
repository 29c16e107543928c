"""The deterministic demo network: users, partners, hotlines, funding, trainings, statistics.

``load_demo`` writes a fictional but realistically shaped network (see ``coordapp.demo.data``)
into an empty database that has the reference data. It is idempotent (the secretariat
organization marks a loaded demo) and deterministic: every random choice comes from a
``random.Random`` seeded with 1999 plus a fixed label, so one part of the data never depends on
how much of another was generated. ``today`` only caps the generated series (nothing is dated
after it) and anchors the few dates that must sit near it (renewals due, stale contacts,
overdue next steps). The same ``today`` always gives the same rows.

It holds coordination data only: statistics are aggregate counts, notes are coordination notes.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.auth import service as auth
from coordapp.auth.models import User
from coordapp.demo import data
from coordapp.errors import ValidationError
from coordapp.funding.models import (
    CommitmentStatus,
    CommitmentStatusEvent,
    ExchangeRate,
    FundingAllocation,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.network.models import (
    COVERING_STATUSES,
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineCoverage,
    HotlineMembershipEvent,
    MembershipStatus,
    Priority,
)
from coordapp.partners.models import (
    Contact,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Partnership,
    PartnershipStatus,
    PartnershipType,
)
from coordapp.pillars.models import Pillar, PillarIndicator, PillarTarget
from coordapp.reference.models import Country, Currency
from coordapp.stats.models import HotlineStatistic, MetricDefinition, PeriodKind
from coordapp.training.models import (
    DeliveryMode,
    TrainingEvent,
    TrainingKind,
    TrainingParticipation,
)

SEED = 1999
DEMO_PASSWORD = data.DEMO_PASSWORD
DEMO_USERS: tuple[tuple[str, str], ...] = tuple((email, role) for email, role, *_ in data.USERS)
SECRETARIAT_NAME = data.SECRETARIAT_NAME

CENT = Decimal("0.01")
RATE_QUANTUM = Decimal("0.0001")
STATISTICS_FROM = date(2018, 1, 1)
RATES_FROM = date(2015, 1, 1)
TRAININGS_FROM = 2010
COVID_ONLINE = (date(2020, 3, 15), date(2021, 9, 30))
REFERENCE_MISSING = "Reference data is missing: run `flask seed` first."
METRIC_CODES = (
    "reports_received",
    "reports_assessed_csam",
    "reports_forwarded",
    "removed_within_3_days_pct",
)
CURRENCIES = ("EUR", "USD", "GBP")


@dataclass(frozen=True)
class DemoResult:
    loaded: bool
    message: str


@dataclass
class _Ctx:
    """What the loader builds up as it goes: reference rows, created records, counts."""

    session: Session
    today: date
    countries: dict[str, Country]
    pillars: dict[str, Pillar]
    metrics: dict[str, MetricDefinition]
    users: dict[str, User] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)
    hotlines: dict[str, Hotline] = field(default_factory=dict)
    membership: dict[str, list[tuple[date, MembershipStatus]]] = field(default_factory=dict)
    funding_partnerships: dict[str, Partnership] = field(default_factory=dict)
    rates: dict[tuple[str, date], Decimal] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    named_participations: int = 0

    def add_all(self, kind: str, objects: list[object]) -> None:
        self.session.add_all(objects)
        self.counts[kind] += len(objects)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


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

    ctx = _Ctx(session=session, today=today, countries=countries, pillars=pillars, metrics=metrics)
    with audit.bulk_load(session):
        _users(ctx)
        _organizations(ctx)
        _contacts(ctx)
        _hotlines(ctx)
        _partnerships(ctx)
        _exchange_rates(ctx)
        _funding(ctx)
        _trainings(ctx)
        _statistics(ctx)
        _pillar_targets(ctx)
        _expansion_targets(ctx)
        session.flush()

    home_countries = len({h.country_code for h in ctx.hotlines.values()})
    message = (
        f"Demo network loaded: {len(ctx.hotlines)} hotlines in {home_countries} countries, "
        f"{ctx.counts['organizations']} organizations, {ctx.counts['contacts']} contacts, "
        f"{ctx.counts['partnerships']} partnerships, "
        f"{ctx.counts['funding_commitments']} funding commitments, "
        f"{ctx.counts['training_events']} training events, "
        f"{ctx.counts['hotline_statistics']} hotline statistics, "
        f"{ctx.counts['expansion_targets']} expansion targets."
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
) -> tuple[dict[str, Country], dict[str, Pillar], dict[str, MetricDefinition]]:
    countries = {c.alpha2: c for c in session.scalars(sa.select(Country))}
    pillars = {p.code: p for p in session.scalars(sa.select(Pillar))}
    metrics: dict[str, MetricDefinition] = {}
    for metric in session.scalars(sa.select(MetricDefinition).order_by(MetricDefinition.version)):
        metrics[metric.code] = metric  # the latest version wins
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


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def _rng(*labels: object) -> random.Random:
    """An independent, reproducible stream per part of the data (seed 1999 plus labels)."""
    return random.Random(":".join(str(x) for x in (SEED, *labels)))


def _slug(name: str, words: int = 3) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    parts = re.findall(r"[a-z0-9]+", ascii_name.lower())
    return "-".join(parts[:words])


def _parse_history(spec: str) -> list[tuple[date, str, str | None]]:
    """``"YYYY-MM-DD status[: note]; ..."`` -> [(date, status, note)], checked to be in order."""
    rows = []
    for part in spec.split(";"):
        head, _, note = part.strip().partition(":")
        day, status = head.split()
        rows.append((date.fromisoformat(day), status, note.strip() or None))
    if [r[0] for r in rows] != sorted(r[0] for r in rows):
        raise ValueError(f"History out of order: {spec}")
    return rows


def _relative_day(spec: str | int | None, today: date) -> date | None:
    if spec is None:
        return None
    if isinstance(spec, int):
        return today + timedelta(days=spec)
    return date.fromisoformat(spec)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _status_on(events: list[tuple[date, MembershipStatus]], on: date) -> MembershipStatus | None:
    status = None
    for day, event_status in events:
        if day > on:
            break
        status = event_status
    return status


def _is_member(ctx: _Ctx, key: str, on: date) -> bool:
    return _status_on(ctx.membership[key], on) in COVERING_STATUSES


def _split(amount: Decimal, weights: list[int]) -> list[Decimal]:
    """Split ``amount`` by ``weights`` into cents; the last part takes the remainder."""
    total = sum(weights)
    parts = [(amount * w / total).quantize(CENT, rounding=ROUND_DOWN) for w in weights[:-1]]
    return [*parts, amount - sum(parts, Decimal(0))]


# ---------------------------------------------------------------------------------------------
# Users, organizations, contacts
# ---------------------------------------------------------------------------------------------


def _users(ctx: _Ctx) -> None:
    for email, role, full_name, key in data.USERS:
        user = auth.get_by_email(ctx.session, email)
        if user is None:
            # The documented demo credential, not a chosen one: the password policy (which
            # refuses it, being built from the accounts' domain coordapp.example) is skipped.
            user = auth.create_user(
                ctx.session,
                email=email,
                full_name=full_name,
                role=role,
                password=DEMO_PASSWORD,
                password_policy=False,
            )
            ctx.counts["users"] += 1
        ctx.users[key] = user


def _organizations(ctx: _Ctx) -> None:
    orgs = [
        Organization(
            name=data.SECRETARIAT_NAME,
            kind=OrganizationKind.NGO,
            status=OrganizationStatus.ACTIVE,
            hq_country_code=data.SECRETARIAT_COUNTRY,
            website="https://secretariat.example.org",
            tags=data.SECRETARIAT_TAGS,
            notes=data.SECRETARIAT_NOTES,
        )
    ]
    for name, kind, country, status, tags, notes in data.PARTNERS:
        orgs.append(
            Organization(
                name=name,
                kind=OrganizationKind(kind),
                status=OrganizationStatus(status),
                hq_country_code=country,
                website=f"https://{_slug(name)}.example.org",
                tags=tags,
                notes=notes,
            )
        )
    ctx.orgs.update((org.name, org) for org in orgs)
    ctx.add_all("organizations", list(orgs))


def _contacts(ctx: _Ctx) -> None:
    contacts: list[object] = []
    for name, kind, country, status, _tags, _notes in data.PARTNERS:
        rng = _rng("contacts", name)
        domain = f"{_slug(name)}.example.org"
        titles = list(data.JOB_TITLES[kind])
        rng.shuffle(titles)
        people: set[tuple[str, str]] = set()
        for i in range(rng.randint(1, 3)):
            first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
            if (first, last) in people:
                continue
            people.add((first, last))
            # A third of the contacts have not been spoken to for over six months.
            stale = status == "inactive" or rng.random() < 0.33
            days_ago = rng.randint(190, 900) if stale else rng.randint(3, 170)
            last_contacted = None if rng.random() < 0.06 else ctx.today - timedelta(days=days_ago)
            phone = f"+1 202 555 01{rng.randint(0, 99):02d}" if country in ("US", "CA") else None
            contacts.append(
                Contact(
                    organization=ctx.orgs[name],
                    full_name=f"{first} {last}",
                    job_title=titles[i % len(titles)],
                    email=f"{_slug(first, 1)}.{_slug(last).replace('-', '')}@{domain}",
                    phone=phone,
                    last_contacted_on=last_contacted,
                    lawful_basis=rng.choice(data.LAWFUL_BASES),
                )
            )
    ctx.add_all("contacts", contacts)


# ---------------------------------------------------------------------------------------------
# Hotlines and their membership history
# ---------------------------------------------------------------------------------------------


def _hotlines(ctx: _Ctx) -> None:
    objects: list[object] = []
    for spec in data.HOTLINES:
        history = [row for row in _parse_history(spec.events) if row[0] <= ctx.today]
        if not history:
            continue  # applies only after ``today``
        withdrawn = history[-1][1] == MembershipStatus.WITHDRAWN
        operator = Organization(
            name=spec.operator,
            kind=OrganizationKind.HOTLINE_OPERATOR,
            status=OrganizationStatus.INACTIVE if withdrawn else OrganizationStatus.ACTIVE,
            hq_country_code=spec.country,
            website=f"https://operator-{spec.key}.example.org",
            tags="hotline-operator",
        )
        hotline = Hotline(
            name=spec.name,
            operator=operator,
            country_code=spec.country,
            public_url=f"https://report-{spec.key}.example.org",
            founded_year=spec.founded,
            languages=spec.languages,
            reporting_channels=spec.channels,
            staff_count=spec.staff,
            notes=data.HOTLINE_NOTES.get(spec.key),
            # Covered from the first admission, as the migration dates existing coverage.
            coverage_spells=[
                HotlineCoverage(
                    country=ctx.countries[code],
                    covered_from=min(
                        (day for day, status, _ in history if status in COVERING_STATUSES),
                        default=None,
                    ),
                )
                for code in (spec.country, *spec.also_covers.split())
            ],
            membership_events=[
                HotlineMembershipEvent(event_date=day, status=MembershipStatus(status), note=note)
                for day, status, note in history
            ],
        )
        ctx.orgs[operator.name] = operator
        ctx.hotlines[spec.key] = hotline
        ctx.membership[spec.key] = [(day, MembershipStatus(status)) for day, status, _ in history]
        ctx.counts["hotline_membership_events"] += len(history)
        objects.extend((operator, hotline))
    ctx.session.add_all(objects)
    ctx.counts["organizations"] += len(objects) // 2
    ctx.counts["hotlines"] += len(objects) // 2


# ---------------------------------------------------------------------------------------------
# Partnerships
# ---------------------------------------------------------------------------------------------

_PARTNERSHIP_NOTES = {
    PartnershipStatus.NEGOTIATING: "Draft agreement under review by both legal teams.",
    PartnershipStatus.PROSPECT: "First exploratory call held; interest confirmed.",
    PartnershipStatus.LAPSED: "Not renewed after the end date.",
    PartnershipStatus.ENDED: "Completed as agreed; final report received.",
}


def _partnerships(ctx: _Ctx) -> None:
    rows: list[object] = []
    for org, title, kind, status_value, start, end, notice, pillars, owner in data.PARTNERSHIPS:
        status = PartnershipStatus(status_value)
        start_date = _relative_day(start, ctx.today)
        end_date = _relative_day(end, ctx.today)
        if start_date and start_date > ctx.today:
            continue  # agreed only after ``today``
        if start_date and end_date and end_date < start_date:
            end_date = start_date
        notes = _PARTNERSHIP_NOTES.get(status)
        if status == PartnershipStatus.ACTIVE and end_date and end_date < ctx.today:
            notes = "End date passed; renewal signature pending."
        documents = None
        if start_date is not None:
            documents = (
                f"https://docs.example.org/agreements/{_slug(title, 4)}-{start_date.year}.pdf"
            )
        partnership = Partnership(
            organization=ctx.orgs[org],
            title=title,
            type=PartnershipType(kind),
            status=status,
            start_date=start_date,
            end_date=end_date,
            renewal_notice_days=notice,
            owner=ctx.users[owner],
            notes=notes,
            document_refs=documents,
            pillars=[ctx.pillars[code] for code in pillars],
        )
        if partnership.type == PartnershipType.FUNDING and status in (
            PartnershipStatus.ACTIVE,
            PartnershipStatus.LAPSED,
            PartnershipStatus.ENDED,
        ):
            ctx.funding_partnerships.setdefault(org, partnership)
        rows.append(partnership)
    ctx.add_all("partnerships", rows)


# ---------------------------------------------------------------------------------------------
# Exchange rates and funding
# ---------------------------------------------------------------------------------------------


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


def _exchange_rates(ctx: _Ctx) -> None:
    rows: list[object] = []
    month = RATES_FROM
    while month <= ctx.today:
        rng = _rng("rates", month.isoformat())
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
        month = _add_months(month, 1)
    ctx.add_all("exchange_rates", rows)


def _funding(ctx: _Ctx) -> None:
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
    ctx: _Ctx,
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
        rng = _rng("funding", funder, year)
        pledged_on = date(year, month, 1) + timedelta(days=rng.randint(0, 20))
        if pledged_on > ctx.today:
            break
        period_start = _add_months(pledged_on, 1)
        period_end = _add_months(period_start, 12 * cycle) - timedelta(days=1)
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
    ctx: _Ctx, rng: random.Random, commitment: FundingCommitment, *, years: int, in_eur: bool
) -> None:
    """One instalment a year, early in each year of the period, up to ``today``."""
    for i, part in enumerate(_split(commitment.amount, [1] * years)):
        received_on = _add_months(commitment.period_start, 12 * i) + timedelta(
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
                reference=f"DEMO-{commitment.pledged_on.year}-{_slug(commitment.funder.name, 1)}"
                f"-{i + 1}",
            )
        )


def _open_pledge(ctx: _Ctx) -> FundingCommitment:
    """A recent pledge still waiting for its agreement (status pledged)."""
    pledged_on = ctx.today - timedelta(days=20)
    period_start = _add_months(pledged_on, 2)
    amount = Decimal("75000.00")
    commitment = FundingCommitment(
        funder=ctx.orgs["Lighthouse Philanthropies"],
        title=f"Bridge grant {period_start.year}",
        amount=amount,
        currency_code="USD",
        pledged_on=pledged_on,
        period_start=period_start,
        period_end=_add_months(period_start, 12) - timedelta(days=1),
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


def _ensure_receipt_this_year(ctx: _Ctx, commitments: list[FundingCommitment]) -> None:
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


# ---------------------------------------------------------------------------------------------
# Trainings
# ---------------------------------------------------------------------------------------------

_KIND_DAYS = {
    TrainingKind.WORKSHOP: (1, 3),
    TrainingKind.WEBINAR: (1, 1),
    TrainingKind.EXCHANGE_VISIT: (3, 5),
    TrainingKind.CONFERENCE: (2, 3),
    TrainingKind.E_LEARNING: (42, 84),
}
_FIRST_YEAR = {TrainingKind.WEBINAR: 2012, TrainingKind.E_LEARNING: 2014}
_ASIA_PACIFIC = ("Asia", "Oceania")


def _trainings(ctx: _Ctx) -> None:
    events: list[object] = []
    for year in range(TRAININGS_FROM, ctx.today.year + 1):
        rng = _rng("trainings", year)
        conference = next(t for t in data.TRAININGS if t[1] == TrainingKind.CONFERENCE.value)
        choices = [
            t
            for t in data.TRAININGS
            if t is not conference
            and year >= _FIRST_YEAR.get(TrainingKind(t[1]), TRAININGS_FROM)
            and not (str(t[0]).startswith("Regional") and year < 2017)
        ]
        # Most of the network's training is capacity building: analysts, wellbeing, procedures.
        capacity = [t for t in choices if t[2] == data.CB]
        others = [t for t in choices if t[2] != data.CB]
        count_capacity = 1 if year <= 2015 else (2 if year < 2020 else 3)
        picked = rng.sample(capacity, count_capacity) + rng.sample(others, 1)
        count = len(picked)
        months = sorted(rng.sample([2, 3, 4, 5, 6, 9], count))
        for template, month in [*zip(picked, months, strict=True), (conference, 11)]:
            event = _training_event(ctx, rng, template, date(year, month, rng.randint(1, 24)))
            if event is not None:
                events.append(event)
    ctx.add_all("training_events", events)


def _delivery(template_delivery: str | None, start: date, rng: random.Random) -> DeliveryMode:
    if COVID_ONLINE[0] <= start <= COVID_ONLINE[1]:
        return DeliveryMode.ONLINE
    if template_delivery:
        return DeliveryMode(template_delivery)
    if start.year >= 2021:
        return rng.choice((DeliveryMode.IN_PERSON, DeliveryMode.HYBRID, DeliveryMode.HYBRID))
    return DeliveryMode.IN_PERSON


def _training_event(
    ctx: _Ctx, rng: random.Random, template: tuple[str | None, ...], start: date
) -> TrainingEvent | None:
    title, kind_value, pillar, topics, delivery_value, organizer, trainers = template
    assert title and kind_value and pillar
    kind = TrainingKind(kind_value)
    low, high = _KIND_DAYS[kind]
    end = start + timedelta(days=rng.randint(low, high) - 1)
    delivery = _delivery(delivery_value, start, rng)
    regional = title.startswith("Regional")
    members = [
        (key, h)
        for key, h in ctx.hotlines.items()
        if _is_member(ctx, key, start)
        and (not regional or ctx.countries[h.country_code].region in _ASIA_PACIFIC)
    ]
    if len(members) < 2:
        return None
    # Draw everything before dropping an event that ends after ``today``: the same draws for
    # every ``today``, so the earlier events never change.
    attending = rng.sample(members, min(len(members), rng.randint(2, 12)))
    host_key, host = rng.choice(members)
    guests = rng.sample(data.TRAINING_GUEST_ORGS, rng.randint(1, 2)) if rng.random() < 0.3 else []
    if end > ctx.today:
        return None
    if kind == TrainingKind.CONFERENCE:
        title = f"{title} {start.year}"
    elif kind == TrainingKind.EXCHANGE_VISIT:
        title = f"{title}: {host.name}"
        attending = [(k, h) for k, h in attending if k != host_key] or attending
    if kind == TrainingKind.EXCHANGE_VISIT and delivery == DeliveryMode.ONLINE:
        title = f"{title} (virtual)"
    event = TrainingEvent(
        title=title,
        kind=kind,
        pillar=ctx.pillars[pillar],
        topics=topics,
        start_date=start,
        end_date=end,
        delivery=delivery,
        location_country_code=None if delivery == DeliveryMode.ONLINE else host.country_code,
        organizer=ctx.orgs[organizer or data.SECRETARIAT_NAME],
        trainers=trainers,
    )
    for _key, hotline in attending:
        event.participations.append(_participation(rng, kind, hotline=hotline))
    for name in guests:
        event.participations.append(_participation(rng, kind, organization=ctx.orgs[name], most=3))
    if kind == TrainingKind.EXCHANGE_VISIT and start.year >= 2023 and ctx.named_participations < 2:
        # Two participations name their (fictional) attendees; the rest give counts only.
        first = event.participations[0]
        first.attendee_names = "\n".join(
            f"{rng.choice(data.FIRST_NAMES)} {rng.choice(data.LAST_NAMES)}"
            for _ in range(first.participants)
        )
        ctx.named_participations += 1
    ctx.counts["training_participations"] += len(event.participations)
    return event


def _participation(
    rng: random.Random,
    kind: TrainingKind,
    *,
    hotline: Hotline | None = None,
    organization: Organization | None = None,
    most: int = 6,
) -> TrainingParticipation:
    participants = rng.randint(1, 3 if kind == TrainingKind.EXCHANGE_VISIT else most)
    completed: int | None = participants
    if kind == TrainingKind.CONFERENCE:
        completed = None
    elif kind == TrainingKind.E_LEARNING or rng.random() < 0.15:
        completed = rng.randint(max(0, participants - 2), participants)
    score = None if rng.random() < 0.15 else Decimal(rng.randint(30, 50)) / 10
    if score is not None and rng.random() < 0.05:
        score = Decimal(rng.randint(15, 29)) / 10
    return TrainingParticipation(
        hotline=hotline,
        organization=organization,
        participants=participants,
        completed=completed,
        feedback_score=score.quantize(CENT) if score is not None else None,
    )


# ---------------------------------------------------------------------------------------------
# Hotline statistics (aggregate counts per quarter)
# ---------------------------------------------------------------------------------------------


def _quarters(today: date) -> list[tuple[date, date]]:
    """Quarters from 2018-Q1 to the last one that ended before ``today``."""
    quarters: list[tuple[date, date]] = []
    start = STATISTICS_FROM
    while True:
        end = _add_months(start, 3) - timedelta(days=1)
        if end >= today:
            return quarters
        quarters.append((start, end))
        start = _add_months(start, 3)


def _statistics(ctx: _Ctx) -> None:
    quarters = _quarters(ctx.today)
    metrics = [ctx.metrics[code] for code in METRIC_CODES]
    rows: list[object] = []
    small = {
        (key, len(quarters) - 1 - back, code): Decimal(value)
        for key, back, code, value in data.SMALL_STATISTICS
    }
    for key, hotline in ctx.hotlines.items():
        rng = _rng("statistics", key)
        admitted = next(
            (day for day, status in ctx.membership[key] if status in COVERING_STATUSES), None
        )
        staff = next(s.staff for s in data.HOTLINES if s.key == key)
        for index, (start, end) in enumerate(quarters):
            values = _quarter_values(rng, staff, start, admitted)
            if not (_is_member(ctx, key, start) or _is_member(ctx, key, end)):
                continue
            if key in data.LATE_STATISTICS and index == len(quarters) - 1:
                continue
            rows.extend(
                HotlineStatistic(
                    hotline=hotline,
                    metric=metric,
                    period_kind=PeriodKind.QUARTER,
                    period_start=start,
                    period_end=end,
                    value=small.get((key, index, metric.code), value),
                )
                for metric, value in zip(metrics, values, strict=True)
            )
    ctx.add_all("hotline_statistics", rows)


def _quarter_values(
    rng: random.Random, staff: int, start: date, admitted: date | None
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """Received >= assessed >= forwarded, and the share removed within 3 days (percent)."""
    years = (start - STATISTICS_FROM).days / 365.25
    volume = staff * 300 * 1.07**years
    if date(2020, 4, 1) <= start <= date(2021, 1, 1):
        volume *= 1.3  # the lockdown surge in reports
    if admitted is not None and (start - admitted).days < 730:
        volume *= 0.6  # new hotlines are still becoming known
    received = max(40, int(volume * rng.uniform(0.85, 1.15)))
    assessed = int(received * rng.uniform(0.30, 0.62))
    forwarded = int(assessed * rng.uniform(0.82, 0.98))
    removed = Decimal(f"{rng.uniform(72, 98.5):.2f}")
    return Decimal(received), Decimal(assessed), Decimal(forwarded), removed


# ---------------------------------------------------------------------------------------------
# Pillar targets and the expansion pipeline
# ---------------------------------------------------------------------------------------------


def _pillar_targets(ctx: _Ctx) -> None:
    rows: list[object] = []
    for year in range(data.PILLAR_TARGET_FIRST_YEAR, ctx.today.year + 1):
        for code, indicators in data.PILLAR_TARGETS.items():
            for indicator, description, base, step in indicators:
                rows.append(
                    PillarTarget(
                        pillar=ctx.pillars[code],
                        year=year,
                        indicator=PillarIndicator(indicator),
                        description=description,
                        target_value=Decimal(base + step * (year - data.PILLAR_TARGET_FIRST_YEAR)),
                    )
                )
    ctx.add_all("pillar_targets", rows)


def _expansion_targets(ctx: _Ctx) -> None:
    rows: list[object] = []
    for country, priority, owner_key, history, next_step, due_in, notes in data.EXPANSION_TARGETS:
        events = [row for row in _parse_history(history) if row[0] <= ctx.today]
        if not events:
            continue
        owner = ctx.users[owner_key]
        # The hotline set up in the country, once it has applied.
        hotline = next(
            (
                h
                for key, h in ctx.hotlines.items()
                if h.country_code == country and ctx.membership.get(key)
            ),
            None,
        )
        rows.append(
            ExpansionTarget(
                country_code=country,
                priority=Priority(priority),
                owner=owner,
                hotline=hotline,
                next_step=next_step,
                next_step_due=ctx.today + timedelta(days=due_in),
                notes=notes,
                stage_events=[
                    ExpansionStageEvent(
                        stage=ExpansionStage(stage), entered_on=day, note=note, actor_id=owner.id
                    )
                    for day, stage, note in events
                ],
            )
        )
        ctx.counts["expansion_stage_events"] += len(events)
    ctx.add_all("expansion_targets", rows)
