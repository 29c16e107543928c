"""The trainings list: its columns, filters and the years to choose from."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from coordapp import listing
from coordapp.listing import Column, Filter, ListSpec
from coordapp.reference import service as reference
from coordapp.training.models import DeliveryMode, TrainingEvent, TrainingKind
from coordapp.training.service import FIRST_YEAR


def _start_year() -> Any:
    return sa.cast(sa.extract("year", TrainingEvent.start_date), sa.Integer)


def _in_year(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    """Events that start in the year; a value that is not a plausible year is no filter."""
    try:
        year = int(value)
    except ValueError:
        return query
    if not FIRST_YEAR <= year <= 2100:
        return query
    return query.where(
        TrainingEvent.start_date >= date(year, 1, 1), TrainingEvent.start_date <= date(year, 12, 31)
    )


def year_choices(session: Session) -> list[tuple[str, str]]:
    """The years in which events start, newest first."""
    years = session.scalars(sa.select(_start_year()).distinct().order_by(_start_year().desc()))
    return [(str(y), str(y)) for y in years if y is not None]


TRAINING_LIST = ListSpec(
    name="trainings",
    entity=TrainingEvent,
    columns=(
        Column("title", "Title", TrainingEvent.title, lambda e: e.title, link=True),
        listing.label_column("kind", "Kind", TrainingEvent.kind),
        Column("pillar", "Pillar", TrainingEvent.pillar_id, lambda e: e.pillar.name),
        Column("start", "Start", TrainingEvent.start_date, lambda e: e.start_date),
        Column("end", "End", TrainingEvent.end_date, lambda e: e.end_date),
        listing.label_column("delivery", "Delivery", TrainingEvent.delivery),
        listing.related_name_column(
            "location", "Location", TrainingEvent.location_country_code, "location_country"
        ),
        Column("topics", "Topics", None, lambda e: e.topics),
    ),
    default_sort="-start",
    search=(TrainingEvent.title, TrainingEvent.topics),
    filters=(
        listing.enum_filter_on("kind", "Kind", TrainingEvent.kind, TrainingKind),
        listing.id_filter_on("pillar", "Pillar", TrainingEvent.pillar_id, reference.pillar_choices),
        listing.enum_filter_on("delivery", "Delivery", TrainingEvent.delivery, DeliveryMode),
        Filter("year", "Year", _in_year, year_choices),
        listing.code_filter_on(
            "country",
            "Location country",
            TrainingEvent.location_country_code,
            reference.country_choices,
        ),
    ),
    options=(selectinload(TrainingEvent.pillar), selectinload(TrainingEvent.location_country)),
)
