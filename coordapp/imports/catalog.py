"""The registry of import types (``IMPORT_TYPES``, by name); each type's definition — its
columns, natural key, example row and service verbs — is in catalog_records.py (records),
catalog_money.py (money and obligations) or catalog_figures.py (statistics, targets)."""

from __future__ import annotations

from coordapp.errors import ValidationError
from coordapp.imports.catalog_figures import HOTLINE_STATISTICS, PILLAR_TARGETS
from coordapp.imports.catalog_money import (
    EXCHANGE_RATES,
    FUNDING_COMMITMENTS,
    INSTALMENT_SCHEDULES,
    RECEIPTS,
    REPORTING_REQUIREMENTS,
)
from coordapp.imports.catalog_records import (
    CONTACTS,
    HOTLINES,
    ORGANIZATIONS,
    PARTNERSHIPS,
    TRAININGS,
)
from coordapp.imports.types import ImportType

IMPORT_TYPES: dict[str, ImportType] = {
    t.name: t
    for t in (
        ORGANIZATIONS,
        CONTACTS,
        HOTLINES,
        PARTNERSHIPS,
        FUNDING_COMMITMENTS,
        RECEIPTS,
        INSTALMENT_SCHEDULES,
        REPORTING_REQUIREMENTS,
        EXCHANGE_RATES,
        TRAININGS,
        HOTLINE_STATISTICS,
        PILLAR_TARGETS,
    )
}


def import_type(name: str) -> ImportType:
    try:
        return IMPORT_TYPES[name]
    except KeyError:
        raise ValidationError(
            "type", f"Unknown import type {name!r}; choose one of: {', '.join(IMPORT_TYPES)}."
        ) from None


def type_choices() -> list[tuple[str, str]]:
    return [(t.name, t.title) for t in IMPORT_TYPES.values()]
