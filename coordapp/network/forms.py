"""Forms of the network domain: hotlines, membership events, expansion targets, stage moves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.orm import Session
from wtforms import (
    DateField,
    Field,
    IntegerField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    StopValidation,
)
from wtforms.widgets import CheckboxInput

from coordapp.errors import ValidationError as DomainValidationError
from coordapp.forms import (
    OrganizationField,
    VersionedForm,
    enum_choices,
    fill_owner,
    notes_field,
    optional_choices,
    owner_field,
    text_field,
)
from coordapp.labels import label
from coordapp.network import expansion, hotlines
from coordapp.network.models import (
    ExpansionStage,
    ExpansionTarget,
    Hotline,
    MembershipStatus,
    Priority,
)
from coordapp.reference import service as reference


class InlineCheckboxes:
    """Bootstrap inline checkboxes (the shared form macro would otherwise box them as a list)."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        boxes = Markup("").join(
            Markup('<div class="form-check form-check-inline">{} {}</div>').format(
                option(class_="form-check-input"), option.label(class_="form-check-label")
            )
            for option in field
        )
        return Markup('<div id="{}" class="pt-1">{}</div>').format(
            kwargs.get("id", field.id), boxes
        )


class MultiCheckboxField(SelectMultipleField):
    """Several fixed choices as a row of checkboxes."""

    widget = InlineCheckboxes()
    option_widget = CheckboxInput()


FOUNDED_YEAR_HELP = f"{hotlines.FIRST_FOUNDED_YEAR} to this year."
LANGUAGES_HELP = "ISO 639-1 codes separated by spaces or commas, e.g. de en fr."


def reporting_channels_field() -> Any:
    """The ways a hotline takes reports, as checkboxes (the hotline form and its own profile)."""
    return MultiCheckboxField(
        "Reporting channels",
        choices=[(c, label(c)) for c in hotlines.REPORTING_CHANNELS],
        validators=[Optional()],
    )


def _service_check(clean: Callable[[str, object], object]) -> Callable[[Any, Field], None]:
    """A form validator from a service cleaner, so every message shows at once."""

    def check(form: Any, field: Field) -> None:
        try:
            clean(field.name, field.data)
        except DomainValidationError as error:
            raise StopValidation(error.message) from None

    return check


def _founded_year(form: Any, field: Field) -> None:
    if field.data is not None and not (
        hotlines.FIRST_FOUNDED_YEAR <= field.data <= date.today().year
    ):
        raise StopValidation(
            f"The founding year must be between {hotlines.FIRST_FOUNDED_YEAR} and "
            f"{date.today().year}."
        )


class HotlineForm(VersionedForm):
    name = text_field("Name", max_length=200, required=True)
    operator = OrganizationField(
        "Operating organization", description="Type to pick an existing organization."
    )
    country_code = SelectField("Home country", validators=[DataRequired()])
    covered_countries = SelectMultipleField(
        "Also accepts reports for",
        validators=[Optional()],
        description="Ctrl/⌘-click to choose several. The home country is always covered.",
        render_kw={"size": 8},
    )
    public_url = text_field(
        "Public reporting page",
        max_length=300,
        description="The hotline's own public page (http:// or https://), never a reported URL.",
    )
    founded_year = IntegerField(
        "Founded (year)", validators=[Optional(), _founded_year], description=FOUNDED_YEAR_HELP
    )
    languages = text_field(
        "Languages",
        max_length=200,
        checks=[_service_check(hotlines.clean_languages)],
        description=LANGUAGES_HELP,
    )
    reporting_channels = reporting_channels_field()
    staff_count = IntegerField(
        "Staff",
        validators=[
            Optional(),
            NumberRange(
                min=0,
                max=hotlines.MAX_STAFF,
                message="The staff count must be between 0 and %(max)s.",
            ),
        ],
        description="People, 0 or more.",
    )
    owner_id = owner_field(
        "The secretariat's liaison: the hotline's missing or late figures, "
        "quarters to review and compliance items are theirs on the home page."
    )
    notes = notes_field()


