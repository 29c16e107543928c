"""Hotline records, membership history chronology, the expansion pipeline and country pages."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent
from coordapp.auth import service as auth_service
from coordapp.auth.models import User
from coordapp.errors import NotFound, ValidationError
from coordapp.listing import ListParams, export_rows, run_list
from coordapp.network import countries as network_countries
from coordapp.network import display, expansion, hotlines, lists, membership
from coordapp.network.coverage import CoverageStatus
from coordapp.network.models import (
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineMembershipEvent,
    MembershipStatus,
    Priority,
)
from coordapp.partners.models import OrganizationKind
from coordapp.records import service as records
from coordapp.records.service import StaleRecord
from coordapp.reference.models import MetricDefinition, Pillar
from coordapp.stats import service as stats_service
from coordapp.stats.models import HotlineStatistic, PeriodKind
from coordapp.training import pages as training_pages
from coordapp.training.models import (
    DeliveryMode,
    TrainingEvent,
    TrainingKind,
    TrainingParticipation,
)
from tests import factories

A, P, F, S, W = (
    MembershipStatus.APPLICANT,
    MembershipStatus.PROVISIONAL,
    MembershipStatus.FULL,
    MembershipStatus.SUSPENDED,
    MembershipStatus.WITHDRAWN,
)
TODAY = date.today()
_seq = itertools.count(1)


# --- helpers (shared with test_views) --------------------------------------------------------


def make_user(session: Session, *, role: str = "manager") -> User:
    return auth_service.create_user(
        session,
        email=f"owner{next(_seq)}@network-test.example",
        full_name=f"Owner {next(_seq)}",
        role=role,
        password="correct-horse-battery",
    )


def make_training(
    session: Session,
    *,
    country: str | None = None,
    hotline: Hotline | None = None,
    participants: int = 3,
    start: date = date(2024, 3, 4),
) -> TrainingEvent:
    pillar = session.scalars(sa.select(Pillar).order_by(Pillar.sort_order)).first()
    assert pillar is not None
    event = TrainingEvent(
        title=f"Workshop {next(_seq)}",
        kind=TrainingKind.WORKSHOP,
        pillar_id=pillar.id,
        start_date=start,
        end_date=start + timedelta(days=1),
        delivery=DeliveryMode.IN_PERSON,
        location_country_code=country,
    )
    session.add(event)
    session.flush()
    if hotline is not None:
        session.add(
            TrainingParticipation(
                event_id=event.id, hotline_id=hotline.id, participants=participants
            )
        )
        session.flush()
    return event


def make_statistic(
    session: Session, *, hotline: Hotline, code: str, start: date, value: str
) -> HotlineStatistic:
    metric = session.scalars(
        sa.select(MetricDefinition).where(MetricDefinition.code == code)
    ).first()
    assert metric is not None
    end_month = start.month + 2
    item = HotlineStatistic(
        hotline_id=hotline.id,
        metric_id=metric.id,
        period_kind=PeriodKind.QUARTER,
        period_start=start,
        period_end=date(start.year, end_month, 28),
        value=Decimal(value),
    )
    session.add(item)
    session.flush()
    return item


def hotline_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": f"Test Hotline {next(_seq)}",
        "operator": "",
        "country_code": "AT",
        "covered_countries": [],
        "public_url": "https://report.example.org",
        "founded_year": 2001,
        "languages": "de en",
        "reporting_channels": ["web", "email"],
        "staff_count": 4,
        "notes": "Mentored by the Belgian hotline.",
    }
    data.update(changes)
    return data


def refused(call: Any, **kwargs: Any) -> ValidationError:
    with pytest.raises(ValidationError) as info:
        call(**kwargs)
    return info.value


# --- hotline records -------------------------------------------------------------------------


def test_create_hotline_cleans_every_field(session: Session) -> None:
    operator = factories.organization(
        session, name="Safer Net Foundation", kind=OrganizationKind.HOTLINE_OPERATOR
    )
    hotline = hotlines.create_hotline(
        session,
        data=hotline_data(
            operator="safer net foundation",
            country_code="dk",
            covered_countries=["GL", "FO", "GL"],
            languages="DA, en  fo",
            reporting_channels=["phone", "web"],
        ),
    )
    assert hotline.operator_id == operator.id
    assert hotline.country_code == "DK"
    assert {c.alpha2 for c in hotline.covered_countries} == {"DK", "GL", "FO"}
    assert hotline.languages == "da en fo"
    assert hotline.reporting_channels == "web phone"  # the fixed order of the channel set


def test_home_country_is_always_covered(session: Session) -> None:
    hotline = hotlines.create_hotline(session, data=hotline_data(covered_countries=[]))
    assert [c.alpha2 for c in hotline.covered_countries] == ["AT"]
    hotlines.update_hotline(
        session,
        obj=hotline,
        data=hotline_data(name=hotline.name, country_code="LI", covered_countries=["CH"]),
        expected_version=hotline.version,
    )
    assert {c.alpha2 for c in hotline.covered_countries} == {"LI", "CH"}


def test_changed_coverage_is_audited_and_moves_the_version(session: Session) -> None:
    hotline = hotlines.create_hotline(session, data=hotline_data(covered_countries=["LI"]))
    version = hotline.version
    hotlines.update_hotline(
        session,
        obj=hotline,
        data=hotline_data(name=hotline.name, covered_countries=["LI", "CH"]),
        expected_version=version,
    )
    assert hotline.version == version + 1
    changes = [e.changes for e in records.history(session, obj=hotline) if e.changes]
    assert {"covered_countries": [None, "AT LI"]} in changes
    assert {"covered_countries": ["AT LI", "AT CH LI"]} in changes
    with pytest.raises(StaleRecord):
        hotlines.update_hotline(
            session, obj=hotline, data=hotline_data(name=hotline.name), expected_version=version
        )


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"founded_year": 1800}, "founded_year", "between 1950 and"),
        ({"founded_year": TODAY.year + 1}, "founded_year", "between 1950 and"),
        ({"founded_year": "nineteen"}, "founded_year", "whole number"),
        ({"staff_count": -1}, "staff_count", "between 0 and"),
        ({"languages": "de xx"}, "languages", "'xx' is not an ISO 639-1"),
        ({"languages": "deu"}, "languages", "'deu' is not an ISO 639-1"),
        ({"reporting_channels": ["web", "fax"]}, "reporting_channels", "'fax' is not"),
        ({"public_url": "ftp://report.example.org"}, "public_url", "http"),
        ({"notes": "see www.example.org/abc"}, "notes", "coordination data only"),
        ({"country_code": "ZZ"}, "country_code", "not a known"),
        ({"country_code": ""}, "country_code", "Choose a country"),
        ({"covered_countries": ["DE", "QQ"]}, "covered_countries", "'QQ' is not a known"),
        ({"operator": "Nobody Of That Name"}, "operator", "No organization is named"),
        ({"name": " "}, "name", "required"),
    ],
)
def test_bad_hotline_input_is_refused_with_a_message(
    session: Session, changes: dict[str, Any], field: str, words: str
) -> None:
    error = refused(hotlines.create_hotline, session=session, data=hotline_data(**changes))
    assert error.field == field
    assert words in error.message


def test_hotline_names_are_unique_ignoring_case(session: Session) -> None:
    hotlines.create_hotline(session, data=hotline_data(name="Safe Web Austria"))
    error = refused(
        hotlines.create_hotline, session=session, data=hotline_data(name="SAFE web austria")
    )
    assert error.field == "name" and "already exists" in error.message


# --- membership events: allowed histories ----------------------------------------------------


def add(session: Session, hotline: Hotline, on: date, status: MembershipStatus) -> Any:
    return membership.add_membership_event(
        session, hotline=hotline, on=on, status=status, note=None
    )


def test_events_may_be_entered_out_of_order(session: Session) -> None:
    hotline = factories.hotline(session, country="AT")
    add(session, hotline, date(2005, 6, 1), F)
    add(session, hotline, date(2003, 2, 1), A)  # the application, found later in the files
    add(session, hotline, date(2004, 1, 1), P)
    on = {
        day: membership.membership_status_on(session, hotline_id=hotline.id, on=day)
        for day in (date(2003, 1, 31), date(2003, 2, 1), date(2004, 6, 1), date(2005, 6, 1))
    }
    assert list(on.values()) == [None, A, P, F]
    timeline = membership.membership_timeline(session, hotline_id=hotline.id)
    assert [e.status for e in timeline] == [A, P, F]


def test_founders_may_start_as_members(session: Session) -> None:
    founder = factories.hotline(session, country="NL")
    add(session, founder, date(1999, 11, 17), F)
    provisional = factories.hotline(session, country="BE")
    add(session, provisional, date(1999, 6, 1), P)
    add(session, provisional, date(1999, 11, 17), F)
    assert membership.membership_status_on(session, hotline_id=founder.id, on=TODAY) == F


def test_same_day_events_follow_the_lifecycle_order(session: Session) -> None:
    hotline = factories.hotline(session, country="IS")
    add(session, hotline, date(2010, 5, 1), P)  # admitted the day it applied, entered first
    add(session, hotline, date(2010, 5, 1), A)
    assert membership.membership_status_on(session, hotline_id=hotline.id, on=date(2010, 5, 1)) == P


def test_re_application_after_withdrawal_is_allowed(session: Session) -> None:
    hotline = factories.hotline(session, country="GR")
    for on, status in [
        (date(2001, 6, 4), A),
        (date(2003, 11, 17), F),
        (date(2014, 6, 30), W),
        (date(2017, 2, 6), A),
        (date(2020, 5, 18), F),
    ]:
        add(session, hotline, on, status)
    assert membership.membership_status_on(session, hotline_id=hotline.id, on=date(2015, 1, 1)) == W
    assert membership.membership_status_on(session, hotline_id=hotline.id, on=TODAY) == F


def test_suspension_of_a_member_and_readmission(session: Session) -> None:
    hotline = factories.hotline(session, country="HU")
    add(session, hotline, date(2005, 1, 1), A)
    add(session, hotline, date(2007, 1, 1), F)
    add(session, hotline, date(2012, 3, 1), S)
    add(session, hotline, date(2013, 9, 1), F)
    add(session, hotline, date(2016, 1, 1), W)  # a suspended member may also withdraw later
    assert membership.membership_status_on(session, hotline_id=hotline.id, on=date(2012, 6, 1)) == S


def test_every_demo_history_passes_the_chronology_rules(session: Session) -> None:
    """Real histories, re-entered event by event through the service, are all accepted."""
    from tests._demo import load_demo_cached

    load_demo_cached(session, today=date(2026, 11, 26))
    histories = session.execute(
        sa.select(HotlineMembershipEvent.hotline_id, HotlineMembershipEvent.event_date)
        .add_columns(HotlineMembershipEvent.status, HotlineMembershipEvent.note)
        .where(HotlineMembershipEvent.event_date <= TODAY)
        .order_by(HotlineMembershipEvent.hotline_id, HotlineMembershipEvent.event_date)
    ).all()
    assert histories
    copies: dict[int, Hotline] = {}
    for hotline_id, on, status, note in histories:
        if hotline_id not in copies:
            copies[hotline_id] = factories.hotline(session, country="AQ")
        membership.add_membership_event(
            session, hotline=copies[hotline_id], on=on, status=status, note=note
        )
    for original_id, copy in copies.items():
        assert membership.membership_status_on(
            session, hotline_id=copy.id, on=TODAY
        ) == membership.membership_status_on(session, hotline_id=original_id, on=TODAY)


# --- membership events: refusals -------------------------------------------------------------


@pytest.mark.parametrize("status", [S, W])
def test_history_cannot_start_with_suspension_or_withdrawal(
    session: Session, status: MembershipStatus
) -> None:
    hotline = factories.hotline(session, country="PT")
    error = refused(add, session=session, hotline=hotline, on=date(2005, 1, 1), status=status)
    assert error.field == "status"
    assert "on 2005-01-01 would be the first event" in error.message
    # Also when entered out of order: before the first application.
    add(session, hotline, date(2006, 1, 1), A)
    assert (
        "would be the first event"
        in refused(
            add, session=session, hotline=hotline, on=date(2005, 1, 1), status=status
        ).message
    )


@pytest.mark.parametrize("status", [P, F])
def test_no_member_before_the_application(session: Session, status: MembershipStatus) -> None:
    hotline = factories.hotline(session, country="PT")
    add(session, hotline, date(2006, 3, 1), A)
    error = refused(add, session=session, hotline=hotline, on=date(2005, 1, 1), status=status)
    assert "No full member before applicant" in error.message
    assert "on 2005-01-01" in error.message and "application on 2006-03-01" in error.message
    # And the other way round: an application entered after a founder-style admission.
    other = factories.hotline(session, country="ES")
    add(session, other, date(2005, 1, 1), status)
    error = refused(add, session=session, hotline=other, on=date(2006, 3, 1), status=A)
    assert "application on 2006-03-01" in error.message


@pytest.mark.parametrize("status", [P, F, S, W])
def test_nothing_but_an_application_after_withdrawal(
    session: Session, status: MembershipStatus
) -> None:
    hotline = factories.hotline(session, country="SE")
    add(session, hotline, date(2002, 9, 2), A)
    add(session, hotline, date(2004, 5, 17), F)
    add(session, hotline, date(2012, 3, 30), W)
    error = refused(add, session=session, hotline=hotline, on=date(2015, 1, 1), status=status)
    assert "No event after withdrawal without re-application" in error.message
    assert "withdrawal on 2012-03-30" in error.message


def test_withdrawal_entered_inside_a_history_is_checked_against_later_events(
    session: Session,
) -> None:
    hotline = factories.hotline(session, country="FI")
    add(session, hotline, date(2000, 6, 5), A)
    add(session, hotline, date(2002, 5, 13), F)
    add(session, hotline, date(2010, 1, 1), S)
    error = refused(add, session=session, hotline=hotline, on=date(2005, 1, 1), status=W)
    assert "suspension on 2010-01-01 follows the withdrawal on 2005-01-01" in error.message


def test_only_members_can_be_suspended(session: Session) -> None:
    hotline = factories.hotline(session, country="LU")
    add(session, hotline, date(2002, 3, 4), A)
    error = refused(add, session=session, hotline=hotline, on=date(2002, 6, 1), status=S)
    assert "Only a member can be suspended" in error.message
    assert "is an applicant (since the application on 2002-03-04)" in error.message
    add(session, hotline, date(2003, 1, 13), F)
    add(session, hotline, date(2008, 1, 1), S)
    error = refused(add, session=session, hotline=hotline, on=date(2009, 1, 1), status=S)
    assert "is suspended (since the suspension on 2008-01-01)" in error.message


def test_exact_duplicates_are_refused(session: Session) -> None:
    hotline = factories.hotline(session, country="IT")
    add(session, hotline, date(2001, 2, 5), A)
    error = refused(add, session=session, hotline=hotline, on=date(2001, 2, 5), status=A)
    assert error.field == "on"
    assert error.message == "The history already has the application on 2001-02-05."


@pytest.mark.parametrize(
    ("on", "status", "field", "words"),
    [
        (TODAY + timedelta(days=1), A, "on", "is in the future"),
        (date(1949, 12, 31), A, "on", "before 1950-01-01"),
        (None, A, "on", "YYYY-MM-DD"),
        ("2020-13-01", A, "on", "YYYY-MM-DD"),
        (date(2020, 1, 1), "member", "status", "is not one of"),
        (date(2020, 1, 1), None, "status", "Choose a value"),
    ],
)
def test_bad_event_input_is_refused(
    session: Session, on: Any, status: Any, field: str, words: str
) -> None:
    hotline = factories.hotline(session, country="MT")
    error = refused(add, session=session, hotline=hotline, on=on, status=status)
    assert error.field == field and words in error.message


def test_event_note_is_coordination_text_only(session: Session) -> None:
    hotline = factories.hotline(session, country="MT")
    error = refused(
        membership.add_membership_event,
        session=session,
        hotline=hotline,
        on=date(2020, 1, 1),
        status=A,
        note="see https://example.org/x",
    )
    assert error.field == "note"


def test_archived_hotline_history_is_frozen(session: Session) -> None:
    hotline = factories.hotline(session, country="CY", events=[(date(2010, 1, 1), A)])
    records.archive(session, obj=hotline)
    error = refused(add, session=session, hotline=hotline, on=date(2011, 1, 1), status=F)
    assert "archived" in error.message


# --- membership events: removal and audit ----------------------------------------------------


def audit_actions(session: Session, entity_type: str) -> list[str]:
    return list(
        session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.entity_type == entity_type)
            .order_by(AuditEvent.id)
        )
    )


def test_add_and_remove_are_audited(session: Session) -> None:
    hotline = factories.hotline(session, country="EE")
    before = audit_actions(session, "hotline_membership_events")
    event = add(session, hotline, date(2010, 1, 1), A)
    mistake = add(session, hotline, date(2011, 1, 17), P)
    membership.remove_membership_event(session, event=mistake)
    assert audit_actions(session, "hotline_membership_events")[len(before) :] == [
        "create",
        "create",
        "delete",
    ]
    assert [e.id for e in membership.membership_timeline(session, hotline_id=hotline.id)] == [
        event.id
    ]
    assert membership.membership_status_on(session, hotline_id=hotline.id, on=TODAY) == A


def test_removal_that_would_break_the_history_is_refused(session: Session) -> None:
    hotline = factories.hotline(session, country="GR")
    add(session, hotline, date(2001, 6, 4), A)
    add(session, hotline, date(2003, 11, 17), F)
    add(session, hotline, date(2014, 6, 30), W)
    reapplication = add(session, hotline, date(2017, 2, 6), A)
    add(session, hotline, date(2020, 5, 18), F)
    error = refused(membership.remove_membership_event, session=session, event=reapplication)
    assert "Deleting the application on 2017-02-06" in error.message
    assert "full membership on 2020-05-18 follows the withdrawal on 2014-06-30" in error.message
    assert len(membership.membership_timeline(session, hotline_id=hotline.id)) == 5


def test_removing_the_application_of_a_member_leaves_a_founder_history(session: Session) -> None:
    hotline = factories.hotline(session, country="IE")
    application = add(session, hotline, date(1999, 3, 22), A)
    add(session, hotline, date(1999, 11, 17), F)
    membership.remove_membership_event(session, event=application)
    assert [e.status for e in membership.membership_timeline(session, hotline_id=hotline.id)] == [F]


def test_an_event_of_another_hotline_is_not_found(session: Session) -> None:
    one = factories.hotline(session, country="IE", events=[(date(1999, 1, 1), F)])
    other = factories.hotline(session, country="GB")
    with pytest.raises(NotFound):
        membership.get_membership_event(
            session,
            hotline=other,
            event_id=membership.membership_timeline(session, hotline_id=one.id)[0].id,
        )


# --- hotline list ----------------------------------------------------------------------------


def list_names(session: Session, **args: str) -> list[str]:
    params = ListParams.from_args(lists.HOTLINE_LIST, args)
    return [h.name for h in run_list(session, lists.HOTLINE_LIST, params).items]


@pytest.fixture
def network(session: Session) -> dict[str, Hotline]:
    """Four hotlines with different histories, named so they sort apart from any others."""
    year = TODAY.year
    return {
        "full": factories.hotline(
            session,
            country="NL",
            name="zz Full",
            events=[(date(1999, 1, 1), A), (date(1999, 11, 17), F)],
        ),
        "provisional": factories.hotline(
            session,
            country="KE",
            covers=["UG"],
            name="zz Provisional",
            events=[(date(2020, 1, 1), A), (date(2022, 5, 1), P)],
        ),
        "withdrawn": factories.hotline(
            session,
            country="SE",
            name="zz Withdrawn",
            events=[(date(2002, 1, 1), A), (date(2004, 1, 1), F), (date(2012, 3, 30), W)],
        ),
        "none": factories.hotline(session, country="UG", name="zz Not yet"),
        "future": factories.hotline(
            session,
            country="NO",
            name="zz Future",
            events=[(date(year - 1, 1, 1), A), (TODAY + timedelta(days=10), F)],
        ),
    }


def test_hotline_list_status_today_filter_and_label(
    session: Session, network: dict[str, Hotline]
) -> None:
    assert list_names(session, q="zz", status="full") == ["zz Full"]
    assert list_names(session, q="zz", status="applicant") == ["zz Future"]  # not full yet
    assert list_names(session, q="zz", status="none") == ["zz Not yet"]
    assert list_names(session, q="zz", status="withdrawn") == ["zz Withdrawn"]
    assert len(list_names(session, q="zz", status="nonsense")) == 5  # ignored, no filter
    params = ListParams.from_args(lists.HOTLINE_LIST, {"q": "zz"})
    rows = {row[0]: row for row in list(export_rows(session, lists.HOTLINE_LIST, params))[1:]}
    assert rows["zz Full"][2:4] == ["Full", date(1999, 11, 17)]
    assert rows["zz Future"][2:4] == ["Applicant", None]
    assert rows["zz Not yet"][2] == "None"
    # The labels shown agree with the SQL status for every hotline.
    for hotline in network.values():
        shown = rows[hotline.name][2]
        status = membership.membership_status_on(session, hotline_id=hotline.id, on=TODAY)
        assert shown == (status.value.capitalize() if status else "None")


def test_hotline_list_sorts_by_status_member_since_and_staff(
    session: Session, network: dict[str, Hotline]
) -> None:
    assert list_names(session, q="zz", sort="status") == [
        "zz Future",  # applicant
        "zz Provisional",
        "zz Full",
        "zz Withdrawn",
        "zz Not yet",  # no status last
    ]
    assert list_names(session, q="zz", sort="-member_since")[:3] == [
        "zz Provisional",
        "zz Withdrawn",
        "zz Full",
    ]
    network["none"].staff_count = 50
    network["full"].staff_count = 3
    session.flush()
    assert list_names(session, q="zz", sort="-staff")[:2] == ["zz Not yet", "zz Full"]
    assert list_names(session, q="zz", sort=";drop table hotlines") == sorted(
        h.name for h in network.values()
    )


def test_hotline_list_filters_country_region_operator_kind_founded(
    session: Session, network: dict[str, Hotline]
) -> None:
    assert list_names(session, q="zz", country="UG") == ["zz Not yet", "zz Provisional"]
    assert list_names(session, q="zz", region="Africa") == ["zz Not yet", "zz Provisional"]
    operator = factories.organization(session, kind=OrganizationKind.NGO)
    network["full"].operator_id = operator.id
    network["full"].founded_year = 1996
    network["withdrawn"].founded_year = 2001
    session.flush()
    assert list_names(session, q="zz", operator_kind="ngo") == ["zz Full"]
    assert len(list_names(session, q="zz", operator_kind="pirates")) == 5
    assert list_names(session, q="zz", founded_from="2000") == ["zz Withdrawn"]
    assert list_names(session, q="zz", founded_until="1999") == ["zz Full"]
    assert len(list_names(session, q="zz", founded_until="abc")) == 5


def test_hotline_list_runs_a_constant_number_of_queries(session: Session) -> None:
    def queries_for_page() -> int:
        statements: list[str] = []

        def count(*args: Any) -> None:
            statements.append(args[2])

        engine_connection = session.connection()
        sa.event.listen(engine_connection, "before_cursor_execute", count)
        try:
            params = ListParams.from_args(lists.HOTLINE_LIST, {"q": "qq"})
            result = run_list(session, lists.HOTLINE_LIST, params)
            for hotline in result.items:
                for column in lists.HOTLINE_LIST.columns:
                    column.value(hotline)
        finally:
            sa.event.remove(engine_connection, "before_cursor_execute", count)
        return len(statements)

    factories.hotline(session, country="AT", name="qq 1", events=[(date(2000, 1, 1), F)])
    session.expire_all()
    few = queries_for_page()
    for n in range(2, 12):
        factories.hotline(session, country="DE", name=f"qq {n}", events=[(date(2000, 1, 1), A)])
    session.expire_all()
    assert queries_for_page() == few


# --- hotline page ----------------------------------------------------------------------------


def test_hotline_related_shows_status_on_date_statistics_and_trainings(session: Session) -> None:
    hotline = factories.hotline(
        session,
        country="DK",
        covers=["GL"],
        events=[(date(2000, 4, 10), A), (date(2001, 1, 15), P), (date(2002, 5, 13), F)],
    )
    for quarter in range(1, 7):  # six quarters; the page shows the latest four
        start = date(2024 + (quarter - 1) // 4, 3 * ((quarter - 1) % 4) + 1, 1)
        make_statistic(
            session, hotline=hotline, code="reports_received", start=start, value=str(quarter)
        )
    make_statistic(
        session,
        hotline=hotline,
        code="removed_within_3_days_pct",
        start=date(2025, 4, 1),
        value="81.25",
    )
    training = make_training(session, hotline=hotline, participants=4)
    related = hotlines.hotline_related(session, hotline=hotline, today=TODAY, on=date(2001, 6, 1))
    assert related["status_today"] == F and related["status_on"] == P
    assert [s.country_code for s in related["covered"]] == ["DK", "GL"]
    # The page adds the figures and trainings from their own domains (network.views).
    summary = stats_service.hotline_statistics_summary(session, hotline_id=hotline.id)
    quarters = summary.quarters
    assert [q.period_start for q in quarters] == [
        date(2025, 4, 1),
        date(2025, 1, 1),
        date(2024, 10, 1),
        date(2024, 7, 1),
    ]
    assert quarters[0].values == {
        "reports_received": Decimal("6"),
        "removed_within_3_days_pct": Decimal("81.25"),
    }
    assert [code for code, _, _ in summary.metrics] == [
        "reports_received",
        "removed_within_3_days_pct",
    ]
    trainings = training_pages.trainings_of_hotline(session, hotline.id)
    assert [(e.id, p.participants) for e, p in trainings] == [(training.id, 4)]


def test_language_names(session: Session) -> None:
    assert display.language_names("de en") == [("de", "German"), ("en", "English")]
    assert display.language_names(None) == []


# --- expansion pipeline ----------------------------------------------------------------------


def target_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "country_code": "GH",
        "stage": "identified",
        "stage_on": date(2024, 1, 8),
        "priority": "high",
        "owner_id": "",
        "hotline_id": "",
        "next_step": "Scoping call with the regulator",
        "next_step_due": TODAY + timedelta(days=14),
        "notes": None,
    }
    data.update(changes)
    return data


def test_create_target_records_its_first_stage(session: Session) -> None:
    owner = make_user(session)
    target = expansion.create_expansion_target(
        session, data=target_data(owner_id=str(owner.id)), actor_id=owner.id
    )
    history = expansion.stage_history(session, target_id=target.id)
    assert [(e.stage, e.entered_on, e.actor_id) for e in history] == [
        (ExpansionStage.IDENTIFIED, date(2024, 1, 8), owner.id)
    ]
    assert target.owner_id == owner.id and target.priority == Priority.HIGH


def test_one_target_per_country_even_archived(session: Session) -> None:
    target = expansion.create_expansion_target(session, data=target_data())
    error = refused(expansion.create_expansion_target, session=session, data=target_data())
    assert (
        error.field == "country_code" and "Ghana already has an expansion target" in error.message
    )
    records.archive(session, obj=target)
    error = refused(expansion.create_expansion_target, session=session, data=target_data())
    assert "archived: restore it instead" in error.message


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"country_code": "XY"}, "country_code", "not a known"),
        ({"stage": "launched"}, "stage", "is not one of"),
        ({"stage_on": TODAY + timedelta(days=1)}, "stage_on", "in the future"),
        ({"priority": "urgent"}, "priority", "is not one of"),
        ({"owner_id": "999999"}, "owner_id", "no user"),
        ({"owner_id": "abc"}, "owner_id", "Choose a user"),
        ({"hotline_id": "999999"}, "hotline_id", "no hotline"),
        ({"next_step": "read http://example.org"}, "next_step", "coordination data only"),
        ({"next_step_due": "31/12/2026"}, "next_step_due", "YYYY-MM-DD"),
    ],
)
def test_bad_target_input_is_refused(
    session: Session, changes: dict[str, Any], field: str, words: str
) -> None:
    error = refused(expansion.create_expansion_target, session=session, data=target_data(**changes))
    assert error.field == field and words.lower() in error.message.lower()


def test_viewers_cannot_own_pipeline_work(session: Session) -> None:
    viewer = make_user(session, role="viewer")
    error = refused(
        expansion.create_expansion_target, session=session, data=target_data(owner_id=viewer.id)
    )
    assert error.field == "owner_id"


def test_update_target_keeps_stages_and_checks_the_version(session: Session) -> None:
    target = expansion.create_expansion_target(session, data=target_data())
    hotline = factories.hotline(session, country="GH")
    version = target.version
    expansion.update_expansion_target(
        session,
        obj=target,
        data=target_data(priority="low", hotline_id=str(hotline.id), next_step="Visit"),
        expected_version=version,
    )
    assert (target.priority, target.hotline_id, target.next_step) == (
        Priority.LOW,
        hotline.id,
        "Visit",
    )
    assert len(expansion.stage_history(session, target_id=target.id)) == 1
    with pytest.raises(StaleRecord):
        expansion.update_expansion_target(
            session, obj=target, data=target_data(), expected_version=version
        )


def move(session: Session, target: ExpansionTarget, stage: str, on: Any) -> ExpansionStageEvent:
    return expansion.move_stage(
        session, target=target, stage=stage, on=on, note=None, actor_id=None
    )


def test_move_stage_forward_and_back_and_time_in_stage(session: Session) -> None:
    start = TODAY - timedelta(days=100)
    target = expansion.create_expansion_target(session, data=target_data(stage_on=start))
    move(session, target, "scoping", start + timedelta(days=10))
    move(session, target, "stakeholder_engagement", start + timedelta(days=30))
    move(session, target, "scoping", start + timedelta(days=45))  # the candidate host withdrew
    move(session, target, "stakeholder_engagement", start + timedelta(days=45))  # same day
    related = expansion.expansion_related(session, target=target, today=TODAY)
    assert related["current_stage"] == ExpansionStage.STAKEHOLDER_ENGAGEMENT
    spells = list(reversed(related["spells"]))
    assert [(s.event.stage.value, s.days, s.current) for s in spells] == [
        ("identified", 10, False),
        ("scoping", 20, False),
        ("stakeholder_engagement", 15, False),
        ("scoping", 0, False),
        ("stakeholder_engagement", 55, True),  # runs until today
    ]
    assert related["days_per_stage"] == [
        (ExpansionStage.IDENTIFIED, 10),
        (ExpansionStage.SCOPING, 20),
        (ExpansionStage.STAKEHOLDER_ENGAGEMENT, 70),
    ]
    # The SQL-derived stage (lists, coverage) agrees with the history.
    params = ListParams.from_args(lists.EXPANSION_LIST, {"stage": "stakeholder_engagement"})
    assert target in run_list(session, lists.EXPANSION_LIST, params).items


@pytest.mark.parametrize(
    ("stage", "days_after_last", "field", "words"),
    [
        ("scoping", -1, "on", "cannot be dated before it"),
        ("scoping", None, "on", "in the future"),
        ("identified", 1, "stage", "already at identified"),
        ("done", 1, "stage", "is not one of"),
    ],
)
def test_bad_moves_are_refused(
    session: Session, stage: str, days_after_last: int | None, field: str, words: str
) -> None:
    last = TODAY - timedelta(days=5)
    target = expansion.create_expansion_target(session, data=target_data(stage_on=last))
    on = TODAY + timedelta(days=1) if days_after_last is None else last + timedelta(days_after_last)
    error = refused(move, session=session, target=target, stage=stage, on=on)
    assert error.field == field and words in error.message


def test_archived_target_cannot_move(session: Session) -> None:
    target = expansion.create_expansion_target(session, data=target_data())
    records.archive(session, obj=target)
    assert (
        "archived"
        in refused(move, session=session, target=target, stage="scoping", on=TODAY).message
    )


def test_expansion_list_filters_and_overdue(session: Session) -> None:
    owner = make_user(session)
    late = expansion.create_expansion_target(
        session,
        data=target_data(
            country_code="VN",
            owner_id=str(owner.id),
            next_step_due=TODAY - timedelta(days=3),
            priority="low",
        ),
    )
    on_time = expansion.create_expansion_target(session, data=target_data(country_code="PE"))
    move(session, on_time, "scoping", TODAY)

    def countries(**args: str) -> list[str]:
        params = ListParams.from_args(lists.EXPANSION_LIST, args)
        return [t.country_code for t in run_list(session, lists.EXPANSION_LIST, params).items]

    assert countries(overdue="1") == ["VN"]
    assert countries(stage="scoping") == ["PE"]
    assert countries(owner=str(owner.id)) == ["VN"]
    assert countries(region="Asia") == ["VN"]
    assert countries(priority="low") == ["VN"]
    assert countries(sort="priority") == ["PE", "VN"]
    assert countries(sort="-stage") == ["PE", "VN"]
    assert countries(stage="bogus", owner="x", overdue="yes", page="abc") == ["PE", "VN"]
    params = ListParams.from_args(lists.EXPANSION_LIST, {"overdue": "1"})
    header, row = list(export_rows(session, lists.EXPANSION_LIST, params))
    assert row[header.index("Due")] == late.next_step_due  # the export keeps the plain date
    due = next(c for c in lists.EXPANSION_LIST.columns if c.key == "due")
    assert due.display is not None
    assert "badge text-bg-danger" in str(due.display(late))
    assert due.display(on_time) == on_time.next_step_due.isoformat()  # not highlighted


# --- countries -------------------------------------------------------------------------------


def test_country_list_filters_in_sql(session: Session) -> None:
    factories.hotline(session, country="KE", covers=["UG"], events=[(date(2020, 1, 1), P)])
    factories.expansion_target(
        session, country="TZ", stages=[(date(2021, 1, 1), ExpansionStage.SCOPING)]
    )
    rows = network_countries.country_coverage_list(
        session, on=TODAY, region="Africa", status="provisional"
    )
    assert [r.country_code for r in rows] == ["KE", "UG"]
    pipeline = network_countries.country_coverage_list(session, on=TODAY, status="pipeline")
    assert [r.country_code for r in pipeline] == ["TZ"]
    assert (
        len(
            network_countries.country_coverage_list(
                session, on=TODAY, region="Atlantis", status="x"
            )
        )
        == 250
    )


def test_country_overview(session: Session) -> None:
    home = factories.hotline(
        session, country="DK", covers=["GL"], name="Danish line", events=[(date(2001, 1, 15), F)]
    )
    applicant = factories.hotline(
        session, country="GL", name="Greenland line", events=[(date(2024, 1, 1), A)]
    )
    target = factories.expansion_target(
        session, country="GL", stages=[(date(2022, 1, 1), ExpansionStage.HOTLINE_SETUP)]
    )
    org = factories.organization(session, name="Nuuk Child Safety")
    org.hq_country_code = "GL"
    training = make_training(session, country="GL", hotline=home, participants=7)
    session.flush()
    overview = network_countries.country_overview(
        session, country=network_countries.get_country(session, "gl"), today=TODAY
    )
    assert overview["coverage"] == CoverageStatus.FULL
    assert overview["member_since"] == date(2001, 1, 15)
    assert overview["hotlines"] == [(applicant, A), (home, F)]  # based here first
    assert overview["target"] == target
    assert overview["target_stage"] == ExpansionStage.HOTLINE_SETUP
    assert [o.name for o in overview["organizations"]] == ["Nuuk Child Safety"]
    held = training_pages.trainings_in_country(session, "GL")
    assert [(t.id, n) for t, n in held] == [(training.id, 7)]


@pytest.mark.parametrize("code", ["ZZ", "xyz", "", "1"])
def test_unknown_country_code_is_not_found(session: Session, code: str) -> None:
    with pytest.raises(NotFound):
        network_countries.get_country(session, code)
