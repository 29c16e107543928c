"""/api/v1: JSON read endpoints for every record type, summaries, and manager writes.

Authentication is ``Authorization: Bearer <token>`` only — a session cookie does not
authenticate here (the sign-in guard lets /api/ through to ``authenticate`` below), so CSRF
does not apply and the blueprint is exempt from it. A token acts with its user's role.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from flask import Blueprint, g, jsonify, request
from flask.views import MethodView
from werkzeug.exceptions import HTTPException

from coordapp import disclosure, validation
from coordapp.api import service
from coordapp.api.spec import build_spec, operation
from coordapp.audit import service as audit
from coordapp.auth import tokens
from coordapp.auth.models import Role
from coordapp.auth.permissions import scope_allows
from coordapp.errors import DomainError, Forbidden, ValidationError
from coordapp.extensions import csrf, current_session
from coordapp.funding import checks
from coordapp.funding import receipts as funding_receipts
from coordapp.funding.views import add_rate_url, reporting_currency
from coordapp.partners import partnerships
from coordapp.stats import grid as stats_grid
from coordapp.stats import service as stats
from coordapp.training import service as training
from coordapp.validation import MAX_RECORD_ID

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


def _error(status: int, error: str, message: str, field: str | None = None) -> Any:
    body: dict[str, Any] = {"error": error, "message": message, "status": status}
    if field:
        body["field"] = field
    return jsonify(body), status


@bp.before_request
def authenticate() -> Any:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = None
    if scheme.lower() == "bearer" and token.strip():
        user = tokens.authenticate_token(current_session(), plaintext=token.strip())
    if user is None:
        response, status = _error(
            401,
            "Unauthorized",
            "Send a valid API token as 'Authorization: Bearer <token>' "
            "(create one under API tokens).",
        )
        response.headers["WWW-Authenticate"] = 'Bearer realm="coordapp"'
        return response, status
    if not scope_allows(user, request.endpoint, request.view_args):
        # A hotline user's token reaches nothing: the same answer as for an unknown path.
        return _error(404, "Not Found", "The requested URL was not found on the server.")
    g.api_user = user
    audit.set_actor(current_session(), actor_id=user.id, label=f"{user.email} (API)")
    return None


def _exact() -> bool:
    """Whether the token's user sees small counts exactly (managers and admins)."""
    return disclosure.can_see_exact(g.api_user)


def _require_manager() -> None:
    if not g.api_user.has_role(Role.MANAGER):
        raise Forbidden("This token's user is a viewer: viewers cannot change records.")


@bp.errorhandler(ValidationError)
def _validation_error(error: ValidationError) -> Any:
    return _error(422, "ValidationError", error.message, error.field)


@bp.errorhandler(DomainError)
def _domain_error(error: DomainError) -> Any:
    return _error(error.status_code, type(error).__name__, error.message)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Any:
    return _error(error.code or 500, error.name, error.description or "")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise _BadRequest(
            "Send a JSON object as the request body (Content-Type: application/json)."
        )
    return data


class _BadRequest(DomainError):
    status_code = 400


def _check_id(key: str, value: Any) -> None:
    try:
        number = int(str(value).strip())
    except ValueError:
        return  # the service says what is wrong with it
    if not 0 < number <= MAX_RECORD_ID:
        raise ValidationError(key, f"There is no record with id {value}.")


def _form(data: Mapping[str, Any], *, lists: frozenset[str] = frozenset()) -> dict[str, Any]:
    """JSON values as the services take form values: text for scalars, dates parsed, and lists
    only where a field takes several values. Anything else is refused by field."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if key.endswith("_id") or key in lists:
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, int | str) and not isinstance(item, bool) and item != "":
                    _check_id(key, item)
        if key in lists and isinstance(value, list):
            if not all(isinstance(v, str | int) and not isinstance(v, bool) for v in value):
                raise ValidationError(key, "Give a list of ids.")
            out[key] = [str(v) for v in value]
        elif value is None or isinstance(value, str):
            if isinstance(value, str) and (key.endswith("_date") or key.endswith("_on")):
                try:
                    out[key] = validation.iso_date(value) if value.strip() else None
                except ValueError as exc:
                    raise ValidationError(key, str(exc)) from exc
            else:
                out[key] = value
        elif isinstance(value, bool):
            out[key] = "y" if value else ""
        elif isinstance(value, int | float | Decimal):
            out[key] = str(value)
        else:
            raise ValidationError(key, "Give a text, number or date value.")
    return out


# --- reads ---------------------------------------------------------------------------------------


class _Read(MethodView):
    """A read of one record type (``resource``, named by the first part of the URL)."""

    init_every_request = False

    def __init__(self, resource: service.ApiResource) -> None:
        self.resource = resource

    @classmethod
    def describe(cls, rule: str, resource: service.ApiResource) -> None:
        raise NotImplementedError


class ApiList(_Read):
    """One page of a record type's list: search, filters, sort and pages as on its HTML list."""

    def get(self) -> Any:
        page = service.list_page(
            current_session(),
            resource=self.resource,
            args=request.args,
            viewer_can_see_exact=_exact(),
        )
        return jsonify(page)

    @classmethod
    def describe(cls, rule: str, resource: service.ApiResource) -> None:
        operation(rule, "get", list_of=resource)


