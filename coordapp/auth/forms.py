from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    SubmitField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from coordapp.auth.models import Role, User
from coordapp.auth.passwords import POLICY_TEXT
from coordapp.forms import VersionedForm, enum_choices, text_field


class SignInForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    remember = BooleanField("Keep me signed in on this device")
    submit = SubmitField("Sign in")


class SignOutForm(FlaskForm):
    submit = SubmitField("Sign out")


class UserEditForm(VersionedForm):
    full_name = text_field("Name", max_length=160, required=True)
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    # The service refuses an unknown role, and demoting the last active admin, with a message.
    role = SelectField(
        "Role",
        choices=enum_choices(Role),
        validate_choice=False,
        description="Viewer: reads everything. Manager: also creates and edits records. "
        "Admin: also manages users, reference data and the audit log. Hotline: their own "
        'hotline only (invite them with "Invite a hotline user", which binds the hotline).',
    )


def new_password_field(
    label: str = "New password", *, description: str = POLICY_TEXT
) -> PasswordField:
    """A password being chosen: the browser may offer to generate one rather than fill in the
    saved one."""
    return PasswordField(
        label,
        validators=[DataRequired(), Length(max=200)],
        description=description,
        render_kw={"autocomplete": "new-password"},
    )


class UserCreateForm(UserEditForm):
    password = new_password_field(
        "Initial password",
        description=POLICY_TEXT + " Give it to the person by a separate channel.",
    )


def user_form(session: Session, obj: User | None) -> FlaskForm:
    form: UserEditForm = UserEditForm(obj=obj) if obj is not None else UserCreateForm()
    if obj is not None and not form.is_submitted():
        form.role.data = obj.role.value
    if obj is None and not form.is_submitted():
        form.role.data = Role.VIEWER.value
    return form


class PasswordResetForm(FlaskForm):
    password = new_password_field()


class EraseForm(FlaskForm):
    """Erasure cannot be undone: the admin ticks a box to confirm it."""

    confirm = BooleanField(
        "I understand that this erases the personal data for good",
        validators=[DataRequired(message="Tick the box to confirm the erasure.")],
    )


def hotlines_field() -> SelectMultipleField:
    """The hotline(s) a hotline user works for; choices: ``network.hotlines.hotline_names``."""
    return SelectMultipleField(
        "Hotline",
        coerce=str,
        validate_choice=False,  # the service refuses an unknown hotline with a message
        description="The hotline this person works for (Ctrl/⌘-click for a few). They will "
        "see that hotline only.",
        render_kw={"size": 8},
    )


class InviteForm(FlaskForm):
    """A hotline user: name, address and the hotline(s) they work for."""

    full_name = text_field("Name", max_length=160, required=True)
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    hotlines = hotlines_field()


class UserHotlinesForm(FlaskForm):
    """The hotlines an existing hotline user is bound to."""

    hotlines = hotlines_field()


class SetPasswordForm(FlaskForm):
    password = new_password_field()
    confirm = PasswordField(
        "The same password again",
        validators=[DataRequired(), EqualTo("password", message="The two passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
