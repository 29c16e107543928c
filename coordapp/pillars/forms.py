from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectField

from coordapp.forms import VersionedForm, enum_choices, number_field, optional_choices, text_field
from coordapp.pillars.models import PillarIndicator, PillarTarget
from coordapp.reference import service as reference


class PillarTargetForm(VersionedForm):
    pillar_id = SelectField("Pillar", validate_choice=False)
    year = number_field("Year", max_length=4, inputmode="numeric")
    indicator = SelectField(
        "Indicator",
        choices=optional_choices(enum_choices(PillarIndicator), empty="— choose —"),
        validate_choice=False,
        description="What the target measures; its actual is computed from the records.",
    )
    target_value = number_field(
        "Target value",
        max_length=30,
        description="A whole number for counts; EUR with at most 2 decimals.",
    )
    description = text_field(
        "Description",
        max_length=200,
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
