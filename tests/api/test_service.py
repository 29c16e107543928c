"""Token verbs: create (stored hashed, shown once), authenticate, revoke."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.auth import tokens
from coordapp.auth.models import ApiToken
from coordapp.data_version import data_version
from coordapp.errors import Forbidden, ValidationError


def _user(session: Session, role: str, email: str) -> object:
    return auth.create_user(
        session, email=email, full_name=email, role=role, password="a-long-password-1"
    )


def test_token_is_stored_only_as_its_sha256(session: Session) -> None:
    user = _user(session, "viewer", "v@api.example")
    token, plaintext = tokens.create_token(session, user=user, name="report script")
    stored = session.scalar(sa.select(ApiToken).where(ApiToken.id == token.id))
    assert stored is not None
    assert stored.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    assert plaintext not in {stored.token_hash, stored.name}
    assert plaintext.startswith(stored.prefix) and len(stored.prefix) < len(plaintext) // 3
    assert tokens.authenticate_token(session, plaintext=plaintext) is user
    assert stored.last_used_at is not None


def test_two_tokens_differ_and_a_name_is_required(session: Session) -> None:
    user = _user(session, "viewer", "v2@api.example")
    _a, one = tokens.create_token(session, user=user, name="a")
    _b, two = tokens.create_token(session, user=user, name="b")
    assert one != two
    with pytest.raises(ValidationError) as error:
        tokens.create_token(session, user=user, name="  ")
    assert error.value.field == "name"
    with pytest.raises(ValidationError):
        tokens.create_token(session, user=user, name="x" * 81)


def test_unknown_revoked_and_deactivated_tokens_do_not_authenticate(session: Session) -> None:
    user = _user(session, "manager", "m@api.example")
    token, plaintext = tokens.create_token(session, user=user, name="t")
    assert tokens.authenticate_token(session, plaintext=plaintext + "x") is None
    assert tokens.authenticate_token(session, plaintext="") is None
    auth.set_active(session, user=user, active=False)
    assert tokens.authenticate_token(session, plaintext=plaintext) is None
    auth.set_active(session, user=user, active=True)
    assert tokens.authenticate_token(session, plaintext=plaintext) is user
    tokens.revoke_token(session, token=token, by=user)
    assert token.revoked_at is not None
    assert tokens.authenticate_token(session, plaintext=plaintext) is None


def test_only_the_owner_or_an_admin_revokes(session: Session) -> None:
    owner = _user(session, "manager", "owner@api.example")
    other = _user(session, "manager", "other@api.example")
    admin = _user(session, "admin", "admin@api.example")
    token, _ = tokens.create_token(session, user=owner, name="t")
    with pytest.raises(Forbidden):
        tokens.revoke_token(session, token=token, by=other)
    assert token.revoked_at is None
    tokens.revoke_token(session, token=token, by=admin)
    assert token.revoked_at is not None
    assert [t.id for t in tokens.user_tokens(session, user=owner)] == [token.id]
    assert tokens.user_tokens(session, user=other) == []


def _last_used(session: Session, token_id: int) -> object:
    table = ApiToken.__table__
    return session.execute(
        sa.select(table.c.last_used_at).where(table.c.id == token_id)  # type: ignore[attr-defined]
    ).scalar_one()


def test_a_token_used_twice_within_the_hour_is_written_once(session: Session) -> None:
    user = _user(session, "viewer", "poll@api.example")
    token, _plaintext = tokens.create_token(session, user=user, name="poller")
    first = datetime(2026, 12, 1, 9, 0)
    assert tokens.record_token_use(session, token=token, now=first)
    assert not tokens.record_token_use(session, token=token, now=first + timedelta(minutes=59))
    assert _last_used(session, token.id) == first
    later = first + timedelta(hours=1, seconds=1)
    assert tokens.record_token_use(session, token=token, now=later)
    assert _last_used(session, token.id) == later


def test_using_a_token_does_not_move_the_data_version(session: Session) -> None:
    user = _user(session, "viewer", "reader@api.example")
    _token, plaintext = tokens.create_token(session, user=user, name="reader")
    session.flush()
    before = data_version(session)
    assert tokens.authenticate_token(session, plaintext=plaintext) is user
    session.flush()
    assert data_version(session) == before
    assert not session.dirty
