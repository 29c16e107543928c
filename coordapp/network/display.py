"""How the network's pages write some values: due dates with an overdue badge, language
names."""

from __future__ import annotations

from datetime import date

import pycountry
from babel import Locale
from markupsafe import Markup


def language_names(codes: str | None) -> list[tuple[str, str]]:
    """Stored ISO 639-1 codes with their everyday English names (CLDR), for pages."""
    english = Locale("en").languages
    names = []
    for code in (codes or "").split():
        language = pycountry.languages.get(alpha_2=code)
        names.append((code, english.get(code) or (language.name if language else code)))
    return names


def due_display(day: date | None, *, today: date) -> Markup | str:
    """A due date as pages show it: highlighted with an "overdue" badge once it has passed."""
    if day is None:
        return ""
    if day < today:
        return Markup(
            '<span class="text-danger fw-semibold">{}</span> '
            '<span class="badge text-bg-danger">overdue</span>'
        ).format(day.isoformat())
    return day.isoformat()
