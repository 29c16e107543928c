"""An import report in words: what each row's cells were read as, which record it matches,
and how each file column was read — for the dry-run page and the CLI alike."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from coordapp.imports.catalog import IMPORT_TYPES
from coordapp.imports.mapping import ReadAs
from coordapp.imports.report import ImportReport, Outcome, RowResult
from coordapp.imports.types import ImportColumn, ImportType, Kind

_HOW = {
    ReadAs.NAME: "by name",
    ReadAs.SYNONYM: "by synonym",
    ReadAs.CHOSEN: "as mapped",
    ReadAs.IGNORED: "ignored",
    ReadAs.UNKNOWN: "unknown",
}


def read_as(report: ImportReport) -> list[tuple[str, str, str]]:
    """(file column, the column it is read as or "—", how) for each named file column."""
    return [
        (fc.header, fc.column.name if fc.column else "—", _HOW[fc.how]) for fc in report.columns
    ]


def _number(value: Decimal | int) -> str:
    return f"{value:f}" if isinstance(value, Decimal) else str(value)


def shown(report: ImportReport, column: ImportColumn, value: Any, values: Mapping[str, Any]) -> str:
    """One parsed value as the row will write it: ISO dates, plain numbers, codes with names."""
    if value is None or value == "" or value == []:
        return "(blank)"
    pillars, countries = report.pillar_names, report.country_names
    kind = column.kind
    if kind == Kind.DECIMAL and column.field == "amount" and values.get("currency_code"):
        return f"{_number(value)} {values['currency_code']}"
    if kind in (Kind.DECIMAL, Kind.INTEGER):
        return _number(value)
    if kind == Kind.DATE and isinstance(value, dt.date):
        return value.isoformat()
    if kind == Kind.COUNTRY:
        return f"{value} {countries.get(value, '')}".strip()
    if kind == Kind.COUNTRY_LIST:
        return "; ".join(f"{code} {countries.get(code, '')}".strip() for code in value)
    if kind == Kind.PILLAR:
        return pillars.get(value, str(value))
    if kind == Kind.PILLAR_LIST:
        return "; ".join(pillars.get(pillar_id, str(pillar_id)) for pillar_id in value)
    if kind == Kind.ALLOCATIONS:
        mode, shares = value
        unit = "%" if mode == "percent" else ""
        return "; ".join(
            f"{pillars.get(pillar_id, pillar_id)} {_number(share)}{unit}"
            for pillar_id, share in shares.items()
        )
    if kind == Kind.MEMBERSHIP:
        return "; ".join(f"{day.isoformat()} {status}" for day, status in value)
    if kind == Kind.USER:
        return f"user #{value}"
    return str(value)


def row_values(itype: ImportType, report: ImportReport, row: RowResult) -> list[tuple[str, str]]:
    """(column, value as read) for each column the row's file gives, in the type's order."""
    return [
        (column.name, shown(report, column, row.values[column.field], row.values))
        for column in itype.columns
        if column.field in row.values
    ]


def target(row: RowResult) -> str:
    """Which record the row writes: "updates #12", "new record", … (beside the row's key)."""
    if row.outcome == Outcome.CREATE:
        return "new record"
    if row.target is None:
        return ""
    verb = {Outcome.UPDATE: "updates", Outcome.UNCHANGED: "matches"}.get(row.outcome, "matches")
    return f"{verb} #{row.target}"


def report_lines(report: ImportReport, *, errors_only: bool = False) -> list[str]:
    """The report as text lines (the CLI prints them)."""
    lines = [
        f"column {header!r}: read as {name} ({how})"
        for header, name, how in read_as(report)
        if not errors_only and how != _HOW[ReadAs.NAME]
    ]
    lines.extend(f"file: {error.message}" for error in report.file_errors)
    for row in report.rows:
        if row.outcome == Outcome.SKIP:
            if not errors_only:
                lines.append(f"row {row.row}: skipped (blank)")
            continue
        if row.errors:
            for error in row.errors:
                lines.append(f"row {row.row}: error in {error.column or 'row'}: {error.message}")
        elif not errors_only:
            changed = f" ({', '.join(row.changed)})" if row.changed else ""
            matched = target(row)
            matched = f" [{matched}]" if matched and row.outcome != Outcome.CREATE else ""
            read = ""
            if report.dry_run:  # what the row will write, as read from its cells
                values = row_values(IMPORT_TYPES[report.type_name], report, row)
                read = " | " + "; ".join(f"{name} {value}" for name, value in values)
            lines.append(f"row {row.row}: {row.outcome.value} {row.key}{changed}{matched}{read}")
        lines.extend(f"row {row.row}: warning: {warning}" for warning in row.warnings)
    if report.applied:
        verdict = "Applied"
    elif report.dry_run and report.ok:
        verdict = "Dry run, nothing written"
    else:
        verdict = "Nothing written"
    lines.append(
        f"{verdict}: {report.summary()} in {report.seconds:.2f} s "
        f"({report.rows_per_second:,.0f} rows/s)."
    )
    return lines
