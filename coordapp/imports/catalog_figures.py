"""The import types of figures: hotline statistics per quarter and pillar targets.

The registry of all of them is ``coordapp.imports.catalog``."""

from __future__ import annotations

from coordapp.imports import adapters, keys
from coordapp.imports.types import ImportColumn, ImportType, Kind
from coordapp.pillars import service as pillars
from coordapp.pillars.models import PillarIndicator, PillarTarget
from coordapp.reference.service import METRIC_CODES
from coordapp.stats.models import HotlineStatistic

HOTLINE_STATISTICS = ImportType(
    name="hotline-statistics",
    title="Hotline statistics",
    model=HotlineStatistic,
    columns=(
        ImportColumn("hotline", "hotline", required=True, names=("hotline",)),
        ImportColumn("year", "year", Kind.INTEGER, required=True),
        ImportColumn("quarter", "quarter", Kind.INTEGER, required=True, aliases=("q",)),
        *(ImportColumn(code, code, Kind.DECIMAL) for code in METRIC_CODES),
    ),
    key_columns=("hotline", "year", "quarter"),
    apply_row=adapters.apply_statistics,
    prepare=adapters.prepare_statistics,
    example={
        "hotline": "Example Hotline",
        "year": "2026",
        "quarter": "2",
        "reports_received": "1250",
        "reports_assessed_csam": "830",
        "reports_forwarded": "790",
        "removed_within_3_days_pct": "87.5",
    },
    describe=lambda d: f"{d.get('hotline') or ''} {d.get('year') or ''} Q{d.get('quarter') or ''}",
    list_endpoint="stats.statistics_list",
    notes=(
        "Aggregate counts only, one quarter per row, checked like the quarterly grid "
        "(a quarter's figures are entered once it has ended). A blank cell leaves the stored "
        "value as it is.",
    ),
    batch_writes=True,
)

PILLAR_TARGETS = ImportType(
    name="pillar-targets",
    title="Pillar targets",
    model=PillarTarget,
    columns=(
        ImportColumn("pillar", "pillar_id", Kind.PILLAR, required=True),
        ImportColumn("year", "year", Kind.INTEGER, required=True),
        ImportColumn("indicator", "indicator", Kind.CHOICE, required=True, choices=PillarIndicator),
        ImportColumn(
            "target_value", "target_value", Kind.DECIMAL, required=True, aliases=("target",)
        ),
        ImportColumn("description", "description"),
    ),
    key_columns=("pillar", "year", "indicator"),
    **keys.by_columns(PillarTarget.pillar_id, PillarTarget.year, PillarTarget.indicator),
    create=pillars.create_pillar_target,
    update=pillars.update_pillar_target,
    example={
        "pillar": "Capacity Building",
        "year": "2027",
        "indicator": "trainings_held",
        "target_value": "12",
        "description": "Regional analyst workshops",
    },
    describe=lambda d: f"{d.get('indicator')} {d.get('year')}",
    list_endpoint="pillars.pillar_targets_list",
    prepare=adapters.prepare_targets,
    notes=("The pillar by its name or code.",),
    batch_writes=True,
)
