"""A user's personal calendar feed: its secret address, made, replaced and revoked here.

The address is the only credential a calendar app can carry (Outlook and Google Calendar
cannot sign in), so it holds a long random secret, shown once; only its SHA-256 digest is
stored, as for API tokens. What the feed contains is built in ``coordapp.main.calendar``.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.auth import service as users
from coordapp.auth import tokens
from coordapp.auth.models import CalendarFeed, Role, User
from coordapp.db import utcnow
from coordapp.errors import Forbidden

# 32 random bytes, URL-safe: 43 characters, 256 bits that no one guesses.
SECRET_BYTES = 32
# Longer than any secret made here: not looked up at all.
MAX_SECRET_LENGTH = 100
NOT_FOR_HOTLINE_USERS = (
    "A hotline user's account has no calendar feed: the due dates are the secretariat's."
)


def may_have_feed(user: User) -> bool:
    """Staff of the secretariat only: a hotline user sees nothing but their hotline's pages."""
    return user.role != Role.HOTLINE


def live_feed(session: Session, *, user: User) -> CalendarFeed | None:
    """The user's feed that works now, if they have one."""
    return session.scalar(
        sa.select(CalendarFeed).where(
            CalendarFeed.user_id == user.id, CalendarFeed.revoked_at.is_(None)
        )
    )


def revoke_feed(session: Session, *, user: User) -> CalendarFeed | None:
    """The user's feed stops working (its address answers 404); None if there was none."""
    feed = live_feed(session, user=user)
    if feed is not None:
        feed.revoked_at = utcnow()
        session.flush()
    return feed


def create_feed(session: Session, *, user: User) -> tuple[CalendarFeed, str]:
    """A new feed for ``user``, replacing (revoking) the one they had; returns the feed and its
    secret, which is never stored and cannot be shown again."""
    if not may_have_feed(user):
        raise Forbidden(NOT_FOR_HOTLINE_USERS)
    revoke_feed(session, user=user)
    secret = secrets.token_urlsafe(SECRET_BYTES)
    feed = CalendarFeed(user_id=user.id, secret_hash=tokens.secret_digest(secret))
    session.add(feed)
    session.flush()
    return feed, secret


def user_for_secret(session: Session, *, secret: str) -> User | None:
    """The user whose live feed has this secret, or None: unknown or revoked secret, user
    deactivated (or erased), or a user who may not have a feed (now a hotline user)."""
    if not secret or len(secret) > MAX_SECRET_LENGTH:
        return None
    user = session.scalar(
        sa.select(User)
        .join(CalendarFeed, CalendarFeed.user_id == User.id)
        .where(
            CalendarFeed.secret_hash == tokens.secret_digest(secret),
            CalendarFeed.revoked_at.is_(None),
        )
    )
    if user is None or not user.active or not may_have_feed(user):
        return None
    return user


@users.user_export.register
def calendar_feeds_of(session: Session, user: User) -> dict[str, Any]:
    """When the user's feed addresses were made and revoked (never their secrets)."""
    feeds = session.scalars(
        sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id).order_by(CalendarFeed.id)
    )
    rows = [
        {"created_at": users._iso(f.created_at), "revoked_at": users._iso(f.revoked_at)}
        for f in feeds
    ]
    return {"calendar_feeds": rows} if rows else {}
