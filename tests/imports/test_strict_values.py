"""Nothing wrong gets in silently (#14): numbers, dates, countries and pillar shares in an
import are read strictly, and what is refused says why, in the words of the forms.

Through the surfaces where the bugs were found: the ``flask import`` command and the import page
(a JPY amount ``12.5`` in a decimal-comma file once became 125), and the engine they both call.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy.orm import Session

from coordapp.funding.models import FundingCommitment, FundingReceipt
from coordapp.imports import cells, countries
from coordapp.imports.cells import DateOrder, Options
from coordapp.validation import DecimalMark
from tests import factories
from tests.imports.test_cli import run as run_cli
from tests.imports.test_service import csv_bytes, xlsx_bytes
from tests.imports.test_service import run as run_import
from tests.imports.test_views import upload

InApp = Callable[[], AbstractContextManager[Session]]

PLEDGE_HEADER = "funder;title;amount;currency;pledged_on;period_start;period_end;allocations"
SHIFTED_POINT = (
    "'12.5' is not a number written with a decimal comma: a dot may only separate thousands "
    "in groups of three (1.250.000,50); did you mean 12,5?"
)
TOO_MANY_DECIMALS = "JPY amounts have 0 decimal places; this amount has 1."


def pledge(amount: str, *, title: str = "Yen grant", allocations: str = "Capacity Building") -> str:
    return f"Yen Fund;{title};{amount};JPY;2026-01-15;2026-01-01;2026-12-31;{allocations}"


def semicolons(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def commitments(in_app: InApp) -> dict[str, Decimal]:
    with in_app() as s:
        rows = s.execute(sa.select(FundingCommitment.title, FundingCommitment.amount))
        return {title: amount for title, amount in rows}


@pytest.fixture
def yen_fund(in_app: InApp) -> None:
    with in_app() as s:
        factories.organization(s, name="Yen Fund")


# --- the JPY amount that became 125 ----------------------------------------------------------


def test_cli_refuses_a_shifted_decimal_point_and_too_many_decimals(
    app: Flask, in_app: InApp, yen_fund: None, tmp_path: Path
) -> None:
    file = tmp_path / "pledges.csv"
    file.write_text(
        "\n".join([PLEDGE_HEADER, pledge("12.5"), pledge("12,5", title="Comma grant"), ""])
    )
    code, out = run_cli(app, "import", "funding-commitments", str(file), "--decimal", "comma")
    assert code == 1
    assert f"row 2: error in amount: {SHIFTED_POINT}" in out
    assert f"row 3: error in amount: {TOO_MANY_DECIMALS}" in out
    assert "Nothing written" in out and commitments(in_app) == {}
    # Written right, the same file goes in: a dot groups thousands, a pillar alone takes all.
    file.write_text("\n".join([PLEDGE_HEADER, pledge("1.250"), ""]))
    code, out = run_cli(app, "import", "funding-commitments", str(file), "--decimal", "comma")
    assert code == 0, out
    assert commitments(in_app) == {"Yen grant": Decimal(1250)}


def test_cli_refuses_a_receipt_with_more_decimals_than_its_currency(
    app: Flask, in_app: InApp, tmp_path: Path
) -> None:
    with in_app() as s:
        funder = factories.organization(s, name="Yen Fund")
        factories.commitment(
            s,
            amount="100000",
            currency="JPY",
            pledged_on=date(2026, 1, 5),
            funder=funder,
            title="Yen grant",
        )
    file = tmp_path / "receipts.csv"
    file.write_text(
        "funder;commitment;received_on;amount\n"
        "Yen Fund;Yen grant;2026-02-01;12,5\n"
        "Yen Fund;Yen grant;2026-02-01;12.5\n"
    )
    code, out = run_cli(app, "import", "receipts", str(file), "--decimal", "comma")
    assert code == 1
    assert f"row 2: error in amount: {TOO_MANY_DECIMALS}" in out
    assert f"row 3: error in amount: {SHIFTED_POINT}" in out
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count(FundingReceipt.id))) == 0


def test_import_page_refuses_the_shifted_decimal_point_in_the_forms_words(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, yen_fund: None
) -> None:
    response = upload(
        signed_in("manager"),
        semicolons(PLEDGE_HEADER, pledge("12.5"), pledge("12,5", title="B")),
        filename="pledges.csv",
        type_name="funding-commitments",
        decimal="comma",
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert str(escape(SHIFTED_POINT)) in page
    assert TOO_MANY_DECIMALS in page and "Apply:" not in page
    assert commitments(in_app) == {}


def test_a_spreadsheet_number_with_decimals_is_refused_for_yen(session: Session) -> None:
    factories.organization(session, name="Yen Fund")
    header = PLEDGE_HEADER.split(";")
    cells: list[object] = pledge("x").split(";")
    rows = [header, [*cells[:2], 12.5, *cells[3:]], [*cells[:1], "B", "12.5", *cells[3:]]]
    report = run_import(
        session,
        xlsx_bytes(rows),
        type_name="funding-commitments",
        filename="pledges.xlsx",
        options=Options(decimal=DecimalMark.COMMA),
    )
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "amount", TOO_MANY_DECIMALS),  # a number cell: its decimal mark is no question
        (3, "amount", SHIFTED_POINT),  # a text cell is read like a CSV cell
    ]


def test_a_decimal_point_file_refuses_a_decimal_comma(session: Session) -> None:
    factories.organization(session, name="Yen Fund")
    content = semicolons(PLEDGE_HEADER, pledge("1,25"), pledge("1,250"))
    report = run_import(session, content, type_name="funding-commitments")
    assert [(e.row, e.column) for e in report.errors] == [(2, "amount")]
    assert report.errors[0].message == (
        "'1,25' is not a number written with a decimal point: a comma may only separate "
        "thousands in groups of three (1,250,000.50); did you mean 1.25?"
    )


def test_rates_take_no_thousands_separators(session: Session) -> None:
    content = semicolons("base;quote;date;rate", "EUR;USD;2026-03-31;1.085")
    options = Options(decimal=DecimalMark.COMMA)
    report = run_import(session, content, type_name="exchange-rates", options=options)
    assert [e.column for e in report.errors] == ["rate"]
    assert report.errors[0].message.endswith(
        "write it without thousands separators; did you mean 1,085 or 1085?"
    )


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "order", "message"),
    [
        (
            "31.03.26",
            DateOrder.DMY,
            "'31.03.26' has a two-digit year; write the year in full, e.g. 31.03.2026.",
        ),
        ("2026-3-1", DateOrder.DMY, "did you mean 2026-03-01?"),
        ("20260301", DateOrder.ISO, "'20260301' is not a date; write it as YYYY-MM-DD."),
        ("31.03/2026", DateOrder.DMY, "write it as YYYY-MM-DD or DD.MM.YYYY."),
        ("31/03/2026", DateOrder.MDY, "'31/03/2026' is not a real date (read month first)."),
        ("2026-03-31 noon", DateOrder.ISO, "is not a date; write it as YYYY-MM-DD."),
        ("31.03.2026", DateOrder.ISO, "is ambiguous"),
    ],
)
def test_dates_are_read_strictly(
    session: Session, written: str, order: DateOrder, message: str
) -> None:
    content = csv_bytes("base,quote,date,rate", f"EUR,USD,{written},1.085")
    report = run_import(session, content, type_name="exchange-rates", options=Options(order))
    assert [e.column for e in report.errors] == ["date"]
    assert message in report.errors[0].message


@pytest.mark.parametrize(
    ("written", "order"),
    [
        ("2026-03-31", DateOrder.DMY),
        ("2026-03-31T00:00:00", DateOrder.ISO),
        ("31.03.2026", DateOrder.DMY),
        ("1.3.2026", DateOrder.DMY),
        ("3/31/2026", DateOrder.MDY),
    ],
)
def test_dates_written_plainly_are_read(session: Session, written: str, order: DateOrder) -> None:
    day = cells.parse_date(written, order)
    assert day == (date(2026, 3, 1) if written == "1.3.2026" else date(2026, 3, 31))


# --- countries -------------------------------------------------------------------------------

NEAR_MISSES = {
    "Germny": "Germany (DE)",
    "Untied Kingdom": "United Kingdom (GB)",
    "Frnace": "France (FR)",
    "Swizterland": "Switzerland (CH)",
    "Phillipines": "Philippines (PH)",
    "Columbia": "Colombia (CO)",
    "Kyrgystan": "Kyrgyzstan (KG)",
    "Azerbajan": "Azerbaijan (AZ)",
    "Belgum": "Belgium (BE)",
    "Hungray": "Hungary (HU)",
    "Netherland": "Netherlands (NL)",
    "Souht Afirca": "South Africa (ZA)",
    "Deutschlnd": "Germany (DE)",
    "Kingdom Untied": "United Kingdom (GB)",
}
MADE_UP = [
    "Atlantis",
    "Narnia",
    "Wakanda",
    "Elbonia",
    "Latveria",
    "Genovia",
    "Sokovia",
    "Freedonia",
    "Ruritania",
    "Westeros",
    "Mordor",
    "Zubrowka",
    "Lilliput",
    "Utopia",
    "Agrabah",
    "Panem",
    "Qumar",
    "Krakozhia",
    "Middle Earth",
    "Oz",
]


def country_errors(session: Session, names: list[str]) -> dict[str, str]:
    rows = [f"Org {i},ngo,{name}" for i, name in enumerate(names)]
    report = run_import(session, csv_bytes("name,kind,hq_country", *rows))
    assert all(e.column == "hq_country" for e in report.errors)
    return {names[(e.row or 0) - 2]: e.message for e in report.errors}


def test_near_misses_get_the_country_they_miss(session: Session) -> None:
    errors = country_errors(session, list(NEAR_MISSES))
    assert set(errors) == set(NEAR_MISSES)
    for written, country in NEAR_MISSES.items():
        assert errors[written].startswith(f"No country is named {written!r}. Did you mean ")
        assert country in errors[written], errors[written]


def test_made_up_countries_get_no_suggestion(session: Session) -> None:
    errors = country_errors(session, MADE_UP)
    assert errors == {name: f"No country is named {name!r}." for name in MADE_UP}


def test_a_slip_between_two_countries_names_both(session: Session) -> None:
    message = country_errors(session, ["Austrlia"])["Austrlia"]
    assert "Australia (AU)" in message and "Austria (AT)" in message


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Cote d Ivoire", "CI"),
        ("Côte d’Ivoire", "CI"),
        ("COTE D'IVOIRE", "CI"),
        ("Sao Tome & Principe", "ST"),
        ("Perú", "PE"),
    ],
)
def test_names_written_without_accents_or_punctuation_resolve(
    session: Session, written: str, code: str
) -> None:
    report = run_import(session, csv_bytes("name,kind,hq_country", f"Org,ngo,{written}"))
    assert report.ok, report.errors
    assert countries.resolve_country(written) == code


def test_import_page_says_plainly_that_no_country_has_the_name(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    response = upload(signed_in("manager"), b"name;kind;hq_country\r\nPage Org;ngo;Atlantis\r\n")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "No country is named &#39;Atlantis&#39;." in page
    assert "Did you mean" not in page and "Albania" not in page


# --- pillar shares ---------------------------------------------------------------------------


def test_a_pillar_named_alone_takes_the_whole_pledge(session: Session) -> None:
    factories.organization(session, name="Yen Fund")
    content = semicolons(PLEDGE_HEADER, pledge("90000", allocations="capacity building"))
    report = run_import(session, content, type_name="funding-commitments", apply=True)
    assert report.applied, report.errors
    grant = session.scalars(sa.select(FundingCommitment)).one()
    assert [(a.pillar.name, a.amount) for a in grant.allocations] == [
        ("Capacity Building", Decimal(90000))
    ]


@pytest.mark.parametrize(
    ("allocations", "message"),
    [
        (
            "Capacity Building | Network Expansion",
            "'Capacity Building' and 'Network Expansion' have no share: when a pledge goes to "
            "several pillars, give each its percentage or amount, e.g. "
            '"Capacity Building 60%; Network Expansion 40%" (a pillar named alone takes the '
            "whole pledge).",
        ),
        ("Capacity Building | Network Expansion 40%", "'Capacity Building' has no share"),
        ("Capacity Bilding", "'Capacity Bilding' is not a pillar; use one of: "),
        ("Capacity Building 60,5% | Network Expansion 39.5%", "Network Expansion: '39.5'"),
    ],
)
def test_several_pillars_each_need_their_share(
    session: Session, allocations: str, message: str
) -> None:
    factories.organization(session, name="Yen Fund")
    content = semicolons(PLEDGE_HEADER, pledge("90000", allocations=allocations))
    report = run_import(
        session,
        content,
        type_name="funding-commitments",
        options=Options(decimal=DecimalMark.COMMA),
    )
    assert [e.column for e in report.errors] == ["allocations"]
    assert message in report.errors[0].message
