"""Form pieces shared by the domains' forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session
from wtforms import Field, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from coordapp.auth import owners
from coordapp.labels import enum_choices
from coordapp.records.views import VersionedForm

__all__ = [
    "NOTES_ONLY",
    "OrganizationField",
    "TextValueField",
    "VersionedForm",
    "enum_choices",
    "fill_owner",
    "notes_field",
    "number_field",
    "owner_field",
    "optional_choices",
    "text_area_field",
    "text_field",
]

NOTES_ONLY = "Coordination notes only: no links, no report details."

# An organization's name column holds at most this many characters.
ORGANIZATION_NAME_MAX = 200


def optional_choices(choices: list[tuple[str, str]], empty: str = "—") -> list[tuple[str, str]]:
    return [("", empty), *choices]


def _presence(required: bool) -> DataRequired | Optional:
    return DataRequired() if required else Optional()


def text_field(
    label: str,
    *,
    max_length: int,
    required: bool = False,
    checks: Sequence[Any] = (),
    **kwargs: Any,
) -> Any:
    """A one-line text box no longer than its column: required, or optional (empty is none);
    ``checks`` are further validators, run after those two."""
    return StringField(
        label, validators=[_presence(required), Length(max=max_length), *checks], **kwargs
    )


def text_area_field(label: str, *, max_length: int, rows: int, **kwargs: Any) -> Any:
    """Optional free text over the form's full width, no longer than its column."""
    return TextAreaField(
        label,
        validators=[Optional(), Length(max=max_length)],
        render_kw={"rows": rows, "data-col": "col-12"},
        **kwargs,
    )


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
    return text_area_field("Notes", max_length=5000, rows=rows, description=NOTES_ONLY)


class TextValueField(StringField):
    """A text box for a stored number (Decimal, int): the form always holds text."""

    def process_data(self, value: Any) -> None:
        self.data = None if value is None else str(value)


def number_field(
    label: str,
    *,
    max_length: int = 40,
    required: bool = True,
    inputmode: str = "decimal",
    **kwargs: Any,
) -> Any:
    """A number typed as text (an amount, a rate, a year): the service reads it and says what
    is wrong."""
    return TextValueField(
        label,
        validators=[_presence(required), Length(max=max_length)],
        render_kw={"inputmode": inputmode, "autocomplete": "off"},
        **kwargs,
    )


class OrganizationField(StringField):
    """An organization typed by name, with type-ahead from /lookup/organizations.

    A name box scales to thousands of organizations where a select would not.
    """

    def __init__(self, label: str | None = None, *, required: bool = False, **kwargs: Any) -> None:
        render_kw = {
            "list": "organization-names",
            "autocomplete": "off",
            "data-lookup": "/lookup/organizations",
        }
        render_kw.update(kwargs.pop("render_kw", {}) or {})
        kwargs.setdefault("validators", [_presence(required), Length(max=ORGANIZATION_NAME_MAX)])
        super().__init__(label, render_kw=render_kw, **kwargs)

    def process_data(self, value: Any) -> None:
        # Filled from a record (``obj=``), the attribute is the Organization itself; a POST
        # that leaves the box out would otherwise carry that object into the validators.
        super().process_data(getattr(value, "name", value))
