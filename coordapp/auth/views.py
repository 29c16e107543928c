"""Sign-in and sign-out, and the guard that keeps every other page behind sign-in."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as flask_session
from flask.blueprints import BlueprintSetupState
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from sqlalchemy.orm import Session

from coordapp import mail
from coordapp.audit import service as audit
from coordapp.auth import invites, service, throttle
from coordapp.auth.forms import (
    EraseForm,
    InviteForm,
    PasswordResetForm,
    SetPasswordForm,
    SignInForm,
    UserHotlinesForm,
    user_form,
)
from coordapp.auth.models import Role
from coordapp.auth.permissions import has_role, require_role, scope_allows
from coordapp.errors import ValidationError
from coordapp.extensions import current_session, login_manager
from coordapp.network.hotlines import hotline_names
from coordapp.records import pages
from coordapp.records.views import Resource, SubAction, attach_error, require_fresh_form

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.record_once
def _count_failed_sign_ins(state: BlueprintSetupState) -> None:
    throttle.init_throttle(state.app)


# Endpoints reachable without signing in.
PUBLIC_ENDPOINTS = frozenset(
    {
        "auth.sign_in",
        "auth.set_password",
        "main.login",
        "static",
        "bootstrap.static",
        "main.health",
        # A personal calendar feed (``coordapp.main.views.calendar_feed``): calendar apps
        # cannot sign in, so the long secret in its address is what lets them in.
        "main.calendar_feed",
    }
)
GENERIC_FAILURE = "Email or password is not right, or the account is not active."
TOO_MANY_FAILURES = (
    "Too many failed sign-ins from this network address. For your security, signing in from "
    "it is paused: try again in {wait}, or ask an admin to check."
)
ACCOUNT_WAIT = (
    "Several sign-ins to this account have failed, so each new try has to wait a little. "
    "Try again in {seconds} seconds: with the right password you will be signed in."
)


def is_safe_next(target: str | None) -> bool:
    """Only local paths: no scheme, no host, no protocol-relative or backslash tricks."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


@login_manager.user_loader
def load_user(identity: str) -> Any:
    # The session and the remember-me cookie both carry "<id>:<session generation>": one of
    # them saved before a sign-out, password reset, role change or deactivation is refused.
    return service.user_for_session(current_session(), identity)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    next_url = request.args.get("next")
    destination = next_url if next_url and is_safe_next(next_url) else url_for("main.home")
    if current_user.is_authenticated:
        return redirect(destination)
    form = SignInForm()
    if form.validate_on_submit():
        email, address = form.email.data or "", request.remote_addr
        limits = throttle.get_throttle(current_app)
        refusal = limits.refusal(email=email, address=address)
        if refusal is not None:
            if refusal.blocked_address:
                minutes = refusal.minutes
                wait = f"{minutes} minute" if minutes == 1 else f"{minutes} minutes"
                message = TOO_MANY_FAILURES.format(wait=wait)
            else:
                message = ACCOUNT_WAIT.format(seconds=refusal.retry_after_seconds)
            flash(message, "danger")
            page = render_template("auth/sign_in.html", form=form)
            return page, 429, {"Retry-After": str(refusal.retry_after_seconds)}
        user = service.authenticate(
            current_session(), email=email, password=form.password.data or ""
        )
        if user is None:
            limits.failed(email=email, address=address)
            flash(GENERIC_FAILURE, "danger")
            return render_template("auth/sign_in.html", form=form), 401
        limits.succeeded(email=email)
        start_new_session()
        login_user(user, remember=bool(form.remember.data))
        mark_seen()
        audit.set_actor(current_session(), actor_id=user.id, label=user.email)
        audit.record(current_session(), action="sign_in", entity_type="users", entity_id=user.id)
        return redirect(destination)
    return render_template("auth/sign_in.html", form=form)


def start_new_session() -> None:
    """Nothing from before the sign-in carries over (session fixation): the session's contents
    go, and with them the CSRF token, so a token seen before signing in is worthless after."""
    flask_session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    generate_csrf()


def _end_every_session() -> None:
    if current_user.is_authenticated:
        user = service.get(current_session(), current_user.id)
        if user is not None:
            service.end_all_sessions(current_session(), user=user)
    logout_user()


