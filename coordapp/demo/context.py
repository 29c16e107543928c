"""What the demo loader's parts share: the context they build up, the seed, small helpers."""

from __future__ import annotations

import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from coordapp.auth.models import User
from coordapp.network.models import Hotline, MembershipStatus
from coordapp.partners.models import Organization, Partnership
from coordapp.reference.models import Country, MetricDefinition, Pillar

SEED = 1999
CENT = Decimal("0.01")


def in_force(versions: list[MetricDefinition], day: date) -> MetricDefinition | None:
    """The version of a metric in force on ``day``, if any."""
    return next((m for m in versions if m.in_force_on(day)), None)


@dataclass
class DemoContext:
    """What the loader builds up as it goes: reference rows, created records, counts."""

    session: Session
    today: date
    countries: dict[str, Country]
    pillars: dict[str, Pillar]
    metrics: dict[str, list[MetricDefinition]]  # every version of each metric, oldest first
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


def seeded_random(*labels: object) -> random.Random:
    """An independent, reproducible stream per part of the data (seed 1999 plus labels)."""
    return random.Random(":".join(str(x) for x in (SEED, *labels)))


def slug(name: str, words: int = 3) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    parts = re.findall(r"[a-z0-9]+", ascii_name.lower())
    return "-".join(parts[:words])


def add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)
