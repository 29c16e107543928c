"""Helpers for the import types' natural keys: names compared in lower case."""

from __future__ import annotations

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
