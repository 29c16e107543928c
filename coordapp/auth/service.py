"""Users: create, authenticate, change role, deactivate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app, has_app_context
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from coordapp import batching, listing, validation
from coordapp.audit import service as audit
from coordapp.auth.models import ApiToken, CalendarFeed, Role, User
from coordapp.auth.passwords import check_password_policy
from coordapp.batching import Batch
from coordapp.cache import get_with_data_versions
from coordapp.db import utcnow
from coordapp.errors import Conflict, NotFound, ValidationError
from coordapp.hooks import Hook
from coordapp.listing import Column, Filter, ListSpec
from coordapp.records import service as records

# A hash to compare against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
# Werkzeug's scrypt unless the app's PASSWORD_HASH_METHOD names another: the test configuration
# picks a cheap method so that hundreds of sign-ins don't dominate the suite. Read from the app
# in use, never kept in a global, so that one app with its own setting (a production app built
# by a test) does not change the hashes of another in the same process.
DEFAULT_PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105  (a method name, not a password)


def hash_password(password: str) -> str:
    method = DEFAULT_PASSWORD_HASH_METHOD
    if has_app_context():
        method = current_app.config.get("PASSWORD_HASH_METHOD") or method
    return generate_password_hash(password, method=method)


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError("email", f"{email!r} is not a valid email address.") from exc


def _check_password(
    password: str, *, user: User | None = None, email: str = "", full_name: str = ""
) -> None:
    if user is not None:
        email, full_name = user.email, user.full_name
    check_password_policy(password, user_inputs=(email, full_name))


def _parse_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        choices = ", ".join(r.value for r in Role)
        raise ValidationError("role", f"Unknown role {role!r}; choose one of {choices}.") from exc


def get_by_email(session: Session, email: str, *, batch: Batch | None = None) -> User | None:
    if "\x00" in email:  # never in an address; PostgreSQL refuses it even as a parameter
        return None
    key = email_key(email)
    return batching.remembered(
        batch,
        "user",
        key,
        lambda: session.scalar(sa.select(User).where(User.email == key)),
    )


def email_key(email: str) -> str:
    return email.strip().lower()


def users_by_emails(session: Session, emails: Iterable[str]) -> dict[str, User]:
    """The users of those addresses, keyed by address (a thousand per query)."""
    wanted = {email_key(e) for e in emails if e and e.strip() and "\x00" not in e}
    return {u.email: u for u in records.scalars_in(session, sa.select(User), User.email, wanted)}


def get(session: Session, user_id: int) -> User | None:
    return session.get(User, user_id)


def get_required_by_email(session: Session, email: str) -> User:
    user = get_by_email(session, email)
    if user is None:
        raise NotFound(f"No user with email {email!r}.")
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(sa.select(User).order_by(User.email)))


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    role: str | Role,
    password: str,
    password_policy: bool = True,
) -> User:
    """``password_policy=False`` is for the demo loader alone: its documented shared password
    ``coordapp-demo`` is built from the demo accounts' own domain, which the policy refuses."""
    address = normalise_email(email)
    full_name = full_name.strip()
    if not full_name:
        raise ValidationError("full_name", "A name is required.")
    if password_policy:
        _check_password(password, email=address, full_name=full_name)
    if get_by_email(session, address) is not None:
        raise Conflict(f"A user with email {address} already exists.")
    user = User(
        email=address,
        full_name=full_name[:160],
        role=_parse_role(role),
        active=True,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.flush()
    return user


def set_role(session: Session, *, user: User, role: str | Role) -> User:
    new_role = _parse_role(role)
    changed = new_role != user.role
    user.role = new_role
    session.flush()
    if changed:
        end_all_sessions(session, user=user)
    return user


def set_active(session: Session, *, user: User, active: bool) -> User:
    user.active = active
    session.flush()
    if not active:
        end_all_sessions(session, user=user)
    return user


def set_password(session: Session, *, user: User, password: str) -> User:
    _check_password(password, user=user)
    user.password_hash = hash_password(password)
    session.flush()
    end_all_sessions(session, user=user)
    return user


# --- sessions ------------------------------------------------------------------------------------


def end_all_sessions(session: Session, *, user: User) -> User:
    """Every session and remember-me cookie of ``user`` stops working at its next request.

    They carry the user's session generation (``User.get_id``); moving it on makes them all
    stale. A statement of its own, like the sign-in's, so that signing out does not move the
    record's version on under an admin who is editing the account."""
    session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(session_generation=User.session_generation + 1)
        .execution_options(synchronize_session="fetch")
    )
    return user


