"""Hotline membership on a date and coverage of the world as of a date, computed in SQL;
hotline records and their membership history, the expansion pipeline, country pages."""

from __future__ import annotations

import calendar
import enum
import itertools
import operator
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, cast

import pycountry
import sqlalchemy as sa
from babel import Locale
from markupsafe import Markup
from sqlalchemy.orm import Session, selectinload, with_expression

from coordapp import batching, listing, validation
from coordapp.audit import service as audit
from coordapp.auth import service as auth
from coordapp.auth.models import Role, User
from coordapp.batching import Batch
from coordapp.config import PIPELINE_STAGE_MAX_MONTHS, PIPELINE_STAGE_MIN_MONTHS
from coordapp.db import NewRow, utcnow
from coordapp.errors import NotFound, ValidationError
from coordapp.labels import enum_choices, label
from coordapp.listing import Column, Filter, ListSpec
from coordapp.network.models import (
    COVERING_STATUSES,
    EXPANSION_STAGE_ORDER,
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineCoverage,
    HotlineMembershipEvent,
    MembershipStatus,
    Priority,
    hotline_countries,
)
from coordapp.partners.models import Organization, OrganizationKind
from coordapp.partners.service import organization_id_by_name
from coordapp.records import service as records
from coordapp.reference import service as reference
from coordapp.reference.models import Country
from coordapp.stats.models import HotlineStatistic, MetricDefinition, MetricUnit, PeriodKind

# The words every surface uses for the two figures of ``coverage_summary``.
COUNTRIES_COVERED_LABEL = "Countries covered"
TERRITORIES_COVERED_LABEL = "Territories covered"


class CoverageStatus(enum.StrEnum):
    FULL = "full"
    PROVISIONAL = "provisional"
    PIPELINE = "pipeline"
    NONE = "none"


# On one date, later lifecycle steps win: an applicant admitted the same day is provisional.
_STATUS_RANK = {
    MembershipStatus.APPLICANT: 0,
    MembershipStatus.PROVISIONAL: 1,
    MembershipStatus.FULL: 2,
    MembershipStatus.SUSPENDED: 3,
    MembershipStatus.WITHDRAWN: 4,
}


@dataclass(frozen=True, slots=True)
class CountryCoverage:
    country_code: str
    alpha3: str
    name: str
    region: str | None
    sub_region: str | None
    status: CoverageStatus
    hotline_count: int
    member_since: date | None
    pipeline_stage: ExpansionStage | None
    is_sovereign: bool = True


@dataclass(frozen=True, slots=True)
class CoverageSummary:
    """The network's headline coverage figures on ``on`` (see ``coverage_summary``).

    "Countries" are sovereign states only (``Country.is_sovereign``); dependent territories
    covered (Greenland, Christmas Island …) are counted apart in ``territories_covered``.
    """

    on: date
    member_hotlines: int
    full_hotlines: int
    provisional_hotlines: int
    countries_covered: int
    countries_full: int
    countries_provisional: int
    countries_in_pipeline: int
    territories_covered: int = 0
    region: str | None = None


def _status_rank() -> sa.Case:
    return sa.case(
        {status.value: rank for status, rank in _STATUS_RANK.items()},
        value=HotlineMembershipEvent.status,
    )


def membership_on_subquery(on: date) -> sa.Subquery:
    """One row per hotline that has any event on or before ``on``: (hotline_id, status)."""
    ranked = (
        sa.select(
            HotlineMembershipEvent.hotline_id,
            HotlineMembershipEvent.status,
            sa.func.row_number()
            .over(
                partition_by=HotlineMembershipEvent.hotline_id,
                order_by=(
                    HotlineMembershipEvent.event_date.desc(),
                    _status_rank().desc(),
                    HotlineMembershipEvent.id.desc(),
                ),
            )
            .label("rn"),
        )
        .where(HotlineMembershipEvent.event_date <= on)
        .subquery("ranked_membership")
    )
    return (
        sa.select(ranked.c.hotline_id, ranked.c.status)
        .where(ranked.c.rn == 1)
        .subquery("membership_on")
    )


def membership_status_of(hotline_id: Any, on: date) -> sa.ScalarSelect[Any]:
    """The status of the hotline ``hotline_id`` (a column) on ``on``, as a correlated scalar.

    The same rule as ``membership_on_subquery`` (latest event on or before ``on``; same-day
    events by status rank, then id), looked up per hotline through the index on ``hotline_id``:
    for a filter on a list of hotlines. Joined as a window-function subquery instead, the
    planner cannot estimate how many rows have ``rn = 1`` and may loop over every pair (15
    million comparisons at 100x the demo network, bench/README.md "Home page").
    """
    return (
        sa.select(HotlineMembershipEvent.status)
        .where(
            HotlineMembershipEvent.hotline_id == hotline_id,
            HotlineMembershipEvent.event_date <= on,
        )
        .order_by(
            HotlineMembershipEvent.event_date.desc(),
            _status_rank().desc(),
            HotlineMembershipEvent.id.desc(),
        )
        .limit(1)
        .scalar_subquery()
    )


def membership_status_on(session: Session, *, hotline_id: int, on: date) -> MembershipStatus | None:
    """The hotline's membership status on ``on`` (events dated ``on`` count), or None."""
    membership = membership_on_subquery(on)
    value = session.execute(
        sa.select(membership.c.status).where(membership.c.hotline_id == hotline_id)
    ).scalar_one_or_none()
    return MembershipStatus(value) if value is not None else None


def _covering_rows(on: date) -> sa.Select:
    """(country_code, hotline_id, status, since) for each unarchived hotline that is a
    provisional or full member on ``on``, once per country it accepts reports for.

    The one meaning of "covered": the coverage map and the pipeline both read it. ``since``:
    the day the hotline both was admitted and accepted reports for the country.
    """
    membership = membership_on_subquery(on)
    first_admitted = _first_admitted_subquery(on)
    since = sa.case(
        (
            hotline_countries.c.covered_from > first_admitted.c.since,
            hotline_countries.c.covered_from,
        ),
        else_=first_admitted.c.since,
    )
    return (
        sa.select(
            hotline_countries.c.country_code,
            Hotline.id.label("hotline_id"),
            membership.c.status,
            since.label("since"),
        )
        .join(Hotline, Hotline.id == hotline_countries.c.hotline_id)
        .join(membership, membership.c.hotline_id == Hotline.id)
        .join(first_admitted, first_admitted.c.hotline_id == Hotline.id)
        .where(
            Hotline.archived_at.is_(None),
            membership.c.status.in_(_COVERING_VALUES),
            spell_covers(on),
        )
    )


def _pipeline_subquery(on: date) -> sa.Subquery:
    """The expansion pipeline on ``on``: (target_id, country_code, stage, stage_since).

    A target is in the pipeline when it is unarchived, has reached a stage by ``on``, that
    stage is not "member" (a target that reached membership has left the pipeline), and its
    country is not covered on ``on`` (coverage wins: a country has one status on the map).
    ``stage_since`` is the day the current stage was entered.
    """
    stage = _stage_by_target_subquery(on)
    covering = _covering_rows(on).subquery("covered")
    return (
        sa.select(
            ExpansionTarget.id.label("target_id"),
            ExpansionTarget.country_code,
            stage.c.stage,
            stage.c.entered_on.label("stage_since"),
        )
        .join(stage, stage.c.target_id == ExpansionTarget.id)
        .where(
            ExpansionTarget.archived_at.is_(None),
            stage.c.stage != ExpansionStage.MEMBER.value,
            ExpansionTarget.country_code.not_in(sa.select(covering.c.country_code)),
        )
        .subquery("pipeline_on")
    )


