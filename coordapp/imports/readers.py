"""Read an uploaded CSV or XLSX file into a header and rows of cell values.

Cells come back as text (CSV), or as what the spreadsheet holds (XLSX: text, numbers, dates);
the import types normalise them. Problems with the file itself raise ``FileProblem``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import zipfile
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import ParseError

import openpyxl.xml
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
EXTENSIONS = (".csv", ".xlsx")
# Hostile workbooks are small zips that unpack to gigabytes, declare a sheet of 16,384 columns
# by a million rows (openpyxl fills every declared cell), or hold one 150 MB string. These
# limits are checked on the zip's directory and the sheet's declared size BEFORE parsing.
MAX_COLUMNS = 200
MAX_TITLE_ROWS = 50  # rows a sheet may hold above its header (titles, notes)
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024  # every part of the workbook, unpacked
MAX_PARTS = 1_000

logger = logging.getLogger(__name__)

if not openpyxl.xml.DEFUSEDXML:  # pragma: no cover - a broken install, never a setting
    raise RuntimeError("openpyxl must parse uploads through defusedxml (OPENPYXL_DEFUSEDXML)")

_NOT_A_WORKBOOK = (
    "The XLSX file is damaged or not really an Excel workbook; "
    "open it in Excel or LibreOffice and save it again as .xlsx."
)


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
    # Blank rows between the header and the last data row, by number: the report lists them
    # as skipped, so that a row left out is never left out silently.
    blank_rows: tuple[int, ...] = ()


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
    filled = [(number, cells) for number, cells in rows if not _blank(cells)]
    if not filled:
        raise FileProblem("The file is empty: it has no header row and no data.")
    (header_number, header_cells), rows = filled[0], filled
    header = ["" if cell is None else str(cell).strip().lstrip("\ufeff") for cell in header_cells]
    data = rows[1:]
    if not data:
        raise FileProblem("The file has a header row but no data rows.")
    if len(data) > MAX_ROWS:
        raise FileProblem(
            f"The file has {len(data):,} data rows; at most {MAX_ROWS:,} can be imported at once. "
            "Split it into smaller files."
        )
    filled_numbers = {number for number, _ in data}
    blank_rows = tuple(
        number for number in range(header_number + 1, data[-1][0]) if number not in filled_numbers
    )
    return Table(header=header, rows=data, blank_rows=blank_rows)


def read_csv(content: bytes) -> Table:
    text = _decode(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        rows = [(number, list(cells)) for number, cells in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise FileProblem(f"The CSV file cannot be read: {exc}.") from exc
    for _, cells in rows:
        for value in cells:
            if len(value) > MAX_CELL_CHARS:
                raise _too_long(value)
    return _table(rows)


def _too_long(text: str) -> FileProblem:
    return FileProblem(
        f"A cell holds {len(text):,} characters; at most {MAX_CELL_CHARS:,} "
        "(Excel's own limit) can be imported."
    )


def check_xlsx_package(content: bytes) -> None:
    """Refuse a workbook that would be costly to parse, from the zip's directory and a streamed
    (defused) pass over the shared strings: no part of it is expanded in memory first."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            parts = archive.infolist()
            names = {part.filename for part in parts}
            if "[Content_Types].xml" not in names or len(parts) > MAX_PARTS:
                raise FileProblem(_NOT_A_WORKBOOK)
            # zipfile never yields more than a part's declared size, so the sum is a bound.
            unpacked = sum(part.file_size for part in parts)
            if unpacked > MAX_UNCOMPRESSED_BYTES:
                raise FileProblem(
                    f"The workbook unpacks to {unpacked / 1024 / 1024:,.0f} MB; at most "
                    f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB can be imported. "
                    "Save only the sheet to import, or save it as CSV."
                )
            for part in parts:
                if part.filename.lower().endswith("sharedstrings.xml"):
                    with archive.open(part) as stream:
                        for _, element in iterparse(stream, events=("end",)):
                            text = element.text or ""
                            if len(text) > MAX_CELL_CHARS:
                                raise _too_long(text)
                            if element.tag.endswith("}si"):
                                element.clear()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise FileProblem(_NOT_A_WORKBOOK) from exc
    except (DefusedXmlException, ParseError) as exc:
        raise FileProblem(_XML_PROBLEM) from exc


_XML_PROBLEM = (
    "The XLSX file holds XML that cannot be read safely (damaged, or with entity or DTD "
    "declarations that Excel never writes); open it in Excel or LibreOffice and save it again."
)


def _parse_problem(exc: BaseException, otherwise: str) -> FileProblem:
    """What went wrong in openpyxl, which wraps the XML parser's error in its own ValueError."""
    logger.info("xlsx upload refused: %r", exc)
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DefusedXmlException | ParseError):
            return FileProblem(_XML_PROBLEM)
        seen = seen.__cause__ or seen.__context__
    return FileProblem(otherwise)


def _declared_size_problem(sheet: Any) -> FileProblem | None:
    rows, columns = sheet.max_row, sheet.max_column
    if rows is not None and rows > MAX_ROWS + MAX_TITLE_ROWS + 1:
        return FileProblem(
            f"The sheet declares {rows:,} rows; at most {MAX_ROWS:,} data rows can be imported "
            "at once. Delete the empty rows below the data (or split the file) and save again."
        )
    if columns is not None and columns > MAX_COLUMNS:
        return FileProblem(
            f"The sheet declares {columns:,} columns; at most {MAX_COLUMNS} can be imported. "
            "Delete the empty columns right of the data and save again."
        )
    return None


def read_xlsx(content: bytes, *, header_hint: frozenset[str] = frozenset()) -> Table:
    from openpyxl import load_workbook

    check_xlsx_package(content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds on a malformed part; none is a 500
        raise _parse_problem(exc, _NOT_A_WORKBOOK) from exc
    try:
        if not workbook.worksheets:
            raise FileProblem(_NOT_A_WORKBOOK)
        sheet = workbook.worksheets[0]
        problem = _declared_size_problem(sheet)
        if problem is not None:
            raise problem
        # Bounded even when the sheet declares no size: openpyxl pads each row to its last
        # cell, and fills missing rows up to the declared last one.
        width = sheet.max_column or MAX_COLUMNS
        rows: list[tuple[int, list[Any]]] = []
        values_by_row = sheet.iter_rows(
            max_row=MAX_ROWS + MAX_TITLE_ROWS + 1, max_col=width, values_only=True
        )
        for number, values in enumerate(values_by_row, start=1):
            cells = [
                value.date()
                if isinstance(value, dt.datetime) and value.time() == dt.time()
                else value
                for value in values
            ]
            if sheet.max_column is None:
                while cells and cells[-1] is None:
                    cells.pop()
            for value in cells:
                if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                    raise _too_long(value)
            rows.append((number, cells))
    except FileProblem:
        raise
    except Exception as exc:  # as above: a damaged sheet is the file's problem, never a 500
        raise _parse_problem(exc, "The XLSX file is damaged; save it again as .xlsx.") from exc
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
