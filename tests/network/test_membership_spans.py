"""The membership spans kept current on write (``hotline_membership_spans``) give the status and
first admission of the rule computed from the events (``status_from_events``), on every day,
after every kind of write: the service functions, an edit through the unit of work, an import's
batch insert, a statement on the events, a rolled back savepoint."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network import membership
from coordapp.network.coverage import coverage_summary
from coordapp.network.models import (
    COVERING_STATUSES,
    Hotline,
    HotlineMembershipEvent,
    HotlineMembershipSpan,
    MembershipStatus,
)
from coordapp.reporting.growth import network_growth
from tests import factories
from tests.imports.test_service import csv_bytes, run
from tests.network.test_coverage import A, F, P, S, W


def _events(session: Session) -> dict[int, list[HotlineMembershipEvent]]:
    found: dict[int, list[HotlineMembershipEvent]] = {}
    for hotline_id in session.scalars(sa.select(Hotline.id)):
        found[hotline_id] = []
    for event in session.scalars(sa.select(HotlineMembershipEvent)):
        found[event.hotline_id].append(event)
    return found


def _pairs(result: Iterable[Any]) -> dict[Any, Any]:
    return {key: value for key, value in result}


def _probe_days(events: Iterable[HotlineMembershipEvent]) -> list[date]:
    """Before, on and after every event's day, and long before and after them all."""
    days = {date(1990, 1, 1), date.today()}
    for event in events:
        days.update(event.event_date + timedelta(days=d) for d in (-1, 0, 1))
    return sorted(days)


def _stored(session: Session) -> list[tuple[Any, ...]]:
    span = HotlineMembershipSpan
    return sorted(
        map(
            tuple,
            session.execute(
                sa.select(span.hotline_id, span.starts_on, span.ends_on, span.status)
            ).all(),
        )
    )


def assert_spans_follow_events(session: Session) -> None:
    """On every probe day, each way the SQL reads the spans equals the rule over the events;
    and the spans kept write by write equal spans built afresh."""
    session.expire_all()
    by_hotline = _events(session)
    days = _probe_days(e for events in by_hotline.values() for e in events)
    for on in days:
        expected = {
            hotline_id: membership.status_from_events(events, on=on)
            for hotline_id, events in by_hotline.items()
        }
        admitted = {
            hotline_id: membership.first_admitted_from_events(events, on=on)
            for hotline_id, events in by_hotline.items()
        }
        whole = membership.membership_on_subquery(on)
        read = _pairs(session.execute(sa.select(whole.c.hotline_id, whole.c.status)))
        assert read == {h: s.value for h, s in expected.items() if s is not None}, on
        per_hotline = _pairs(
            session.execute(sa.select(Hotline.id, membership.membership_status_of(Hotline.id, on)))
        )
        assert per_hotline == {h: s.value if s else None for h, s in expected.items()}, on
        first = membership.first_admitted_subquery(on)
        read_first = _pairs(session.execute(sa.select(first.c.hotline_id, first.c.since)))
        assert read_first == {h: d for h, d in admitted.items() if d is not None}, on
        first_of = _pairs(
            session.execute(sa.select(Hotline.id, membership.first_admitted_of(Hotline.id, on)))
        )
        assert first_of == admitted, on
        spans = membership.membership_spans()
        from_spans = _pairs(
            session.execute(
                sa.select(spans.c.hotline_id, spans.c.status).where(
                    membership.span_holds(spans, on)
                )
            )
        )
        assert from_spans == read, on
        for hotline_id, status in expected.items():
            assert membership.membership_status_on(session, hotline_id=hotline_id, on=on) == status
    kept = _stored(session)
    membership.rebuild(session)
    assert _stored(session) == kept


def _add(session: Session, hotline: Hotline, on: date, status: MembershipStatus) -> None:
    membership.add_membership_event(session, hotline=hotline, on=on, status=status, note=None)


def _status(session: Session, hotline: Hotline, on: date) -> MembershipStatus | None:
    return membership.membership_status_on(session, hotline_id=hotline.id, on=on)


def test_events_added_in_any_order_move_the_status_on_every_day(session: Session) -> None:
    hotline = factories.hotline(session, country="BE")
    assert _status(session, hotline, date(2024, 1, 1)) is None
    _add(session, hotline, date(2020, 3, 1), A)
    _add(session, hotline, date(2022, 6, 1), F)
    _add(session, hotline, date(2021, 5, 10), P)  # entered after a later event
    assert _status(session, hotline, date(2020, 2, 29)) is None
    assert _status(session, hotline, date(2020, 3, 1)) == A
    assert _status(session, hotline, date(2021, 5, 9)) == A
    assert _status(session, hotline, date(2021, 5, 10)) == P
    assert _status(session, hotline, date(2022, 5, 31)) == P
    assert _status(session, hotline, date(2022, 6, 1)) == F
    assert _status(session, hotline, date.today()) == F
    assert_spans_follow_events(session)


