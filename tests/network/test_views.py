"""Hotline, expansion and country pages: every route for every role, and what users rely on."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from coordapp.extensions import db
from coordapp.network import membership
from coordapp.network.models import (
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineMembershipEvent,
    MembershipStatus,
)
from coordapp.records import service as records
from coordapp.reference.models import Country
from tests import factories
from tests.network.test_service_records import make_training, make_user

InApp = Callable[[], AbstractContextManager[Session]]
A, P, F = MembershipStatus.APPLICANT, MembershipStatus.PROVISIONAL, MembershipStatus.FULL
TODAY = date.today()


@pytest.fixture
def world(in_app: InApp) -> dict[str, int]:
    """A member hotline (applied 2000, provisional 2001, full 2002) and an expansion target."""
    with in_app() as s:
        owner = make_user(s)
        operator = factories.organization(s, name="Kenya Child Online Protection Trust")
        hotline = factories.hotline(
            s,
            country="KE",
            covers=["UG"],
            name="Linda Mtandao Kenya",
            events=[(date(2000, 4, 10), A), (date(2001, 1, 15), P), (date(2002, 5, 13), F)],
        )
        hotline.operator_id = operator.id
        hotline.languages = "sw en"
        hotline.reporting_channels = "web phone"
        target = factories.expansion_target(
            s,
            country="TZ",
            stages=[
                (TODAY - timedelta(days=40), ExpansionStage.IDENTIFIED),
                (TODAY - timedelta(days=10), ExpansionStage.SCOPING),
            ],
        )
        target.owner_id = owner.id
        target.next_step = "Call the regulator"
        target.next_step_due = TODAY - timedelta(days=2)
        s.flush()
        first_event = membership.membership_timeline(s, hotline_id=hotline.id)[0]
        return {
            "hotline": hotline.id,
            "event": first_event.id,
            "target": target.id,
            "owner": owner.id,
            "operator": operator.id,
        }


def hotline_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Safe Web Uganda",
        "operator": "",
        "country_code": "UG",
        "covered_countries": ["SS"],
        "public_url": "https://report.safeweb.example.org",
        "founded_year": "2019",
        "languages": "en, sw",
        "reporting_channels": ["web", "chat"],
        "staff_count": "3",
        "notes": "",
    }
    data.update(changes)
    return data


def target_form(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "country_code": "PK",
        "stage": "identified",
        "stage_on": TODAY.isoformat(),
        "priority": "medium",
        "owner_id": "",
        "hotline_id": "",
        "next_step": "Identify potential host organizations",
        "next_step_due": (TODAY + timedelta(days=30)).isoformat(),
        "notes": "",
    }
    data.update(changes)
    return data


def reads(ids: dict[str, int]) -> list[str]:
    return [
        "/hotlines/",
        "/hotlines/?format=csv",
        f"/hotlines/{ids['hotline']}",
        f"/hotlines/{ids['hotline']}?on=2001-06-01",
        "/expansion/",
        "/expansion/?format=csv",
        f"/expansion/{ids['target']}",
        "/countries/",
        "/countries/KE",
    ]


def forms(ids: dict[str, int]) -> list[str]:
    return [
        "/hotlines/new",
        f"/hotlines/{ids['hotline']}/edit",
        "/expansion/new",
        f"/expansion/{ids['target']}/edit",
    ]


def writes(ids: dict[str, int]) -> list[tuple[str, dict[str, Any]]]:
    """Every write route with valid input, in an order in which each one succeeds."""
    return [
        ("/hotlines/new", hotline_form()),
        (f"/hotlines/{ids['hotline']}/edit", hotline_form(name="Linda Mtandao", country_code="KE")),
        (
            f"/hotlines/{ids['hotline']}/membership-events",
            {"event-on": "2010-03-01", "event-status": "suspended", "event-note": "Audit pending"},
        ),
        (f"/hotlines/{ids['hotline']}/membership-events/{ids['event']}/delete", {}),
        ("/expansion/new", target_form()),
        (f"/expansion/{ids['target']}/edit", target_form(priority="high")),
        (
            f"/expansion/{ids['target']}/move",
            {"move-stage": "stakeholder_engagement", "move-on": TODAY.isoformat()},
        ),
        (f"/hotlines/{ids['hotline']}/archive", {}),
        (f"/hotlines/{ids['hotline']}/restore", {}),
        (f"/expansion/{ids['target']}/archive", {}),
        (f"/expansion/{ids['target']}/restore", {}),
    ]


def row_counts(in_app: InApp) -> tuple[int, ...]:
    with in_app() as s:
        return tuple(
            s.scalar(sa.select(sa.func.count()).select_from(model)) or 0
            for model in (Hotline, HotlineMembershipEvent, ExpansionTarget, ExpansionStageEvent)
        )


# --- access: every route for every role -----------------------------------------------------


def test_anonymous_users_are_sent_to_sign_in(client: FlaskClient, world: dict[str, int]) -> None:
    for path in [*reads(world), *forms(world)]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/auth/sign-in" in response.headers["Location"], path
    for path, data in writes(world):
        response = client.post(path, data=data)
        assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]


def test_viewers_read_everything_and_write_nothing(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    client = signed_in("viewer")
    for path in reads(world):
        assert client.get(path).status_code == 200, path
    for path in forms(world):
        assert client.get(path).status_code == 403, path
    before = row_counts(in_app)
    for path, data in writes(world):
        assert client.post(path, data=data).status_code == 403, path
    assert row_counts(in_app) == before


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_use_every_route(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp, role: str
) -> None:
    client = signed_in(role)
    for path in [*reads(world), *forms(world)]:
        assert client.get(path).status_code == 200, path
    before = row_counts(in_app)
    for path, data in writes(world):
        response = client.post(path, data=data)
        assert response.status_code == 302, (path, response.data[:2000])
    # Two hotlines' worth of events: +1 suspension, -1 deleted application; +2 stage events.
    assert row_counts(in_app) == (before[0] + 1, before[1], before[2] + 1, before[3] + 2)


def test_viewer_sees_no_write_controls(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int]
) -> None:
    viewer = signed_in("viewer")
    for path in (f"/hotlines/{world['hotline']}", f"/expansion/{world['target']}", "/countries/TZ"):
        html = viewer.get(path).get_data(as_text=True)
        assert ">Edit<" not in html and ">Archive<" not in html, path
        assert "membership-events" not in html and "Add event" not in html, path
        assert "/move" not in html and "/new" not in html, path
    assert "New hotline" not in viewer.get("/hotlines/").get_data(as_text=True)


def test_manager_sees_the_write_controls(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int]
) -> None:
    manager = signed_in("manager")
    html = manager.get(f"/hotlines/{world['hotline']}").get_data(as_text=True)
    assert ">Edit<" in html and "Add event" in html
    assert f"/membership-events/{world['event']}/delete" in html
    html = manager.get(f"/expansion/{world['target']}").get_data(as_text=True)
    assert f"/expansion/{world['target']}/move" in html
    # The move form offers the next stage after the current one (scoping).
    assert re.search(r'<option selected value="stakeholder_engagement">', html)


# --- hotline pages ---------------------------------------------------------------------------


def test_detail_shows_status_today_and_on_a_chosen_date(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int]
) -> None:
    client = signed_in("viewer")
    page = f"/hotlines/{world['hotline']}"
    html = client.get(page).get_data(as_text=True)
    assert re.search(r"data-status-today>.*Full", html)
    assert "data-status-on" not in html
    for on, shown in [
        ("2000-04-09", "None"),
        ("2001-06-01", "Provisional"),
        ("2002-05-13", "Full"),
    ]:
        html = client.get(f"{page}?on={on}").get_data(as_text=True)
        assert re.search(rf'data-status-on="{on}">On {on}: <span[^>]*>{shown}<', html), on
        assert f'value="{on}"' in html  # the date stays in the box


@pytest.mark.parametrize("bad", ["abc", "2001-02-30", "'><script>", "9" * 300])
def test_a_bad_status_date_is_ignored_with_a_message(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], bad: str
) -> None:
    response = signed_in("viewer").get(f"/hotlines/{world['hotline']}", query_string={"on": bad})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is not a date (use YYYY-MM-DD); showing today only." in html
    assert "data-status-on" not in html and "<script>" not in html


def test_detail_shows_fields_coverage_trainings_and_links(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    with in_app() as s:
        hotline = s.get_one(Hotline, world["hotline"])
        training = make_training(s, hotline=hotline, participants=5)
        title = training.title
    html = signed_in("viewer").get(f"/hotlines/{world['hotline']}").get_data(as_text=True)
    assert f'href="/organizations/{world["operator"]}"' in html
    assert 'href="/countries/KE"' in html and 'href="/countries/UG"' in html
    assert "Accepts reports for (2)" in html
    assert "Swahili, English" in html and ">Phone<" in html and ">Chat<" not in html
    assert title in html and "5 people" in html


def test_create_hotline_covers_its_home_country(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    client = signed_in("manager")
    response = client.post("/hotlines/new", data=hotline_form(covered_countries=[]))
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Accepts reports for (1)" in html and 'href="/countries/UG"' in html
    with in_app() as s:
        hotline = s.scalars(sa.select(Hotline).where(Hotline.name == "Safe Web Uganda")).one()
        assert [c.alpha2 for c in hotline.covered_countries] == ["UG"]
        assert (hotline.languages, hotline.reporting_channels) == ("en sw", "web chat")


def test_edit_form_shows_current_values(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int]
) -> None:
    html = signed_in("manager").get(f"/hotlines/{world['hotline']}/edit").get_data(as_text=True)
    assert 'value="Kenya Child Online Protection Trust"' in html
    assert re.search(r'<option selected value="UG">Uganda</option>', html)
    assert re.search(r'checked[^>]*value="phone"|value="phone"[^>]*checked', html)
    assert not re.search(r'checked[^>]*value="chat"|value="chat"[^>]*checked', html)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"founded_year": "1800"}, "The founding year must be between 1950 and"),
        ({"founded_year": "abc"}, "Not a valid integer value"),
        ({"staff_count": "-1"}, "The staff count must be between 0 and"),
        ({"languages": "en, xx"}, "is not an ISO 639-1 language code"),
        ({"country_code": "ZZ"}, "Not a valid choice"),
        ({"covered_countries": ["ZZ"]}, "not a valid choice"),
        ({"reporting_channels": ["fax"]}, "not a valid choice"),
        ({"public_url": "javascript:alert(1)"}, "http:// or https://"),
        ({"operator": "Nobody"}, "No organization is named"),
        ({"name": "linda mtandao kenya"}, "already exists"),
        ({"notes": "found at www.example.org/x"}, "coordination data only"),
    ],
)
def test_bad_hotline_input_gets_a_message_and_keeps_the_input(
    signed_in: Callable[[str], FlaskClient],
    world: dict[str, int],
    in_app: InApp,
    changes: dict[str, Any],
    message: str,
) -> None:
    before = row_counts(in_app)
    response = signed_in("manager").post("/hotlines/new", data=hotline_form(**changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert message.lower() in html.lower()
    assert 'value="https://report.safeweb.example.org"' in html or "public_url" in changes
    assert row_counts(in_app) == before


def test_list_filters_sorts_and_exports_the_filtered_rows(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    with in_app() as s:
        factories.hotline(s, country="UG", name="Not Yet Uganda")
    client = signed_in("viewer")
    html = client.get("/hotlines/?status=none").get_data(as_text=True)
    assert "Not Yet Uganda" in html and "Linda Mtandao Kenya" not in html
    for sort in ("status", "-status"):  # no status sorts last either way
        html = client.get(f"/hotlines/?country=UG&sort={sort}").get_data(as_text=True)
        assert html.index("Linda Mtandao Kenya") < html.index("Not Yet Uganda"), sort
    text = client.get("/hotlines/?format=csv&status=full").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    header = [
        "Name",
        "Country",
        "Status today",
        "Member since",
        "Operator",
        "Staff",
        "Founded",
        "Owner",
    ]
    data = rows[rows.index(header) + 1 :]
    assert [r[:4] for r in data] == [["Linda Mtandao Kenya", "Kenya", "Full", "2001-01-15"]]


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-4",
        "per_page=9999",
        "sort=;drop table hotlines",
        "status=bogus",
        "country=<b>",
        "founded_from=abc",
        "operator_kind=pirates",
        "q=" + "x" * 500,
    ],
)
def test_bad_list_parameters_never_fail(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], query: str
) -> None:
    client = signed_in("viewer")
    assert client.get(f"/hotlines/?{query}").status_code == 200
    assert client.get(f"/expansion/?{query}&stage=nope&overdue=maybe&owner=x").status_code == 200
    assert client.get(f"/countries/?{query}&region=Atlantis").status_code == 200


def test_list_pages_run_a_constant_number_of_queries(
    app: Flask, signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        owners = [make_user(s).id, make_user(s).id]
        codes = s.scalars(sa.select(Country.alpha2).order_by(Country.alpha2).limit(60)).all()
        for n, code in enumerate(codes):
            factories.hotline(s, country=code, name=f"H {n:02d}", events=[(date(2000, 1, 1), F)])
            target = factories.expansion_target(
                s, country=code, stages=[(date(2020, 1, 1), ExpansionStage.IDENTIFIED)]
            )
            target.owner_id = owners[n % 2]
    client = signed_in("viewer")
    for path in ("/hotlines/", "/expansion/"):
        counts = []
        client.get(
            f"{path}?pipeline=all"
        )  # the filters' choices are read once per data version, then cached
        for per_page in (25, 50, 100):
            statements: list[str] = []

            def count(conn, cursor, statement, *args, _seen=statements):  # type: ignore[no-untyped-def]
                _seen.append(statement)

            with app.app_context():
                engine = db.engine
            event.listen(engine, "before_cursor_execute", count)
            try:
                # Every country here is covered, so only "all" lists the targets.
                assert client.get(f"{path}?per_page={per_page}&pipeline=all").status_code == 200
            finally:
                event.remove(engine, "before_cursor_execute", count)
            counts.append(len(statements))
        assert counts[0] == counts[1] == counts[2], (path, counts)


def test_unknown_or_foreign_records_are_404(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    with in_app() as s:
        other = factories.hotline(s, country="UG", events=[(date(2005, 1, 1), A)])
        foreign_event = membership.membership_timeline(s, hotline_id=other.id)[0].id
    client = signed_in("manager")
    assert client.get("/hotlines/999999").status_code == 404
    assert client.get("/expansion/999999").status_code == 404
    assert client.post("/hotlines/999999/membership-events", data={}).status_code == 404
    assert client.post("/expansion/999999/move", data={}).status_code == 404
    path = f"/hotlines/{world['hotline']}/membership-events/{foreign_event}/delete"
    assert client.post(path).status_code == 404


# --- membership events through the page ------------------------------------------------------


def test_refused_event_shows_the_conflict_and_keeps_the_input(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    before = row_counts(in_app)
    response = signed_in("manager").post(
        f"/hotlines/{world['hotline']}/membership-events",
        data={"event-on": "1999-01-01", "event-status": "full", "event-note": "Founding"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "No full member before applicant" in html
    assert "application on 2000-04-10" in html
    assert 'value="1999-01-01"' in html and 'value="Founding"' in html
    assert row_counts(in_app) == before


def test_bad_event_date_is_a_form_message(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int]
) -> None:
    client = signed_in("manager")
    path = f"/hotlines/{world['hotline']}/membership-events"
    response = client.post(path, data={"event-on": "abc", "event-status": "full"})
    assert response.status_code == 422 and "Not a valid date value" in response.get_data(
        as_text=True
    )
    future = (TODAY + timedelta(days=3)).isoformat()
    response = client.post(path, data={"event-on": future, "event-status": "suspended"})
    assert response.status_code == 422 and "is in the future" in response.get_data(as_text=True)


def test_refused_delete_explains_why(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    with in_app() as s:
        hotline = s.get_one(Hotline, world["hotline"])
        membership.add_membership_event(
            s, hotline=hotline, on=date(2012, 1, 1), status="withdrawn", note=None
        )
        reapplied = membership.add_membership_event(
            s, hotline=hotline, on=date(2015, 1, 1), status="applicant", note=None
        )
        membership.add_membership_event(
            s, hotline=hotline, on=date(2016, 1, 1), status="full", note=None
        )
        event_id = reapplied.id
    response = signed_in("manager").post(
        f"/hotlines/{world['hotline']}/membership-events/{event_id}/delete"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Deleting the application on 2015-01-01 would break the history." in html
    assert "withdrawal on 2012-01-01" in html


def test_events_of_an_archived_hotline_cannot_change(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    with in_app() as s:
        records.archive(s, obj=s.get_one(Hotline, world["hotline"]))
    client = signed_in("manager")
    html = client.get(f"/hotlines/{world['hotline']}").get_data(as_text=True)
    assert "archived</span>" in html and "Add event" not in html
    response = client.post(
        f"/hotlines/{world['hotline']}/membership-events",
        data={"event-on": "2012-01-01", "event-status": "suspended"},
    )
    assert response.status_code == 422 and "restore it before" in response.get_data(as_text=True)


def test_writes_need_the_csrf_token(
    app: Flask, signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    client = signed_in("manager")
    before = row_counts(in_app)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for path, data in writes(world):
            assert client.post(path, data=data).status_code == 400, path
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert row_counts(in_app) == before


# --- expansion pages -------------------------------------------------------------------------


def test_move_stage_back_and_forth_with_time_in_stage(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int]
) -> None:
    client = signed_in("manager")
    path = f"/expansion/{world['target']}"
    five_ago = (TODAY - timedelta(days=5)).isoformat()
    assert (
        client.post(
            f"{path}/move", data={"move-stage": "stakeholder_engagement", "move-on": five_ago}
        ).status_code
        == 302
    )
    assert (
        client.post(
            f"{path}/move",
            data={
                "move-stage": "scoping",
                "move-on": TODAY.isoformat(),
                "move-note": "Host withdrew",
            },
        ).status_code
        == 302
    )
    html = client.get(path).get_data(as_text=True)
    assert re.search(r"data-current-stage><span[^>]*>Scoping<", html)
    assert 'data-days="identified">30<' in html
    assert 'data-days="scoping">5<' in html  # 5 days the first time, 0 so far the second
    assert 'data-days="stakeholder_engagement">5<' in html
    assert "Host withdrew" in html
    assert "Test manager" in html  # who moved it
    list_html = client.get("/expansion/?stage=scoping").get_data(as_text=True)
    assert "Tanzania" in list_html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"move-stage": "hotline_setup", "move-on": "2000-01-01"}, "cannot be dated before it"),
        ({"move-stage": "scoping", "move-on": TODAY.isoformat()}, "already at scoping"),
        ({"move-stage": "launched", "move-on": TODAY.isoformat()}, "Not a valid choice"),
        ({"move-stage": "member", "move-on": "tomorrow"}, "Not a valid date value"),
        ({"move-stage": "member", "move-on": (TODAY + timedelta(days=1)).isoformat()}, "future"),
    ],
)
def test_bad_moves_get_a_message(
    signed_in: Callable[[str], FlaskClient],
    world: dict[str, int],
    in_app: InApp,
    data: dict[str, str],
    message: str,
) -> None:
    before = row_counts(in_app)
    response = signed_in("manager").post(f"/expansion/{world['target']}/move", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert row_counts(in_app) == before


def test_expansion_list_highlights_overdue_steps(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int]
) -> None:
    client = signed_in("viewer")
    html = client.get("/expansion/?overdue=1").get_data(as_text=True)
    assert "Tanzania" in html and 'badge text-bg-danger">overdue' in html
    text = client.get("/expansion/?format=csv&overdue=1").get_data(as_text=True)
    due = (TODAY - timedelta(days=2)).isoformat()
    assert f",{due}\r\n" in text and "<span" not in text and "overdue</" not in text


def test_new_target_from_a_country_page_and_unique_country(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    client = signed_in("manager")
    html = client.get("/countries/PK").get_data(as_text=True)
    assert 'href="/expansion/new?country=PK"' in html
    html = client.get("/expansion/new?country=PK").get_data(as_text=True)
    assert re.search(r'<option selected value="PK">Pakistan</option>', html)
    response = client.post(
        "/expansion/new", data=target_form(owner_id=str(world["owner"]), stage="scoping")
    )
    assert response.status_code == 302
    response = client.post("/expansion/new", data=target_form(country_code="TZ"))
    assert response.status_code == 422
    assert "Tanzania already has an expansion target" in response.get_data(as_text=True)
    with in_app() as s:
        target = s.scalars(
            sa.select(ExpansionTarget).where(ExpansionTarget.country_code == "PK")
        ).one()
        stages = [(e.stage, e.actor_id is not None) for e in target.stage_events]
    assert stages == [(ExpansionStage.SCOPING, True)]


# --- country pages ---------------------------------------------------------------------------


def test_country_page_shows_coverage_hotlines_pipeline_partners_and_trainings(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    with in_app() as s:
        org = factories.organization(s, name="Uganda Child Safety Forum")
        org.hq_country_code = "UG"
        training = make_training(s, country="UG")
        title = training.title
    client = signed_in("viewer")
    html = client.get("/countries/UG").get_data(as_text=True)
    assert 'data-coverage="full"' in html and "covered since 2001-01-15" in html
    assert "Linda Mtandao Kenya" in html and "based in Kenya" in html
    assert "Uganda Child Safety Forum" in html and title in html
    html = client.get("/countries/TZ").get_data(as_text=True)
    assert 'data-coverage="pipeline"' in html
    assert f'href="/expansion/{world["target"]}"' in html and "overdue" in html
    html = client.get("/countries/AQ").get_data(as_text=True)
    assert 'data-coverage="none"' in html and "No expansion work recorded." in html
    # Hotline and expansion pages link to it.
    assert 'href="/countries/TZ"' in client.get(f"/expansion/{world['target']}").get_data(
        as_text=True
    )


@pytest.mark.parametrize("code", ["ZZ", "xyz", "1", "K", "%00"])
def test_unknown_country_code_is_404(signed_in: Callable[[str], FlaskClient], code: str) -> None:
    assert signed_in("viewer").get(f"/countries/{code}").status_code == 404


def test_lower_case_country_code_redirects(signed_in: Callable[[str], FlaskClient]) -> None:
    response = signed_in("viewer").get("/countries/ke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/countries/KE")


def test_country_list_filters_by_region_and_coverage(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int]
) -> None:
    client = signed_in("viewer")
    html = client.get("/countries/?region=Africa&status=full").get_data(as_text=True)
    listed = re.findall(r'href="/countries/([A-Z]{2})"', html)
    assert listed == ["KE", "UG"]
    html = client.get("/countries/?status=pipeline").get_data(as_text=True)
    assert re.findall(r'href="/countries/([A-Z]{2})"', html) == ["TZ"]
    everything = client.get("/countries/?status=bogus&region=Atlantis").get_data(as_text=True)
    assert len(re.findall(r'href="/countries/([A-Z]{2})"', everything)) == 250


def test_an_archived_target_cannot_move(
    signed_in: Callable[[str], FlaskClient], world: dict[str, int], in_app: InApp
) -> None:
    with in_app() as s:
        records.archive(s, obj=s.get_one(ExpansionTarget, world["target"]))
    response = signed_in("manager").post(
        f"/expansion/{world['target']}/move",
        data={"move-stage": "member", "move-on": TODAY.isoformat()},
    )
    assert response.status_code == 422
    assert "restore it before changing it" in response.get_data(as_text=True)
