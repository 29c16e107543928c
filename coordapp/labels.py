"""Human labels for stored enum values (one place, used by forms, lists and templates)."""

from __future__ import annotations

import enum
from typing import Any

_SPECIAL = {
    "ngo": "NGO",
    "strategic_mou": "Strategic MoU",
    "e_learning": "E-learning",
    "in_person": "In person",
    "in_kind": "In kind",
    "removed_within_3_days_pct": "Removed within 3 days (%)",
    "reports_assessed_csam": "Reports assessed as CSAM",
    "funding_received_eur": "Funding received (EUR)",
    "hotline_setup": "Hotline set-up",
    # The pillar indicator counts partners.in_force_condition, like every other surface.
    "active_partnerships": "Partnerships in force",
}


def label(value: Any) -> str:
    if value is None:
        return ""
    key = value.value if isinstance(value, enum.Enum) else str(value)
    return _SPECIAL.get(key, key.replace("_", " ").capitalize())


def enum_choices(enum_cls: Any) -> list[tuple[str, str]]:
    return [(m.value, label(m)) for m in enum_cls]
