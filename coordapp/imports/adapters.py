"""How an import row of a record with parts becomes calls of its domain services.

Each function takes the row's normalised ``data`` (see ``catalog_*.py``) and calls the same service
verbs as the forms — hotlines with their membership events, commitments with their allocations,
trainings with their participation, a hotline's quarter of statistics — so an imported row is
validated exactly like one typed in. They return ``(outcome, changed fields)``; the import
never deletes: membership events, participation rows or statistics that the file does not
mention are kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, cast

from flask import current_app
from sqlalchemy.orm import Session

from coordapp.batching import Batch
from coordapp.db import NewRow
from coordapp.errors import ValidationError
from coordapp.funding import checks, conversion
from coordapp.funding import commitments as funding_commitments
from coordapp.funding import rates as funding_rates
from coordapp.funding import receipts as funding_receipts
from coordapp.funding.models import FundingCommitment
from coordapp.network import hotlines, membership
from coordapp.network.models import Hotline
from coordapp.partners import organizations, partnerships
from coordapp.partners.models import Partnership
from coordapp.pillars import service as pillars
from coordapp.reference.service import METRIC_CODES
from coordapp.stats import grid as stats_grid
from coordapp.stats import periods as stats_periods
from coordapp.stats import service as stats
from coordapp.training import service as training
from coordapp.training.models import TrainingEvent

CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


def _one(found: list[Any], what: str) -> Any:
    if len(found) > 1:
        raise ValidationError(None, f"More than one existing {what} matches this row.")
    return found[0] if found else None


# --- hotlines with covered countries and membership events -----------------------------------


def hotline_state(hotline: Hotline) -> dict[str, Any]:
    return {
        "covered_countries": hotline.covered_codes,
        "membership": sorted((e.event_date, str(e.status)) for e in hotline.membership_events),
    }


def _add_missing_events(
    session: Session, hotline: Hotline | NewRow, data: Mapping[str, Any], *, batch: Batch
) -> None:
    """Add the row's ``membership`` events the hotline has not recorded (a wrong one is the
    row's "membership" error)."""
    events: list[tuple[date, str]] = data.get("membership") or []
    # A hotline created by this row (a row of the batch) has no history yet: nothing to read.
    have = (
        set()
        if isinstance(hotline, NewRow)
        else {(e.event_date, str(e.status)) for e in hotline.membership_events}
    )
    # In date order, so each step is checked against the history before it.
    missing = sorted({(day, status) for day, status in events if (day, status) not in have})
    if missing:
        try:
            membership.add_membership_events(
                session,
                hotline=hotline,
                events=[(day, status, None) for day, status in missing],
                batch=batch,
            )
        except ValidationError as error:
            raise ValidationError("membership", error.message) from error


def create_hotline(session: Session, *, data: Mapping[str, Any], batch: Batch) -> Hotline | NewRow:
    hotline = hotlines.create_hotline(session, data=data, batch=batch)
    _add_missing_events(session, hotline, data, batch=batch)
    return hotline


def update_hotline(
    session: Session,
    *,
    obj: Hotline,
    data: Mapping[str, Any],
    expected_version: int | None,
    batch: Batch,
) -> Hotline:
    hotlines.update_hotline(
        session, obj=obj, data=data, expected_version=expected_version, batch=batch
    )
    _add_missing_events(session, obj, data, batch=batch)
    return obj


# --- partnerships ----------------------------------------------------------------------------


def partnership_state(partnership: Partnership) -> dict[str, Any]:
    return {"pillars": [p.id for p in partnership.pillars]}


# --- funding commitments with allocations ----------------------------------------------------


def _commitment_data(session: Session, data: Mapping[str, Any], batch: Batch) -> dict[str, Any]:
    values = dict(data)
    mode, shares = data.get("allocations") or ("amount", {})
    values["allocation_mode"] = mode
    values["allocations"] = {str(k): str(v) for k, v in shares.items()}
    title = data.get("partnership")
    values["partnership_id"] = None
    if title:
        funder_id = organizations.organization_id_by_name(
            session, "funder", data.get("funder"), batch=batch
        )
        assert funder_id is not None
        found = _one(
            partnerships.partnership_by_title(session, organization_id=funder_id, title=str(title)),
            "partnership",
        )
        if found is None:
            raise ValidationError(
                "partnership_id", f"The funder has no partnership titled {str(title)!r}."
            )
        values["partnership_id"] = found.id
    return values


