"""The upload form (type, file, how dates and numbers are written) and the apply form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField
from wtforms.validators import DataRequired

from coordapp.imports.service import type_choices

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
