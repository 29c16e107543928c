"""Coverage of the world as of a date, computed in SQL: which countries and territories a
member hotline covers, and the headline figures every surface shows (``coverage_summary``)."""

from __future__ import annotations

import enum
import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network.expansion import stage_by_target_subquery
from coordapp.network.membership import (
    COVERING_VALUES,
    first_admitted_of,
    membership_on_select,
    membership_on_subquery,
    membership_status_of,
)
from coordapp.network.models import (
    ExpansionStage,
    ExpansionTarget,
    Hotline,
    MembershipStatus,
    hotline_countries,
)
from coordapp.reference.models import Country

# The words every surface uses for the two figures of ``coverage_summary``.
COUNTRIES_COVERED_LABEL = "Countries covered"
TERRITORIES_COVERED_LABEL = "Territories covered"


class CoverageStatus(enum.StrEnum):
    FULL = "full"
    PROVISIONAL = "provisional"
    PIPELINE = "pipeline"
    NONE = "none"


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


class MemberCovering(NamedTuple):
    """A member hotline on a day and one place it covers then (``member_hotlines_covering``).
    A named tuple, not a frozen dataclass: the map reads some 4,000 of them at 100x the
    network, and a frozen dataclass's ``__init__`` (``object.__setattr__`` per field) cost
    three times as much as the tuple's."""

    hotline_id: int
    name: str
    status: str  # MembershipStatus value: full or provisional
    country_code: str | None  # None: it covers no place that day
    region: str | None  # the place's region


def _since(admitted: Any) -> sa.Case[Any]:
    """The day a hotline admitted on ``admitted`` also accepted reports for the spell's place."""
    return sa.case(
        (hotline_countries.c.covered_from > admitted, hotline_countries.c.covered_from),
        else_=admitted,
    )


def _covering_rows(
    on: date, *, membership: Any = None, country: str | None = None, since: bool = True
) -> sa.Select[Any]:
    """(country_code, hotline_id, status, since) for each unarchived hotline that is a
    provisional or full member on ``on``, once per country it accepts reports for.

    The one meaning of "covered" (``covered_condition`` asks it of one country, for the
    pipeline; tests/network/test_pipeline.py checks both agree). ``since``: the day the hotline
    both was admitted and accepted reports for the country. ``membership``: the
    ``membership_on_select`` of ``on`` as a CTE, when the statement reads it elsewhere too.
    ``country`` (alpha-2): that place's rows only, each of its few hotlines looking its status
    and admission up through the index on its events (``membership_status_of``,
    ``first_admitted_of``: the same rules) instead of ranking every hotline's history.
    ``since=False``: ``since`` left NULL, for counts that do not show it (a member on ``on``
    was admitted by ``on``: its latest event is one, so leaving the admissions out keeps
    every row).
    """
    if country is not None:
        one_place = (
            sa.select(
                hotline_countries.c.country_code,
                Hotline.id.label("hotline_id"),
                membership_status_of(Hotline.id, on).label("status"),
                _since(first_admitted_of(Hotline.id, on)).label("since"),
            )
            .join(Hotline, Hotline.id == hotline_countries.c.hotline_id)
            .where(
                hotline_countries.c.country_code == country,
                Hotline.archived_at.is_(None),
                spell_covers(on),
            )
            .subquery("one_place")
        )
        return sa.select(one_place).where(one_place.c.status.in_(COVERING_VALUES))
    if membership is None:
        membership = membership_on_subquery(on)
    rows = (
        sa.select(
            hotline_countries.c.country_code, Hotline.id.label("hotline_id"), membership.c.status
        )
        .join(Hotline, Hotline.id == hotline_countries.c.hotline_id)
        .join(membership, membership.c.hotline_id == Hotline.id)
        .where(
            Hotline.archived_at.is_(None),
            membership.c.status.in_(COVERING_VALUES),
            spell_covers(on),
        )
    )
    if not since:
        return rows.add_columns(sa.null().label("since"))
    # A member on ``on`` was admitted by ``on``: its span's first admission is the one of
    # ``first_admitted_subquery``, read from the same row.
    return rows.add_columns(_since(membership.c.admitted_on).label("since"))


