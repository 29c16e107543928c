"""CSV exports: stamped with what they contain, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Any

from flask import Response

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


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