@bp.route("/sign-out", methods=["POST"])
def sign_out() -> Any:
    # Sessions are ended by the user's session generation, so signing out in one browser ends
    # every session and remember-me cookie of the account: a copy of this browser's cookie
    # must not outlive the sign-out.
    _end_every_session()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.sign_in"))


@bp.route("/sign-out-everywhere", methods=["POST"])
def sign_out_everywhere() -> Any:
    _end_every_session()
    flash(
        "You are signed out in every browser and on every device, "
        "including those where you asked to stay signed in.",
        "info",
    )
    return redirect(url_for("auth.sign_in"))


# When the signed-in user was last seen (Unix seconds), kept in the signed session cookie.
LAST_SEEN_KEY = "_last_seen"
# Refreshed at most this often, so that a burst of requests does not rewrite the cookie each time.
LAST_SEEN_RESOLUTION_SECONDS = 60
STATIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})


def mark_seen(now: float | None = None) -> None:
    flask_session[LAST_SEEN_KEY] = int(time.time() if now is None else now)


def _idle_for_too_long(now: float) -> bool:
    """True when the signed-in user's last request is older than SESSION_IDLE_MINUTES; else
    notes this request (a session without the mark, e.g. restored by the remember-me cookie,
    starts counting now)."""
    seen = flask_session.get(LAST_SEEN_KEY)
    limit = current_app.config["SESSION_IDLE_MINUTES"] * 60
    if isinstance(seen, int | float) and now - seen > limit:
        return True
    if not isinstance(seen, int | float) or now - seen >= LAST_SEEN_RESOLUTION_SECONDS:
        mark_seen(now)
    return False


def _sign_in_needed(message: str | None = None) -> Any:
    if request.path.startswith(("/dashboards/_dash", "/dashboards/_reload")):
        return jsonify(error="Unauthorized", message=message or "Sign in first.", status=401), 401
    target = request.full_path if request.query_string else request.path
    return redirect(url_for("auth.sign_in", next=target if request.method == "GET" else None))


def register_guard(app: Flask) -> None:
    """Every request except sign-in and static files needs a signed-in, active user, who has
    not been idle for longer than SESSION_IDLE_MINUTES, and whose scope holds the page
    (``scope_allows``: a hotline user gets 404 for everything but their hotline's pages)."""

    @app.before_request
    def require_sign_in() -> Any:
        if request.endpoint in STATIC_ENDPOINTS:
            return None
        if request.path.startswith("/api/"):
            return None  # the API authenticates each request by its token, never the session
        # A deactivated user is not loaded at all (load_user), so their session ends here too.
        if current_user.is_authenticated and _idle_for_too_long(time.time()):
            minutes = current_app.config["SESSION_IDLE_MINUTES"]
            logout_user()
            flask_session.pop(LAST_SEEN_KEY, None)
            message = (
                f"You were signed out after {minutes} minutes without activity. "
                "Please sign in again."
            )
            flash(message, "warning")
            return _sign_in_needed(message)
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if current_user.is_authenticated:
            if not scope_allows(current_user, request.endpoint, request.view_args):
                if request.endpoint == "main.home":  # "/" is their hotline's page
                    return redirect(url_for("portal.home"))
                abort(404)
            audit.set_actor(current_session(), actor_id=current_user.id, label=current_user.email)
            return None
        return _sign_in_needed()


# --- users administration (admins only) ------------------------------------------------------


def _reset_password(session: Session, user: Any, form: Any) -> str:
    try:
        service.reset_password(session, user=user, password=form.password.data or "")
    except ValidationError as error:
        raise ValidationError("password", error.message) from error
    return f"{user.full_name} has a new password. Tell them by a separate channel."


PASSWORD_RESET = SubAction(
    "password_form", lambda session, obj: PasswordResetForm(prefix="password"), _reset_password
)
USERS = Resource(
    singular="user",
    plural="Users",
    list_spec=service.USER_LIST,
    form=user_form,
    create=service.create_account,
    update=service.update_account,
    detail_template="auth/user_detail.html",
    detail_context=lambda session, obj: _user_context(session, obj),
    write_role=Role.ADMIN,
    list_actions=(("Invite a hotline user", "auth.users_invite"),),
    personal_data=lambda session, obj: service.export_user(session, user=obj),
)
pages.register(
    bp,
    USERS,
    "users_list",
    "users_detail",
    "users_new",
    "users_edit",
    "users_export",
    ("/users/<id:record_id>/password", PASSWORD_RESET, "users_password"),
)


