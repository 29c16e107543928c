"""Users administration: admins only; roles, deactivation at once, the last admin is kept."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.auth import service
from coordapp.auth.models import Role, User
from coordapp.errors import ValidationError
from coordapp.records.service import StaleRecord
from tests.conftest import PASSWORD, sign_in

InApp = Callable[[], AbstractContextManager[Session]]
NEW = {
    "email": "New.Person@Test.Example",
    "full_name": "New Person",
    "role": "manager",
    "password": "long-enough-1",
}


def make(session: Session, email: str, role: str = "admin", active: bool = True) -> User:
    user = service.create_user(
        session, email=email, full_name=email.split("@")[0], role=role, password=PASSWORD
    )
    if not active:
        service.set_active(session, user=user, active=False)
    return user


# --- service ---------------------------------------------------------------------------------


def test_create_account_cleans_and_checks(session: Session) -> None:
    user = service.create_account(session, data=NEW)
    assert (user.email, user.full_name, user.role, user.active) == (
        "new.person@test.example",
        "New Person",
        Role.MANAGER,
        True,
    )
    assert service.authenticate(session, email=NEW["email"], password=NEW["password"]) is user


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"email": "nobody"}, "email", "is not a valid email address"),
        ({"email": ""}, "email", "is required"),
        ({"email": "a" * 250 + "@x.org"}, "email", "At most 254"),
        ({"email": "NEW.person@test.example"}, "email", "already exists"),
        ({"full_name": ""}, "full_name", "required"),
        ({"full_name": "n" * 161}, "full_name", "At most 160"),
        ({"role": "root"}, "role", "is not one of"),
        ({"password": "short"}, "password", "at least 12 characters"),
    ],
)
def test_create_account_refuses_bad_input(
    session: Session, change: dict[str, str], field: str, message: str
) -> None:
    service.create_account(session, data=NEW)
    with pytest.raises(ValidationError) as caught:
        service.create_account(session, data={**NEW, "email": "other@test.example", **change})
    assert (caught.value.field, message in caught.value.message) == (field, True)


def test_update_account_changes_role_and_checks_the_version(session: Session) -> None:
    make(session, "boss@test.example")
    user = make(session, "u@test.example", role="viewer")
    data = {"email": "u@test.example", "full_name": "You", "role": "manager"}
    service.update_account(session, obj=user, data=data, expected_version=user.version)
    assert (user.role, user.full_name) == (Role.MANAGER, "You")
    with pytest.raises(StaleRecord):
        service.update_account(session, obj=user, data=data, expected_version=1)


def test_the_last_active_admin_cannot_be_demoted_or_deactivated(session: Session) -> None:
    only = make(session, "only@test.example")
    make(session, "retired@test.example", active=False)  # an inactive admin does not count
    data = {"email": only.email, "full_name": "Only", "role": "manager"}
    with pytest.raises(ValidationError, match="last active admin") as caught:
        service.update_account(session, obj=only, data=data, expected_version=only.version)
    assert caught.value.field == "role"
    with pytest.raises(ValidationError, match="last active admin"):
        service.deactivate_user(session, user=only)
    assert (only.role, only.active) == (Role.ADMIN, True)
    # With a second active admin both are possible.
    make(session, "second@test.example")
    service.deactivate_user(session, user=only)
    assert not only.active


def test_deactivate_and_reactivate(session: Session) -> None:
    make(session, "boss@test.example")
    user = make(session, "u@test.example", role="manager")
    service.deactivate_user(session, user=user)
    assert service.authenticate(session, email=user.email, password=PASSWORD) is None
    service.reactivate_user(session, user=user)
    assert service.authenticate(session, email=user.email, password=PASSWORD) is user


def test_password_reset_is_checked_and_audited_without_the_password(session: Session) -> None:
    user = make(session, "u@test.example", role="viewer")
    with pytest.raises(ValidationError, match="at least 12") as caught:
        service.reset_password(session, user=user, password="short")
    assert caught.value.field == "password"
    service.reset_password(session, user=user, password="a-new-secret-1")
    assert service.authenticate(session, email=user.email, password="a-new-secret-1") is user
    assert service.authenticate(session, email=user.email, password=PASSWORD) is None
    events = audit.events_for(session, entity_type="users", entity_id=user.id)
    assert events[-1].action == "password_reset"
    assert "a-new-secret-1" not in str([(e.changes, e.summary) for e in events])


# --- pages -------------------------------------------------------------------------------


def user_id(in_app: InApp, email: str) -> int:
    with in_app() as s:
        return service.get_required_by_email(s, email).id


ROUTES = [
    ("GET", "/auth/users/", None),
    ("GET", "/auth/users/?format=csv", None),
    ("GET", "/auth/users/{id}", None),
    ("GET", "/auth/users/new", None),
    ("POST", "/auth/users/new", {**NEW}),
    ("GET", "/auth/users/{id}/edit", None),
    ("POST", "/auth/users/{id}/password", {"password-password": "another-pass-1"}),
    ("POST", "/auth/users/{id}/deactivate", {}),
    ("POST", "/auth/users/{id}/reactivate", {}),
    ("GET", "/auth/users/{id}/personal-data", None),
    ("POST", "/auth/users/{id}/erase", {"erase-confirm": "y"}),
]


@pytest.mark.parametrize(("method", "path", "data"), ROUTES)
def test_anonymous_users_are_sent_to_sign_in(
    client: FlaskClient, users: dict[str, str], in_app: InApp, method: str, path: str, data: object
) -> None:
    target = path.format(id=user_id(in_app, users["viewer"]))
    response = client.open(target, method=method, data=data)
    assert response.status_code == 302 and "/auth/sign-in" in response.location


@pytest.mark.parametrize("role", ["viewer", "manager"])
@pytest.mark.parametrize(("method", "path", "data"), ROUTES)
def test_viewers_and_managers_get_403_everywhere(
    signed_in: Callable[[str], FlaskClient],
    users: dict[str, str],
    in_app: InApp,
    role: str,
    method: str,
    path: str,
    data: object,
) -> None:
    client = signed_in(role)
    target = path.format(id=user_id(in_app, users["viewer"]))
    assert client.open(target, method=method, data=data).status_code == 403


@pytest.mark.parametrize(
    ("method", "path", "data", "status"),
    [(m, p, d, 200 if m == "GET" else 302) for m, p, d in ROUTES],
)
def test_admins_use_every_route(
    signed_in: Callable[[str], FlaskClient],
    users: dict[str, str],
    in_app: InApp,
    method: str,
    path: str,
    data: object,
    status: int,
) -> None:
    client = signed_in("admin")
    target = path.format(id=user_id(in_app, users["viewer"]))
    assert client.open(target, method=method, data=data).status_code == status


def test_admin_menu_and_list(
    signed_in: Callable[[str], FlaskClient], users: dict[str, str]
) -> None:
    client = signed_in("admin")
    assert 'href="/auth/users/"' in client.get("/").data.decode()
    html = client.get("/auth/users/?role=manager").data.decode()
    assert users["manager"] in html and users["viewer"] not in html
    assert users["viewer"] in client.get("/auth/users/?q=VIEWER").data.decode()
    for query in ("page=abc", "sort=;drop", "role=root", "active=perhaps"):
        assert client.get(f"/auth/users/?{query}").status_code == 200


def test_admin_creates_a_user_who_can_sign_in(
    signed_in: Callable[[str], FlaskClient], client: FlaskClient
) -> None:
    admin = signed_in("admin")
    response = admin.post("/auth/users/new", data=NEW)
    assert response.status_code == 302
    assert "new.person@test.example" in admin.get(response.location).data.decode()
    admin.post("/auth/sign-out")
    assert sign_in(client, "new.person@test.example", NEW["password"]).status_code == 302


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "x@"}, "is not a valid email address"),
        ({"email": "admin@test.example"}, "already exists"),
        ({"password": "123456789"}, "at least 12 characters"),
        ({"role": "owner"}, "is not one of"),
        ({"full_name": "x" * 170}, "longer than 160"),
    ],
)
def test_create_form_shows_what_is_wrong(
    signed_in: Callable[[str], FlaskClient], change: dict[str, str], message: str
) -> None:
    response = signed_in("admin").post("/auth/users/new", data={**NEW, **change})
    assert response.status_code == 422
    assert message in response.data.decode().replace("&#39;", "'")


def test_deactivation_is_effective_at_once(
    app: object, users: dict[str, str], in_app: InApp
) -> None:
    from flask import Flask

    assert isinstance(app, Flask)
    admin, victim = app.test_client(), app.test_client()
    assert sign_in(admin, users["admin"]).status_code == 302
    assert sign_in(victim, users["manager"]).status_code == 302
    assert victim.get("/partnerships/").status_code == 200
    target = user_id(in_app, users["manager"])
    assert admin.post(f"/auth/users/{target}/deactivate").status_code == 302
    response = victim.get("/partnerships/")
    assert response.status_code == 302 and "/auth/sign-in" in response.location
    assert sign_in(victim, users["manager"]).status_code == 401
    assert admin.post(f"/auth/users/{target}/reactivate").status_code == 302
    assert sign_in(victim, users["manager"]).status_code == 302


def test_role_change_takes_effect_on_the_next_request(
    app: object, users: dict[str, str], in_app: InApp
) -> None:
    from flask import Flask

    assert isinstance(app, Flask)
    admin, manager = app.test_client(), app.test_client()
    sign_in(admin, users["admin"])
    sign_in(manager, users["manager"])
    assert manager.get("/contacts/new").status_code == 200
    target = user_id(in_app, users["manager"])
    response = admin.post(
        f"/auth/users/{target}/edit",
        data={"email": users["manager"], "full_name": "Demoted", "role": "viewer", "version": "1"},
    )
    assert response.status_code == 302
    # The session opened under the old role ends; signed in again, the new role applies.
    ended = manager.get("/contacts/new")
    assert ended.status_code == 302 and ended.location.startswith("/auth/sign-in")
    sign_in(manager, users["manager"])
    assert manager.get("/contacts/new").status_code == 403


def test_the_last_admin_cannot_lock_everybody_out(
    signed_in: Callable[[str], FlaskClient], users: dict[str, str], in_app: InApp
) -> None:
    client = signed_in("admin")
    me = user_id(in_app, users["admin"])
    refused = client.post(f"/auth/users/{me}/deactivate")
    assert refused.status_code == 422
    assert "is the last active admin" in refused.data.decode()
    demoted = client.post(
        f"/auth/users/{me}/edit",
        data={"email": users["admin"], "full_name": "Me", "role": "manager", "version": "1"},
    )
    assert demoted.status_code == 422 and "is the last active admin" in demoted.data.decode()
    with in_app() as s:
        user = s.get_one(User, me)
        assert (user.role, user.active) == (Role.ADMIN, True)
    # Once there is another admin, an admin may step down.
    other = user_id(in_app, users["manager"])
    client.post(
        f"/auth/users/{other}/edit",
        data={"email": users["manager"], "full_name": "Other", "role": "admin", "version": "1"},
    )
    assert client.post(f"/auth/users/{me}/deactivate").status_code == 302
    assert client.get("/auth/users/").status_code == 302  # signed out at once


def test_password_reset_from_the_page(
    signed_in: Callable[[str], FlaskClient],
    users: dict[str, str],
    in_app: InApp,
    client: FlaskClient,
) -> None:
    admin = signed_in("admin")
    target = user_id(in_app, users["viewer"])
    short = admin.post(f"/auth/users/{target}/password", data={"password-password": "short"})
    assert short.status_code == 422 and "at least 12 characters" in short.data.decode()
    assert (
        admin.post(
            f"/auth/users/{target}/password", data={"password-password": "brand-new-pass"}
        ).status_code
        == 302
    )
    admin.post("/auth/sign-out")
    assert sign_in(client, users["viewer"], PASSWORD).status_code == 401
    assert sign_in(client, users["viewer"], "brand-new-pass").status_code == 302


def test_unknown_user_is_404(signed_in: Callable[[str], FlaskClient]) -> None:
    client = signed_in("admin")
    assert client.get("/auth/users/999999").status_code == 404
    assert client.post("/auth/users/999999/deactivate").status_code == 404


def test_user_actions_need_the_csrf_token(
    app: object, signed_in: Callable[[str], FlaskClient], users: dict[str, str], in_app: InApp
) -> None:
    from flask import Flask

    assert isinstance(app, Flask)
    client = signed_in("admin")
    target = user_id(in_app, users["viewer"])
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(f"/auth/users/{target}/deactivate").status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with in_app() as s:
        assert s.scalar(sa.select(User.active).where(User.id == target)) is True


def test_sign_in_with_a_nul_in_the_email_is_a_plain_failure(
    client: FlaskClient, users: dict[str, str]
) -> None:
    assert sign_in(client, "admin\x00@test.example").status_code == 401
