"""CSV and XLSX exports: stamped with what they contain, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from flask import Response
from openpyxl import Workbook
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.worksheet.worksheet import Worksheet

# What a spreadsheet may run as a formula when a cell starts with it (OWASP "CSV injection"),
# with the full-width forms that East Asian spreadsheet settings also accept.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
# Control characters: not storable in XLSX (XML 1.0) and invisible in CSV; tab, LF and CR stay
# (notes have line breaks). Stripped BEFORE the formula check: "\x01=3+4" must not become "=3+4".
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_cell(text: str) -> str:
    """Text as it may be written to a cell: control characters dropped, then a leading formula
    character (after any blanks) escaped with an apostrophe, so no export can hold a formula."""
    text = _CONTROL.sub("", text)
    if text.startswith(_FORMULA_START) or text.lstrip().startswith(_FORMULA_START):
        return "'" + text
    return text


def cell(value: Any) -> Any:
    """A value as a spreadsheet cell; text that a spreadsheet would run as a formula is escaped."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | Decimal):
        return value
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, dt.date):
        return value.isoformat()
    return text_cell(str(value))


def csv_lines(rows: Iterable[Iterable[Any]], *, stamp: Mapping[str, Any]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    for key, value in stamp.items():
        writer.writerow([cell(f"# {key}"), cell(value)])
    writer.writerow([])
    yield "\ufeff" + flush()  # BOM: spreadsheets then read UTF-8 correctly
    for row in rows:
        writer.writerow([cell(v) for v in row])
        yield flush()


def csv_response(
    filename: str, rows: Iterable[Iterable[Any]], *, stamp: Mapping[str, Any]
) -> Response:
    # Built before the response leaves: the rows come from the request's database session.
    return Response(
        "".join(csv_lines(rows, stamp=stamp)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ---------------------------------------------------------------------------------------------
# XLSX: the same stamp block and escaping; numbers stay numbers and dates stay dates
# ---------------------------------------------------------------------------------------------

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_SHEET_TITLE_BAD = re.compile(r"[\[\]:*?/\\]")


def xlsx_cell(value: Any) -> Any:
    """A value for an XLSX cell: numbers and dates typed, text escaped as in :func:`cell`."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool) or value is None:
        return cell(value)
    if isinstance(value, int | float | Decimal | dt.date):  # datetime is a date
        return value
    return cell(value)


def sheet_title(title: str) -> str:
    """A valid worksheet name (at most 31 characters, none of []:*?/\\)."""
    return _SHEET_TITLE_BAD.sub(" ", title).strip()[:31] or "Sheet"


def write_sheet(
    worksheet: Worksheet,
    rows: Iterable[Iterable[Any]],
    *,
    stamp: Mapping[str, Any] | None = None,
) -> None:
    """The stamp block (``# key`` | value), a blank row, then the rows, every cell escaped."""
    if stamp:
        for key, value in stamp.items():
            worksheet.append([xlsx_cell(f"# {key}"), xlsx_cell(value)])
        worksheet.append([])
    for row in rows:
        worksheet.append([xlsx_cell(v) for v in row])
    widths: dict[str, int] = {}
    for row_cells in worksheet.iter_rows():
        for item in row_cells:
            if isinstance(item.value, str):
                # Text is stored as text: openpyxl would otherwise store "=..." as a formula.
                item.data_type = TYPE_STRING
            elif isinstance(item.value, dt.datetime):
                item.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(item.value, dt.date):
                item.number_format = "yyyy-mm-dd"
            elif isinstance(item.value, Decimal) and item.value.as_tuple().exponent == -2:
                item.number_format = "#,##0.00"
            if item.value is not None:
                letter = item.column_letter
                widths[letter] = max(widths.get(letter, 0), len(str(item.value)))
    for letter, width in widths.items():
        worksheet.column_dimensions[letter].width = min(max(width + 2, 8), 60)


def xlsx_bytes(
    sheets: Iterable[tuple[str, Iterable[Iterable[Any]], Mapping[str, Any] | None]],
) -> bytes:
    """A workbook with one sheet per (title, rows, stamp)."""
    workbook = Workbook()
    default = workbook.active
    for title, rows, stamp in sheets:
        write_sheet(workbook.create_sheet(sheet_title(title)), rows, stamp=stamp)
    if default is not None and len(workbook.worksheets) > 1:
        workbook.remove(default)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_file_response(filename: str, content: bytes) -> Response:
    return Response(
        content,
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def xlsx_response(
    filename: str,
    rows: Iterable[Iterable[Any]],
    *,
    stamp: Mapping[str, Any],
    title: str = "Export",
) -> Response:
    """One sheet: the stamp block, a blank row, then the rows (as :func:`csv_response`)."""
    return xlsx_file_response(filename, xlsx_bytes([(title, rows, stamp)]))
