"""The import types of figures: hotline statistics per quarter and pillar targets.

The registry of all of them is ``coordapp.imports.catalog``."""

from __future__ import annotations

from coordapp.imports import adapters, keys
from coordapp.imports.types import ImportColumn, ImportType, Kind
from coordapp.pillars import service as pillars
from coordapp.pillars.models import PillarIndicator, PillarTarget
from coordapp.reference.service import METRIC_CODES
from coordapp.stats.models import HotlineStatistic

# The example row's figures, by metric code (a metric not named here is left blank).
METRIC_EXAMPLES = {
    "reports_received": "1250",
    "reports_assessed_csam": "830",
    "reports_forwarded": "790",
    "removed_within_3_days_pct": "87.5",
}

HOTLINE_STATISTICS = ImportType(
    name="hotline-statistics",
    title="Hotline statistics",
    model=HotlineStatistic,
    columns=(
        ImportColumn("hotline", required=True, names=("hotline",), example="Example Hotline"),
        ImportColumn("year", kind=Kind.INTEGER, required=True, example="2026"),
        ImportColumn("quarter", kind=Kind.INTEGER, required=True, aliases=("q",), example="2"),
        *(
            ImportColumn(code, kind=Kind.DECIMAL, example=METRIC_EXAMPLES.get(code, ""))
            for code in METRIC_CODES
        ),
    ),
    key_columns=("hotline", "year", "quarter"),
    apply_row=adapters.apply_statistics,
    prepare=adapters.prepare_statistics,
    describe=lambda d: f"{d.get('hotline') or ''} {d.get('year') or ''} Q{d.get('quarter') or ''}",
    list_endpoint="stats.statistics_list",
    notes=(
        "Aggregate counts only, one quarter per row, checked like the quarterly grid "
        "(a quarter's figures are entered once it has ended). A blank cell leaves the stored "
        "value as it is.",
    ),
)

PILLAR_TARGETS = ImportType(
    name="pillar-targets",
    title="Pillar targets",
    model=PillarTarget,
    columns=(
        ImportColumn(
            "pillar", "pillar_id", Kind.PILLAR, required=True, example="Capacity Building"
        ),
        ImportColumn("year", kind=Kind.INTEGER, required=True, example="2027"),
        ImportColumn("indicator", required=True, choices=PillarIndicator, example="trainings_held"),
        ImportColumn(
            "target_value", kind=Kind.DECIMAL, required=True, aliases=("target",), example="12"
        ),
        ImportColumn("description", example="Regional analyst workshops"),
    ),
    key_columns=("pillar", "year", "indicator"),
    **keys.by_columns(PillarTarget.pillar_id, PillarTarget.year, PillarTarget.indicator),
    create=pillars.create_pillar_target,
    update=pillars.update_pillar_target,
    describe=lambda d: f"{d.get('indicator')} {d.get('year')}",
    list_endpoint="pillars.pillar_targets_list",
    prepare=adapters.prepare_targets,
    notes=("The pillar by its name or code.",),
)
