"""The trainings list: its columns and filters."""

from __future__ import annotations

from sqlalchemy.orm import selectinload

from coordapp import listing
from coordapp.listing import Column, ListSpec
from coordapp.reference import service as reference
from coordapp.training.models import DeliveryMode, TrainingEvent, TrainingKind

TRAINING_LIST = ListSpec(
    name="trainings",
    entity=TrainingEvent,
    columns=(
        Column("title", "Title", TrainingEvent.title, link=True),
        listing.label_column("kind", "Kind", TrainingEvent.kind),
        Column("pillar", "Pillar", TrainingEvent.pillar_id, lambda e: e.pillar.name),
        Column("start", "Start", TrainingEvent.start_date),
        Column("end", "End", TrainingEvent.end_date),
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
        listing.year_filter_on(TrainingEvent.start_date),
        listing.code_filter_on(
            "country",
            "Location country",
            TrainingEvent.location_country_code,
            reference.country_choices,
        ),
    ),
    options=(selectinload(TrainingEvent.pillar), selectinload(TrainingEvent.location_country)),
)
