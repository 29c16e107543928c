"""The hotline's own pages (/my-hotline/). Each handler loads the hotline through the signed-in
user's scope (``portal.hotline_of_user``: another hotline is not found), calls the services and
renders. Every route names its hotline ``hotline_id``, which ``scope_allows`` checks before the
request reaches the handler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm import Session

from coordapp.auth.permissions import is_hotline_user
from coordapp.errors import ValidationError
from coordapp.extensions import current_session
from coordapp.network import compliance, display, portal
from coordapp.network.models import Hotline
from coordapp.portal.forms import HotlineContactForm, profile_form
from coordapp.records.views import attach_error, form_data, submitted_version
from coordapp.stats import benchmark, grid_page, quarters
from coordapp.stats import grid as stats_grid
from coordapp.stats import service as stats
from coordapp.training import pages as training_pages

bp = Blueprint("portal", __name__, url_prefix="/my-hotline")


# --- the sections of the hotline's page ------------------------------------------------------


@dataclass(frozen=True)
class Section:
    """One section of the hotline's own page: a template given ``hotline`` and what
    ``context(session, hotline)`` returns. A domain adds its own with ``add_section`` (e.g. the
    membership-compliance items), in the order it should appear."""

    key: str
    template: str
    context: Callable[[Session, Hotline], dict[str, Any]]


SECTIONS: list[Section] = []


def add_section(section: Section) -> Section:
    if all(s.key != section.key for s in SECTIONS):
        SECTIONS.append(section)
    return section


def _profile_section(session: Session, hotline: Hotline) -> dict[str, Any]:
    return {
        "languages": display.language_names(hotline.languages),
        "contacts": portal.hotline_contacts(session, hotline=hotline),
    }


def _figures_section(session: Session, hotline: Hotline) -> dict[str, Any]:
    summary = stats.hotline_statistics_summary(session, hotline_id=hotline.id)
    starts = [quarter.period_start for quarter in summary.quarters]
    return {
        "statistics": summary,
        "states": quarters.states_of(session, hotline_id=hotline.id, starts=starts),
        "comparison": benchmark.compare_with_network(session, hotline_id=hotline.id),
        "min_hotlines": benchmark.MIN_HOTLINES_FOR_MEDIAN,
        "entry_year": stats_grid.default_year(date.today()),
    }


def _compliance_section(session: Session, hotline: Hotline) -> dict[str, Any]:
    return {
        "compliance": compliance.hotline_compliance(
            session, hotline_id=hotline.id, today=date.today()
        )
    }


def _trainings_section(session: Session, hotline: Hotline) -> dict[str, Any]:
    return {"trainings": training_pages.trainings_of_hotline(session, hotline.id)}


add_section(Section("profile", "portal/_profile.html", _profile_section))
add_section(Section("figures", "portal/_figures.html", _figures_section))
add_section(Section("compliance", "portal/_compliance.html", _compliance_section))
add_section(Section("trainings", "portal/_trainings.html", _trainings_section))


# --- pages -----------------------------------------------------------------------------------


def _hotline(hotline_id: int) -> Hotline:
    return portal.hotline_of_user(current_session(), user=current_user, hotline_id=hotline_id)


@bp.route("/")
def home() -> Any:
    """The user's hotline; a list when they work for several."""
    bound = portal.hotlines_of_user(current_session(), user=current_user)
    if len(bound) == 1:
        return redirect(url_for(".hotline", hotline_id=bound[0].id))
    if not bound and not is_hotline_user(current_user):
        abort(404)  # the secretariat's roles have no hotline of their own
    return render_template("portal/home.html", hotlines=bound)


@bp.route("/<id:hotline_id>")
def hotline(hotline_id: int) -> Any:
    session = current_session()
    obj = _hotline(hotline_id)
    sections = [(s, s.context(session, obj)) for s in SECTIONS]
    return render_template("portal/hotline.html", hotline=obj, sections=sections)


