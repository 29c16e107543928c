"""The interaction log: who took part (contacts of the organization only), a coordination
note, a follow-up with an active owner, "last contacted" derived from it, the timelines, and
the follow-ups due in needs-attention."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.auth.models import User
from coordapp.errors import ValidationError
from coordapp.main import attention
from coordapp.partners import contacts, interactions, last_contacted
from coordapp.partners.interaction_models import Interaction, interaction_participants
from coordapp.partners.models import Contact, Organization
from coordapp.validation import COORDINATION_ONLY
from tests import factories
from tests.conftest import PASSWORD

TODAY = date.today()


def user(session: Session, email: str = "owner@test.example", role: str = "manager") -> User:
    return auth.create_user(
        session, email=email, full_name=email.split("@")[0].title(), role=role, password=PASSWORD
    )


def arrange(session: Session) -> tuple[Organization, Contact, Contact]:
    org = factories.organization(session, name="Searchlight")
    return (
        org,
        factories.contact(session, organization=org, full_name="Ana Costa"),
        factories.contact(session, organization=org, full_name="Ben Ortiz"),
    )


def good(org: Organization, *people: Contact, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "organization_id": str(org.id),
        "occurred_on": TODAY - timedelta(days=3),
        "kind": "call",
        "participant_ids": [str(c.id) for c in people],
        "note": "Agreed to share the quarterly coverage figures.",
    }
    return {**data, **changes}


def count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count(Interaction.id))) or 0


def test_an_interaction_is_stored_with_its_participants_and_follow_up(session: Session) -> None:
    org, ana, ben = arrange(session)
    owner = user(session)
    due = TODAY + timedelta(days=10)
    made = interactions.create_interaction(
        session,
        data=good(org, ben, ana, follow_up_on=due, follow_up_owner_id=str(owner.id)),
    )
    assert made.kind == "call"
    assert [c.full_name for c in made.participants] == ["Ana Costa", "Ben Ortiz"]
    assert (made.follow_up_on, made.follow_up_owner_id, made.follow_up_done_on) == (
        due,
        owner.id,
        None,
    )
    changed = interactions.update_interaction(session, obj=made, data=good(org, ben, kind="email"))
    assert changed.kind == "email"
    assert [c.full_name for c in changed.participants] == ["Ben Ortiz"]
    assert changed.follow_up_on is None  # the follow-up was cleared with the form


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"note": "Details at https://files.example/report/77"}, "note", COORDINATION_ONLY),
        ({"occurred_on": ""}, "occurred_on", "Enter the date it took place"),
        ({"occurred_on": "2026-02-30"}, "occurred_on", ""),
        ({"occurred_on": date(1980, 1, 1)}, "occurred_on", "not plausible"),
        ({"occurred_on": TODAY + timedelta(days=1)}, "occurred_on", "once it has taken place"),
        ({"kind": "fax"}, "kind", "is not one of"),
        ({"organization_id": ""}, "organization_id", "Choose the organization"),
        ({"organization_id": "999999"}, "organization_id", "There is no organization"),
        ({"participant_ids": ["999999"]}, "participant_ids", "There is no contact"),
        ({"participant_ids": ["x"]}, "participant_ids", "is not a contact"),
        ({"follow_up_on": TODAY}, "follow_up_owner_id", "both a due date and an owner"),
        ({"follow_up_done_on": TODAY}, "follow_up_done_on", "no follow-up to mark done"),
        (
            {"follow_up_on": TODAY - timedelta(days=30), "follow_up_owner_id": "OWNER"},
            "follow_up_on",
            "cannot be due before the interaction",
        ),
    ],
)
def test_bad_input_is_refused_with_a_clear_message_and_nothing_written(
    session: Session, change: dict[str, object], field: str, message: str
) -> None:
    org, ana, _ = arrange(session)
    if change.get("follow_up_owner_id") == "OWNER":
        change = {**change, "follow_up_owner_id": str(user(session).id)}
    with pytest.raises(ValidationError) as caught:
        interactions.create_interaction(session, data=good(org, ana, **change))
    assert caught.value.field == field
    assert message in caught.value.message
    assert count(session) == 0


def test_a_contact_of_another_organization_cannot_take_part(session: Session) -> None:
    org, ana, _ = arrange(session)
    other = factories.organization(session, name="Bright Data Co")
    stranger = factories.contact(session, organization=other, full_name="Cy Stranger")
    with pytest.raises(ValidationError) as caught:
        interactions.create_interaction(session, data=good(org, ana, stranger))
    assert caught.value.field == "participant_ids"
    assert "Cy Stranger is a contact of Bright Data Co, not of Searchlight" in caught.value.message
    assert count(session) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(interaction_participants)) == 0


def test_a_deactivated_owner_is_refused_and_nothing_written(session: Session) -> None:
    org, ana, _ = arrange(session)
    gone = user(session, "gone@test.example")
    auth.set_active(session, user=gone, active=False)
    data = good(org, ana, follow_up_on=TODAY, follow_up_owner_id=str(gone.id))
    with pytest.raises(ValidationError) as caught:
        interactions.create_interaction(session, data=data)
    assert caught.value.field == "follow_up_owner_id"
    assert "Gone is deactivated and cannot own a follow-up" in caught.value.message
    assert count(session) == 0


def test_a_viewer_may_own_a_follow_up(session: Session) -> None:
    org, ana, _ = arrange(session)
    viewer = user(session, "viewer@test.example", role="viewer")
    made = interactions.create_interaction(
        session, data=good(org, ana, follow_up_on=TODAY, follow_up_owner_id=str(viewer.id))
    )
    assert made.follow_up_owner_id == viewer.id
    assert interactions.get_interaction(session, made.id) is made


def test_an_owner_deactivated_later_stays_on_an_edited_interaction(session: Session) -> None:
    org, ana, _ = arrange(session)
    owner = user(session)
    made = interactions.create_interaction(
        session, data=good(org, ana, follow_up_on=TODAY, follow_up_owner_id=str(owner.id))
    )
    auth.set_active(session, user=owner, active=False)
    kept = interactions.update_interaction(
        session,
        obj=made,
        data=good(org, ana, note="Moved.", follow_up_on=TODAY, follow_up_owner_id=str(owner.id)),
    )
    assert kept.note == "Moved." and kept.follow_up_owner_id == owner.id


def test_follow_up_done_closes_it_and_never_before_the_interaction(session: Session) -> None:
    org, ana, _ = arrange(session)
    owner = user(session)
    data = good(org, ana, follow_up_on=TODAY, follow_up_owner_id=str(owner.id))
    with pytest.raises(ValidationError, match="before the interaction took place"):
        interactions.create_interaction(
            session, data={**data, "follow_up_done_on": TODAY - timedelta(days=30)}
        )
    assert count(session) == 0
    made = interactions.create_interaction(session, data=data)
    interactions.mark_follow_up_done(session, interaction=made)
    assert made.follow_up_done_on == TODAY
    plain = interactions.create_interaction(session, data=good(org, ana))
    with pytest.raises(ValidationError, match="no follow-up"):
        interactions.mark_follow_up_done(session, interaction=plain)


def test_last_contacted_is_the_latest_interaction_else_the_date_typed_before(
    session: Session,
) -> None:
    org, ana, ben = arrange(session)
    typed = TODAY - timedelta(days=400)
    ana.last_contacted_on = typed
    ben.last_contacted_on = TODAY - timedelta(days=300)
    session.flush()
    # No interaction yet: the dates typed by hand before the log count.
    assert last_contacted.last_contacted_of_contact(session, ana) == typed
    assert last_contacted.last_contacted_of_organization(session, org) == ben.last_contacted_on
    # An older interaction still replaces the typed date: the log is the one source once used.
    older = TODAY - timedelta(days=500)
    interactions.create_interaction(session, data=good(org, ana, occurred_on=older))
    assert last_contacted.last_contacted_of_contact(session, ana) == older
    assert last_contacted.last_contacted_of_organization(session, org) == older
    recent = TODAY - timedelta(days=2)
    interactions.create_interaction(session, data=good(org, ben, occurred_on=recent))
    assert last_contacted.last_contacted_of_contacts(session, [ana.id, ben.id]) == {
        ana.id: older,
        ben.id: recent,
    }
    assert last_contacted.last_contacted_of_organization(session, org) == recent
    never = factories.contact(session, organization=org, full_name="Cleo Never")
    assert last_contacted.last_contacted_of_contact(session, never) is None


def test_timelines_are_newest_first(session: Session) -> None:
    org, ana, ben = arrange(session)
    days = [40, 5, 200]
    for days_ago in days:
        interactions.create_interaction(
            session, data=good(org, ana, occurred_on=TODAY - timedelta(days=days_ago))
        )
    interactions.create_interaction(
        session, data=good(org, ben, occurred_on=TODAY - timedelta(days=1))
    )
    assert [i.occurred_on for i in interactions.timeline_of_organization(session, org.id)] == [
        TODAY - timedelta(days=d) for d in (1, 5, 40, 200)
    ]
    assert [i.occurred_on for i in interactions.timeline_of_contact(session, ana.id)] == [
        TODAY - timedelta(days=d) for d in (5, 40, 200)
    ]


def test_follow_ups_due_within_a_week_or_overdue_name_their_owner(session: Session) -> None:
    org, ana, _ = arrange(session)
    owner = user(session)

    def follow_up(days: int, done: bool = False) -> Interaction:
        made = interactions.create_interaction(
            session,
            data=good(
                org,
                ana,
                occurred_on=TODAY - timedelta(days=10),
                follow_up_on=TODAY + timedelta(days=days),
                follow_up_owner_id=str(owner.id),
            ),
        )
        if done:
            interactions.mark_follow_up_done(session, interaction=made)
        return made

    overdue, soon, _later, _done = follow_up(-4), follow_up(7), follow_up(8), follow_up(-1, True)
    rows = session.execute(interactions.follow_ups_due_select(TODAY)).all()
    assert [(r.id, r.owner_name, r.name) for r in rows] == [
        (overdue.id, "Owner", "Searchlight"),
        (soon.id, "Owner", "Searchlight"),
    ]


def test_a_contacts_export_lists_their_interactions_and_erasure_removes_them(
    session: Session,
) -> None:
    org, ana, ben = arrange(session)
    both = interactions.create_interaction(session, data=good(org, ana, ben))
    interactions.create_interaction(session, data=good(org, ben, note="Only Ben."))
    exported = contacts.export_contact(session, contact=ana)
    assert [row["id"] for row in exported["interactions"]] == [both.id]
    assert exported["interactions"][0]["participants"] == ["Ana Costa", "Ben Ortiz"]
    contacts.erase_contact(session, contact=ana)
    session.refresh(both)
    assert [c.full_name for c in both.participants] == ["Ben Ortiz"]
    assert interactions.timeline_of_contact(session, ana.id) == []
    # An erased contact cannot be added again.
    with pytest.raises(ValidationError, match="erased"):
        interactions.create_interaction(session, data=good(org, ana))


def test_needs_attention_lists_follow_ups_due_with_their_owner(session: Session) -> None:
    org, ana, _ = arrange(session)
    owner = user(session, "dana@test.example")
    overdue = interactions.create_interaction(
        session,
        data=good(
            org,
            ana,
            occurred_on=TODAY - timedelta(days=20),
            follow_up_on=TODAY - timedelta(days=3),
            follow_up_owner_id=str(owner.id),
        ),
    )
    interactions.create_interaction(
        session,
        data=good(
            org, ana, follow_up_on=TODAY + timedelta(days=30), follow_up_owner_id=str(owner.id)
        ),
    )
    sections = {s.key: s for s in attention.needs_attention(session, today=TODAY).sections}
    follow_ups = sections["follow_ups"]
    assert follow_ups.title == "Follow-ups due" and follow_ups.count == 1
    (item,) = follow_ups.items
    assert (item.record_id, item.overdue) == (overdue.id, True)
    assert item.label.startswith("Searchlight: follow-up of the call of")
    assert item.detail.endswith("(3 days ago)")
    assert (item.owner_id, item.owner_name) == (owner.id, "Dana")
    interactions.mark_follow_up_done(session, interaction=overdue)
    sections = {s.key: s for s in attention.needs_attention(session, today=TODAY).sections}
    assert sections["follow_ups"].count == 0
