"""The generic pages of a record type: list, detail, new, edit, archive, restore (and a
person's personal data download), as ``MethodView`` classes. Each domain's route table
registers them under names written out in full; a name says which page it is and where
(``commitments_detail``: the ``Detail`` page at ``/commitments/<id>``, ``RULES``), a
sub-action's row gives its URL:

    pages.register(
        bp,
        COMMITMENTS,
        "commitments_list",
        "commitments_detail",
        ...
        ("/commitments/<id:record_id>/status", STATUS_CHANGE, "commitments_status"),
    )

Each handler goes load -> check access -> process (Indico's shape) and stays thin: it parses the
request, calls the domain service and renders. Domain errors become form messages (422),
a stale version becomes the 409 conflict page that keeps the user's input.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import RouteCallable
from flask.views import MethodView
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from coordapp import disclosure, listing
from coordapp.auth.models import Role
from coordapp.auth.permissions import has_role
from coordapp.errors import ValidationError
from coordapp.extensions import current_session
from coordapp.listing import ListParams, run_list
from coordapp.records import service as records
from coordapp.records.service import StaleRecord
from coordapp.records.views import (
    RESOURCES,
    Caution,
    Resource,
    SubAction,
    attach_error,
    confirmation_token,
    form_data,
    list_export,
    list_filters,
    require_fresh_form,
    submitted_version,
)


def detail_page(res: Resource, obj: Any, *, status: int = 200, **context: Any) -> Any:
    """A record's page: its fields, ``res.detail_context`` (``context`` replaces parts of it,
    e.g. a refused sub-action's form with its messages) and its history."""
    session = current_session()
    return render_template(
        res.detail_template,
        res=res,
        bp=request.blueprint,
        obj=obj,
        history=records.history(session, obj=obj),
        **{**res.detail_context(session, obj), **context},
    ), status


class Page(MethodView):
    """One page of a record type (``res``). The domain's route table names each page in full
    (``register``); the name must be ``<slug>_<action>`` (``Resource.endpoint``): the
    record templates link to a record type's pages by it.
    """

    init_every_request = False
    action: ClassVar[str]

    def __init__(self, res: Resource) -> None:
        self.res = res

    @classmethod
    def serves(cls, res: Resource) -> bool:
        """Whether ``res`` has this page (a record type without ``create`` has no new form)."""
        return True

    @classmethod
    def check(cls, name: str, res: Resource) -> None:
        """Refuse a route the record templates could not link to, or a page ``res`` lacks."""
        expected = res.endpoint_name(cls.action)
        if name != expected:
            raise ValueError(
                f"{cls.__name__} of {res.slug!r} is linked to as {expected!r}, not {name!r}"
            )
        if not cls.serves(res):
            raise ValueError(f"{res.slug!r} has no {cls.action} page")

    @classmethod
    def as_view(cls, name: str, *class_args: Any, **class_kwargs: Any) -> RouteCallable:
        cls.check(name, class_args[0])
        return super().as_view(name, *class_args)

    def render(self, template: str, *, status: int = 200, **context: Any) -> Any:
        return render_template(template, res=self.res, bp=request.blueprint, **context), status

    def detail_url(self, obj: Any) -> str:
        return url_for(f".{self.res.endpoint_name('detail')}", record_id=obj.id)


class List(Page):
    """The list: search, filters, sort, pages; ``?format=csv|xlsx`` exports it. A record type's
    own list page (a ``List`` of its own) may draw it with ``template``, show ``context`` beside
    it and name in an export's stamp what else its figures depend on (``export_stamp``)."""

    action = "list"
    template = "records/list.html"

    def context(self, session: Session) -> dict[str, Any]:
        return {}

    def export_stamp(self, session: Session) -> dict[str, Any]:
        return {}

    def get(self) -> Any:
        res, session = self.res, current_session()
        params = ListParams.from_args(res.list_spec, request.args)
        exported = list_export(
            session,
            res.list_spec,
            params,
            title=res.plural,
            slug=res.slug,
            extra_stamp=self.export_stamp(session),
        )
        if exported is not None:
            return exported
        result = run_list(
            session,
            res.list_spec,
            params,
            viewer_can_see_exact=disclosure.current_user_sees_exact(),
            count_cap=listing.COUNT_CAP,
        )
        return self.render(
            self.template,
            result=result,
            filters=list_filters(session, res.list_spec, result.params),
            **self.context(session),
        )


class Detail(Page):
    """One record's page with its history."""

    action = "detail"

    def get(self, record_id: int) -> Any:
        return detail_page(self.res, self.res.load(current_session(), record_id))


