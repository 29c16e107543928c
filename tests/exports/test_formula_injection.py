"""No export can hold a formula: every control character before every formula lead character,
on every path that writes cells (record lists, chart downloads, the board pack)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coordapp.exports import cell, csv_lines, xlsx_bytes, xlsx_cell
from coordapp.network.models import MembershipStatus
from dashboards import exports as chart_exports
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]

CONTROLS = [chr(c) for c in [*range(0x00, 0x20), 0x7F]]
LEADS = ["=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20"]
# PostgreSQL text cannot hold NUL; the pure tests below cover it.
STORABLE_CONTROLS = [c for c in CONTROLS if c != "\x00"]


def _hostile_names() -> list[str]:
    """Every storable control character before a formula lead, and every lead after \\x01."""
    names = [
        f"{control}{LEADS[index % len(LEADS)]}3+4 n{index}"
        for index, control in enumerate(STORABLE_CONTROLS)
    ]
    names += [f"\x01{lead}3+4 lead{index}" for index, lead in enumerate(LEADS)]
    return names


def _assert_inert_text(value: object) -> None:
    if not isinstance(value, str) or not value:
        return
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", value), repr(value)
    assert not value.startswith(tuple(LEADS)), repr(value)
    assert not value.lstrip().startswith(tuple(LEADS)), repr(value)


def _assert_csv_inert(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    for row in rows:
        for value in row:
            _assert_inert_text(value)
    return rows


def _assert_xlsx_inert(data: bytes) -> list[str]:
    """No formula element in any sheet's XML, every text cell typed as text; the cell texts."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name)
                assert b"<f>" not in xml and b"<f " not in xml, name
    texts: list[str] = []
    for sheet in load_workbook(io.BytesIO(data)).worksheets:
        for row in sheet.iter_rows():
            for item in row:
                assert item.data_type != "f", (item.coordinate, item.value)
                if isinstance(item.value, str):
                    _assert_inert_text(item.value)
                    texts.append(item.value)
    return texts


@pytest.mark.parametrize("lead", LEADS)
@pytest.mark.parametrize("control", CONTROLS, ids=lambda c: f"0x{ord(c):02x}")
def test_a_control_character_before_a_formula_lead_is_dropped_and_the_lead_escaped(
    control: str, lead: str
) -> None:
    text = f"{control}{lead}3+4"
    visible = text if control in "\t\n\r" else text[1:]  # tab, LF, CR are kept in text
    assert cell(text) == "'" + visible
    assert xlsx_cell(text) == "'" + visible
    _assert_inert_text(cell(text))


def test_a_workbook_of_every_combination_holds_no_formula() -> None:
    rows = [[f"{c}{lead}3+4", f"{lead}{c}SUM(A1)"] for c in CONTROLS for lead in LEADS]
    texts = _assert_xlsx_inert(xlsx_bytes([("Hostile", rows, {"note": "\x01=1+1"})]))
    assert "'=3+4" in texts  # "\x01=3+4": stripped first, then escaped
    csv_text = "".join(csv_lines(rows, stamp={"note": "\x01=1+1"}))
    assert "'=3+4" in [v for r in _assert_csv_inert(csv_text) for v in r]


def test_a_chart_download_holds_no_formula_in_either_format() -> None:
    document = chart_exports.document(
        title="Funding by funder",
        stamp=[("funder", "\x01=HYPERLINK(1)")],
        columns=["\x02=Funder", "amount"],
        rows=[[f"{c}{lead}3+4", 5] for c in CONTROLS for lead in LEADS],
    )
    csv_rows = list(csv.reader(io.StringIO(document.csv(), newline="")))
    for row in csv_rows:
        for value in row:
            if not value.startswith("# "):
                _assert_inert_text(value)
    assert "'=3+4" in [v for r in csv_rows for v in r]
    assert "'=3+4" in _assert_xlsx_inert(document.xlsx())


@pytest.fixture
def hostile_organizations(in_app: InApp) -> list[str]:
    with in_app() as s:
        return [factories.organization(s, name=name).name for name in _hostile_names()]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_record_list_export_holds_no_formula(
    signed_in: Callable[[str], FlaskClient], hostile_organizations: list[str], fmt: str
) -> None:
    response = signed_in("viewer").get(f"/organizations/?format={fmt}&per_page=100")
    assert response.status_code == 200
    if fmt == "csv":
        exported = [r[0] for r in _assert_csv_inert(response.get_data(as_text=True)) if r]
    else:
        exported = _assert_xlsx_inert(response.data)
    assert "'=3+4 lead0" in exported  # "\x01=3+4 lead0" came out as text
    assert sum(1 for v in exported if v.startswith("'")) >= len(hostile_organizations)


def test_the_board_pack_workbook_holds_no_formula(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    year = date.today().year - 1
    with in_app() as s:
        factories.hotline(
            s,
            country="FR",
            name="\x01=3+4 Hotline",
            events=[(date(year, 3, 1), MembershipStatus.FULL)],
        )
    response = signed_in("viewer").get(f"/board-pack/?year={year}&format=xlsx")
    assert response.status_code == 200
    assert "'=3+4 Hotline" in _assert_xlsx_inert(response.data)
