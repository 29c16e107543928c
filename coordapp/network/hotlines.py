"""Hotline records: look-ups by name, create and edit (with the dated spells of the
countries each accepts reports for), and what a hotline's page shows."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

import pycountry
import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from coordapp import batching, validation
from coordapp.audit import service as audit
from coordapp.auth import owners
from coordapp.auth import service as auth
from coordapp.batching import Batch
from coordapp.db import NewRow, utcnow
from coordapp.errors import ValidationError
from coordapp.network.membership import (
    first_admitted_from_events,
    membership_status_on,
    membership_timeline,
)
from coordapp.network.models import (
    FIRST_FOUNDED_YEAR,
    ExpansionTarget,
    Hotline,
    HotlineCoverage,
)
from coordapp.partners.organizations import organization_id_by_name
from coordapp.records import service as records
from coordapp.reference import service as reference
from coordapp.reference.models import Country

REPORTING_CHANNELS = ("web", "email", "phone", "app", "chat")
MAX_STAFF = 100_000


def get_hotline(session: Session, hotline_id: int) -> Hotline:
    obj: Hotline = records.get_or_404(session, Hotline, hotline_id, what="hotline")
    return obj


def hotline_name_key(name: str) -> str:
    """A hotline's name as look-ups compare it: any case, any spacing."""
    return " ".join(name.split()).lower()


HOTLINE_NAME = records.UniqueName(Hotline, what="A hotline", kind="hotline", key=hotline_name_key)


def hotline_by_name(session: Session, name: str, *, batch: Batch | None = None) -> Hotline | None:
    """The hotline of that name, any case (names are unique regardless of case)."""
    key = hotline_name_key(name)
    return batching.remembered(
        batch,
        "hotline",
        key,
        lambda: session.scalar(sa.select(Hotline).where(sa.func.lower(Hotline.name) == key)),
    )


def hotlines_by_names(session: Session, names: Iterable[str]) -> dict[str, Hotline]:
    """The hotlines of those names, keyed by the name in lower case (a thousand per query)."""
    wanted = {hotline_name_key(name) for name in names if name and name.strip()}
    found = records.scalars_in(session, sa.select(Hotline), sa.func.lower(Hotline.name), wanted)
    return {hotline_name_key(hotline.name): hotline for hotline in found}


def _as_list(value: object) -> list[str]:
    """Several values from a form (a list) or an import / API (one string, space or comma)."""
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(cast(Iterable[Any], value))
    return [part for item in items for part in re.split(r"[\s,;]+", str(item).strip()) if part]


def clean_languages(field: str, value: object) -> str | None:
    """ISO 639-1 codes (two letters), space or comma separated; stored lower-case, space-joined."""
    codes: list[str] = []
    for raw in _as_list(value):
        code = raw.lower()
        if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
            raise ValidationError(
                field,
                f"{raw[:20]!r} is not an ISO 639-1 language code "
                "(two letters separated by spaces, e.g. de en fr).",
            )
        if code not in codes:
            codes.append(code)
    text = " ".join(codes)
    if len(text) > 120:
        raise ValidationError(field, "Too many languages (at most 40).")
    return text or None


def clean_channels(field: str, value: object) -> str | None:
    chosen = {item.lower() for item in _as_list(value)}
    unknown = sorted(chosen - set(REPORTING_CHANNELS))
    if unknown:
        raise ValidationError(
            field,
            f"{unknown[0][:20]!r} is not a reporting channel; choose from "
            f"{', '.join(REPORTING_CHANNELS)}.",
        )
    return " ".join(c for c in REPORTING_CHANNELS if c in chosen) or None


def _covered_countries(
    session: Session, data: Mapping[str, Any], *, home: str, batch: Batch | None
) -> list[Country]:
    codes = [home]
    for raw in _as_list(data.get("covered_countries")):
        code = reference.require_country(session, "covered_countries", raw, batch=batch)
        if code is not None and code not in codes:
            codes.append(code)
    # By primary key: in the session already, or remembered by an import's batch.
    found = [c for c in (reference.get_country(session, code, batch=batch) for code in codes) if c]
    return sorted(found, key=lambda c: (c.alpha2 != home, c.name))