@bp.before_request
def users_pages_are_for_admins() -> Any:
    """Every page under /auth/users — lists and details included — is for admins only."""
    if (request.endpoint or "").startswith("auth.users_") and not has_role(
        current_user, Role.ADMIN
    ):
        abort(403)
    return None


def _user_context(session: Session, user: Any, **forms: FlaskForm) -> dict[str, Any]:
    return {
        "hotlines": _hotline_list(session, user) if user.role == Role.HOTLINE else None,
        "password_form": forms.get("password_form") or PasswordResetForm(prefix="password"),
        "erase_form": forms.get("erase_form") or EraseForm(prefix="erase"),
        "is_erased": service.is_erased(user),
        "is_self": user.id == current_user.id,
    }


def _user_page(user_id: int, *, status: int, message: str | None = None, **forms: FlaskForm) -> Any:
    """The user's page again with a refused action explained (nothing was changed)."""
    session = current_session()
    session.rollback()
    user = service.get_user(session, user_id)
    return pages.detail_page(USERS, user, status=status, refused=message, **forms)


def _user_action(user_id: int, action: Any, done: str) -> Any:
    session = current_session()
    user = service.get_user(session, user_id)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    try:
        action(session, user=user)
    except ValidationError as error:
        return _user_page(user_id, status=422, message=error.message)
    flash(done.format(name=user.full_name), "success")
    return redirect(url_for("auth.users_detail", record_id=user.id))


@bp.route("/users/<id:record_id>/deactivate", methods=["POST"])
@require_role(Role.ADMIN)
def users_deactivate(record_id: int) -> Any:
    return _user_action(
        record_id,
        service.deactivate_user,
        "{name} is deactivated: their open sessions end with their next click.",
    )


@bp.route("/users/<id:record_id>/reactivate", methods=["POST"])
@require_role(Role.ADMIN)
def users_reactivate(record_id: int) -> Any:
    return _user_action(record_id, service.reactivate_user, "{name} can sign in again.")


@bp.route("/users/<id:record_id>/erase", methods=["POST"])
@require_role(Role.ADMIN)
def users_erase(record_id: int) -> Any:
    session = current_session()
    user = service.get_user(session, record_id)
    form = EraseForm(prefix="erase")
    if not form.validate_on_submit():
        return _user_page(record_id, status=422, erase_form=form)
    try:
        service.erase_user(session, user=user, actor_id=current_user.id)
    except ValidationError as error:
        return _user_page(record_id, status=422, message=error.message)
    flash(
        "The user's personal data was erased, also from the audit trail; what they did is kept.",
        "info",
    )
    return redirect(url_for("auth.users_detail", record_id=user.id))


# --- invitations: hotline users and their set-password links ---------------------------------

MAIL_NOT_CONFIGURED = (
    "coordapp has no mail settings yet, so the link was not e-mailed: copy it and give it to "
    "{name} by a channel you trust. It works once, until {until} UTC, and is not shown again."
)
MAIL_FAILED = (
    "The link could not be e-mailed ({reason}): copy it and give it to {name} by a channel you "
    "trust. It works once, until {until} UTC, and is not shown again."
)
LINK_EMAILED = (
    "Invitation e-mailed to {email}: the set-password link in it works once, until {until} UTC."
)


def _link_shown(user: Any, token: str, expires_at: Any, failure: str | None = None) -> Any:
    """The page that shows a new set-password link, once (no-store, like every page); with
    ``failure``, why it could not be e-mailed."""
    url = url_for("auth.set_password", token=token, _external=True)
    until = f"{expires_at:%Y-%m-%d %H:%M}"
    note = MAIL_FAILED if failure else MAIL_NOT_CONFIGURED
    return render_template(
        "auth/set_password_link.html",
        user=user,
        link=url,
        note=note.format(name=user.full_name, until=until, reason=failure),
    )


