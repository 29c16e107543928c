"""Reference data for admins: what is seeded, and a re-seed from the maintained libraries."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_wtf import FlaskForm

from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.extensions import current_session
from coordapp.network import compliance_requirements
from coordapp.reference import service

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
        flash("The form expired; reload the page and try again.", "warning")
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