def spell_covers(day: Any) -> sa.ColumnElement[bool]:
    """A ``hotline_countries`` row (spell) is in force on ``day`` (a date or a date column):
    ``covered_from`` inclusive (NULL: since the hotline's admission), ``covered_until``
    exclusive (NULL: still open). The hotline's membership that day is checked apart."""
    spells = hotline_countries.c
    return sa.and_(
        sa.or_(spells.covered_from.is_(None), spells.covered_from <= day),
        sa.or_(spells.covered_until.is_(None), spells.covered_until > day),
    )


def _coverage_query(on: date) -> sa.Select:
    """One row per country or territory (ISO 3166-1) with its coverage status on ``on``, in SQL.

    It is covered on ``on`` when a hotline that is a provisional or full member on ``on``
    accepts reports for it on ``on`` (``_covering_rows``: membership on the date, where the
    later lifecycle step wins a tie, and a ``hotline_countries`` spell in force); the best
    status among its hotlines counts. Otherwise it is in the pipeline when its expansion target
    is (``_pipeline_subquery``). ``member_since``: the earliest day one of its covering
    hotlines both was admitted and accepted reports for it. ``stage`` is the stage of the
    country's unarchived target on ``on``, whatever its status.
    """
    covering = _covering_rows(on).subquery("covering")
    per_country = (
        sa.select(
            covering.c.country_code,
            sa.func.max(
                sa.case((covering.c.status == MembershipStatus.FULL.value, 2), else_=1)
            ).label("level"),
            sa.func.count(sa.distinct(covering.c.hotline_id)).label("hotline_count"),
            sa.func.min(covering.c.since).label("member_since"),
        )
        .group_by(covering.c.country_code)
        .subquery("per_country")
    )
    by_target = _stage_by_target_subquery(on)
    stage_on = (
        sa.select(ExpansionTarget.country_code, by_target.c.stage)
        .join(by_target, by_target.c.target_id == ExpansionTarget.id)
        .where(ExpansionTarget.archived_at.is_(None))
        .subquery("stage_on")
    )
    # The rule of ``_pipeline_subquery`` (not covered, a stage that is not "member"), read
    # from the rows this query has already joined rather than working out coverage twice: the
    # CASE order makes "not covered" hold. tests/network/test_pipeline.py checks both agree.
    status = sa.case(
        (per_country.c.level == 2, CoverageStatus.FULL.value),
        (per_country.c.level == 1, CoverageStatus.PROVISIONAL.value),
        (
            sa.and_(stage_on.c.stage.is_not(None), stage_on.c.stage != ExpansionStage.MEMBER.value),
            CoverageStatus.PIPELINE.value,
        ),
        else_=CoverageStatus.NONE.value,
    )
    return (
        sa.select(
            Country.alpha2,
            Country.alpha3,
            Country.name,
            Country.region,
            Country.sub_region,
            Country.is_sovereign,
            status.label("status"),
            sa.func.coalesce(per_country.c.hotline_count, 0).label("hotline_count"),
            per_country.c.member_since,
            stage_on.c.stage,
        )
        .outerjoin(per_country, per_country.c.country_code == Country.alpha2)
        .outerjoin(stage_on, stage_on.c.country_code == Country.alpha2)
    )


def coverage_as_of(
    session: Session, *, on: date, region: str | None = None
) -> list[CountryCoverage]:
    """Every country's coverage on ``on`` (see ``_coverage_query``), ordered by name."""
    query = _coverage_query(on).order_by(Country.name)
    if region:
        query = query.where(Country.region == region)
    return [
        CountryCoverage(
            country_code=row.alpha2,
            alpha3=row.alpha3,
            name=row.name,
            region=row.region,
            sub_region=row.sub_region,
            status=CoverageStatus(row.status),
            hotline_count=row.hotline_count,
            member_since=row.member_since,
            pipeline_stage=ExpansionStage(row.stage) if row.stage is not None else None,
            is_sovereign=bool(row.is_sovereign),
        )
        for row in session.execute(query)
    ]


def coverage_summary(session: Session, *, on: date, region: str | None = None) -> CoverageSummary:
    """THE definition of the network's coverage figures on ``on`` (a day; events and spells
    dated ``on`` count), optionally within one UN M49 region. Every surface that shows them
    (home, dashboards, board pack, API, pillar indicators) calls this.

    * ``countries_covered``: sovereign states (UN members, the observer states Holy See and
      Palestine, and Kosovo: ``Country.is_sovereign``) covered on ``on`` in the sense of
      ``_coverage_query``; ``countries_full`` / ``countries_provisional`` split it by the best
      membership among the covering hotlines; ``countries_in_pipeline``: places not covered
      whose expansion target is in the pipeline on ``on`` (``countries_in_pipeline``).
    * ``territories_covered``: dependent territories (every other ISO 3166-1 entry: Greenland,
      the Faroes, Christmas Island …) covered on ``on``, by the same rule: also when the
      territory's own state has no hotline and a member hotline elsewhere takes its reports.
    * ``member_hotlines``: unarchived hotlines that are full or provisional members on ``on``
      (in a region: those covering at least one country or territory of it on ``on``).
    """
    coverage = _coverage_query(on).subquery("coverage")
    counts = sa.select(coverage.c.is_sovereign, coverage.c.status, sa.func.count()).group_by(
        coverage.c.is_sovereign, coverage.c.status
    )
    if region:
        counts = counts.where(coverage.c.region == region)
    by_status: dict[tuple[bool, str], int] = {}
    for sovereign, status, count in session.execute(counts):
        by_status[(bool(sovereign), status)] = count
    full, provisional = _member_hotline_counts(session, on=on, region=region)
    covering = (CoverageStatus.FULL, CoverageStatus.PROVISIONAL)
    return CoverageSummary(
        on=on,
        member_hotlines=full + provisional,
        full_hotlines=full,
        provisional_hotlines=provisional,
        countries_covered=sum(by_status.get((True, s), 0) for s in covering),
        countries_full=by_status.get((True, CoverageStatus.FULL), 0),
        countries_provisional=by_status.get((True, CoverageStatus.PROVISIONAL), 0),
        # Every pipeline target counts (countries_in_pipeline), territory or not.
        countries_in_pipeline=sum(
            by_status.get((sovereign, CoverageStatus.PIPELINE), 0) for sovereign in (True, False)
        ),
        territories_covered=sum(by_status.get((False, s), 0) for s in covering),
        region=region,
    )


def _member_hotline_counts(session: Session, *, on: date, region: str | None) -> tuple[int, int]:
    """(full, provisional) unarchived member hotlines on ``on``; in a region, those covering
    at least one of its countries or territories on ``on``."""
    membership = membership_on_subquery(on)
    query = (
        sa.select(
            sa.func.count().filter(membership.c.status == MembershipStatus.FULL.value),
            sa.func.count().filter(membership.c.status == MembershipStatus.PROVISIONAL.value),
        )
        .select_from(membership)
        .join(Hotline, Hotline.id == membership.c.hotline_id)
        .where(Hotline.archived_at.is_(None))
    )
    if region:
        query = query.where(
            Hotline.id.in_(
                sa.select(hotline_countries.c.hotline_id)
                .join(Country, Country.alpha2 == hotline_countries.c.country_code)
                .where(Country.region == region, spell_covers(on))
            )
        )
    full, provisional = session.execute(query).one()
    return int(full or 0), int(provisional or 0)


# =============================================================================================
# Records workspace: hotlines, membership events, the expansion pipeline, country pages
# =============================================================================================

