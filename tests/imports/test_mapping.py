"""Files with their own headers, and a dry run that shows what will be written.

One report for every problem (header and rows together), blank rows listed as skipped, parsed
values and the matched record on the check page, the column-mapping step (guessed from
synonyms, remembered per header, carried to the apply, refused with a clear message when a
column is chosen twice or a required one is missing), and the CLI's ``--map``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import Workbook
from sqlalchemy.orm import Session

from coordapp.extensions import db
from coordapp.funding.models import ExchangeRate, FundingCommitment
from coordapp.imports import mapping
from coordapp.imports import service as imports
from coordapp.imports.catalog import IMPORT_TYPES
from coordapp.imports.cells import DateOrder, Options
from coordapp.imports.models import ImportColumnMapping
from coordapp.imports.report import ImportReport, Outcome
from coordapp.validation import DecimalMark
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]
COMMITMENTS = IMPORT_TYPES["funding-commitments"]
FRENCH_HEADER = "Bailleur;Titre;Montant;Devise;Pilier;Promis le;Début;Fin"
FRENCH = (
    f"{FRENCH_HEADER}\r\n"
    "Mapping Funder;Grant A;1.250.000,50;EUR;Capacity Building 100%;15.01.2026;01.04.2026;"
    "31.03.2027\r\n"
    "\r\n"
    "Mapping Funder;Grant B;2.000,00;usd;Capacity Building 100%;15.01.2026;01.04.2026;"
    "31.03.2027\r\n"
).encode()
EUROPEAN = Options(dates=DateOrder.DMY, decimal=DecimalMark.COMMA)


def run(session: Session, content: bytes, type_name: str, **kw: object) -> ImportReport:
    return imports.run_import(
        session, type_name=type_name, filename="file.csv", content=content, **kw
    )


# --- the synonyms ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "column"),
    [
        ("Funder", "funder"),
        ("BAILLEUR", "funder"),
        ("Geldgeber", "funder"),
        ("Financiador", "funder"),
        ("Montant", "amount"),
        ("Betrag", "amount"),
        ("Importe", "amount"),
        ("Währung", "currency"),
        ("Moneda", "currency"),
        ("Début", "period_start"),
        ("debut", "period_start"),
        ("Beginn", "period_start"),
        ("Inicio", "period_start"),
        ("Fin", "period_end"),
        ("Ende", "period_end"),
        ("Säule", "allocations"),
        ("Pilar", "allocations"),
        ("Bemerkungen", "notes"),
        ("Notas", "notes"),
    ],
)
def test_headers_in_four_languages_are_read_by_synonym(header: str, column: str) -> None:
    (read,) = mapping.read_header(COMMITMENTS, [header])
    assert read.column is not None and read.column.name == column


def test_a_synonym_two_file_columns_share_is_left_to_the_user() -> None:
    read = mapping.read_header(COMMITMENTS, ["Montant", "Betrag", "Whatever"])
    assert [(r.column.name if r.column else None, r.how.value) for r in read] == [
        ("amount", "synonym"),
        (None, "unknown"),
        (None, "unknown"),
    ]


def test_template_names_need_no_mapping_and_others_do() -> None:
    template = ["funder", "title", "amount", "Currency", "pledged on", "period_start"]
    assert mapping.is_template_header(COMMITMENTS, template)
    assert not mapping.is_template_header(COMMITMENTS, FRENCH_HEADER.split(";"))
    assert not mapping.is_template_header(COMMITMENTS, ["funder", "funder"])


def test_mapping_problems_name_what_is_doubled_and_what_is_missing() -> None:
    chosen = ["funder", "amount", "amount", "ignore"]
    problems = mapping.problems(COMMITMENTS, chosen)
    assert "'amount' is chosen for 2 file columns" in problems[0]
    assert "Required column(s) not mapped: title, currency, pledged_on" in problems[1]


# --- one report ----------------------------------------------------------------------------


def test_header_problems_and_bad_values_come_in_one_report(session: Session) -> None:
    content = b"name,hq_country,colour\r\nAlpha,Atlantis,red\r\nBeta,Belgium,blue\r\n"
    report = run(session, content, "organizations", apply=True)
    messages = [e.message for e in report.file_errors]
    assert "lacks the required column(s) kind" in messages[0]
    assert "Unknown column(s) 'colour'" in messages[1]
    # ... and still every row, read with the columns that could be mapped.
    assert [(r.row, r.outcome.value) for r in report.rows] == [(2, "error"), (3, "unchecked")]
    assert report.rows[0].errors[0].message == "No country is named 'Atlantis'."
    assert report.rows[1].values == {"name": "Beta", "hq_country_code": "BE"}
    assert not report.applied


def test_unknown_columns_alone_still_check_every_row_through_its_service(
    session: Session,
) -> None:
    factories.organization(session, name="Known Org")
    content = b"name,kind,colour\r\nKnown Org,ngo,red\r\nNew Org,ngo,blue\r\nBad,widget,x\r\n"
    report = run(session, content, "organizations")
    assert "Unknown column(s) 'colour'" in report.file_errors[0].message
    outcomes = [r.outcome.value for r in report.rows]
    assert outcomes == ["update", "create", "error"] and not report.ok


def test_every_error_of_a_row_at_once_currency_and_date_order_included(session: Session) -> None:
    content = (
        b"funder,title,amount,currency,pledged_on,period_start,period_end,allocations\r\n"
        b"Nobody,T,12x,EURO,2026-13-01,2026-01-01,2025-12-31,Capacity Building 100%\r\n"
    )
    report = run(session, content, "funding-commitments")
    errors = {e.column: e.message for e in report.rows[0].errors}
    assert sorted(errors) == ["amount", "currency", "period_end", "pledged_on"]
    assert errors["period_end"] == "The end date cannot be before the start date."


def test_blank_rows_are_listed_as_skipped(session: Session) -> None:
    content = b"name,kind\r\nAlpha,ngo\r\n,\r\n\r\nBeta,ngo\r\n\r\n\r\n"
    report = run(session, content, "organizations")
    assert [(r.row, r.outcome.value) for r in report.rows] == [
        (2, "create"),
        (3, "skip"),
        (4, "skip"),
        (5, "create"),
    ]  # the blank lines after the last row end the file; they are not rows
    assert "2 blank rows skipped" in report.summary()


def test_parsed_values_and_the_matched_record(session: Session) -> None:
    funder = factories.organization(session, name="Mapping Funder")
    existing = factories.commitment(
        session, amount="1", currency="EUR", pledged_on=date(2026, 1, 15), funder=funder
    )
    existing.title = "Grant A"
    session.flush()
    report = run(session, FRENCH, "funding-commitments", options=EUROPEAN)
    assert report.ok, report.errors
    first, blank, second = report.rows
    assert first.outcome == Outcome.UPDATE and first.target == existing.id
    assert first.values["amount"] == Decimal("1250000.50")
    assert first.values["period_end"] == date(2027, 3, 31)
    assert blank.outcome == Outcome.SKIP and second.outcome == Outcome.CREATE
    assert second.values["currency_code"] == "USD"


def test_a_workbook_title_above_a_foreign_header_is_skipped(session: Session) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in (["Liste des partenaires 2026"], [], ["Nom", "Genre", "Pays"]):
        sheet.append(row)
    sheet.append(["Alpha Conseil", "ngo", "Belgique"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    report = imports.run_import(
        session, type_name="organizations", filename="p.xlsx", content=buffer.getvalue()
    )
    assert [fc.header for fc in report.columns] == ["Nom", "Genre", "Pays"]
    assert report.ok, report.errors
    assert report.rows[0].values["hq_country_code"] == "BE"


# --- the page --------------------------------------------------------------------------------


def upload(client: FlaskClient, content: bytes, **fields: str):
    data = {
        "type_name": fields.get("type_name", "funding-commitments"),
        "dates": fields.get("dates", "dmy"),
        "decimal": fields.get("decimal", "comma"),
        "file": (io.BytesIO(content), "engagements.csv"),
    }
    return client.post("/import/", data=data, content_type="multipart/form-data")


def token_of(client: FlaskClient) -> str:
    with client.session_transaction() as flask_session:
        return str(flask_session["import_pending"]["token"])


def selected(page: str) -> list[str]:
    """The value selected in each select of the mapping form, in order."""
    selects = re.findall(r"<select[^>]*>(.*?)</select>", page, flags=re.S)
    return [
        (re.search(r'<option selected value="([^"]*)"', s) or re.search(r'value="([^"]*)"', s))[1]  # type: ignore[index]
        for s in selects
    ]


def post_columns(client: FlaskClient, chosen: list[str]):
    data = {"token": token_of(client)}
    data.update({f"columns-{i}": value for i, value in enumerate(chosen)})
    return client.post("/import/columns", data=data)


GUESSED = [
    "funder",
    "title",
    "amount",
    "currency",
    "allocations",
    "pledged_on",
    "period_start",
    "period_end",
]


def commitments(in_app: InApp) -> dict[str, tuple[Decimal, date]]:
    with in_app() as s:
        found = s.scalars(
            sa.select(FundingCommitment).where(FundingCommitment.title.like("Grant %"))
        )
        return {c.title: (c.amount, c.period_start) for c in found}


@pytest.fixture
def funder(in_app: InApp) -> None:
    with in_app() as s:
        factories.organization(s, name="Mapping Funder")


def test_foreign_headers_are_mapped_checked_and_applied(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, funder: None
) -> None:
    manager = signed_in("manager")
    offered = upload(manager, FRENCH)
    page = offered.get_data(as_text=True)
    assert offered.status_code == 200 and "Columns: funding commitments" in page
    assert selected(page) == GUESSED
    assert "1.250.000,50" in page  # the first values of each column help to choose
    checked = post_columns(manager, GUESSED)
    page = checked.get_data(as_text=True)
    assert checked.status_code == 200, page
    assert "1250000.50 EUR" in page and "2027-03-31" in page and "2000.00 USD" in page
    assert "Row 3: skipped (blank)" in page
    assert "new record" in page and "Apply: write 2 rows" in page
    applied = manager.post("/import/apply", data={"token": token_of(manager)})
    assert applied.status_code == 200, applied.get_data(as_text=True)
    grants = commitments(in_app)
    assert grants["Grant A"] == (Decimal("1250000.50"), date(2026, 4, 1))
    assert grants["Grant B"] == (Decimal("2000.00"), date(2026, 4, 1))


def test_the_mapping_is_remembered_for_the_next_file_with_the_same_header(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, funder: None
) -> None:
    manager = signed_in("manager")
    upload(manager, FRENCH)
    # The user reads "Début" as the pledge date too; the next file gets that choice.
    chosen = ["funder", "title", "amount", "currency", "allocations", "ignore"]
    chosen += ["period_start", "period_end"]
    problems = post_columns(manager, chosen)
    assert "Required column(s) not mapped: pledged_on" in problems.get_data(as_text=True)
    chosen[5] = "pledged_on"
    assert post_columns(manager, chosen).status_code == 200
    with in_app() as s:
        stored = s.scalars(sa.select(ImportColumnMapping)).one()
        assert stored.import_type == "funding-commitments" and stored.columns == chosen
    again = upload(manager, FRENCH.replace(b"Grant A", b"Grant C"))
    page = again.get_data(as_text=True)
    assert again.status_code == 200 and "mapping remembered for this header" in page
    assert "Grant C" in page and "Change the column mapping" in page
    # The remembered mapping goes with the upload to the apply.
    applied = manager.post("/import/apply", data={"token": token_of(manager)})
    assert applied.status_code == 200
    assert {"Grant B", "Grant C"} <= set(commitments(in_app))
    # "Change the column mapping" shows the remembered choices.
    upload(manager, FRENCH)
    assert selected(manager.get("/import/columns").get_data(as_text=True)) == chosen


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({1: "amount"}, "&#39;amount&#39; is chosen for 2 file columns"),
        ({0: "ignore"}, "Required column(s) not mapped: funder"),
        ({3: "not-a-column"}, "Choose, for every file column, a column or “ignore”"),
    ],
)
def test_a_mapping_that_cannot_work_is_refused_and_keeps_the_choices(
    signed_in: Callable[[str], FlaskClient], change: dict[int, str], message: str
) -> None:
    manager = signed_in("manager")
    upload(manager, FRENCH)
    chosen = [change.get(i, value) for i, value in enumerate(GUESSED)]
    response = post_columns(manager, chosen)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and message in page
    # As the user left them (a value no select offers shows as the first choice, "ignore").
    kept = [value if value != "not-a-column" else "ignore" for value in chosen]
    assert selected(page) == kept
    assert token_of(manager)  # the upload still waits


def test_a_template_header_goes_straight_to_the_check(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    content = b"name;kind\r\nPage Gamma;ngo\r\n"
    response = upload(signed_in("manager"), content, type_name="organizations")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Check: organizations" in page
    assert "Columns:" not in page


def test_the_check_links_the_record_a_row_updates(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        org_id = factories.organization(s, name="Page Link Org").id
    content = b"name,kind\r\nPage Link Org,ngo\r\nPage New Org,ngo\r\n"
    page = upload(signed_in("manager"), content, type_name="organizations").get_data(as_text=True)
    assert f'<a href="/organizations/{org_id}">updates #{org_id}</a>' in page
    assert "new record" in page


# --- the CLI ---------------------------------------------------------------------------------


def cli(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def test_cli_map_and_synonyms_say_how_each_column_was_read(
    app: Flask, db_conn: sa.Connection, tmp_path: Path
) -> None:
    file = tmp_path / "kurse.csv"
    file.write_text("Basis;Währung;Datum;Kurs;Quelle\nEUR;USD;31.03.2026;1,085;EZB\n")
    options = ("--dates", "dmy", "--decimal", "comma")
    code, out = cli(app, "import", "exchange-rates", str(file), "--dry-run", *options)
    assert code == 1 and "Unknown column(s) 'Basis', 'Währung', 'Quelle'" in out
    assert "column 'Datum': read as date (by synonym)" in out
    # The rows are read all the same, and the dry run shows what they hold.
    assert "row 2: unchecked" in out and "| date 2026-03-31; rate 1.085" in out
    maps = ("--map", "Basis=base", "--map", "Währung=quote", "--map", "quelle=ignore")
    code, out = cli(app, "import", "exchange-rates", str(file), *maps, *options)
    assert code == 0, out
    assert "column 'Basis': read as base (as mapped)" in out
    assert "column 'Kurs': read as rate (by synonym)" in out
    assert "column 'Quelle': read as — (ignored)" in out
    with app.app_context():
        rate = (
            db.session()
            .scalars(sa.select(ExchangeRate).where(ExchangeRate.rate_date == date(2026, 3, 31)))
            .one()
        )
        assert (rate.base_code, rate.quote_code, rate.rate) == ("EUR", "USD", Decimal("1.085"))


def test_cli_map_naming_no_column_is_refused_clearly(
    app: Flask, db_conn: sa.Connection, tmp_path: Path
) -> None:
    file = tmp_path / "kurse.csv"
    file.write_text("Basis;Währung;Datum;Kurs\nEUR;USD;2026-03-31;1.085\n")
    code, out = cli(app, "import", "exchange-rates", str(file), "--map", "Basis=colour")
    assert code == 1 and "'colour' is not a column of exchange rates" in out
    code, out = cli(app, "import", "exchange-rates", str(file), "--map", "Base=base")
    assert code == 1 and "the file has no column 'Base'" in out


def test_a_mapping_travels_in_the_session_cookie_in_a_few_bytes() -> None:
    """The upload's mapping rides in the (4 KB) session cookie: 200 columns fit easily."""
    chosen = ["ignore"] * 190 + GUESSED + ["notes", "partnership"]
    packed = mapping.pack(COMMITMENTS, chosen)
    assert len(packed) < 600
    assert mapping.unpack(COMMITMENTS, packed) == chosen
