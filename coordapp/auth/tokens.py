"""API tokens: named, revocable secrets for scripts (only their SHA-256 is stored), and the
digest of every secret shown once (calendar feed addresses, set-password links)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from coordapp import validation
from coordapp.auth.models import ApiToken, Role, User
from coordapp.db import utcnow
from coordapp.errors import Forbidden, NotFound

TOKEN_PREFIX = "cap_"  # noqa: S105  (a marker, not a secret)


def secret_digest(plaintext: str) -> str:
    """What is stored of a secret shown once (API tokens, calendar feed addresses)."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(session: Session, *, user: User, name: Any) -> tuple[ApiToken, str]:
    """A new named token for ``user``; the plaintext is returned once and never stored."""
    clean_name = validation.required_text("name", name, max_length=80)
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=clean_name,
        token_hash=secret_digest(plaintext),
        prefix=plaintext[:12],
    )
    session.add(token)
    session.flush()
    return token, plaintext


def user_tokens(session: Session, *, user: User | None = None) -> list[ApiToken]:
    """Tokens of ``user`` (all users' when None), newest first."""
    query = sa.select(ApiToken).options(selectinload(ApiToken.user))
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(session.scalars(query.order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def get_token(session: Session, token_id: int) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("There is no such API token.")
    return token


def revoke_token(session: Session, *, token: ApiToken, by: User) -> ApiToken:
    """Revoke ``token``: its owner or an admin may. Revoking twice changes nothing."""
    if token.user_id != by.id and not by.has_role(Role.ADMIN):
        raise Forbidden("Only the token's owner or an admin may revoke it.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        session.flush()
    return token


def authenticate_token(session: Session, *, plaintext: str) -> User | None:
    """The active user a live token belongs to, or None (unknown, revoked, user deactivated)."""
    if not plaintext or len(plaintext) > 200:
        return None
    token = session.scalar(
        sa.select(ApiToken).where(ApiToken.token_hash == secret_digest(plaintext.strip()))
    )
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return None
    record_token_use(session, token=token)
    return user


# A token's "last used" is kept to the hour: a script polling every few seconds writes once an
# hour, not on every read.
TOKEN_USE_RESOLUTION = timedelta(hours=1)


def record_token_use(session: Session, *, token: ApiToken, now: datetime | None = None) -> bool:
    """Note that ``token`` was used, at most once per TOKEN_USE_RESOLUTION; True if written.

    A plain UPDATE of the token's row, not an ORM change: an API read is not a change of the
    data, so it must not move the data version (which empties every worker's dashboard cache)
    nor take the writers' lock that every data-changing flush takes. The condition is in the
    statement too, so two requests that both read an old time write once.
    """
    now = now or utcnow()
    stale = now - TOKEN_USE_RESOLUTION
    if token.last_used_at is not None and token.last_used_at > stale:
        return False
    table = cast(sa.Table, ApiToken.__table__)
    result = session.execute(
        sa.update(table)
        .where(
            table.c.id == token.id,
            sa.or_(table.c.last_used_at.is_(None), table.c.last_used_at <= stale),
        )
        .values(last_used_at=now)
    )
    set_committed_value(token, "last_used_at", now)
    return bool(result.rowcount)  # type: ignore[attr-defined]
