"""Forms of the training pages: the event, and one participation row."""

from __future__ import annotations

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from coordapp.forms import (
    OrganizationField,
    VersionedForm,
    enum_choices,
    notes_field,
    optional_choices,
    text_field,
)
from coordapp.reference import service as reference
from coordapp.training import service
from coordapp.training.models import (
    DeliveryMode,
    TrainingEvent,
    TrainingKind,
    TrainingParticipation,
)


class TrainingEventForm(VersionedForm):
    title = text_field("Title", max_length=200, required=True)
    kind = SelectField("Kind", choices=enum_choices(TrainingKind))
    pillar_id = SelectField("Pillar")
    topics = text_field(
        "Topics",
        max_length=300,
        description="Short subjects, e.g. image classification, analyst wellbeing.",
    )
    start_date = DateField("Start date", validators=[InputRequired()])
    end_date = DateField(
        "End date", validators=[InputRequired()], description="The same day for one-day events."
    )
    delivery = SelectField("Delivery", choices=enum_choices(DeliveryMode))
    location_country_code = SelectField(
        "Location country",
        validators=[Optional()],
        description="Required for in-person and hybrid events; optional online.",
    )
    organizer = OrganizationField(
        "Organizer", description="The organization that ran it; type a few letters to pick one."
    )
    trainers = text_field("Trainers", max_length=300, description="Names or teams.")
    notes = notes_field()


def event_form(session: Session, obj: TrainingEvent | None) -> FlaskForm:
    form = TrainingEventForm(obj=obj)
    form.pillar_id.choices = reference.pillar_choices(session)
    form.location_country_code.choices = optional_choices(reference.country_choices(session))
    if obj is not None and not form.is_submitted():
        form.kind.data = obj.kind.value
        form.delivery.data = obj.delivery.value
        form.pillar_id.data = str(obj.pillar_id)
        form.organizer.data = obj.organizer.name if obj.organizer else ""
    return form


class ParticipationForm(FlaskForm):
    hotline_id = SelectField(
        "Hotline", validators=[Optional()], description="A member hotline, or…"
    )
    organization = OrganizationField(
        "Organization", description="…another organization (not both)."
    )
    participants = StringField(
        "Participants", render_kw={"inputmode": "numeric"}, description="People sent (0 or more)."
    )
    completed = StringField(
        "Completed",
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
        description="At most the participants; empty if not tracked.",
    )
    feedback_score = StringField(
        "Feedback (1–5)",
        validators=[Optional()],
        render_kw={"inputmode": "decimal"},
        description="One decimal allowed, e.g. 4.5.",
    )
    attendee_names = TextAreaField(
        "Named attendees (personal data, optional)",
        validators=[Optional(), Length(max=5000)],
        description=(
            "One name per line, only if the network needs them; personal data, erasable. "
            "Counts alone are enough."
        ),
        render_kw={"rows": 3},
    )


def participation_form(
    session: Session, row: TrainingParticipation | None = None
) -> ParticipationForm:
    form = ParticipationForm(prefix="p")
    form.hotline_id.choices = optional_choices(
        service.hotline_choices(session, keep=row.hotline_id if row else None)
    )
    if row is not None and not form.is_submitted():
        form.hotline_id.data = str(row.hotline_id) if row.hotline_id else ""
        form.organization.data = row.organization.name if row.organization else ""
        form.participants.data = str(row.participants)
        form.completed.data = "" if row.completed is None else str(row.completed)
        form.feedback_score.data = "" if row.feedback_score is None else f"{row.feedback_score:.1f}"
        form.attendee_names.data = row.attendee_names or ""
    return form
