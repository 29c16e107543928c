"""Form pieces shared by the domains' forms."""

from __future__ import annotations

from typing import Any

from wtforms import StringField

from coordapp.labels import enum_choices
from coordapp.records.views import VersionedForm

__all__ = ["OrganizationField", "VersionedForm", "enum_choices", "optional_choices"]


def optional_choices(choices: list[tuple[str, str]], empty: str = "—") -> list[tuple[str, str]]:
    return [("", empty), *choices]


class OrganizationField(StringField):
    """An organization typed by name, with type-ahead from /lookup/organizations.

    A name box scales to thousands of organizations where a select would not.
    """

    def __init__(self, label: str | None = None, **kwargs: Any) -> None:
        render_kw = {
            "list": "organization-names",
            "autocomplete": "off",
            "data-lookup": "/lookup/organizations",
        }
        render_kw.update(kwargs.pop("render_kw", {}) or {})
        super().__init__(label, render_kw=render_kw, **kwargs)

    def process_data(self, value: Any) -> None:
        # An edit form built from a record gets the Organization itself; the box holds its name
        # (also when a post leaves the field out and the record's value stands).
        super().process_data(None if value is None else str(value))
