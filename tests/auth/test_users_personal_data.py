"""A user's personal data: the export, and an erasure that keeps what they did but not who."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.audit.models import AuditEvent
from coordapp.auth import service
from coordapp.auth.models import ApiToken, Role, User
from coordapp.errors import ValidationError
from coordapp.partners.models import Partnership
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
    # Business records stay, owned by the (now anonymous) account.
    assert session.get_one(Partnership, agreement.id).owner_id == person.id
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
