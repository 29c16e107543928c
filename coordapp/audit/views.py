"""The audit log page (admins): every recorded change, filtered, field by field."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from coordapp.audit import service
from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.exports import csv_response
from coordapp.extensions import current_session
from coordapp.listing import ListParams, export_rows, run_list

bp = Blueprint("audit", __name__)


@bp.route("/audit/")
@require_role(Role.ADMIN)
def log() -> Any:
    session = current_session()
    spec = service.AUDIT_LIST
    params = ListParams.from_args(spec, request.args)
    if request.args.get("format") == "csv":
        stamp = {
            "export": "Audit log",
            "filters": "; ".join(f"{k}={v}" for k, v in params.as_args(page=None).items())
            or "none",
            "exported by": current_user.email,
            "exported at": date.today().isoformat(),
        }
        return csv_response(
            f"audit-log-{date.today().isoformat()}.csv",
            export_rows(session, spec, params),
            stamp=stamp,
        )
    filters = [(flt, flt.choices(session) if flt.choices else None) for flt in spec.filters]
    return render_template(
        "audit/log.html", result=run_list(session, spec, params), filters=filters
    )
