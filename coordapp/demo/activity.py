"""Demo trainings, hotline statistics (aggregate counts per quarter) and pillar targets."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from coordapp.demo import data
from coordapp.demo.context import (
    CENT,
    DemoContext,
    add_months,
    in_force,
    seeded_random,
)
from coordapp.network.models import COVERING_STATUSES, Hotline, MembershipStatus
from coordapp.partners.models import Organization
from coordapp.pillars.models import PillarIndicator, PillarTarget
from coordapp.reference.service import METRIC_CODES
from coordapp.stats.models import HotlineStatistic, PeriodKind
from coordapp.training.models import (
    DeliveryMode,
    TrainingEvent,
    TrainingKind,
    TrainingParticipation,
)

STATISTICS_FROM = date(2018, 1, 1)
TRAININGS_FROM = 2010
COVID_ONLINE = (date(2020, 3, 15), date(2021, 9, 30))


def _status_on(events: list[tuple[date, MembershipStatus]], on: date) -> MembershipStatus | None:
    status = None
    for day, event_status in events:
        if day > on:
            break
        status = event_status
    return status


def _is_member(ctx: DemoContext, key: str, on: date) -> bool:
    return _status_on(ctx.membership[key], on) in COVERING_STATUSES


_KIND_DAYS = {
    TrainingKind.WORKSHOP: (1, 3),
    TrainingKind.WEBINAR: (1, 1),
    TrainingKind.EXCHANGE_VISIT: (3, 5),
    TrainingKind.CONFERENCE: (2, 3),
    TrainingKind.E_LEARNING: (42, 84),
}
_FIRST_YEAR = {TrainingKind.WEBINAR: 2012, TrainingKind.E_LEARNING: 2014}
_ASIA_PACIFIC = ("Asia", "Oceania")


def add_trainings(ctx: DemoContext) -> None:
    events: list[object] = []
    for year in range(TRAININGS_FROM, ctx.today.year + 1):
        rng = seeded_random("trainings", year)
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
    ctx: DemoContext, rng: random.Random, template: tuple[str | None, ...], start: date
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
        end = add_months(start, 3) - timedelta(days=1)
        if end >= today:
            return quarters
        quarters.append((start, end))
        start = add_months(start, 3)


def add_statistics(ctx: DemoContext) -> None:
    quarters = _quarters(ctx.today)
    rows: list[object] = []
    small = {
        (key, len(quarters) - 1 - back, code): Decimal(value)
        for key, back, code, value in data.SMALL_STATISTICS
    }
    for key, hotline in ctx.hotlines.items():
        rng = seeded_random("statistics", key)
        admitted = next(
            (day for day, status in ctx.membership[key] if status in COVERING_STATUSES), None
        )
        staff = next(s.staff for s in data.HOTLINES if s.key == key)
        # Drawn apart from ``rng``: the figures of 2018 and 2019 stay those of earlier demos.
        url_rng = seeded_random("statistics-urls", key)
        for index, (start, end) in enumerate(quarters):
            values = _quarter_values(rng, staff, start, admitted)
            values = {**values, **_url_values(url_rng, values, start)}
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
                for metric, value in (
                    (in_force(ctx.metrics[code], start), values.get(code)) for code in METRIC_CODES
                )
                if metric is not None and value is not None
            )
    ctx.add_all("hotline_statistics", rows)


def _quarter_values(
    rng: random.Random, staff: int, start: date, admitted: date | None
) -> dict[str, Decimal]:
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
    return {
        "reports_received": Decimal(received),
        "reports_assessed_csam": Decimal(assessed),
        "reports_forwarded": Decimal(forwarded),
        "removed_within_3_days_pct": removed,
    }


def _url_values(rng: random.Random, reports: dict[str, Decimal], start: date) -> dict[str, Decimal]:
    """From 2020 hotlines count content URLs (a report names several), forwarded to law
    enforcement only, and the median days to removal; before, nothing (the draws are made
    every quarter all the same, so a later quarter's figures never depend on ``today``)."""
    per_report = Decimal(f"{rng.uniform(2.6, 4.2):.2f}")
    illegal_share = Decimal(f"{rng.uniform(0.55, 0.8):.2f}")
    to_police = Decimal(f"{rng.uniform(0.35, 0.6):.2f}")
    days = Decimal(f"{rng.uniform(1.0, 6.5):.1f}")
    if start.year < 2020:
        return {}
    exchanged = int(reports["reports_received"] * per_report)
    illegal = min(exchanged, int(reports["reports_assessed_csam"] * per_report * illegal_share))
    return {
        "reports_received": Decimal(exchanged),
        "reports_assessed_csam": Decimal(illegal),
        "reports_forwarded": Decimal(int(illegal * to_police)),
        "median_days_to_removal": days,
    }


def add_pillar_targets(ctx: DemoContext) -> None:
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