@bp.route("/<id:hotline_id>/profile", methods=["GET", "POST"])
def profile(hotline_id: int) -> Any:
    session = current_session()
    obj = _hotline(hotline_id)
    form = profile_form(obj)
    status = 200
    if form.validate_on_submit():
        try:
            portal.update_profile(
                session, hotline=obj, data=form_data(form), expected_version=submitted_version(form)
            )
        except ValidationError as error:
            attach_error(form, error)
        else:
            flash("Your hotline's profile is saved.", "success")
            return redirect(url_for(".hotline", hotline_id=obj.id))
    if form.is_submitted():
        session.rollback()
        status = 422
    return render_template(
        "portal/form.html", hotline=obj, form=form, title="Edit the profile"
    ), status


@bp.route("/<id:hotline_id>/contacts/new", methods=["GET", "POST"])
def contact_new(hotline_id: int) -> Any:
    return _contact_page(hotline_id, None)


@bp.route("/<id:hotline_id>/contacts/<id:contact_id>/edit", methods=["GET", "POST"])
def contact_edit(hotline_id: int, contact_id: int) -> Any:
    return _contact_page(hotline_id, contact_id)


def _contact_page(hotline_id: int, contact_id: int | None) -> Any:
    session = current_session()
    obj = _hotline(hotline_id)
    contact = (
        portal.contact_of_hotline(session, hotline=obj, contact_id=contact_id)
        if contact_id is not None
        else None
    )
    form = HotlineContactForm(obj=contact)
    status = 200
    if form.validate_on_submit():
        try:
            if contact is None:
                portal.create_contact(session, hotline=obj, data=form_data(form))
            else:
                portal.update_contact(
                    session,
                    hotline=obj,
                    contact=contact,
                    data=form_data(form),
                    expected_version=submitted_version(form),
                )
        except ValidationError as error:
            attach_error(form, error)
        else:
            flash("The contact is saved.", "success")
            return redirect(url_for(".hotline", hotline_id=obj.id) + "#contacts")
    if form.is_submitted():
        session.rollback()
        status = 422
    title = f"Edit {contact.full_name}" if contact is not None else "New contact"
    return render_template("portal/form.html", hotline=obj, form=form, title=title), status


@bp.route("/<id:hotline_id>/figures", methods=["GET", "POST"])
def figures(hotline_id: int) -> Any:
    """The hotline's quarterly figures of one year, entered through the stats grid's handling
    (the same validation, quarter locks and all-or-nothing save as the secretariat's grid),
    with each quarter's sign-off state and its submit button."""
    session = current_session()
    obj = _hotline(hotline_id)
    today = date.today()
    year = grid_page.year_arg(request.args.get("year"), today)
    post = grid_page.GridPost()
    if request.method == "POST":
        post = grid_page.save_posted_grid(session, hotline=obj, year=year, today=today)
        if post.saved is not None:
            grid_page.flash_saved(post.saved)
            return redirect(url_for(".figures", hotline_id=obj.id, year=year))
    return render_template(
        "portal/figures.html",
        hotline=obj,
        grid=stats_grid.quarter_grid(session, hotline=obj, year=year, today=today),
        statuses=quarters.quarter_statuses(session, hotline=obj, year=year, today=today),
        year=year,
        first_year=stats.FIRST_YEAR,
        this_year=today.year,
        **post.context,
    ), post.status


@bp.route("/<id:hotline_id>/figures/submit", methods=["POST"])
def figures_submit(hotline_id: int) -> Any:
    """Submit one of the hotline's quarters for review (``?year=<year>&quarter=<1-4>``)."""
    session = current_session()
    obj = _hotline(hotline_id)
    year = grid_page.number_arg(request.args.get("year"))
    quarter = grid_page.number_arg(request.args.get("quarter"))
    today = date.today()
    grid_page.submit_posted_quarter(session, hotline=obj, year=year, quarter=quarter, today=today)
    return redirect(url_for(".figures", hotline_id=obj.id, year=grid_page.shown_year(year, today)))