def user_for_session(session: Session, identity: str) -> User | None:
    """The active user a session or remember-me cookie names ("<id>:<generation>"), or None
    when the account is gone, deactivated, or its sessions were ended since."""
    user_id, _, generation = identity.partition(":")
    if not user_id.isdigit() or not generation.isdigit() or len(identity) > 40:
        return None
    # A read-only request (a dashboard callback) reads the data versions along with the user.
    user = get_with_data_versions(session, User, int(user_id))
    if user is None or not user.active or user.session_generation != int(generation):
        return None
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Says nothing about which part failed."""
    user = get_by_email(session, email or "")
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    # A statement of its own, so that signing in does not move the record's version on (an
    # admin editing the account meanwhile would otherwise get a conflict over nothing).
    session.execute(
        sa.update(User)
        .where(User.id == user.id)
        .values(last_login_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return user


# --- users administration (admin pages) ------------------------------------------------------

USER_PERSONAL_FIELDS = frozenset({"email", "full_name"})


def _active_filter(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value in ("active", "inactive"):
        return query.where(User.active.is_(value == "active"))
    return query


USER_LIST = ListSpec(
    entity=User,
    columns=(
        Column("name", "Name", User.full_name, link=True),
        Column("email", "Email", User.email),
        listing.label_column("role", "Role", User.role),
        Column("active", "Account", User.active, lambda u: "active" if u.active else "inactive"),
        Column(
            "last_login",
            "Last sign-in",
            User.last_login_at,
            lambda u: u.last_login_at.strftime("%Y-%m-%d %H:%M") if u.last_login_at else "never",
        ),
        Column("created", "Created", User.created_at, lambda u: u.created_at.date()),
    ),
    default_sort="name",
    search=(User.full_name, User.email),
    filters=(
        listing.enum_filter_on("role", "Role", User.role, Role),
        Filter(
            "active",
            "Account",
            _active_filter,
            lambda s: [("active", "Active"), ("inactive", "Inactive")],
        ),
    ),
    archivable=False,
)


def get_user(session: Session, user_id: int) -> User:
    user: User = records.get_or_404(session, User, user_id, what="user")
    return user


def _clean_account(
    session: Session, data: Mapping[str, Any], *, exclude_id: int | None = None
) -> dict[str, Any]:
    raw_email = (data.get("email") or "").strip()
    if not raw_email:
        raise ValidationError("email", "An email address is required.")
    if len(raw_email) > 254:
        raise ValidationError("email", "At most 254 characters.")
    email = normalise_email(raw_email)
    if records.exists(session, User.email, email, exclude_id=exclude_id):
        raise ValidationError("email", f"A user with email {email} already exists.")
    return {
        "email": email,
        "full_name": validation.required_text("full_name", data.get("full_name"), max_length=160),
        "role": validation.choice("role", Role, data.get("role")),
    }


def _ensure_an_admin_remains(
    session: Session, *, user: User, role: Role, active: bool, field: str | None
) -> None:
    """Refuse a change that would leave nobody able to manage users from the web.

    (The ``flask users`` commands stay the operator's way back in and are not limited.)
    """
    if user.role != Role.ADMIN or not user.active or (role == Role.ADMIN and active):
        return
    others = session.scalar(
        sa.select(sa.func.count(User.id)).where(
            User.role == Role.ADMIN, User.active.is_(True), User.id != user.id
        )
    )
    if not others:
        raise ValidationError(
            field,
            f"{user.full_name} is the last active admin: make another user an admin first, "
            "or nobody could manage users any more.",
        )


def create_account(session: Session, *, data: Mapping[str, Any]) -> User:
    """A new account from the admin's form, with its initial password."""
    values = _clean_account(session, data)
    return create_user(session, password=data.get("password") or "", **values)


def update_account(
    session: Session, *, obj: User, data: Mapping[str, Any], expected_version: int | None
) -> User:
    """Name, email and role. Demoting the last active admin is refused."""
    records.check_version(obj, expected_version)
    if is_erased(obj):
        raise ValidationError(None, "This account was erased; create a new one instead.")
    values = _clean_account(session, data, exclude_id=obj.id)
    _ensure_an_admin_remains(session, user=obj, role=values["role"], active=True, field="role")
    role_changed = values["role"] != obj.role
    records.apply_changes(obj, values)
    session.flush()
    if role_changed:  # sessions opened under the old role end; the next sign-in has the new one
        end_all_sessions(session, user=obj)
    return obj


def deactivate_user(session: Session, *, user: User, expected_version: int | None = None) -> User:
    """The account stops working at once: the next request of an open session is refused."""
    records.check_version(user, expected_version)
    _ensure_an_admin_remains(session, user=user, role=user.role, active=False, field=None)
    return set_active(session, user=user, active=False)


def reactivate_user(session: Session, *, user: User, expected_version: int | None = None) -> User:
    records.check_version(user, expected_version)
    if is_erased(user):
        raise ValidationError(None, "An erased account cannot be reactivated; create a new one.")
    return set_active(session, user=user, active=True)


def reset_password(session: Session, *, user: User, password: str) -> User:
    """An admin sets a new password (the hash is never in the audit trail; the reset is)."""
    set_password(session, user=user, password=password)
    audit.record_about(
        session,
        user,
        action="password_reset",
        summary="Password set by an admin.",
    )
    return user


# --- personal data (GDPR) -------------------------------------------------------------------

ERASED_EMAIL_PREFIX = "erased-"
ERASED_EMAIL_DOMAIN = "@invalid.example"
# Not in werkzeug's "method$salt$hash" form, so no password can ever match it.
UNUSABLE_PASSWORD_HASH = "!unusable"  # noqa: S105


def erased_email(user_id: int) -> str:
    return f"{ERASED_EMAIL_PREFIX}{user_id}{ERASED_EMAIL_DOMAIN}"


def is_erased(user: User) -> bool:
    return user.email == erased_email(user.id) and not user.active


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return str(value.isoformat(timespec="seconds") if hasattr(value, "hour") else value.isoformat())


def _json_ready(value: Any) -> Any:
    return _iso(value) if isinstance(value, date) else value


# What the domains above auth hold about a user (e.g. the agreements they own): each registered
# function returns {section name: JSON-ready rows} for ``export_user``.
user_export: Hook[[Session, User], dict[str, Any]] = Hook("user_export")
# What the domains above auth do when a user is erased (``erase_user``): delete what they keep
# about the person (e.g. which digests were sent to them) and unassign the records they own.
user_erasure: Hook[[Session, User], None] = Hook("user_erasure")


def erased_clause(user: Any) -> sa.ColumnElement[bool]:
    """Whether the user row ``user`` (the User class or an alias of it) is an erased account,
    in SQL: ``is_erased``'s test, for queries that must not name one."""
    return sa.and_(
        user.active.is_(False),
        user.email == ERASED_EMAIL_PREFIX + sa.cast(user.id, sa.String) + ERASED_EMAIL_DOMAIN,
    )


@dataclass(frozen=True, eq=False)
class OwnedRecords:
    """A ``user_export`` section declared once: ``fields`` (name: column, the first the id) of
    the records whose ``owner`` column names the user, in id order."""

    section: str
    owner: Any
    fields: Mapping[str, Any]

    def __call__(self, session: Session, user: User) -> dict[str, Any]:
        columns = list(self.fields.values())
        rows = session.execute(
            sa.select(*columns).where(self.owner == user.id).order_by(columns[0])
        )
        return {
            self.section: [
                {name: _json_ready(value) for name, value in zip(self.fields, row, strict=True)}
                for row in rows
            ]
        }

    def unassign(self, session: Session, user: User) -> None:
        """The records the user owns get no owner (each change in the records' audit trail)."""
        for record in session.scalars(
            sa.select(self.owner.class_).where(self.owner == user.id).order_by(self.owner.class_.id)
        ):
            setattr(record, self.owner.key, None)
        session.flush()


def export_owned(
    section: str, owner: Any, *, unassign_on_erasure: bool = True, **fields: Any
) -> None:
    """Add the records whose ``owner`` column names the user to their export, as ``section``:
    ``fields`` (name=column, the first the id) of each, in id order; and, unless told not to,
    unassign them when the user is erased (no record stays tied to a person who is gone)."""
    owned = OwnedRecords(section, owner=owner, fields=fields)
    user_export.register(owned)
    if unassign_on_erasure:
        user_erasure.register(owned.unassign)


def export_user(session: Session, *, user: User) -> dict[str, Any]:
    """Everything coordapp stores about one user, as JSON-ready values (never the password
    hash or token hashes). The export itself is recorded in the audit trail."""
    tokens = session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    )
    data: dict[str, Any] = {
        "subject": {"type": "user", "id": user.id},
        "exported_at": _iso(utcnow()),
        "user": {
            "email": user.email,
            "full_name": user.full_name,
            "role": user.role.value,
            "active": user.active,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
        },
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": _iso(t.created_at),
                "last_used_at": _iso(t.last_used_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in tokens
        ],
        "history": [
            {
                "occurred_at": _iso(e.occurred_at),
                "actor": e.actor_label,
                "action": e.action,
                "changes": e.changes,
                "summary": e.summary,
            }
            for e in audit.events_for(session, entity_type=User.__tablename__, entity_id=user.id)
        ],
        # What they did: the records they changed, not those records' contents.
        "actions": [
            {
                "occurred_at": _iso(e.occurred_at),
                "action": e.action,
                "entity_type": e.entity_type,
                "entity_id": e.entity_id,
            }
            for e in audit.events_by_actor(session, actor_id=user.id)
        ],
    }
    return audit.personal_data_export(
        session, person=user, data=data, sections=user_export.run(session, user)
    )


