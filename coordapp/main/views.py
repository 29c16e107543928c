"""Home page and the health endpoint."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from coordapp.auth.models import Role
from coordapp.auth.permissions import has_role
from coordapp.cache import cached
from coordapp.extensions import current_session
from coordapp.main import attention, service

bp = Blueprint("main", __name__)


@bp.route("/")
def home() -> Any:
    session = current_session()
    today = date.today()
    # Both keyed by the data version: a visit after no change reads them from the report cache.
    figures = cached(
        session,
        service.home_figures,
        today=today,
        currency=current_app.config["REPORTING_CURRENCY"],
    )
    whose = _whose_items(request.args.get("items"))
    owner_id = current_user.id if whose == MINE else None
    # Keyed by the owner too: each user's "mine" is cached apart from everyone's.
    needs = cached(session, attention.needs_attention, today=today, owner_id=owner_id)
    unassigned = cached(session, attention.unassigned_count, today=today) if whose == MINE else None
    return render_template(
        "main/home.html",
        figures=figures,
        attention=needs,
        whose=whose,
        unassigned=unassigned,
        switch={
            MINE: url_for("main.home", items=MINE),
            EVERYONE: url_for("main.home", items=EVERYONE),
        },
    )


MINE, EVERYONE = "mine", "everyone"


def _whose_items(asked: str | None) -> str:
    """Whose needs-attention items home lists: as asked, else the signed-in user's own for
    those who own records (managers and admins), everyone's for a reader (a viewer owns
    none, so their "mine" would be empty)."""
    if asked in (MINE, EVERYONE):
        return asked
    return MINE if has_role(current_user, Role.MANAGER) else EVERYONE


@bp.route("/login")
def login() -> Any:
    """The address people type from habit: sign-in, then home (home at once if signed in)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    return redirect(url_for("auth.sign_in"))


@bp.route("/lookup/filter-suggestions")
def filter_suggestions() -> Any:
    """Labels of a typed list filter's choices containing ``q``, for its suggestions (JSON)."""
    from coordapp.listing import filter_choices, suggestions, typed
    from coordapp.records.views import RESOURCES

    name, key = request.args.get("list", ""), request.args.get("filter", "")
    found = next((r for _, r in RESOURCES if r.list_spec.name == name), None)
    # Admin-only lists (users) offer their choices to admins only.
    if found is None or (found.write_role == Role.ADMIN and not has_role(current_user, Role.ADMIN)):
        abort(404)
    flt = next((f for f in found.list_spec.filters if f.key == key), None)
    session = current_session()
    choices = filter_choices(session, found.list_spec, flt) if flt is not None else ()
    if not typed(choices):
        abort(404)
    return jsonify(suggestions(choices, request.args.get("q", "")[:100]))


@bp.route("/health")
def health() -> Any:
    """For load balancers and monitors: 200 when the database answers ``SELECT 1``, else 503."""
    if service.database_ok(current_session()):
        return jsonify(status="ok", database="ok")
    return jsonify(status="unavailable", database="unreachable"), 503