def _clean_hotline(
    session: Session, data: Mapping[str, Any], *, obj: Hotline | None, batch: Batch | None
) -> dict[str, Any]:
    name = HOTLINE_NAME.clean(session, data, obj=obj, batch=batch)
    home = reference.require_country(
        session, "country_code", data.get("country_code"), required=True, batch=batch
    )
    assert home is not None
    return {
        "name": name,
        "operator_id": organization_id_by_name(
            session, "operator", data.get("operator"), required=False, batch=batch
        ),
        "country_code": home,
        "covered_countries": _covered_countries(session, data, home=home, batch=batch),
        **clean_profile(data),
        "owner_id": owners.clean_owner_id(
            session, data.get("owner_id"), current=obj.owner_id if obj is not None else None
        ),
        "notes": validation.free_text("notes", data.get("notes")),
    }


def clean_profile(data: Mapping[str, Any]) -> dict[str, Any]:
    """The profile fields a hotline keeps current itself (``coordapp.network.portal``); the
    secretariat's form has them too."""
    return {
        "public_url": validation.web_url("public_url", data.get("public_url")),
        "founded_year": validation.whole_number(
            "founded_year",
            data.get("founded_year"),
            low=FIRST_FOUNDED_YEAR,
            high=date.today().year,
            what="the founding year",
        ),
        "languages": clean_languages("languages", data.get("languages")),
        "reporting_channels": clean_channels("reporting_channels", data.get("reporting_channels")),
        "staff_count": validation.whole_number(
            "staff_count", data.get("staff_count"), low=0, high=MAX_STAFF, what="the staff count"
        ),
    }


def _country_codes(countries: Iterable[Country]) -> str:
    return " ".join(sorted(c.alpha2 for c in countries))


def _first_admission(hotline: Hotline) -> date | None:
    """The hotline's first provisional or full admission on record (any date), or None."""
    if hotline.id is None:
        return None
    events = hotline.membership_events  # loaded by imports and pages anyway
    return first_admitted_from_events(events, on=date.max)


def _set_covered_countries(
    session: Session, hotline: Hotline, countries: Sequence[Country], *, today: date
) -> None:
    """Make ``countries`` the ones the hotline accepts reports for from ``today`` on, keeping
    the history of spells.

    * A country no longer listed: its open spell ends (``covered_until = today``, exclusive:
      not covered today). A spell opened today is simply dropped (it never was in force).
    * A country newly listed: a spell from ``today`` if the hotline has ever been admitted
      (coverage cannot reach back before the edit); for a hotline never admitted yet, a spell
      with no start (NULL: covered from its admission, whenever that is recorded), so an
      applicant's countries count from the day it becomes a member.
    * A country removed today and listed again today: the spell just closed is reopened.
      Listed again on a later day: a new spell, the gap stays in the history.
    """
    wanted = {c.alpha2 for c in countries}
    spells = list(hotline.coverage_spells)
    open_spells = {s.country_code: s for s in spells if s.covered_until is None}
    for code, spell in open_spells.items():
        if code in wanted:
            continue
        if spell.covered_from is not None and spell.covered_from >= today:
            hotline.coverage_spells.remove(spell)
        else:
            spell.covered_until = today
    admitted = _first_admission(hotline) is not None
    for code in sorted(wanted - set(open_spells)):
        closed_today = next(
            (s for s in spells if s.country_code == code and s.covered_until == today), None
        )
        if closed_today is not None:
            closed_today.covered_until = None
        else:
            hotline.coverage_spells.append(
                HotlineCoverage(country_code=code, covered_from=today if admitted else None)
            )
    if "covered_countries" in sa.inspect(hotline).dict:
        session.expire(hotline, ["covered_countries"])


