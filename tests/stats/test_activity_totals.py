"""The hotline-activity totals kept current on write give the figures computed from the rows, to
the last digit, after every kind of write: the quarter grid, a quarter's sign-off (submit,
approve, return, reopen), the statistics import, a hotline's move to another country, a
changed disclosure threshold (PostgreSQL keeps them; SQLite computes from the rows)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from coordapp import disclosure
from coordapp.auth.models import Role
from coordapp.imports import service as imports
from coordapp.network import hotlines
from coordapp.network.models import Hotline
from coordapp.reference.models import Country
from coordapp.reporting import activity as activity_report
from coordapp.stats import activity_totals, quarters
from coordapp.stats import grid as stats_grid
from coordapp.stats.models import ActivityPresence, ActivityTotal, HotlineQuarter, QuarterState
from tests.stats.helpers import AFTER_2026, A, D, F, P, R, member
from tests.stats.test_quarters import user

# Grouped by hotline, the figures always read the rows: the groupings by place read the totals.
SUMMED_GROUPINGS = ("network", "region", "country")
REGIONS = (None, "Europe", "Americas")
YEARS = ((2019, 2020), (2025, 2026), (2010, 2026))
METRICS = (R, A, P, D)


@contextmanager
def _from_rows() -> Iterator[None]:
    """The figures computed from the statistics themselves (the totals not asked)."""
    original = activity_totals.answers
    activity_totals.answers = lambda *a, **k: False  # type: ignore[assignment]
    try:
        yield
    finally:
        activity_totals.answers = original  # type: ignore[assignment]


def _stored(session: Session) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    totals = session.execute(sa.select(*ActivityTotal.__table__.c)).all()
    presence = session.execute(sa.select(*ActivityPresence.__table__.c)).all()
    return sorted(map(tuple, totals), key=repr), sorted(map(tuple, presence), key=repr)


def assert_kept(session: Session) -> None:
    """Every figure read from the totals (each metric, grouping, region, years and small-count
    threshold) equals the one computed from the rows, and the totals kept write by write
    equal totals built afresh."""
    threshold = disclosure.threshold()
    assert activity_totals.answers(session, small_below=0) is activity_totals.kept(session)
    if not activity_totals.kept(session):
        return  # SQLite: both ways are the one computation from the rows
    for code in METRICS:
        for group_by in SUMMED_GROUPINGS:
            for region in REGIONS:
                for first, last in YEARS:
                    for small_below in (0, threshold):
                        filters = {
                            "metric_code": code,
                            "group_by": group_by,
                            "first_year": first,
                            "last_year": last,
                            "region": region,
                            "small_below": small_below,
                        }
                        read = activity_report.hotline_activity(session, **filters)  # type: ignore[arg-type]
                        with _from_rows():
                            rows = activity_report.hotline_activity(session, **filters)  # type: ignore[arg-type]
                        assert read == rows, filters
    activity_totals.refresh(session)  # what a commit does
    kept = _stored(session)
    activity_totals.rebuild(session)
    assert _stored(session) == kept


def _enter(
    session: Session, hotline: Hotline, year: int, values: dict[tuple[str, int], str]
) -> None:
    stats_grid.save_quarter_grid(
        session, hotline=hotline, year=year, values=values, today=AFTER_2026
    )


def _submit(session: Session, hotline: Hotline, year: int, quarter: int) -> HotlineQuarter:
    return quarters.submit_quarter(
        session,
        hotline=hotline,
        year=year,
        quarter=quarter,
        actor=user(session, Role.MANAGER),
        today=AFTER_2026,
    )


def _approve(session: Session, record: HotlineQuarter) -> None:
    quarters.approve_quarter(session, record=record, actor=user(session, Role.MANAGER))


def _full(received: str, share: str, days: str, year: int = 2026) -> dict[str, str]:
    values = {R: received, A: "1", F: "0", P: share}
    return values | ({D: days} if year >= 2020 else {})


@pytest.fixture
def network(session: Session) -> dict[str, Hotline]:
    """Hotlines in Europe, the Americas and Asia with figures of 2019 (reports), 2020
    (content URLs: the unit changes) and 2026, small ones and percentages whose means have
    more decimals than the values; none approved yet."""
    found = {
        "nl": member(session, "NL", name="Meldpunt"),
        "be": member(session, "BE", name="Child Focus"),
        "us": member(session, "US", name="Tipline"),
        "jp": member(session, "JP", name="Internet Hotline Center"),
    }
    for n, hotline in enumerate(found.values()):
        _enter(
            session,
            hotline,
            2019,
            {
                (code, 4): v
                for code, v in _full(str(100 + n), f"{33 + 7 * n}.{n}1", "", 2019).items()
            },
        )
        _enter(
            session,
            hotline,
            2020,
            {(code, 1): v for code, v in _full(str(4 - n), f"{66 + n}.67", "2.5", 2020).items()},
        )
        for quarter in (1, 2):
            values = _full(str(n + quarter), f"{87 + n}.{quarter}5", f"{n}.{quarter}", 2026)
            _enter(session, hotline, 2026, {(code, quarter): v for code, v in values.items()})
    return found


def test_figures_read_from_the_totals_equal_those_from_the_rows_through_the_sign_off(
    session: Session, network: dict[str, Hotline]
) -> None:
    assert_kept(session)  # nothing approved: every quarter provisional
    submitted = {
        (key, year, quarter): _submit(session, hotline, year, quarter)
        for key, hotline in network.items()
        for year, quarter in ((2019, 4), (2020, 1), (2026, 1), (2026, 2))
    }
    assert_kept(session)
    for (key, _year, quarter), record in submitted.items():
        if not (key == "us" and quarter == 2):
            _approve(session, record)
    assert_kept(session)
    figures = activity_report.hotline_activity(
        session, metric_code=R, group_by="region", first_year=2026, last_year=2026, small_below=5
    )
    assert figures.provisional == (date(2026, 4, 1),)
    assert {p.group: p.hotlines for p in figures.by_group} == {
        "Europe": 2,
        "Americas": 1,
        "Asia": 1,
    }
    # Returned for correction, corrected, submitted again and approved.
    quarters.return_quarter(
        session,
        record=submitted[("us", 2026, 2)],
        actor=user(session, Role.MANAGER),
        comment="Check the shares.",
    )
    assert_kept(session)
    _enter(session, network["us"], 2026, {(P, 2): "12.35", (R, 2): "7"})
    _approve(session, _submit(session, network["us"], 2026, 2))
    assert_kept(session)
    # Reopened: its figures stop counting; corrected (one removed) and left open.
    quarters.reopen_quarter(
        session,
        record=submitted[("nl", 2026, 1)],
        actor=user(session, Role.MANAGER),
        reason="A late correction.",
    )
    assert_kept(session)
    _enter(session, network["nl"], 2026, {(R, 1): "2", (F, 1): ""})
    assert_kept(session)


def test_a_hotline_moving_country_takes_its_figures_along(
    session: Session, network: dict[str, Hotline]
) -> None:
    for key, hotline in network.items():
        if key != "jp":
            _approve(session, _submit(session, hotline, 2026, 1))
    assert_kept(session)
    moved = network["nl"]
    hotlines.update_hotline(
        session,
        obj=moved,
        data={"name": moved.name, "country_code": "US", "covered_countries": ["US"]},
        expected_version=None,
    )
    assert_kept(session)
    figures = activity_report.hotline_activity(
        session, metric_code=R, group_by="country", first_year=2026, last_year=2026
    )
    united_states = session.get(Country, "US")
    assert united_states is not None
    assert {p.group: p.hotlines for p in figures.by_group}[united_states.name] == 2


def test_an_import_of_statistics_is_counted_once_its_quarters_are_approved(
    session: Session, network: dict[str, Hotline]
) -> None:
    header = f"hotline,year,quarter,{R},{A},{F},{P},{D}"
    lines = [
        f"{hotline.name},2025,{quarter},{n * 10 + quarter},{n + 1},0,{50 + n}.{quarter}5,1.5"
        for n, hotline in enumerate(network.values())
        for quarter in (1, 2, 3, 4)
    ]
    content = "\r\n".join((header, *lines)).encode() + b"\r\n"
    report = imports.run_import(
        session, type_name="hotline-statistics", filename="s.csv", content=content, apply=True
    )
    assert report.applied, report.errors
    assert_kept(session)
    for hotline in network.values():
        for quarter in (1, 3):
            _approve(session, _submit(session, hotline, 2025, quarter))
    assert_kept(session)
    # Imported again with corrections of the open quarters: rows updated through the import.
    changed = [line.replace(",0,", ",1,") for line in lines if ",2025,1," not in line]
    changed = [line for line in changed if ",2025,3," not in line]
    content = "\r\n".join((header, *changed)).encode() + b"\r\n"
    assert imports.run_import(
        session, type_name="hotline-statistics", filename="s.csv", content=content, apply=True
    ).applied
    assert_kept(session)


def test_another_threshold_is_computed_from_the_rows_until_the_totals_are_rebuilt(
    session: Session, network: dict[str, Hotline], monkeypatch: pytest.MonkeyPatch
) -> None:
    for hotline in network.values():
        _approve(session, _submit(session, hotline, 2026, 1))
    activity_totals.refresh(session)
    monkeypatch.setitem(current_app.config, "SMALL_COUNT_THRESHOLD", 3)
    assert not activity_totals.answers(session, small_below=3)  # counted at 5
    for group_by in SUMMED_GROUPINGS:
        filters: dict[str, Any] = {"group_by": group_by, "first_year": 2019, "last_year": 2026}
        read = activity_report.hotline_activity(session, metric_code=R, small_below=3, **filters)
        with _from_rows():
            rows = activity_report.hotline_activity(
                session, metric_code=R, small_below=3, **filters
            )
        assert read == rows
    # The next write's refresh counts them again at 3.
    _approve(session, _submit(session, network["be"], 2026, 2))
    activity_totals.refresh(session)
    assert activity_totals.answers(session, small_below=3) is activity_totals.kept(session)
    assert_kept(session)


def test_a_rolled_back_write_leaves_the_totals_as_they_were(
    session: Session, network: dict[str, Hotline]
) -> None:
    record = _submit(session, network["be"], 2026, 1)
    activity_totals.refresh(session)
    before = _stored(session)
    savepoint = session.begin_nested()
    _approve(session, record)
    activity_totals.refresh(session)
    savepoint.rollback()
    assert (
        session.scalar(sa.select(HotlineQuarter.state).where(HotlineQuarter.id == record.id))
        == QuarterState.SUBMITTED
    )
    assert _stored(session) == before
    assert_kept(session)
