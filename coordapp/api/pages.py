"""Pages for people (session sign-in): API tokens, and the API's documentation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Optional

from coordapp.api.spec import build_spec
from coordapp.auth import tokens as api_tokens
from coordapp.auth.models import Role
from coordapp.errors import ValidationError
from coordapp.extensions import current_session

bp = Blueprint("api_pages", __name__)


class TokenForm(FlaskForm):
    name = StringField("Token name", validators=[Optional()])


def _page(form: TokenForm, *, plaintext: str | None = None, status: int = 200) -> Any:
    session = current_session()
    is_admin = current_user.has_role(Role.ADMIN)
    tokens = api_tokens.user_tokens(session, user=None if is_admin else current_user)
    return render_template(
        "auth/tokens.html",
        form=form,
        revoke_form=FlaskForm(),
        tokens=tokens,
        plaintext=plaintext,
        is_admin=is_admin,
    ), status


@bp.get("/auth/tokens")
def tokens() -> Any:
    return _page(TokenForm())


@bp.post("/auth/tokens")
def tokens_create() -> Any:
    form = TokenForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    try:
        _token, plaintext = api_tokens.create_token(
            current_session(), user=current_user, name=form.name.data
        )
    except ValidationError as error:
        form.name.errors = [error.message]
        return _page(form, status=422)
    # Shown once, in this response only: never stored, never put in a flash or a URL.
    return _page(TokenForm(formdata=None), plaintext=plaintext, status=201)


@bp.post("/auth/tokens/<id:token_id>/revoke")
def tokens_revoke(token_id: int) -> Any:
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; reload the page and try again.")
    session = current_session()
    token = api_tokens.get_token(session, token_id)
    api_tokens.revoke_token(session, token=token, by=current_user)
    flash(f"The token {token.name!r} is revoked: it no longer works.", "success")
    return redirect(url_for("api_pages.tokens"))


@bp.get("/api-docs")
def docs() -> Any:
    return render_template("api/docs.html", spec=build_spec())