class ApiDetail(_Read):
    """One record."""

    def get(self, record_id: int) -> Any:
        obj = self.resource.get(current_session(), record_id)
        return jsonify(service.serialize(obj, viewer_can_see_exact=_exact()))

    @classmethod
    def describe(cls, rule: str, resource: service.ApiResource) -> None:
        operation(rule.replace("<id:record_id>", "{record_id}"), "get", one_of=resource)


def _add_read(rule: str, page: type[_Read], endpoint: str) -> None:
    resource = service.BY_SLUG[rule.split("/")[1]]
    bp.add_url_rule(rule, view_func=page.as_view(endpoint, resource))
    page.describe(rule, resource)


_add_read("/organizations", ApiList, "organizations_list")
_add_read("/organizations/<id:record_id>", ApiDetail, "organizations_detail")
_add_read("/contacts", ApiList, "contacts_list")
_add_read("/contacts/<id:record_id>", ApiDetail, "contacts_detail")
_add_read("/partnerships", ApiList, "partnerships_list")
_add_read("/partnerships/<id:record_id>", ApiDetail, "partnerships_detail")
_add_read("/hotlines", ApiList, "hotlines_list")
_add_read("/hotlines/<id:record_id>", ApiDetail, "hotlines_detail")
_add_read("/expansion-targets", ApiList, "expansion_targets_list")
_add_read("/expansion-targets/<id:record_id>", ApiDetail, "expansion_targets_detail")
_add_read("/funding-commitments", ApiList, "funding_commitments_list")
_add_read("/funding-commitments/<id:record_id>", ApiDetail, "funding_commitments_detail")
_add_read("/funding-receipts", ApiList, "funding_receipts_list")
_add_read("/funding-receipts/<id:record_id>", ApiDetail, "funding_receipts_detail")
_add_read("/reporting-requirements", ApiList, "reporting_requirements_list")
_add_read("/reporting-requirements/<id:record_id>", ApiDetail, "reporting_requirements_detail")
_add_read("/exchange-rates", ApiList, "exchange_rates_list")
_add_read("/exchange-rates/<id:record_id>", ApiDetail, "exchange_rates_detail")
_add_read("/trainings", ApiList, "trainings_list")
_add_read("/trainings/<id:record_id>", ApiDetail, "trainings_detail")
_add_read("/hotline-statistics", ApiList, "hotline_statistics_list")
_add_read("/hotline-statistics/<id:record_id>", ApiDetail, "hotline_statistics_detail")
_add_read("/pillar-targets", ApiList, "pillar_targets_list")
_add_read("/pillar-targets/<id:record_id>", ApiDetail, "pillar_targets_detail")


@bp.get("/coverage")
def coverage() -> Any:
    on = service.parse_date("as_of", request.args.get("as_of"), default=date.today())
    return jsonify(service.coverage(current_session(), on=on))


operation(
    "/coverage",
    "get",
    summary="Coverage of every country on a date, with the headline counts",
    query={"as_of": ("string", "date", "The day (YYYY-MM-DD); today when absent.")},
)


@bp.get("/funding-commitments/<id:record_id>/instalments")
def funding_commitment_instalments(record_id: int) -> Any:
    return jsonify(
        service.instalments(current_session(), commitment_id=record_id, today=date.today())
    )


operation(
    "/funding-commitments/{record_id}/instalments",
    "get",
    summary="A commitment's instalment schedule: each instalment expected, received "
    "(receipts in its currency, in date order) and its state",
)


@bp.get("/funding/summary")
def funding_summary() -> Any:
    today = date.today()
    year = service.parse_year("year", request.args.get("year"), default=today.year)
    return jsonify(service.funding_summary(current_session(), year=year, today=today))


operation(
    "/funding/summary",
    "get",
    summary="Pledged and received in EUR for a year, naming the rates used",
    query={"year": ("integer", None, "The calendar year; this year when absent.")},
)


@bp.get("/training/summary")
def training_summary() -> Any:
    this_year = date.today().year
    first = service.parse_year("from_year", request.args.get("from_year"), default=this_year - 4)
    last = service.parse_year("to_year", request.args.get("to_year"), default=this_year)
    return jsonify(
        service.training_summary(
            current_session(), first_year=first, last_year=last, viewer_can_see_exact=_exact()
        )
    )


