"""The network's lists (hotlines, expansion pipeline) as the records workspace, the CSV
export and the API show them: columns, filters, sorts, and how their cells read."""

from __future__ import annotations

import operator
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from markupsafe import Markup
from sqlalchemy.orm import Session, selectinload, with_expression

from coordapp import listing
from coordapp.auth.models import User
from coordapp.config import PIPELINE_STAGE_MAX_MONTHS, PIPELINE_STAGE_MIN_MONTHS
from coordapp.db import ranked
from coordapp.labels import enum_choices, label
from coordapp.listing import Column, Filter, ListSpec
from coordapp.network.display import due_display
from coordapp.network.expansion import stage_by_target_subquery, stage_from_events, stage_order
from coordapp.network.membership import (
    STATUS_RANK,
    first_admitted_from_events,
    first_admitted_of,
    membership_status_of,
    status_from_events,
)
from coordapp.network.models import (
    EXPANSION_STAGE_ORDER,
    ExpansionStage,
    ExpansionTarget,
    Hotline,
    MembershipStatus,
    Priority,
    hotline_countries,
)
from coordapp.network.pipeline import pipeline_subquery, stalled_cutoff, whole_months_between
from coordapp.partners.models import Organization, OrganizationKind
from coordapp.reference import service as reference
from coordapp.reference.models import Country


def _today() -> date:
    """'Today' as a bound parameter read when a list query runs, not when the module loads.

    The list specs below are built once at import; their joins must still mean today.
    """
    return cast(
        date, sa.bindparam("network_today", callable_=date.today, type_=sa.Date, unique=True)
    )


# Each hotline's status and first admission today, looked up per row through the index (only
# when a filter or the sort asks): joined as window or GROUP BY subqueries they were computed for
# every hotline on every page, and the planner, unable to estimate ``rn = 1``, looped over every
# pair (550,000 comparisons for one page at 100x the demo network, bench/README.md).
_status_today = membership_status_of(Hotline.id, _today())
_admitted_today = first_admitted_of(Hotline.id, _today())
NO_STATUS = "none"


def membership_status_choices(session: Session | None = None) -> list[tuple[str, str]]:
    return [*enum_choices(MembershipStatus), (NO_STATUS, "None (no events yet)")]


def _filter_status_today(query: sa.Select[Any], value: str) -> sa.Select[Any]:
    if value == NO_STATUS:
        return query.where(_status_today.is_(None))
    if value in {s.value for s in MembershipStatus}:
        return query.where(_status_today == value)
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


def _status_label(status: MembershipStatus | None) -> str:
    return label(status) if status is not None else "None"


HOTLINE_LIST = ListSpec(
    entity=Hotline,
    columns=(
        Column("name", "Name", Hotline.name, link=True),
        Column("country", "Country", Country.name, lambda h: h.country.name),
        Column(
            "status",
            "Status today",
            ranked(_status_today, STATUS_RANK),
            lambda h: _status_label(status_from_events(h.membership_events, on=date.today())),
        ),
        Column(
            "member_since",
            "Member since",
            _admitted_today,
            lambda h: first_admitted_from_events(h.membership_events, on=date.today()),
        ),
        listing.related_name_column("operator", "Operator", Organization.name, "operator"),
        Column("staff", "Staff", Hotline.staff_count, align_end=True),
        Column("founded", "Founded", Hotline.founded_year),
        listing.owner_column(Hotline.owner_id),
    ),
    default_sort="name",
    search=(Hotline.name,),
    filters=(
        Filter("status", "Status today", _filter_status_today, membership_status_choices),
        Filter("country", "Country covered", _filter_covers, reference.country_choices),
        listing.choice_filter_on(
            "region", "Region (home)", Country.region, reference.region_choices
        ),
        listing.enum_filter_on(
            "operator_kind", "Operator kind", Organization.kind, OrganizationKind
        ),
        Filter(
            "founded_from", "Founded from", listing.year_filter(Hotline.founded_year, operator.ge)
        ),
        Filter(
            "founded_until", "Founded until", listing.year_filter(Hotline.founded_year, operator.le)
        ),
        listing.owner_filter_on(Hotline.owner_id),
    ),
    options=(
        selectinload(Hotline.country),
        selectinload(Hotline.operator),
        selectinload(Hotline.membership_events),
        selectinload(Hotline.owner),
    ),
    joins=(Hotline.country,),
    outer_joins=(Hotline.operator,),
)


_STAGE_TODAY = stage_by_target_subquery(_today())
_PRIORITY_RANK = {Priority.HIGH: 0, Priority.MEDIUM: 1, Priority.LOW: 2}


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


_PIPELINE_TODAY = pipeline_subquery(_today())
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
    return max(past, key=stage_order).entered_on if past else None


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


EXPANSION_LIST = ListSpec(
    name="expansion",
    entity=ExpansionTarget,
    columns=(
        Column("country", "Country", Country.name, lambda t: t.country.name, link=True),
        Column("region", "Region", Country.region, lambda t: t.country.region),
        Column(
            "stage",
            "Stage",
            ranked(_STAGE_TODAY.c.stage, EXPANSION_STAGE_ORDER),
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
            ranked(ExpansionTarget.priority, _PRIORITY_RANK),
            lambda t: label(t.priority),
        ),
        Column("owner", "Owner", User.full_name, lambda t: t.owner.full_name if t.owner else None),
        Column("next_step", "Next step", ExpansionTarget.next_step),
        Column(
            "due",
            "Due",
            ExpansionTarget.next_step_due,
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
        listing.enum_filter_on("stage", "Stage", _STAGE_TODAY.c.stage, ExpansionStage),
        listing.enum_filter_on("priority", "Priority", ExpansionTarget.priority, Priority),
        listing.id_filter_on("owner", "Owner", ExpansionTarget.owner_id, owner_choices),
        listing.choice_filter_on("region", "Region", Country.region, reference.region_choices),
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
