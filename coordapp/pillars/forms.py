from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from coordapp.forms import VersionedForm, enum_choices, optional_choices
from coordapp.pillars.models import PillarIndicator, PillarTarget
from coordapp.reference import service as reference


class TextValueField(StringField):
    """A text box for a stored number (Decimal, int): the form always holds text."""

    def process_data(self, value: Any) -> None:
        self.data = None if value is None else str(value)


class PillarTargetForm(VersionedForm):
    pillar_id = SelectField("Pillar", validate_choice=False)
    year = TextValueField(
        "Year",
        validators=[DataRequired(), Length(max=4)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    indicator = SelectField(
        "Indicator",
        choices=optional_choices(enum_choices(PillarIndicator), empty="— choose —"),
        validate_choice=False,
        description="What the target measures; its actual is computed from the records.",
    )
    target_value = TextValueField(
        "Target value",
        validators=[DataRequired(), Length(max=30)],
        description="A whole number for counts; EUR with at most 2 decimals.",
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )
    description = StringField(
        "Description",
        validators=[Optional(), Length(max=200)],
        description="Optional: how the target was set. No links.",
        render_kw={"data-col": "col-12"},
    )


def pillar_target_form(session: Session, obj: PillarTarget | None) -> FlaskForm:
    form = PillarTargetForm(obj=obj)
    form.pillar_id.choices = optional_choices(reference.pillar_choices(session), empty="— choose —")
    if obj is not None and not form.is_submitted():
        form.pillar_id.data = str(obj.pillar_id)
        form.year.data = str(obj.year)
        form.indicator.data = obj.indicator.value
        form.target_value.data = (
            f"{obj.target_value:.2f}" if obj.indicator.unit == "EUR" else f"{obj.target_value:.0f}"
        )
    return form