operation(
    "/training/summary",
    "get",
    summary="Training events and participants per year (by kind, pillar, country, hotline)",
    query={
        "from_year": ("integer", None, "First year; four years ago when absent."),
        "to_year": ("integer", None, "Last year; this year when absent."),
    },
)


# --- writes (managers) --------------------------------------------------------------------------


@bp.post("/partnerships")
def partnership_create() -> Any:
    _require_manager()
    data = _form(_body(), lists=frozenset({"pillars"}))
    obj = partnerships.create_partnership(current_session(), data=data)
    return jsonify(service.serialize(obj, viewer_can_see_exact=_exact())), 201


def _partnership_data(obj: Any) -> dict[str, Any]:
    return {
        "organization": obj.organization.name,
        "title": obj.title,
        "type": obj.type,
        "status": obj.status,
        "start_date": obj.start_date,
        "end_date": obj.end_date,
        "renewal_notice_days": obj.renewal_notice_days,
        "owner_id": obj.owner_id,
        "notes": obj.notes,
        "document_refs": obj.document_refs,
        "pillars": [str(p.id) for p in obj.pillars],
    }


@bp.patch("/partnerships/<id:record_id>")
def partnership_update(record_id: int) -> Any:
    _require_manager()
    session = current_session()
    obj = partnerships.get_partnership(session, record_id)
    body = _body()
    version = body.pop("version", None)
    if isinstance(version, bool) or not isinstance(version, int):
        raise ValidationError("version", "Send the record's version (an integer) you last read.")
    data = {**_partnership_data(obj), **_form(body, lists=frozenset({"pillars"}))}
    obj = partnerships.update_partnership(session, obj=obj, data=data, expected_version=version)
    return jsonify(service.serialize(obj, viewer_can_see_exact=_exact()))


@bp.post("/funding-receipts")
def receipt_create() -> Any:
    """Saves the receipt; ``warnings`` says what a person should look at (no rate to convert
    it, more than its commitment, outside its period), each with its ``kind``."""
    _require_manager()
    session = current_session()
    data = _form(_body())
    obj = funding_receipts.create_receipt(session, data=data)
    found = checks.receipt_warnings(
        session, data=data, reporting=reporting_currency(), exclude_id=obj.id
    )
    warnings = [
        {
            "kind": w.kind.value,
            "message": w.message,
            "add_rate_url": add_rate_url(w, _external=True),
        }
        for w in found
    ]
    return jsonify(
        {**service.serialize(obj, viewer_can_see_exact=_exact()), "warnings": warnings}
    ), 201


@bp.post("/trainings")
def training_create() -> Any:
    _require_manager()
    session = current_session()
    body = _body()
    rows = body.pop("participation", None) or []
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise ValidationError("participation", "Give participation as a list of objects.")
    event = training.create_event(session, data=_form(body))
    for row in rows:
        values = _form(row)
        unknown = set(values) - _PARTICIPATION_FIELDS
        if unknown:
            raise ValidationError("participation", f"Unknown field {sorted(unknown)[0]!r}.")
        training.set_participation(
            session,
            event=event,
            hotline_id=_optional_int("hotline_id", values.get("hotline_id")),
            organization_id=_optional_int("organization_id", values.get("organization_id")),
            participants=values.get("participants"),
            completed=values.get("completed"),
            feedback_score=values.get("feedback_score"),
            attendee_names=values.get("attendee_names"),
        )
    session.flush()
    session.refresh(event)
    return jsonify(service.serialize(event, viewer_can_see_exact=_exact())), 201


_PARTICIPATION_FIELDS = frozenset(
    {
        "hotline_id",
        "organization_id",
        "participants",
        "completed",
        "feedback_score",
        "attendee_names",
    }
)


