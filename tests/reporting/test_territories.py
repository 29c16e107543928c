"""The dashboards' coverage figures: countries covered (sovereign states) and territories
covered, from ``network.coverage_summary``, on dated coverage spells."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from coordapp.network.coverage import CoverageStatus, coverage_summary
from coordapp.network.models import MembershipStatus
from coordapp.pillars.models import PillarIndicator
from coordapp.reporting import coverage as coverage_report
from coordapp.reporting import growth as growth_report
from coordapp.reporting import pillars as pillar_report
from tests import factories
from tests.reporting import builders

F, P, W = MembershipStatus.FULL, MembershipStatus.PROVISIONAL, MembershipStatus.WITHDRAWN
TODAY = date(2026, 6, 30)


def _arrange(session: Session) -> None:
    # Denmark with Greenland and the Faroes since 2001; New Zealand takes Christmas Island's
    # reports from 2004 (Australia has no hotline); Portugal's own spell ends on 1 Jan 2005.
    factories.hotline(session, country="DK", covers=["GL", "FO"], events=[(date(2001, 1, 1), F)])
    factories.hotline(session, country="NZ", events=[(date(2003, 1, 1), P)])
    factories.hotline(
        session,
        country="NZ",
        covers=["CX"],
        events=[(date(2003, 1, 1), P)],
        covered_from=date(2004, 1, 1),
    )
    factories.hotline(
        session, country="PT", events=[(date(2000, 1, 1), F)], covered_until=date(2005, 1, 1)
    )


def test_growth_counts_states_and_territories_apart_on_each_year_end(session: Session) -> None:
    _arrange(session)
    growth = {
        p.year: p for p in growth_report.network_growth(session, today=TODAY, first_year=2000)
    }
    assert (growth[2000].countries_covered, growth[2000].territories_covered) == (1, 0)
    assert (growth[2003].countries_covered, growth[2003].territories_covered) == (3, 2)
    assert (growth[2004].countries_covered, growth[2004].territories_covered) == (3, 3)
    assert (growth[2005].countries_covered, growth[2005].territories_covered) == (2, 3)
    # The replay is the summary of each of those days.
    for point in growth.values():
        summary = coverage_summary(session, on=point.on)
        assert (point.countries_covered, point.territories_covered) == (
            summary.countries_covered,
            summary.territories_covered,
        ), point.year


def test_coverage_map_draws_territories_and_counts_them_apart(session: Session) -> None:
    _arrange(session)
    on = date(2004, 12, 31)
    data = coverage_report.coverage_map(session, on=on)
    drawn = {c.code for c in data.countries if c.status != CoverageStatus.NONE}
    assert drawn == {"DK", "GL", "FO", "NZ", "CX", "PT"}
    assert data.summary == coverage_summary(session, on=on)
    assert (data.countries_covered, data.territories_covered) == (3, 3)
    cx = next(c for c in data.countries if c.code == "CX")
    assert not cx.is_sovereign and len(cx.hotlines) == 1
    # A spell that has ended no longer names its hotline on the map or in the panel.
    later = coverage_report.coverage_map(session, on=date(2005, 1, 1))
    assert next(c for c in later.countries if c.code == "PT").hotlines == ()
    panel = coverage_report.country_panel(session, code="PT", on=date(2005, 1, 1))
    assert panel is not None
    assert panel.status == CoverageStatus.NONE and panel.hotlines == ()
    europe = coverage_report.coverage_map(session, on=on, region="Europe")
    # Greenland is in the Americas (UN M49), the Faroes in Europe.
    assert (europe.countries_covered, europe.territories_covered) == (2, 1)


def test_overview_and_pillar_indicator_use_the_same_definition(session: Session) -> None:
    _arrange(session)
    summary = coverage_summary(session, on=TODAY)
    kpis = {k.key: k for k in growth_report.overview(session, today=TODAY).kpis}
    assert kpis["countries_covered"].label == "Countries covered"
    assert kpis["countries_covered"].value == summary.countries_covered == 2
    assert kpis["territories_covered"].label == "Territories covered"
    assert kpis["territories_covered"].value == summary.territories_covered == 3
    target = builders.target(
        session,
        pillar_code="network_expansion",
        year=2025,
        indicator=PillarIndicator.COUNTRIES_COVERED,
        value="3",
    )
    actual, _ = pillar_report.indicator_actual(
        session,
        indicator=PillarIndicator.COUNTRIES_COVERED,
        pillar_id=target.pillar_id,
        year=2025,
        today=TODAY,
    )
    assert actual == coverage_summary(session, on=date(2025, 12, 31)).countries_covered == 2
