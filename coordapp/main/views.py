"""Home page, the personal calendar feed and its page, and the health endpoint."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from flask_wtf import FlaskForm

from coordapp.auth import calendar_feeds
from coordapp.auth.models import Role
from coordapp.auth.permissions import has_role
from coordapp.cache import cached
from coordapp.extensions import current_session
from coordapp.main import attention, calendar, service
from coordapp.records.views import require_fresh_form

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


# --- the personal calendar feed ----------------------------------------------------------------


def _calendar_page(*, address: str | None = None, status: int = 200) -> Any:
    feed = calendar_feeds.live_feed(current_session(), user=current_user)
    return render_template(
        "main/calendar.html",
        form=FlaskForm(),
        feed=feed,
        address=address,
        calendar_cap=calendar.CAP,
    ), status


@bp.get("/auth/calendar")
def calendar_page() -> Any:
    """The signed-in user's calendar feed: make, replace or revoke its secret address."""
    return _calendar_page()


@bp.post("/auth/calendar")
def calendar_create() -> Any:
    require_fresh_form()
    _feed, secret = calendar_feeds.create_feed(current_session(), user=current_user)
    # Shown once, in this response only: never stored, never put in a flash.
    address = url_for("main.calendar_feed", secret=secret, _external=True)
    return _calendar_page(address=address, status=201)


@bp.post("/auth/calendar/revoke")
def calendar_revoke() -> Any:
    require_fresh_form()
    if calendar_feeds.revoke_feed(current_session(), user=current_user) is not None:
        flash("Your calendar address is revoked: calendar apps get nothing from it now.", "success")
    return redirect(url_for("main.calendar_page"))


def _record_link(endpoint: str, record_id: int) -> str:
    return url_for(endpoint, record_id=record_id, _external=True)


@bp.get("/calendar/<secret>.ics")
def calendar_feed(secret: str) -> Any:
    """The feed, for calendar apps, which cannot sign in: its secret is the credential, so the
    sign-in guard lets this one endpoint through (``coordapp.auth.views.PUBLIC_ENDPOINTS``).
    An unknown or revoked secret, or a deactivated user's, is a plain 404."""
    session = current_session()
    user = calendar_feeds.user_for_secret(session, secret=secret)
    if user is None:
        abort(404)
    body = calendar.user_feed(
        session,
        user=user,
        today=date.today(),
        stamp=datetime.now(UTC),
        link=_record_link,
        uid_domain=urlsplit(request.host_url).hostname or "coordapp",
    )
    # Cache-Control: no-store, as on every page (coordapp.security): no proxy keeps a copy.
    return Response(
        body,
        content_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'inline; filename="coordapp-due-dates.ics"',
            "X-Robots-Tag": "noindex, nofollow",
        },
    )
