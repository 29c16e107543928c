"""Pages of the funding domain: commitments, receipts, exchange rates (records workspace)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session

from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.errors import ValidationError
from coordapp.extensions import current_session
from coordapp.funding import (
    checks,
    commitment_page,
    commitments,
    lists,
    money,
    obligations,
    rates,
    rates_file,
    receipts,
)
from coordapp.funding.forms import (
    RatesFileForm,
    commitment_form,
    exchange_rate_form,
    receipt_form,
    requirement_form,
    schedule_form,
    status_form,
)
from coordapp.funding.models import FundingCommitment, FundingReceipt
from coordapp.records import pages
from coordapp.records.views import Caution, Resource, SubAction, attach_error

bp = Blueprint("funding", __name__)


def _commitment_context(session: Session, obj: FundingCommitment) -> Mapping[str, Any]:
    return {
        **commitment_page.commitment_related(
            session,
            obj,
            currency=reporting_currency(),
        ),
        "status_form": status_form(obj),
        **obligations_context(session, obj),
    }


def obligations_context(session: Session, obj: FundingCommitment) -> Mapping[str, Any]:
    """The commitment page's timeline: instalments and reports, each with its state."""
    today = date.today()
    return {
        "instalments": obligations.instalment_lines(session, commitment=obj, today=today),
        "requirements": [
            (requirement, obligations.report_state(requirement, today))
            for requirement in obligations.requirements_of(session, obj.id)
        ],
        "matching_rule": obligations.MATCHING_RULE,
        "report_horizon_days": obligations.REPORT_HORIZON_DAYS,
    }


def reporting_currency() -> str:
    return str(current_app.config["REPORTING_CURRENCY"])


def add_rate_url(warning: checks.MoneyWarning, **url_options: Any) -> str | None:
    """The new exchange rate page, filled in with what ``warning`` (a missing rate) needs."""
    if warning.currency is None or warning.on is None:
        return None
    return url_for(
        "funding.exchange_rates_new",
        quote_code=warning.currency,
        rate_date=warning.on.isoformat(),
        **url_options,
    )


def _cautions(warnings: Sequence[checks.MoneyWarning]) -> list[Caution]:
    cautions = []
    for warning in warnings:
        url = add_rate_url(warning)
        link = (f"Add the {warning.currency} rate", url) if url else None
        cautions.append(Caution(warning.message, warning.needs_confirmation, link))
    return cautions


def _check_commitment(
    session: Session, data: Mapping[str, Any], obj: FundingCommitment | None
) -> list[Caution]:
    return _cautions(checks.commitment_warnings(session, data=data, reporting=reporting_currency()))


def _check_receipt(
    session: Session, data: Mapping[str, Any], obj: FundingReceipt | None
) -> list[Caution]:
    warnings = checks.receipt_warnings(
        session, data=data, reporting=reporting_currency(), exclude_id=obj.id if obj else None
    )
    return _cautions(warnings)


def _receipt_context(session: Session, obj: FundingReceipt) -> Mapping[str, Any]:
    return {"money_text": money.money_text}


def _change_status(session: Session, obj: FundingCommitment, form: Any) -> str:
    event = commitments.change_commitment_status(
        session, commitment=obj, status=form.status.data, on=form.on.data, note=form.note.data
    )
    return f"The commitment is now {event.status.value} (since {event.changed_on.isoformat()})."


