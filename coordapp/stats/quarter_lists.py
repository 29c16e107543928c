"""The list of hotlines' quarters and their sign-off state: columns, filters and choices."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from coordapp import listing
from coordapp.listing import Column, Filter, ListSpec
from coordapp.network.models import Hotline
from coordapp.stats.lists import hotline_choices
from coordapp.stats.models import HotlineQuarter, QuarterState
from coordapp.stats.quarters import STATE_LABELS


def _when(value: object) -> object:
    return value.date() if value is not None else None  # type: ignore[attr-defined]


QUARTER_LIST = ListSpec(
    name="quarters",
    entity=HotlineQuarter,
    joins=(HotlineQuarter.hotline,),
    columns=(
        Column("hotline", "Hotline", Hotline.name, lambda q: q.hotline.name, link=True),
        Column("quarter", "Quarter", HotlineQuarter.period_start, lambda q: q.label),
        Column("state", "State", HotlineQuarter.state, lambda q: STATE_LABELS[q.state]),
        Column(
            "submitted", "Submitted", HotlineQuarter.submitted_at, lambda q: _when(q.submitted_at)
        ),
        Column("decided", "Decided", HotlineQuarter.decided_at, lambda q: _when(q.decided_at)),
    ),
    default_sort="-quarter",
    search=(Hotline.name,),
    filters=(
        Filter(
            "state",
            "State",
            listing.enum_filter(HotlineQuarter.state, QuarterState),
            lambda s: [(state.value, label) for state, label in STATE_LABELS.items()],
        ),
        listing.id_filter_on("hotline", "Hotline", HotlineQuarter.hotline_id, hotline_choices),
        listing.year_filter_on(HotlineQuarter.period_start),
    ),
    options=(selectinload(HotlineQuarter.hotline),),
    archivable=False,
)
