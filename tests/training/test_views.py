"""Training pages: every route for every role, participation on the event page, bad input."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from coordapp.extensions import db
from coordapp.training import pages as training_pages
from coordapp.training import service
from coordapp.training.models import TrainingEvent, TrainingParticipation
from tests import factories
from tests.training.helpers import event, pillar_id

InApp = Callable[[], AbstractContextManager[Session]]


@dataclass(frozen=True)
class Arranged:
    event_id: int
    row_id: int
    hotline_id: int
    spare_hotline_id: int


def arrange(in_app: InApp) -> Arranged:
    with in_app() as s:
        training = event(s, title="Classifier evaluation lab")
        hotline = factories.hotline(s, country="NL", name="Meldpunt Views")
        spare = factories.hotline(s, country="BE", name="ClearWeb Views")
        row = service.set_participation(
            s, event=training, hotline_id=hotline.id, participants=3, completed=2
        )
        return Arranged(training.id, row.id, hotline.id, spare.id)


def event_form(s: Session | None = None, **changes: str) -> dict[str, str]:
    data = {
        "title": "Hash matching webinar",
        "kind": "webinar",
        "pillar_id": "",
        "topics": "hash lists",
        "start_date": "2026-02-03",
        "end_date": "2026-02-03",
        "delivery": "online",
        "location_country_code": "",
        "organizer": "",
        "trainers": "Tech team",
        "notes": "",
    }
    if s is not None:
        data["pillar_id"] = str(pillar_id(s, "technology_innovation"))
    data.update(changes)
    return data


def row_form(**changes: str) -> dict[str, str]:
    data = {
        "p-hotline_id": "",
        "p-organization": "",
        "p-participants": "2",
        "p-completed": "",
        "p-feedback_score": "",
        "p-attendee_names": "",
    }
    data.update({f"p-{k}": v for k, v in changes.items()})
    return data


# --- every route x every role ----------------------------------------------------------------


def _routes(a: Arranged, pillar: str) -> list[tuple[str, str, dict[str, str] | None, bool]]:
    """(method, path, form data, writes?) for every page of the training blueprint."""
    e, r = a.event_id, a.row_id
    return [
        ("GET", "/trainings/", None, False),
        ("GET", "/trainings/?format=csv", None, False),
        ("GET", f"/trainings/{e}", None, False),
        ("GET", "/trainings/new", None, True),
        ("POST", "/trainings/new", event_form(pillar_id=pillar), True),
        ("GET", f"/trainings/{e}/edit", None, True),
        ("POST", f"/trainings/{e}/edit", event_form(pillar_id=pillar, version="1"), True),
        (
            "POST",
            f"/trainings/{e}/participation",
            row_form(hotline_id=str(a.spare_hotline_id)),
            True,
        ),
        ("GET", f"/trainings/{e}/participation/{r}/edit", None, True),
        (
            "POST",
            f"/trainings/{e}/participation/{r}/edit",
            row_form(hotline_id=str(a.hotline_id), participants="4"),
            True,
        ),
        ("POST", f"/trainings/{e}/participation/{r}/remove", {}, True),
        ("POST", f"/trainings/{e}/archive", {}, True),
        ("POST", f"/trainings/{e}/restore", {}, True),
    ]


ROUTE_COUNT = 13


@pytest.mark.parametrize("index", range(ROUTE_COUNT))
@pytest.mark.parametrize("role", ["anonymous", "viewer", "manager", "admin"])
def test_every_route_for_every_role(
    client: FlaskClient,
    signed_in: Callable[[str], FlaskClient],
    in_app: InApp,
    role: str,
    index: int,
) -> None:
    arranged = arrange(in_app)
    with in_app() as s:
        pillar = str(pillar_id(s, "technology_innovation"))
    routes = _routes(arranged, pillar)
    assert len(routes) == ROUTE_COUNT
    method, path, data, writes = routes[index]
    if role != "anonymous":
        client = signed_in(role)
    response = client.open(path, method=method, data=data)
    if role == "anonymous":
        assert response.status_code == 302 and "/auth/sign-in" in response.location
    elif role == "viewer" and writes:
        assert response.status_code == 403
    elif method == "GET":
        assert response.status_code == 200
    else:
        assert response.status_code == 302, response.data.decode()[:2000]


def test_viewer_sees_the_event_without_edit_controls(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    a = arrange(in_app)
    html = signed_in("viewer").get(f"/trainings/{a.event_id}").data.decode()
    assert "Classifier evaluation lab" in html and "Meldpunt Views" in html
    assert ">Edit<" not in html and "Archive" not in html and "Remove" not in html
    assert "Add a hotline or organization" not in html


def test_manager_sees_participation_controls(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    a = arrange(in_app)
    html = signed_in("manager").get(f"/trainings/{a.event_id}").data.decode()
    assert "Add a hotline or organization" in html
    assert f"/trainings/{a.event_id}/participation/{a.row_id}/edit" in html
    assert "Named attendees (personal data, optional)" in html


# --- events ----------------------------------------------------------------------------------


def test_manager_creates_an_event_and_sees_it(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        data = event_form(s)
    client = signed_in("manager")
    response = client.post("/trainings/new", data=data)
    assert response.status_code == 302
    html = client.get(response.location).data.decode()
    assert "Hash matching webinar" in html and "Technology &amp; Innovation" in html
    assert "manager@test.example" in html  # the history names who created it


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"end_date": "2026-02-01"}, "The end date cannot be before the start date."),
        ({"delivery": "in_person"}, "Choose a country."),
        ({"organizer": "No Such Org"}, "No organization is named"),
        ({"notes": "see www.example.com/page"}, "coordination data only"),
        ({"start_date": "03/02/2026"}, "Not a valid date value."),
    ],
)
def test_event_form_errors_keep_the_input(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, changes: dict[str, str], message: str
) -> None:
    with in_app() as s:
        data = event_form(s, **changes)
    response = signed_in("manager").post("/trainings/new", data=data)
    assert response.status_code == 422
    html = response.data.decode().replace("&#39;", "'")
    assert message in html
    assert 'value="Hash matching webinar"' in html
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count(TrainingEvent.id))) == 0


def test_edit_form_shows_the_organizer_by_name(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        factories.organization(s, name="Secretariat Test Org")
        created = event(s, organizer="Secretariat Test Org")
        event_id = created.id
    html = signed_in("manager").get(f"/trainings/{event_id}/edit").data.decode()
    assert 'value="Secretariat Test Org"' in html


def test_second_save_on_the_same_version_gets_the_409_page(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    a = arrange(in_app)
    with in_app() as s:
        base = event_form(s, version="1")
    client = signed_in("manager")
    assert (
        client.post(f"/trainings/{a.event_id}/edit", data={**base, "trainers": "Alice"}).status_code
        == 302
    )
    second = client.post(f"/trainings/{a.event_id}/edit", data={**base, "trainers": "Bob"})
    assert second.status_code == 409
    assert 'value="Bob"' in second.data.decode()
    with in_app() as s:
        assert s.get_one(TrainingEvent, a.event_id).trainers == "Alice"


def test_unknown_event_is_404(signed_in: Callable[[str], FlaskClient]) -> None:
    client = signed_in("manager")
    for path in ("/trainings/999999", "/trainings/999999/edit"):
        assert client.get(path).status_code == 404
    assert client.post("/trainings/999999/participation", data=row_form()).status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "sort=;drop",
        "year=abc",
        "year=1800",
        "pillar=x",
        "kind=bogus",
        "country=ZZ",
        "delivery=teleport",
        "page=99999999999999999999",
        "q=%27%3B--",
    ],
)
def test_bad_list_query_values_never_fail(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, query: str
) -> None:
    arrange(in_app)
    response = signed_in("viewer").get(f"/trainings/?{query}")
    assert response.status_code == 200
    if not query.startswith("q="):
        assert "Classifier evaluation lab" in response.data.decode()


def test_list_filters_by_year_and_exports_the_filtered_rows(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        event(s, title="Old workshop", start_date=date(2019, 5, 1), end_date=date(2019, 5, 1))
        event(s, title="New workshop")
    client = signed_in("viewer")
    html = client.get("/trainings/?year=2019").data.decode()
    assert "Old workshop" in html and "New workshop" not in html
    response = client.get("/trainings/?year=2019&format=csv")
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    titles = [
        r[0]
        for r in rows[
            rows.index(
                ["Title", "Kind", "Pillar", "Start", "End", "Delivery", "Location", "Topics"]
            )
            + 1 :
        ]
    ]
    assert titles == ["Old workshop"]


# --- participation on the event page ---------------------------------------------------------


def test_manager_adds_a_row_and_sees_the_totals(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    a = arrange(in_app)
    client = signed_in("manager")
    response = client.post(
        f"/trainings/{a.event_id}/participation",
        data=row_form(
            hotline_id=str(a.spare_hotline_id),
            participants="5",
            completed="4",
            feedback_score="4.5",
        ),
    )
    assert response.status_code == 302
    html = client.get(f"/trainings/{a.event_id}").data.decode()
    with in_app() as s:
        totals = training_pages.participation_totals(s, event=service.get_event(s, a.event_id))
    assert totals.participants == 3 + 5
    assert f'data-total="participants">{totals.participants}<' in html
    assert 'data-reach="BE">5<' in html and 'data-reach="NL">3<' in html


def test_a_duplicate_row_is_refused_with_a_message_and_the_input_kept(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    a = arrange(in_app)
    response = signed_in("manager").post(
        f"/trainings/{a.event_id}/participation",
        data=row_form(hotline_id=str(a.hotline_id), participants="7"),
    )
    assert response.status_code == 422
    html = response.data.decode()
    assert "Meldpunt Views already has a row on this event" in html
    assert 'value="7"' in html
    with in_app() as s:
        assert s.get_one(TrainingParticipation, a.row_id).participants == 3


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"participants": "3", "completed": "4"}, "cannot be more than participants"),
        ({"participants": "-2"}, "whole number"),
        ({"participants": "2", "feedback_score": "6"}, "The score is from 1 to 5."),
        ({"participants": "2", "feedback_score": "4.25"}, "at most one decimal"),
        ({"participants": "1", "attendee_names": "A\nB"}, "2 names are listed"),
        ({"organization": "Nobody At All"}, "No organization is named"),
        ({"hotline_id": "999999"}, "Not a valid choice"),
    ],
)
def test_bad_rows_are_refused_with_a_message(
    signed_in: Callable[[str], FlaskClient],
    in_app: InApp,
    changes: dict[str, str],
    message: str,
) -> None:
    a = arrange(in_app)
    data = row_form(**changes)
    if "organization" not in changes and "hotline_id" not in changes:
        data["p-hotline_id"] = str(a.spare_hotline_id)
    response = signed_in("manager").post(f"/trainings/{a.event_id}/participation", data=data)
    assert response.status_code == 422
    assert message in response.data.decode().replace("&#39;", "'")
    with in_app() as s:
        count = s.scalar(
            sa.select(sa.func.count()).where(TrainingParticipation.event_id == a.event_id)
        )
    assert count == 1


def test_manager_edits_and_removes_a_row(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    a = arrange(in_app)
    client = signed_in("manager")
    page = client.get(f"/trainings/{a.event_id}/participation/{a.row_id}/edit").data.decode()
    assert 'value="3"' in page and "selected" in page
    response = client.post(
        f"/trainings/{a.event_id}/participation/{a.row_id}/edit",
        data=row_form(hotline_id=str(a.hotline_id), participants="6", completed="6"),
    )
    assert response.status_code == 302
    with in_app() as s:
        assert s.get_one(TrainingParticipation, a.row_id).participants == 6
    bad = client.post(
        f"/trainings/{a.event_id}/participation/{a.row_id}/edit",
        data=row_form(hotline_id=str(a.hotline_id), participants="1", completed="2"),
    )
    assert bad.status_code == 422 and 'value="2"' in bad.data.decode()
    assert (
        client.post(f"/trainings/{a.event_id}/participation/{a.row_id}/remove").status_code == 302
    )
    with in_app() as s:
        assert s.get(TrainingParticipation, a.row_id) is None


def test_a_row_of_another_event_is_404(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    a = arrange(in_app)
    with in_app() as s:
        other = event(s, title="Another").id
    client = signed_in("manager")
    assert client.get(f"/trainings/{other}/participation/{a.row_id}/edit").status_code == 404
    assert client.post(f"/trainings/{other}/participation/{a.row_id}/remove").status_code == 404
    assert client.get(f"/trainings/{a.event_id}/participation/999999/edit").status_code == 404


def test_archived_event_takes_no_participation_changes(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    a = arrange(in_app)
    client = signed_in("manager")
    assert client.post(f"/trainings/{a.event_id}/archive").status_code == 302
    html = client.get(f"/trainings/{a.event_id}").data.decode()
    assert "restore it to change who took part" in html
    response = client.post(
        f"/trainings/{a.event_id}/participation",
        data=row_form(hotline_id=str(a.spare_hotline_id)),
    )
    assert response.status_code == 422 and "archived" in response.data.decode()


def test_list_page_queries_do_not_grow_with_the_page_size(
    app: Flask, signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        for i in range(60):
            event(s, title=f"Event {i:03d}", location_country_code="NL" if i % 2 else "BE")
    client = signed_in("viewer")
    counts = []
    client.get("/trainings/")  # the filters' choices are read once per data version, then cached
    for per_page in (25, 50, 100):
        statements: list[str] = []

        def count(conn, cursor, statement, *args, _seen=statements):  # type: ignore[no-untyped-def]
            _seen.append(statement)

        with app.app_context():
            engine = db.engine
        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/trainings/?per_page={per_page}").status_code == 200
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2], counts
