"""Who may own a record (an organization, hotline, funding commitment or partnership): the
choices of an owner select and the check of an owner typed, picked or imported.

The owner is the user whose "needs attention" items the record's work becomes
(``coordapp.main.attention``): an active manager or admin. A record may keep the owner it has
even after they were deactivated or demoted (editing something else must not fail); its items
are then unassigned until someone else is chosen.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import validation
from coordapp.auth.models import Role, User
from coordapp.errors import ValidationError


def owner_choices(session: Session, *, keep_id: int | None = None) -> list[tuple[str, str]]:
    """Who may own a record: active managers and admins (plus ``keep_id``, the current owner),
    as (id, "Name (email)") by name."""
    query = sa.select(User.id, User.full_name, User.email, User.active).where(
        sa.or_(
            sa.and_(User.active.is_(True), User.role.in_([Role.MANAGER, Role.ADMIN])),
            User.id == (keep_id or 0),
        )
    )
    return [
        (str(user_id), f"{name} ({email})" + ("" if active else " — deactivated"))
        for user_id, name, email, active in session.execute(query.order_by(User.full_name))
    ]


def clean_owner_id(
    session: Session, value: Any, *, current: int | None, field: str = "owner_id"
) -> int | None:
    """The owner's user id from ``value`` (blank: none), or the ValidationError on ``field``
    saying why that user cannot own it. Keeping ``current`` is always accepted."""
    owner_id = validation.optional_id(field, value, message="Choose the owner from the list.")
    if owner_id is None or owner_id == current:
        return owner_id
    user = session.get(User, owner_id)
    if user is None:
        raise ValidationError(field, f"There is no user with id {owner_id}.")
    if not user.has_role(Role.MANAGER):
        raise ValidationError(
            field, f"{user.full_name} is a {user.role.value}; the owner must be a manager."
        )
    if not user.active:
        raise ValidationError(field, f"{user.full_name} is deactivated; choose another owner.")
    return owner_id
