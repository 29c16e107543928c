"""Queries and commands over the pillars' yearly targets (actuals are computed elsewhere)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from coordapp import listing, validation
from coordapp.batching import Batch
from coordapp.errors import ValidationError
from coordapp.labels import enum_choices, label
from coordapp.listing import Column, Filter, ListSpec
from coordapp.pillars.models import TARGET_YEARS, PillarIndicator, PillarTarget
from coordapp.records import service as records
from coordapp.reference import service as reference
from coordapp.reference.models import Pillar

MAX_TARGET = Decimal("1e16")


def target_value_text(target: PillarTarget) -> str:
    """``EUR 250,000.00`` for money, ``12`` for counts."""
    indicator = PillarIndicator(target.indicator)
    if indicator.unit == "EUR":
        return f"EUR {Decimal(target.target_value):,.2f}"
    return f"{Decimal(target.target_value):,.0f}"


def target_number(target: PillarTarget) -> Decimal:
    """The target with the indicator's precision: cents for EUR, whole numbers for counts."""
    places = Decimal("0.01") if PillarIndicator(target.indicator).unit == "EUR" else Decimal(1)
    return Decimal(target.target_value).quantize(places)


def _indicator_filter(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value not in {i.value for i in PillarIndicator}:
        return query
    return query.where(PillarTarget.indicator == value)


def _pillar_filter(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    return query.where(PillarTarget.pillar_id == int(value)) if value.isdecimal() else query


PILLAR_TARGET_LIST = ListSpec(
    entity=PillarTarget,
    columns=(
        Column("pillar", "Pillar", Pillar.sort_order, lambda t: t.pillar.name),
        Column("year", "Year", PillarTarget.year),
        Column(
            "indicator",
            "Indicator",
            PillarTarget.indicator,
            lambda t: label(t.indicator),
            link=True,
        ),
        Column("target", "Target", PillarTarget.target_value, lambda t: target_number(t)),
        Column("unit", "Unit", None, lambda t: PillarIndicator(t.indicator).unit),
        Column("description", "Description", None, lambda t: t.description),
    ),
    default_sort="-year",
    search=(PillarTarget.description,),
    filters=(
        Filter("pillar", "Pillar", _pillar_filter, reference.pillar_choices),
        listing.year_filter_on(PillarTarget.year),
        Filter(
            "indicator",
            "Indicator",
            _indicator_filter,
            lambda s: enum_choices(PillarIndicator),
        ),
    ),
    options=(selectinload(PillarTarget.pillar),),
    joins=(PillarTarget.pillar,),
)


def get_pillar_target(session: Session, target_id: int) -> PillarTarget:
    obj: PillarTarget = records.get_or_404(session, PillarTarget, target_id, what="pillar target")
    return obj


def _year(value: object) -> int:
    text = str(value).strip() if value is not None else ""
    try:
        year = int(text)
    except ValueError:
        year = 0
    first, last = TARGET_YEARS
    if not first <= year <= last:
        raise ValidationError("year", f"Enter a year between {first} and {last}.")
    return year


def _target_value(value: object, indicator: PillarIndicator) -> Decimal:
    if value is None or not str(value).strip():
        raise ValidationError("target_value", "Enter the target as a number, e.g. 12.")
    number = validation.number("target_value", value)
    if number < 0:
        raise ValidationError("target_value", "The target cannot be negative.")
    if number >= MAX_TARGET:
        raise ValidationError("target_value", "The target is too large.")
    if indicator.unit == "EUR":
        if validation.decimal_places(number) > 2:
            raise ValidationError("target_value", "A EUR target has at most 2 decimal places.")
    elif number != number.to_integral_value():
        raise ValidationError(
            "target_value", f"{label(indicator)} is a count: enter a whole number."
        )
    return number


_TARGET = "pillar_target"


def remember_target_keys(session: Session, batch: Batch) -> None:
    """For an import's ``batch``: every stored target's id by (pillar, year, indicator), read
    in one query, so that no row asks whether its target exists already."""
    rows = session.execute(
        sa.select(
            PillarTarget.id, PillarTarget.pillar_id, PillarTarget.year, PillarTarget.indicator
        )
    )
    batch.remember_keys(
        _TARGET, {(pillar, year, str(indicator)): i for i, pillar, year, indicator in rows}
    )


def _clean_target(
    session: Session, data: Mapping[str, Any], *, obj: PillarTarget | None, batch: Batch | None
) -> dict[str, Any]:
    raw_pillar = str(data.get("pillar_id") or "").strip()
    pillar_number = validation.record_id(raw_pillar)
    pillar = session.get(Pillar, pillar_number) if pillar_number else None
    if pillar is None:
        raise ValidationError("pillar_id", "Choose one of the four pillars.")
    year = _year(data.get("year"))
    indicator = validation.choice("indicator", PillarIndicator, data.get("indicator"))
    query = sa.select(PillarTarget.id).where(
        PillarTarget.pillar_id == pillar.id,
        PillarTarget.year == year,
        PillarTarget.indicator == indicator.value,
        PillarTarget.id != ((obj.id if obj is not None else None) or 0),
    )
    # From the keys an import read ahead (``remember_target_keys``), else a query.
    taken = (
        batch.taken(
            _TARGET,
            (pillar.id, year, indicator.value),
            exclude=obj,
            query=lambda: session.scalar(query),
        )
        if batch is not None
        else session.scalar(query)
    )
    if taken is not None:
        raise ValidationError(
            "indicator",
            f"{pillar.name} already has a {label(indicator).lower()} target for {year} "
            f"(target #{getattr(taken, 'id', taken)}); edit that one instead.",
        )
    return {
        "pillar_id": pillar.id,
        "year": year,
        "indicator": indicator,
        "target_value": _target_value(data.get("target_value"), indicator),
        "description": validation.free_text("description", data.get("description"), max_length=200),
    }


def _target_key(values: Mapping[str, Any]) -> tuple[int, int, str]:
    return (values["pillar_id"], values["year"], str(values["indicator"].value))


def _remember_target(batch: Batch, target: PillarTarget, values: Mapping[str, Any]) -> None:
    batch.note_key(_TARGET, _target_key(values), target)


PILLAR_TARGET_COMMANDS = records.RecordCommands(
    PillarTarget, clean=_clean_target, remember=_remember_target
)
create_pillar_target = PILLAR_TARGET_COMMANDS.create
update_pillar_target = PILLAR_TARGET_COMMANDS.update


def pillar_target_related(session: Session, obj: PillarTarget) -> dict[str, Any]:
    """What the target's page shows besides its fields: the pillar's other targets that year."""
    return {
        "target_text": target_value_text(obj),
        "same_year": session.scalars(
            sa.select(PillarTarget)
            .where(
                PillarTarget.pillar_id == obj.pillar_id,
                PillarTarget.year == obj.year,
                PillarTarget.id != obj.id,
                PillarTarget.archived_at.is_(None),
            )
            .order_by(PillarTarget.indicator)
        ).all(),
        "value_text": target_value_text,
    }


def pillar_target_defaults(session: Session, args: Mapping[str, str]) -> dict[str, Any]:
    """Prefill a new target from ``?pillar=`` and ``?year=`` (e.g. the filtered list)."""
    defaults: dict[str, Any] = {}
    if args.get("pillar", "").isdecimal():
        defaults["pillar_id"] = args["pillar"]
    if args.get("year", "").isdecimal():
        defaults["year"] = args["year"]
    return defaults
