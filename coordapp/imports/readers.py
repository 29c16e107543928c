"""Read an uploaded CSV or XLSX file into a header and rows of cell values.

Cells come back as text (CSV), or as what the spreadsheet holds (XLSX: text, numbers, dates);
the import types normalise them. Problems with the file itself raise ``FileProblem``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from typing import Any

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
EXTENSIONS = (".csv", ".xlsx")


class FileProblem(Exception):
    """The file as a whole cannot be read; the message says why and what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class Table:
    header: list[str]
    # (row number as the user sees it in the spreadsheet, cells)
    rows: list[tuple[int, list[Any]]]


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8", errors="strict")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        # Excel on Windows saves "CSV" in the ANSI code page; Windows-1252 decodes any byte
        # except five, which the replacement character stands in for.
        return content.decode("cp1252", errors="replace")


def _delimiter(text: str) -> str:
    sample = "\n".join(line for line in text.splitlines()[:20] if line.strip())
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        first = sample.splitlines()[0] if sample else ""
        return ";" if first.count(";") > first.count(",") else ","


def _blank(cells: list[Any]) -> bool:
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _table(rows: list[tuple[int, list[Any]]]) -> Table:
    rows = [(number, cells) for number, cells in rows if not _blank(cells)]
    if not rows:
        raise FileProblem("The file is empty: it has no header row and no data.")
    header_number, header_cells = rows[0]
    header = ["" if cell is None else str(cell).strip().lstrip("\ufeff") for cell in header_cells]
    data = rows[1:]
    if not data:
        raise FileProblem("The file has a header row but no data rows.")
    if len(data) > MAX_ROWS:
        raise FileProblem(
            f"The file has {len(data):,} data rows; at most {MAX_ROWS:,} can be imported at once. "
            "Split it into smaller files."
        )
    return Table(header=header, rows=data)


def read_csv(content: bytes) -> Table:
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        rows = [(number, list(cells)) for number, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise FileProblem(f"The CSV file cannot be read: {exc}.") from exc
    return _table(rows)


def read_xlsx(content: bytes, *, header_hint: frozenset[str] = frozenset()) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileProblem(
            "The XLSX file is damaged or not really an Excel workbook; "
            "open it in Excel or LibreOffice and save it again as .xlsx."
        ) from exc
    try:
        sheet = workbook.worksheets[0]
        rows: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if len(rows) > MAX_ROWS + 50:
                break
            cells = [
                value.date()
                if isinstance(value, dt.datetime) and value.time() == dt.time()
                else value
                for value in values
            ]
            rows.append((number, cells))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileProblem("The XLSX file is damaged; save it again as .xlsx.") from exc
    finally:
        workbook.close()
    # A title row (often merged across the columns) may sit above the header: the header is
    # the first row that names at least one of the expected columns.
    if header_hint:
        for index, (_, cells) in enumerate(rows):
            names = {_normal(cell) for cell in cells if isinstance(cell, str)}
            if names & header_hint:
                rows = rows[index:]
                break
    return _table(rows)


def _normal(value: str) -> str:
    return "_".join(value.strip().lstrip("\ufeff").lower().replace("-", " ").split())


def normal_header(value: str) -> str:
    """How a header cell is compared with column names: case, spaces and dashes ignored."""
    return _normal(value)


def read_table(
    filename: str, content: bytes, *, header_hint: frozenset[str] = frozenset()
) -> Table:
    name = (filename or "").lower().strip()
    if not name.endswith(EXTENSIONS):
        raise FileProblem("Upload a .csv or .xlsx file (other file types cannot be imported).")
    if len(content) > MAX_BYTES:
        raise FileProblem(
            f"The file is {len(content) / 1024 / 1024:.1f} MB; at most "
            f"{MAX_BYTES // 1024 // 1024} MB can be imported. Split it into smaller files."
        )
    if not content.strip():
        raise FileProblem("The file is empty: it has no header row and no data.")
    if name.endswith(".xlsx"):
        if not content.startswith(b"PK"):
            raise FileProblem(
                "The file is named .xlsx but is not an Excel workbook; "
                "save it from Excel or LibreOffice as .xlsx, or as CSV."
            )
        return read_xlsx(content, header_hint=header_hint)
    if content.startswith(b"PK") or b"\x00" in content[:4096]:
        raise FileProblem("The file is named .csv but holds binary data; save it as CSV text.")
    return read_csv(content)
