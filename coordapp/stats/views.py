"""Pages of the stats domain: the statistics list, one value's page, and the quarterly grid.

Values are entered and corrected only through the grid (all of a hotline's year at once, all or
nothing), so the list has no create or edit routes of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from coordapp import disclosure, listing
from coordapp.auth.models import Role
from coordapp.auth.permissions import has_role
from coordapp.extensions import current_session
from coordapp.records import pages
from coordapp.records.views import Resource
from coordapp.stats import grid as stats_grid
from coordapp.stats import grid_page, quarters, service
from coordapp.stats.lists import STATISTIC_LIST

bp = Blueprint("stats", __name__)

STATISTICS = Resource(
    singular="hotline statistic",
    plural="Hotline statistics",
    list_spec=STATISTIC_LIST,
    detail_template="stats/statistic_detail.html",
)


class StatisticsList(pages.List):
    """The records list, plus the way into the entry grid (the list itself is read-only); its
    exports name the metric versions their figures are counted by."""

    template = "stats/statistics_list.html"

    def context(self, session: Session) -> dict[str, Any]:
        return {**_hotline_picker(session), "default_year": stats_grid.default_year(date.today())}

    def export_stamp(self, session: Session) -> dict[str, Any]:
        return {"metric versions": service.metric_versions_text(session)}


# Only the list (and a value's page below): values change only through the grid.
pages.register(bp, STATISTICS, ("statistics_list", StatisticsList))


@bp.route("/statistics/<id:record_id>")
def statistics_detail(record_id: int) -> Any:
    session = current_session()
    obj = service.get_statistic(session, record_id)
    return pages.detail_page(
        STATISTICS,
        obj,
        label=service.period_label(obj),
        **_shown_value(obj),
        history_counts={"value"} if service.is_count(obj) else set(),
    )


def _shown_value(stat: Any) -> dict[str, Any]:
    """The value as the page shows it to the signed-in user (a small count as "<5")."""
    shown = disclosure.suppress(
        stat.value,
        viewer_can_see_exact=disclosure.current_user_sees_exact() or not service.is_count(stat),
    )
    if disclosure.is_hidden(shown):
        return {"value": shown, "hidden": True}
    return {"value": service.display_value(stat.metric, stat.value), "hidden": False}


def _hotline_arg(session: Session, raw: str | None) -> Any:
    """The grid's hotline: by id, or by its name as typed into the hotline field."""
    if raw is None or not raw.strip():
        return None
    text = raw.strip()
    if text.isdecimal() and len(text) <= 12:
        return service.get_hotline(session, int(text))
    chosen = listing.chosen_value(_hotline_choices(session), text)
    if chosen is None:
        abort(404, description=f"There is no hotline named {text[:60]!r}.")
    return service.get_hotline(session, int(chosen))


def _hotline_choices(session: Session) -> Sequence[tuple[str, str]]:
    """The hotlines to pick from (the statistics list's hotline filter, cached)."""
    spec = STATISTICS.list_spec
    return listing.filter_choices(
        session, spec, next(f for f in spec.filters if f.key == "hotline")
    )


def _hotline_picker(session: Session) -> dict[str, Any]:
    """A select of the hotlines, or over ``listing.TYPEAHEAD_OVER`` of them a typed field."""
    choices = _hotline_choices(session)
    if listing.typed(choices):
        lookup = url_for(
            "main.filter_suggestions", list=STATISTICS.list_spec.name, filter="hotline"
        )
        return {"hotlines": choices, "hotline_lookup": lookup}
    return {"hotlines": choices, "hotline_lookup": None}


@bp.route("/statistics/grid", methods=["GET", "POST"])
def statistics_grid() -> Any:
    session = current_session()
    today = date.today()
    year = grid_page.year_arg(request.args.get("year"), today)
    hotline = _hotline_arg(session, request.args.get("hotline"))
    if hotline is None:
        if request.method == "POST":
            abort(404, description="Choose a hotline first.")
        return render_template("stats/grid.html", grid=None, year=year, **_hotline_picker(session))
    post = grid_page.GridPost()
    if request.method == "POST":
        if not has_role(current_user, Role.MANAGER):
            abort(403)
        post = grid_page.save_posted_grid(session, hotline=hotline, year=year, today=today)
        if post.saved is not None:
            grid_page.flash_saved(post.saved)
            return redirect(url_for("stats.statistics_grid", hotline=hotline.id, year=year))
    grid = stats_grid.quarter_grid(session, hotline=hotline, year=year, today=today)
    return render_template(
        "stats/grid.html",
        grid=grid,
        statuses=quarters.quarter_statuses(session, hotline=hotline, year=year, today=today),
        year=year,
        **_hotline_picker(session),
        first_year=service.FIRST_YEAR,
        this_year=today.year,
        **post.context,
    ), post.status
