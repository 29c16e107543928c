"""Forms of the funding pages: commitments (with their pillar allocations), status changes,
receipts, exchange rates and the rates file."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import render_template, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from markupsafe import Markup
from sqlalchemy.orm import Session
from wtforms import (
    DateField,
    Field,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.utils import unset_value
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import Select

from coordapp.forms import (
    NOTES_ONLY,
    OrganizationField,
    VersionedForm,
    fill_owner,
    notes_field,
    number_field,
    optional_choices,
    owner_field,
    text_field,
)
from coordapp.funding import commitment_page, commitments, money, obligations, receipts
from coordapp.funding.models import (
    ExchangeRate,
    FundingCommitment,
    FundingReceipt,
    ReportingRequirement,
    ReportKind,
)
from coordapp.labels import enum_choices, label
from coordapp.reference import service as reference


class AllocationsWidget:
    """One input per pillar in a table, with a running total (see the template)."""

    def __call__(self, field: AllocationsField, **kwargs: Any) -> Markup:
        # The template is autoescaped: its output is already safe HTML.
        html = render_template("funding/_allocations_field.html", field=field)
        return Markup(html)  # noqa: S704


class AllocationsField(Field):
    """Amounts or percentages per pillar, posted as ``<name>-<pillar id>``.

    ``data`` maps pillar id (as text) to what was typed; the service checks it.
    """

    widget = AllocationsWidget()

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(label, **kwargs)
        self.pillars: list[tuple[str, str]] = []
        self.data: dict[str, str] = {}

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.process_errors: list[Any] = []
        self.object_data = None
        self.data = {}
        if formdata is not None:
            prefix = f"{self.name}-"
            self.raw_data = [k for k in formdata if k.startswith(prefix)]
            self.data = {
                key[len(prefix) :]: (formdata.get(key) or "").strip()[:40]
                for key in formdata
                if key.startswith(prefix)
            }

    def value_for(self, pillar_id: str) -> str:
        return self.data.get(pillar_id, "")


class PartnershipSelect(Select):
    """A select of the funder's partnerships that follows the funder box, driven by the app's
    own script (the Content-Security-Policy allows no inline script)."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        kwargs["data-partnerships-of-funder"] = url_for("funding.partnerships_of_funder")
        select = super().__call__(field, **kwargs)
        src = url_for("static", filename="js/funding/partnership_select.js")
        return select + Markup('<script src="{}" defer></script>').format(src)


class CommitmentForm(VersionedForm):
    title = text_field(
        "Title", max_length=200, required=True, description="E.g. Core grant 2027-2028."
    )
    funder = OrganizationField(
        "Funder",
        required=True,
        description="Type the organization's name and pick it from the list.",
    )
    partnership_id = SelectField(
        "Partnership",
        validators=[Optional()],
        validate_choice=False,
        widget=PartnershipSelect(),
        description="Optional: the agreement this pledge belongs to (the funder's partnerships).",
    )
    currency_code = SelectField("Currency", validate_choice=False, default="EUR")
    amount = number_field(
        "Amount pledged",
        description="In the currency chosen, with at most its decimal places (JPY none).",
    )
    pledged_on = DateField("Pledged on", validators=[InputRequired()])
    period_start = DateField("Period start", validators=[InputRequired()])
    period_end = DateField("Period end", validators=[InputRequired()])
    allocation_mode = RadioField(
        "Allocate by",
        choices=[("amount", "Amount (pledge currency)"), ("percent", "Percentage of the pledge")],
        default="amount",
    )
    allocations = AllocationsField(
        "Allocation to pillars",
        description="The allocations must add up exactly to the pledge. Percentages are turned "
        "into amounts rounded to the currency's minor units; the rounding remainder goes to "
        "the largest share.",
        render_kw={"data-col": "col-12"},
    )
    owner_id = owner_field(
        "Who follows this commitment up (confirmation, instalments, "
        "reports); nobody: the funder's owner."
    )
    notes = notes_field(rows=3)


def commitment_form(session: Session, obj: FundingCommitment | None) -> FlaskForm:
    form = CommitmentForm(obj=obj)
    fill_owner(
        session,
        form.owner_id,
        obj.owner_id if obj is not None else None,
        shown=not form.is_submitted(),
    )
    form.currency_code.choices = reference.currency_choices(session)
    form.allocations.pillars = reference.pillar_choices(session)
    if obj is not None and not form.is_submitted():
        form.funder.data = obj.funder.name
        form.partnership_id.data = str(obj.partnership_id or "")
        form.amount.data = str(money.in_minor_units(obj.amount, obj.currency_code))
        form.allocation_mode.data = "amount"
        form.allocations.data = commitment_page.commitment_allocation_values(obj)
    form.partnership_id.choices = optional_choices(
        commitments.partnership_choices(session, funder=form.funder.data), empty="— none —"
    )
    return form


class StatusForm(FlaskForm):
    status = SelectField("New status", validate_choice=False)
    on = DateField("On", validators=[InputRequired()], default=date.today)
    note = text_field("Note", max_length=500, description="E.g. Agreement signed.")