def create_hotline(
    session: Session, *, data: Mapping[str, Any], batch: Batch | None = None
) -> Hotline | NewRow:
    """A new hotline with the countries it covers (from its admission: spells with no start,
    however late its history is entered); flushes.

    In an import's ``batch`` the hotline and its spells are rows the batch writes with its
    other new records (its flush, at once or with the batch's), returned as a ``NewRow``.
    """
    values = _clean_hotline(session, data, obj=None, batch=batch)
    covered = values.pop("covered_countries")
    hotline: Hotline | NewRow
    if batch is not None:
        hotline = batch.insert(Hotline, values)
        for country in covered:
            batch.insert(HotlineCoverage, {"hotline_id": hotline, "country_code": country.alpha2})
        batch.remember("hotline", {hotline_name_key(values["name"]): hotline})
    else:
        # A new hotline has no membership history: starting with it loaded (empty) spares the
        # first events added a query.
        hotline = Hotline(
            **values,
            membership_events=[],
            coverage_spells=[HotlineCoverage(country_code=c.alpha2) for c in covered],
        )
        session.add(hotline)
    batching.flush(session, batch)
    # The association table is not an audited row; record the covered countries explicitly.
    audit.record(
        session,
        action="create",
        entity_type=Hotline.__tablename__,
        entity=hotline,
        changes={"covered_countries": [None, _country_codes(covered)]},
    )
    return hotline


def _change_hotline(
    session: Session, obj: Hotline, data: Mapping[str, Any], values: dict[str, Any]
) -> None:
    """Change a hotline's fields and the countries it accepts reports for (see
    ``_set_covered_countries`` for the dates this gives the coverage)."""
    covered = values.pop("covered_countries")
    before, after = " ".join(obj.covered_codes), _country_codes(covered)
    records.apply_changes(obj, values)
    if before != after:
        _set_covered_countries(session, obj, covered, today=date.today())
        # A change of coverage alone must still move the version (two managers, one hotline).
        obj.updated_at = utcnow()
        audit.record_about(
            session,
            obj,
            action="update",
            changes={"covered_countries": [before, after]},
        )


update_hotline = records.RecordCommands(
    Hotline, clean=_clean_hotline, change=_change_hotline
).update


def hotline_names(session: Session) -> list[tuple[str, str]]:
    """(id, "name · country") of the hotlines, for link selects."""
    return [
        (str(hotline_id), f"{name} · {country}")
        for hotline_id, name, country in session.execute(
            sa.select(Hotline.id, Hotline.name, Country.name)
            .join(Country, Country.alpha2 == Hotline.country_code)
            .order_by(Hotline.archived_at.is_not(None), Hotline.name)
        )
    ]


def covered_spells(session: Session, *, hotline: Hotline) -> list[HotlineCoverage]:
    """The hotline's open coverage spells (the countries it accepts reports for now), home
    country first, then by name; each with its start (None: since its admission)."""
    spells = session.scalars(
        sa.select(HotlineCoverage)
        .join(Country, Country.alpha2 == HotlineCoverage.country_code)
        .where(HotlineCoverage.hotline_id == hotline.id, HotlineCoverage.covered_until.is_(None))
        .options(selectinload(HotlineCoverage.country))
        .order_by(HotlineCoverage.country_code != hotline.country_code, Country.name)
    )
    return list(spells)


def hotline_related(
    session: Session, *, hotline: Hotline, today: date, on: date | None = None
) -> dict[str, Any]:
    """What a hotline's page shows besides its fields (the view adds its trainings)."""
    return {
        "status_today": membership_status_on(session, hotline_id=hotline.id, on=today),
        "status_on": (
            membership_status_on(session, hotline_id=hotline.id, on=on) if on is not None else None
        ),
        "timeline": membership_timeline(session, hotline_id=hotline.id),
        "covered": covered_spells(session, hotline=hotline),
        "expansion_targets": session.scalars(
            sa.select(ExpansionTarget)
            .where(ExpansionTarget.hotline_id == hotline.id)
            .options(selectinload(ExpansionTarget.country))
        ).all(),
    }


def hotlines_operated_by(session: Session, organization_id: int) -> list[Hotline]:
    """The hotlines an organization operates, by name (for the organization's page)."""
    return list(
        session.scalars(
            sa.select(Hotline).where(Hotline.operator_id == organization_id).order_by(Hotline.name)
        )
    )


# The hotlines a user is the liaison of, for their personal-data export.
auth.export_owned("hotlines_owned", Hotline.owner_id, id=Hotline.id, name=Hotline.name)
