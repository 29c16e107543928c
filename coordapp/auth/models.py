"""Users, roles, API tokens and calendar feeds."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordapp.db import (
    Audited,
    Base,
    TimestampMixin,
    VersionedMixin,
    parent_key,
    partial_index,
    str_enum,
    utcnow,
)


class Role(enum.StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    VIEWER = "viewer"
    # Staff of one member hotline (or a few): their own hotlines' pages and nothing else
    # (``coordapp.auth.permissions.scope_allows``). Below viewer: no secretariat page is theirs.
    HOTLINE = "hotline"


ROLE_RANK = {Role.HOTLINE: -1, Role.VIEWER: 0, Role.MANAGER: 1, Role.ADMIN: 2}


class User(Audited, UserMixin, VersionedMixin, TimestampMixin, Base):
    def __str__(self) -> str:
        return self.full_name

    __tablename__ = "users"
    __audit_exclude__ = frozenset(
        {
            "created_at",
            "updated_at",
            "version",
            "password_hash",
            "last_login_at",
            "session_generation",
        }
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), nullable=False, unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    role: Mapped[Role] = mapped_column(str_enum(Role, "user_role"), nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    password_hash: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    last_login_at: Mapped[datetime | None] = mapped_column()
    # Carried by every session and remember-me cookie (get_id); moving it on ends them all.
    session_generation: Mapped[int] = mapped_column(
        nullable=False, default=1, server_default=sa.text("1")
    )

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user")
    hotline_links: Mapped[list[UserHotline]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    @property
    def hotline_ids(self) -> frozenset[int]:
        """The hotlines a hotline user is bound to (empty for the secretariat's roles)."""
        return frozenset(link.hotline_id for link in self.hotline_links)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def get_id(self) -> str:
        """The identity Flask-Login keeps in the session and the remember-me cookie."""
        return f"{self.id}:{self.session_generation}"

    def has_role(self, minimum: Role | str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[Role(minimum)]

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class ApiToken(Audited, TimestampMixin, Base):
    """A named API token. Only its SHA-256 digest is stored; the token is shown once."""

    __tablename__ = "api_tokens"
    __audit_exclude__ = frozenset({"created_at", "updated_at", "token_hash", "last_used_at"})

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = parent_key("users")
    name: Mapped[str] = mapped_column(sa.String(80), nullable=False)
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    last_used_at: Mapped[datetime | None] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column()

    user: Mapped[User] = relationship(back_populates="tokens")


class CalendarFeed(Audited, TimestampMixin, Base):
    """A user's personal calendar feed: the secret address a calendar app subscribes to.

    Only the SHA-256 digest of the address's secret is stored; it is shown once. A user has at
    most one live feed (``revoked_at`` NULL): replacing it revokes the old one, so the old
    address answers 404 from then on.
    """

    __tablename__ = "calendar_feeds"
    __audit_exclude__ = frozenset({"created_at", "updated_at", "secret_hash"})
    __table_args__ = (
        partial_index(
            "uq_calendar_feeds_live_user", "user_id", unique=True, where="revoked_at IS NULL"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True
    )
    secret_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    revoked_at: Mapped[datetime | None] = mapped_column()


class UserHotline(Base):
    """A hotline user's hotline: the one (or few) whose pages they see and keep current."""

    __tablename__ = "user_hotlines"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    hotline_id: Mapped[int] = mapped_column(
        sa.ForeignKey("hotlines.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)

    user: Mapped[User] = relationship(back_populates="hotline_links")


class SetPasswordLink(TimestampMixin, Base):
    """A one-time link to choose a password (an invitation). Only the SHA-256 digest of its
    token is stored; it works once (``used_at``) and until ``expires_at``."""

    __tablename__ = "set_password_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = parent_key("users")
    token_hash: Mapped[str] = mapped_column(sa.String(64), nullable=False, unique=True)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    used_at: Mapped[datetime | None] = mapped_column()


class RateLimitCounter(Base):
    """One counter of the sign-in limits (``coordapp.auth.limit_storage``), when there is no
    Redis: shared by every worker through the database. Not audited, and not a change of the
    data: it is written with plain statements that leave the data version alone."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int] = mapped_column(nullable=False)
    # Unix time (seconds) at which the counter's window ends and it counts from zero again.
    expires_at: Mapped[float] = mapped_column(sa.Float, nullable=False, index=True)
