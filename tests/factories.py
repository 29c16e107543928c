"""Small factories for arranging records in tests (the real database, no mocks)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy.orm import Session

from coordapp.funding.models import ExchangeRate, FundingCommitment, FundingReceipt
from coordapp.network.models import (
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineCoverage,
    HotlineMembershipEvent,
    MembershipStatus,
)
from coordapp.partners.interaction_models import Interaction, InteractionKind
from coordapp.partners.models import Organization, OrganizationKind
from coordapp.reference.models import Country

_seq = itertools.count(1)


def organization(
    session: Session,
    *,
    name: str | None = None,
    kind: OrganizationKind = OrganizationKind.FOUNDATION,
) -> Organization:
    org = Organization(name=name or f"Organization {next(_seq)}", kind=kind)
    session.add(org)
    session.flush()
    return org


def hotline(
    session: Session,
    *,
    country: str,
    covers: Iterable[str] = (),
    events: Iterable[tuple[date, MembershipStatus]] = (),
    name: str | None = None,
    covered_from: date | None = None,
    covered_until: date | None = None,
) -> Hotline:
    """A hotline in ``country`` accepting reports for it and ``covers``, with dated events.

    Every country's spell runs ``covered_from`` .. ``covered_until`` (default: from the
    hotline's admission, still open)."""
    codes = [country, *[c for c in covers if c != country]]
    item = Hotline(
        name=name or f"Hotline {country} {next(_seq)}",
        country_code=country,
        coverage_spells=[
            HotlineCoverage(
                country=session.get_one(Country, code),
                covered_from=covered_from,
                covered_until=covered_until,
            )
            for code in codes
        ],
    )
    session.add(item)
    session.flush()
    for on, status in events:
        session.add(HotlineMembershipEvent(hotline_id=item.id, event_date=on, status=status))
    session.flush()
    return item


def expansion_target(
    session: Session, *, country: str, stages: Iterable[tuple[date, ExpansionStage]]
) -> ExpansionTarget:
    target = ExpansionTarget(country_code=country)
    session.add(target)
    session.flush()
    for on, stage in stages:
        session.add(ExpansionStageEvent(target_id=target.id, stage=stage, entered_on=on))
    session.flush()
    return target


def follow_up(
    session: Session, *, organization: Organization, owner_id: int, due_on: date
) -> Interaction:
    """A call a week before ``due_on`` whose follow-up ``owner_id`` owns."""
    item = Interaction(
        organization_id=organization.id,
        occurred_on=due_on - timedelta(days=7),
        kind=InteractionKind.CALL,
        follow_up_on=due_on,
        follow_up_owner_id=owner_id,
    )
    session.add(item)
    session.flush()
    return item


def rate(session: Session, *, base: str, quote: str, on: date, value: str) -> ExchangeRate:
    item = ExchangeRate(base_code=base, quote_code=quote, rate_date=on, rate=Decimal(value))
    session.add(item)
    session.flush()
    return item


def commitment(
    session: Session,
    *,
    amount: str,
    currency: str,
    pledged_on: date,
    funder: Organization | None = None,
    **fields: object,
) -> FundingCommitment:
    item = FundingCommitment(
        funder_id=(funder or organization(session)).id,
        title=fields.pop("title", None) or f"Pledge {next(_seq)}",
        amount=Decimal(amount),
        currency_code=currency,
        pledged_on=pledged_on,
        period_start=fields.pop("period_start", pledged_on),  # type: ignore[arg-type]
        period_end=fields.pop("period_end", date(pledged_on.year + 2, 12, 31)),  # type: ignore[arg-type]
        **fields,
    )
    session.add(item)
    session.flush()
    return item


def receipt(
    session: Session, *, commitment: FundingCommitment, amount: str, currency: str, on: date
) -> FundingReceipt:
    item = FundingReceipt(
        commitment_id=commitment.id, amount=Decimal(amount), currency_code=currency, received_on=on
    )
    session.add(item)
    session.flush()
    return item


# --- contacts and partnerships -----------------------------------------------------------------

from coordapp.partners.models import (  # noqa: E402  (appended section, kept self-contained)
    Contact,
    Partnership,
    PartnershipStatus,
    PartnershipType,
)

_organization = organization


def contact(
    session: Session,
    *,
    organization: Organization | None = None,
    full_name: str | None = None,
    **fields: object,
) -> Contact:
    item = Contact(
        organization_id=(organization or _organization(session)).id,
        full_name=full_name or f"Contact {next(_seq)}",
        **fields,
    )
    session.add(item)
    session.flush()
    return item


def partnership(
    session: Session,
    *,
    organization: Organization | None = None,
    status: PartnershipStatus = PartnershipStatus.ACTIVE,
    type: PartnershipType = PartnershipType.FUNDING,
    **fields: object,
) -> Partnership:
    item = Partnership(
        organization_id=(organization or _organization(session)).id,
        title=fields.pop("title", None) or f"Agreement {next(_seq)}",
        status=status,
        type=type,
        **fields,
    )
    session.add(item)
    session.flush()
    return item