REPORTING_CHANNELS = ("web", "email", "phone", "app", "chat")
FIRST_FOUNDED_YEAR = 1950
MAX_STAFF = 100_000
# Membership history is what happened: nothing before this date is plausible, nothing after today.
EARLIEST_EVENT = date(1950, 1, 1)

_COVERING_VALUES = tuple(s.value for s in COVERING_STATUSES)
_EVENT_NOUN = {
    MembershipStatus.APPLICANT: "application",
    MembershipStatus.PROVISIONAL: "provisional admission",
    MembershipStatus.FULL: "full membership",
    MembershipStatus.SUSPENDED: "suspension",
    MembershipStatus.WITHDRAWN: "withdrawal",
}
_STATE_WORDS = {
    None: "not yet in the network",
    MembershipStatus.APPLICANT: "an applicant",
    MembershipStatus.PROVISIONAL: "a provisional member",
    MembershipStatus.FULL: "a full member",
    MembershipStatus.SUSPENDED: "suspended",
    MembershipStatus.WITHDRAWN: "withdrawn",
}


def _today() -> date:
    """'Today' as a bound parameter read when a list query runs, not when the module loads.

    The list specs below are built once at import; their joins must still mean today.
    """
    return cast(
        date, sa.bindparam("network_today", callable_=date.today, type_=sa.Date, unique=True)
    )


def _first_admitted_subquery(on: date) -> sa.Subquery:
    """(hotline_id, since): the first date each hotline was a provisional or full member."""
    return (
        sa.select(
            HotlineMembershipEvent.hotline_id,
            sa.func.min(HotlineMembershipEvent.event_date).label("since"),
        )
        .where(
            HotlineMembershipEvent.event_date <= on,
            HotlineMembershipEvent.status.in_(_COVERING_VALUES),
        )
        .group_by(HotlineMembershipEvent.hotline_id)
        .subquery("first_admitted_on")
    )


def _membership_order(event: HotlineMembershipEvent) -> tuple[date, int, int]:
    return (event.event_date, _STATUS_RANK[event.status], event.id or 0)


def status_from_events(
    events: Iterable[HotlineMembershipEvent], *, on: date
) -> MembershipStatus | None:
    """The rule of ``membership_on_subquery`` over events already loaded (one list page).

    Lists filter and sort by the SQL subquery; this only labels the rows they show.
    """
    past = [e for e in events if e.event_date <= on]
    return max(past, key=_membership_order).status if past else None


def first_admitted_from_events(
    events: Iterable[HotlineMembershipEvent], *, on: date
) -> date | None:
    dates = [e.event_date for e in events if e.event_date <= on and e.status in COVERING_STATUSES]
    return min(dates) if dates else None


# --- hotline list ----------------------------------------------------------------------------

_STATUS_TODAY = membership_on_subquery(_today())
_ADMITTED_TODAY = _first_admitted_subquery(_today())
NO_STATUS = "none"


def _hotline_list_base() -> sa.Select[Any]:
    return (
        sa.select(Hotline)
        .join(Country, Country.alpha2 == Hotline.country_code)
        .outerjoin(Organization, Organization.id == Hotline.operator_id)
        .outerjoin(_STATUS_TODAY, _STATUS_TODAY.c.hotline_id == Hotline.id)
        .outerjoin(_ADMITTED_TODAY, _ADMITTED_TODAY.c.hotline_id == Hotline.id)
    )


def membership_status_choices(session: Session | None = None) -> list[tuple[str, str]]:
    return [*enum_choices(MembershipStatus), (NO_STATUS, "None (no events yet)")]