def test_same_day_events_the_later_lifecycle_step_wins(session: Session) -> None:
    founding = factories.hotline(session, country="NL")
    _add(session, founding, date(2019, 4, 1), P)
    _add(session, founding, date(2019, 4, 1), A)  # entered after the admission, same day
    assert _status(session, founding, date(2019, 4, 1)) == P
    # Admitted and suspended the same day: suspended that day, admitted on it too.
    shaky = factories.hotline(session, country="DE")
    _add(session, shaky, date(2018, 1, 1), A)
    _add(session, shaky, date(2023, 2, 1), P)
    _add(session, shaky, date(2023, 2, 1), S)
    assert _status(session, shaky, date(2023, 2, 1)) == S
    assert membership.membership_status_on(session, hotline_id=shaky.id, on=date(2023, 1, 31)) == A
    first = _pairs(
        session.execute(
            sa.select(Hotline.id, membership.first_admitted_of(Hotline.id, date(2023, 2, 1)))
        )
    )
    assert first[shaky.id] == date(2023, 2, 1)
    assert_spans_follow_events(session)


def test_withdrawn_suspended_and_reapplied(session: Session) -> None:
    hotline = factories.hotline(session, country="FR")
    for on, status in [
        (date(2010, 1, 1), A),
        (date(2011, 1, 1), F),
        (date(2015, 7, 1), S),
        (date(2016, 7, 1), F),
        (date(2018, 1, 1), W),
        (date(2021, 1, 1), A),
        (date(2022, 1, 1), P),
    ]:
        _add(session, hotline, on, status)
    assert _status(session, hotline, date(2015, 6, 30)) == F
    assert _status(session, hotline, date(2016, 1, 1)) == S
    assert _status(session, hotline, date(2019, 1, 1)) == W
    assert _status(session, hotline, date(2021, 6, 1)) == A
    assert _status(session, hotline, date(2022, 1, 1)) == P
    # The first admission stays the first, through the withdrawal.
    first = membership.first_admitted_subquery(date(2022, 1, 1))
    assert session.execute(
        sa.select(first.c.since).where(first.c.hotline_id == hotline.id)
    ).scalar_one() == date(2011, 1, 1)
    assert_spans_follow_events(session)


def test_removed_and_edited_events(session: Session) -> None:
    hotline = factories.hotline(session, country="IT")
    for on, status in [(date(2012, 1, 1), A), (date(2013, 1, 1), P), (date(2014, 1, 1), F)]:
        _add(session, hotline, on, status)
    full = session.scalars(
        sa.select(HotlineMembershipEvent).where(
            HotlineMembershipEvent.hotline_id == hotline.id, HotlineMembershipEvent.status == F
        )
    ).one()
    membership.remove_membership_event(session, event=full)
    assert _status(session, hotline, date(2020, 1, 1)) == P
    assert_spans_follow_events(session)

    # An edit through the unit of work (any form that changes an event's day or status).
    provisional = session.scalars(
        sa.select(HotlineMembershipEvent).where(
            HotlineMembershipEvent.hotline_id == hotline.id, HotlineMembershipEvent.status == P
        )
    ).one()
    provisional.event_date = date(2016, 5, 1)
    session.flush()
    assert _status(session, hotline, date(2015, 1, 1)) == A
    assert _status(session, hotline, date(2016, 5, 1)) == P
    assert_spans_follow_events(session)

    # An event moved to another hotline leaves the first one's spans too.
    other = factories.hotline(session, country="ES")
    provisional.hotline_id = other.id
    session.flush()
    assert _status(session, hotline, date(2020, 1, 1)) == A
    assert _status(session, other, date(2020, 1, 1)) == P
    assert_spans_follow_events(session)


