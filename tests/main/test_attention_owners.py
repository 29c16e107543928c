"""Who owns each needs-attention item, the "mine" filter, and unassigned items.

An item's owner is resolved in SQL by its rule (the partnership's owner, else its
organization's; the commitment's, else its funder's; the hotline's liaison; ...). An item whose
owner is missing or deactivated is unassigned: it shows in nobody's "mine", only in everyone's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.auth.models import User
from coordapp.funding.models import FundingCommitment, ReportingRequirement
from coordapp.main import attention
from coordapp.network.models import ExpansionTarget, Hotline, MembershipStatus
from coordapp.partners.interaction_models import Interaction
from coordapp.partners.models import (
    Contact,
    Organization,
    Partnership,
    PartnershipStatus,
    PartnershipType,
)
from coordapp.stats.models import HotlineQuarter
from tests import factories
from tests._demo import load_demo_cached
from tests.conftest import PASSWORD

DEMO_TODAY = date(2026, 11, 26)
TODAY = date(2026, 11, 26)


def _user(session: Session, name: str, *, active: bool = True) -> User:
    user = auth.create_user(
        session,
        email=f"{name.lower()}@owners.example",
        full_name=name,
        role="manager",
        password=PASSWORD,
    )
    user.active = active
    session.flush()
    return user


def _commitment_owner(c: FundingCommitment) -> int | None:
    return c.owner_id if c.owner_id is not None else c.funder.owner_id


def _partnership_owner(p: Partnership) -> int | None:
    return p.owner_id if p.owner_id is not None else p.organization.owner_id


def _owners_by_rule(session: Session) -> dict[str, Callable[[int], int | None]]:
    """Per section, the owner of the record an item names, computed in Python."""

    def hotline(hotline_id: int) -> int | None:
        return session.get_one(Hotline, hotline_id).owner_id

    def commitment(commitment_id: int) -> int | None:
        return _commitment_owner(session.get_one(FundingCommitment, commitment_id))

    def partnership(partnership_id: int) -> int | None:
        return _partnership_owner(session.get_one(Partnership, partnership_id))

    def target(target_id: int) -> int | None:
        return session.get_one(ExpansionTarget, target_id).owner_id

    return {
        "renewals": partnership,
        "expired": partnership,
        "contacts": lambda i: session.get_one(Contact, i).organization.owner_id,
        "next_steps": target,
        "stalled_stages": target,
        "statistics": hotline,
        "quarters_review": lambda i: hotline(session.get_one(HotlineQuarter, i).hotline_id),
        "quarters_late": hotline,
        "pledges": commitment,
        "instalments": commitment,
        "reports": lambda i: commitment(session.get_one(ReportingRequirement, i).commitment_id),
        "follow_ups": lambda i: session.get_one(Interaction, i).follow_up_owner_id,
        "compliance": hotline,
    }


def test_every_rule_names_its_owner_and_mine_is_exactly_the_owners_items(
    session: Session,
) -> None:
    load_demo_cached(session, today=DEMO_TODAY)
    ann, ben = _user(session, "Ann"), _user(session, "Ben")
    # Owners spread over the records (some left without one), then Ben leaves.
    for model, owners in (
        (Organization, (ann.id, ben.id, None)),
        (Hotline, (ben.id, ann.id, None)),
        (FundingCommitment, (ann.id, ben.id, None, None)),
        (Partnership, (None, ann.id, ben.id)),
        (ExpansionTarget, (ann.id, ben.id)),
    ):
        for record in session.scalars(sa.select(model)):
            record.owner_id = owners[record.id % len(owners)]
    for interaction in session.scalars(
        sa.select(Interaction).where(Interaction.follow_up_owner_id.is_not(None))
    ):
        if interaction.id % 2:
            interaction.follow_up_owner_id = ben.id
    ben.active = False
    session.flush()

    everyone = attention.needs_attention(session, today=DEMO_TODAY, limit=None)
    owner_of = _owners_by_rule(session)
    assert {s.key for s in everyone.sections} == set(owner_of)
    seen: set[str] = set()
    for section in everyone.sections:
        assert section.count == len(section.items) > 0, section.key
        for item in section.items:
            expected = owner_of[section.key](item.record_id)
            if expected == ann.id:
                assert (item.owner_id, item.owner_name) == (ann.id, "Ann"), section.key
                seen.add("owned")
            elif expected == ben.id:  # deactivated: unassigned, saying whose it was
                assert (item.owner_id, item.owner_name) == (None, None), section.key
                assert item.owner_label == "Unassigned (was Ben, deactivated)"
                seen.add("deactivated")
            elif expected is None:
                assert item.owner_id is None and item.owner_label == "Unassigned", section.key
                seen.add("none")
            else:  # the demo's own owners (partnerships, follow-ups), all active
                owner = session.get_one(User, expected)
                assert (item.owner_id, item.owner_name) == (owner.id, owner.full_name)
    assert seen == {"owned", "deactivated", "none"}

    # "Mine": exactly the items everyone's list gives that user, counted in SQL.
    owner_ids = {i.owner_id for s in everyone.sections for i in s.items} - {None}
    mine_total = 0
    for owner_id in owner_ids:
        mine = attention.needs_attention(session, today=DEMO_TODAY, owner_id=owner_id, limit=None)
        assert mine.owner_id == owner_id
        for section, all_of_it in zip(mine.sections, everyone.sections, strict=True):
            expected_ids = [i.record_id for i in all_of_it.items if i.owner_id == owner_id]
            assert [i.record_id for i in section.items] == expected_ids, section.key
            assert section.count == len(expected_ids)
        mine_total += mine.total
    unassigned = sum(1 for s in everyone.sections for i in s.items if i.owner_id is None)
    assert unassigned > 0
    assert attention.unassigned_count(session, today=DEMO_TODAY) == unassigned
    assert mine_total + unassigned == everyone.total
    # The deactivated owner has nothing of their own.
    assert attention.needs_attention(session, today=DEMO_TODAY, owner_id=ben.id).total == 0
    # A limit shortens the list, never the count.
    top = attention.needs_attention(session, today=DEMO_TODAY, owner_id=ann.id, limit=1)
    assert all(len(s.items) <= 1 for s in top.sections)
    ann_all = attention.needs_attention(session, today=DEMO_TODAY, owner_id=ann.id, limit=None)
    assert [s.count for s in top.sections] == [s.count for s in ann_all.sections]


def _partnership(session: Session, org: Organization, *, owner: User | None) -> Partnership:
    item = Partnership(
        organization_id=org.id,
        title=f"Agreement of {org.name}",
        type=PartnershipType.TECHNOLOGY,
        status=PartnershipStatus.ACTIVE,
        start_date=date(2020, 1, 1),
        end_date=TODAY + timedelta(days=20),
        renewal_notice_days=30,
        owner_id=owner.id if owner else None,
    )
    session.add(item)
    session.flush()
    return item


def test_a_partnership_without_owner_falls_to_its_organization_then_unassigned(
    session: Session,
) -> None:
    ann, ben = _user(session, "Ann"), _user(session, "Ben")
    org = factories.organization(session, name="Searchlight")
    org.owner_id = ann.id
    falls_back = _partnership(session, org, owner=None)
    own = _partnership(session, factories.organization(session, name="Other"), owner=ben)
    nobody = _partnership(session, factories.organization(session, name="Orphan"), owner=None)
    section = attention.renewals_due(session, today=TODAY)
    owners = {i.record_id: (i.owner_id, i.owner_label) for i in section.items}
    assert owners == {
        falls_back.id: (ann.id, "Ann"),
        own.id: (ben.id, "Ben"),
        nobody.id: (None, "Unassigned"),
    }
    for item in section.items:
        assert item.due_on == TODAY + timedelta(days=20 - 30)
    assert ids_of(attention.renewals_due(session, today=TODAY, owner_id=ann.id)) == [falls_back.id]
    assert ids_of(attention.renewals_due(session, today=TODAY, owner_id=ben.id)) == [own.id]

    # Ben is deactivated: his partnership is unassigned (not handed to the organization's
    # owner: someone has to take it over), and it leaves his "mine".
    ben.active = False
    session.flush()
    item = next(
        i for i in attention.renewals_due(session, today=TODAY).items if i.record_id == own.id
    )
    assert (item.owner_id, item.owner_label) == (None, "Unassigned (was Ben, deactivated)")
    assert attention.renewals_due(session, today=TODAY, owner_id=ben.id).count == 0
    assert attention.unassigned_count(session, today=TODAY) == 2


def test_a_commitment_without_owner_falls_to_its_funder(session: Session) -> None:
    ann, ben = _user(session, "Ann"), _user(session, "Ben")
    funder = factories.organization(session, name="Fund")
    funder.owner_id = ann.id
    by_funder = factories.commitment(
        session, amount="1000", currency="EUR", pledged_on=TODAY - timedelta(days=40), funder=funder
    )
    own = factories.commitment(
        session,
        amount="2000",
        currency="EUR",
        pledged_on=TODAY - timedelta(days=30),
        funder=funder,
        owner_id=ben.id,
    )
    session.flush()
    section = attention.unconfirmed_pledges(session, today=TODAY)
    assert {i.record_id: i.owner_id for i in section.items} == {
        by_funder.id: ann.id,
        own.id: ben.id,
    }
    assert {i.record_id: i.due_on for i in section.items} == {
        by_funder.id: by_funder.period_start,
        own.id: own.period_start,
    }
    mine = attention.unconfirmed_pledges(session, today=TODAY, owner_id=ann.id)
    assert (mine.count, ids_of(mine)) == (1, [by_funder.id])


def test_a_hotline_item_belongs_to_the_hotlines_liaison(session: Session) -> None:
    ann = _user(session, "Ann")
    joined = [(date(2020, 1, 1), MembershipStatus.FULL)]
    liaison = factories.hotline(session, country="NL", events=joined)
    liaison.owner_id = ann.id
    other = factories.hotline(session, country="BE", events=joined)
    session.flush()
    section = attention.missing_statistics(session, today=TODAY)
    assert {i.record_id: i.owner_label for i in section.items} == {
        liaison.id: "Ann",
        other.id: "Unassigned",
    }
    assert ids_of(attention.missing_statistics(session, today=TODAY, owner_id=ann.id)) == [
        liaison.id
    ]


def ids_of(section: attention.AttentionSection) -> list[int]:
    return [i.record_id for i in section.items]


def test_every_demo_manager_has_items_of_their_own_and_some_are_unassigned(
    session: Session,
) -> None:
    load_demo_cached(session, today=DEMO_TODAY)
    managers = session.scalars(
        sa.select(User).where(User.role == "manager", User.active.is_(True))
    ).all()
    assert len(managers) >= 3
    for manager in managers:
        mine = attention.needs_attention(session, today=DEMO_TODAY, owner_id=manager.id)
        assert mine.total > 0, manager.full_name
    assert attention.unassigned_count(session, today=DEMO_TODAY) > 0