def _filter_status_today(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value == NO_STATUS:
        return query.where(_STATUS_TODAY.c.status.is_(None))
    if value in {s.value for s in MembershipStatus}:
        return query.where(_STATUS_TODAY.c.status == value)
    return query


def _filter_covers(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    return query.where(
        Hotline.id.in_(
            sa.select(hotline_countries.c.hotline_id).where(
                hotline_countries.c.country_code == value.upper(),
                hotline_countries.c.covered_until.is_(None),
            )
        )
    )


def _filter_operator_kind(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value not in {k.value for k in OrganizationKind}:
        return query
    return query.where(Organization.kind == value)


def _status_label(status: MembershipStatus | None) -> str:
    return label(status) if status is not None else "None"


HOTLINE_LIST = ListSpec(
    name="hotlines",
    entity=Hotline,
    columns=(
        Column("name", "Name", Hotline.name, lambda h: h.name, link=True),
        Column("country", "Country", Country.name, lambda h: h.country.name),
        Column(
            "status",
            "Status today",
            sa.case(
                {status.value: rank for status, rank in _STATUS_RANK.items()},
                value=_STATUS_TODAY.c.status,
            ),
            lambda h: _status_label(status_from_events(h.membership_events, on=date.today())),
        ),
        Column(
            "member_since",
            "Member since",
            _ADMITTED_TODAY.c.since,
            lambda h: first_admitted_from_events(h.membership_events, on=date.today()),
        ),
        Column(
            "operator",
            "Operator",
            Organization.name,
            lambda h: h.operator.name if h.operator else None,
        ),
        Column("staff", "Staff", Hotline.staff_count, lambda h: h.staff_count, align_end=True),
        Column("founded", "Founded", Hotline.founded_year, lambda h: h.founded_year),
    ),
    default_sort="name",
    search=(Hotline.name,),
    filters=(
        Filter("status", "Status today", _filter_status_today, membership_status_choices),
        Filter("country", "Country covered", _filter_covers, reference.country_choices),
        Filter(
            "region",
            "Region (home)",
            lambda q, v: q.where(Country.region == v),
            reference.region_choices,
        ),
        Filter(
            "operator_kind",
            "Operator kind",
            _filter_operator_kind,
            lambda s: enum_choices(OrganizationKind),
        ),
        Filter(
            "founded_from", "Founded from", listing.year_filter(Hotline.founded_year, operator.ge)
        ),
        Filter(
            "founded_until", "Founded until", listing.year_filter(Hotline.founded_year, operator.le)
        ),
    ),
    options=(
        selectinload(Hotline.country),
        selectinload(Hotline.operator),
        selectinload(Hotline.membership_events),
    ),
    base=_hotline_list_base,
)


# --- hotline records -------------------------------------------------------------------------


def get_hotline(session: Session, hotline_id: int) -> Hotline:
    obj: Hotline = records.get_or_404(session, Hotline, hotline_id, what="hotline")
    return obj


def hotline_name_key(name: str) -> str:
    """A hotline's name as look-ups compare it: any case, any spacing."""
    return " ".join(name.split()).lower()


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


def _whole_number(
    field: str, value: object, *, minimum: int, maximum: int, what: str
) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        raise ValidationError(field, f"Enter {what} as a whole number.") from None
    if not minimum <= number <= maximum:
        raise ValidationError(
            field, f"{what.capitalize()} must be between {minimum} and {maximum}."
        )
    return number


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


def language_names(codes: str | None) -> list[tuple[str, str]]:
    """Stored ISO 639-1 codes with their everyday English names (CLDR), for pages."""
    english = Locale("en").languages
    names = []
    for code in (codes or "").split():
        language = pycountry.languages.get(alpha_2=code)
        names.append((code, english.get(code) or (language.name if language else code)))
    return names


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
    session: Session,
    data: Mapping[str, Any],
    *,
    exclude_id: int | None = None,
    batch: Batch | None = None,
) -> dict[str, Any]:
    name = validation.required_text("name", data.get("name"), max_length=200)
    audit.serialize_writers(session)  # two saves must not both find the name free
    other = records.other_named(
        session,
        Hotline,
        kind="hotline",
        key=hotline_name_key(name),
        name=name,
        exclude_id=exclude_id,
        batch=batch,
    )
    if other is not None:
        raise ValidationError("name", f"A hotline named {name!r} already exists.")
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
        "public_url": validation.web_url("public_url", data.get("public_url")),
        "founded_year": _whole_number(
            "founded_year",
            data.get("founded_year"),
            minimum=FIRST_FOUNDED_YEAR,
            maximum=date.today().year,
            what="the founding year",
        ),
        "languages": clean_languages("languages", data.get("languages")),
        "reporting_channels": clean_channels("reporting_channels", data.get("reporting_channels")),
        "staff_count": _whole_number(
            "staff_count",
            data.get("staff_count"),
            minimum=0,
            maximum=MAX_STAFF,
            what="the staff count",
        ),
        "notes": validation.free_text("notes", data.get("notes")),
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
    values = _clean_hotline(session, data, batch=batch)
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


def update_hotline(
    session: Session,
    *,
    obj: Hotline,
    data: Mapping[str, Any],
    expected_version: int | None,
    batch: Batch | None = None,
) -> Hotline:
    """Change a hotline's fields and the countries it accepts reports for (see
    ``_set_covered_countries`` for the dates this gives the coverage)."""
    records.check_version(obj, expected_version)
    values = _clean_hotline(session, data, exclude_id=obj.id, batch=batch)
    covered = values.pop("covered_countries")
    before, after = " ".join(obj.covered_codes), _country_codes(covered)
    records.apply_changes(obj, values)
    if before != after:
        _set_covered_countries(session, obj, covered, today=date.today())
        # A change of coverage alone must still move the version (two managers, one hotline).
        obj.updated_at = utcnow()
        audit.record(
            session,
            action="update",
            entity_type=Hotline.__tablename__,
            entity_id=obj.id,
            changes={"covered_countries": [before, after]},
        )
    batching.flush(session, batch)
    return obj


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


# --- membership events -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Step:
    on: date
    status: MembershipStatus
    order: int  # id; a new event sorts after stored ones of the same date and status

    @property
    def key(self) -> tuple[date, int, int]:
        return (self.on, _STATUS_RANK[self.status], self.order)

    def __str__(self) -> str:
        return f"{_EVENT_NOUN[self.status]} on {self.on.isoformat()}"


def _chronology_problem(steps: Iterable[_Step]) -> str | None:
    """Why a membership history is impossible, naming the events in conflict; None if fine.

    The history is read in the order ``membership_on_subquery`` uses: by date, then by the
    lifecycle order applicant < provisional < full < suspended < withdrawn.
    """
    ordered = sorted(steps, key=lambda s: s.key)
    if not ordered:
        return None
    first = ordered[0]
    if first.status in (MembershipStatus.SUSPENDED, MembershipStatus.WITHDRAWN):
        return (
            f"The {first} would be the first event: a history starts with an application "
            "(or, for a founding hotline, its admission)."
        )
    first_spell = list(
        itertools.takewhile(lambda s: s.status != MembershipStatus.WITHDRAWN, ordered)
    )
    application = next((s for s in first_spell if s.status == MembershipStatus.APPLICANT), None)
    if application is not None:
        early = next(
            (s for s in first_spell if s.status in COVERING_STATUSES and s.key < application.key),
            None,
        )
        if early is not None:
            return f"No full member before applicant: the {early} comes before the {application}."
    previous: _Step | None = None
    withdrawal: _Step | None = None
    for step in ordered:
        if withdrawal is not None and step.status != MembershipStatus.APPLICANT:
            return (
                f"No event after withdrawal without re-application: the {step} follows the "
                f"{withdrawal} with no new application in between."
            )
        if step.status == MembershipStatus.SUSPENDED and (
            previous is None or previous.status not in COVERING_STATUSES
        ):
            state = _STATE_WORDS[previous.status if previous else None]
            since = f" (since the {previous})" if previous else ""
            return f"Only a member can be suspended: at the {step} the hotline is {state}{since}."
        if step.status == MembershipStatus.WITHDRAWN:
            withdrawal = step
        elif step.status == MembershipStatus.APPLICANT:
            withdrawal = None
        previous = step
    return None


def _stored_steps(session: Session, hotline_id: int) -> list[tuple[int, _Step]]:
    return [
        (event_id, _Step(on, MembershipStatus(status), event_id))
        for event_id, on, status in session.execute(
            sa.select(
                HotlineMembershipEvent.id,
                HotlineMembershipEvent.event_date,
                HotlineMembershipEvent.status,
            ).where(HotlineMembershipEvent.hotline_id == hotline_id)
        )
    ]


def _require_active(obj: Hotline | ExpansionTarget, what: str) -> None:
    if obj.archived_at is not None:
        raise ValidationError(None, f"This {what} is archived; restore it before changing it.")


def _event_date(field: str, value: object, *, today: date, earliest: date | None = None) -> date:
    value = validation.required_date(field, value)
    if value > today:
        raise ValidationError(
            field,
            f"{value.isoformat()} is in the future; record what has happened (today is "
            f"{today.isoformat()}).",
        )
    if earliest is not None and value < earliest:
        raise ValidationError(field, f"The date cannot be before {earliest.isoformat()}.")
    return value


def add_membership_event(
    session: Session,
    *,
    hotline: Hotline,
    on: date | str | None,
    status: MembershipStatus | str | None,
    note: str | None,
) -> HotlineMembershipEvent:
    """Record a dated membership change, in any order of entry, if the history stays possible."""
    (event,) = add_membership_events(session, hotline=hotline, events=[(on, status, note)])
    assert isinstance(event, HotlineMembershipEvent)
    return event


def add_membership_events(
    session: Session,
    *,
    hotline: Hotline | NewRow,
    events: Sequence[tuple[date | str | None, MembershipStatus | str | None, str | None]],
    batch: Batch | None = None,
) -> list[HotlineMembershipEvent | NewRow]:
    """Record several dated changes (on, status, note) as if entered one after the other: each
    is checked against the stored history and the ones before it, and all are written at once
    (flushed). A hotline an import's ``batch`` created (a ``NewRow``) has no history yet, and
    its events are rows of the batch too."""
    if not isinstance(hotline, NewRow):
        _require_active(hotline, "hotline")
    if isinstance(hotline, NewRow):
        steps: list[_Step] = []
    elif "membership_events" in sa.inspect(hotline).dict:  # loaded (or new): no query
        # Events not yet flushed (earlier rows of an import) have no id: they sort after the
        # stored ones, in the order they were added.
        steps = [
            _Step(
                e.event_date,
                MembershipStatus(e.status),
                e.id if e.id is not None else sys.maxsize // 2 + position,
            )
            for position, e in enumerate(hotline.membership_events)
        ]
    else:
        steps = [step for _, step in _stored_steps(session, hotline.id)]
    added: list[HotlineMembershipEvent | NewRow] = []
    for position, (on, status, note) in enumerate(events):
        day = _event_date("on", on, today=date.today(), earliest=EARLIEST_EVENT)
        new_status: MembershipStatus = validation.choice("status", MembershipStatus, status)
        cleaned_note = validation.free_text("note", note, max_length=500)
        # A new event sorts after stored ones of the same date and status, and after the
        # ones added before it here.
        candidate = _Step(day, new_status, sys.maxsize - len(events) + position)
        if any(s.on == day and s.status == new_status for s in steps):
            raise ValidationError("on", f"The history already has the {candidate}.")
        problem = _chronology_problem([*steps, candidate])
        if problem:
            raise ValidationError("status", problem)
        steps.append(candidate)
        if isinstance(hotline, NewRow):
            assert batch is not None
            values = {"event_date": day, "status": new_status, "note": cleaned_note}
            added.append(batch.insert(HotlineMembershipEvent, {"hotline_id": hotline, **values}))
            continue
        # Through the relationship: the hotline's loaded history includes it, and the hotline
        # needs no id yet (an import may flush a batch of rows later).
        event = HotlineMembershipEvent(
            hotline=hotline, event_date=day, status=new_status, note=cleaned_note
        )
        session.add(event)
        added.append(event)
    batching.flush(session, batch)
    return added


def remove_membership_event(session: Session, *, event: HotlineMembershipEvent) -> None:
    """Delete a wrongly entered event, if the history without it stays possible."""
    hotline = event.hotline
    _require_active(hotline, "hotline")
    removed = _Step(event.event_date, event.status, event.id)
    remaining = [s for event_id, s in _stored_steps(session, hotline.id) if event_id != event.id]
    problem = _chronology_problem(remaining)
    if problem:
        raise ValidationError(None, f"Deleting the {removed} would break the history. {problem}")
    session.delete(event)
    session.flush()
    session.expire(hotline, ["membership_events"])


def get_membership_event(
    session: Session, *, hotline: Hotline, event_id: int
) -> HotlineMembershipEvent:
    event = session.get(HotlineMembershipEvent, event_id)
    if event is None or event.hotline_id != hotline.id:
        raise NotFound(f"This hotline has no membership event with id {event_id}.")
    return event


# --- hotline page ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatisticsQuarter:
    period_start: date
    period_end: date
    values: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class StatisticsSummary:
    metrics: list[tuple[str, str, str]]  # (code, name, unit)
    quarters: list[StatisticsQuarter]


def hotline_statistics_summary(
    session: Session, *, hotline_id: int, quarters: int = 4
) -> StatisticsSummary:
    """The latest ``quarters`` quarters of aggregate figures reported by the hotline."""
    latest = (
        sa.select(HotlineStatistic.period_start)
        .where(
            HotlineStatistic.hotline_id == hotline_id,
            HotlineStatistic.period_kind == PeriodKind.QUARTER.value,
        )
        .distinct()
        .order_by(HotlineStatistic.period_start.desc())
        .limit(quarters)
        .subquery("latest_quarters")
    )
    rows = session.execute(
        sa.select(
            HotlineStatistic.period_start,
            HotlineStatistic.period_end,
            MetricDefinition.code,
            MetricDefinition.name,
            MetricDefinition.unit,
            HotlineStatistic.value,
        )
        .join(MetricDefinition, MetricDefinition.id == HotlineStatistic.metric_id)
        .where(
            HotlineStatistic.hotline_id == hotline_id,
            HotlineStatistic.period_kind == PeriodKind.QUARTER.value,
            HotlineStatistic.period_start.in_(sa.select(latest.c.period_start)),
        )
        .order_by(HotlineStatistic.period_start.desc(), MetricDefinition.sort_order)
    ).all()
    metrics: dict[str, tuple[str, str, str]] = {}
    by_period: dict[date, StatisticsQuarter] = {}
    for start, end, code, name, unit, value in rows:
        metrics.setdefault(code, (code, name, MetricUnit(unit).value))
        by_period.setdefault(start, StatisticsQuarter(start, end, {})).values[code] = value
    return StatisticsSummary(metrics=list(metrics.values()), quarters=list(by_period.values()))


def membership_timeline(session: Session, *, hotline_id: int) -> list[HotlineMembershipEvent]:
    """The hotline's events in the order the status is derived from (date, then lifecycle)."""
    events = session.scalars(
        sa.select(HotlineMembershipEvent).where(HotlineMembershipEvent.hotline_id == hotline_id)
    ).all()
    return sorted(events, key=_membership_order)


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
    """What a hotline's page shows besides its fields."""
    from coordapp.training.models import TrainingEvent, TrainingParticipation

    return {
        "status_today": membership_status_on(session, hotline_id=hotline.id, on=today),
        "status_on": (
            membership_status_on(session, hotline_id=hotline.id, on=on) if on is not None else None
        ),
        "timeline": membership_timeline(session, hotline_id=hotline.id),
        "covered": covered_spells(session, hotline=hotline),
        "statistics": hotline_statistics_summary(session, hotline_id=hotline.id),
        "trainings": session.execute(
            sa.select(TrainingEvent, TrainingParticipation)
            .join(TrainingParticipation, TrainingParticipation.event_id == TrainingEvent.id)
            .where(TrainingParticipation.hotline_id == hotline.id)
            .order_by(TrainingEvent.start_date.desc())
        ).all(),
        "expansion_targets": session.scalars(
            sa.select(ExpansionTarget)
            .where(ExpansionTarget.hotline_id == hotline.id)
            .options(selectinload(ExpansionTarget.country))
        ).all(),
    }


# --- expansion pipeline ----------------------------------------------------------------------


def _stage_by_target_subquery(on: date) -> sa.Subquery:
    """(target_id, stage) as of ``on`` for every target, archived or not.

    Stages may go back as well as forward, so on one day the later entry wins.
    """
    ranked = (
        sa.select(
            ExpansionStageEvent.target_id,
            ExpansionStageEvent.stage,
            ExpansionStageEvent.entered_on,
            sa.func.row_number()
            .over(
                partition_by=ExpansionStageEvent.target_id,
                order_by=(ExpansionStageEvent.entered_on.desc(), ExpansionStageEvent.id.desc()),
            )
            .label("rn"),
        )
        .where(ExpansionStageEvent.entered_on <= on)
        .subquery("ranked_target_stage")
    )
    return (
        sa.select(ranked.c.target_id, ranked.c.stage, ranked.c.entered_on)
        .where(ranked.c.rn == 1)
        .subquery("target_stage_on")
    )


def _stage_order(event: ExpansionStageEvent) -> tuple[date, int]:
    return (event.entered_on, event.id or sys.maxsize)


def stage_from_events(events: Iterable[ExpansionStageEvent], *, on: date) -> ExpansionStage | None:
    """The rule of the stage subqueries over events already loaded (one list page)."""
    past = [e for e in events if e.entered_on <= on]
    return max(past, key=_stage_order).stage if past else None


_STAGE_TODAY = _stage_by_target_subquery(_today())
_PRIORITY_RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}


# --- the pipeline on a date and its stalled stages --------------------------------------------


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def whole_months_between(start: date, end: date) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 when ``end`` is not later)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if months > 0 and months_before(end, months) < start:
        months -= 1
    return max(0, months)


