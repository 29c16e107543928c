"""The numbers behind a chart as CSV or XLSX, stamped with what they depend on (pure functions)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from coordapp import disclosure
from coordapp.exports import cell, xlsx_bytes
from coordapp.funding.rate_info import RateInfo

METRIC_VERSION = "metric version"


@dataclass(frozen=True, slots=True)
class Document:
    """A chart's numbers: a title, the stamp (filters, as-of, rates, metric versions), rows."""

    title: str
    stamp: tuple[tuple[str, Any], ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def csv(self) -> str:
        """Comment lines (``# key: value``) naming the chart, its filters, the as-of date, the
        exchange-rate date and the metric version where they apply; then a header and the rows."""
        buffer = io.StringIO()
        buffer.write(f"# {_comment(self.title)}\n")
        for key, value in self.stamp:
            buffer.write(f"# {key}: {_comment(value)}\n")
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([_csv_field(c) for c in self.columns])
        for row in self.rows:
            writer.writerow([_csv_field(v) for v in row])
        return buffer.getvalue()

    def xlsx(self) -> bytes:
        """One sheet: the title and stamp block, a blank row, the header and the rows."""
        stamp = {"title": self.title, **{key: _cell(value) for key, value in self.stamp}}
        return xlsx_bytes([(self.title, [self.columns, *self.rows], stamp)])


@dataclass(frozen=True, slots=True)
class Export:
    filename: str  # ends in .csv; the XLSX download has the same name ending in .xlsx
    document: Document

    @property
    def text(self) -> str:
        return self.document.csv()

    @property
    def xlsx_filename(self) -> str:
        return self.filename.removesuffix(".csv") + ".xlsx"


def document(
    *,
    title: str,
    stamp: Sequence[tuple[str, Any]],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
) -> Document:
    return Document(title, tuple(stamp), tuple(columns), tuple(tuple(row) for row in rows))


def _cell(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if value is None:
        return ""
    if isinstance(value, str):
        return cell(value)  # a name starting with =, +, -, @ is not run as a formula
    return value


def _comment(value: Any) -> str:
    """A value on a ``# key: value`` line: one line, whatever it holds."""
    return " ".join(str(_cell(value)).splitlines())


def _csv_field(value: Any) -> Any:
    # The csv module quotes a field holding "\n" (our line terminator) but not a lone "\r",
    # which a spreadsheet reads as a line break: text after it would start a new row unescaped.
    value = _cell(value)
    return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def money_stamp(rates: RateInfo) -> list[tuple[str, Any]]:
    """The stamp lines of converted money: the rule, the rate dates, the note, and every rate
    applied (EUR per unit), so the export can be rebuilt exactly from its own stamp."""
    if rates.oldest_rate_date is None or rates.newest_rate_date is None:
        dates = "no conversion"
    else:
        dates = f"{rates.oldest_rate_date.isoformat()}..{rates.newest_rate_date.isoformat()}"
    return [
        ("exchange rates", rates.basis),
        ("exchange-rate dates", dates),
        ("rates used", rates.note),
        ("rates applied", rates.stamp),
    ]


def suppress_small(value: Decimal | int, *, suppress: bool) -> Any:
    """For readers below manager, small counts are exported as "<5" (coordapp.disclosure)."""
    return disclosure.suppress(value, viewer_can_see_exact=not suppress)


def filename(page: str, chart: str, *parts: Any) -> str:
    tail = "_".join(str(p) for p in parts if p not in (None, ""))
    return f"coordapp_{page}_{chart}{'_' + tail if tail else ''}.csv".replace(" ", "-")
