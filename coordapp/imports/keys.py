"""Helpers for the import types' natural keys: names compared in lower case."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from coordapp.partners.models import Organization


def name_of_organization(foreign_key: Any) -> Any:
    """An organization's name in lower case, as a natural-key column of a record that names it."""
    return (
        sa.select(sa.func.lower(Organization.name))
        .where(Organization.id == foreign_key)
        .scalar_subquery()
    )


def lower(value: Any) -> str:
    return str(value).strip().lower()


def lower_equals(column: Any, value: Any) -> Any:
    return sa.func.lower(column) == str(value).strip().lower()


# --- an import type's natural key, for ``ImportType(..., **key)``: the SQL conditions of
# ``match`` (one query), the ``index`` the engine reads once a run, and a row's ``index_key``.


def by_name(column: Any) -> dict[str, Any]:
    """A record found by its name (``column``, the row's field of the same name), any case."""
    field = column.key
    return {
        "match": lambda d: [lower_equals(column, d[field])],
        "index": (sa.func.lower(column),),
        "index_key": lambda d: (lower(d[field]),),
    }


def by_columns(*columns: Any) -> dict[str, Any]:
    """A record found by columns stored as the row gives them (the row's fields of the same
    names; an enum as its value, as the index reads it)."""

    def value(data: Mapping[str, Any], column: Any) -> Any:
        found = data[column.key]
        return str(found) if isinstance(found, enum.Enum) else found

    return {
        "match": lambda d: [column == d[column.key] for column in columns],
        "index": columns,
        "index_key": lambda d: tuple(value(d, column) for column in columns),
    }


def by_organization_and_title(organization_id: Any, title: Any, *, field: str) -> dict[str, Any]:
    """A record found by the name of the organization it names (``organization_id``; the
    row's ``field``) and its ``title`` (any case and spacing)."""
    return {
        "index": (name_of_organization(organization_id), sa.func.lower(title)),
        "index_key": lambda d: (lower(d[field]), " ".join(str(d["title"]).split()).lower()),
    }