def test_statements_on_the_events_and_a_rolled_back_savepoint(session: Session) -> None:
    one = factories.hotline(session, country="PT", events=[(date(2015, 1, 1), A)])
    two = factories.hotline(session, country="GR", events=[(date(2016, 1, 1), A)])
    # A statement that names no rows: every span is computed again.
    session.execute(
        sa.update(HotlineMembershipEvent)
        .where(HotlineMembershipEvent.hotline_id == one.id)
        .values(event_date=date(2014, 1, 1))
    )
    assert _status(session, one, date(2014, 6, 1)) == A
    # A batch insert names its rows.
    session.execute(
        sa.insert(HotlineMembershipEvent),
        [
            {"hotline_id": two.id, "event_date": date(2017, 1, 1), "status": "provisional"},
            {"hotline_id": one.id, "event_date": date(2017, 1, 1), "status": "full"},
        ],
    )
    assert _status(session, two, date(2017, 1, 1)) == P
    assert _status(session, one, date(2017, 1, 1)) == F
    assert_spans_follow_events(session)

    with session.begin_nested() as savepoint:
        _add(session, one, date(2019, 1, 1), W)
        assert _status(session, one, date(2019, 1, 1)) == W
        savepoint.rollback()
    assert _status(session, one, date(2019, 1, 1)) == F
    assert_spans_follow_events(session)

    session.execute(sa.delete(HotlineMembershipEvent).where(HotlineMembershipEvent.id > 0))
    assert _stored(session) == []


def test_a_hotline_import_keeps_the_spans(session: Session) -> None:
    lines = (
        "name,country,membership",
        "Line Uno,IT,2019-05-01 applicant | 2020-06-01 provisional | 2020-06-01 full member",
        "Line Dos,ES,2021-03-01 applicant",
    )
    report = run(session, csv_bytes(*lines), type_name="hotlines", apply=True)
    assert report.applied, report.errors
    uno = session.scalars(sa.select(Hotline).where(Hotline.name == "Line Uno")).one()
    assert _status(session, uno, date(2020, 6, 1)) == F
    assert _status(session, uno, date(2020, 5, 31)) == A
    again = run(
        session,
        csv_bytes("name,country,membership", "Line Dos,ES,2022-04-01 provisional"),
        type_name="hotlines",
        apply=True,
    )
    assert again.applied, again.errors
    dos = session.scalars(sa.select(Hotline).where(Hotline.name == "Line Dos")).one()
    assert _status(session, dos, date(2022, 4, 1)) == P
    assert_spans_follow_events(session)


def test_growth_counts_follow_the_rule_on_every_year_end(session: Session) -> None:
    histories = [
        [(date(2001, 1, 1), A), (date(2002, 3, 1), P), (date(2005, 1, 1), F)],
        [(date(2003, 1, 1), P), (date(2003, 12, 31), S), (date(2004, 1, 1), F)],
        [(date(2002, 1, 1), A), (date(2002, 12, 31), F), (date(2006, 12, 31), W)],
    ]
    for history in histories:
        factories.hotline(session, country="BE", events=history)
    today = date(2008, 6, 30)
    points = network_growth(session, today=today, first_year=2000)
    by_hotline = _events(session)
    for point in points:
        statuses = [membership.status_from_events(e, on=point.on) for e in by_hotline.values()]
        assert point.member_hotlines == sum(s in COVERING_STATUSES for s in statuses)
        assert point.full_hotlines == sum(s == F for s in statuses)
    assert [p.member_hotlines for p in points] == [0, 0, 2, 2, 3, 3, 2, 2, 2]


def test_growth_equals_the_coverage_summary_on_each_year_end(session: Session) -> None:
    """The growth chart's one statement gives the map's figures on every year end and today,
    with spells that start and end between them, a territory, and events after ``today``."""
    factories.hotline(
        session,
        country="BE",
        covers=["LU", "GL"],
        events=[(date(2001, 1, 1), A), (date(2002, 3, 1), P), (date(2005, 1, 1), F)],
        covered_from=date(2003, 12, 31),
        covered_until=date(2006, 6, 1),
    )
    factories.hotline(
        session,
        country="LU",
        events=[(date(2003, 1, 1), P), (date(2004, 5, 1), S), (date(2005, 2, 1), F)],
    )
    factories.hotline(
        session,
        country="DK",
        covers=["GL"],
        events=[(date(2002, 1, 1), F), (date(2007, 12, 31), W), (date(2009, 1, 1), A)],
        covered_from=date(2004, 1, 1),
    )
    factories.hotline(session, country="SE", events=[(date(2004, 1, 1), A), (date(2008, 9, 1), P)])
    today = date(2008, 6, 30)  # before some events
    points = network_growth(session, today=today, first_year=2000)
    assert [p.on for p in points][-2:] == [date(2007, 12, 31), today]
    for point in points:
        summary = coverage_summary(session, on=point.on)
        assert (
            point.member_hotlines,
            point.full_hotlines,
            point.countries_covered,
            point.territories_covered,
        ) == (
            summary.member_hotlines,
            summary.full_hotlines,
            summary.countries_covered,
            summary.territories_covered,
        ), point.on
    assert {p.countries_covered for p in points} > {0}
    assert {p.territories_covered for p in points} > {0}