def erase_user(session: Session, *, user: User, actor_id: int | None) -> User:
    """Erase one user's personal data, keeping the account's shell and everything they did.

    - name becomes "Erased user #<id>", email "erased-<id>@invalid.example"; the account is
      deactivated, its password made unusable and its API tokens revoked;
    - business records stay, but those they own (organizations, hotlines, agreements, pledges,
      pipeline countries) become unassigned; their calendar feed addresses are deleted, and the
      domains above auth delete what they keep about them (``user_erasure``: digests sent);
    - in the user's earlier audit events the old name and email are overwritten with
      "[erased]", and every event they made shows "erased-<id>" instead of their email
      (``actor_id`` still links them); the erasure is one "erase" event naming no old value.

    Refused for one's own account and for the last active admin. Erasing twice changes nothing.
    """
    if actor_id is not None and actor_id == user.id:
        raise ValidationError(None, "You cannot erase your own account; ask another admin.")
    if is_erased(user):
        return user
    _ensure_an_admin_remains(session, user=user, role=user.role, active=False, field=None)
    now, was_active = utcnow(), user.active
    values = {
        "full_name": f"Erased user #{user.id}",
        "email": erased_email(user.id),
    }
    with audit.erasing(
        session, entity_type=User.__tablename__, entity_id=user.id, fields=USER_PERSONAL_FIELDS
    ):
        changed = records.apply_changes(user, values)
        user.active = False
        user.password_hash = UNUSABLE_PASSWORD_HASH
        for token in user.tokens:
            if token.revoked_at is None:
                token.revoked_at = now
    end_all_sessions(session, user=user)
    for feed in session.scalars(sa.select(CalendarFeed).where(CalendarFeed.user_id == user.id)):
        session.delete(feed)
    user_erasure.run(session, user)
    session.flush()
    audit.relabel_actor(session, actor_id=user.id, label=f"{ERASED_EMAIL_PREFIX}{user.id}")
    audit.record_about(
        session,
        user,
        action="erase",
        changes={
            **{c.field: [audit.ERASED, c.after] for c in changed},
            "active": [was_active, False],
        },
        summary="Personal data erased on request.",
    )
    return user
