"""A file's header: which of its columns holds which import column (by name, synonym or the
mapping chosen), what is wrong with it, the preview of the mapping page, and the mapping
remembered for the next file with the same header."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.db import utcnow
from coordapp.errors import ValidationError
from coordapp.imports import mapping as header_mapping
from coordapp.imports import readers
from coordapp.imports.catalog import import_type
from coordapp.imports.cells import blank
from coordapp.imports.mapping import FileColumn, ReadAs
from coordapp.imports.models import ImportColumnMapping
from coordapp.imports.readers import FileProblem
from coordapp.imports.types import ImportColumn, ImportType


@dataclass(frozen=True, slots=True)
class Header:
    """Which file column holds which import column, and what is wrong with the header."""

    mapping: dict[int, ImportColumn]
    problems: list[str]
    read_as: list[FileColumn]
    # Every row can go through its service: no required column is missing, none is named
    # twice (unknown columns alone still let the rows be checked, but refuse the file).
    checkable: bool
    # File columns the header names but no import column reads (unknown or ignored).
    unread: frozenset[int]


def map_header(
    itype: ImportType, header: Sequence[str], chosen: Sequence[str | None] | None = None
) -> Header:
    mapping: dict[int, ImportColumn] = {}
    problems: list[str] = []
    unknown: list[str] = []
    twice: list[str] = []
    read_as = header_mapping.read_header(itype, header, chosen)
    for file_column in read_as:
        column = file_column.column
        if file_column.how == ReadAs.UNKNOWN:
            unknown.append(file_column.header)
        elif column is None:
            continue
        elif column in mapping.values():
            twice.append(column.name)
        else:
            mapping[file_column.index] = column
    problems.extend(
        f"The column {name!r} appears twice in the header (or is mapped twice)."
        for name in dict.fromkeys(twice)
    )
    expected = ", ".join(c.name for c in itype.columns)
    missing = [c.name for c in itype.columns if c.required and c not in mapping.values()]
    if missing:
        problems.insert(
            0,
            f"The header lacks the required column(s) {', '.join(missing)}; is this a "
            f"{itype.title.lower()} file? The first row must name the columns ({expected}), "
            "or map the file's columns to them.",
        )
    if unknown:
        problems.append(
            f"Unknown column(s) {', '.join(repr(u) for u in unknown)}: map each to a "
            f"{itype.title.lower()} column or ignore it. The columns are: {expected}."
        )
    unread = frozenset(fc.index for fc in read_as if fc.index not in mapping)
    return Header(mapping, problems, read_as, not missing and not twice, unread)


def file_header(type_name: str, filename: str, content: bytes) -> list[str] | None:
    """The header row of an upload, or None when the file cannot be read (its check says why)."""
    found = preview(type_name, filename, content)
    return found[0] if found is not None else None


def preview(
    type_name: str, filename: str, content: bytes, *, samples: int = 3
) -> tuple[list[str], list[list[str]]] | None:
    """The header of an upload and, per column, its first few non-blank values (for the
    mapping page); None when the file cannot be read."""
    itype = import_type(type_name)
    try:
        table = readers.read_table(filename, content, header_hint=header_hint(itype))
    except FileProblem:
        return None
    found: list[list[str]] = [[] for _ in table.header]
    for _, cells in table.rows:
        for index, cell in enumerate(cells[: len(found)]):
            if len(found[index]) < samples and not blank(cell):
                found[index].append(str(cell).strip())
        if all(len(values) >= samples for values in found):
            break
    return table.header, found


def header_hint(itype: ImportType) -> frozenset[str]:
    """Names that mark a workbook's header row (below a title): the columns', and synonyms."""
    names = [n for c in itype.columns for n in (c.name, c.field, *c.aliases)]
    return frozenset(readers.normal_header(n) for n in (*names, *header_mapping.synonym_words()))


def columns_from_options(
    type_name: str, filename: str, content: bytes, options: Sequence[str]
) -> list[str | None] | None:
    """The CLI's ``--map 'File column=column'`` options as a mapping of the file's header.

    Raises ValidationError for an option that names no column of the file or of the type."""
    if not options:
        return None
    itype = import_type(type_name)
    header = file_header(itype.name, filename, content)
    if header is None:
        return None  # the file cannot be read: its report says why
    try:
        return header_mapping.parse_map_options(itype, header, options)
    except ValueError as exc:
        raise ValidationError("map", str(exc)) from None


# --- column mappings remembered per header (plain statements: a preference, not data) -------

_MAPPINGS: sa.Table = ImportColumnMapping.__table__  # type: ignore[assignment]


def saved_columns(session: Session, *, type_name: str, header: Sequence[str]) -> list[str] | None:
    """The mapping last chosen for a file of this type with this header, if it still fits."""
    itype = import_type(type_name)
    found = session.execute(
        sa.select(_MAPPINGS.c.columns).where(
            _MAPPINGS.c.import_type == itype.name,
            _MAPPINGS.c.header_hash == header_mapping.header_key(header),
        )
    ).scalar_one_or_none()
    if not isinstance(found, list) or len(found) != len(header):
        return None
    fits = all(
        choice == header_mapping.IGNORE or itype.column(str(choice)) is not None for choice in found
    )
    return [str(choice) for choice in found] if fits else None


def remember_columns(
    session: Session, *, actor: Any, type_name: str, header: Sequence[str], columns: Sequence[str]
) -> None:
    """Keep the mapping chosen for this header, for the next file that has it."""
    itype = import_type(type_name)
    key = header_mapping.header_key(header)
    values = {
        "header": list(header),
        "columns": list(columns),
        "saved_by_id": getattr(actor, "id", None),
        "saved_at": utcnow(),
    }
    where = (_MAPPINGS.c.import_type == itype.name, _MAPPINGS.c.header_hash == key)
    updated = session.execute(sa.update(_MAPPINGS).where(*where).values(**values))
    if not updated.rowcount:  # type: ignore[attr-defined]
        session.execute(
            sa.insert(_MAPPINGS).values(import_type=itype.name, header_hash=key, **values)
        )