def _invitation_sent(invitation: invites.Invitation) -> Any:
    """E-mail the invitation when the app has mail; else, or when it fails, show the link."""
    if not mail.is_configured(current_app.config):
        return _link_shown(invitation.user, invitation.token, invitation.expires_at)
    try:
        invites.email_invitation(invitation)
    except (mail.MailUnavailable, mail.MailRefused) as error:
        return _link_shown(invitation.user, invitation.token, invitation.expires_at, str(error))
    until = f"{invitation.expires_at:%Y-%m-%d %H:%M}"
    flash(LINK_EMAILED.format(email=invitation.user.email, until=until), "success")
    return redirect(url_for("auth.users_detail", record_id=invitation.user.id))


@bp.route("/users/invite", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def users_invite() -> Any:
    session = current_session()
    form = InviteForm()
    form.hotlines.choices = hotline_names(session)
    status = 200
    if form.validate_on_submit():
        try:
            invitation = invites.invite_hotline_user(
                session,
                email=form.email.data,
                full_name=form.full_name.data,
                hotline_ids=_chosen_hotline_ids(form),
            )
        except ValidationError as error:
            attach_error(form, error)
        else:
            return _invitation_sent(invitation)
    if form.is_submitted():
        session.rollback()
        status = 422
    return render_template("auth/invite.html", form=form), status


def _chosen_hotline_ids(form: InviteForm | UserHotlinesForm) -> list[int]:
    raw = form.hotlines.data or []
    ids = [int(value) for value in raw if str(value).isdecimal() and len(value) < 12]
    if len(ids) != len(raw):
        raise ValidationError("hotlines", "Choose hotlines from the list.")
    return ids


@bp.route("/users/<id:record_id>/hotlines", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def users_hotlines(record_id: int) -> Any:
    """Change which hotlines a hotline user works for (their open sessions end)."""
    session = current_session()
    user = service.get_user(session, record_id)
    if user.role != Role.HOTLINE or service.is_erased(user):
        abort(404, description="Only a hotline user's account is bound to hotlines.")
    form = UserHotlinesForm()
    form.hotlines.choices = hotline_names(session)
    if not form.is_submitted():
        form.hotlines.data = [str(h) for h in sorted(user.hotline_ids)]
    status = 200
    if form.validate_on_submit():
        try:
            invites.set_user_hotlines(session, user=user, hotline_ids=_chosen_hotline_ids(form))
        except ValidationError as error:
            attach_error(form, error)
        else:
            flash(
                f"{user.full_name} now works for {_hotline_list(session, user)}; "
                "their open sessions have ended.",
                "success",
            )
            return redirect(url_for("auth.users_detail", record_id=user.id))
    if form.is_submitted():
        session.rollback()
        status = 422
    return render_template("auth/user_hotlines.html", user=user, form=form), status


def _hotline_list(session: Session, user: Any) -> str:
    names = dict(hotline_names(session))
    return ", ".join(names.get(str(h), f"hotline {h}") for h in sorted(user.hotline_ids))


@bp.route("/users/<id:record_id>/set-password-link", methods=["POST"])
@require_role(Role.ADMIN)
def users_set_password_link(record_id: int) -> Any:
    session = current_session()
    user = service.get_user(session, record_id)
    require_fresh_form()
    if service.is_erased(user):
        return _user_page(record_id, status=422, message="This account was erased.")
    try:
        token, expires_at = invites.new_set_password_link(session, user=user)
    except ValidationError as error:
        return _user_page(record_id, status=422, message=error.message)
    return _link_shown(user, token, expires_at)


@bp.route("/set-password/<token>", methods=["GET", "POST"])
def set_password(token: str) -> Any:
    """Public: whoever holds the link chooses the account's password, once, before it expires."""
    session = current_session()
    try:
        link = invites.usable_link(session, token=token)
    except ValidationError as error:
        return render_template("auth/set_password.html", form=None, refused=error.message), 410
    form = SetPasswordForm()
    user = service.get(session, link.user_id)
    if form.validate_on_submit():
        try:
            user = invites.use_set_password_link(
                session, token=token, password=form.password.data or ""
            )
        except ValidationError as error:
            session.rollback()
            attach_error(form, ValidationError("password", error.message))
        else:
            if current_user.is_authenticated:
                logout_user()
            start_new_session()
            login_user(user)
            mark_seen()
            audit.set_actor(session, actor_id=user.id, label=user.email)
            flash("Your password is set and you are signed in.", "success")
            return redirect(url_for("main.home"))
    status = 422 if form.is_submitted() else 200
    return render_template("auth/set_password.html", form=form, user=user, refused=None), status
