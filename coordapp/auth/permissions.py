"""Roles in one place: the decorator for views and the helper for templates."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from coordapp.auth.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def has_role(user: Any, minimum: Role | str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(minimum)


def require_role(minimum: Role | str) -> Callable[[F], F]:
    """Allow the view only to signed-in users with at least ``minimum``.

    Roles rank viewer < manager < admin.
    """

    def decorator(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                abort(401)
            if not has_role(current_user, minimum):
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def can_edit(user: Any) -> bool:
    return has_role(user, Role.MANAGER)
