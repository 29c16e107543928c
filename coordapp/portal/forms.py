"""Forms of the hotline's own pages."""

from __future__ import annotations

from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from coordapp.forms import VersionedForm, text_field
from coordapp.network import hotlines
from coordapp.network.forms import FOUNDED_YEAR_HELP, LANGUAGES_HELP, reporting_channels_field
from coordapp.network.models import Hotline
from coordapp.partners.forms import ContactForm


class ProfileForm(VersionedForm):
    public_url = text_field(
        "Public reporting page",
        max_length=300,
        description="Your public page (http:// or https://), never a reported URL.",
    )
    founded_year = IntegerField(
        "Founded (year)", validators=[Optional()], description=FOUNDED_YEAR_HELP
    )
    languages = text_field("Languages", max_length=200, description=LANGUAGES_HELP)
    reporting_channels = reporting_channels_field()
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
