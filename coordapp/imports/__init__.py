"""Spreadsheet import: CSV / XLSX in, a dry-run report, then all-or-nothing apply."""