def covered_condition(country_code: Any, on: date) -> sa.Exists:
    """Whether the country ``country_code`` (a column) is covered on ``on``, by the rule of
    ``_covering_rows`` (a hotline, unarchived and a provisional or full member on ``on``,
    accepts reports for it on ``on``), as a correlated EXISTS: for the few countries of the
    pipeline, their spells through the index on the country, each hotline's status through the
    index on its events, instead of working out the coverage of the whole world first.
    """
    return sa.exists().where(
        hotline_countries.c.country_code == country_code,
        spell_covers(on),
        Hotline.id == hotline_countries.c.hotline_id,
        Hotline.archived_at.is_(None),
        membership_status_of(Hotline.id, on).in_(COVERING_VALUES),
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


def coverage_query(
    on: date, *, country: str | None = None, membership: Any = None, since: bool = True
) -> sa.Select[Any]:
    """One row per country or territory (ISO 3166-1) with its coverage status on ``on``, in SQL.

    It is covered on ``on`` when a hotline that is a provisional or full member on ``on``
    accepts reports for it on ``on`` (``_covering_rows``: membership on the date, where the
    later lifecycle step wins a tie, and a ``hotline_countries`` spell in force); the best
    status among its hotlines counts. Otherwise it is in the pipeline when its expansion target
    is (``pipeline_subquery``). ``member_since``: the earliest day one of its covering
    hotlines both was admitted and accepted reports for it. ``stage`` is the stage of the
    country's unarchived target on ``on``, whatever its status. ``country`` (alpha-2): that
    place's row only; ``membership``, ``since`` (False: ``member_since`` left NULL): see
    ``_covering_rows``.
    """
    covering = _covering_rows(on, membership=membership, country=country, since=since).subquery(
        "covering"
    )
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
    by_target = stage_by_target_subquery(on)
    stage_on = (
        sa.select(ExpansionTarget.country_code, by_target.c.stage)
        .join(by_target, by_target.c.target_id == ExpansionTarget.id)
        .where(ExpansionTarget.archived_at.is_(None))
        .subquery("stage_on")
    )
    # The rule of ``pipeline_subquery`` (not covered, a stage that is not "member"), read
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
    query = (
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
    return query if country is None else query.where(Country.alpha2 == country)


def country_coverage(row: Any) -> CountryCoverage:
    """A row of ``coverage_query`` as the pages and figures read it."""
    return CountryCoverage(
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


def coverage_as_of(
    session: Session, *, on: date, region: str | None = None, country: str | None = None
) -> list[CountryCoverage]:
    """Every country's coverage on ``on`` (see ``coverage_query``), ordered by name; of one
    region, or one country (its alpha-2 code), if given."""
    return [
        country_coverage(row)
        for row in session.execute(_coverage_as_of_query(on, region or None, country or None))
    ]


@functools.lru_cache(maxsize=64)
def _coverage_as_of_query(on: date, region: str | None, country: str | None) -> sa.Select[Any]:
    """``coverage_as_of``'s statement, built once per day, region and country: building it
    (a dozen subqueries) took ~3 ms of the map's Python at every call. A built statement is
    never changed (``where``, ``order_by`` return new ones), so one may serve every thread."""
    query = coverage_query(on, country=country).order_by(Country.name)
    if region:
        query = query.where(Country.region == region)
    return query


def coverage_summary(
    session: Session,
    *,
    on: date,
    region: str | None = None,
    rows: Sequence[CountryCoverage] | None = None,
    members: Sequence[MemberCovering] | None = None,
) -> CoverageSummary:
    """THE definition of the network's coverage figures on ``on`` (a day; events and spells
    dated ``on`` count), optionally within one UN M49 region. Every surface that shows them
    (home, dashboards, board pack, API, pillar indicators) calls this.

    * ``countries_covered``: sovereign states (UN members, the observer states Holy See and
      Palestine, and Kosovo: ``Country.is_sovereign``) covered on ``on`` in the sense of
      ``coverage_query``; ``countries_full`` / ``countries_provisional`` split it by the best
      membership among the covering hotlines; ``countries_in_pipeline``: places not covered
      whose expansion target is in the pipeline on ``on`` (``countries_in_pipeline``).
    * ``territories_covered``: dependent territories (every other ISO 3166-1 entry: Greenland,
      the Faroes, Christmas Island …) covered on ``on``, by the same rule: also when the
      territory's own state has no hotline and a member hotline elsewhere takes its reports.
    * ``member_hotlines``: unarchived hotlines that are full or provisional members on ``on``
      (in a region: those covering at least one country or territory of it on ``on``).

    ``rows``: ``coverage_as_of(session, on=on, region=region)`` when the caller has read it
    already (the map): the places are counted from it instead of working out coverage again;
    ``members``: ``member_hotlines_covering(session, on=on)`` likewise (the hotlines counted
    from it, by the rule of ``_member_hotline_counts``).
    """
    by_status: Counter[tuple[bool, str]] = Counter()
    if rows is not None:
        by_status.update((r.is_sovereign, r.status.value) for r in rows)
    if members is not None:
        full, provisional = _member_counts_of(members, region=region)
    if rows is None and members is None:
        full, provisional = _places_and_members(session, on=on, region=region, into=by_status)
    elif rows is None:
        _place_counts(session, on=on, region=region, into=by_status)
    elif members is None:
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


def _place_counts_select(on: date, region: str | None, *, membership: Any = None) -> sa.Select:
    """(is_sovereign, status, places) of ``coverage_query`` on ``on``, in ``region`` if given."""
    coverage = coverage_query(on, membership=membership, since=False).subquery("coverage")
    counts = sa.select(
        coverage.c.is_sovereign, coverage.c.status, sa.func.count().label("places")
    ).group_by(coverage.c.is_sovereign, coverage.c.status)
    if region:
        counts = counts.where(coverage.c.region == region)
    return counts


def _place_counts(
    session: Session, *, on: date, region: str | None, into: Counter[tuple[bool, str]]
) -> None:
    for sovereign, status, count in session.execute(_place_counts_select(on, region)):
        into[(bool(sovereign), status)] = count


def _places_and_members(
    session: Session, *, on: date, region: str | None, into: Counter[tuple[bool, str]]
) -> tuple[int, int]:
    """``_place_counts`` and ``_member_hotline_counts`` in one statement over one ranking of the
    membership events (a CTE both read): the member counts on every row, beside each
    (is_sovereign, status) count of places (none: no place at all)."""
    membership = membership_on_select(on).cte("membership_on")
    members = _member_hotline_counts_select(on, region, membership=membership).subquery("members")
    places = _place_counts_select(on, region, membership=membership).subquery("places")
    full = provisional = 0
    for row in session.execute(
        sa.select(
            members.c.full,
            members.c.provisional,
            places.c.is_sovereign,
            places.c.status,
            places.c.places,
        ).select_from(members.outerjoin(places, sa.true()))
    ):
        full, provisional = int(row.full or 0), int(row.provisional or 0)
        if row.status is not None:
            into[(bool(row.is_sovereign), row.status)] = row.places
    return full, provisional


def _member_hotline_counts(session: Session, *, on: date, region: str | None) -> tuple[int, int]:
    """(full, provisional) unarchived member hotlines on ``on``; in a region, those covering
    at least one of its countries or territories on ``on``."""
    full, provisional = session.execute(_member_hotline_counts_select(on, region)).one()
    return int(full or 0), int(provisional or 0)


def _member_hotline_counts_select(
    on: date, region: str | None, *, membership: Any = None
) -> sa.Select:
    """(full, provisional): the counts of ``_member_hotline_counts``."""
    if membership is None:
        membership = membership_on_subquery(on)
    query = (
        sa.select(
            sa.func.count()
            .filter(membership.c.status == MembershipStatus.FULL.value)
            .label("full"),
            sa.func.count()
            .filter(membership.c.status == MembershipStatus.PROVISIONAL.value)
            .label("provisional"),
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
    return query


def member_hotlines_covering(session: Session, *, on: date) -> list[MemberCovering]:
    """Every unarchived hotline that is a provisional or full member on ``on``, once per
    country or territory it accepts reports for on ``on`` (once, without a place, when it
    covers none), ordered by place and name. One read of the membership for what the map
    shows of the hotlines: the names covering each place and, through ``coverage_summary``
    (``members=``), the member hotline counts."""
    return list(map(MemberCovering._make, session.execute(_member_hotlines_covering_query(on))))


@functools.lru_cache(maxsize=64)
def _member_hotlines_covering_query(on: date) -> sa.Select[Any]:
    """``member_hotlines_covering``'s statement, built once per day (as
    ``_coverage_as_of_query``)."""
    membership = membership_on_subquery(on)
    spells = (
        sa.select(hotline_countries.c.hotline_id, hotline_countries.c.country_code, Country.region)
        .outerjoin(Country, Country.alpha2 == hotline_countries.c.country_code)
        .where(spell_covers(on))
        .subquery("spells")
    )
    query = (
        sa.select(
            Hotline.id, Hotline.name, membership.c.status, spells.c.country_code, spells.c.region
        )
        .join(membership, membership.c.hotline_id == Hotline.id)
        .outerjoin(spells, spells.c.hotline_id == Hotline.id)
        .where(Hotline.archived_at.is_(None), membership.c.status.in_(COVERING_VALUES))
        .order_by(spells.c.country_code, Hotline.name)
    )
    return query


def _member_counts_of(members: Sequence[MemberCovering], *, region: str | None) -> tuple[int, int]:
    """``_member_hotline_counts`` counted from ``member_hotlines_covering``'s rows."""
    status = {m.hotline_id: m.status for m in members if region is None or m.region == region}
    full = sum(1 for s in status.values() if s == MembershipStatus.FULL.value)
    return full, len(status) - full
