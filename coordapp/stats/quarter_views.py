"""Pages of a quarter's sign-off: the quarters list, one quarter's page (approve, return with a
comment, reopen with a reason: sub-actions), the managers' review queue, and the grid's submit
button. Each parses the request, calls ``coordapp.stats.quarters`` and renders."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.extensions import current_session
from coordapp.records import pages
from coordapp.records.views import Resource, SubAction
from coordapp.stats import grid_page, quarters, service
from coordapp.stats.models import HotlineQuarter
from coordapp.stats.quarter_forms import (
    approve_form,
    reopen_form,
    return_form,
)
from coordapp.stats.quarter_lists import QUARTER_LIST

bp = Blueprint("quarters", __name__)


def quarter_context(session: Session, obj: HotlineQuarter) -> dict[str, Any]:
    status = quarters.quarter_status(
        session, hotline=obj.hotline, year=obj.year, quarter=obj.quarter
    )
    return {
        "status": status,
        "approve_form": approve_form(),
        "return_form": return_form(),
        "reopen_form": reopen_form(),
    }


def _approve(session: Session, obj: HotlineQuarter, form: Any) -> str:
    quarters.approve_quarter(session, record=obj, actor=current_user)
    return f"{obj.label} of {obj.hotline.name} is approved and locked."


def _return(session: Session, obj: HotlineQuarter, form: Any) -> str:
    quarters.return_quarter(session, record=obj, actor=current_user, comment=form.comment.data)
    return f"{obj.label} of {obj.hotline.name} was returned to the hotline with your comment."


def _reopen(session: Session, obj: HotlineQuarter, form: Any) -> str:
    quarters.reopen_quarter(session, record=obj, actor=current_user, reason=form.reason.data)
    return f"{obj.label} of {obj.hotline.name} is reopened: its figures can be corrected."


APPROVE = SubAction("approve_form", lambda session, obj: approve_form(), _approve)
RETURN = SubAction("return_form", lambda session, obj: return_form(), _return)
REOPEN = SubAction("reopen_form", lambda session, obj: reopen_form(), _reopen)

QUARTERS = Resource(
    singular="hotline quarter",
    plural="Hotline quarters",
    list_spec=QUARTER_LIST,
    detail_template="stats/quarter_detail.html",
    detail_context=quarter_context,
    list_actions=(("Review queue", "quarters.review_queue"),),
)
pages.register(
    bp,
    QUARTERS,
    "quarters_list",
    "quarters_detail",
    ("/quarters/<id:record_id>/approve", APPROVE, "quarters_approve"),
    ("/quarters/<id:record_id>/return", RETURN, "quarters_return"),
    ("/quarters/<id:record_id>/reopen", REOPEN, "quarters_reopen"),
)


@bp.route("/quarters/review")
@require_role(Role.MANAGER)
def review_queue() -> Any:
    session = current_session()
    queue = quarters.review_queue(session)
    return render_template(
        "stats/review_queue.html",
        queue=queue,
        total=quarters.review_queue_count(session),
        approve_form=approve_form(),
        return_form=return_form(),
    )


@bp.route("/statistics/grid/submit", methods=["POST"])
@require_role(Role.MANAGER)
def submit_quarter() -> Any:
    """A manager submits a hotline's quarter on its behalf, from the grid
    (``?hotline=<id>&year=<year>&quarter=<1-4>``, as the grid's own POST)."""
    session = current_session()
    hotline = service.get_hotline(session, grid_page.number_arg(request.args.get("hotline")))
    year, quarter = (
        grid_page.number_arg(request.args.get("year")),
        grid_page.number_arg(request.args.get("quarter")),
    )
    today = date.today()
    grid_page.submit_posted_quarter(
        session, hotline=hotline, year=year, quarter=quarter, today=today
    )
    shown_year = grid_page.shown_year(year, today)
    return redirect(url_for("stats.statistics_grid", hotline=hotline.id, year=shown_year))