def create_commitment(
    session: Session, *, data: Mapping[str, Any], batch: Batch
) -> FundingCommitment | NewRow:
    return funding_commitments.create_commitment(
        session, data=_commitment_data(session, data, batch), batch=batch
    )


def update_commitment(
    session: Session,
    *,
    obj: FundingCommitment,
    data: Mapping[str, Any],
    expected_version: int | None,
    batch: Batch,
) -> FundingCommitment:
    return funding_commitments.update_commitment(
        session,
        obj=obj,
        data=_commitment_data(session, data, batch),
        expected_version=expected_version,
        batch=batch,
    )


def commitment_warnings(
    session: Session, *, data: Mapping[str, Any], context: dict[str, Any], batch: Batch
) -> list[str]:
    """A pledge in a currency that no rate converts on its pledge date (rates read once)."""
    found = checks.commitment_warnings(
        session,
        data=data,
        reporting=_reporting(),
        coverage=_coverage(session, context),
        batch=batch,
    )
    return _texts(found)


def _reporting() -> str:
    return str(current_app.config["REPORTING_CURRENCY"])


def _coverage(session: Session, context: dict[str, Any]) -> conversion.RateCoverage:
    """The rates' first dates, read once per file (an import adds no rates to these types)."""
    if "rate_coverage" not in context:
        context["rate_coverage"] = conversion.rate_coverage(session)
    coverage: conversion.RateCoverage = context["rate_coverage"]
    return coverage


def _texts(warnings: list[checks.MoneyWarning]) -> list[str]:
    """The warnings as the report's lines; a missing rate says where to add it."""
    return [
        w.message
        + (
            f" Add it under Exchange rates › New: {conversion.PIVOT}/{w.currency}, "
            f"dated {w.on.isoformat()} or earlier."
            if w.currency and w.on
            else ""
        )
        for w in warnings
    ]


def commitment_allocations(commitment: FundingCommitment) -> tuple[str, dict[int, Decimal]]:
    return "amount", {a.pillar_id: a.amount for a in commitment.allocations}


def commitment_state(commitment: FundingCommitment) -> dict[str, Any]:
    return {"allocations": sorted((a.pillar_id, a.amount) for a in commitment.allocations)}


# --- exchange rates and pillar targets: their stored keys read ahead --------------------------


def prepare_rates(
    session: Session, *, values: Mapping[str, list[Any]], context: dict[str, Any], batch: Batch
) -> None:
    """Every stored rate's key, read once: no row asks whether its rate exists already."""
    funding_rates.remember_rate_keys(session, batch)


def prepare_targets(
    session: Session, *, values: Mapping[str, list[Any]], context: dict[str, Any], batch: Batch
) -> None:
    """Every stored pillar target's key, read once (as for rates)."""
    pillars.remember_target_keys(session, batch)


# --- receipts --------------------------------------------------------------------------------


def commitments_named(
    session: Session, values: Mapping[str, list[Any]], batch: Batch, *options: Any
) -> tuple[list[FundingCommitment], dict[tuple[int, str], list[FundingCommitment]]]:
    """Every commitment of the funders a file's ``funder`` column names (loader ``options``
    applied), and the same by (funder id, title as matched): a query per thousand funders."""
    funder_ids = set()
    for name in {str(v) for v in values.get("funder", []) if v is not None and str(v).strip()}:
        try:
            funder_ids.add(
                organizations.organization_id_by_name(session, "funder", name, batch=batch)
            )
        except ValidationError:
            continue  # its rows say so
    commitments = funding_commitments.commitments_of_funders(
        session, [i for i in funder_ids if i], *options
    )
    by_title: dict[tuple[int, str], list[FundingCommitment]] = {}
    for commitment in commitments:
        by_title.setdefault((commitment.funder_id, _name_key(commitment.title)), []).append(
            commitment
        )
    return commitments, by_title


