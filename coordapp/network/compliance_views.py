"""Pages of the compliance register: the matrix (hotlines × requirements, exportable), the
requirements (reference data, admins write), and a hotline's item on one requirement
(managers write). The hotline's page shows its section (``network.views.hotline_context``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session

from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.errors import ValidationError
from coordapp.extensions import current_session
from coordapp.listing import Column, ListSpec
from coordapp.network import compliance, compliance_matrix, compliance_requirements, hotlines
from coordapp.network.compliance_forms import RequirementForm, item_form
from coordapp.network.compliance_models import ComplianceRequirement
from coordapp.records import pages
from coordapp.records.views import (
    FORM_EXPIRED,
    Resource,
    attach_error,
    form_data,
    stamped_export,
    submitted_version,
)

bp = Blueprint("compliance", __name__)


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


REQUIREMENT_LIST = ListSpec(
    name="compliance_requirements",
    entity=ComplianceRequirement,
    columns=(
        Column("name", "Requirement", ComplianceRequirement.name, link=True),
        Column(
            "needed_for_full",
            "Needed for full membership",
            ComplianceRequirement.needed_for_full,
            lambda r: _yes_no(r.needed_for_full),
        ),
        Column(
            "has_expiry",
            "Expires",
            ComplianceRequirement.has_expiry,
            lambda r: _yes_no(r.has_expiry),
        ),
        Column(
            "renewal_months",
            "Renewal (months)",
            ComplianceRequirement.renewal_months,
            align_end=True,
        ),
        Column("sort_order", "Order", ComplianceRequirement.sort_order, align_end=True),
    ),
    default_sort="sort_order",
    search=(ComplianceRequirement.name, ComplianceRequirement.description),
)


def _requirement_context(session: Session, obj: ComplianceRequirement) -> dict[str, Any]:
    return {"today": date.today()}


def _create_requirement(session: Session, *, data: Mapping[str, Any]) -> ComplianceRequirement:
    return compliance_requirements.create_requirement(session, data=data)


REQUIREMENTS = Resource(
    singular="compliance requirement",
    plural="Compliance requirements",
    list_spec=REQUIREMENT_LIST,
    form=lambda session, obj: RequirementForm(obj=obj),
    create=_create_requirement,
    update=compliance_requirements.update_requirement,
    detail_template="network/requirement_detail.html",
    detail_context=_requirement_context,
    write_role=Role.ADMIN,
    slug="requirements",
    path="/compliance/requirements",
)
pages.register(
    bp,
    REQUIREMENTS,
    "requirements_list",
    "requirements_detail",
    "requirements_new",
    "requirements_edit",
    "requirements_archive",
    "requirements_restore",
)


@bp.route("/compliance/")
def matrix() -> Any:
    session = current_session()
    status = (request.args.get("membership") or "").strip()
    choices = compliance_matrix.membership_filter_choices()
    if status not in {value for value, _ in choices}:
        status = ""
    today = date.today()
    table = compliance_matrix.compliance_matrix(session, today=today, membership_status=status)
    export_format = request.args.get("format")
    if export_format in ("csv", "xlsx"):
        return stamped_export(
            export_format,
            compliance_matrix.matrix_export_rows(table),
            title="Compliance matrix",
            slug="compliance-matrix",
            filters=f"membership={status}" if status else "none",
            extra_stamp={"expiring": f"runs out within {compliance.EXPIRING_WITHIN_DAYS} days"},
        )
    return render_template(
        "network/compliance_matrix.html",
        matrix=table,
        membership=status,
        membership_choices=choices,
        expiring_days=compliance.EXPIRING_WITHIN_DAYS,
    )


@bp.route("/hotlines/<id:record_id>/compliance/<id:requirement_id>", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def item_edit(record_id: int, requirement_id: int) -> Any:
    session = current_session()
    hotline = hotlines.get_hotline(session, record_id)
    requirement = compliance_requirements.require_item_requirement(session, requirement_id)
    item = compliance.get_item(session, hotline=hotline, requirement_id=requirement.id)
    form = item_form(requirement, item)
    if form.is_submitted():
        if form.validate():
            try:
                compliance.set_item(
                    session,
                    hotline=hotline,
                    requirement_id=requirement.id,
                    data=form_data(form),
                    expected_version=submitted_version(form),
                )
            except ValidationError as error:
                attach_error(form, error)
            else:
                flash(f"{requirement.name}: saved for {hotline.name}.", "success")
                return redirect(
                    url_for("network.hotlines_detail", record_id=hotline.id) + "#compliance"
                )
        elif "csrf_token" in form.errors:
            form.form_errors.append(FORM_EXPIRED)
    return render_template(
        "network/compliance_item.html",
        hotline=hotline,
        requirement=requirement,
        item=item,
        form=form,
    ), (422 if form.errors or form.form_errors else 200)
