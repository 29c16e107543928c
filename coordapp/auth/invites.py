"""Invitations: a user bound to their hotline(s), and the one-time, expiring link with which they
choose their password. Only the SHA-256 digest of a link's token is stored; the link is e-mailed
to the person when the app has mail settings (``coordapp.mail``), else shown once to the admin."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_app_context, render_template
from sqlalchemy.orm import Session

from coordapp import mail
from coordapp.audit import service as audit
from coordapp.auth import service as users
from coordapp.auth import tokens
from coordapp.auth.models import Role, SetPasswordLink, User, UserHotline
from coordapp.db import Base, utcnow
from coordapp.errors import ValidationError

DEFAULT_LINK_DAYS = 7
LINK_PREFIX = "spl_"  # a marker, not a secret


def link_days() -> int:
    """How long a new set-password link works (the SET_PASSWORD_LINK_DAYS setting)."""
    if has_app_context():
        return int(current_app.config.get("SET_PASSWORD_LINK_DAYS") or DEFAULT_LINK_DAYS)
    return DEFAULT_LINK_DAYS


@dataclass(frozen=True, slots=True)
class Invitation:
    user: User
    token: str  # shown once: the path is /auth/set-password/<token>
    expires_at: datetime


# --- the hotlines a user is bound to ---------------------------------------------------------


def _existing_hotline_ids(session: Session, wanted: set[int]) -> set[int]:
    # The hotlines table by name: auth knows no domain module, only the schema.
    hotlines = Base.metadata.tables["hotlines"]
    return set(session.scalars(sa.select(hotlines.c.id).where(hotlines.c.id.in_(wanted))))


def set_user_hotlines(session: Session, *, user: User, hotline_ids: Iterable[int]) -> User:
    """Bind a hotline user to exactly these hotlines (at least one); audited."""
    wanted = {int(h) for h in hotline_ids}
    if user.role != Role.HOTLINE:
        raise ValidationError("hotlines", "Only hotline users are bound to hotlines.")
    if not wanted:
        raise ValidationError("hotlines", "Choose the hotline this person works for.")
    missing = wanted - _existing_hotline_ids(session, wanted)
    if missing:
        raise ValidationError("hotlines", f"There is no hotline with id {min(missing)}.")
    before = sorted(user.hotline_ids)
    if set(before) == wanted:
        return user
    user.hotline_links[:] = [link for link in user.hotline_links if link.hotline_id in wanted] + [
        UserHotline(hotline_id=h) for h in sorted(wanted - set(before))
    ]
    session.flush()
    changes = {"hotlines": [" ".join(map(str, before)), " ".join(map(str, sorted(wanted)))]}
    audit.record_about(session, user, action="update", changes=changes)
    users.end_all_sessions(session, user=user)  # open sessions must not keep the old scope
    return user


# --- set-password links ----------------------------------------------------------------------


def new_set_password_link(
    session: Session, *, user: User, days: int | None = None, now: datetime | None = None
) -> tuple[str, datetime]:
    """A new one-time link for ``user``; earlier unused links of theirs stop working."""
    if not user.active:
        raise ValidationError(None, f"{user.full_name} is deactivated: reactivate them first.")
    now = now or utcnow()
    expires_at = now + timedelta(days=days or link_days())
    session.execute(
        sa.update(SetPasswordLink)
        .where(SetPasswordLink.user_id == user.id, SetPasswordLink.used_at.is_(None))
        .values(used_at=now)
    )
    plaintext = LINK_PREFIX + secrets.token_urlsafe(32)
    session.add(
        SetPasswordLink(
            user_id=user.id, token_hash=tokens.secret_digest(plaintext), expires_at=expires_at
        )
    )
    session.flush()
    summary = f"Set-password link made, valid until {expires_at:%Y-%m-%d %H:%M} UTC."
    audit.record_about(session, user, action="set_password_link", summary=summary)
    return plaintext, expires_at


def invite_hotline_user(
    session: Session,
    *,
    email: Any,
    full_name: Any,
    hotline_ids: Iterable[int],
    days: int | None = None,
    now: datetime | None = None,
) -> Invitation:
    """A new hotline user bound to ``hotline_ids``, with no password yet, and their link."""
    values = users._clean_account(
        session, {"email": email, "full_name": full_name, "role": Role.HOTLINE.value}
    )
    ids = list(hotline_ids)
    if not ids:
        raise ValidationError("hotlines", "Choose the hotline this person works for.")
    user = users.create_user(
        session, password=secrets.token_urlsafe(32), password_policy=False, **values
    )
    user.password_hash = users.UNUSABLE_PASSWORD_HASH  # no password until they choose one
    set_user_hotlines(session, user=user, hotline_ids=ids)
    token, expires_at = new_set_password_link(session, user=user, days=days, now=now)
    return Invitation(user=user, token=token, expires_at=expires_at)


def email_invitation(invitation: Invitation) -> None:
    """E-mail the set-password link to the invited person, linking to the app's public address
    (APP_BASE_URL, never the request's Host header). ``mail.MailNotConfigured``,
    ``MailUnavailable`` or ``MailRefused`` when it does not go."""
    settings = mail.settings_from(current_app.config)
    link = mail.external_url(
        current_app._get_current_object(),  # type: ignore[attr-defined]
        settings.base_url,
        "auth.set_password",
        token=invitation.token,
    )
    context = {"user": invitation.user, "link": link, "expires_at": invitation.expires_at}
    mail.send_one(
        settings,
        mail.Letter(
            to=invitation.user.email,
            subject="Your coordapp account: choose your password",
            text=render_template("email/invitation.txt", **context),
            html=render_template("email/invitation.html", **context),
        ),
    )


LINK_UNKNOWN = (
    "This set-password link is not valid. Check that the whole link was copied, or ask the "
    "person who invited you for a new one."
)
LINK_USED = (
    "This set-password link was used already: each link works once. Sign in with the password "
    "you chose, or ask the person who invited you for a new link."
)
LINK_EXPIRED = (
    "This set-password link expired on {when} UTC. Ask the person who invited you for a new one."
)


def usable_link(session: Session, *, token: str, now: datetime | None = None) -> SetPasswordLink:
    """The link ``token`` names, if it still works; else ``ValidationError`` saying why."""
    if not token.startswith(LINK_PREFIX) or len(token) > 100:
        raise ValidationError(None, LINK_UNKNOWN)
    link = session.scalar(
        sa.select(SetPasswordLink).where(SetPasswordLink.token_hash == tokens.secret_digest(token))
    )
    user = session.get(User, link.user_id) if link is not None else None
    if link is None or user is None or not user.active:
        raise ValidationError(None, LINK_UNKNOWN)
    if link.used_at is not None:
        raise ValidationError(None, LINK_USED)
    if link.expires_at <= (now or utcnow()):
        raise ValidationError(None, LINK_EXPIRED.format(when=f"{link.expires_at:%Y-%m-%d %H:%M}"))
    return link


def use_set_password_link(
    session: Session, *, token: str, password: str, now: datetime | None = None
) -> User:
    """Set the password through a link, which then stops working. Refused (nothing written)
    for an unknown, used or expired link and for a password the policy refuses."""
    now = now or utcnow()
    link = usable_link(session, token=token, now=now)
    user = session.get(User, link.user_id)
    assert user is not None
    if password != password.strip() or not password:
        raise ValidationError("password", "Type a password (no spaces at either end).")
    users.set_password(session, user=user, password=password)
    link.used_at = now
    session.flush()
    audit.record_about(
        session, user, action="password_set", summary="Password chosen through a set-password link."
    )
    return user


@users.user_export.register
def set_password_links_of(session: Session, user: User) -> dict[str, Any]:
    """When links were made for the user, until when they worked, and when one was used."""
    links = session.scalars(
        sa.select(SetPasswordLink)
        .where(SetPasswordLink.user_id == user.id)
        .order_by(SetPasswordLink.id)
    )
    rows = [
        {
            "created_at": users._iso(link.created_at),
            "expires_at": users._iso(link.expires_at),
            "used_at": users._iso(link.used_at),
        }
        for link in links
    ]
    return {"invitation_links": rows} if rows else {}
