"""Partners: organizations, contacts, partnerships."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, flash, jsonify, redirect, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from coordapp.auth.forms import EraseForm
from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.extensions import current_session
from coordapp.funding import commitments as funding_commitments
from coordapp.network import hotlines as network_hotlines
from coordapp.partners import (
    agreements,
    contacts,
    interactions,
    last_contacted,
    lists,
    organizations,
    partnerships,
)
from coordapp.partners.forms import (
    contact_form,
    organization_form,
    partnership_form,
    renewal_form,
    status_change_form,
)
from coordapp.partners.interaction_forms import interaction_form
from coordapp.partners.interaction_lists import INTERACTION_LIST
from coordapp.partners.models import Contact, Organization, Partnership
from coordapp.records import pages
from coordapp.records.views import Resource, SubAction, submitted_version
from coordapp.training import pages as training_pages

bp = Blueprint("partners", __name__)


def organization_context(session: Session, obj: Organization) -> dict[str, Any]:
    """The organization's page: its contacts and agreements, and what the other domains hold
    about it (commitments as a funder, hotlines it operates, trainings it attended)."""
    return {
        **organizations.organization_related(session, obj),
        "commitments": funding_commitments.commitments_of_funder(session, obj.id),
        "hotlines": network_hotlines.hotlines_operated_by(session, obj.id),
        "trainings": training_pages.trainings_of_organization(session, obj.id),
        "timeline": interactions.timeline_of_organization(session, obj.id),
        "today": date.today(),
        "last_contacted": last_contacted.last_contacted_of_organization(session, obj),
        "contacts_last_contacted": last_contacted.last_contacted_of_contacts(
            session, [c.id for c in obj.contacts]
        ),
    }


ORGANIZATIONS = Resource(
    singular="organization",
    plural="Organizations",
    list_spec=lists.ORGANIZATION_LIST,
    form=organization_form,
    create=organizations.create_organization,
    update=organizations.update_organization,
    detail_template="partners/organization_detail.html",
    detail_context=organization_context,
)


def _contact_context(session: Session, obj: Contact) -> dict[str, Any]:
    return {
        **contacts.contact_related(session, obj),
        "erase_form": EraseForm(),
        "timeline": interactions.timeline_of_contact(session, obj.id),
        "today": date.today(),
    }


CONTACTS = Resource(
    singular="contact",
    plural="Contacts",
    list_spec=lists.CONTACT_LIST,
    form=contact_form,
    create=contacts.create_contact,
    update=contacts.update_contact,
    detail_template="partners/contact_detail.html",
    detail_context=_contact_context,
    new_defaults=organizations.new_record_defaults,
    personal_data=lambda session, obj: contacts.export_contact(session, contact=obj),
)


def _partnership_context(session: Session, obj: Partnership) -> dict[str, Any]:
    today = date.today()
    state = agreements.state_on(obj, today)
    return {
        "state": state,
        "state_label": agreements.agreement_state_label(state),
        "renewal_due": agreements.renewal_due_on(obj),
        "renewal_state": agreements.renewal_state(obj, today=today),
        "renewable": obj.status in partnerships.RENEWABLE,
        "status_form": status_change_form(obj),
        "renewal_form": renewal_form(obj),
        "status_actions": partnerships.STATUS_ACTIONS,
    }


def _partnership_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    # The manager creating the agreement is its owner unless they choose someone else.
    return {**organizations.new_record_defaults(session, args), "owner_id": str(current_user.id)}


def _dated_change(form: Any) -> dict[str, Any]:
    """What the status change and the renewal forms both say: when, why, over which version."""
    return {"on": form.on.data, "note": form.note.data, "expected_version": submitted_version(form)}


def _change_status(session: Session, obj: Partnership, form: Any) -> str:
    partnerships.change_partnership_status(
        session, partnership=obj, status=form.status.data, **_dated_change(form)
    )
    return f"The partnership is now {obj.status.value}."


def _renew(session: Session, obj: Partnership, form: Any) -> str:
    partnerships.renew_partnership(
        session, partnership=obj, end_date=form.end_date.data, **_dated_change(form)
    )
    return f"The partnership was renewed until {obj.end_date}."


STATUS_CHANGE = SubAction(
    "status_form", lambda session, obj: status_change_form(obj), _change_status
)
RENEWAL = SubAction("renewal_form", lambda session, obj: renewal_form(obj), _renew)
PARTNERSHIPS = Resource(
    singular="partnership",
    plural="Partnerships",
    list_spec=lists.PARTNERSHIP_LIST,
    form=partnership_form,
    create=partnerships.create_partnership,
    update=partnerships.update_partnership,
    detail_template="partners/partnership_detail.html",
    detail_context=_partnership_context,
    new_defaults=_partnership_defaults,
)


def _follow_up_done(session: Session, obj: Any, form: Any) -> str:
    interactions.mark_follow_up_done(session, interaction=obj)
    return "The follow-up is done."


FOLLOW_UP_DONE = SubAction(
    "done_form", lambda session, obj: FlaskForm(prefix="done"), _follow_up_done
)
INTERACTIONS = Resource(
    singular="interaction",
    plural="Interactions",
    list_spec=INTERACTION_LIST,
    form=interaction_form,
    create=interactions.create_interaction,
    update=interactions.update_interaction,
    detail_template="partners/interaction_detail.html",
    detail_context=lambda session, obj: {"done_form": FlaskForm(prefix="done")},
    new_defaults=interactions.interaction_defaults,
)


# --- route table: the record pages, each by its name (records.pages.register) -----------------

pages.register(
    bp,
    ORGANIZATIONS,
    "organizations_list",
    "organizations_detail",
    "organizations_new",
    "organizations_edit",
    "organizations_archive",
    "organizations_restore",
)
pages.register(
    bp,
    CONTACTS,
    "contacts_list",
    "contacts_detail",
    "contacts_new",
    "contacts_edit",
    "contacts_archive",
    "contacts_restore",
    "contacts_export",
)
pages.register(
    bp,
    PARTNERSHIPS,
    "partnerships_list",
    "partnerships_detail",
    "partnerships_new",
    "partnerships_edit",
    "partnerships_archive",
    "partnerships_restore",
    ("/partnerships/<id:record_id>/status", STATUS_CHANGE, "partnerships_status"),
    ("/partnerships/<id:record_id>/renew", RENEWAL, "partnerships_renew"),
)
pages.register(
    bp,
    INTERACTIONS,
    "interactions_list",
    "interactions_detail",
    "interactions_new",
    "interactions_edit",
    ("/interactions/<id:record_id>/follow-up-done", FOLLOW_UP_DONE, "interactions_follow_up_done"),
)


# --- personal data of a contact (admins) -------------------------------------------------------


@bp.route("/contacts/<id:record_id>/erase", methods=["POST"])
@require_role(Role.ADMIN)
def contacts_erase(record_id: int) -> Any:
    session = current_session()
    contact = contacts.get_contact(session, record_id)
    form = EraseForm()
    if not form.validate_on_submit():
        return pages.detail_page(CONTACTS, contact, status=422, erase_form=form)
    contacts.erase_contact(session, contact=contact)
    flash(
        "The contact's personal data was erased, also from its history. "
        "Names typed into training participations are not linked to contacts: check them too.",
        "info",
    )
    return redirect(url_for("partners.contacts_detail", record_id=contact.id))


@bp.route("/lookup/organizations")
def lookup_organizations() -> Any:
    names = organizations.organization_names(current_session(), prefix=request.args.get("q", ""))
    return jsonify(names)
