"""The expansion pipeline on a date (one definition, one count) and its stalled stages."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.boardpack import service as boardpack
from coordapp.main import attention as main_service
from coordapp.network import coverage as network_coverage
from coordapp.network import pipeline as network_pipeline
from coordapp.network.coverage import CoverageStatus
from coordapp.network.models import ExpansionStage, MembershipStatus
from coordapp.reporting import coverage as coverage_report
from coordapp.reporting import growth as growth_report
from tests import factories
from tests._demo import load_demo_cached

InApp = Callable[[], AbstractContextManager[Session]]
F = MembershipStatus.FULL
ID, SCOPING, SETUP, APPLICANT, MEMBER = (
    ExpansionStage.IDENTIFIED,
    ExpansionStage.SCOPING,
    ExpansionStage.HOTLINE_SETUP,
    ExpansionStage.APPLICANT,
    ExpansionStage.MEMBER,
)


def pipeline_codes(session: Session, on: date) -> set[str]:
    return {t.country_code for t in network_pipeline.pipeline_targets(session, on=on)}


def map_pipeline(session: Session, on: date) -> set[str]:
    return {
        c.country_code
        for c in network_coverage.coverage_as_of(session, on=on)
        if c.status is CoverageStatus.PIPELINE
    }


def assert_one_answer(session: Session, on: date, expected: set[str]) -> None:
    """The count, the list, the map's colours and the headline summary agree."""
    assert pipeline_codes(session, on) == expected
    assert map_pipeline(session, on) == expected
    assert network_pipeline.countries_in_pipeline(session, on=on) == len(expected)
    assert network_coverage.coverage_summary(session, on=on).countries_in_pipeline == len(expected)


def test_a_target_that_becomes_a_member_mid_year_leaves_the_pipeline_that_day(
    session: Session,
) -> None:
    factories.expansion_target(
        session,
        country="GH",
        stages=[(date(2024, 1, 8), ID), (date(2025, 3, 3), APPLICANT), (date(2026, 5, 4), MEMBER)],
    )
    assert_one_answer(session, date(2026, 5, 3), {"GH"})
    assert_one_answer(session, date(2026, 5, 4), set())
    assert_one_answer(session, date(2026, 12, 31), set())
    # Reaching "member" is not coverage: without a member hotline Ghana is simply uncovered.
    assert {
        c.country_code: c.status
        for c in network_coverage.coverage_as_of(session, on=date(2026, 6, 1))
    }["GH"] is CoverageStatus.NONE


def test_a_country_covered_by_a_member_hotline_is_not_in_the_pipeline(session: Session) -> None:
    # Kenya's hotline accepts reports for Uganda from 2022; Uganda's own target is at set-up.
    factories.expansion_target(session, country="UG", stages=[(date(2020, 1, 6), SETUP)])
    factories.hotline(session, country="KE", covers=["UG"], events=[(date(2022, 3, 1), F)])
    assert_one_answer(session, date(2022, 2, 28), {"UG"})
    assert_one_answer(session, date(2022, 3, 1), set())


def test_archived_targets_and_targets_not_started_yet_are_not_in_the_pipeline(
    session: Session,
) -> None:
    archived = factories.expansion_target(session, country="SN", stages=[(date(2020, 1, 6), ID)])
    archived.archived_at = datetime(2025, 1, 1)
    factories.expansion_target(session, country="TZ", stages=[(date(2026, 2, 2), SCOPING)])
    session.flush()
    assert_one_answer(session, date(2026, 2, 1), set())
    assert_one_answer(session, date(2026, 2, 2), {"TZ"})


# --- stalled stages: open longer than 12 months ----------------------------------------------


def test_the_cutoff_is_the_same_day_twelve_months_earlier() -> None:
    assert network_pipeline.stalled_cutoff(date(2026, 11, 26)) == date(2025, 11, 26)
    assert network_pipeline.stalled_cutoff(date(2028, 2, 29)) == date(2027, 2, 28)
    assert network_pipeline.whole_months_between(date(2025, 11, 26), date(2026, 11, 26)) == 12
    assert network_pipeline.whole_months_between(date(2025, 11, 27), date(2026, 11, 26)) == 11
    assert network_pipeline.whole_months_between(date(2026, 1, 31), date(2026, 2, 28)) == 0
    assert network_pipeline.whole_months_between(date(2026, 1, 28), date(2026, 2, 28)) == 1


