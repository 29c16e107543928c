"""The forms of a quarter's sign-off: approve, return with a comment, reopen with a reason.
The rules (a comment, a reason) are the service's."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import Length, Optional

from coordapp.stats.quarters import COMMENT_MAX


class ApproveForm(FlaskForm):
    pass


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        "Comment to the hotline",
        validators=[Optional(), Length(max=COMMENT_MAX)],
        description="What should be corrected before the quarter is submitted again.",
    )


class ReopenForm(FlaskForm):
    reason = TextAreaField(
        "Reason for reopening",
        validators=[Optional(), Length(max=COMMENT_MAX)],
        description="Recorded in the quarter's history; its figures stop counting until "
        "approved again.",
    )


def approve_form() -> ApproveForm:
    return ApproveForm(prefix="approve")


def return_form() -> ReturnForm:
    return ReturnForm(prefix="return")


def reopen_form() -> ReopenForm:
    return ReopenForm(prefix="reopen")
