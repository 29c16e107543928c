"""The template of each import type (CSV and XLSX, the header and an example row) and the
help on its columns."""

from __future__ import annotations

import csv
import io

from coordapp.imports.catalog import import_type
from coordapp.imports.types import ImportType, Kind

# --- templates -------------------------------------------------------------------------------


def template_csv(type_name: str) -> bytes:
    itype = import_type(type_name)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([c.name for c in itype.columns])
    writer.writerow([c.example for c in itype.columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(type_name: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    itype = import_type(type_name)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = itype.title[:31]
    sheet.append([c.name for c in itype.columns])
    sheet.append([c.example for c in itype.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(itype.columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.name) + 4)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def column_help(itype: ImportType) -> list[tuple[str, str, bool]]:
    """(column, what it takes, required) for the page and the CLI."""
    described = {
        Kind.TEXT: "text",
        Kind.DATE: "a date (YYYY-MM-DD, or day/month-first as chosen)",
        Kind.DECIMAL: (
            "a number with the decimal mark chosen; thousands grouped in threes, if at all"
        ),
        Kind.COUNTRY: "a country name or ISO code",
        Kind.CURRENCY: "an ISO 4217 currency code",
        Kind.CHOICE: "one of",
        Kind.INTEGER: "a whole number",
        Kind.PILLAR: "a pillar's name or code",
        Kind.COUNTRY_LIST: "countries (names or ISO codes) separated by semicolons",
        Kind.PILLAR_LIST: "pillar names separated by semicolons",
        Kind.USER: "a user's email",
        Kind.ALLOCATIONS: (
            "each pillar with its share: 'Capacity Building 60%; Network Expansion 40%', "
            "or amounts that add up to the pledge; a pillar named alone takes all of it"
        ),
        Kind.MEMBERSHIP: (
            "dated membership changes: '2019-05-01 provisional; 2021-06-01 full' "
            "(applicant, provisional, full, suspended, withdrawn)"
        ),
    }
    rows = []
    for column in itype.columns:
        text = described[column.kind]
        if column.kind == Kind.CHOICE and column.choices is not None:
            text += ": " + ", ".join(str(m.value) for m in column.choices)
        rows.append((column.name, text, column.required))
    return rows