def prepare_receipts(
    session: Session, *, values: Mapping[str, list[Any]], context: dict[str, Any], batch: Batch
) -> None:
    """The commitments of every funder the file names, and their receipts as stored before the
    file: two queries per thousand, instead of two per row."""
    commitments, by_title = commitments_named(session, values, batch)
    receipts: dict[tuple[Any, ...], list[Any]] = {}
    for receipt in funding_receipts.receipts_of_commitments(session, [c.id for c in commitments]):
        key = (receipt.commitment_id, receipt.received_on, receipt.currency_code, receipt.amount)
        receipts.setdefault(key, []).append(receipt)
    context["commitments"] = by_title
    context["receipts"] = receipts
    # What each commitment had received before the file, receipt by receipt (in its currency),
    # and what the file's rows add to it: the over-100 % check without a query per row.
    context["received"] = checks.receipt_values(session, commitments=commitments)
    context["received_in_file"] = {}


def apply_receipt(
    session: Session, *, data: Mapping[str, Any], context: dict[str, Any], batch: Batch
) -> tuple[str, tuple[str, ...], list[str]]:
    """A receipt is the same one when commitment, day, currency and sum are equal.

    Returns the outcome, the changed fields and the row's warnings (``funding.checks``)."""
    funder_id = organizations.organization_id_by_name(
        session, "funder", data.get("funder"), batch=batch
    )
    commitment = _one(
        context["commitments"].get((funder_id, _name_key(data.get("commitment"))), []),
        "commitment",
    )
    if commitment is None:
        raise ValidationError(
            "commitment", f"The funder has no commitment titled {data.get('commitment')!r}."
        )
    values = {**data, "commitment_id": commitment.id}
    values["currency_code"] = data.get("currency_code") or commitment.currency_code
    cleaned_amount = data.get("amount")
    # The same file may hold two equal receipts on one day: the n-th row matches the n-th
    # stored one (as stored before this file).
    key = (commitment.id, data.get("received_on"), values["currency_code"], cleaned_amount)
    seen = context.setdefault("receipts_seen", {})
    index = seen.get(key, 0)
    seen[key] = index + 1
    existing = context["receipts"].get(key, [])
    if index < len(existing):
        receipt = existing[index]
        if (receipt.reference or None) == (data.get("reference") or None):
            return UNCHANGED, (), _receipt_warnings(session, commitment, values, receipt, context)
        funding_receipts.update_receipt(session, obj=receipt, data=values, batch=batch)
        warnings = _receipt_warnings(session, commitment, values, receipt, context)
        return UPDATE, ("reference",), warnings
    funding_receipts.create_receipt(session, data=values, batch=batch)
    return CREATE, (), _receipt_warnings(session, commitment, values, None, context)


def _receipt_warnings(
    session: Session,
    commitment: FundingCommitment,
    values: Mapping[str, Any],
    stored: Any,
    context: dict[str, Any],
) -> list[str]:
    """The row's warnings, against what its commitment had without it: the receipts stored
    before the file (but the row's own, ``stored``) and the earlier rows of the file."""
    before_file = context["received"].get(commitment.id, {})
    in_file: dict[int, Decimal] = context["received_in_file"]
    own = stored.id if stored is not None else None
    before = sum((v for rid, v in before_file.items() if rid != own), Decimal(0))
    found, value = checks.receipt_check(
        session,
        commitment=commitment,
        receipt=values,
        received_before=before + in_file.get(commitment.id, Decimal(0)),
        coverage=_coverage(session, context),
        reporting=_reporting(),
    )
    if stored is None:
        in_file[commitment.id] = in_file.get(commitment.id, Decimal(0)) + value
    return _texts(found)


# --- trainings with participation ------------------------------------------------------------

EVENT_FIELDS = (
    "title",
    "kind",
    "pillar_id",
    "start_date",
    "end_date",
    "delivery",
    "location_country_code",
    "organizer",
    "topics",
    "trainers",
    "notes",
)


def _event_values(event: TrainingEvent) -> dict[str, Any]:
    return {
        "title": event.title,
        "kind": str(event.kind),
        "pillar_id": event.pillar_id,
        "start_date": event.start_date,
        "end_date": event.end_date,
        "delivery": str(event.delivery),
        "location_country_code": event.location_country_code,
        "organizer": event.organizer.name if event.organizer else None,
        "topics": event.topics,
        "trainers": event.trainers,
        "notes": event.notes,
    }


