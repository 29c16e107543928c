"""Inviting a hotline user: the one-time, expiring set-password link, from the admin's page to
the person's first sign-in; expired, reused and unknown links refused with nothing written."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent
from coordapp.auth import invites
from coordapp.auth import service as auth
from coordapp.auth.models import Role, SetPasswordLink, User, UserHotline
from coordapp.db import utcnow
from coordapp.errors import ValidationError
from coordapp.network.models import Hotline, MembershipStatus
from tests import factories
from tests.conftest import sign_in

NEW_PASSWORD = "lantern-orchard-quietly-47"


def _hotline(session: Session, country: str = "NL") -> Hotline:
    return factories.hotline(
        session, country=country, events=[(date(2010, 1, 1), MembershipStatus.FULL)]
    )


def _invite(session: Session, hotline: Hotline, **kwargs: object) -> invites.Invitation:
    return invites.invite_hotline_user(
        session,
        email=kwargs.pop("email", "ines@hotline.example"),
        full_name="Ines Analyst",
        hotline_ids=[hotline.id],
        **kwargs,  # type: ignore[arg-type]
    )


def test_an_invitation_makes_a_hotline_user_without_a_password_and_stores_only_a_digest(
    session: Session,
) -> None:
    hotline = _hotline(session)
    invitation = _invite(session, hotline)
    user = invitation.user
    assert user.role == Role.HOTLINE and user.hotline_ids == {hotline.id}
    assert auth.authenticate(session, email=user.email, password="") is None
    link = session.scalars(
        sa.select(SetPasswordLink).where(SetPasswordLink.user_id == user.id)
    ).one()
    assert invitation.token not in link.token_hash and len(link.token_hash) == 64
    assert link.expires_at - utcnow() > timedelta(days=6, hours=23)


def test_the_link_sets_the_password_once(session: Session) -> None:
    invitation = _invite(session, _hotline(session))
    user = invites.use_set_password_link(session, token=invitation.token, password=NEW_PASSWORD)
    assert auth.authenticate(session, email=user.email, password=NEW_PASSWORD) is not None
    with pytest.raises(ValidationError, match="used already"):
        invites.use_set_password_link(
            session, token=invitation.token, password="other-" + NEW_PASSWORD
        )
    actions = {
        e.action
        for e in session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "users", AuditEvent.entity_id == str(user.id)
            )
        )
    }
    assert {"create", "set_password_link", "password_set"} <= actions


def test_an_expired_link_is_refused_and_nothing_is_written(session: Session) -> None:
    invitation = _invite(session, _hotline(session), now=utcnow() - timedelta(days=8))
    hash_before = invitation.user.password_hash
    with pytest.raises(ValidationError, match="expired on"):
        invites.use_set_password_link(session, token=invitation.token, password=NEW_PASSWORD)
    assert invitation.user.password_hash == hash_before
    link = session.scalars(
        sa.select(SetPasswordLink).where(SetPasswordLink.user_id == invitation.user.id)
    ).one()
    assert link.used_at is None


def test_a_new_link_ends_the_earlier_one(session: Session) -> None:
    invitation = _invite(session, _hotline(session))
    newer, _until = invites.new_set_password_link(session, user=invitation.user)
    with pytest.raises(ValidationError, match="used already"):
        invites.usable_link(session, token=invitation.token)
    assert invites.usable_link(session, token=newer).user_id == invitation.user.id


@pytest.mark.parametrize(
    ("email", "hotlines", "message"),
    [
        ("not an address", True, "not a valid email"),
        ("ines@hotline.example", False, "Choose the hotline"),
        ("admin@test.example", True, "already exists"),
    ],
)
def test_invitation_refusals_write_nothing(
    session: Session, users: dict[str, str], email: str, hotlines: bool, message: str
) -> None:
    hotline = _hotline(session)
    count = session.scalar(sa.select(sa.func.count(User.id)))
    with pytest.raises(ValidationError, match=message):
        invites.invite_hotline_user(
            session,
            email=email,
            full_name="Ines",
            hotline_ids=[hotline.id] if hotlines else [],
        )
    assert session.scalar(sa.select(sa.func.count(User.id))) == count


def test_binding_to_a_hotline_that_does_not_exist_is_refused(session: Session) -> None:
    invitation = _invite(session, _hotline(session))
    with pytest.raises(ValidationError, match="no hotline with id"):
        invites.set_user_hotlines(session, user=invitation.user, hotline_ids=[987654])
    assert session.scalar(sa.select(sa.func.count()).select_from(UserHotline)) == 1


def test_the_export_names_the_hotlines_and_the_links_and_erasure_ends_the_link(
    session: Session,
) -> None:
    hotline = _hotline(session)
    invitation = _invite(session, hotline)
    data = auth.export_user(session, user=invitation.user)
    assert data["hotlines"] == [{"id": hotline.id, "name": hotline.name}]
    assert len(data["invitation_links"]) == 1 and "token" not in str(data["invitation_links"])
    auth.erase_user(session, user=invitation.user, actor_id=None)
    with pytest.raises(ValidationError, match="not valid"):
        invites.usable_link(session, token=invitation.token)


# --- the pages ---------------------------------------------------------------------------


def _link_from(page: str) -> str:
    match = re.search(r'value="(http://localhost/auth/set-password/[^"]+)"', page)
    assert match, page[:2000]
    return match.group(1).removeprefix("http://localhost")


def test_admin_invites_and_the_person_sets_a_password_and_lands_on_their_hotline(
    client: FlaskClient,
    users: dict[str, str],
    in_app: Callable[[], AbstractContextManager[Session]],
) -> None:
    with in_app() as s:
        hotline_id = _hotline(s).id
    sign_in(client, users["admin"])
    form = client.get("/auth/users/invite")
    assert form.status_code == 200 and b"Invite a hotline user" in form.data
    page = client.post(
        "/auth/users/invite",
        data={
            "full_name": "Ines Analyst",
            "email": "ines@hotline.example",
            "hotlines": [hotline_id],
        },
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "no mail settings yet" in text
    path = _link_from(text)
    client.post("/auth/sign-out")

    assert client.get(path).status_code == 200
    weak = client.post(path, data={"password": "password", "confirm": "password"})
    assert weak.status_code == 422  # the policy's message, and the link still works
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    home = client.get(done.location, follow_redirects=True)
    assert f'data-my-hotline="{hotline_id}"'.encode() in home.data

    client.post("/auth/sign-out")
    again = client.get(path)
    assert again.status_code == 410 and b"used already" in again.data
    assert sign_in(client, "ines@hotline.example", NEW_PASSWORD).status_code == 302


def test_an_expired_or_unknown_link_shows_why_and_writes_nothing(
    client: FlaskClient, in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    with in_app() as s:
        invitation = _invite(s, _hotline(s), now=utcnow() - timedelta(days=30))
        token = invitation.token
    expired = client.post(
        f"/auth/set-password/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert expired.status_code == 410 and b"expired on" in expired.data
    assert sign_in(client, "ines@hotline.example", NEW_PASSWORD).status_code == 401
    unknown = client.get("/auth/set-password/spl_nothing-like-it")
    assert unknown.status_code == 410 and b"not valid" in unknown.data


def test_admin_makes_a_new_link_from_the_users_page(
    client: FlaskClient,
    users: dict[str, str],
    in_app: Callable[[], AbstractContextManager[Session]],
) -> None:
    with in_app() as s:
        user_id = _invite(s, _hotline(s)).user.id
    sign_in(client, users["admin"])
    assert b"Make a new set-password link" in client.get(f"/auth/users/{user_id}").data
    page = client.post(f"/auth/users/{user_id}/set-password-link")
    assert page.status_code == 200 and "/auth/set-password/spl_" in page.get_data(as_text=True)


# --- the invitation e-mailed when the app has mail (a real SMTP server, tests/_smtp.py) -------


def _invite_by_form(client: FlaskClient, hotline_id: int) -> Any:
    return client.post(
        "/auth/users/invite",
        data={
            "full_name": "Ines Analyst",
            "email": "ines@hotline.example",
            "hotlines": [hotline_id],
        },
    )


def test_with_mail_settings_the_link_is_e_mailed_not_shown_and_it_works(
    client: FlaskClient,
    users: dict[str, str],
    in_app: Callable[[], AbstractContextManager[Session]],
    mail_settings: Any,
) -> None:
    with in_app() as s:
        hotline_id = _hotline(s).id
    sign_in(client, users["admin"])
    response = _invite_by_form(client, hotline_id)
    assert response.status_code == 302
    page = client.get(response.location).get_data(as_text=True)
    assert "Invitation e-mailed to ines@hotline.example" in page
    assert "set-password/spl_" not in page  # the link travels by e-mail only

    (message,) = mail_settings.mailbox.messages
    assert message["To"] == "ines@hotline.example"
    assert message["Subject"] == "Your coordapp account: choose your password"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    # The app's public address (APP_BASE_URL, here under /app), not the request's host.
    match = re.search(r"https://coordapp\.example/app(/auth/set-password/spl_[\w-]+)", text)
    assert match, text
    assert f'<a href="{match.group(0)}"' in html
    assert "<script" not in html and "src=" not in html

    client.post("/auth/sign-out")
    done = client.post(match.group(1), data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    client.post("/auth/sign-out")
    assert sign_in(client, "ines@hotline.example", NEW_PASSWORD).status_code == 302


def test_when_the_server_refuses_the_address_the_link_is_shown_with_the_reason(
    client: FlaskClient,
    users: dict[str, str],
    in_app: Callable[[], AbstractContextManager[Session]],
    mail_settings: Any,
) -> None:
    mail_settings.mailbox.refuse.add("ines@hotline.example")
    with in_app() as s:
        hotline_id = _hotline(s).id
    sign_in(client, users["admin"])
    response = _invite_by_form(client, hotline_id)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "The link could not be e-mailed (the server refused the recipient: 550 5.1.1" in text
    path = _link_from(text)
    assert mail_settings.mailbox.messages == []
    client.post("/auth/sign-out")
    assert client.get(path).status_code == 200  # the invitation stands; the link works
