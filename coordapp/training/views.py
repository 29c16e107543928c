"""Pages of the training domain: events (records workspace) and who took part in them."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from sqlalchemy.orm import Session

from coordapp import disclosure
from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.errors import ValidationError
from coordapp.extensions import current_session
from coordapp.records import pages
from coordapp.records.views import Resource, SubAction, attach_error, form_data, require_fresh_form
from coordapp.training import pages as training_pages
from coordapp.training import service
from coordapp.training.forms import event_form, participation_form
from coordapp.training.lists import TRAINING_LIST
from coordapp.training.models import TrainingEvent

bp = Blueprint("training", __name__)


def _related(session: Session, obj: TrainingEvent) -> dict[str, Any]:
    """What the event's page shows besides its fields, with the counts of people as the signed-in
    user may see them (``shown``; coordapp.disclosure)."""
    related = training_pages.event_related(session, obj)
    exact = disclosure.current_user_sees_exact()
    rows = [r.participation for r in related["participation"]]
    counts = training_pages.shown_counts(rows, viewer_can_see_exact=exact)
    people = [counts.participants[p.id] for p in rows]
    # A country's reach adds up its rows: hidden too when one of them is.
    hiding = {
        r.country
        for r, n in zip(related["participation"], people, strict=True)
        if disclosure.is_hidden(n)
    }
    reach = [
        disclosure.SECONDARY
        if c.country in hiding and not exact and not disclosure.is_small(c.participants)
        else disclosure.suppress(c.participants, viewer_can_see_exact=exact)
        for c in related["reach"]
    ]
    return {
        **related,
        "shown": {
            "people": people,
            "people_total": counts.participants_total.get(obj.id, 0),
            "completed": [counts.completed[p.id] for p in rows],
            "completed_total": counts.completed_total.get(obj.id, 0),
            "reach": reach,
            "note": None if exact else disclosure.note(),
        },
    }


def _detail_context(session: Session, obj: TrainingEvent) -> dict[str, Any]:
    return {**_related(session, obj), "participation_form": participation_form(session)}


def _add_participation(session: Session, obj: TrainingEvent, form: Any) -> str:
    row = service.save_participation(session, event=obj, data=form_data(form))
    return f"{row.participants} participant(s) recorded."


ADD_PARTICIPATION = SubAction(
    "participation_form",
    lambda session, obj: participation_form(session),
    _add_participation,
    "#participation",
)
TRAININGS = Resource(
    singular="training event",
    plural="Training events",
    list_spec=TRAINING_LIST,
    form=event_form,
    create=service.create_event,
    update=service.update_event,
    detail_template="training/event_detail.html",
    detail_context=_detail_context,
)
pages.register(
    bp,
    TRAININGS,
    "trainings_list",
    "trainings_detail",
    "trainings_new",
    "trainings_edit",
    "trainings_archive",
    "trainings_restore",
    ("/trainings/<id:record_id>/participation", ADD_PARTICIPATION, "trainings_add_participation"),
)


def _participation_of(event: TrainingEvent) -> str:
    """The event's page at its participation table."""
    return url_for("training.trainings_detail", record_id=event.id) + "#participation"


@bp.route(
    "/trainings/<id:record_id>/participation/<id:participation_id>/edit",
    methods=["GET", "POST"],
)
@require_role(Role.MANAGER)
def participation_edit(record_id: int, participation_id: int) -> Any:
    session = current_session()
    event = service.get_event(session, record_id)
    row = service.get_participation(session, event=event, participation_id=participation_id)
    form = participation_form(session, row)
    if form.validate_on_submit():
        try:
            service.save_participation(
                session, event=event, data=form_data(form), participation=row
            )
        except ValidationError as error:
            attach_error(form, error)
        else:
            flash("The participation row was saved.", "success")
            return redirect(_participation_of(event))
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "training/participation_form.html",
        res=TRAININGS,
        bp=bp.name,
        event=event,
        row=row,
        form=form,
    ), status


@bp.route("/trainings/<id:record_id>/participation/<id:participation_id>/remove", methods=["POST"])
@require_role(Role.MANAGER)
def participation_remove(record_id: int, participation_id: int) -> Any:
    session = current_session()
    event = service.get_event(session, record_id)
    row = service.get_participation(session, event=event, participation_id=participation_id)
    require_fresh_form()
    try:
        service.remove_participation(session, event=event, participation=row)
    except ValidationError as error:
        flash(error.message, "danger")
        return redirect(_participation_of(event))
    flash("The participation row was removed.", "info")
    return redirect(_participation_of(event))
