"""The board pack's figures are the reporting and network services' figures for the year."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from coordapp.boardpack import service, workbook
from coordapp.network import coverage as network_coverage
from coordapp.network.models import ExpansionStage, MembershipStatus
from coordapp.reporting import activity as activity_report
from coordapp.reporting import funding as funding_report
from coordapp.reporting import pillars as pillar_report
from coordapp.reporting import training as training_report
from tests import factories
from tests._demo import load_demo_cached

TODAY = date(2026, 11, 26)


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo_cached(session, today=TODAY)
    return session


@pytest.mark.parametrize("year", [2025, 2026])
def test_figures_equal_the_services_for_the_same_year(demo: Session, year: int) -> None:
    pack = service.board_pack(demo, year=year, today=TODAY)
    end = min(date(year, 12, 31), TODAY)
    assert pack.measured_on == end and pack.previous_on == date(year - 1, 12, 31)
    assert pack.coverage == network_coverage.coverage_summary(demo, on=end)
    assert pack.coverage_before == network_coverage.coverage_summary(
        demo, on=date(year - 1, 12, 31)
    )
    funding = funding_report.funding_figures(demo, first_year=year, last_year=year, currency="EUR")
    assert pack.funding == funding
    assert pack.funding_total.pledged == funding.by_year[0].pledged
    assert {(f.pillar, f.pledged, f.received) for f in pack.funding_by_pillar} == {
        (f.pillar, f.pledged, f.received) for f in funding.by_pillar if f.year == year
    }
    assert pack.rates_note == funding.rates.note and "EUR" in pack.rates_note
    training = training_report.training_figures(demo, first_year=year, last_year=year)
    assert pack.training == training
    assert pack.training_participants == sum(t.participants for t in training.by_kind)
    assert pack.pillars == pillar_report.pillar_progress(demo, year=year, today=TODAY)
    assert pack.metrics == activity_report.metrics(demo)
    assert all(f"{m.code} v{m.version}" in pack.metric_versions for m in pack.metrics)


def test_new_and_lapsed_hotlines_are_the_years_membership_events(session: Session) -> None:
    P, F, A, W = (
        MembershipStatus.PROVISIONAL,
        MembershipStatus.FULL,
        MembershipStatus.APPLICANT,
        MembershipStatus.WITHDRAWN,
    )
    factories.hotline(
        session,
        country="KE",
        name="New In Year",
        events=[(date(2024, 6, 1), A), (date(2025, 3, 1), P)],
    )
    factories.hotline(
        session,
        country="UG",
        name="Member Before",
        events=[(date(2019, 1, 1), F), (date(2025, 4, 2), F)],
    )
    factories.hotline(
        session,
        country="TZ",
        name="Withdrew",
        events=[(date(2010, 1, 1), F), (date(2025, 9, 30), W)],
    )
    factories.hotline(session, country="RW", name="Next Year", events=[(date(2026, 1, 1), P)])
    pack = service.board_pack(session, year=2025, today=TODAY)
    assert [(h.name, h.on, h.status) for h in pack.new_hotlines] == [
        ("New In Year", date(2025, 3, 1), P)
    ]
    assert [(h.name, h.on) for h in pack.lapsed_hotlines] == [("Withdrew", date(2025, 9, 30))]
    assert pack.coverage.member_hotlines - pack.coverage_before.member_hotlines == 0  # +1 -1


def test_pipeline_is_each_targets_stage_at_year_end(session: Session) -> None:
    factories.expansion_target(
        session,
        country="GH",
        stages=[
            (date(2025, 2, 1), ExpansionStage.IDENTIFIED),
            (date(2026, 2, 1), ExpansionStage.SCOPING),
        ],
    )
    factories.expansion_target(
        session, country="NG", stages=[(date(2026, 3, 1), ExpansionStage.IDENTIFIED)]
    )
    assert [
        (e.country_code, e.stage)
        for e in service.board_pack(session, year=2025, today=TODAY).pipeline
    ] == [("GH", ExpansionStage.IDENTIFIED)]
    current = service.board_pack(session, year=2026, today=TODAY)
    assert [(e.country_code, e.stage) for e in current.pipeline] == [
        ("GH", ExpansionStage.SCOPING),
        ("NG", ExpansionStage.IDENTIFIED),
    ]
    assert current.pipeline_by_stage() == (
        (ExpansionStage.IDENTIFIED, 1),
        (ExpansionStage.SCOPING, 1),
    )


def test_pipeline_table_leaves_out_members_and_flags_stalled_stages(session: Session) -> None:
    factories.expansion_target(
        session,
        country="KE",
        stages=[
            (date(2022, 10, 3), ExpansionStage.APPLICANT),
            (date(2025, 5, 20), ExpansionStage.MEMBER),
        ],
    )
    factories.expansion_target(
        session, country="GH", stages=[(date(2024, 12, 2), ExpansionStage.HOTLINE_SETUP)]
    )
    last_year = service.board_pack(session, year=2024, today=TODAY)
    assert [e.country_code for e in last_year.pipeline] == ["KE", "GH"]
    pack = service.board_pack(session, year=2025, today=TODAY)
    assert [(e.country_code, e.stage_since, e.stalled) for e in pack.pipeline] == [
        ("GH", date(2024, 12, 2), True)  # open 13 months on 31 Dec 2025
    ]
    assert pack.coverage.countries_in_pipeline == len(pack.pipeline) == 1
    assert pack.coverage_before.countries_in_pipeline == len(last_year.pipeline) == 2
    (table,) = [t for t in workbook.tables(pack, viewer_can_see_exact=True) if t[0] == "Pipeline"]
    assert table[1][3:5] == ["Stage entered", "Stage open over 12 months"]
    assert table[2] == [["Ghana", "GH", "Hotline set-up", date(2024, 12, 2), "yes", "Medium", None]]


def test_figures_on_the_demo_count_the_pipeline_the_pipeline_table_lists(demo: Session) -> None:
    for year in (2024, 2025, 2026):
        pack = service.board_pack(demo, year=year, today=TODAY)
        assert len(pack.pipeline) == pack.coverage.countries_in_pipeline
        assert "KE" not in {e.country_code for e in pack.pipeline}  # a member since May 2024


@pytest.mark.parametrize(
    ("raw", "year", "has_message"),
    [
        (None, 2025, False),
        ("", 2025, False),
        ("2019", 2019, False),
        (" 2026 ", 2026, False),
        ("abc", 2025, True),
        ("1800", 2025, True),
        ("2027", 2025, True),
        ("99999999999999999999", 2025, True),
        ("-2020", 2025, True),
        ("2020.5", 2025, True),
    ],
)
def test_choose_year(raw: str | None, year: int, has_message: bool) -> None:
    choice = service.choose_year(raw, today=TODAY)
    assert choice.year == year
    assert (choice.message is not None) is has_message