def stalled_cutoff(on: date) -> date:
    """A pipeline stage entered before this day has been open longer than the benchmark
    (``PIPELINE_STAGE_MAX_MONTHS``) on ``on``. A stage entered exactly twelve months before
    ``on`` (the cutoff itself) is not stalled yet; one entered a day earlier is."""
    return months_before(on, PIPELINE_STAGE_MAX_MONTHS)


def stage_open_too_long(stage_since: date, *, on: date) -> bool:
    """The rule of ``stalled_cutoff`` for one stage entered on ``stage_since``."""
    return stage_since < stalled_cutoff(on)


@dataclass(frozen=True, slots=True)
class PipelineTarget:
    """An expansion target in the pipeline on ``on`` (see ``_pipeline_subquery``)."""

    target_id: int
    country_code: str
    country: str
    region: str | None
    stage: ExpansionStage
    stage_since: date
    priority: Priority
    next_step: str | None
    next_step_due: date | None
    on: date

    @property
    def months_in_stage(self) -> int:
        return whole_months_between(self.stage_since, self.on)

    @property
    def stalled(self) -> bool:
        return stage_open_too_long(self.stage_since, on=self.on)


def pipeline_select(on: date, *, stalled_only: bool = False) -> sa.Select[Any]:
    """The pipeline on ``on`` as rows (target_id, country_code, country, region, stage,
    stage_since, priority, next_step, next_step_due): latest stage first, then by country.
    With ``stalled_only``, only the targets whose stage has been open too long."""
    pipeline = _pipeline_subquery(on)
    query = (
        sa.select(
            pipeline.c.target_id,
            pipeline.c.country_code,
            Country.name.label("country"),
            Country.region,
            pipeline.c.stage,
            pipeline.c.stage_since,
            ExpansionTarget.priority,
            ExpansionTarget.next_step,
            ExpansionTarget.next_step_due,
        )
        .join(ExpansionTarget, ExpansionTarget.id == pipeline.c.target_id)
        .join(Country, Country.alpha2 == pipeline.c.country_code)
    )
    if stalled_only:
        return query.where(pipeline.c.stage_since < stalled_cutoff(on)).order_by(
            pipeline.c.stage_since, Country.name, pipeline.c.target_id
        )
    stage_rank = sa.case(
        {stage.value: rank for stage, rank in EXPANSION_STAGE_ORDER.items()},
        value=pipeline.c.stage,
    )
    return query.order_by(stage_rank.desc(), Country.name, pipeline.c.target_id)