def _participant_ids(session: Session, name: str, batch: Batch) -> tuple[int | None, int | None]:
    hotline = hotlines.hotline_by_name(session, name, batch=batch)
    if hotline is not None:
        return hotline.id, None
    try:
        organization_id = organizations.organization_id_by_name(
            session, "participant", name, batch=batch
        )
    except ValidationError:
        raise ValidationError(
            "participant", f"No hotline or organization is named {name.strip()!r}."
        ) from None
    return None, organization_id


def _name_key(name: Any) -> str:
    return " ".join(str(name or "").split()).lower()


def prepare_trainings(
    session: Session, *, values: Mapping[str, list[Any]], context: dict[str, Any], batch: Batch
) -> None:
    """The stored events of every title the file names (with their participation rows), read
    a thousand titles per query instead of a query per event."""
    titles = {str(v) for v in values.get("title", []) if v is not None and str(v).strip()}
    context["stored_events"] = (
        {_name_key(title) for title in titles},
        training.events_by_titles(session, titles),
    )


def _stored_events(
    session: Session, wanted: Mapping[str, Any], context: dict[str, Any]
) -> list[TrainingEvent]:
    """The stored events with the row's title and start date: read ahead (``prepare_trainings``)
    if the file's cells named that title, queried otherwise."""
    title, start_date = str(wanted["title"] or ""), cast(date, wanted["start_date"])
    asked, stored = context.get("stored_events", ((), {}))
    if _name_key(title) in asked:
        return list(stored.get((_name_key(title), start_date), []))
    return training.events_by_title(session, title=title, start_date=start_date)


def apply_training(
    session: Session, *, data: Mapping[str, Any], context: dict[str, Any], batch: Batch
) -> tuple[str, tuple[str, ...]]:
    """One row: the event (found by title and start date) and one participant's figures.

    An attendance sheet repeats the event on every row; the rows of one event must agree.
    """
    wanted = {name: data.get(name) for name in EVENT_FIELDS}
    key = (_name_key(wanted["title"]), wanted["start_date"])
    # Per event of the file: the event, its first row's values, and its participation rows by
    # (hotline id, organization id), read once.
    events: dict[Any, tuple[TrainingEvent, dict[str, Any], dict[Any, Any]]]
    events = context.setdefault("events", {})
    outcome, changed = UNCHANGED, cast(tuple[str, ...], ())
    if key in events:
        event, first, rows = events[key]
        differs = [name for name in EVENT_FIELDS if first.get(name) != wanted.get(name)]
        if differs:
            raise ValidationError(
                differs[0],
                "An earlier row of this file gives this event a different "
                f"{differs[0].removesuffix('_id').removesuffix('_code').replace('_', ' ')}.",
            )
    else:
        found = _one(_stored_events(session, wanted, context), "training event")
        if found is None:
            event = training.create_event(session, data=wanted, batch=batch)
            outcome = CREATE
        else:
            event = found
            before = _event_values(event)
            training.update_event(
                session, obj=event, data=wanted, expected_version=None, batch=batch
            )
            after = _event_values(event)
            changed = tuple(k for k in after if after[k] != before[k])
            outcome = UPDATE if changed else UNCHANGED
        # One query for an existing event's rows; none for a new event (it has none yet).
        rows = {(row.hotline_id, row.organization_id): row for row in event.participations}
        events[key] = (event, wanted, rows)
    participant = data.get("participant")
    if not participant:
        if data.get("participants") is not None:
            raise ValidationError("participant", "Name the hotline or organization that took part.")
        return outcome, changed
    # Looked up with the whole file's names ahead (``batch``): no query per row.
    hotline_id, organization_id = _participant_ids(session, str(participant), batch)
    row = rows.get((hotline_id, organization_id))
    figures = {
        "participants": data.get("participants"),
        "completed": data.get("completed"),
        "feedback_score": data.get("feedback_score"),
    }
    # A participant named twice for one event: the same figures are a harmless repeat, other
    # figures a contradiction (which row is right?), as for the event's own columns.
    given: dict[Any, dict[str, Any]] = context.setdefault("figures", {})
    earlier = given.setdefault((key, hotline_id, organization_id), figures)
    if earlier is not figures:
        differs = [name for name in figures if earlier[name] != figures[name]]
        if differs:
            raise ValidationError(
                differs[0],
                f"An earlier row of this file gives {str(participant).strip()} different "
                f"{differs[0].replace('_', ' ')} for this event.",
            )
    if row is None:
        rows[(hotline_id, organization_id)] = training.set_participation(
            session,
            event=event,
            hotline_id=hotline_id,
            organization_id=organization_id,
            batch=batch,
            **figures,
        )
        return (CREATE if outcome == UNCHANGED else outcome), changed
    counts_before = (row.participants, row.completed, row.feedback_score)
    training.set_participation(
        session,
        event=event,
        hotline_id=hotline_id,
        organization_id=organization_id,
        participation=row,
        attendee_names=row.attendee_names,
        batch=batch,
        **figures,
    )
    counts_after = (row.participants, row.completed, row.feedback_score)
    moved = tuple(
        name
        for name, old, new in zip(
            ("participants", "completed", "feedback_score"),
            counts_before,
            counts_after,
            strict=True,
        )
        if old != new
    )
    if moved and outcome == UNCHANGED:
        return UPDATE, moved
    return outcome, changed + moved


