"""Users: create, authenticate, change role, deactivate."""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from coordapp.auth.models import Role, User
from coordapp.db import utcnow
from coordapp.errors import Conflict, NotFound, ValidationError

MIN_PASSWORD_LENGTH = 10
# A hash to compare against when the email is unknown, so both failures take the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as exc:
        raise ValidationError("email", f"{email!r} is not a valid email address.") from exc


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "password", f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."
        )


def _parse_role(role: str | Role) -> Role:
    try:
        return Role(role)
    except ValueError as exc:
        choices = ", ".join(r.value for r in Role)
        raise ValidationError("role", f"Unknown role {role!r}; choose one of {choices}.") from exc


def get_by_email(session: Session, email: str) -> User | None:
    return session.scalar(sa.select(User).where(User.email == email.strip().lower()))


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
    session: Session, *, email: str, full_name: str, role: str | Role, password: str
) -> User:
    address = normalise_email(email)
    full_name = full_name.strip()
    if not full_name:
        raise ValidationError("full_name", "A name is required.")
    _check_password(password)
    if get_by_email(session, address) is not None:
        raise Conflict(f"A user with email {address} already exists.")
    user = User(
        email=address,
        full_name=full_name[:160],
        role=_parse_role(role),
        active=True,
        password_hash=generate_password_hash(password),
    )
    session.add(user)
    session.flush()
    return user


def set_role(session: Session, *, user: User, role: str | Role) -> User:
    user.role = _parse_role(role)
    session.flush()
    return user


def set_active(session: Session, *, user: User, active: bool) -> User:
    user.active = active
    session.flush()
    return user


def set_password(session: Session, *, user: User, password: str) -> User:
    _check_password(password)
    user.password_hash = generate_password_hash(password)
    session.flush()
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Says nothing about which part failed."""
    user = get_by_email(session, email or "")
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    user.last_login_at = utcnow()
    session.flush()
    return user