def pipeline_targets(
    session: Session, *, on: date, stalled_only: bool = False, country_code: str | None = None
) -> tuple[PipelineTarget, ...]:
    """The targets in the expansion pipeline on ``on`` (one country's, if given)."""
    query = pipeline_select(on, stalled_only=stalled_only)
    if country_code is not None:
        query = query.where(ExpansionTarget.country_code == country_code)
    return tuple(
        PipelineTarget(
            target_id=row.target_id,
            country_code=row.country_code,
            country=row.country,
            region=row.region,
            stage=ExpansionStage(row.stage),
            stage_since=row.stage_since,
            priority=Priority(row.priority),
            next_step=row.next_step,
            next_step_due=row.next_step_due,
            on=on,
        )
        for row in session.execute(query)
    )


def countries_in_pipeline(session: Session, *, on: date) -> int:
    """Countries in the expansion pipeline on ``on``: the one count every page shows.

    Unarchived expansion targets whose stage on ``on`` is not "member" and whose country no
    member hotline covers on ``on`` (``_pipeline_subquery``; one target per country).
    """
    pipeline = _pipeline_subquery(on)
    return int(session.scalar(sa.select(sa.func.count()).select_from(pipeline)) or 0)


def stalled_stages(session: Session, *, on: date) -> tuple[PipelineTarget, ...]:
    """Pipeline targets whose current stage has been open longer than the benchmark on ``on``
    (longest open first)."""
    return pipeline_targets(session, on=on, stalled_only=True)


def due_display(day: date | None, *, today: date) -> Markup | str:
    """A due date as pages show it: highlighted with an "overdue" badge once it has passed."""
    if day is None:
        return ""
    if day < today:
        return Markup(
            '<span class="text-danger fw-semibold">{}</span> '
            '<span class="badge text-bg-danger">overdue</span>'
        ).format(day.isoformat())
    return day.isoformat()


def _stalled_cutoff_today() -> date:
    """``stalled_cutoff`` of today, as a bound parameter read when a list query runs."""
    return cast(
        date,
        sa.bindparam(
            "stalled_cutoff_today",
            callable_=lambda: stalled_cutoff(date.today()),
            type_=sa.Date,
            unique=True,
        ),
    )


_PIPELINE_TODAY = _pipeline_subquery(_today())
_IN_PIPELINE_TODAY = ExpansionTarget.id.in_(sa.select(_PIPELINE_TODAY.c.target_id))
_STALLED_TODAY = ExpansionTarget.id.in_(
    sa.select(_PIPELINE_TODAY.c.target_id).where(
        _PIPELINE_TODAY.c.stage_since < _stalled_cutoff_today()
    )
)
PIPELINE_IN = "in"
PIPELINE_LEFT = "left"
PIPELINE_ALL = "all"


