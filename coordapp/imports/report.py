"""What an import reports: every row's outcome, what its cells were read as, and every problem."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from coordapp.imports.mapping import FileColumn


class Outcome(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    UNCHANGED = "unchanged"
    ERROR = "error"
    SKIP = "skip"  # a blank row
    # Read and normalised, but not matched or written: the header has problems (a required
    # column missing, one named twice), so what the row would do cannot be known yet.
    UNCHECKED = "unchecked"


@dataclass(frozen=True, slots=True)
class CellError:
    row: int | None
    column: str | None
    message: str


@dataclass(slots=True)
class RowResult:
    row: int
    outcome: Outcome
    key: str
    errors: list[CellError] = field(default_factory=list)
    changed: tuple[str, ...] = ()
    # What the row's cells were read as (the service's data, by field), for the dry run.
    values: Mapping[str, Any] = field(default_factory=dict)
    # The id of the existing record the row updates (or leaves unchanged).
    target: int | None = None
    # What the row writes but a person should look at first (e.g. a receipt that takes its
    # commitment over 100 %): shown in the dry run, never a reason to refuse the file.
    warnings: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ImportReport:
    type_name: str
    filename: str
    applied: bool = False
    dry_run: bool = True
    rows: list[RowResult] = field(default_factory=list)
    file_errors: list[CellError] = field(default_factory=list)
    seconds: float = 0.0
    # How each column of the file was read (by name, synonym, the mapping, or not at all).
    columns: list[FileColumn] = field(default_factory=list)
    # Names for the codes and ids in ``RowResult.values``.
    pillar_names: Mapping[int, str] = field(default_factory=dict)
    country_names: Mapping[str, str] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        counts = {outcome.value: 0 for outcome in Outcome}
        for row in self.rows:
            counts[row.outcome.value] += 1
        return counts

    @property
    def processed(self) -> int:
        return len(self.rows) - self.counts["skip"]

    @property
    def errors(self) -> list[CellError]:
        return self.file_errors + [error for row in self.rows for error in row.errors]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def rows_per_second(self) -> float:
        return self.processed / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        counts = self.counts
        text = (
            f"{self.processed} rows: {counts['create']} to create, {counts['update']} to update, "
            f"{counts['unchanged']} unchanged, {counts['error']} with errors"
        )
        if counts["unchecked"]:
            text += f", {counts['unchecked']} not checked (header problems)"
        if counts["skip"]:
            text += f"; {counts['skip']} blank row{'s' if counts['skip'] > 1 else ''} skipped"
        return text
