"""Stamped CSV and XLSX exports: the stamp block, filters, formula escaping, typed cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime
from decimal import Decimal

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coordapp.exports import cell, sheet_title, xlsx_bytes, xlsx_cell
from coordapp.partners.models import OrganizationKind
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]
DANGEROUS = ["=1+2 Trust", "+44 Foundation", "-minus Group", "@sum Alliance", "\tTab Fund"]


def _read_xlsx(data: bytes) -> list[list[object]]:
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _stamp(rows: list[list[object]]) -> dict[str, object]:
    return {
        str(r[0])[2:]: r[1] for r in rows if r and isinstance(r[0], str) and r[0].startswith("# ")
    }


@pytest.mark.parametrize("text", DANGEROUS + ["\rCR Trust"])
def test_text_that_a_spreadsheet_would_run_is_escaped_in_both_formats(text: str) -> None:
    assert cell(text) == "'" + text
    assert xlsx_cell(text) == "'" + text


def test_xlsx_cells_keep_numbers_and_dates_typed() -> None:
    assert xlsx_cell(-5) == -5
    assert xlsx_cell(Decimal("-12.50")) == Decimal("-12.50")
    assert xlsx_cell(date(2026, 1, 2)) == date(2026, 1, 2)
    assert xlsx_cell(None) == ""
    assert xlsx_cell(True) == "yes"
    assert xlsx_cell("bell\x07 text") == "bell text"  # not storable in XLSX: dropped, no error
    rows = _read_xlsx(
        xlsx_bytes(
            [("T", [[-5, Decimal("1234.56"), date(2026, 1, 2), datetime(2026, 1, 2, 3, 4)]], None)]
        )
    )
    number, money, day, moment = rows[0]
    assert number == -5 and isinstance(number, int)
    assert money == pytest.approx(1234.56) and isinstance(money, float)
    assert day == datetime(2026, 1, 2) and moment == datetime(2026, 1, 2, 3, 4)


def test_sheet_titles_are_valid() -> None:
    assert (
        sheet_title("Funding: by [pillar] / kind and a very long remainder")
        == ("Funding  by  pillar    kind and")[:31]
    )
    assert len(sheet_title("x" * 40)) == 31
    assert sheet_title("***") == "Sheet"


@pytest.fixture
def orgs(in_app: InApp) -> dict[str, list[str]]:
    with in_app() as s:
        funders = [
            factories.organization(s, name=name, kind=OrganizationKind.FOUNDATION).name
            for name in [*DANGEROUS, "Plain Foundation"]
        ]
        factories.organization(s, name="Plain Industry", kind=OrganizationKind.INDUSTRY)
    return {"foundation": funders, "industry": ["Plain Industry"]}


def test_csv_export_is_stamped_filtered_and_escaped(
    signed_in: Callable[[str], FlaskClient], users: dict[str, str], orgs: dict[str, list[str]]
) -> None:
    response = signed_in("viewer").get("/organizations/?kind=foundation&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    stamp = {r[0][2:]: r[1] for r in rows if r and r[0].startswith("# ")}
    assert stamp["filters"] == "kind=foundation"
    assert stamp["as of"] == date.today().isoformat()
    assert stamp["exported by"] == users["viewer"]
    assert stamp["exported at"].startswith(date.today().isoformat())
    names = {r[0] for r in rows[len(stamp) + 2 :]}
    assert names == {"'" + n if n != "Plain Foundation" else n for n in orgs["foundation"]}
    assert "Plain Industry" not in names


def test_xlsx_export_is_stamped_filtered_and_escaped(
    signed_in: Callable[[str], FlaskClient], users: dict[str, str], orgs: dict[str, list[str]]
) -> None:
    response = signed_in("viewer").get("/organizations/?kind=foundation&q=a&format=xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert 'filename="organizations-' in response.headers["Content-Disposition"]
    rows = _read_xlsx(response.data)
    stamp = _stamp(rows)
    assert stamp["export"] == "Organizations"
    assert stamp["filters"] == "q=a; kind=foundation"
    assert stamp["as of"] == date.today().isoformat()
    assert stamp["exported by"] == users["viewer"]
    header = rows[len(stamp) + 1]
    assert header[0] == "Name"
    names = {r[0] for r in rows[len(stamp) + 2 :]}
    expected = {n for n in orgs["foundation"] if "a" in n.lower()}
    assert names == {"'" + n if n != "Plain Foundation" else n for n in expected}
    # No cell is a formula: openpyxl reads formulas back as text starting with "=".
    assert not any(isinstance(v, str) and v.startswith("=") for r in rows for v in r)


def test_xlsx_export_writes_numbers_as_numbers(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        item = factories.hotline(s, country="KE", name="Numbers Hotline Kenya")
        item.staff_count = 12
        item.founded_year = 2004
    response = signed_in("viewer").get("/hotlines/?q=Numbers&format=xlsx")
    assert response.status_code == 200
    rows = _read_xlsx(response.data)
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "Name")
    header, data = rows[header_at], rows[header_at + 1 :]
    assert len(data) == 1
    record = dict(zip(header, data[0], strict=False))
    assert record["Staff"] == 12 and isinstance(record["Staff"], int)
    assert record["Founded"] == 2004


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_anonymous_export_redirects_to_sign_in(client: FlaskClient, fmt: str) -> None:
    response = client.get(f"/organizations/?format={fmt}")
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]


def test_list_page_offers_both_exports_with_the_filters(
    signed_in: Callable[[str], FlaskClient], orgs: dict[str, list[str]]
) -> None:
    page = signed_in("viewer").get("/organizations/?kind=industry").get_data(as_text=True)
    assert "format=csv" in page and "format=xlsx" in page
    assert "kind=industry&amp;format=xlsx" in page or "format=xlsx&amp;kind=industry" in page


@pytest.mark.parametrize(
    "query",
    ["format=xlsx&page=abc&sort=;drop", "format=csv&sort=nope&kind=%27", "format=pdf"],
)
def test_bad_export_parameters_are_ignored_never_a_server_error(
    signed_in: Callable[[str], FlaskClient], orgs: dict[str, list[str]], query: str
) -> None:
    response = signed_in("viewer").get(f"/organizations/?{query}")
    assert response.status_code == 200
    if "format=pdf" in query:
        assert response.mimetype == "text/html"


def test_dashboard_csv_escapes_text_and_keeps_numbers() -> None:
    from dashboards.exports import document

    text = document(
        title="Funding by funder",
        stamp=[("as of", date(2026, 11, 26))],
        columns=["Funder", "Pledged"],
        rows=[["=HYPERLINK(1) Fund", Decimal("-10.50")], ["@Trust", 3]],
    ).csv()
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[-2:] == [["'=HYPERLINK(1) Fund", "-10.50"], ["'@Trust", "3"]]
    assert "# as of: 2026-11-26" in text
