"""The admins' forms for metric definitions (their versions and validity)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from coordapp.forms import text_field
from coordapp.reference.models import MetricUnit

UNIT_CHOICES = [(u.value, u.label) for u in MetricUnit]


class MetricForm(FlaskForm):
    """A version: a new metric (with its code), a new version of one, or a correction."""

    code = text_field(
        "Code",
        max_length=40,
        description="Lower-case letters, digits and underscores; never changes.",
    )
    name = StringField("Name", validators=[InputRequired(), Length(max=120)])
    unit = SelectField("Unit", choices=UNIT_CHOICES, validators=[InputRequired()])
    definition = TextAreaField(
        "Description", validators=[InputRequired(), Length(max=2000)], render_kw={"rows": 3}
    )
    valid_from = DateField(
        "Valid from",
        validators=[InputRequired()],
        description="The first day of a quarter.",
    )
    valid_until = DateField(
        "Valid until",
        validators=[Optional()],
        description="The last day of a quarter; empty while the version is in force.",
    )


class RetireForm(FlaskForm):
    valid_until = DateField(
        "Valid until",
        validators=[InputRequired()],
        description="The last day of a quarter: no value is entered against it afterwards.",
    )
