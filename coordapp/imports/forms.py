"""The upload form (type, file, how dates and numbers are written), the column mapping form and
the apply form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, HiddenField, SelectField
from wtforms.validators import DataRequired

from coordapp.imports.catalog import type_choices

DATE_CHOICES = [
    ("iso", "YYYY-MM-DD only"),
    ("dmy", "Day first (31.03.2026, 31/03/2026)"),
    ("mdy", "Month first (03/31/2026)"),
]
DECIMAL_CHOICES = [("point", "Decimal point (1234.56)"), ("comma", "Decimal comma (1234,56)")]


class ImportForm(FlaskForm):
    type_name = SelectField("What the file holds", validators=[DataRequired()])
    file = FileField(
        "File (.csv or .xlsx, at most 10 MB)",
        validators=[FileRequired("Choose a .csv or .xlsx file to upload.")],
    )
    dates = SelectField("Dates written as", choices=DATE_CHOICES, default="iso")
    decimal = SelectField("Numbers written with", choices=DECIMAL_CHOICES, default="point")
    # Names the progress the page polls while the file is checked (see imports.progress).
    progress_id = HiddenField()

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.type_name.choices = type_choices()


class ApplyForm(FlaskForm):
    token = HiddenField(validators=[DataRequired()])
    progress_id = HiddenField()


class ColumnsForm(FlaskForm):
    """The mapping step: per file column, the import column it holds, or "ignore"."""

    token = HiddenField(validators=[DataRequired()])
    progress_id = HiddenField()
    columns = FieldList(SelectField(validate_choice=False), min_entries=0)

    def offer(self, choices: list[tuple[str, str]], chosen: list[str], *, posted: bool) -> None:
        """One select per file column, each offering ``choices``; ``chosen`` pre-fills them
        unless the user's own choices were posted (they stay as the user left them)."""
        if not posted:
            while len(self.columns.entries):
                self.columns.pop_entry()
            for choice in chosen:
                self.columns.append_entry(choice)
        while len(self.columns.entries) < len(chosen):
            self.columns.append_entry(chosen[len(self.columns.entries)])
        for entry in self.columns.entries:
            entry.choices = choices

    def chosen(self, width: int, allowed: set[str]) -> list[str]:
        """The posted choices, one per file column (a missing or unknown one is "")."""
        values = [str(entry.data or "") for entry in self.columns.entries][:width]
        values += [""] * (width - len(values))
        return [value if value in allowed else "" for value in values]
