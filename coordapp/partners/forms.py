from __future__ import annotations

from datetime import date
from typing import TypeVar

from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import (
    DateField,
    EmailField,
    IntegerField,
    SelectField,
    SelectMultipleField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from coordapp.auth import owners
from coordapp.forms import (
    OrganizationField,
    VersionedForm,
    enum_choices,
    fill_owner,
    notes_field,
    optional_choices,
    owner_field,
    text_area_field,
    text_field,
)
from coordapp.labels import label
from coordapp.partners import models, partnerships
from coordapp.partners.models import Contact, Organization, Partnership
from coordapp.reference import service as reference

ORGANIZATION_HELP = "Type a few letters of its name and pick it from the list."


class OrganizationForm(VersionedForm):
    name = text_field("Name", max_length=200, required=True)
    kind = SelectField("Kind", choices=enum_choices(models.OrganizationKind))
    status = SelectField("Status", choices=enum_choices(models.OrganizationStatus))
    hq_country_code = SelectField("HQ country", validators=[Optional()])
    website = text_field(
        "Website",
        max_length=300,
        description="The organization's public site (http:// or https://).",
    )
    tags = text_field(
        "Tags", max_length=300, description="Short labels separated by spaces, e.g. search social."
    )
    owner_id = owner_field(
        "Who looks after this organization: its contacts gone quiet, and "
        "its agreements and pledges that have no owner of their own, are theirs on the home page."
    )
    notes = notes_field()


def organization_form(session: Session, obj: Organization | None) -> FlaskForm:
    form = OrganizationForm(obj=obj)
    form.hq_country_code.choices = optional_choices(reference.country_choices(session))
    fill_owner(
        session,
        form.owner_id,
        obj.owner_id if obj is not None else None,
        shown=not form.is_submitted(),
    )
    if obj is not None and not form.is_submitted():
        form.kind.data = obj.kind.value
        form.status.data = obj.status.value
    return form


class ContactForm(VersionedForm):
    organization = OrganizationField("Organization", required=True, description=ORGANIZATION_HELP)
    full_name = text_field("Name", max_length=160, required=True)
    job_title = text_field("Job title", max_length=160)
    email = EmailField("Email", validators=[Optional(), Length(max=254)])
    phone = text_field(
        "Phone", max_length=40, description="With the country code, e.g. +32 2 555 01 23."
    )
    lawful_basis = text_area_field(
        "Lawful basis / consent",
        max_length=300,
        rows=2,
        description="Why we may keep this person's details (GDPR), e.g. legitimate interest "
        "as the partner's named contact; consent given on 2025-03-02.",
    )


def contact_form(session: Session, obj: Contact | None) -> FlaskForm:
    form = ContactForm(obj=obj)
    if obj is not None and not form.is_submitted():
        form.organization.data = obj.organization.name
    return form


class PartnershipForm(VersionedForm):
    title = text_field("Title", max_length=200, required=True)
    organization = OrganizationField("Organization", required=True, description=ORGANIZATION_HELP)
    type = SelectField("Type", choices=enum_choices(models.PartnershipType))
    # The service checks the owner, pillars and status change, with messages that say why.
    status = SelectField(
        "Status", choices=enum_choices(models.PartnershipStatus), validate_choice=False
    )
    owner_id = SelectField("Owner", validate_choice=False)
    pillars = SelectMultipleField(
        "Pillars",
        validate_choice=False,
        description="Hold Ctrl (⌘ on a Mac) to choose several.",
        render_kw={"size": 4},
    )
    start_date = DateField("Start date", validators=[Optional()])
    end_date = DateField("End date", validators=[Optional()])
    renewal_notice_days = IntegerField(
        "Renewal notice (days)",
        default=90,
        validators=[Optional(), NumberRange(min=0, max=3650)],
        description="Renewal talks are due this many days before the end date.",
    )
    document_refs = text_area_field(
        "Document references",
        max_length=5000,
        rows=2,
        description="Links to the signed agreement in the document store, one per line "
        "(http:// or https://).",
    )
    notes = notes_field()


def partnership_form(session: Session, obj: Partnership | None) -> FlaskForm:
    form = PartnershipForm(obj=obj)
    form.owner_id.choices = optional_choices(
        owners.owner_choices(session, keep_id=obj.owner_id if obj is not None else None),
        empty="— nobody yet —",
    )
    form.pillars.choices = reference.pillar_choices(session)
    if obj is not None:
        # Offer only the statuses it may move to; the service refuses any other.
        allowed = {obj.status, *partnerships.STATUS_TRANSITIONS[obj.status]}
        form.status.choices = [
            (value, text)
            for value, text in enum_choices(models.PartnershipStatus)
            if value in allowed
        ]
        if not form.is_submitted():
            form.organization.data = obj.organization.name
            form.type.data = obj.type.value
            form.status.data = obj.status.value
            form.owner_id.data = str(obj.owner_id) if obj.owner_id else ""
            form.pillars.data = [str(p.id) for p in obj.pillars]
    return form


class StatusChangeForm(VersionedForm):
    status = SelectField("New status", validate_choice=False)
    on = DateField("On", validators=[InputRequired(message="Enter the date it took effect.")])
    note = text_field(
        "Note", max_length=500, render_kw={"placeholder": "e.g. signed by both parties"}
    )


class RenewalForm(VersionedForm):
    end_date = DateField(
        "New end date", validators=[InputRequired(message="Enter the new end date.")]
    )
    on = DateField("Renewed on", validators=[InputRequired(message="Enter the renewal date.")])
    note = text_field(
        "Note", max_length=500, render_kw={"placeholder": "e.g. renewed for two years, same terms"}
    )


F = TypeVar("F", StatusChangeForm, RenewalForm)


def status_change_form(obj: Partnership) -> StatusChangeForm:
    """The partnership page's status change, ready to show or carrying a refused POST."""
    form = StatusChangeForm(prefix="status")
    form.status.choices = [(s.value, label(s)) for s in partnerships.next_statuses(obj)]
    return _from_today(form, obj)


def renewal_form(obj: Partnership) -> RenewalForm:
    """The partnership page's renewal, ready to show or carrying a refused POST."""
    return _from_today(RenewalForm(prefix="renew"), obj)


def _from_today(form: F, obj: Partnership) -> F:
    if not form.is_submitted():
        form.version.data = obj.version
        form.on.data = date.today()
    return form
