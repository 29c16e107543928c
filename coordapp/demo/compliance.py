"""The demo's membership-compliance register: for every hotline that is a member today, an item
per requirement in force, most met, some expiring within the attention window, some expired,
some pending, and some missing (no item), all dated around ``today``."""

from __future__ import annotations

import random
from datetime import date, timedelta

import sqlalchemy as sa

from coordapp.demo.context import DemoContext, seeded_random
from coordapp.network.compliance import EXPIRING_WITHIN_DAYS
from coordapp.network.compliance_models import (
    ComplianceItem,
    ComplianceRequirement,
    ComplianceStatus,
)
from coordapp.network.models import COVERING_STATUSES

# How a demo item stands, by weight: met (long or no expiry), expiring soon, expired, pending,
# missing (no item). The first member hotlines get one of each kind for sure.
_KINDS = ("met", "expiring", "expired", "pending", "missing")
_WEIGHTS = (70, 10, 6, 4, 10)
_DETAIL = {"Version": ("CoP v2.1", "CoP v3.0"), "Result": ("passed", "passed with actions")}


def _dates(
    kind: str, *, today: date, has_expiry: bool, rng: random.Random
) -> tuple[date, date | None]:
    if kind == "expiring":
        expires = today + timedelta(days=rng.randint(5, EXPIRING_WITHIN_DAYS - 5))
    elif kind == "expired":
        expires = today - timedelta(days=rng.randint(3, 200))
    else:
        expires = today + timedelta(days=rng.randint(EXPIRING_WITHIN_DAYS + 30, 900))
    done = (expires if has_expiry else today) - timedelta(days=rng.randint(330, 1000))
    return done, (expires if has_expiry else None)


def add_compliance(ctx: DemoContext) -> None:
    requirements = list(
        ctx.session.scalars(
            sa.select(ComplianceRequirement)
            .where(ComplianceRequirement.archived_at.is_(None))
            .order_by(ComplianceRequirement.sort_order, ComplianceRequirement.id)
        )
    )
    expiring = [r for r in requirements if r.has_expiry]
    rng = seeded_random("compliance")
    items: list[object] = []
    members = [
        key
        for key, history in ctx.membership.items()
        if history and history[-1][1] in COVERING_STATUSES
    ]
    for position, key in enumerate(sorted(members)):
        hotline = ctx.hotlines[key]
        for requirement in requirements:
            kind = rng.choices(_KINDS, weights=_WEIGHTS)[0]
            if position < 3 and expiring and requirement is expiring[position % len(expiring)]:
                kind = ("expiring", "expired", "missing")[position]
            if kind in ("expiring", "expired") and not requirement.has_expiry:
                kind = "met"
            if kind == "missing":
                continue
            done, expires = _dates(
                kind, today=ctx.today, has_expiry=requirement.has_expiry, rng=rng
            )
            choices = _DETAIL.get(requirement.detail_label or "")
            items.append(
                ComplianceItem(
                    hotline=hotline,
                    requirement_id=requirement.id,
                    status=ComplianceStatus.PENDING if kind == "pending" else ComplianceStatus.MET,
                    detail=rng.choice(choices) if choices else None,
                    document_reference=f"Secretariat file {done.year}/{len(items) + 101}",
                    done_on=None if kind == "pending" else done,
                    expires_on=None if kind == "pending" else expires,
                    note="Assessment visit scheduled." if kind == "pending" else None,
                )
            )
    ctx.add_all("compliance_items", items)