class WritePage(Page):
    """A page that changes records: for ``role()`` (``res.write_role``) and above only."""

    def role(self) -> Role:
        return self.res.write_role

    def dispatch_request(self, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            abort(401)
        if not has_role(current_user, self.role()):
            abort(403)
        return super().dispatch_request(**kwargs)


class PersonalData(WritePage):
    """Everything stored about a person (``res.personal_data``) as a JSON download, for admins
    (it changes nothing, but only admins may see it all)."""

    action = "export"

    @classmethod
    def serves(cls, res: Resource) -> bool:
        return res.personal_data is not None

    def role(self) -> Role:
        return Role.ADMIN

    def get(self, record_id: int) -> Any:
        session = current_session()
        obj = self.res.load(session, record_id)
        assert self.res.personal_data is not None
        data = self.res.personal_data(session, obj)
        return Response(
            json.dumps(data, indent=2, ensure_ascii=False, default=str),
            mimetype="application/json",
            headers={
                "Content-Disposition": (
                    f'attachment; filename="{self.res.singular}-{obj.id}-personal-data.json"'
                ),
                "Cache-Control": "no-store",
            },
        )


class FormPage(WritePage):
    """The create and edit forms: cautions asked about before the save or told after it."""

    def make_form(self, session: Session, obj: Any = None, **data: Any) -> FlaskForm:
        """The record's form; ``data`` fills a new form before anything is submitted."""
        assert self.res.form is not None
        form = self.res.form(session, obj)
        if not form.is_submitted():
            for name, value in data.items():
                if name in form._fields:
                    form._fields[name].data = value
        return form

    def cautions(self, session: Session, form: FlaskForm, obj: Any) -> Sequence[Caution]:
        check = self.res.check
        return check(session, form_data(form), obj) if check is not None else ()

    def form_page(self, form: FlaskForm, obj: Any) -> Any:
        return self.render(
            "records/form.html", status=422 if form.errors else 200, form=form, obj=obj
        )

    def submit(self, session: Session, form: FlaskForm, obj: Any) -> Any:
        """Save the submitted form (``write``) and go to the record's page; or the form again:
        with its messages, or as typed with the cautions to confirm ("Save anyway")."""
        if form.validate():
            cautions = self.cautions(session, form, obj)
            token = confirmation_token(cautions)
            if token is not None and request.form.get("confirm") != token:
                return self.render(
                    "records/form.html", form=form, obj=obj, cautions=cautions, confirm_token=token
                )
            try:
                saved, message = self.write(session, form, obj)
            except ValidationError as error:
                attach_error(form, error)
            else:
                flash(message, "success")
                for caution in cautions:
                    if not caution.needs_confirmation:
                        flash(caution.html, "warning")
                return redirect(self.detail_url(saved))
        return self.form_page(form, obj)

    def write(self, session: Session, form: FlaskForm, obj: Any) -> tuple[Any, str]:
        """Create or update the record; returns it and the message saying so."""
        raise NotImplementedError


class New(FormPage):
    """The create form (``res.create``); ``res.new_defaults`` fills it from the query string."""

    action = "new"

    @classmethod
    def serves(cls, res: Resource) -> bool:
        return res.create is not None and res.form is not None

    def get(self) -> Any:
        session = current_session()
        return self.form_page(
            self.make_form(session, **self.res.new_defaults(session, request.args)), None
        )

    def post(self) -> Any:
        session = current_session()
        form = self.make_form(session, **self.res.new_defaults(session, request.args))
        return self.submit(session, form, None)

    def write(self, session: Session, form: FlaskForm, obj: None) -> tuple[Any, str]:
        assert self.res.create is not None
        created = self.res.create(session, data=form_data(form))
        return created, f"The {self.res.singular} was created."


class Edit(FormPage):
    """The edit form (``res.update``); a save over someone else's is the 409 conflict page."""

    action = "edit"

    @classmethod
    def serves(cls, res: Resource) -> bool:
        return res.update is not None and res.form is not None

    def editable(self, session: Session, record_id: int) -> Any:
        """The record to edit; an archived one is restored first: back to its page."""
        obj = self.res.load(session, record_id)
        if getattr(obj, "archived_at", None) is not None:
            flash(f"This {self.res.singular} is archived: restore it before editing it.", "warning")
            abort(redirect(self.detail_url(obj)))
        return obj

    def get(self, record_id: int) -> Any:
        session = current_session()
        obj = self.editable(session, record_id)
        form = self.make_form(session, obj=obj)
        if "version" in form._fields:
            form._fields["version"].data = obj.version
        return self.form_page(form, obj)

    def post(self, record_id: int) -> Any:
        session = current_session()
        obj = self.editable(session, record_id)
        form = self.make_form(session, obj=obj)
        try:
            return self.submit(session, form, obj)
        except (StaleRecord, StaleDataError) as exc:
            return self.conflict(session, record_id, form, exc)

    def write(self, session: Session, form: FlaskForm, obj: Any) -> tuple[Any, str]:
        assert self.res.update is not None
        version = submitted_version(form)
        self.res.update(session, obj=obj, data=form_data(form), expected_version=version)
        return obj, f"Your changes to the {self.res.singular} were saved."

    def conflict(
        self, session: Session, record_id: int, form: FlaskForm, exc: StaleRecord | StaleDataError
    ) -> Any:
        # StaleDataError: another save committed between our version check and our UPDATE
        # (the database refused the stale version); the same conflict to the user.
        session.rollback()
        current = self.res.load(session, record_id)
        stale = (
            exc
            if isinstance(exc, StaleRecord)
            else StaleRecord(current, expected=submitted_version(form))
        )
        form._fields["version"].data = current.version
        return self.render(
            "records/conflict.html",
            status=409,
            form=form,
            obj=current,
            error=stale,
            changes=records.recent_changes_since(session, obj=current),
        )


class Archive(WritePage):
    """Archive the record (it leaves the working lists and stays in the history)."""

    action = "archive"

    @classmethod
    def serves(cls, res: Resource) -> bool:
        return res.archivable

    def post(self, record_id: int) -> Any:
        session = current_session()
        obj = self.res.load(session, record_id)
        require_fresh_form()
        self.change(session, obj)
        return redirect(self.detail_url(obj))

    def change(self, session: Session, obj: Any) -> None:
        records.archive(session, obj=obj)
        flash(
            f"The {self.res.singular} was archived. It stays in the history and can be restored.",
            "info",
        )


class Restore(Archive):
    """Bring an archived record back."""

    action = "restore"

    def change(self, session: Session, obj: Any) -> None:
        records.restore(session, obj=obj)
        flash(f"The {self.res.singular} was restored.", "success")


class Act(WritePage):
    """The POST of a sub-action (``SubAction``) of a record's page."""

    def __init__(self, res: Resource, sub_action: SubAction) -> None:
        super().__init__(res)
        self.sub_action = sub_action

    @classmethod
    def check(cls, name: str, res: Resource) -> None:
        if not name.startswith(res.endpoint_name("")):
            raise ValueError(f"a sub-action of {res.slug!r} is named {name!r}")

    def post(self, record_id: int) -> Any:
        session, sub_action = current_session(), self.sub_action
        obj = self.res.load(session, record_id)
        form = sub_action.form(session, obj)
        if form.validate():
            try:
                message = sub_action.apply(session, obj, form)
            except ValidationError as error:
                attach_error(form, error)
            else:
                flash(message, "success")
                return redirect(self.detail_url(obj) + sub_action.anchor)
        session.rollback()  # the page shows the record as it is stored, not half-changed
        obj = self.res.load(session, record_id)
        return detail_page(self.res, obj, status=422, **{sub_action.key: form})


# Where each page of a record type is, below its path (``Resource.path``).
RULES: dict[type[Page], str] = {
    List: "/",
    Detail: "/<id:record_id>",
    New: "/new",
    Edit: "/<id:record_id>/edit",
    Archive: "/<id:record_id>/archive",
    Restore: "/<id:record_id>/restore",
    PersonalData: "/<id:record_id>/personal-data",
}

# A page by its endpoint name; a record type's own kind of that page, (name, page class); or a
# sub-action, (URL rule, sub-action, endpoint name).
Route = str | tuple[str, type[Page]] | tuple[str, SubAction, str]


def page_named(res: Resource, name: str) -> type[Page]:
    """The page of ``res`` that ``name`` names (``<slug>_<action>``)."""
    for page in RULES:
        if name == res.endpoint_name(page.action):
            return page
    names = ", ".join(res.endpoint_name(page.action) for page in RULES)
    raise ValueError(f"{name!r} names no page of {res.slug!r}: they are named {names}")


def register(bp: Blueprint, res: Resource, *routes: Route) -> None:
    """Register the pages of record type ``res`` on ``bp``, each named in full by its route:
    a page by its endpoint name (``"commitments_detail"``, at ``Resource.path`` and the page's
    rule in ``RULES``), or with a page class of its own (``("statistics_list", StatisticsList)``);
    a sub-action by its URL, declaration and name
    (``("/commitments/<id:record_id>/status", COMMITMENT_STATUS, "commitments_status")``). A
    record type with a list page joins ``RESOURCES``."""
    listed = False
    for route in routes:
        if isinstance(route, str):
            route = (route, page_named(res, route))
        if len(route) == 2:
            name, page = route
            kind = page_named(res, name)
            if not issubclass(page, kind):
                raise ValueError(f"{name!r} is a {kind.__name__} page; {page.__name__} is not")
            bp.add_url_rule(res.path + RULES[kind], view_func=page.as_view(name, res))
            listed = listed or kind is List
        else:
            rule, sub_action, endpoint = route
            bp.add_url_rule(rule, view_func=Act.as_view(endpoint, res, sub_action))
    if listed:
        RESOURCES.append((bp.name, res))
