"""The quarterly grid's request handling, shared by the two pages that show it: the
secretariat's grid (``stats.statistics_grid``) and the hotline's own figures page
(``portal.figures``). One reading of the year, one save of a posted grid, one submit of a
quarter, so the two pages refuse the same input with the same messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import abort, flash, request
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session

from coordapp.errors import ValidationError
from coordapp.network.models import Hotline
from coordapp.stats import grid as stats_grid
from coordapp.stats import quarters, service

FORM_EXPIRED = "The form expired; reload the page and try again."


def year_arg(raw: str | None, today: date) -> int:
    """The grid's year: a missing or unreadable one is the default, an impossible one a 404."""
    if raw is None or not raw.strip().isdecimal() or len(raw.strip()) > 6:
        return stats_grid.default_year(today)
    return stats_grid.check_year(int(raw.strip()), today=today)


def number_arg(raw: str | None) -> int:
    """A hotline id, year or quarter from the query string; anything else is no quarter (404)."""
    text = (raw or "").strip()
    if not text.isdecimal() or len(text) > 9:
        abort(404, description="There is no such hotline quarter.")
    return int(text)


def require_csrf() -> None:
    if not FlaskForm().validate_on_submit():
        abort(400, description=FORM_EXPIRED)


def empty_context() -> dict[str, Any]:
    return {"submitted": None, "errors": {}, "changes": [], "message": None}


@dataclass
class GridPost:
    """What a posted grid came to: ``saved`` (then the page redirects), or the page's context
    with the refused input kept, and its status (422 refused, 409 changed meanwhile)."""

    saved: stats_grid.GridSaved | None = None
    context: dict[str, Any] = field(default_factory=empty_context)
    status: int = 200


def save_posted_grid(session: Session, *, hotline: Hotline, year: int, today: date) -> GridPost:
    """Save the grid posted in this request through ``stats_grid.save_quarter_grid`` (its rules,
    its quarter locks); a refusal rolls the request's session back and says why per cell."""
    require_csrf()
    posted = stats_grid.parse_grid_form(request.form)
    result = GridPost()
    try:
        result.saved = stats_grid.save_quarter_grid(
            session,
            hotline=hotline,
            year=year,
            values=posted.values,
            expected_versions=posted.versions,
            today=today,
        )
    except stats_grid.GridInvalid as invalid:
        result.context.update(
            submitted=posted.values, errors=invalid.errors, message=invalid.message
        )
        result.status = 422
    except stats_grid.GridConflict as conflict:
        result.context.update(submitted=posted.values, changes=conflict.changes)
        result.status = 409
    except ValidationError as error:
        result.context.update(submitted=posted.values, message=error.message)
        result.status = 422
    if result.saved is None:
        session.rollback()
    return result


def flash_saved(saved: stats_grid.GridSaved) -> None:
    flash(saved_message(saved), "success" if saved.total else "info")


def saved_message(saved: stats_grid.GridSaved) -> str:
    if not saved.total:
        return "Nothing changed: the grid already held these values."
    parts = [
        f"{n} {what}"
        for n, what in (
            (saved.created, "added"),
            (saved.updated, "changed"),
            (saved.deleted, "removed"),
        )
        if n
    ]
    return "Saved: " + ", ".join(parts) + "."


def submit_posted_quarter(
    session: Session, *, hotline: Hotline, year: int, quarter: int, today: date
) -> bool:
    """Submit the hotline's quarter for review as the signed-in user, from a grid's button;
    flashes what happened (a refusal: why, nothing written). True when it was submitted."""
    require_csrf()
    try:
        record = quarters.submit_quarter(
            session, hotline=hotline, year=year, quarter=quarter, actor=current_user, today=today
        )
    except ValidationError as error:
        session.rollback()
        flash(error.message, "danger")
        return False
    flash(f"{record.label} of {hotline.name} is submitted for review.", "success")
    return True


def shown_year(year: int, today: date) -> int | None:
    """The year to show after a submit: the one asked for, when the grid can show it."""
    return year if service.FIRST_YEAR <= year <= today.year else None
