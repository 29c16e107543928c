"""Reference data for admins: what is seeded, a re-seed from the maintained libraries, and the
metric definitions with their versions (list, new metric, new version, correct, retire)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.errors import ValidationError
from coordapp.extensions import current_session
from coordapp.network import compliance_requirements
from coordapp.records.views import FORM_EXPIRED, attach_error
from coordapp.reference import service
from coordapp.reference.forms import MetricForm, RetireForm
from coordapp.stats import metrics

bp = Blueprint("reference", __name__, url_prefix="/reference")


@bp.route("/")
@require_role(Role.ADMIN)
def overview() -> Any:
    return render_template(
        "reference/overview.html",
        overview=service.reference_overview(current_session()),
        form=FlaskForm(),
    )


@bp.route("/reseed", methods=["POST"])
@require_role(Role.ADMIN)
def reseed() -> Any:
    form = FlaskForm()
    if not form.validate_on_submit():
        flash(FORM_EXPIRED, "warning")
        return redirect(url_for("reference.overview"))
    result = service.seed_reference_data(current_session())
    # The compliance register's requirements, if it has none yet (then they are the admins').
    compliance_requirements.seed_requirements(current_session())
    if result.total:
        flash(
            f"Reference data brought up to date: {result.countries} countries, "
            f"{result.currencies} currencies, {result.pillars} pillars and {result.metrics} metric "
            "definitions written.",
            "success",
        )
    else:
        flash("Reference data is already up to date; nothing changed.", "info")
    return redirect(url_for("reference.overview"))


# --- metric definitions (their versions) ---------------------------------------------------


def _data(form: MetricForm) -> metrics.MetricData:
    return metrics.MetricData(
        name=form.name.data or "",
        definition=form.definition.data or "",
        unit=form.unit.data,
        valid_from=form.valid_from.data,
        valid_until=form.valid_until.data,
    )


def _refused(form: FlaskForm, error: ValidationError) -> None:
    """Nothing of the refused change stays: the service may have read rows for it."""
    current_session().rollback()
    attach_error(form, error)


def _saved(form: FlaskForm, change: Callable[[], str]) -> Any | None:
    """On a valid submission, makes ``change`` (it returns what to tell the admin) and goes back
    to the metrics list. None: the form is to be shown (``_status``)."""
    if not form.validate_on_submit():
        return None
    try:
        message = change()
    except ValidationError as error:
        _refused(form, error)
        return None
    flash(message, "success")
    return redirect(url_for("reference.metrics_list"))


def _status(form: FlaskForm) -> int:
    """A form shown again as sent, with its messages (invalid, or refused: nothing kept), or new."""
    return 422 if form.is_submitted() else 200


@bp.route("/metrics")
@require_role(Role.ADMIN)
def metrics_list() -> Any:
    session = current_session()
    return render_template(
        "reference/metrics.html",
        versions=metrics.all_versions(session),
        in_force={m.id for m in metrics.metrics_in_force(session, on=date.today())},
    )


def _metric_form(
    change: Callable[[MetricForm], str], *, title: str, metric: Any = None, dates: bool = True
) -> Any:
    """The metric form, filled from ``metric`` until it is submitted (without its dates unless
    ``dates``): a valid submission makes ``change`` (``_saved``), else the form is shown, with
    the versions of ``metric``'s code."""
    form = MetricForm(obj=None if request.method == "POST" else metric)
    if request.method == "GET" and not dates:
        form.valid_from.data = form.valid_until.data = None
    return _saved(form, lambda: change(form)) or (
        render_template(
            "reference/metric_form.html",
            form=form,
            title=title,
            metric=metric,
            versions=metrics.all_versions(current_session(), code=metric.code) if metric else [],
        ),
        _status(form),
    )


@bp.route("/metrics/new", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def metrics_create() -> Any:
    def create(form: MetricForm) -> str:
        code = form.code.data or ""
        metric = metrics.create_metric(current_session(), code=code, data=_data(form))
        return f"The metric {metric.name} (v1) is saved."

    return _metric_form(create, title="New metric")


@bp.route("/metrics/<id:metric_id>/new-version", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def metrics_new_version(metric_id: int) -> Any:
    base = metrics.get_version(current_session(), metric_id)

    def add_version(form: MetricForm) -> str:
        metric = metrics.add_version(current_session(), of=base, data=_data(form))
        return (
            f"Version {metric.version} of {metric.code} is saved, in force from "
            f"{metric.valid_from.isoformat()}."
        )

    return _metric_form(add_version, title=f"New version of {base.code}", metric=base, dates=False)


@bp.route("/metrics/<id:metric_id>/edit", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def metrics_edit(metric_id: int) -> Any:
    metric = metrics.get_version(current_session(), metric_id)

    def correct(form: MetricForm) -> str:
        metrics.update_metric(current_session(), metric=metric, data=_data(form))
        return f"Version {metric.version} of {metric.code} is saved."

    return _metric_form(correct, title=f"Correct {metric.code} v{metric.version}", metric=metric)


@bp.route("/metrics/<id:metric_id>/retire", methods=["GET", "POST"])
@require_role(Role.ADMIN)
def metrics_retire(metric_id: int) -> Any:
    session = current_session()
    metric = metrics.get_version(session, metric_id)
    form = RetireForm()

    def retire() -> str:
        valid_until = form.valid_until.data
        metrics.retire_metric(session, metric=metric, valid_until=valid_until)
        return (
            f"{metric.code} v{metric.version} is in force until "
            f"{valid_until.isoformat() if valid_until else ''}."
        )

    return _saved(form, retire) or (
        render_template("reference/metric_retire.html", form=form, metric=metric),
        _status(form),
    )