def test_a_stage_entered_exactly_twelve_months_ago_is_not_stalled(session: Session) -> None:
    on = date(2026, 11, 26)
    factories.expansion_target(session, country="GH", stages=[(date(2025, 11, 26), SCOPING)])
    factories.expansion_target(session, country="SN", stages=[(date(2025, 11, 25), SCOPING)])
    # A long history does not matter once the target has moved on.
    factories.expansion_target(
        session, country="TZ", stages=[(date(2015, 1, 5), ID), (date(2026, 6, 1), SCOPING)]
    )
    # A member target's stage is not a pipeline stage.
    factories.expansion_target(session, country="CM", stages=[(date(2020, 1, 6), MEMBER)])
    by_code = {t.country_code: t for t in network_pipeline.pipeline_targets(session, on=on)}
    assert {code for code, t in by_code.items() if t.stalled} == {"SN"}
    assert [t.country_code for t in network_pipeline.stalled_stages(session, on=on)] == ["SN"]
    # Both read "12 months" (whole months); only the one open a day longer is over the benchmark.
    assert by_code["GH"].months_in_stage == by_code["SN"].months_in_stage == 12


def test_stage_durations_come_from_the_current_stage(session: Session) -> None:
    factories.expansion_target(
        session, country="GH", stages=[(date(2019, 1, 7), ID), (date(2024, 9, 2), SETUP)]
    )
    (target,) = network_pipeline.pipeline_targets(session, on=date(2026, 3, 2))
    assert (target.stage, target.stage_since, target.months_in_stage) == (
        SETUP,
        date(2024, 9, 2),
        18,
    )
    assert target.stalled


# --- the pipeline list page ------------------------------------------------------------------


def test_the_list_shows_the_pipeline_by_default_and_counts_its_rows(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    today = date.today()
    with in_app() as s:
        factories.expansion_target(
            s, country="GH", stages=[(date(2018, 1, 8), ID), (date(2019, 1, 7), SCOPING)]
        )
        factories.expansion_target(s, country="SN", stages=[(today, ID)])
        factories.expansion_target(
            s, country="KE", stages=[(date(2018, 1, 8), APPLICANT), (date(2020, 1, 6), MEMBER)]
        )
        in_pipeline = network_pipeline.countries_in_pipeline(s, on=today)
    assert in_pipeline == 2
    client = signed_in("viewer")
    html = client.get("/expansion/").get_data(as_text=True)
    assert f"{in_pipeline} in all" in html
    assert "Ghana" in html and "Senegal" in html and "Kenya" not in html
    assert html.count('data-stalled="1"') == 1  # Ghana: scoping since 2019
    everything = client.get("/expansion/?pipeline=all").get_data(as_text=True)
    assert "3 in all" in everything and "left the pipeline" in everything
    left = client.get("/expansion/?pipeline=left").get_data(as_text=True)
    assert "1 in all" in left and "Kenya" in left and "Ghana" not in left
    stalled = client.get("/expansion/?stalled=1").get_data(as_text=True)
    assert "1 in all" in stalled and "Ghana" in stalled and "Senegal" not in stalled
    # A value that is not a choice falls back to the pipeline, not to everything.
    assert "2 in all" in client.get("/expansion/?pipeline=bogus").get_data(as_text=True)
    csv = client.get("/expansion/?format=csv").get_data(as_text=True)
    assert "Open over 12 months" in csv and "Kenya" not in csv


# --- on the demo network: one number on every surface ----------------------------------------


def test_every_surface_shows_the_same_pipeline_on_the_demo(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    today = date.today()
    with in_app() as s:
        assert load_demo_cached(s, today=today).loaded
        count = network_pipeline.countries_in_pipeline(s, on=today)
        listed = network_pipeline.pipeline_targets(s, on=today)
        # Kenya's target reached "member" (a provisional member hotline covers it): not listed.
        assert "KE" not in {t.country_code for t in listed}
        assert count == len(listed) > 5
        assert network_coverage.coverage_summary(s, on=today).countries_in_pipeline == count
        assert coverage_report.coverage_map(s, on=today).count(CoverageStatus.PIPELINE) == count
        (covered,) = [
            k for k in growth_report.overview(s, today=today).kpis if k.key == "countries_covered"
        ]
        assert covered.note == f"sovereign states · {count} more in the expansion pipeline"
        pack = boardpack.board_pack(s, year=today.year, today=today)
        assert len(pack.pipeline) == pack.coverage.countries_in_pipeline == count
        assert [e.country_code for e in pack.pipeline] == [t.country_code for t in listed]
        stalled = {t.target_id for t in network_pipeline.stalled_stages(s, on=today)}
        assert stalled == {t.target_id for t in listed if t.stalled} != set()
        attention = main_service.stalled_pipeline_stages(s, today=today, limit=1000)
        assert {i.record_id for i in attention.items} == stalled
    client = signed_in("viewer")
    assert f'data-figure="countries_in_pipeline">{count}<' in client.get("/").get_data(as_text=True)
    assert f"{count} in all" in client.get("/expansion/").get_data(as_text=True)
    assert f"{len(stalled)} in all" in client.get("/expansion/?stalled=1").get_data(as_text=True)