def _filter_pipeline(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value == PIPELINE_IN:
        return query.where(_IN_PIPELINE_TODAY)
    if value == PIPELINE_LEFT:
        return query.where(~_IN_PIPELINE_TODAY)
    return query


def _filter_stalled(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    return query.where(_STALLED_TODAY) if value == "1" else query


def _current_spell_start(target: ExpansionTarget, *, today: date) -> date | None:
    past = [e for e in target.stage_events if e.entered_on <= today]
    return max(past, key=_stage_order).entered_on if past else None


def stage_open_display(target: ExpansionTarget, *, today: date) -> Markup | str:
    """When the current stage was entered, and how many whole months ago."""
    since = _current_spell_start(target, today=today)
    if since is None:
        return ""
    months = whole_months_between(since, today)
    return Markup('{} <span class="text-body-secondary small">({} month{})</span>').format(
        since.isoformat(), months, "" if months == 1 else "s"
    )


def stalled_display(target: ExpansionTarget) -> Markup | str:
    """The flag of a stalled stage, as the list's SQL found it (``stage_stalled_today``)."""
    if not target.stage_stalled_today:
        return ""
    return Markup(
        '<span class="badge text-bg-warning" data-stalled="1" '
        'title="Benchmark: {} to {} months per stage">stalled</span>'
    ).format(PIPELINE_STAGE_MIN_MONTHS, PIPELINE_STAGE_MAX_MONTHS)


def _stage_display(target: ExpansionTarget) -> Markup | str:
    text = label(stage_from_events(target.stage_events, on=date.today()))
    if target.in_pipeline_today is False:
        return Markup(
            '{} <span class="badge text-bg-light border">left the pipeline</span>'
        ).format(text)
    return text


def _expansion_list_base() -> sa.Select[Any]:
    return (
        sa.select(ExpansionTarget)
        .join(Country, Country.alpha2 == ExpansionTarget.country_code)
        .outerjoin(User, User.id == ExpansionTarget.owner_id)
        .outerjoin(_STAGE_TODAY, _STAGE_TODAY.c.target_id == ExpansionTarget.id)
    )


def _filter_owner(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if not value.isdecimal() or len(value) > 9:
        return query
    return query.where(ExpansionTarget.owner_id == int(value))


def _filter_overdue(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value != "1":
        return query
    return query.where(ExpansionTarget.next_step_due < _today())


def owner_choices(session: Session) -> list[tuple[str, str]]:
    """Users who own a target (list filter)."""
    return [
        (str(user_id), name)
        for user_id, name in session.execute(
            sa.select(User.id, User.full_name)
            .where(User.id.in_(sa.select(ExpansionTarget.owner_id)))
            .order_by(User.full_name)
        )
    ]


def assignable_owner_choices(session: Session) -> list[tuple[str, str]]:
    """Active managers and admins (the people who work on expansion), for the owner select."""
    return [
        (str(user_id), name)
        for user_id, name in session.execute(
            sa.select(User.id, User.full_name)
            .where(User.active.is_(True), User.role.in_([Role.MANAGER.value, Role.ADMIN.value]))
            .order_by(User.full_name)
        )
    ]


EXPANSION_LIST = ListSpec(
    name="expansion",
    entity=ExpansionTarget,
    columns=(
        Column("country", "Country", Country.name, lambda t: t.country.name, link=True),
        Column("region", "Region", Country.region, lambda t: t.country.region),
        Column(
            "stage",
            "Stage",
            sa.case(
                {stage.value: rank for stage, rank in EXPANSION_STAGE_ORDER.items()},
                value=_STAGE_TODAY.c.stage,
            ),
            lambda t: label(stage_from_events(t.stage_events, on=date.today())),
            display=_stage_display,
        ),
        Column(
            "stage_since",
            "Stage entered",
            _STAGE_TODAY.c.entered_on,
            lambda t: _current_spell_start(t, today=date.today()),
            display=lambda t: stage_open_display(t, today=date.today()),
        ),
        Column(
            "stalled",
            f"Open over {PIPELINE_STAGE_MAX_MONTHS} months",
            None,
            lambda t: "yes" if t.stage_stalled_today else "no",
            display=stalled_display,
        ),
        Column(
            "priority",
            "Priority",
            sa.case(
                {p.value: rank for p, rank in _PRIORITY_RANK.items()},
                value=ExpansionTarget.priority,
            ),
            lambda t: label(t.priority),
        ),
        Column("owner", "Owner", User.full_name, lambda t: t.owner.full_name if t.owner else None),
        Column("next_step", "Next step", ExpansionTarget.next_step, lambda t: t.next_step),
        Column(
            "due",
            "Due",
            ExpansionTarget.next_step_due,
            lambda t: t.next_step_due,
            display=lambda t: due_display(t.next_step_due, today=date.today()),
        ),
    ),
    default_sort="country",
    search=(Country.name, ExpansionTarget.next_step),
    filters=(
        Filter(
            "pipeline",
            "Pipeline",
            _filter_pipeline,
            lambda s: [
                (PIPELINE_IN, "In the pipeline"),
                (PIPELINE_LEFT, "Left it (member or covered)"),
                (PIPELINE_ALL, "All targets"),
            ],
            default=PIPELINE_IN,
        ),
        Filter(
            "stalled",
            "Stage open",
            _filter_stalled,
            lambda s: [
                (
                    "1",
                    f"Over {PIPELINE_STAGE_MAX_MONTHS} months "
                    f"(benchmark {PIPELINE_STAGE_MIN_MONTHS}–{PIPELINE_STAGE_MAX_MONTHS})",
                )
            ],
        ),
        Filter(
            "stage",
            "Stage",
            listing.enum_filter(_STAGE_TODAY.c.stage, ExpansionStage),
            lambda s: enum_choices(ExpansionStage),
        ),
        Filter(
            "priority",
            "Priority",
            listing.enum_filter(ExpansionTarget.priority, Priority),
            lambda s: enum_choices(Priority),
        ),
        Filter("owner", "Owner", _filter_owner, owner_choices),
        Filter(
            "region", "Region", lambda q, v: q.where(Country.region == v), reference.region_choices
        ),
        Filter("overdue", "Next step", _filter_overdue, lambda s: [("1", "Overdue only")]),
    ),
    options=(
        selectinload(ExpansionTarget.country),
        selectinload(ExpansionTarget.owner),
        selectinload(ExpansionTarget.stage_events),
        with_expression(ExpansionTarget.in_pipeline_today, _IN_PIPELINE_TODAY),
        with_expression(ExpansionTarget.stage_stalled_today, _STALLED_TODAY),
    ),
    base=_expansion_list_base,
)


def get_expansion_target(session: Session, target_id: int) -> ExpansionTarget:
    obj: ExpansionTarget = records.get_or_404(
        session, ExpansionTarget, target_id, what="expansion target"
    )
    return obj


def _optional_id(session: Session, field: str, value: object, model: Any, what: str) -> int | None:
    record_id = validation.optional_id(field, value, message=f"Choose a {what} from the list.")
    if record_id is not None and session.get(model, record_id) is None:
        raise ValidationError(field, f"There is no {what} with id {record_id}.")
    return record_id


def _clean_expansion_fields(session: Session, data: Mapping[str, Any]) -> dict[str, Any]:
    owner_id = _optional_id(session, "owner_id", data.get("owner_id"), User, "user")
    if owner_id is not None:
        owner = session.get_one(User, owner_id)
        if not owner.active or owner.role == Role.VIEWER:
            raise ValidationError(
                "owner_id", f"{owner.full_name} cannot own pipeline work (needs an active manager)."
            )
    due = validation.date_value("next_step_due", data.get("next_step_due"), required=False)
    return {
        "priority": validation.choice(
            "priority", Priority, data.get("priority") or Priority.MEDIUM.value
        ),
        "owner_id": owner_id,
        "next_step": validation.free_text("next_step", data.get("next_step"), max_length=300),
        "next_step_due": due,
        "hotline_id": _optional_id(
            session, "hotline_id", data.get("hotline_id"), Hotline, "hotline"
        ),
        "notes": validation.free_text("notes", data.get("notes")),
    }


def create_expansion_target(
    session: Session, *, data: Mapping[str, Any], actor_id: int | None = None
) -> ExpansionTarget:
    """A new target in a country without one, entering its first stage on a date."""
    code = reference.require_country(
        session, "country_code", data.get("country_code"), required=True
    )
    existing = session.scalar(
        sa.select(ExpansionTarget).where(ExpansionTarget.country_code == code)
    )
    if existing is not None:
        hint = " (archived: restore it instead)" if existing.archived_at else ""
        raise ValidationError(
            "country_code", f"{existing.country.name} already has an expansion target{hint}."
        )
    stage = validation.choice("stage", ExpansionStage, data.get("stage"))
    entered_on = _event_date("stage_on", data.get("stage_on"), today=date.today())
    target = ExpansionTarget(country_code=code, **_clean_expansion_fields(session, data))
    session.add(target)
    session.flush()
    session.add(
        ExpansionStageEvent(
            target_id=target.id,
            stage=stage,
            entered_on=entered_on,
            note=validation.free_text("stage_note", data.get("stage_note"), max_length=500),
            actor_id=actor_id,
        )
    )
    session.flush()
    return target


def update_expansion_target(
    session: Session,
    *,
    obj: ExpansionTarget,
    data: Mapping[str, Any],
    expected_version: int | None,
) -> ExpansionTarget:
    """Priority, owner, next step and due date, notes, linked hotline (stages move apart)."""
    records.check_version(obj, expected_version)
    records.apply_changes(obj, _clean_expansion_fields(session, data))
    session.flush()
    return obj


def stage_history(session: Session, *, target_id: int) -> list[ExpansionStageEvent]:
    return list(
        session.scalars(
            sa.select(ExpansionStageEvent)
            .where(ExpansionStageEvent.target_id == target_id)
            .options(selectinload(ExpansionStageEvent.target))
            .order_by(ExpansionStageEvent.entered_on, ExpansionStageEvent.id)
        )
    )


def move_stage(
    session: Session,
    *,
    target: ExpansionTarget,
    stage: ExpansionStage | str | None,
    on: date | str | None,
    note: str | None,
    actor_id: int | None,
) -> ExpansionStageEvent:
    """Move the target to any stage (forward or back), dated between its last move and today."""
    _require_active(target, "expansion target")
    new_stage: ExpansionStage = validation.choice("stage", ExpansionStage, stage)
    day = _event_date("on", on, today=date.today())
    history = stage_history(session, target_id=target.id)
    if history:
        last = history[-1]
        if day < last.entered_on:
            raise ValidationError(
                "on",
                f"The previous move ({label(last.stage).lower()}) is dated "
                f"{last.entered_on.isoformat()}; a move cannot be dated before it.",
            )
        if last.stage == new_stage:
            raise ValidationError(
                "stage",
                f"The target is already at {label(new_stage).lower()} "
                f"(since {last.entered_on.isoformat()}).",
            )
    event = ExpansionStageEvent(
        target_id=target.id,
        stage=new_stage,
        entered_on=day,
        note=validation.free_text("note", note, max_length=500),
        actor_id=actor_id,
    )
    session.add(event)
    session.flush()
    session.expire(target, ["stage_events"])
    return event


@dataclass(frozen=True, slots=True)
class StageSpell:
    """One stay in a stage: from its event until the next move (or today, if current)."""

    event: ExpansionStageEvent
    until: date
    days: int
    current: bool


def stage_spells(events: Sequence[ExpansionStageEvent], *, today: date) -> list[StageSpell]:
    ordered = sorted((e for e in events if e.entered_on <= today), key=_stage_order)
    spells = []
    for index, event in enumerate(ordered):
        current = index == len(ordered) - 1
        until = today if current else ordered[index + 1].entered_on
        spells.append(
            StageSpell(event, until, max(0, (until - event.entered_on).days), current=current)
        )
    return spells


def days_per_stage(spells: Iterable[StageSpell]) -> list[tuple[ExpansionStage, int]]:
    """Total days in each stage reached (a stage visited twice adds up), in pipeline order."""
    totals: dict[ExpansionStage, int] = {}
    for spell in spells:
        totals[spell.event.stage] = totals.get(spell.event.stage, 0) + spell.days
    return sorted(totals.items(), key=lambda item: EXPANSION_STAGE_ORDER[item[0]])


def expansion_related(session: Session, *, target: ExpansionTarget, today: date) -> dict[str, Any]:
    history = stage_history(session, target_id=target.id)
    spells = stage_spells(history, today=today)
    actors = {
        user.id: user
        for user in session.scalars(
            sa.select(User).where(User.id.in_({e.actor_id for e in history if e.actor_id}))
        )
    }
    return {
        "current_stage": spells[-1].event.stage if spells else None,
        "spells": list(reversed(spells)),
        "days_per_stage": days_per_stage(spells),
        "actors": actors,
        "hotline_status": (
            membership_status_on(session, hotline_id=target.hotline_id, on=today)
            if target.hotline_id
            else None
        ),
        "due": due_display(target.next_step_due, today=today),
    }


# --- countries -------------------------------------------------------------------------------


COVERED = "covered"  # the country list's filter value for "full or provisional"
KIND_CHOICES = (("country", "Countries (sovereign states)"), ("territory", "Territories"))


def coverage_status_choices() -> list[tuple[str, str]]:
    return [
        (COVERED, "Covered (full or provisional)"),
        (CoverageStatus.FULL.value, "Full member coverage"),
        (CoverageStatus.PROVISIONAL.value, "Provisional member coverage"),
        (CoverageStatus.PIPELINE.value, "In the expansion pipeline"),
        (CoverageStatus.NONE.value, "No coverage"),
    ]


def country_coverage_list(
    session: Session,
    *,
    on: date,
    region: str | None = None,
    status: str | None = None,
    kind: str | None = None,
) -> list[CountryCoverage]:
    """Countries and territories with their coverage on ``on``, filtered in SQL by region,
    coverage status (``covered``: full or provisional) and kind (``country``: sovereign state,
    ``territory``). ``status=covered&kind=country`` lists exactly what ``coverage_summary``
    counts as countries covered, ``status=covered&kind=territory`` its territories covered.

    Unknown filter values are ignored (no filter), like every list.
    """
    coverage = _coverage_query(on).subquery("coverage")
    query = sa.select(coverage).order_by(coverage.c.name)
    if region and region in reference.list_regions(session):
        query = query.where(coverage.c.region == region)
    if status == COVERED:
        query = query.where(
            coverage.c.status.in_([CoverageStatus.FULL.value, CoverageStatus.PROVISIONAL.value])
        )
    elif status in {s.value for s in CoverageStatus}:
        query = query.where(coverage.c.status == status)
    if kind in {"country", "territory"}:
        query = query.where(coverage.c.is_sovereign.is_(kind == "country"))
    return [
        CountryCoverage(
            country_code=row.alpha2,
            alpha3=row.alpha3,
            name=row.name,
            region=row.region,
            sub_region=row.sub_region,
            status=CoverageStatus(row.status),
            hotline_count=row.hotline_count,
            member_since=row.member_since,
            pipeline_stage=ExpansionStage(row.stage) if row.stage is not None else None,
            is_sovereign=bool(row.is_sovereign),
        )
        for row in session.execute(query)
    ]


def get_country(session: Session, code: str) -> Country:
    country = session.get(Country, code.upper()) if len(code) == 2 else None
    if country is None:
        raise NotFound(f"{code[:10]!r} is not a known ISO 3166-1 country code.")
    return country


def country_overview(session: Session, *, country: Country, today: date) -> dict[str, Any]:
    """Everything the network does in or for one country, as of ``today``."""
    from coordapp.training.models import TrainingEvent, TrainingParticipation

    coverage = _coverage_query(today).where(Country.alpha2 == country.alpha2).subquery("one")
    row = session.execute(sa.select(coverage)).one()
    membership = membership_on_subquery(today)
    hotlines = session.execute(
        sa.select(Hotline, membership.c.status)
        .join(hotline_countries, hotline_countries.c.hotline_id == Hotline.id)
        .outerjoin(membership, membership.c.hotline_id == Hotline.id)
        .where(
            hotline_countries.c.country_code == country.alpha2,
            spell_covers(today),
            Hotline.archived_at.is_(None),
        )
        .order_by(Hotline.country_code != country.alpha2, Hotline.name)
    ).all()
    target = session.scalar(
        sa.select(ExpansionTarget)
        .where(ExpansionTarget.country_code == country.alpha2)
        .options(selectinload(ExpansionTarget.owner), selectinload(ExpansionTarget.stage_events))
    )
    trainings = session.execute(
        sa.select(
            TrainingEvent, sa.func.coalesce(sa.func.sum(TrainingParticipation.participants), 0)
        )
        .outerjoin(TrainingParticipation, TrainingParticipation.event_id == TrainingEvent.id)
        .where(
            TrainingEvent.location_country_code == country.alpha2,
            TrainingEvent.archived_at.is_(None),
        )
        .group_by(TrainingEvent.id)
        .order_by(TrainingEvent.start_date.desc())
    ).all()
    return {
        "coverage": CoverageStatus(row.status),
        "member_since": row.member_since,
        "hotlines": [
            (hotline, MembershipStatus(status) if status else None) for hotline, status in hotlines
        ],
        "target": target,
        "target_stage": stage_from_events(target.stage_events, on=today) if target else None,
        "target_due": due_display(target.next_step_due, today=today) if target else "",
        "organizations": session.scalars(
            sa.select(Organization)
            .where(
                Organization.hq_country_code == country.alpha2, Organization.archived_at.is_(None)
            )
            .order_by(Organization.name)
        ).all(),
        "trainings": trainings,
    }


@auth.user_export.register
def expansion_targets_owned(session: Session, user: User) -> dict[str, Any]:
    """The expansion targets a user owns, for their personal-data export."""
    owned = session.execute(
        sa.select(ExpansionTarget.id, ExpansionTarget.country_code)
        .where(ExpansionTarget.owner_id == user.id)
        .order_by(ExpansionTarget.id)
    )
    return {"expansion_targets_owned": [{"id": tid, "country": code} for tid, code in owned]}
