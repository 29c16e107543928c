"""Sign-in and sign-out, and the guard that keeps every other page behind sign-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from coordapp.audit import service as audit
from coordapp.auth import service
from coordapp.auth.forms import SignInForm
from coordapp.extensions import current_session, login_manager

bp = Blueprint("auth", __name__, url_prefix="/auth")

# Endpoints reachable without signing in.
PUBLIC_ENDPOINTS = frozenset({"auth.sign_in", "static", "bootstrap.static", "main.health"})
GENERIC_FAILURE = "Email or password is not right, or the account is not active."


def is_safe_next(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


@login_manager.user_loader
def load_user(user_id: str) -> Any:
    try:
        user = service.get(current_session(), int(user_id))
    except ValueError:
        return None
    # A deactivated user's session stops at the next request.
    return user if user is not None and user.active else None


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    next_url = request.args.get("next")
    destination = next_url if next_url and is_safe_next(next_url) else url_for("main.home")
    if current_user.is_authenticated:
        return redirect(destination)
    form = SignInForm()
    if form.validate_on_submit():
        user = service.authenticate(
            current_session(), email=form.email.data or "", password=form.password.data or ""
        )
        if user is None:
            flash(GENERIC_FAILURE, "danger")
            return render_template("auth/sign_in.html", form=form), 401
        login_user(user, remember=bool(form.remember.data))
        audit.set_actor(current_session(), actor_id=user.id, label=user.email)
        audit.record(current_session(), action="sign_in", entity_type="users", entity_id=user.id)
        return redirect(destination)
    return render_template("auth/sign_in.html", form=form)


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    logout_user()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in"))


def register_guard(app: Flask) -> None:
    """Every request except sign-in and static files needs a signed-in, active user."""

    @app.before_request
    def require_sign_in() -> Any:
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if current_user.is_authenticated:
            audit.set_actor(current_session(), actor_id=current_user.id, label=current_user.email)
            return None
        if request.path.startswith(("/dashboards/_dash", "/api/")) or request.path.startswith(
            "/dashboards/_reload"
        ):
            return jsonify(error="Unauthorized", message="Sign in first.", status=401), 401
        target = request.full_path if request.query_string else request.path
        return redirect(url_for("auth.sign_in", next=target))