# --- hotline statistics (one quarter per row) ------------------------------------------------


def prepare_statistics(
    session: Session, *, values: Mapping[str, list[Any]], context: dict[str, Any], batch: Batch
) -> None:
    """The stored figures of every hotline the file names, read in one query per thousand
    hotlines rather than one per row, by (hotline, year)."""
    names = {str(v) for v in values.get("hotline", []) if v is not None and str(v).strip()}
    # Found in the names the importer looked up ahead (``batch``): no query here.
    named = {hotlines.hotline_by_name(session, name, batch=batch) for name in names} - {None}
    by_year: dict[tuple[int, int], list[Any]] = {}
    for row in stats.statistics_of_hotlines(session, [h.id for h in named if h]):
        by_year.setdefault((row.hotline_id, row.period_start.year), []).append(row)
    context["stored_statistics"] = by_year


def apply_statistics(
    session: Session, *, data: Mapping[str, Any], context: dict[str, Any], batch: Batch
) -> tuple[str, tuple[str, ...]]:
    """A hotline's figures for one quarter, saved through the quarterly grid's own checks."""
    name = str(data.get("hotline") or "")
    hotline = hotlines.hotline_by_name(session, name, batch=batch)
    if hotline is None:
        raise ValidationError("hotline", f"No hotline is named {name.strip()!r}.")
    quarter = data.get("quarter")
    if quarter not in stats_periods.QUARTERS:
        raise ValidationError("quarter", "The quarter is 1, 2, 3 or 4.")
    values = {
        (code, quarter): _plain(data[code]) for code in METRIC_CODES if data.get(code) is not None
    }
    if not values:
        raise ValidationError(None, "The row has no figures.")
    # A quarter given twice: the same figures are a harmless repeat, others a contradiction.
    given: dict[Any, dict[Any, Any]] = context.setdefault("quarters", {})
    earlier = given.setdefault((hotline.id, data.get("year"), quarter), values)
    if earlier is not values:
        differs = [
            code for code, _ in values if earlier.get((code, quarter)) != values[(code, quarter)]
        ]
        if differs or earlier.keys() != values.keys():
            raise ValidationError(
                differs[0] if differs else None,
                "An earlier row of this file gives other figures for this hotline's quarter.",
            )
        return UNCHANGED, ()
    try:
        year = int(data["year"])
        saved = stats_grid.save_quarter_grid(
            session,
            hotline=hotline,
            year=year,
            values=values,
            # Rows of this file are for other quarters (a repeated quarter stopped above).
            stored=context["stored_statistics"].get((hotline.id, year), []),
            batch=batch,
        )
    except stats_grid.GridInvalid as invalid:
        (code, _), message = next(iter(invalid.errors.items()))
        raise ValidationError(code, message) from invalid
    if saved.updated:
        return UPDATE, ()
    if saved.created:
        return CREATE, ()
    return UNCHANGED, ()


def _plain(value: Any) -> Any:
    """1250.0 from a spreadsheet is the count 1250, not a decimal the grid would refuse."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value
