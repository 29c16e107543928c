"""Roles in one place: the decorator for views, the helper for templates, and the scope rule
that keeps a hotline user inside their own hotline's pages."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from coordapp.auth.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def has_role(user: Any, minimum: Role | str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.has_role(minimum)


def require_role(minimum: Role | str) -> Callable[[F], F]:
    """Allow the view only to signed-in users with at least ``minimum``.

    Roles rank hotline < viewer < manager < admin (hotline users never get this far on a
    secretariat page: ``scope_allows`` answers 404 first).
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


# --- the hotline user's scope ------------------------------------------------------------------

# Endpoints any signed-in hotline user may reach, besides the public ones: their own session.
HOTLINE_SESSION_ENDPOINTS = frozenset({"auth.sign_out", "auth.sign_out_everywhere"})
# The blueprint of the hotline's own pages: every route of it names its hotline as
# ``hotline_id`` (or names none and lists the user's own), so the rule can check it.
HOTLINE_BLUEPRINT = "portal"


def is_hotline_user(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role == Role.HOTLINE


def scope_allows(user: Any, endpoint: str | None, view_args: Mapping[str, Any] | None) -> bool:
    """Whether ``user`` may know that this endpoint (with these arguments) exists at all.

    The one access check by scope, run before every request is dispatched: every Flask page,
    the Dash app (its pages, layout, dependencies and every callback, cached or not) through
    the sign-in guard (``coordapp.auth.views.register_guard``), and the API through its token
    check (``coordapp.api.views.authenticate``). A refusal is a 404, never a 403, so that ids
    of other hotlines reveal nothing. Only hotline users are limited: to their session and to
    the pages of the hotlines they are bound to.
    """
    if not is_hotline_user(user):
        return True
    if endpoint in HOTLINE_SESSION_ENDPOINTS:
        return True
    if endpoint is None or endpoint.partition(".")[0] != HOTLINE_BLUEPRINT:
        return False
    hotline_id = (view_args or {}).get("hotline_id")
    return hotline_id is None or hotline_id in user.hotline_ids