def hotline_form(session: Session, obj: Hotline | None) -> FlaskForm:
    form = HotlineForm()
    fill_owner(
        session,
        form.owner_id,
        obj.owner_id if obj is not None else None,
        shown=not form.is_submitted(),
    )
    countries = reference.country_choices(session)
    form.country_code.choices = optional_choices(countries)
    form.covered_countries.choices = countries
    if obj is not None and not form.is_submitted():
        form.name.data = obj.name
        form.operator.data = obj.operator.name if obj.operator else ""
        form.country_code.data = obj.country_code
        form.covered_countries.data = [
            code for code in obj.covered_codes if code != obj.country_code
        ]
        form.public_url.data = obj.public_url
        form.founded_year.data = obj.founded_year
        form.languages.data = obj.languages
        form.reporting_channels.data = (obj.reporting_channels or "").split()
        form.staff_count.data = obj.staff_count
        form.notes.data = obj.notes
    # The countries already chosen head the long list, so they can be seen without scrolling.
    chosen = set(form.covered_countries.data or [])
    form.covered_countries.choices = [c for c in countries if c[0] in chosen] + [
        c for c in countries if c[0] not in chosen
    ]
    return form


class MembershipEventForm(FlaskForm):
    on = DateField("Date", validators=[InputRequired()])
    status = SelectField("Status", choices=enum_choices(MembershipStatus))
    note = text_field("Note", max_length=500)
    reason = text_field(
        "Reason (only to promote despite missing requirements)",
        max_length=500,
        description="A full member needs every requirement the register marks as needed; a "
        "promotion without them asks for a reason, which the audit log keeps.",
    )


def membership_event_form() -> MembershipEventForm:
    return MembershipEventForm(prefix="event")


class ExpansionNewForm(VersionedForm):
    country_code = SelectField("Country", validators=[DataRequired()])
    stage = SelectField("Initial stage", choices=enum_choices(ExpansionStage))
    stage_on = DateField("Stage entered on", validators=[InputRequired()], default=date.today)
    priority = SelectField(
        "Priority", choices=enum_choices(Priority), default=Priority.MEDIUM.value
    )
    owner_id = SelectField("Owner", validators=[Optional()])
    hotline_id = SelectField("Hotline being set up", validators=[Optional()])
    next_step = text_field("Next step", max_length=300)
    next_step_due = DateField("Next step due", validators=[Optional()])
    notes = notes_field()


class ExpansionEditForm(VersionedForm):
    priority = SelectField("Priority", choices=enum_choices(Priority))
    owner_id = SelectField("Owner", validators=[Optional()])
    hotline_id = SelectField("Hotline being set up", validators=[Optional()])
    next_step = text_field("Next step", max_length=300)
    next_step_due = DateField("Next step due", validators=[Optional()])
    notes = notes_field()


def expansion_form(session: Session, obj: ExpansionTarget | None) -> FlaskForm:
    """The new-target form (country and first stage) or the edit form (stages move apart)."""
    form: ExpansionNewForm | ExpansionEditForm
    if obj is None:
        form = ExpansionNewForm()
        form.country_code.choices = optional_choices(reference.country_choices(session))
    else:
        form = ExpansionEditForm()
    owners = expansion.assignable_owner_choices(session)
    if obj is not None and obj.owner is not None and str(obj.owner_id) not in dict(owners):
        # Keep a current owner who has since left the managers selectable.
        owners.append((str(obj.owner_id), obj.owner.full_name))
    form.owner_id.choices = optional_choices(owners)
    form.hotline_id.choices = optional_choices(hotlines.hotline_names(session))
    if isinstance(form, ExpansionEditForm) and obj is not None and not form.is_submitted():
        form.priority.data = obj.priority.value
        form.owner_id.data = str(obj.owner_id) if obj.owner_id else ""
        form.hotline_id.data = str(obj.hotline_id) if obj.hotline_id else ""
        form.next_step.data = obj.next_step
        form.next_step_due.data = obj.next_step_due
        form.notes.data = obj.notes
    return form


class MoveStageForm(FlaskForm):
    stage = SelectField("Move to stage", choices=enum_choices(ExpansionStage))
    on = DateField("On", validators=[InputRequired()], default=date.today)
    note = text_field("Note", max_length=500)


def move_stage_form(current: ExpansionStage | None = None) -> MoveStageForm:
    """The move form, offering the stage after ``current`` (moves back are one pick away)."""
    form = MoveStageForm(prefix="move")
    if current is not None and not form.is_submitted():
        stages = list(ExpansionStage)
        form.stage.data = stages[min(stages.index(current) + 1, len(stages) - 1)].value
    return form