STATUS_CHANGE = SubAction("status_form", lambda session, obj: status_form(obj), _change_status)
COMMITMENTS = Resource(
    singular="commitment",
    plural="Funding commitments",
    list_spec=lists.COMMITMENT_LIST,
    get=commitments.get_commitment,  # not found: "There is no funding commitment …"
    form=commitment_form,
    create=commitments.create_commitment,
    update=commitments.update_commitment,
    detail_template="funding/commitment_detail.html",
    detail_context=_commitment_context,
    new_defaults=commitments.commitment_defaults,
    check=_check_commitment,
)
RECEIPTS = Resource(
    singular="receipt",
    plural="Receipts",
    list_spec=lists.RECEIPT_LIST,
    form=receipt_form,
    create=receipts.create_receipt,
    update=receipts.update_receipt,
    detail_template="funding/receipt_detail.html",
    detail_context=_receipt_context,
    new_defaults=receipts.receipt_defaults,
    check=_check_receipt,
)
REQUIREMENTS = Resource(
    singular="reporting requirement",
    plural="Reporting requirements",
    list_spec=lists.REQUIREMENT_LIST,
    form=requirement_form,
    create=obligations.create_requirement,
    update=obligations.update_requirement,
    detail_template="funding/requirement_detail.html",
    detail_context=lambda session, obj: {
        "state": obligations.report_state(obj, date.today()),
    },
    new_defaults=obligations.requirement_defaults,
)
EXCHANGE_RATES = Resource(
    singular="exchange rate",
    plural="Exchange rates",
    list_spec=lists.EXCHANGE_RATE_LIST,
    form=exchange_rate_form,
    create=rates.create_exchange_rate,
    update=rates.update_exchange_rate,
    detail_template="funding/exchange_rate_detail.html",
    detail_context=lambda session, obj: {"rate_text": money.rate_text},
    list_actions=(("Load rates CSV", "funding.exchange_rates_upload"),),
    new_defaults=rates.exchange_rate_defaults,
)
pages.register(
    bp,
    COMMITMENTS,
    "commitments_list",
    "commitments_detail",
    "commitments_new",
    "commitments_edit",
    "commitments_archive",
    "commitments_restore",
    ("/commitments/<id:record_id>/status", STATUS_CHANGE, "commitments_status"),
)
pages.register(
    bp,
    RECEIPTS,
    "receipts_list",
    "receipts_detail",
    "receipts_new",
    "receipts_edit",
    "receipts_archive",
    "receipts_restore",
)
pages.register(
    bp,
    REQUIREMENTS,
    "reporting_requirements_list",
    "reporting_requirements_detail",
    "reporting_requirements_new",
    "reporting_requirements_edit",
)
pages.register(
    bp,
    EXCHANGE_RATES,
    "exchange_rates_list",
    "exchange_rates_detail",
    "exchange_rates_new",
    "exchange_rates_edit",
)


@bp.route("/commitments/partnerships-of-funder")
def partnerships_of_funder() -> Any:
    """The partnerships of the organization named ``?funder=`` as [id, label] pairs."""
    choices = commitments.partnership_choices(
        current_session(), funder=request.args.get("funder", "")[:200]
    )
    return jsonify([list(pair) for pair in choices])


@bp.route("/exchange-rates/upload", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def exchange_rates_upload() -> Any:
    form = RatesFileForm()
    problems: list[str] = []
    if form.validate_on_submit():
        upload = form.file.data
        try:
            result = rates_file.load_exchange_rates_csv(
                current_session(), content=upload.read(), filename=upload.filename
            )
        except rates_file.RatesFileInvalid as invalid:
            attach_error(form, invalid)
            problems = invalid.errors
        else:
            flash(
                f"Rates loaded from {upload.filename or 'the file'}: {result.created} created, "
                f"{result.updated} updated, {result.unchanged} unchanged.",
                "success",
            )
            return redirect(url_for("funding.exchange_rates_list"))
    status = 422 if form.errors else 200
    return render_template(
        "funding/rates_upload.html", form=form, problems=problems, res=EXCHANGE_RATES
    ), status


@bp.route("/commitments/<id:record_id>/schedule", methods=["GET", "POST"])
@require_role(Role.MANAGER)
def commitments_schedule(record_id: int) -> Any:
    """The commitment's whole instalment schedule on one form; saved only when it adds up."""
    session = current_session()
    obj = commitments.get_commitment(session, record_id)
    form = schedule_form(obj)
    if form.validate_on_submit():
        try:
            obligations.save_schedule(
                session, commitment=obj, rows=[row.data for row in form.instalments]
            )
        except ValidationError as error:
            form.form_errors.append(error.message)
        else:
            flash(f"The instalment schedule of {obj.title!r} was saved.", "success")
            return redirect(url_for("funding.commitments_detail", record_id=obj.id) + "#schedule")
    status = 422 if form.errors or form.form_errors else 200
    return render_template(
        "funding/schedule_form.html",
        form=form,
        obj=obj,
        res=COMMITMENTS,
        matching_rule=obligations.MATCHING_RULE,
        money_text=money.money_text,
    ), status
