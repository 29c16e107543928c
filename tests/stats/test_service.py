"""Hotline statistics: periods, the quarterly grid's rules, its conflict check, the list."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.errors import NotFound, ValidationError
from coordapp.listing import ListParams, run_list
from coordapp.records import service as records
from coordapp.reference.models import MetricDefinition, MetricUnit
from coordapp.stats import grid as stats_grid
from coordapp.stats import metrics
from coordapp.stats import periods as stats_periods
from coordapp.stats.lists import STATISTIC_LIST
from coordapp.stats.models import HotlineStatistic, PeriodKind
from tests.stats.helpers import AFTER_2026, member, metric, statistic, stored

R, A, F, P = (
    "reports_received",
    "reports_assessed_csam",
    "reports_forwarded",
    "removed_within_3_days_pct",
)
D = "median_days_to_removal"  # in force from 2020

# --- periods ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter", "start", "end"),
    [
        (1, date(2024, 1, 1), date(2024, 3, 31)),
        (2, date(2024, 4, 1), date(2024, 6, 30)),
        (3, date(2024, 7, 1), date(2024, 9, 30)),
        (4, date(2024, 10, 1), date(2024, 12, 31)),
    ],
)
def test_quarter_bounds(quarter: int, start: date, end: date) -> None:
    assert stats_periods.quarter_bounds(2024, quarter) == (start, end)
    assert stats_periods.quarter_of(start) == stats_periods.quarter_of(end) == quarter


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 26), (2026, 3)),
        (date(2026, 10, 1), (2026, 3)),  # Q3 ended yesterday
        (date(2026, 9, 30), (2026, 2)),  # Q3 ends today: not complete yet
        (date(2026, 1, 1), (2025, 4)),
        (date(2026, 3, 31), (2025, 4)),
        (date(2026, 4, 1), (2026, 1)),
    ],
)
def test_last_complete_quarter(today: date, expected: tuple[int, int]) -> None:
    assert stats_periods.last_complete_quarter(today) == expected


# --- the grid --------------------------------------------------------------------------------


def test_each_value_is_stored_against_the_version_in_force_for_its_quarter(
    session: Session,
) -> None:
    hotline = member(session)
    old = metric(session, P)
    newer = metrics.add_version(
        session,
        of=old,
        data=metrics.MetricData(
            name="Share removed within 3 days (URLs)",
            definition="Content URLs removed within 3 working days, of those forwarded.",
            unit=MetricUnit.PERCENT,
            valid_from=date(2026, 7, 1),
        ),
    )
    assert old.valid_until == date(2026, 6, 30)  # retired the day before
    grid = stats_grid.quarter_grid(session, hotline=hotline, year=2026, today=AFTER_2026)
    assert [m.code for m in grid.metrics] == [R, A, F, P, D]
    assert grid.metrics[3].id == newer.id
    assert [grid.in_force[(P, q)].id for q in (1, 2, 3, 4)] == [
        old.id,
        old.id,
        newer.id,
        newer.id,
    ]
    assert grid.changes_in_year(P) == [old, newer]
    stats_grid.save_quarter_grid(
        session,
        hotline=hotline,
        year=2026,
        values={(P, 2): "80", (P, 3): "90"},
        today=AFTER_2026,
    )
    rows = session.scalars(sa.select(HotlineStatistic).order_by(HotlineStatistic.period_start))
    assert [(r.metric_id, r.value) for r in rows] == [(old.id, 80), (newer.id, 90)]


def test_reports_until_2019_and_content_urls_from_2020(session: Session) -> None:
    hotline = member(session)
    for year, value in ((2019, "100"), (2020, "450")):
        stats_grid.save_quarter_grid(
            session, hotline=hotline, year=year, values={(R, 4): value}, today=AFTER_2026
        )
    rows = session.scalars(sa.select(HotlineStatistic).order_by(HotlineStatistic.period_start))
    assert [(r.metric.name, r.metric.unit, r.value) for r in rows] == [
        ("Reports received", MetricUnit.COUNT, 100),
        ("Content URLs exchanged", MetricUnit.URLS, 450),
    ]


def test_a_quarter_where_the_metric_is_not_in_force_is_refused_and_nothing_written(
    session: Session,
) -> None:
    hotline = member(session)
    grid = stats_grid.quarter_grid(session, hotline=hotline, year=2019, today=AFTER_2026)
    assert D not in [m.code for m in grid.metrics]  # median days are counted from 2020
    with pytest.raises(stats_grid.GridInvalid) as refused:
        stats_grid.save_quarter_grid(
            session,
            hotline=hotline,
            year=2019,
            values={(R, 1): "100", (D, 1): "3"},
            today=AFTER_2026,
        )
    assert refused.value.errors == {
        (D, 1): "The metric median_days_to_removal is not counted in Q1 2019: its definition "
        "is in force from 2020-01-01 to now. Nothing was saved."
    }
    assert stored(session, hotline) == {}
    # An empty cell of a metric not in force is no value: nothing to refuse.
    stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2019, values={(D, 1): ""}, today=AFTER_2026
    )
    assert stored(session, hotline) == {}


def test_save_writes_quarter_periods(session: Session) -> None:
    hotline = member(session)
    values = {(R, 1): "1200", (A, 1): "600", (F, 1): "550", (P, 1): "87.5", (R, 4): "1,300"}
    saved = stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2026, values=values, today=AFTER_2026
    )
    assert (saved.created, saved.updated, saved.deleted) == (5, 0, 0)
    assert stored(session, hotline) == {
        (R, 1): Decimal(1200),
        (A, 1): Decimal(600),
        (F, 1): Decimal(550),
        (P, 1): Decimal("87.5"),
        (R, 4): Decimal(1300),
    }
    q4 = session.scalars(
        sa.select(HotlineStatistic).where(HotlineStatistic.period_start == date(2026, 10, 1))
    ).one()
    assert (q4.period_kind, q4.period_end) == (PeriodKind.QUARTER, date(2026, 12, 31))


def test_save_updates_in_place_and_an_emptied_cell_deletes(session: Session) -> None:
    hotline = member(session)
    stats_grid.save_quarter_grid(
        session,
        hotline=hotline,
        year=2026,
        values={(R, 2): "100", (A, 2): "50"},
        today=AFTER_2026,
    )
    before = {
        (m, stats_periods.quarter_of(s.period_start)): (s.id, s.version)
        for s in session.scalars(sa.select(HotlineStatistic))
        for m in [s.metric.code]
    }
    saved = stats_grid.save_quarter_grid(
        session,
        hotline=hotline,
        year=2026,
        values={(R, 2): "120", (A, 2): " "},
        today=AFTER_2026,
    )
    assert (saved.created, saved.updated, saved.deleted) == (0, 1, 1)
    row = session.get_one(HotlineStatistic, before[(R, 2)][0])
    assert row.value == Decimal(120) and row.version == before[(R, 2)][1] + 1
    assert session.get(HotlineStatistic, before[(A, 2)][0]) is None
    assert stored(session, hotline) == {(R, 2): Decimal(120)}


def test_unchanged_and_absent_cells_are_left_alone(session: Session) -> None:
    hotline = member(session)
    stats_grid.save_quarter_grid(
        session,
        hotline=hotline,
        year=2026,
        values={(R, 1): "100", (R, 2): "5"},
        today=AFTER_2026,
    )
    saved = stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2026, values={(R, 1): "100"}, today=AFTER_2026
    )
    assert saved.total == 0
    assert stored(session, hotline) == {(R, 1): Decimal(100), (R, 2): Decimal(5)}


@pytest.mark.parametrize(
    ("values", "cell", "message"),
    [
        ({(R, 1): "100", (A, 1): "101"}, (A, 1), "cannot be more than content URLs exchanged"),
        ({(R, 1): "100", (A, 1): "80", (F, 1): "81"}, (F, 1), "cannot be more than"),
        ({(P, 2): "101"}, (P, 2), "from 0 to 100"),
        ({(P, 2): "87.555"}, (P, 2), "At most 2 decimals"),
        ({(P, 2): "87,5"}, (P, 2), "Use a point for decimals"),
        ({(P, 2): "-1"}, (P, 2), "cannot be negative"),
        ({(P, 2): "lots"}, (P, 2), "Enter a percentage"),
        ({(R, 3): "12.5"}, (R, 3), "Counts are whole numbers"),
        ({(R, 3): "12.0"}, (R, 3), "Counts are whole numbers"),
        ({(R, 3): "-4"}, (R, 3), "cannot be negative"),
        ({(R, 3): "1e5"}, (R, 3), "Enter a whole number"),
        ({(R, 3): "12,34"}, (R, 3), "Enter a whole number"),
        ({(R, 3): "9" * 13}, (R, 3), "too large"),
        ({(D, 1): "-1"}, (D, 1), "Days cannot be negative"),
        ({(D, 1): "soon"}, (D, 1), "Enter a number of days"),
        ({(D, 1): "2.555"}, (D, 1), "At most 2 decimals"),
        ({(D, 1): "4000"}, (D, 1), "At most 3653 days"),
        ({(R, 1): "-1"}, (R, 1), "A count cannot be negative"),
    ],
)
def test_a_refused_cell_has_its_message_and_nothing_is_written(
    session: Session, values: dict[tuple[str, int], str], cell: tuple[str, int], message: str
) -> None:
    hotline = member(session)
    good = {(R, 4): "10"}  # a valid cell in the same save
    with pytest.raises(stats_grid.GridInvalid) as caught:
        stats_grid.save_quarter_grid(
            session, hotline=hotline, year=2026, values={**good, **values}, today=AFTER_2026
        )
    assert message in caught.value.errors[cell]
    assert list(caught.value.errors) == [cell]
    assert stored(session, hotline) == {}


def test_cross_checks_use_the_stored_value_of_a_cell_not_submitted(session: Session) -> None:
    hotline = member(session)
    stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2026, values={(R, 1): "100"}, today=AFTER_2026
    )
    with pytest.raises(stats_grid.GridInvalid) as caught:
        stats_grid.save_quarter_grid(
            session, hotline=hotline, year=2026, values={(A, 1): "150"}, today=AFTER_2026
        )
    assert (A, 1) in caught.value.errors
    # Lowering received under a stored assessed value marks the received cell.
    stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2026, values={(A, 1): "90"}, today=AFTER_2026
    )
    with pytest.raises(stats_grid.GridInvalid) as caught:
        stats_grid.save_quarter_grid(
            session, hotline=hotline, year=2026, values={(R, 1): "80"}, today=AFTER_2026
        )
    assert list(caught.value.errors) == [(R, 1)]


def test_every_refused_cell_gets_its_own_message(session: Session) -> None:
    hotline = member(session)
    with pytest.raises(stats_grid.GridInvalid) as caught:
        stats_grid.save_quarter_grid(
            session,
            hotline=hotline,
            year=2026,
            values={(R, 1): "x", (P, 2): "200", (R, 3): "5", (A, 3): "6"},
            today=AFTER_2026,
        )
    assert set(caught.value.errors) == {(R, 1), (P, 2), (A, 3)}


def test_quarters_that_have_not_ended_take_no_values(session: Session) -> None:
    hotline = member(session)
    with pytest.raises(stats_grid.GridInvalid) as caught:
        stats_grid.save_quarter_grid(
            session,
            hotline=hotline,
            year=2026,
            values={(R, 4): "10", (R, 3): "10"},
            today=date(2026, 11, 26),
        )
    assert list(caught.value.errors) == [(R, 4)]
    assert "enter its figures after that" in caught.value.errors[(R, 4)]
    grid = stats_grid.quarter_grid(session, hotline=hotline, year=2026, today=date(2026, 11, 26))
    assert [q.open_for_entry for q in grid.quarters] == [True, True, True, False]


def test_a_monthly_value_on_the_same_key_is_not_overwritten(session: Session) -> None:
    hotline = member(session)
    statistic(session, hotline, R, date(2026, 1, 1), date(2026, 1, 31), "30", PeriodKind.MONTH)
    with pytest.raises(stats_grid.GridInvalid) as caught:
        stats_grid.save_quarter_grid(
            session, hotline=hotline, year=2026, values={(R, 1): "90"}, today=AFTER_2026
        )
    assert "monthly value for 2026-01" in caught.value.errors[(R, 1)]


def test_a_stale_version_is_refused_with_what_changed(session: Session) -> None:
    hotline = member(session)
    stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2026, values={(R, 1): "100"}, today=AFTER_2026
    )
    loaded = stats_grid.quarter_grid(session, hotline=hotline, year=2026, today=AFTER_2026)
    versions = {(R, 1): loaded.version((R, 1)), (R, 2): None}
    # Someone else saves both cells after the page was loaded.
    stats_grid.save_quarter_grid(
        session,
        hotline=hotline,
        year=2026,
        values={(R, 1): "110", (R, 2): "7"},
        today=AFTER_2026,
    )
    with pytest.raises(stats_grid.GridConflict) as caught:
        stats_grid.save_quarter_grid(
            session,
            hotline=hotline,
            year=2026,
            values={(R, 1): "120", (R, 2): "8"},
            expected_versions=versions,
            today=AFTER_2026,
        )
    changed = {(c.quarter, c.value_now) for c in caught.value.changes}
    assert changed == {(1, "110"), (2, "7")}
    assert stored(session, hotline) == {(R, 1): Decimal(110), (R, 2): Decimal(7)}
    # Saving again with the versions as they are now applies the values.
    current = stats_grid.quarter_grid(session, hotline=hotline, year=2026, today=AFTER_2026)
    stats_grid.save_quarter_grid(
        session,
        hotline=hotline,
        year=2026,
        values={(R, 1): "120", (R, 2): "8"},
        expected_versions={c: current.version(c) for c in [(R, 1), (R, 2)]},
        today=AFTER_2026,
    )
    assert stored(session, hotline) == {(R, 1): Decimal(120), (R, 2): Decimal(8)}


def test_a_cell_deleted_meanwhile_is_a_conflict_too(session: Session) -> None:
    hotline = member(session)
    stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2026, values={(R, 1): "100"}, today=AFTER_2026
    )
    version = stats_grid.quarter_grid(
        session, hotline=hotline, year=2026, today=AFTER_2026
    ).version((R, 1))
    stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2026, values={(R, 1): ""}, today=AFTER_2026
    )
    with pytest.raises(stats_grid.GridConflict) as caught:
        stats_grid.save_quarter_grid(
            session,
            hotline=hotline,
            year=2026,
            values={(R, 1): "100"},
            expected_versions={(R, 1): version},
            today=AFTER_2026,
        )
    assert [c.value_now for c in caught.value.changes] == ["empty"]


def test_archived_hotline_and_impossible_years_are_refused(session: Session) -> None:
    hotline = member(session)
    for year in (1998, 2028):
        with pytest.raises(NotFound):
            stats_grid.save_quarter_grid(
                session, hotline=hotline, year=year, values={}, today=AFTER_2026
            )
        with pytest.raises(NotFound):
            stats_grid.quarter_grid(session, hotline=hotline, year=year, today=AFTER_2026)
    records.archive(session, obj=hotline)
    with pytest.raises(ValidationError, match="archived"):
        stats_grid.save_quarter_grid(
            session, hotline=hotline, year=2026, values={(R, 1): "1"}, today=AFTER_2026
        )


def test_unknown_cells_are_refused(session: Session) -> None:
    hotline = member(session)
    with pytest.raises(ValidationError, match="no cell"):
        stats_grid.save_quarter_grid(
            session,
            hotline=hotline,
            year=2026,
            values={("report_urls", 1): "1"},
            today=AFTER_2026,
        )


def test_parse_grid_form_reads_cells_and_versions() -> None:
    parsed = stats_grid.parse_grid_form(
        {
            "csrf_token": "x",
            f"c-{R}-1": "10",
            f"v-{R}-1": "3",
            f"v-{R}-2": "",
            f"v-{A}-1": "garbage",
            f"c-{R}-9": "1",
            "c-nonsense": "1",
        }
    )
    assert parsed.values == {(R, 1): "10"}
    assert parsed.versions == {(R, 1): 3, (R, 2): None, (A, 1): -1}


# --- the list --------------------------------------------------------------------------------


def test_list_filters_by_hotline_country_year_quarter_and_metric(session: Session) -> None:
    nl, be = member(session, "NL"), member(session, "BE")
    for hotline in (nl, be):
        stats_grid.save_quarter_grid(
            session,
            hotline=hotline,
            year=2025,
            values={(R, 1): "10", (P, 3): "90"},
            today=AFTER_2026,
        )
    stats_grid.save_quarter_grid(
        session, hotline=nl, year=2026, values={(R, 2): "20"}, today=AFTER_2026
    )

    def ids(**args: str) -> set[int]:
        params = ListParams.from_args(STATISTIC_LIST, args)
        return {s.id for s in run_list(session, STATISTIC_LIST, params).items}

    def expected(where: object) -> set[int]:
        return set(
            session.scalars(
                sa.select(HotlineStatistic.id)
                .join(MetricDefinition, MetricDefinition.id == HotlineStatistic.metric_id)
                .where(where)  # type: ignore[arg-type]
            )
        )

    assert ids(hotline=str(nl.id)) == expected(HotlineStatistic.hotline_id == nl.id)
    assert ids(country="BE") == expected(HotlineStatistic.hotline_id == be.id)
    assert ids(year="2026") == expected(HotlineStatistic.period_start >= date(2026, 1, 1))
    assert ids(quarter="3") == expected(HotlineStatistic.period_start == date(2025, 7, 1))
    assert ids(metric=P) == expected(MetricDefinition.code == P)
    assert len(ids()) == 5
    for bad in ({"quarter": "5"}, {"year": "abc"}, {"hotline": "x"}, {"metric": "urls"}):
        assert len(ids(**bad)) == 5, bad


def test_values_show_as_counts_and_percentages(session: Session) -> None:
    hotline = member(session)
    stats_grid.save_quarter_grid(
        session,
        hotline=hotline,
        year=2026,
        values={(R, 1): "1200", (P, 1): "87.5"},
        today=AFTER_2026,
    )
    grid = stats_grid.quarter_grid(session, hotline=hotline, year=2026, today=AFTER_2026)
    assert grid.value((R, 1)) == "1200" and grid.value((P, 1)) == "87.5"
    assert grid.value((A, 1)) == "" and grid.filled == 2
