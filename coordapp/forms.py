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
        # Filled from a record (``obj=``), the attribute is the Organization itself; a POST
        # that leaves the box out would otherwise carry that object into the validators.
        super().process_data(getattr(value, "name", value))
