from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from coordapp.forms import VersionedForm, enum_choices, optional_choices
from coordapp.partners.models import Organization, OrganizationKind, OrganizationStatus
from coordapp.reference import service as reference


class OrganizationForm(VersionedForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    kind = SelectField("Kind", choices=enum_choices(OrganizationKind))
    status = SelectField("Status", choices=enum_choices(OrganizationStatus))
    hq_country_code = SelectField("HQ country", validators=[Optional()])
    website = StringField(
        "Website",
        validators=[Optional(), Length(max=300)],
        description="The organization's public site (http:// or https://).",
    )
    tags = StringField(
        "Tags",
        validators=[Optional(), Length(max=300)],
        description="Short labels separated by spaces, e.g. search social.",
    )
    notes = TextAreaField(
        "Notes",
        validators=[Optional(), Length(max=5000)],
        description="Coordination notes only: no links, no report details.",
        render_kw={"rows": 4, "data-col": "col-12"},
    )


def organization_form(session: Session, obj: Organization | None) -> FlaskForm:
    form = OrganizationForm(obj=obj)
    form.hq_country_code.choices = optional_choices(reference.country_choices(session))
    if obj is not None and not form.is_submitted():
        form.kind.data = obj.kind.value
        form.status.data = obj.status.value
    return form
