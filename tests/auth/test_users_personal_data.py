"""A user's personal data: the export, and an erasure that keeps what they did but not who."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.audit.models import AuditEvent
from coordapp.auth import calendar_feeds, service
from coordapp.auth.models import ApiToken, CalendarFeed, Role, User
from coordapp.digest.models import DigestDelivery
from coordapp.errors import ValidationError
from coordapp.funding.models import FundingCommitment
from coordapp.main.attention import needs_attention
from coordapp.network.models import ExpansionTarget, Hotline
from coordapp.partners.interaction_models import Interaction
from coordapp.partners.models import Organization, Partnership
from tests import factories
from tests.conftest import PASSWORD, sign_in

InApp = Callable[[], AbstractContextManager[Session]]


def arrange(session: Session) -> tuple[User, User, Partnership]:
    """An admin, and a manager who was renamed, owns an agreement, has a token and edits."""
    audit.set_actor(session, actor_id=None, label="cli:users")
    admin = service.create_user(
        session, email="boss@test.example", full_name="Boss", role="admin", password=PASSWORD
    )
    person = service.create_user(
        session,
        email="jane.doe@test.example",
        full_name="Jane Doe",
        role="manager",
        password=PASSWORD,
    )
    service.update_account(
        session,
        obj=person,
        data={"email": "jane@test.example", "full_name": "Jane Q. Doe", "role": "manager"},
        expected_version=person.version,
    )
    session.add(
        ApiToken(user_id=person.id, name="sync script", token_hash="0" * 64, prefix="cdp_abc")
    )
    audit.set_actor(session, actor_id=person.id, label=person.email)
    agreement = factories.partnership(session, title="Hash MoU", owner_id=person.id)
    audit.set_actor(session, actor_id=admin.id, label=admin.email)
    session.flush()
    return admin, person, agreement


def test_export_holds_the_account_tokens_ownership_history_and_actions(session: Session) -> None:
    _, person, agreement = arrange(session)
    data = service.export_user(session, user=person)
    assert data["user"]["email"] == "jane@test.example"
    assert data["user"]["full_name"] == "Jane Q. Doe"
    assert data["user"]["role"] == "manager"
    assert [t["name"] for t in data["api_tokens"]] == ["sync script"]
    assert "token_hash" not in json.dumps(data) and "password" not in json.dumps(data)
    assert data["partnerships_owned"] == [{"id": agreement.id, "title": "Hash MoU"}]
    assert [e["action"] for e in data["history"]] == ["create", "update"]
    assert {
        "action": "create",
        "entity_type": "partnerships",
        "entity_id": str(agreement.id),
    }.items() <= data["actions"][-1].items()
    json.dumps(data)


def test_erasure(session: Session) -> None:
    admin, person, agreement = arrange(session)
    service.erase_user(session, user=person, actor_id=admin.id)

    assert person.full_name == f"Erased user #{person.id}"
    assert person.email == f"erased-{person.id}@invalid.example"
    assert not person.active
    assert service.authenticate(session, email=person.email, password=PASSWORD) is None
    assert all(t.revoked_at is not None for t in person.tokens)
    # Business records stay, but no longer tied to the person: unassigned, and audited so.
    assert session.get_one(Partnership, agreement.id).owner_id is None
    unassigned = audit.events_for(session, entity_type="partnerships", entity_id=agreement.id)[-1]
    assert unassigned.changes["owner_id"] == [person.id, None]
    # No earlier event shows the old name or email, as values or as the actor.
    every_event = session.scalars(sa.select(AuditEvent)).all()
    text = json.dumps([[e.actor_label, e.changes, e.summary] for e in every_event])
    for value in ("Jane Doe", "Jane Q. Doe", "jane.doe@test.example", "jane@test.example"):
        assert value not in text, value
    mine = [e for e in every_event if e.actor_id == person.id]
    assert mine and {e.actor_label for e in mine} == {f"erased-{person.id}"}
    history = audit.events_for(session, entity_type="users", entity_id=person.id)
    assert [e.action for e in history] == ["create", "update", "erase"]
    assert history[0].changes["email"] == [None, audit.ERASED]
    assert history[0].changes["role"] == [None, "manager"]  # not personal: kept
    assert history[-1].actor_label == "boss@test.example"
    # The admin's own events are untouched.
    assert any(e.actor_label == "boss@test.example" for e in every_event)


def test_erasure_refusals(session: Session) -> None:
    admin, person, _ = arrange(session)
    with pytest.raises(ValidationError, match="your own account"):
        service.erase_user(session, user=admin, actor_id=admin.id)
    with pytest.raises(ValidationError, match="last active admin"):
        service.erase_user(session, user=admin, actor_id=None)
    service.erase_user(session, user=person, actor_id=admin.id)
    count = session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    service.erase_user(session, user=person, actor_id=admin.id)  # twice: nothing more
    assert session.scalar(sa.select(sa.func.count(AuditEvent.id))) == count
    with pytest.raises(ValidationError, match="cannot be reactivated"):
        service.reactivate_user(session, user=person)
    with pytest.raises(ValidationError, match="was erased"):
        service.update_account(
            session,
            obj=person,
            data={"email": "back@test.example", "full_name": "Back", "role": "viewer"},
            expected_version=person.version,
        )
    assert admin.role == Role.ADMIN and admin.active


# --- pages -------------------------------------------------------------------------------


def test_admin_exports_and_erases_from_the_page(
    signed_in: Callable[[str], FlaskClient],
    users: dict[str, str],
    in_app: InApp,
    client: FlaskClient,
) -> None:
    with in_app() as s:
        target = service.get_required_by_email(s, users["viewer"]).id
    admin = signed_in("admin")
    export = admin.get(f"/auth/users/{target}/personal-data")
    assert export.status_code == 200 and export.mimetype == "application/json"
    assert export.json is not None and export.json["user"]["email"] == users["viewer"]
    assert admin.post(f"/auth/users/{target}/erase", data={}).status_code == 422
    response = admin.post(f"/auth/users/{target}/erase", data={"erase-confirm": "y"})
    assert response.status_code == 302
    page = admin.get(f"/auth/users/{target}").data.decode()
    assert f"Erased user #{target}" in page and users["viewer"] not in page
    assert users["viewer"] not in admin.get("/audit/").data.decode()
    admin.post("/auth/sign-out")
    assert sign_in(client, users["viewer"]).status_code == 401


def test_admin_cannot_erase_themself(
    signed_in: Callable[[str], FlaskClient], users: dict[str, str], in_app: InApp
) -> None:
    with in_app() as s:
        me = service.get_required_by_email(s, users["admin"]).id
    response = signed_in("admin").post(f"/auth/users/{me}/erase", data={"erase-confirm": "y"})
    assert response.status_code == 422
    assert "You cannot erase your own account" in response.data.decode()


def test_export_lists_the_pipeline_work_they_own(session: Session) -> None:
    """Ownership held by other domains reaches the export through ``auth.user_export``."""
    _, person, _ = arrange(session)
    target = factories.expansion_target(session, country="MT", stages=[])
    target.owner_id = person.id
    session.flush()
    data = service.export_user(session, user=person)
    assert data["expansion_targets_owned"] == [{"id": target.id, "country": "MT"}]


def test_export_lists_the_organizations_hotlines_and_commitments_they_own(
    session: Session,
) -> None:
    _, person, _ = arrange(session)
    org = factories.organization(session, name="Owned Org")
    hotline = factories.hotline(session, country="MT", name="Owned Hotline")
    pledge = factories.commitment(
        session, amount="10", currency="EUR", pledged_on=date(2026, 1, 5), title="Owned pledge"
    )
    for record in (org, hotline, pledge):
        record.owner_id = person.id
    session.flush()
    data = service.export_user(session, user=person)
    assert data["organizations_owned"] == [{"id": org.id, "name": "Owned Org"}]
    assert data["hotlines_owned"] == [{"id": hotline.id, "name": "Owned Hotline"}]
    assert data["funding_commitments_owned"] == [{"id": pledge.id, "title": "Owned pledge"}]


# --- what the other domains keep: digests, the calendar feed, owned records ------------------

TODAY = date.today()  # needs-attention and the feed are asked for today's items


@dataclass
class Held:
    """What the domains above auth hold about ``person`` (ids), arranged by ``hold``."""

    organization: int
    hotline: int
    pledge: int
    target: int
    renewal: int  # a partnership whose renewal falls due in 30 days
    follow_up: int  # an interaction whose follow-up is due in 3 days
    secret: str  # the live calendar feed's address secret


def hold(session: Session, person: User, other: User) -> Held:
    """Ownership in every domain, two digests sent (and one to ``other``), a replaced feed."""
    org = factories.organization(session, name="Owned Org")
    hotline = factories.hotline(session, country="MT", name="Owned Hotline")
    pledge = factories.commitment(
        session, amount="10", currency="EUR", pledged_on=date(2026, 1, 5), title="Owned pledge"
    )
    target = factories.expansion_target(session, country="CY", stages=[])
    renewal = factories.partnership(
        session,
        organization=org,
        title="Renewal they own",
        start_date=TODAY - timedelta(days=300),
        end_date=TODAY + timedelta(days=60),
        renewal_notice_days=30,
    )
    for record in (org, hotline, pledge, target, renewal):
        record.owner_id = person.id
    follow_up = factories.follow_up(
        session, organization=org, owner_id=person.id, due_on=TODAY + timedelta(days=3)
    )
    for user, week in ((person, 23), (person, 30), (other, 30)):
        session.add(
            DigestDelivery(
                user_id=user.id,
                week_start=date(2026, 11, week),
                sent_at=datetime(2026, 11, week, 7, 0),
                item_count=3,
            )
        )
    calendar_feeds.create_feed(session, user=person)
    _feed, secret = calendar_feeds.create_feed(session, user=person)  # the first is revoked
    session.flush()
    return Held(org.id, hotline.id, pledge.id, target.id, renewal.id, follow_up.id, secret)


def test_export_holds_digests_sent_the_calendar_feed_and_follow_ups_owned(
    session: Session,
) -> None:
    admin, person, _ = arrange(session)
    held = hold(session, person, admin)
    data = service.export_user(session, user=person)
    assert data["digest_deliveries"] == [
        {"week_start": "2026-11-23", "sent_at": "2026-11-23T07:00:00", "item_count": 3},
        {"week_start": "2026-11-30", "sent_at": "2026-11-30T07:00:00", "item_count": 3},
    ]
    feeds = data["calendar_feeds"]
    assert [f["revoked_at"] is None for f in feeds] == [False, True]
    assert all(f["created_at"] for f in feeds)
    assert data["follow_ups_owned"] == [
        {
            "id": held.follow_up,
            "follow_up_on": (TODAY + timedelta(days=3)).isoformat(),
            "follow_up_done_on": None,
        }
    ]
    assert data["partnerships_owned"][-1] == {"id": held.renewal, "title": "Renewal they own"}
    assert data["expansion_targets_owned"] == [{"id": held.target, "country": "CY"}]
    text = json.dumps(data)  # JSON-ready as it is
    hashes = session.scalars(sa.select(CalendarFeed.secret_hash)).all()
    assert held.secret not in text and hashes and not any(h in text for h in hashes)
    assert "secret" not in text
    # The other user's digest is in their export only; they have no feed.
    theirs = service.export_user(session, user=admin)
    assert [d["week_start"] for d in theirs["digest_deliveries"]] == ["2026-11-30"]
    assert "calendar_feeds" not in theirs


def _owned_by(session: Session, person: User) -> dict[str, int]:
    counts = {}
    for model in (Organization, Hotline, FundingCommitment, ExpansionTarget, Partnership):
        count = session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.owner_id == person.id)
        )
        counts[model.__tablename__] = count or 0
    return counts


def test_erasure_deletes_digests_and_feeds_and_unassigns_what_they_owned(
    session: Session,
) -> None:
    admin, person, _ = arrange(session)
    held = hold(session, person, admin)
    assert set(_owned_by(session, person).values()) == {1, 2}  # two partnerships
    before = needs_attention(session, today=TODAY, limit=None)
    labels = {i.record_id: i.owner_label for s in before.sections for i in s.items}
    assert labels[held.follow_up] == "Jane Q. Doe" and labels[held.renewal] == "Jane Q. Doe"

    service.erase_user(session, user=person, actor_id=admin.id)

    def rows(model: Any) -> int:
        where = model.user_id == person.id
        return session.scalar(sa.select(sa.func.count()).select_from(model).where(where)) or 0

    assert rows(DigestDelivery) == 0 and rows(CalendarFeed) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(DigestDelivery)) == 1  # other's
    assert set(_owned_by(session, person).values()) == {0}
    assert calendar_feeds.user_for_secret(session, secret=held.secret) is None
    # A follow-up must have an owner: it keeps the anonymous account, shown as unassigned.
    follow_up = session.get_one(Interaction, held.follow_up)
    assert follow_up.follow_up_owner_id == person.id
    after = needs_attention(session, today=TODAY, limit=None)
    items = {i.record_id: i for s in after.sections for i in s.items}
    assert items[held.follow_up].owner_label == "Unassigned"
    assert items[held.renewal].owner_label == "Unassigned"
    every_label = " ".join(i.owner_label for s in after.sections for i in s.items)
    assert "Jane" not in every_label and "Erased user" not in every_label
    # Nothing of theirs is left to export either.
    data = service.export_user(session, user=person)
    assert "digest_deliveries" not in data and "calendar_feeds" not in data
    assert data["partnerships_owned"] == [] and data["hotlines_owned"] == []
    # The audit trail records the unassignments, naming no one.
    text = json.dumps([[e.actor_label, e.changes, e.summary] for e in audit_events(session)])
    for value in ("Jane Doe", "Jane Q. Doe", "jane.doe@test.example", "jane@test.example"):
        assert value not in text, value


def audit_events(session: Session) -> list[AuditEvent]:
    return list(session.scalars(sa.select(AuditEvent)))


def test_an_erased_user_is_named_on_no_page_and_their_feed_answers_404(
    app: Flask,
    signed_in: Callable[[str], FlaskClient],
    users: dict[str, str],
    in_app: InApp,
) -> None:
    with in_app() as s:
        admin = service.get_required_by_email(s, users["admin"])
        person = service.create_user(
            s,
            email="gone.person@test.example",
            full_name="Gone Person",
            role="manager",
            password=PASSWORD,
        )
        held = hold(s, person, admin)
        person_id = person.id
    feed_path = f"/calendar/{held.secret}.ics"
    assert app.test_client().get(feed_path).status_code == 200
    client = signed_in("admin")
    pages = (
        "/?items=everyone",
        f"/partnerships/{held.renewal}",
        f"/interactions/{held.follow_up}",
        f"/auth/users/{person_id}",
    )
    assert "Gone Person" in client.get("/?items=everyone").get_data(as_text=True)

    response = client.post(f"/auth/users/{person_id}/erase", data={"erase-confirm": "y"})
    assert response.status_code == 302

    assert app.test_client().get(feed_path).status_code == 404
    for path in pages:
        page = client.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert "Gone Person" not in html and "gone.person@" not in html, path
    home = client.get("/?items=everyone").get_data(as_text=True)
    assert "Erased user" not in home and "Unassigned (was" not in home
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count()).where(CalendarFeed.user_id == person_id)) == 0
        assert s.scalar(sa.select(sa.func.count()).where(DigestDelivery.user_id == person_id)) == 0
