"""Forms of the hotline's own pages."""

from __future__ import annotations

from wtforms import IntegerField, StringField
from wtforms.validators import Length, NumberRange, Optional

from coordapp.forms import VersionedForm
from coordapp.labels import label
from coordapp.network import hotlines
from coordapp.network.forms import MultiCheckboxField
from coordapp.network.models import Hotline
from coordapp.partners.forms import ContactForm


class ProfileForm(VersionedForm):
    public_url = StringField(
        "Public reporting page",
        validators=[Optional(), Length(max=300)],
        description="Your public page (http:// or https://), never a reported URL.",
    )
    founded_year = IntegerField(
        "Founded (year)",
        validators=[Optional()],
        description=f"{hotlines.FIRST_FOUNDED_YEAR} to this year.",
    )
    languages = StringField(
        "Languages",
        validators=[Optional(), Length(max=200)],
        description="ISO 639-1 codes separated by spaces or commas, e.g. de en fr.",
    )
    reporting_channels = MultiCheckboxField(
        "Reporting channels",
        choices=[(c, label(c)) for c in hotlines.REPORTING_CHANNELS],
        validators=[Optional()],
    )
    staff_count = IntegerField(
        "Staff", validators=[Optional(), NumberRange(min=0, max=hotlines.MAX_STAFF)]
    )


def profile_form(hotline: Hotline) -> ProfileForm:
    form = ProfileForm(obj=hotline)
    if not form.is_submitted():
        form.reporting_channels.data = (hotline.reporting_channels or "").split()
    return form


class HotlineContactForm(ContactForm):
    """A contact at the hotline's own organization: the organization is not chosen."""

    organization = None  # type: ignore[assignment]
