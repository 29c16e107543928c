"""The interaction form: what happened, who took part, and the follow-up owed."""

from __future__ import annotations

from flask import request
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, Optional

from coordapp import validation
from coordapp.forms import NOTES_ONLY, enum_choices, optional_choices, text_area_field
from coordapp.partners import interactions
from coordapp.partners.interaction_models import Interaction, InteractionKind


class InteractionForm(FlaskForm):
    organization_id = SelectField(
        "Organization", validate_choice=False, render_kw={"data-col": "col-12"}
    )
    occurred_on = DateField(
        "Date", validators=[InputRequired(message="Enter the date it took place.")]
    )
    kind = SelectField("Kind", choices=enum_choices(InteractionKind), validate_choice=False)
    participant_ids = SelectMultipleField(
        "Who took part",
        validate_choice=False,
        description="Contacts of the organization; hold Ctrl (⌘ on a Mac) to choose several.",
        render_kw={"size": 5, "data-col": "col-12"},
    )
    note = text_area_field("Note", max_length=2000, rows=4, description=NOTES_ONLY)
    follow_up_on = DateField(
        "Follow-up due",
        validators=[Optional()],
        description="With an owner: it shows in needs-attention from a week before.",
    )
    follow_up_owner_id = SelectField("Follow-up owner", validate_choice=False)
    follow_up_done_on = DateField("Follow-up done on", validators=[Optional()])


def _organization_in_view(
    session: Session, form: InteractionForm, obj: Interaction | None
) -> int | None:
    """The organization whose contacts the form offers: the record's, the one submitted, or the
    one the page was opened for."""
    if obj is not None:
        return obj.organization_id
    chosen = validation.record_id(form.organization_id.data)
    if chosen is not None:
        return chosen
    defaults = interactions.interaction_defaults(session, request.args)
    return validation.record_id(defaults.get("organization_id"))


def interaction_form(session: Session, obj: Interaction | None) -> FlaskForm:
    form = InteractionForm(obj=obj)
    keep = obj.organization_id if obj is not None else None
    form.organization_id.choices = optional_choices(
        interactions.organization_choices(session, keep_id=keep), empty="— choose —"
    )
    form.participant_ids.choices = interactions.participant_choices(
        session,
        organization_id=_organization_in_view(session, form, obj),
        keep_ids=[c.id for c in obj.participants] if obj is not None else [],
    )
    form.follow_up_owner_id.choices = optional_choices(
        interactions.owner_choices(session, keep_id=obj.follow_up_owner_id if obj else None),
        empty="— no follow-up —",
    )
    if obj is not None and not form.is_submitted():
        form.organization_id.data = str(obj.organization_id)
        form.kind.data = obj.kind.value
        form.participant_ids.data = [str(c.id) for c in obj.participants]
        form.follow_up_owner_id.data = str(obj.follow_up_owner_id or "")
    return form
