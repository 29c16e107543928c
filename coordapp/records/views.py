"""Generic list / detail / create / edit / archive views, registered per record type.

Each handler goes load -> check access -> process (Indico's shape) and stays thin: it parses the
request, calls the domain service and renders. Domain errors become form messages (422),
a stale version becomes the 409 conflict page that keeps the user's input.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from wtforms import HiddenField

from coordapp import disclosure, listing
from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.errors import ValidationError
from coordapp.exports import csv_response, xlsx_response
from coordapp.extensions import current_session
from coordapp.listing import Filter, ListParams, ListSpec, export_rows, run_list
from coordapp.records import service as records
from coordapp.records.service import StaleRecord

_NOT_DATA = {"csrf_token", "submit", "version"}
# Every registered (blueprint name, resource): for the route matrix test and the list bench.
RESOURCES: list[tuple[str, Resource]] = []


def form_data(form: FlaskForm) -> dict[str, Any]:
    """The submitted values a service receives (without CSRF token, buttons and version)."""
    return {name: f.data for name, f in form._fields.items() if name not in _NOT_DATA}


def attach_error(form: FlaskForm, error: ValidationError) -> None:
    target = form._fields.get(error.field or "")
    if target is not None:
        target.errors = [*list(target.errors), error.message]
    else:
        form.form_errors.append(error.message)


def submitted_version(form: FlaskForm) -> int | None:
    raw = form._fields["version"].data if "version" in form._fields else None
    try:
        return int(raw) if raw not in (None, "") else None
    except (TypeError, ValueError):
        return None


class VersionedForm(FlaskForm):
    """Forms of records two managers may edit at once carry the version they started from."""

    version = HiddenField()


@dataclass(frozen=True)
class Caution:
    """Something about the input a person should look at: asked about before the save
    (``needs_confirmation``), or told after it, with a link to the fix."""

    message: str
    needs_confirmation: bool
    link: tuple[str, str] | None = None  # (text, url)

    @property
    def html(self) -> Markup:
        if self.link is None:
            return Markup("{}").format(self.message)
        return Markup('{} <a href="{}">{}</a>').format(self.message, self.link[1], self.link[0])


def confirmation_token(cautions: Sequence[Caution]) -> str | None:
    """What the "Save anyway" button posts: names exactly the cautions it confirms, so that a
    change of input that raises other cautions is asked about again. None: nothing to ask."""
    asked = [c.message for c in cautions if c.needs_confirmation]
    if not asked:
        return None
    return hashlib.sha256("\n".join(asked).encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Resource:
    slug: str
    singular: str
    plural: str
    list_spec: ListSpec
    get: Callable[[Session, int], Any]
    form: type[FlaskForm]
    create: Callable[..., Any] | None
    update: Callable[..., Any] | None
    detail_template: str
    detail_context: Callable[[Session, Any], Mapping[str, Any]] = field(
        default=lambda session, obj: {}
    )
    # Prefill a new form from the query string (e.g. ?organization_id=3 from a partner's page).
    new_defaults: Callable[[Session, Mapping[str, str]], Mapping[str, Any]] = field(
        default=lambda session, args: {}
    )
    form_for: Callable[[Session, Any], FlaskForm] | None = None
    # Extra buttons on the list page for writers: (label, endpoint), e.g. a CSV upload.
    list_actions: tuple[tuple[str, str], ...] = ()
    # ``check(session, data, obj)``: cautions about the submitted data (obj: the record being
    # edited, or None). Those needing confirmation hold the save until the user confirms them;
    # the others are flashed after it.
    check: Callable[[Session, Mapping[str, Any], Any], Sequence[Caution]] | None = None
    archivable: bool = True
    write_role: Role = Role.MANAGER

    def endpoint(self, bp: Blueprint, action: str) -> str:
        return f"{bp.name}.{self.slug.replace('-', '_')}_{action}"


def list_export(
    session: Any,
    spec: Any,
    params: ListParams,
    *,
    title: str,
    slug: str,
    extra_stamp: Mapping[str, Any] | None = None,
) -> Response | None:
    """The list as CSV or XLSX when the request asks for ``?format=csv|xlsx``, else None.

    The stamp block names the export, its filters, the as-of date, who exported it and when,
    and what else the figures depend on (``extra_stamp``: metric versions, rates).
    """
    export_format = request.args.get("format")
    if export_format not in ("csv", "xlsx"):
        return None
    exact = disclosure.current_user_sees_exact()
    stamp = {
        "export": title,
        "filters": "; ".join(f"{k}={v}" for k, v in params.as_args(page=None).items()) or "none",
        "as of": date.today().isoformat(),
        **(extra_stamp or {}),
        **(
            {"small counts": disclosure.note()}
            if not exact and any(c.counted for c in spec.columns)
            else {}
        ),
        "exported by": current_user.email,
        "exported at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    filename = f"{slug}-{date.today().isoformat()}.{export_format}"
    rows = export_rows(session, spec, params, viewer_can_see_exact=exact)
    if export_format == "xlsx":
        return xlsx_response(filename, rows, stamp=stamp, title=title)
    return csv_response(filename, rows, stamp=stamp)


@dataclass(frozen=True, slots=True)
class FilterView:
    """A list filter as its page draws it: a select of ``choices``, a free text input, or (over
    ``listing.TYPEAHEAD_OVER`` choices) a text input suggesting labels from ``lookup``."""

    filter: Filter
    choices: Sequence[tuple[str, str]] | None
    lookup: str | None = None
    typed_label: str = ""


def list_filters(session: Session, spec: ListSpec, params: ListParams) -> list[FilterView]:
    views = []
    for flt in spec.filters:
        if flt.choices is None:
            views.append(FilterView(flt, None))
            continue
        choices = listing.filter_choices(session, spec, flt)
        if not listing.typed(choices):
            views.append(FilterView(flt, choices))
            continue
        chosen = params.filters.get(flt.key)
        label = next((text for value, text in choices if value == chosen), "")
        lookup = url_for("main.filter_suggestions", list=spec.name, filter=flt.key)
        views.append(FilterView(flt, None, lookup=lookup, typed_label=label))
    return views


def register_resource(bp: Blueprint, res: Resource) -> None:
    """Add the list, export, detail, new, edit, archive and restore routes of ``res`` to ``bp``."""
    base = f"/{res.slug}"
    prefix = res.slug.replace("-", "_")
    RESOURCES.append((bp.name, res))

    def make_form(session: Session, obj: Any = None, **data: Any) -> FlaskForm:
        if res.form_for is not None:
            form = res.form_for(session, obj)
            for name, value in data.items():
                if name in form._fields and not form.is_submitted():
                    form._fields[name].data = value
            return form
        return res.form(obj=obj, data=data or None)

    def check(session: Session, form: FlaskForm, obj: Any) -> Sequence[Caution]:
        return res.check(session, form_data(form), obj) if res.check is not None else ()

    def unconfirmed(cautions: Sequence[Caution]) -> bool:
        token = confirmation_token(cautions)
        return token is not None and request.form.get("confirm") != token

    def ask(form: FlaskForm, obj: Any, cautions: Sequence[Caution]) -> Any:
        """The form again, as typed, with the cautions and a "Save anyway" button."""
        return render_template(
            "records/form.html",
            res=res,
            bp=bp.name,
            form=form,
            obj=obj,
            cautions=cautions,
            confirm_token=confirmation_token(cautions),
        ), 200

    def tell(cautions: Sequence[Caution]) -> None:
        for caution in cautions:
            if not caution.needs_confirmation:
                flash(caution.html, "warning")

    def list_view() -> Any:
        session = current_session()
        params = ListParams.from_args(res.list_spec, request.args)
        exported = list_export(session, res.list_spec, params, title=res.plural, slug=res.slug)
        if exported is not None:
            return exported
        result = run_list(
            session,
            res.list_spec,
            params,
            viewer_can_see_exact=disclosure.current_user_sees_exact(),
            count_cap=listing.COUNT_CAP,
        )
        return render_template(
            "records/list.html",
            res=res,
            bp=bp.name,
            result=result,
            filters=list_filters(session, res.list_spec, result.params),
        )

    def detail_view(record_id: int) -> Any:
        session = current_session()
        obj = res.get(session, record_id)
        return render_template(
            res.detail_template,
            res=res,
            bp=bp.name,
            obj=obj,
            history=records.history(session, obj=obj),
            **res.detail_context(session, obj),
        )

    @require_role(res.write_role)
    def new_view() -> Any:
        session = current_session()
        form = make_form(session, **res.new_defaults(session, request.args))
        if form.validate_on_submit():
            cautions = check(session, form, None)
            if unconfirmed(cautions):
                return ask(form, None, cautions)
            try:
                assert res.create is not None
                obj = res.create(session, data=form_data(form))
            except ValidationError as error:
                attach_error(form, error)
            else:
                flash(f"The {res.singular} was created.", "success")
                tell(cautions)
                return redirect(url_for(res.endpoint(bp, "detail"), record_id=obj.id))
        status = 422 if form.errors else 200
        return render_template(
            "records/form.html", res=res, bp=bp.name, form=form, obj=None
        ), status

    @require_role(res.write_role)
    def edit_view(record_id: int) -> Any:
        session = current_session()
        obj = res.get(session, record_id)
        if getattr(obj, "archived_at", None) is not None:
            flash(f"This {res.singular} is archived: restore it before editing it.", "warning")
            return redirect(url_for(res.endpoint(bp, "detail"), record_id=obj.id))
        form = make_form(session, obj=obj)
        if not form.is_submitted() and "version" in form._fields:
            form._fields["version"].data = obj.version
        if form.validate_on_submit():
            cautions = check(session, form, obj)
            if unconfirmed(cautions):
                return ask(form, obj, cautions)
            try:
                assert res.update is not None
                res.update(
                    session, obj=obj, data=form_data(form), expected_version=submitted_version(form)
                )
            except (StaleRecord, StaleDataError) as exc:
                # StaleDataError: another save committed between our version check and our
                # UPDATE (the database refused the stale version); the same conflict to the user.
                session.rollback()
                current = res.get(session, record_id)
                stale = (
                    exc
                    if isinstance(exc, StaleRecord)
                    else StaleRecord(current, expected=submitted_version(form))
                )
                form._fields["version"].data = current.version
                return render_template(
                    "records/conflict.html",
                    res=res,
                    bp=bp.name,
                    form=form,
                    obj=current,
                    error=stale,
                    changes=records.recent_changes_since(session, obj=current),
                ), 409
            except ValidationError as error:
                attach_error(form, error)
            else:
                flash(f"Your changes to the {res.singular} were saved.", "success")
                tell(cautions)
                return redirect(url_for(res.endpoint(bp, "detail"), record_id=obj.id))
        status = 422 if form.errors else 200
        return render_template("records/form.html", res=res, bp=bp.name, form=form, obj=obj), status

    def _archive_toggle(record_id: int, *, archive: bool) -> Any:
        session = current_session()
        obj = res.get(session, record_id)
        if not res.archivable:
            abort(404)
        form = FlaskForm()
        if not form.validate_on_submit():
            abort(400, description="The form expired; reload the page and try again.")
        if archive:
            records.archive(session, obj=obj)
            flash(
                f"The {res.singular} was archived. It stays in the history and can be restored.",
                "info",
            )
        else:
            records.restore(session, obj=obj)
            flash(f"The {res.singular} was restored.", "success")
        return redirect(url_for(res.endpoint(bp, "detail"), record_id=obj.id))

    @require_role(res.write_role)
    def archive_view(record_id: int) -> Any:
        return _archive_toggle(record_id, archive=True)

    @require_role(res.write_role)
    def restore_view(record_id: int) -> Any:
        return _archive_toggle(record_id, archive=False)

    bp.add_url_rule(f"{base}/", f"{prefix}_list", list_view)
    bp.add_url_rule(f"{base}/<id:record_id>", f"{prefix}_detail", detail_view)
    if res.create is not None:
        bp.add_url_rule(f"{base}/new", f"{prefix}_new", new_view, methods=["GET", "POST"])
    if res.update is not None:
        bp.add_url_rule(
            f"{base}/<id:record_id>/edit", f"{prefix}_edit", edit_view, methods=["GET", "POST"]
        )
    if res.archivable:
        bp.add_url_rule(
            f"{base}/<id:record_id>/archive", f"{prefix}_archive", archive_view, methods=["POST"]
        )
        bp.add_url_rule(
            f"{base}/<id:record_id>/restore", f"{prefix}_restore", restore_view, methods=["POST"]
        )
