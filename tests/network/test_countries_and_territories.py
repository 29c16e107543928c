"""Countries covered (sovereign states) and territories covered, and dated coverage spells."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network import countries as network_countries
from coordapp.network import hotlines, membership
from coordapp.network.coverage import CoverageStatus, coverage_as_of, coverage_summary
from coordapp.network.models import HotlineCoverage, MembershipStatus
from coordapp.reference.models import Country
from tests import factories

A, P, F, W = (
    MembershipStatus.APPLICANT,
    MembershipStatus.PROVISIONAL,
    MembershipStatus.FULL,
    MembershipStatus.WITHDRAWN,
)


def status_on(session: Session, code: str, on: date) -> CoverageStatus:
    return next(c.status for c in coverage_as_of(session, on=on) if c.country_code == code)


def test_sovereign_states_are_un_members_observers_and_kosovo(session: Session) -> None:
    sovereign = set(session.scalars(sa.select(Country.alpha2).where(Country.is_sovereign)))
    assert len(sovereign) == 193 + 3
    assert {"VA", "PS", "XK", "DK", "GB", "GR", "NA", "AU"} <= sovereign
    assert not {"GL", "FO", "CX", "CC", "NF", "TW", "PR", "AQ"} & sovereign


def test_countries_covered_counts_states_and_territories_are_counted_apart(
    session: Session,
) -> None:
    factories.hotline(session, country="DK", covers=["GL", "FO"], events=[(date(2001, 1, 1), F)])
    factories.hotline(
        session, country="AU", covers=["CX", "CC", "NF"], events=[(date(2002, 1, 1), P)]
    )
    summary = coverage_summary(session, on=date(2003, 1, 1))
    assert (summary.countries_covered, summary.territories_covered) == (2, 5)
    assert (summary.countries_full, summary.countries_provisional) == (1, 1)
    # Drawn on the map all the same.
    assert status_on(session, "GL", date(2003, 1, 1)) == CoverageStatus.FULL
    europe = coverage_summary(session, on=date(2003, 1, 1), region="Europe")
    assert (europe.countries_covered, europe.territories_covered, europe.member_hotlines) == (
        1,
        1,
        1,
    )


def test_a_territory_whose_state_has_no_hotline_is_covered_as_a_territory(
    session: Session,
) -> None:
    # Christmas Island (Australia has no hotline here) takes reports through New Zealand's.
    factories.hotline(session, country="NZ", covers=["CX"], events=[(date(2010, 1, 1), F)])
    summary = coverage_summary(session, on=date(2010, 1, 1))
    assert (summary.countries_covered, summary.territories_covered) == (1, 1)
    assert status_on(session, "CX", date(2010, 1, 1)) == CoverageStatus.FULL
    assert status_on(session, "AU", date(2010, 1, 1)) == CoverageStatus.NONE


def test_spell_from_is_inclusive_and_until_exclusive(session: Session) -> None:
    factories.hotline(
        session,
        country="PT",
        events=[(date(2000, 1, 1), F)],
        covered_from=date(2005, 3, 1),
        covered_until=date(2008, 6, 1),
    )
    assert status_on(session, "PT", date(2005, 2, 28)) == CoverageStatus.NONE
    assert status_on(session, "PT", date(2005, 3, 1)) == CoverageStatus.FULL
    assert status_on(session, "PT", date(2008, 5, 31)) == CoverageStatus.FULL
    assert status_on(session, "PT", date(2008, 6, 1)) == CoverageStatus.NONE
    assert coverage_summary(session, on=date(2008, 6, 1)).countries_covered == 0
    # "Covered since" is the later of the admission and the start of the spell.
    pt = next(c for c in coverage_as_of(session, on=date(2006, 1, 1)) if c.country_code == "PT")
    assert pt.member_since == date(2005, 3, 1)


def test_joining_and_leaving_the_same_day_is_not_covered_that_day(session: Session) -> None:
    # The status-on-a-date rule ranks later lifecycle steps first: withdrawn that day.
    hotline = factories.hotline(
        session, country="LV", events=[(date(2011, 4, 1), P), (date(2011, 4, 1), W)]
    )
    assert membership.membership_status_on(session, hotline_id=hotline.id, on=date(2011, 4, 1)) == W
    assert status_on(session, "LV", date(2011, 4, 1)) == CoverageStatus.NONE
    assert coverage_summary(session, on=date(2011, 4, 1)).countries_covered == 0


def _data(hotline_name: str, home: str, covered: list[str]) -> dict[str, object]:
    return {"name": hotline_name, "country_code": home, "covered_countries": covered}


def test_removing_a_country_ends_its_spell_today_and_keeps_the_history(session: Session) -> None:
    today = date.today()
    hotline = factories.hotline(
        session, country="DK", covers=["GL"], events=[(date(2001, 1, 1), F)], name="Dansk"
    )
    hotlines.update_hotline(
        session, obj=hotline, data=_data("Dansk", "DK", []), expected_version=None
    )
    spells = session.scalars(
        sa.select(HotlineCoverage).where(HotlineCoverage.country_code == "GL")
    ).all()
    assert [(s.covered_from, s.covered_until) for s in spells] == [(None, today)]
    assert hotline.covered_codes == ["DK"]
    assert status_on(session, "GL", today - timedelta(days=1)) == CoverageStatus.FULL
    assert status_on(session, "GL", today) == CoverageStatus.NONE
    # Listed again the same day: the spell just closed reopens (no gap, one row).
    hotlines.update_hotline(
        session, obj=hotline, data=_data("Dansk", "DK", ["GL"]), expected_version=None
    )
    session.expire_all()
    spells = session.scalars(
        sa.select(HotlineCoverage).where(HotlineCoverage.country_code == "GL")
    ).all()
    assert [(s.covered_from, s.covered_until) for s in spells] == [(None, None)]
    assert status_on(session, "GL", today) == CoverageStatus.FULL


def test_readding_later_opens_a_new_spell_and_the_gap_stays_uncovered(session: Session) -> None:
    today = date.today()
    hotline = factories.hotline(
        session,
        country="DK",
        events=[(date(2001, 1, 1), F)],
        name="Dansk",
        covered_from=date(2001, 1, 1),
    )
    session.add(
        HotlineCoverage(
            hotline_id=hotline.id,
            country_code="FO",
            covered_from=date(2001, 1, 1),
            covered_until=date(2010, 1, 1),
        )
    )
    session.flush()
    session.expire(hotline)
    hotlines.update_hotline(
        session, obj=hotline, data=_data("Dansk", "DK", ["FO"]), expected_version=None
    )
    spells = session.scalars(
        sa.select(HotlineCoverage)
        .where(HotlineCoverage.country_code == "FO")
        .order_by(HotlineCoverage.id)
    ).all()
    assert [(s.covered_from, s.covered_until) for s in spells] == [
        (date(2001, 1, 1), date(2010, 1, 1)),
        (today, None),
    ]
    assert status_on(session, "FO", date(2012, 1, 1)) == CoverageStatus.NONE
    assert status_on(session, "FO", today) == CoverageStatus.FULL
    # The hotline page lists the current countries, with their start.
    current = hotlines.covered_spells(session, hotline=hotline)
    assert [(s.country_code, s.covered_from) for s in current] == [
        ("DK", date(2001, 1, 1)),
        ("FO", today),
    ]


def test_a_country_added_to_a_member_counts_from_today_only(session: Session) -> None:
    today = date.today()
    hotline = factories.hotline(
        session, country="SE", events=[(date(2004, 1, 1), F)], name="Svensk"
    )
    hotlines.update_hotline(
        session, obj=hotline, data=_data("Svensk", "SE", ["AX"]), expected_version=None
    )
    assert status_on(session, "AX", today - timedelta(days=1)) == CoverageStatus.NONE
    assert status_on(session, "AX", today) == CoverageStatus.FULL
    assert coverage_summary(session, on=today).territories_covered == 1


def test_countries_of_a_hotline_not_yet_admitted_count_from_its_admission(
    session: Session,
) -> None:
    hotline = hotlines.create_hotline(
        session, data=_data("Eesti Line", "EE", ["LV"]) | {"country_code": "EE"}
    )
    membership.add_membership_event(
        session, hotline=hotline, on=date(2015, 1, 1), status=A, note=None
    )
    hotlines.update_hotline(
        session,
        obj=hotline,
        data=_data("Eesti Line", "EE", ["LV", "LT"]),
        expected_version=None,
    )
    # Admitted later, dated in the past: all three count from the admission.
    membership.add_membership_event(
        session, hotline=hotline, on=date(2016, 6, 1), status=P, note=None
    )
    covered = {
        c.country_code
        for c in coverage_as_of(session, on=date(2016, 6, 1))
        if c.status == CoverageStatus.PROVISIONAL
    }
    assert covered == {"EE", "LV", "LT"}
    assert status_on(session, "LT", date(2016, 5, 31)) == CoverageStatus.NONE


def test_the_country_list_filters_reproduce_the_two_figures(session: Session) -> None:
    factories.hotline(session, country="DK", covers=["GL", "FO"], events=[(date(2001, 1, 1), F)])
    factories.hotline(session, country="NZ", covers=["CX"], events=[(date(2001, 1, 1), P)])
    on = date(2002, 1, 1)
    summary = coverage_summary(session, on=on)
    countries = network_countries.country_coverage_list(
        session, on=on, status="covered", kind="country"
    )
    territories = network_countries.country_coverage_list(
        session, on=on, status="covered", kind="territory"
    )
    assert [c.country_code for c in countries] == ["DK", "NZ"]
    assert len(countries) == summary.countries_covered
    assert {c.country_code for c in territories} == {"GL", "FO", "CX"}
    assert len(territories) == summary.territories_covered
