"""What every record type's pages share: its declaration (``Resource``), form helpers (the
submitted data, errors, versions, cautions), and the list's filters and exports.

The pages themselves are in ``coordapp.records.pages``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, abort, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy.orm import Session
from wtforms import HiddenField

from coordapp import disclosure, listing
from coordapp.auth.models import Role
from coordapp.errors import ValidationError
from coordapp.exports import csv_response, xlsx_response
from coordapp.listing import Filter, ListParams, ListSpec, export_rows
from coordapp.records import service as records

_NOT_DATA = {"csrf_token", "submit", "version"}
# Every record type with a list page, as (blueprint name, resource): for the typed filters'
# suggestions, the lists test and the list bench. Each domain adds its own next to its routes.
RESOURCES: list[tuple[str, Resource]] = []


# What a form posted without a valid CSRF token (expired, or from an old page) is told.
FORM_EXPIRED = "The form expired; reload the page and try again."


def require_fresh_form() -> None:
    """Refuse (400) a POST without a valid CSRF token: for buttons whose form has no fields."""
    if not FlaskForm().validate_on_submit():
        abort(400, description=FORM_EXPIRED)


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
class SubAction:
    """One thing a record's page lets a writer do to the record through a small form of its own:
    change its status, renew it, move it to a stage, add a membership event.

    Declared once per action; the route table registers its POST (``records.pages.register``),
    the record's page draws its form with the ``sub_action`` macro
    (templates/records/_sub_action.html). Done: back to the record's page with ``apply``'s
    message. Refused (a form message or a ``ValidationError``): the record's page again, with
    the form under ``key`` as typed and its messages (422), nothing saved.
    """

    key: str  # the form's name in the record page's context, e.g. "status_form"
    form: Callable[[Session, Any], FlaskForm]  # the record's form (holding the POST, if any)
    apply: Callable[[Session, Any, FlaskForm], str]  # do it; returns the message to show
    anchor: str = ""  # where on the record's page to come back to, e.g. "#membership"


@dataclass(frozen=True)
class Resource:
    """A record type's pages: what they call it, its list, how to load, create and change one,
    and what its page shows. Its pages are registered by the domain's route table
    (``records.pages.register``)."""

    singular: str
    plural: str
    list_spec: ListSpec
    detail_template: str
    # The create and edit form of a record (None for a new one); None: the type is read-only.
    form: Callable[[Session, Any], FlaskForm] | None = None
    create: Callable[..., Any] | None = None
    update: Callable[..., Any] | None = None
    detail_context: Callable[[Session, Any], Mapping[str, Any]] = field(
        default=lambda session, obj: {}
    )
    # Prefill a new form from the query string (e.g. ?organization_id=3 from a partner's page).
    new_defaults: Callable[[Session, Mapping[str, str]], Mapping[str, Any]] = field(
        default=lambda session, args: {}
    )
    # Extra buttons on the list page for writers: (label, endpoint), e.g. a CSV upload.
    list_actions: tuple[tuple[str, str], ...] = ()
    # ``check(session, data, obj)``: cautions about the submitted data (obj: the record being
    # edited, or None). Those needing confirmation hold the save until the user confirms them;
    # the others are flashed after it.
    check: Callable[[Session, Mapping[str, Any], Any], Sequence[Caution]] | None = None
    write_role: Role = Role.MANAGER
    # The first part of its endpoints' names and (as ``/<slug>``) of its URLs; by default the
    # name of its list.
    slug: str = ""
    # Where its URLs start when that is not ``/<slug>``.
    path: str = ""
    # How its pages load a record when not as its list's entity by id (``load``).
    get: Callable[[Session, int], Any] | None = None
    # A person's record: everything stored about them, for the admins' JSON download.
    personal_data: Callable[[Session, Any], Mapping[str, Any]] | None = None

    def __post_init__(self) -> None:
        if not self.slug:
            object.__setattr__(self, "slug", self.list_spec.name)
        if not self.path:
            object.__setattr__(self, "path", f"/{self.slug}")

    def load(self, session: Session, record_id: int) -> Any:
        """The record ``record_id`` of this type, or ``NotFound`` ("There is no <singular> …")."""
        if self.get is not None:
            return self.get(session, record_id)
        return records.get_or_404(session, self.list_spec.entity, record_id, what=self.singular)

    @property
    def archivable(self) -> bool:
        """Archived instead of deleted (it has archive and restore pages): as its list says."""
        return self.list_spec.archivable

    def endpoint_name(self, action: str) -> str:
        """The name of the page ``action`` (list, detail, new, edit, archive, restore, export)
        of this record type within its blueprint, as the route table registers it."""
        return f"{self.slug.replace('-', '_')}_{action}"

    def endpoint(self, bp: Blueprint, action: str) -> str:
        return f"{bp.name}.{self.endpoint_name(action)}"


def list_export(
    session: Any,
    spec: Any,
    params: ListParams,
    *,
    title: str,
    slug: str,
    extra_stamp: Mapping[str, Any] | None = None,
) -> Response | None:
    """The list as CSV or XLSX when the request asks for ``?format=csv|xlsx``, else None
    (``stamped_export``; a list with counts names the small-count rule)."""
    export_format = request.args.get("format")
    if export_format not in ("csv", "xlsx"):
        return None
    exact = disclosure.current_user_sees_exact()
    return stamped_export(
        export_format,
        export_rows(session, spec, params, viewer_can_see_exact=exact),
        title=title,
        slug=slug,
        filters="; ".join(f"{k}={v}" for k, v in params.as_args(page=None).items()) or "none",
        extra_stamp={
            **(extra_stamp or {}),
            **(
                {"small counts": disclosure.note()}
                if not exact and any(c.counted for c in spec.columns)
                else {}
            ),
        },
    )


def stamped_export(
    export_format: str,
    rows: Any,
    *,
    title: str,
    slug: str,
    filters: str,
    extra_stamp: Mapping[str, Any] | None = None,
) -> Response:
    """``rows`` as a CSV or XLSX download (``export_format``) under a stamp naming the export,
    its filters, the as-of date, what else the figures depend on (``extra_stamp``: metric
    versions, rates), who exported it and when."""
    stamp = {
        "export": title,
        "filters": filters,
        "as of": date.today().isoformat(),
        **(extra_stamp or {}),
        "exported by": current_user.email,
        "exported at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    filename = f"{slug}-{date.today().isoformat()}.{export_format}"
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
