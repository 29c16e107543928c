"""Membership on a date and coverage as of a date, from the event history."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy.orm import Session

from coordapp.network.coverage import (
    CoverageStatus,
    coverage_as_of,
    coverage_summary,
    member_hotlines_covering,
)
from coordapp.network.membership import membership_status_on
from coordapp.network.models import ExpansionStage, MembershipStatus
from tests import factories

A, P, F, S, W = (
    MembershipStatus.APPLICANT,
    MembershipStatus.PROVISIONAL,
    MembershipStatus.FULL,
    MembershipStatus.SUSPENDED,
    MembershipStatus.WITHDRAWN,
)


def coverage_of(session: Session, on: date) -> dict[str, CoverageStatus]:
    return {c.country_code: c.status for c in coverage_as_of(session, on=on)}


def test_every_country_is_listed_once_with_none_by_default(session: Session) -> None:
    rows = coverage_as_of(session, on=date(2020, 1, 1))
    assert len(rows) == len({r.country_code for r in rows}) == 250
    assert {r.status for r in rows} == {CoverageStatus.NONE}


def test_event_dated_on_the_day_counts_that_day(session: Session) -> None:
    hotline = factories.hotline(
        session, country="AT", events=[(date(1999, 3, 1), A), (date(1999, 11, 30), F)]
    )
    assert membership_status_on(session, hotline_id=hotline.id, on=date(1999, 11, 29)) == A
    assert membership_status_on(session, hotline_id=hotline.id, on=date(1999, 11, 30)) == F
    assert coverage_of(session, date(1999, 11, 29))["AT"] == CoverageStatus.NONE
    assert coverage_of(session, date(1999, 11, 30))["AT"] == CoverageStatus.FULL


def test_no_status_before_the_first_event(session: Session) -> None:
    hotline = factories.hotline(session, country="BE", events=[(date(2001, 5, 1), A)])
    assert membership_status_on(session, hotline_id=hotline.id, on=date(2001, 4, 30)) is None


def test_suspension_uncovers_and_readmission_covers_again(session: Session) -> None:
    hotline = factories.hotline(
        session,
        country="HU",
        events=[
            (date(2005, 1, 1), A),
            (date(2005, 6, 1), P),
            (date(2007, 1, 1), F),
            (date(2012, 3, 1), S),
            (date(2013, 9, 1), F),
        ],
    )
    assert coverage_of(session, date(2005, 6, 1))["HU"] == CoverageStatus.PROVISIONAL
    assert coverage_of(session, date(2012, 2, 29))["HU"] == CoverageStatus.FULL
    assert membership_status_on(session, hotline_id=hotline.id, on=date(2012, 3, 1)) == S
    assert coverage_of(session, date(2012, 3, 1))["HU"] == CoverageStatus.NONE
    assert coverage_of(session, date(2013, 9, 1))["HU"] == CoverageStatus.FULL
    # "member since" is the first admission, not the re-admission.
    hu = next(c for c in coverage_as_of(session, on=date(2014, 1, 1)) if c.country_code == "HU")
    assert hu.member_since == date(2005, 6, 1)


def test_withdrawal_ends_coverage(session: Session) -> None:
    factories.hotline(
        session, country="RU", events=[(date(2008, 1, 1), P), (date(2016, 12, 31), W)]
    )
    assert coverage_of(session, date(2016, 12, 30))["RU"] == CoverageStatus.PROVISIONAL
    assert coverage_of(session, date(2016, 12, 31))["RU"] == CoverageStatus.NONE


def test_a_hotline_covering_several_countries_covers_each(session: Session) -> None:
    factories.hotline(
        session, country="GB", covers=["GI", "IM", "JE"], events=[(date(1999, 1, 1), F)]
    )
    covered = {
        code
        for code, s in coverage_of(session, date(2000, 1, 1)).items()
        if s == CoverageStatus.FULL
    }
    assert covered == {"GB", "GI", "IM", "JE"}
    assert coverage_summary(session, on=date(2000, 1, 1)).member_hotlines == 1


def test_two_hotlines_in_one_country_best_status_wins_and_both_count(session: Session) -> None:
    factories.hotline(session, country="DE", events=[(date(1999, 1, 1), F)])
    factories.hotline(session, country="DE", events=[(date(1999, 6, 1), P), (date(2003, 1, 1), W)])
    rows = {c.country_code: c for c in coverage_as_of(session, on=date(2000, 1, 1))}
    assert rows["DE"].status == CoverageStatus.FULL
    assert rows["DE"].hotline_count == 2
    summary = coverage_summary(session, on=date(2000, 1, 1))
    assert (summary.member_hotlines, summary.full_hotlines, summary.provisional_hotlines) == (
        2,
        1,
        1,
    )
    assert summary.countries_covered == 1
    after = {c.country_code: c for c in coverage_as_of(session, on=date(2003, 1, 1))}
    assert after["DE"].hotline_count == 1


def test_same_day_events_follow_the_lifecycle_not_entry_order(session: Session) -> None:
    # Entered admission first, then the application of the same day.
    hotline = factories.hotline(
        session, country="PT", events=[(date(2006, 4, 1), P), (date(2006, 4, 1), A)]
    )
    assert membership_status_on(session, hotline_id=hotline.id, on=date(2006, 4, 1)) == P


def test_applicants_do_not_cover(session: Session) -> None:
    factories.hotline(session, country="KE", events=[(date(2024, 2, 1), A)])
    assert coverage_of(session, date(2025, 1, 1))["KE"] == CoverageStatus.NONE


def test_pipeline_stage_as_of_date(session: Session) -> None:
    factories.expansion_target(
        session,
        country="NG",
        stages=[
            (date(2019, 1, 10), ExpansionStage.IDENTIFIED),
            (date(2020, 5, 1), ExpansionStage.SCOPING),
            (date(2022, 2, 1), ExpansionStage.STAKEHOLDER_ENGAGEMENT),
        ],
    )
    assert coverage_of(session, date(2019, 1, 9))["NG"] == CoverageStatus.NONE
    by_code = {c.country_code: c for c in coverage_as_of(session, on=date(2021, 1, 1))}
    assert by_code["NG"].status == CoverageStatus.PIPELINE
    assert by_code["NG"].pipeline_stage == ExpansionStage.SCOPING
    assert coverage_summary(session, on=date(2021, 1, 1)).countries_in_pipeline == 1


def test_coverage_beats_pipeline(session: Session) -> None:
    factories.expansion_target(
        session, country="CO", stages=[(date(2015, 1, 1), ExpansionStage.HOTLINE_SETUP)]
    )
    factories.hotline(session, country="CO", events=[(date(2018, 1, 1), P)])
    assert coverage_of(session, date(2017, 1, 1))["CO"] == CoverageStatus.PIPELINE
    assert coverage_of(session, date(2018, 1, 1))["CO"] == CoverageStatus.PROVISIONAL


def test_archived_hotlines_and_targets_do_not_count(session: Session) -> None:
    hotline = factories.hotline(session, country="FI", events=[(date(2002, 1, 1), F)])
    target = factories.expansion_target(
        session, country="EE", stages=[(date(2002, 1, 1), ExpansionStage.SCOPING)]
    )
    hotline.archived_at = target.archived_at = datetime(2024, 1, 1)
    session.flush()
    coverage = coverage_of(session, date(2003, 1, 1))
    assert (coverage["FI"], coverage["EE"]) == (CoverageStatus.NONE, CoverageStatus.NONE)
    assert coverage_summary(session, on=date(2003, 1, 1)).member_hotlines == 0


@pytest.mark.parametrize(("region", "expected"), [("Europe", {"NL"}), ("Asia", {"JP"})])
def test_region_filter(session: Session, region: str, expected: set[str]) -> None:
    factories.hotline(session, country="NL", events=[(date(1999, 1, 1), F)])
    factories.hotline(session, country="JP", events=[(date(2010, 1, 1), F)])
    rows = coverage_as_of(session, on=date(2011, 1, 1), region=region)
    assert {r.region for r in rows} == {region}
    assert {r.country_code for r in rows if r.status == CoverageStatus.FULL} == expected


def test_a_stage_moved_back_the_same_day_takes_the_later_entry(session: Session) -> None:
    factories.expansion_target(
        session,
        country="ID",
        stages=[
            (date(2021, 1, 11), ExpansionStage.STAKEHOLDER_ENGAGEMENT),
            (date(2021, 1, 11), ExpansionStage.SCOPING),
        ],
    )
    row = next(c for c in coverage_as_of(session, on=date(2021, 2, 1)) if c.country_code == "ID")
    assert row.pipeline_stage == ExpansionStage.SCOPING


def test_one_place_and_the_summary_read_in_one_statement_agree_with_the_whole_world(
    session: Session,
) -> None:
    """``coverage_as_of(country=...)`` (each hotline's status looked up through its events) is
    the world's row for that place, and ``coverage_summary`` in one statement (one ranking of
    the membership for places and hotlines) counts what the map's rows and members count."""
    factories.hotline(session, country="GB", covers=["GI", "IM"], events=[(date(1999, 1, 1), F)])
    factories.hotline(
        session,
        country="DE",
        events=[(date(2000, 3, 1), A), (date(2001, 1, 1), P), (date(2004, 1, 1), S)],
    )
    factories.hotline(session, country="DE", events=[(date(2002, 6, 1), F), (date(2002, 6, 1), W)])
    factories.hotline(
        session,
        country="KE",
        covers=["UG"],
        events=[(date(2003, 1, 1), P), (date(2005, 1, 1), F)],
        covered_from=date(2004, 1, 1),
        covered_until=date(2006, 1, 1),
    )
    factories.expansion_target(
        session, country="NG", stages=[(date(2002, 1, 1), ExpansionStage.SCOPING)]
    )
    places = ("GB", "GI", "DE", "KE", "UG", "NG", "FR")
    for on in (date(2000, 6, 1), date(2002, 6, 1), date(2004, 6, 1), date(2007, 1, 1)):
        world = {c.country_code: c for c in coverage_as_of(session, on=on)}
        for code in places:
            assert coverage_as_of(session, on=on, country=code) == [world[code]]
        members = member_hotlines_covering(session, on=on)
        for region in (None, "Europe", "Africa"):
            rows = coverage_as_of(session, on=on, region=region)
            summary = coverage_summary(session, on=on, region=region)
            assert summary == coverage_summary(
                session, on=on, region=region, rows=rows, members=members
            )
            assert summary == coverage_summary(session, on=on, region=region, rows=rows)
            assert summary == coverage_summary(session, on=on, region=region, members=members)
    # 2004-06: GB full (GI, IM its territories); KE provisional for KE and UG (spells from
    # 2004); the first DE hotline suspended, the second withdrawn the day it was admitted.
    mid = coverage_summary(session, on=date(2004, 6, 1))
    assert (mid.full_hotlines, mid.provisional_hotlines, mid.countries_covered) == (1, 1, 3)
    assert (mid.territories_covered, mid.countries_in_pipeline) == (2, 1)
    assert coverage_summary(session, on=date(2002, 6, 1)).member_hotlines == 2
