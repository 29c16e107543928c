"""Form pieces shared by the domains' forms."""

from __future__ import annotations

from typing import Any

from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from coordapp.labels import enum_choices
from coordapp.records.views import VersionedForm

__all__ = [
    "NOTES_ONLY",
    "OrganizationField",
    "VersionedForm",
    "enum_choices",
    "notes_field",
    "optional_choices",
]

NOTES_ONLY = "Coordination notes only: no links, no report details."


def optional_choices(choices: list[tuple[str, str]], empty: str = "—") -> list[tuple[str, str]]:
    return [("", empty), *choices]


def notes_field(*, rows: int = 4) -> Any:
    """A record's free-text notes, full width: coordination only, at most 5,000 characters."""
    return TextAreaField(
        "Notes",
        validators=[Optional(), Length(max=5000)],
        description=NOTES_ONLY,
        render_kw={"rows": rows, "data-col": "col-12"},
    )


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
