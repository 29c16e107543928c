"""What an import type is made of: its columns (each read by its kind), its natural key and the
service verbs that write its rows (``ImportType``); the definitions are in ``catalog_*.py``.

Definitions are declarative; the engine (``service.py``) reads files, normalises cells by the
column's kind, finds the existing record by the natural key and calls the domain service's own
``create_*`` / ``update_*`` verbs, so an imported row is validated exactly like a form.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from coordapp.auth import service as auth
from coordapp.network import hotlines
from coordapp.partners import organizations


class Kind(enum.StrEnum):
    TEXT = "text"
    DATE = "date"
    DECIMAL = "decimal"
    COUNTRY = "country"
    CURRENCY = "currency"
    CHOICE = "choice"
    INTEGER = "integer"
    PILLAR = "pillar"
    COUNTRY_LIST = "country_list"  # "Austria; Liechtenstein" (semicolons or new lines)
    PILLAR_LIST = "pillar_list"  # "Capacity Building; Network Expansion"
    USER = "user"  # a user's email
    ALLOCATIONS = "allocations"  # "Capacity Building 60%; Network Expansion 40%" or amounts
    MEMBERSHIP = "membership"  # "1999-11-01 full; 2004-02-01 suspended"


@dataclass(frozen=True, slots=True)
class ImportColumn:
    name: str  # the header as written in the template
    field: str = ""  # the key of the service's data dict; by default the header
    kind: Kind = Kind.TEXT
    required: bool = False
    choices: type[enum.Enum] | None = None
    aliases: tuple[str, ...] = ()
    # The record's current value in the service's input form (for columns the file leaves out).
    current: Callable[[Any], Any] | None = None
    # The kinds of record the column names ("organization", "hotline", "user"): the importer
    # looks the file's names up ahead, a thousand per query (``NAME_LOOKUPS``), into the run's
    # ``coordapp.batching.Batch``.
    names: tuple[str, ...] = ()
    # A number column whose values may group thousands (1.250.000,50); not a rate, where
    # "1.085" with a decimal comma is far likelier a slip than 1085.
    thousands: bool = True
    # The cell of the template's example row (blank: the column is left empty there).
    example: str = ""

    def __post_init__(self) -> None:
        if not self.field:
            object.__setattr__(self, "field", self.name)
        if self.choices is not None:  # a column of choices is read as one
            object.__setattr__(self, "kind", Kind.CHOICE)

    def value_of(self, obj: Any) -> Any:
        return self.current(obj) if self.current else getattr(obj, self.field)


def _unused_match(data: Mapping[str, Any]) -> list[Any]:
    raise AssertionError("this type finds its records through its key index or `apply_row`")


def _not_generic(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("this type writes through `apply_row`")


@dataclass(frozen=True, slots=True)
class ImportType:
    name: str
    title: str
    model: type[Any]
    columns: tuple[ImportColumn, ...]
    # Natural key: the columns that find an existing record, and how (SQL conditions).
    key_columns: tuple[str, ...]
    describe: Callable[[Mapping[str, Any]], str]
    # Types with an ``apply_row`` (below) name none of the generic ``match``, ``create``,
    # ``update``, and find their records through the key index or ``apply_row``.
    match: Callable[[Mapping[str, Any]], list[Any]] = _unused_match
    # ``create(session, data=..., batch=...)``, ``update(session, obj=..., data=...,
    # expected_version=None, batch=...)``: the domain service's verbs (``batch``: the run's
    # ``coordapp.batching.Batch``, passed to every service call of an import).
    create: Callable[..., Any] = _not_generic
    update: Callable[..., Any] = _not_generic
    list_endpoint: str = ""
    # The natural key as SQL expressions and as computed from a row's data: with both, the
    # engine reads every existing key once instead of querying per row.
    index: tuple[Any, ...] = ()
    # A row whose ``index_key`` is None is matched by ``match`` (a query) instead.
    index_key: Callable[[Mapping[str, Any]], tuple[Any, ...] | None] | None = None
    notes: tuple[str, ...] = field(default=())
    # For types whose row writes a record and its parts (events, allocations, participation):
    # ``apply_row(session, data=..., context=..., batch=...)`` -> (outcome, changed fields[,
    # warnings]) replaces the generic match-then-create/update. ``context`` lives for one run
    # over the file.
    apply_row: Callable[..., tuple[Any, ...]] | None = None
    # For rows written by the generic create/update: ``warn(session, data=..., context=...,
    # batch=...)`` -> what a person should look at before applying (``RowResult.warnings``).
    warn: Callable[..., list[str]] | None = None
    # Loader options for the records a large file is likely to update (their collections).
    preload: tuple[Any, ...] = ()
    # ``prepare(session, values=..., context=..., batch=...)`` looks up once, for the whole
    # file, what its rows name (``values``: each column's raw cells), and keeps it in the run's
    # ``context`` (or its ``batch``).
    prepare: Callable[..., None] | None = None
    # What the row may change besides the record's own columns (its collections).
    state: Callable[[Any], dict[str, Any]] | None = None
    # Writes may be flushed a batch at a time: the natural-key index (or ``apply_row``'s
    # context) finds rows of the same file, and the services use no id of a row they just
    # created. Every type so far can; one that cannot says False.
    batch_writes: bool = True

    def column(self, name: str) -> ImportColumn | None:
        for column in self.columns:
            if column.name == name or name in column.aliases or column.field == name:
                return column
        return None


# How the records a column names are looked up, a file's worth at a time.
# (the records by key for a list of names, a name's key)
NAME_LOOKUPS: dict[
    str, tuple[Callable[[Any, list[str]], Mapping[str, Any]], Callable[[str], str]]
] = {
    "organization": (organizations.organizations_by_names, organizations.organization_name_key),
    "hotline": (hotlines.hotlines_by_names, hotlines.hotline_name_key),
    "user": (auth.users_by_emails, auth.email_key),
}
