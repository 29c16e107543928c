"""The training totals kept current on write give the figures computed from the rows, after
every kind of write: the forms' service functions, archiving, a hotline moving country, an
import (PostgreSQL keeps them; SQLite computes from the rows, and the same checks hold)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.network import hotlines
from coordapp.records import service as records
from coordapp.reporting import training as training_report
from coordapp.training import service, totals
from coordapp.training.models import TrainingEvent, TrainingEventTotal, TrainingReach
from tests import factories
from tests.imports.test_service import csv_bytes, run
from tests.training.helpers import event, event_data, pillar_id

YEARS = {"first_year": 2020, "last_year": 2026, "until": date(2026, 12, 31)}
FILTERS: tuple[dict[str, Any], ...] = (
    {},
    {"kind": "workshop"},
    {"pillar": "capacity_building"},
    {"kind": "webinar", "pillar": "technology_innovation"},
    {"first_year": 2025, "last_year": 2026, "until": date(2026, 3, 10)},
)


def _stored(session: Session) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    events = session.execute(sa.select(*TrainingEventTotal.__table__.columns)).all()
    reach = session.execute(sa.select(*TrainingReach.__table__.columns)).all()
    return sorted(map(tuple, events), key=repr), sorted(map(tuple, reach), key=repr)


def assert_kept(session: Session) -> training_report.TrainingFigures:
    """Under every filter the figures read (from the totals on PostgreSQL) equal those computed
    from the rows, and so do the trainings held and their participants between two days (the
    headline figures); the totals kept write by write equal totals built afresh. Returns the
    unfiltered figures."""
    for filters in FILTERS:
        chosen = {**YEARS, **filters}
        read = training_report.training_figures(session, **chosen)
        assert read == training_report.training_figures(session, **chosen, from_rows=True)
    for start, end in ((date(2026, 1, 1), date(2026, 12, 31)), (date(2021, 1, 1), YEARS["until"])):
        counted = training_report.trainings_between(session, start, end)
        assert counted == training_report.trainings_between(session, start, end, from_rows=True)
    totals.refresh(session)  # what a commit does
    kept = _stored(session)
    assert bool(kept[0]) == totals.kept(session)
    totals.rebuild(session)
    assert _stored(session) == kept
    return training_report.training_figures(session, **YEARS)


def _reach(rows: tuple[training_report.TrainingReach, ...]) -> dict[str, tuple[int, int]]:
    return {r.label: (r.events, r.participants) for r in rows}


def _network(session: Session) -> dict[str, Any]:
    """Two events with hotlines of two countries (two of one country at the first), an
    organization, feedback, and an event nobody has taken part in yet."""
    nl1 = factories.hotline(session, country="NL", name="Meldpunt A")
    nl2 = factories.hotline(session, country="NL", name="Meldpunt B")
    be = factories.hotline(session, country="BE", name="Child Focus")
    org = factories.organization(session, name="Alpha Cloud")
    workshop = event(session)
    webinar = event(
        session,
        title="Hashing webinar",
        kind="webinar",
        pillar_id=str(pillar_id(session, "technology_innovation")),
        start_date=date(2025, 6, 2),
        end_date=date(2025, 6, 2),
        delivery="online",
        location_country_code="",
    )
    event(
        session,
        title="Planned exchange",
        kind="exchange_visit",
        start_date=date(2026, 9, 1),
        end_date=date(2026, 9, 3),
    )
    rows = {
        "nl1": service.set_participation(
            session, event=workshop, hotline_id=nl1.id, participants=4, feedback_score="4.5"
        ),
        "nl2": service.set_participation(
            session, event=workshop, hotline_id=nl2.id, participants=2, feedback_score="3"
        ),
        "be": service.set_participation(session, event=workshop, hotline_id=be.id, participants=1),
        "org": service.set_participation(
            session, event=workshop, organization_id=org.id, participants=3, feedback_score="5"
        ),
        "webinar_nl1": service.set_participation(
            session, event=webinar, hotline_id=nl1.id, participants=6, feedback_score="4"
        ),
    }
    return {"nl1": nl1, "be": be, "workshop": workshop, "webinar": webinar, "rows": rows}


def test_figures_from_the_totals_equal_the_rows_after_the_forms_writes(session: Session) -> None:
    data = _network(session)
    figures = assert_kept(session)
    # Two Dutch hotlines at one workshop count it once for the Netherlands.
    assert _reach(figures.by_country) == {"Netherlands": (2, 12), "Belgium": (1, 1)}
    assert _reach(figures.by_hotline) == {
        "Meldpunt A": (2, 10),
        "Meldpunt B": (1, 2),
        "Child Focus": (1, 1),
    }
    assert [(f.year, f.responses, f.average) for f in figures.feedback] == [
        (2025, 1, Decimal("4.00")),
        (2026, 3, Decimal("4.33")),  # (4.5 x 4 + 3 x 2 + 5 x 3) / 9
    ]

    rows = data["rows"]
    service.set_participation(
        session,
        event=data["workshop"],
        hotline_id=data["be"].id,
        participation=rows["be"],
        participants=5,
        feedback_score="2",
    )
    figures = assert_kept(session)
    assert _reach(figures.by_country)["Belgium"] == (1, 5)

    service.remove_participation(session, event=data["workshop"], participation=rows["nl2"])
    figures = assert_kept(session)
    assert _reach(figures.by_country)["Netherlands"] == (2, 10)

    # The webinar moves to another year, kind and pillar.
    webinar = data["webinar"]
    service.update_event(
        session,
        obj=webinar,
        data=event_data(session, title="Hashing webinar", start_date=date(2021, 2, 1)),
        expected_version=None,
    )
    figures = assert_kept(session)
    assert (2021, "workshop", 1, 6) in {
        (r.year, r.key, r.events, r.participants) for r in figures.by_kind
    }


def test_an_archived_event_does_not_count_and_counts_again_when_restored(
    session: Session,
) -> None:
    data = _network(session)
    before = assert_kept(session)
    year_2026 = (date(2026, 1, 1), date(2026, 12, 31))
    assert training_report.trainings_between(session, *year_2026) == (2, 10)
    records.archive(session, obj=data["workshop"])
    archived = assert_kept(session)
    assert _reach(archived.by_hotline) == {"Meldpunt A": (1, 6)}
    assert training_report.trainings_between(session, *year_2026) == (1, 0)  # the exchange
    assert sum(r.events for r in archived.by_kind) == sum(r.events for r in before.by_kind) - 1
    records.restore(session, obj=data["workshop"])
    assert assert_kept(session) == before


def test_a_hotline_moving_country_moves_its_reach(session: Session) -> None:
    data = _network(session)
    assert_kept(session)
    hotlines.update_hotline(
        session,
        obj=data["nl1"],
        data={"name": "Meldpunt A", "country_code": "BE", "covered_countries": []},
        expected_version=None,
    )
    figures = assert_kept(session)
    # Meldpunt A's two events now count for Belgium (the workshop once, with Child Focus).
    assert _reach(figures.by_country) == {"Belgium": (2, 11), "Netherlands": (1, 2)}


def test_a_deleted_event_leaves_no_totals(session: Session) -> None:
    data = _network(session)
    assert_kept(session)
    session.delete(data["webinar"])
    session.flush()
    figures = assert_kept(session)
    assert _reach(figures.by_hotline)["Meldpunt A"] == (1, 4)


def test_an_imported_attendance_sheet_is_in_the_totals(session: Session) -> None:
    factories.hotline(session, country="BE", name="Hotline BE")
    factories.hotline(session, country="BE", name="Hotline BE Two")
    factories.organization(session, name="Alpha Cloud")
    header = (
        "title,start_date,end_date,kind,pillar,delivery,location_country,participant,"
        "participants,completed,feedback_score"
    )
    workshop = (
        "Analyst workshop,2026-11-16,2026-11-17,workshop,Capacity Building,in person,Belgium,"
    )
    sheet = csv_bytes(
        header,
        workshop + "Hotline BE,3,3,4.5",
        workshop + "Hotline BE Two,2,2,",
        workshop + "Alpha Cloud,2,,",
        "Webinar on hashing,2026-10-01,2026-10-01,webinar,technology_innovation,online,,,,,",
    )
    report = run(session, sheet, type_name="trainings", apply=True)
    assert report.applied, report.errors
    figures = assert_kept(session)
    assert _reach(figures.by_country) == {"Belgium": (1, 5)}
    assert sum(r.events for r in figures.by_kind) == 2

    # Applied again with other figures: the participations change in place.
    again = csv_bytes(header, workshop + "Hotline BE,7,3,4.5")
    assert run(session, again, type_name="trainings", apply=True).applied
    figures = assert_kept(session)
    assert _reach(figures.by_country) == {"Belgium": (1, 9)}
    stored = session.scalars(sa.select(TrainingEvent).order_by(TrainingEvent.id)).all()
    assert len(stored) == 2
