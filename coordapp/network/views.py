"""Pages of the network domain: hotlines and their membership history, the expansion pipeline,
countries. Each handler parses the request, calls the network's modules (``membership``,
``coverage``, ``expansion``, ``hotlines``, ``countries``) and renders."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from coordapp import disclosure
from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.errors import ValidationError
from coordapp.extensions import current_session
from coordapp.labels import label
from coordapp.network import (
    compliance,
    countries,
    coverage,
    display,
    expansion,
    hotlines,
    lists,
    membership,
)
from coordapp.network.forms import (
    expansion_form,
    hotline_form,
    membership_event_form,
    move_stage_form,
)
from coordapp.network.models import ExpansionTarget, Hotline
from coordapp.records import pages
from coordapp.records.views import Resource, SubAction, require_fresh_form
from coordapp.reference import service as reference
from coordapp.stats import quarters as stat_quarters
from coordapp.stats import service as stats
from coordapp.training import pages as training_pages

bp = Blueprint("network", __name__)


def _country_default(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """``?country=XX`` (from a country page) preselects the country of a new record."""
    code = (args.get("country") or "").strip().upper()
    return {"country_code": code} if len(code) == 2 and code.isalpha() else {}


def _parse_on(raw: str) -> tuple[date | None, str | None]:
    if not raw:
        return None, None
    try:
        return date.fromisoformat(raw), None
    except ValueError:
        return None, f"{raw[:20]!r} is not a date (use YYYY-MM-DD); showing today only."


# --- hotlines --------------------------------------------------------------------------------


def hotline_context(session: Session, obj: Hotline) -> dict[str, Any]:
    raw_on = (request.args.get("on") or "").strip()
    on, on_error = _parse_on(raw_on)
    related = hotlines.hotline_related(session, hotline=obj, today=date.today(), on=on)
    related["trainings"] = training_pages.trainings_of_hotline(session, obj.id)
    related["statistics"] = stats.hotline_statistics_summary(session, hotline_id=obj.id)
    related["quarter_states"] = stat_quarters.states_of(
        session, hotline_id=obj.id, starts=[q.period_start for q in related["statistics"].quarters]
    )
    # The hotline's rows as every event's page shows them (small counts hidden below manager).
    trained = training_pages.shown_counts(
        training_pages.participations_of_events(session, (e.id for e, _ in related["trainings"])),
        viewer_can_see_exact=disclosure.current_user_sees_exact(),
    )
    return {
        **related,
        "trained": trained,
        "today": date.today(),
        "on": on,
        "on_raw": on.isoformat() if on else "",
        "on_error": on_error,
        "event_form": membership_event_form(),
        "membership_error": None,
        "languages": display.language_names(obj.languages),
        "compliance": compliance.hotline_compliance(session, hotline_id=obj.id, today=date.today()),
    }


def _add_membership_event(session: Session, obj: Hotline, form: Any) -> str:
    compliance.add_membership_event_checked(
        session,
        hotline=obj,
        on=form.on.data,
        status=form.status.data,
        note=form.note.data,
        reason=form.reason.data,
    )
    return "The membership event was added."


MEMBERSHIP_EVENT = SubAction(
    "event_form", lambda session, obj: membership_event_form(), _add_membership_event, "#membership"
)
HOTLINES = Resource(
    singular="hotline",
    plural="Hotlines",
    list_spec=lists.HOTLINE_LIST,
    form=hotline_form,
    create=hotlines.create_hotline,
    update=hotlines.update_hotline,
    detail_template="network/hotline_detail.html",
    detail_context=hotline_context,
    new_defaults=_country_default,
)


def _hotline_page(record_id: int) -> str:
    return url_for(".hotlines_detail", record_id=record_id) + "#membership"


@bp.route("/hotlines/<id:record_id>/membership-events/<id:event_id>/delete", methods=["POST"])
@require_role(Role.MANAGER)
def hotlines_remove_membership_event(record_id: int, event_id: int) -> Any:
    session = current_session()
    hotline = hotlines.get_hotline(session, record_id)
    event = membership.get_membership_event(session, hotline=hotline, event_id=event_id)
    require_fresh_form()
    try:
        membership.remove_membership_event(session, event=event)
    except ValidationError as error:
        return pages.detail_page(HOTLINES, hotline, status=422, membership_error=error.message)
    flash("The membership event was deleted.", "success")
    return redirect(_hotline_page(hotline.id))


# --- expansion pipeline ----------------------------------------------------------------------


def expansion_context(session: Session, obj: ExpansionTarget) -> dict[str, Any]:
    related = expansion.expansion_related(session, target=obj, today=date.today())
    return {
        **related,
        "due": display.due_display(obj.next_step_due, today=date.today()),
        "today": date.today(),
        "move_form": move_stage_form(related["current_stage"]),
    }


def _create_target(session: Session, *, data: Mapping[str, Any]) -> ExpansionTarget:
    return expansion.create_expansion_target(session, data=data, actor_id=current_user.id)


def _move_stage(session: Session, obj: ExpansionTarget, form: Any) -> str:
    event = expansion.move_stage(
        session,
        target=obj,
        stage=form.stage.data,
        on=form.on.data,
        note=form.note.data,
        actor_id=current_user.id,
    )
    return f"Moved to the stage {label(event.stage)!r}."


MOVE_STAGE = SubAction("move_form", lambda session, obj: move_stage_form(), _move_stage)
EXPANSION = Resource(
    singular="expansion target",
    plural="Expansion pipeline",
    list_spec=lists.EXPANSION_LIST,
    form=expansion_form,
    create=_create_target,
    update=expansion.update_expansion_target,
    detail_template="network/expansion_detail.html",
    detail_context=expansion_context,
    new_defaults=_country_default,
)


# --- route table: the record pages, each by its name (records.pages.register) -----------------

pages.register(
    bp,
    HOTLINES,
    "hotlines_list",
    "hotlines_detail",
    "hotlines_new",
    "hotlines_edit",
    "hotlines_archive",
    "hotlines_restore",
    (
        "/hotlines/<id:record_id>/membership-events",
        MEMBERSHIP_EVENT,
        "hotlines_add_membership_event",
    ),
)
pages.register(
    bp,
    EXPANSION,
    "expansion_list",
    "expansion_detail",
    "expansion_new",
    "expansion_edit",
    "expansion_archive",
    "expansion_restore",
    ("/expansion/<id:record_id>/move", MOVE_STAGE, "expansion_move_stage"),
)


# --- countries -------------------------------------------------------------------------------


@bp.route("/countries/")
def countries_list() -> Any:
    session = current_session()
    region = (request.args.get("region") or "").strip()
    status = (request.args.get("status") or "").strip()
    kind = (request.args.get("kind") or "").strip()
    today = date.today()
    regions = reference.region_choices(session)
    rows = countries.country_coverage_list(
        session, on=today, region=region, status=status, kind=kind
    )
    known_region = region if region in {value for value, _ in regions} else None
    return render_template(
        "network/country_list.html",
        rows=rows,
        today=today,
        region=region,
        status=status,
        kind=kind,
        regions=regions,
        statuses=countries.coverage_status_choices(),
        kinds=countries.KIND_CHOICES,
        summary=coverage.coverage_summary(session, on=today, region=known_region),
    )


@bp.route("/countries/<code>")
def country_detail(code: str) -> Any:
    session = current_session()
    country = countries.get_country(session, code)
    if code != country.alpha2:
        return redirect(url_for(".country_detail", code=country.alpha2))
    overview = countries.country_overview(session, country=country, today=date.today())
    overview["trainings"] = training_pages.trainings_in_country(session, country.alpha2)
    target = overview["target"]
    return render_template(
        "network/country_detail.html",
        country=country,
        today=date.today(),
        target_due=display.due_display(target.next_step_due, today=date.today()) if target else "",
        **overview,
    )
