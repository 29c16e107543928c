"""The audit log page (admins): every recorded change, filtered, field by field."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request

from coordapp.audit import service
from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.extensions import current_session
from coordapp.listing import COUNT_CAP, ListParams, run_list
from coordapp.records.views import list_export

bp = Blueprint("audit", __name__)


@bp.route("/audit/")
@require_role(Role.ADMIN)
def log() -> Any:
    session = current_session()
    spec = service.AUDIT_LIST
    params = ListParams.from_args(spec, request.args)
    exported = list_export(session, spec, params, title="Audit log", slug="audit-log")
    if exported is not None:
        return exported
    filters = [(flt, flt.choices(session) if flt.choices else None) for flt in spec.filters]
    result = run_list(session, spec, params, count_cap=COUNT_CAP)
    return render_template("audit/log.html", result=result, filters=filters)
