"""Form pieces shared by the domains' forms."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from coordapp.auth import owners
from coordapp.labels import enum_choices
from coordapp.records.views import VersionedForm

__all__ = [
    "NOTES_ONLY",
    "OrganizationField",
    "VersionedForm",
    "enum_choices",
    "fill_owner",
    "notes_field",
    "owner_field",
    "optional_choices",
]

NOTES_ONLY = "Coordination notes only: no links, no report details."


def optional_choices(choices: list[tuple[str, str]], empty: str = "—") -> list[tuple[str, str]]:
    return [("", empty), *choices]


def owner_field(description: str) -> Any:
    """Who looks after the record (``coordapp.auth.owners``): checked by the service, whose
    message says why a user cannot own it."""
    return SelectField("Owner", validate_choice=False, description=description)


def fill_owner(session: Session, field: Field, owner_id: int | None, *, shown: bool) -> None:
    """The owner select's choices (active managers and admins, and the current owner), and
    its value from ``owner_id`` unless ``shown`` is False (a submitted form keeps its own)."""
    field.choices = optional_choices(  # type: ignore[attr-defined]
        owners.owner_choices(session, keep_id=owner_id), empty="— nobody yet —"
    )
    if shown:
        field.data = str(owner_id) if owner_id else ""


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