def _optional_int(field: str, value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(field, "Give an id (a whole number).") from exc


@bp.put("/hotlines/<id:hotline_id>/statistics/<int:year>")
def statistics_put(hotline_id: int, year: int) -> Any:
    """Body: {"values": {"<metric code>": {"1": "120", "2": "", ...}}, "versions": {...}}."""
    _require_manager()
    session = current_session()
    hotline = stats.get_hotline(session, hotline_id)
    body = _body()
    values = _cells("values", body.get("values"))
    versions = _cells("versions", body.get("versions")) if body.get("versions") else None
    expected = (
        {cell: _optional_int("versions", v) for cell, v in versions.items()} if versions else None
    )
    try:
        saved = stats_grid.save_quarter_grid(
            session, hotline=hotline, year=year, values=values, expected_versions=expected
        )
    except stats_grid.GridInvalid as error:
        body_out = {
            "error": "ValidationError",
            "message": error.message,
            "status": 422,
            "field": error.field,
            "cells": [
                {"metric": code, "quarter": quarter, "message": message}
                for (code, quarter), message in error.errors.items()
            ],
        }
        return jsonify(body_out), 422
    return jsonify({"created": saved.created, "updated": saved.updated, "deleted": saved.deleted})


def _cells(field: str, raw: Any) -> dict[tuple[str, int], Any]:
    if not isinstance(raw, dict) or not raw:
        raise ValidationError(field, 'Give {"<metric code>": {"<quarter 1-4>": value}}.')
    cells: dict[tuple[str, int], Any] = {}
    for code, quarters in raw.items():
        if not isinstance(quarters, dict):
            raise ValidationError(field, f"Give the quarters of {code!r} as an object.")
        for quarter, value in quarters.items():
            if str(quarter) not in {"1", "2", "3", "4"}:
                raise ValidationError(field, f"{quarter!r} is not a quarter (1-4).")
            if value is not None and not isinstance(value, str | int) or isinstance(value, bool):
                raise ValidationError(field, "Give each value as a whole number or text.")
            cells[(str(code), int(quarter))] = "" if value is None else str(value)
    return cells


# --- description ---------------------------------------------------------------------------------


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(build_spec())


_OBJ = {"type": "object", "additionalProperties": True}
_TEXT = {"type": "string"}
_DATE = {"type": "string", "format": "date"}
_ID = {"type": "integer", "minimum": 1}


def _body_schema(required: list[str], **properties: Any) -> dict[str, Any]:
    return {**_OBJ, "required": required, "properties": properties}


_PARTNERSHIP = _body_schema(
    [],
    organization={**_TEXT, "description": "The organization's name, as on its page."},
    title=_TEXT,
    type={**_TEXT, "description": "funding, data_sharing, … (see the form's choices)."},
    status=_TEXT,
    start_date=_DATE,
    end_date=_DATE,
    renewal_notice_days={"type": "integer"},
    owner_id=_ID,
    notes=_TEXT,
    document_refs={**_TEXT, "description": "One http(s) link per line."},
    pillars={"type": "array", "items": _ID},
)
operation(
    "/partnerships",
    "post",
    summary="Create a partnership",
    body={**_PARTNERSHIP, "required": ["organization", "title", "type"]},
    created=True,
    manager=True,
)
operation(
    "/partnerships/{record_id}",
    "patch",
    summary="Change a partnership: the fields to change and 'version' as read (409 if stale)",
    body={
        **_PARTNERSHIP,
        "required": ["version"],
        "properties": {**_PARTNERSHIP["properties"], "version": {"type": "integer"}},
    },
    manager=True,
)
operation(
    "/funding-receipts",
    "post",
    summary="Record money received against a commitment",
    body=_body_schema(
        ["commitment_id", "received_on", "amount"],
        commitment_id=_ID,
        received_on=_DATE,
        currency_code={**_TEXT, "description": "ISO code; the commitment's when absent."},
        amount={**_TEXT, "description": 'A decimal string, e.g. "1250.00".'},
        reference=_TEXT,
    ),
    created=True,
    manager=True,
)
operation(
    "/trainings",
    "post",
    summary="Create a training event with its participation (all or nothing)",
    body=_body_schema(
        ["title", "kind", "pillar_id", "start_date", "end_date", "delivery"],
        title=_TEXT,
        kind=_TEXT,
        pillar_id=_ID,
        topics=_TEXT,
        start_date=_DATE,
        end_date=_DATE,
        delivery={**_TEXT, "description": "online, in_person or hybrid."},
        location_country_code=_TEXT,
        organizer={**_TEXT, "description": "An organization's name."},
        trainers=_TEXT,
        notes=_TEXT,
        participation={
            "type": "array",
            "items": _body_schema(
                ["participants"],
                hotline_id=_ID,
                organization_id=_ID,
                participants={"type": "integer", "minimum": 0},
                completed={"type": "integer", "minimum": 0},
                feedback_score=_TEXT,
                attendee_names=_TEXT,
            ),
        },
    ),
    created=True,
    manager=True,
)
operation(
    "/hotlines/{hotline_id}/statistics/{year}",
    "put",
    summary="Save a hotline's quarterly statistics for a year (all or nothing)",
    body=_body_schema(
        ["values"],
        values={
            "type": "object",
            "description": 'Per metric code, per quarter: {"reports_received": {"1": "120"}}. '
            "An empty value deletes the stored one.",
            "additionalProperties": {"type": "object"},
        },
        versions={
            "type": "object",
            "description": "Per metric and quarter, the version read (409 when it changed).",
            "additionalProperties": {"type": "object"},
        },
    ),
    manager=True,
)
