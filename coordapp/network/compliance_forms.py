"""Forms of the compliance register: a requirement (admins) and a hotline's item (managers)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from coordapp.forms import VersionedForm, enum_choices, text_area_field, text_field
from coordapp.network.compliance_models import (
    ComplianceItem,
    ComplianceRequirement,
    ComplianceStatus,
)

_REFERENCE_HELP = (
    "Where the document is kept, as text (e.g. “CoP register 2024/17”); never a file or a link."
)


class RequirementForm(VersionedForm):
    name = text_field("Name", max_length=120, required=True)
    detail_label = text_field(
        "What an item's detail says",
        max_length=60,
        description="E.g. “Version” (of the Code of Practice signed) or “Result”; empty: none.",
    )
    has_expiry = BooleanField("Items expire (an expiry or next due date)")
    renewal_months = IntegerField(
        "Renewal period (months)",
        validators=[Optional(), NumberRange(min=1, max=120)],
        description="When set, an item's expiry defaults to this long after it was done.",
    )
    needed_for_full = BooleanField("Needed for full membership", default=True)
    sort_order = IntegerField(
        "Sort order", validators=[Optional(), NumberRange(min=0, max=10_000)], default=0
    )
    description = text_area_field("Description", max_length=5000, rows=3)


class ComplianceItemForm(VersionedForm):
    status = SelectField("Status", choices=enum_choices(ComplianceStatus))
    detail = text_field("Detail", max_length=200)
    document_reference = text_field(
        "Document reference", max_length=200, description=_REFERENCE_HELP
    )
    done_on = DateField("Done on", validators=[Optional()])
    expires_on = DateField(
        "Expires on / next due",
        validators=[Optional()],
        description="The last day it holds. Empty: worked out from the renewal period, if any.",
    )
    note = text_area_field("Note", max_length=1000, rows=3)


def item_form(requirement: ComplianceRequirement, item: ComplianceItem | None) -> FlaskForm:
    form = ComplianceItemForm(obj=item)
    form.detail.label.text = requirement.detail_label or "Detail"
    if not requirement.has_expiry:
        del form.expires_on
    if item is not None and not form.is_submitted():
        form.version.data = str(item.version)
    return form