def status_form(commitment: FundingCommitment) -> StatusForm:
    form = StatusForm()
    form.status.choices = [(s.value, label(s)) for s in commitments.next_statuses(commitment)]
    return form


class ReceiptForm(FlaskForm):
    commitment_id = SelectField(
        "Commitment",
        validate_choice=False,
        # Choosing a commitment sets the currency to its own (static/js/coordapp.js).
        render_kw={"data-col": "col-12", "data-fills": "currency_code"},
    )
    received_on = DateField("Received on", validators=[InputRequired()])
    amount = number_field("Amount received")
    currency_code = SelectField(
        "Currency",
        validate_choice=False,
        description="The currency the money arrived in: the commitment's unless you choose "
        "another.",
    )
    reference = text_field(
        "Reference", max_length=120, description="Bank or finance reference, e.g. TRF-2026-0412."
    )


def receipt_form(session: Session, obj: FundingReceipt | None) -> FlaskForm:
    form = ReceiptForm(obj=obj)
    selected = form.commitment_id.data or (obj.commitment_id if obj is not None else None)
    include = int(str(selected)) if str(selected or "").isdecimal() else None
    form.commitment_id.choices = [
        ("", "— choose —", {}),
        *(
            (value, text, {"data-fill": currency})
            for value, text, currency in receipts.commitment_choices(session, include=include)
        ),
    ]
    # Blank: the commitment's currency (the service takes it), never the first of the list.
    form.currency_code.choices = optional_choices(
        reference.currency_choices(session), empty="— the commitment's —"
    )
    if obj is not None and not form.is_submitted():
        form.commitment_id.data = str(obj.commitment_id)
        form.amount.data = str(money.in_minor_units(obj.amount, obj.currency_code))
    return form


class ExchangeRateForm(FlaskForm):
    base_code = SelectField("Base currency", validate_choice=False, default="EUR")
    quote_code = SelectField("Quote currency", validate_choice=False)
    rate_date = DateField("Date", validators=[InputRequired()])
    rate = number_field("Rate", description="1 base = rate quote, e.g. 1 EUR = 1.0850 USD.")
    source = text_field(
        "Source", max_length=120, description="Where the rate comes from, e.g. ECB reference rate."
    )


def exchange_rate_form(session: Session, obj: ExchangeRate | None) -> FlaskForm:
    form = ExchangeRateForm(obj=obj)
    choices = reference.currency_choices(session)
    form.base_code.choices = choices
    form.quote_code.choices = optional_choices(choices, empty="— choose —")
    form.rate.description = Markup(
        "1 base = rate quote, e.g. 1 EUR = 1.0850 USD. Many rates at once? "
        '<a href="{}">Load a rates CSV</a>.'
    ).format(url_for("funding.exchange_rates_upload"))
    if obj is not None and not form.is_submitted():
        form.rate.data = money.rate_text(obj.rate)
    return form


class RatesFileForm(FlaskForm):
    file = FileField(
        "Rates file (CSV)",
        validators=[FileRequired("Choose a CSV file to upload.")],
        description="Header date,base,quote,rate; comma or semicolon; UTF-8.",
    )


class InstalmentRow(Form):
    # Text, not a DateField: the service reads the date and says what is wrong in one message.
    expected_on = StringField("Expected on", render_kw={"type": "date"})
    amount = number_field("Amount", required=False)


class ScheduleForm(FlaskForm):
    """A commitment's whole instalment schedule, saved at once (it must add up to the pledge)."""

    instalments = FieldList(FormField(InstalmentRow), max_entries=obligations.MAX_INSTALMENTS)


def schedule_form(commitment: FundingCommitment) -> ScheduleForm:
    form = ScheduleForm()
    if not form.is_submitted():
        form = ScheduleForm(data={"instalments": obligations.schedule_rows(commitment)})
    return form


class RequirementForm(FlaskForm):
    commitment_id = SelectField(
        "Commitment", validate_choice=False, render_kw={"data-col": "col-12"}
    )
    kind = SelectField("Report", choices=enum_choices(ReportKind), validate_choice=False)
    due_on = DateField("Due on", validators=[InputRequired()])
    submitted_on = DateField("Submitted on", validators=[Optional()])
    accepted_on = DateField(
        "Accepted on",
        validators=[Optional()],
        description="Only once submitted: the funder's acceptance of the report.",
    )
    document_reference = text_field(
        "Document reference",
        max_length=200,
        description="A reference to find the document by, e.g. FIN-2026-Q1 v2 (no file, no link).",
    )
    note = TextAreaField("Note", validators=[Optional(), Length(max=1000)], description=NOTES_ONLY)


def requirement_form(session: Session, obj: ReportingRequirement | None) -> FlaskForm:
    form = RequirementForm(obj=obj)
    selected = form.commitment_id.data or (obj.commitment_id if obj is not None else None)
    include = int(str(selected)) if str(selected or "").isdecimal() else None
    form.commitment_id.choices = [
        ("", "— choose —"),
        *(
            (value, text)
            for value, text, _ in receipts.commitment_choices(session, include=include)
        ),
    ]
    if obj is not None and not form.is_submitted():
        form.commitment_id.data = str(obj.commitment_id)
    return form
