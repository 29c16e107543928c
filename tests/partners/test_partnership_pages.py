"""Partnership pages: every route for every role, the status and renewal forms, the list."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.extensions import db
from coordapp.partners.models import Partnership, PartnershipStatus
from coordapp.reference.models import Pillar
from tests import factories
from tests.conftest import PASSWORD

InApp = Callable[[], AbstractContextManager[Session]]
S = PartnershipStatus
TODAY = date.today()


def arrange(in_app: InApp, status: S = S.ACTIVE, **fields: object) -> tuple[int, int]:
    with in_app() as s:
        org = factories.organization(s, name="Searchlight")
        item = factories.partnership(
            s,
            organization=org,
            title="Hash-sharing MoU",
            status=status,
            start_date=fields.pop("start_date", date(2024, 1, 1)),
            **fields,
        )
        return org.id, item.id


def form(manager_id: int, **changes: str) -> dict[str, object]:
    return {
        "organization": "Searchlight",
        "title": "Technology grant",
        "type": "funding",
        "status": "prospect",
        "owner_id": str(manager_id),
        "start_date": "2025-01-01",
        "end_date": "2026-12-31",
        "renewal_notice_days": "90",
        "document_refs": "https://docs.example.org/grant.pdf",
        "notes": "",
        **changes,
    }


def manager_id(in_app: InApp, users: dict[str, str]) -> int:
    with in_app() as s:
        return auth.get_required_by_email(s, users["manager"]).id


def test_anonymous_users_are_sent_to_sign_in(client: FlaskClient, in_app: InApp) -> None:
    _, pid = arrange(in_app)
    for method, path in [
        ("GET", "/partnerships/"),
        ("GET", f"/partnerships/{pid}"),
        ("GET", "/partnerships/new"),
        ("GET", f"/partnerships/{pid}/edit"),
        ("POST", f"/partnerships/{pid}/archive"),
        ("POST", f"/partnerships/{pid}/restore"),
        ("POST", f"/partnerships/{pid}/status"),
        ("POST", f"/partnerships/{pid}/renew"),
    ]:
        response = client.open(path, method=method)
        assert response.status_code == 302 and "/auth/sign-in" in response.location, path


@pytest.mark.parametrize(
    ("role", "allowed"), [("viewer", False), ("manager", True), ("admin", True)]
)
def test_every_route_for_every_role(
    signed_in: Callable[[str], FlaskClient],
    users: dict[str, str],
    in_app: InApp,
    role: str,
    allowed: bool,
) -> None:
    _, pid = arrange(in_app, end_date=date(2026, 12, 31))
    owner = manager_id(in_app, users)
    client = signed_in(role)
    write, moved = (200, 302) if allowed else (403, 403)
    assert client.get("/partnerships/").status_code == 200
    assert client.get("/partnerships/?format=csv").status_code == 200
    page = client.get(f"/partnerships/{pid}")
    assert page.status_code == 200
    for button in (b">Edit<", b"Change status", b">Renew<"):
        assert (button in page.data) is allowed
    assert client.get("/partnerships/new").status_code == write
    assert client.get(f"/partnerships/{pid}/edit").status_code == write
    assert client.post("/partnerships/new", data=form(owner)).status_code == moved
    renewed = client.post(
        f"/partnerships/{pid}/renew",
        data={"renew-end_date": "2029-12-31", "renew-on": TODAY.isoformat()},
    )
    assert renewed.status_code == moved
    status = client.post(
        f"/partnerships/{pid}/status",
        data={"status-status": "ended", "status-on": TODAY.isoformat()},
    )
    assert status.status_code == moved
    assert client.post(f"/partnerships/{pid}/archive").status_code == moved
    assert client.post(f"/partnerships/{pid}/restore").status_code == moved
    with in_app() as s:
        item = s.get_one(Partnership, pid)
        expected = (S.ENDED, TODAY) if allowed else (S.ACTIVE, date(2026, 12, 31))
        assert (item.status, item.end_date) == expected


def test_new_partnership_from_the_organization_page(
    signed_in: Callable[[str], FlaskClient], users: dict[str, str], in_app: InApp
) -> None:
    org_id, _ = arrange(in_app)
    owner = manager_id(in_app, users)
    client = signed_in("manager")
    assert (
        f"/partnerships/new?organization_id={org_id}"
        in client.get(f"/organizations/{org_id}").data.decode()
    )
    html = client.get(f"/partnerships/new?organization_id={org_id}").data.decode()
    assert 'value="Searchlight"' in html
    assert f'<option selected value="{owner}">' in html  # the manager owns it by default
    response = client.post("/partnerships/new", data=form(owner))
    assert response.status_code == 302
    page = client.get(response.location).data.decode()
    assert "Technology grant" in page and "https://docs.example.org/grant.pdf" in page
    assert "Renewal due" in page


def test_status_buttons_move_along_the_rule_and_record_a_dated_note(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    _, pid = arrange(in_app, status=S.PROSPECT)
    client = signed_in("manager")
    page = client.get(f"/partnerships/{pid}").data.decode()
    assert '<option value="negotiating">' in page and '<option value="active">' not in page
    day = (TODAY - timedelta(days=2)).isoformat()
    response = client.post(
        f"/partnerships/{pid}/status",
        data={"status-status": "negotiating", "status-on": day, "status-note": "Kick-off call"},
    )
    assert response.status_code == 302
    page = client.get(f"/partnerships/{pid}").data.decode()
    assert f"{day}: Prospect → Negotiating. Kick-off call" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status-status": "ended"}, "only to Negotiating, not to Ended"),
        ({"status-status": "negotiating", "status-on": ""}, "Enter the date it took effect"),
        ({"status-status": "negotiating", "status-on": "soon"}, "Not a valid date value"),
        (
            {"status-status": "negotiating", "status-note": "x.example/payload"},
            "coordination data only",
        ),
        ({"status-status": "negotiating", "status-note": "n" * 501}, "longer than 500"),
    ],
)
def test_a_refused_status_change_says_why_and_changes_nothing(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, data: dict[str, str], message: str
) -> None:
    _, pid = arrange(in_app, status=S.PROSPECT)
    response = signed_in("manager").post(
        f"/partnerships/{pid}/status", data={"status-on": TODAY.isoformat(), **data}
    )
    assert response.status_code == 422
    assert message in response.data.decode().replace("&#39;", "'")
    with in_app() as s:
        assert s.get_one(Partnership, pid).status == S.PROSPECT


def test_renewal_from_the_page(signed_in: Callable[[str], FlaskClient], in_app: InApp) -> None:
    _, pid = arrange(in_app, status=S.LAPSED, end_date=TODAY - timedelta(days=40))
    client = signed_in("manager")
    refused = client.post(
        f"/partnerships/{pid}/renew",
        data={"renew-end_date": (TODAY - timedelta(days=60)).isoformat(), "renew-on": TODAY},
    )
    assert refused.status_code == 422
    assert "must be after the current one" in refused.data.decode()
    new_end = date(TODAY.year + 3, 6, 30)
    response = client.post(
        f"/partnerships/{pid}/renew",
        data={"renew-end_date": new_end.isoformat(), "renew-on": TODAY.isoformat()},
    )
    assert response.status_code == 302
    with in_app() as s:
        item = s.get_one(Partnership, pid)
        assert (item.status, item.end_date) == (S.ACTIVE, new_end)
    assert (
        f"renewed until {new_end.isoformat()}" in client.get(f"/partnerships/{pid}").data.decode()
    )


def test_a_stale_status_form_gets_the_conflict_page(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    _, pid = arrange(in_app, status=S.PROSPECT)
    response = signed_in("manager").post(
        f"/partnerships/{pid}/status",
        data={
            "status-status": "negotiating",
            "status-on": TODAY.isoformat(),
            "status-version": "7",
        },
    )
    assert response.status_code == 409


def test_edit_form_offers_and_enforces_the_allowed_statuses(
    signed_in: Callable[[str], FlaskClient], users: dict[str, str], in_app: InApp
) -> None:
    _, pid = arrange(in_app, status=S.NEGOTIATING)
    owner = manager_id(in_app, users)
    client = signed_in("manager")
    html = client.get(f"/partnerships/{pid}/edit").data.decode()
    assert '<option value="active">' in html and '<option value="ended">' not in html
    response = client.post(
        f"/partnerships/{pid}/edit", data=form(owner, status="lapsed", version="1")
    )
    assert response.status_code == 422
    assert "only to Active, not to Lapsed" in response.data.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"end_date": "2024-12-31"}, "The end date cannot be before the start date."),
        ({"title": "t" * 201}, "Field cannot be longer than 200 characters."),
        ({"notes": "look at https://evil.example/x"}, "coordination data only"),
        ({"owner_id": "424242"}, "There is no user with id 424242."),
        ({"document_refs": "javascript:alert(1)"}, "Enter a full http:// or https:// address."),
        ({"renewal_notice_days": "abc"}, "Not a valid integer value."),
        ({"pillars": "999999"}, "Unknown pillar id 999999."),
    ],
)
def test_bad_form_input_is_shown_next_to_the_field(
    signed_in: Callable[[str], FlaskClient],
    users: dict[str, str],
    in_app: InApp,
    change: dict[str, str],
    message: str,
) -> None:
    arrange(in_app)
    owner = manager_id(in_app, users)
    response = signed_in("manager").post("/partnerships/new", data=form(owner, **change))
    assert response.status_code == 422
    html = response.data.decode().replace("&#39;", "'")
    assert message in html and "is-invalid" in html
    assert 'value="Searchlight"' in html  # the input is kept


def test_list_shows_the_renewal_due_date_and_filters_by_it(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        org = factories.organization(s)
        factories.partnership(
            s, organization=org, title="Soon", end_date=TODAY + timedelta(days=100)
        )
        factories.partnership(
            s, organization=org, title="Late", end_date=TODAY + timedelta(days=10)
        )
        factories.partnership(
            s, organization=org, title="Far", end_date=TODAY + timedelta(days=1000)
        )
    client = signed_in("viewer")
    html = client.get("/partnerships/?renewal=due").data.decode()
    assert "Soon" in html and "Late" not in html and "Far" not in html
    assert (TODAY + timedelta(days=10)).isoformat() in html
    overdue = client.get("/partnerships/?renewal=overdue").data.decode()
    assert "Late" in overdue and "Soon" not in overdue
    ordered = client.get("/partnerships/?sort=renewal_due").data.decode()
    assert ordered.index("Late") < ordered.index("Soon") < ordered.index("Far")
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/partnerships/?format=csv&renewal=due").data.decode("utf-8-sig")
            )
        )
    )
    header = rows.index(
        [
            "Title",
            "Organization",
            "Type",
            "Status",
            "Pillars",
            "Owner",
            "Start",
            "End",
            "Renewal due",
        ]
    )
    assert [r[0] for r in rows[header + 1 :]] == ["Soon"]
    assert rows[header + 1][8] == (TODAY + timedelta(days=10)).isoformat()


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "sort=;drop",
        "status=bogus",
        "pillar=x",
        "owner=-1",
        "year=abcd",
        "year=99999",
        "renewal=now",
        "kind=church",
        "type=%27",
    ],
)
def test_bad_query_values_never_fail(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, query: str
) -> None:
    arrange(in_app)
    response = signed_in("viewer").get(f"/partnerships/?{query}")
    assert response.status_code == 200 and "Hash-sharing MoU" in response.data.decode()


def test_list_queries_do_not_grow_with_the_page_size(
    app: Flask, signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        org = factories.organization(s)
        pillars = list(s.scalars(sa.select(Pillar)))
        owner = auth.create_user(
            s, email="o@test.example", full_name="O", role="manager", password=PASSWORD
        )
        for i in range(60):
            factories.partnership(
                s, organization=org, title=f"P{i:02d}", owner_id=owner.id, pillars=pillars
            )
    client = signed_in("viewer")
    counts = []
    client.get("/partnerships/")  # the filters' choices are read once per data version, then cached
    for per_page in (25, 50, 100):
        statements: list[str] = []

        def count(conn, cursor, statement, *args, _seen=statements):  # type: ignore[no-untyped-def]
            _seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/partnerships/?per_page={per_page}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2], counts


def test_unknown_partnership_is_404(signed_in: Callable[[str], FlaskClient]) -> None:
    client = signed_in("manager")
    assert client.get("/partnerships/999999").status_code == 404
    assert client.post("/partnerships/999999/status", data={}).status_code == 404
    assert client.post("/partnerships/999999/renew", data={}).status_code == 404


def test_status_and_renewal_forms_need_the_csrf_token(
    app: Flask, signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    _, pid = arrange(in_app, status=S.PROSPECT)
    client = signed_in("manager")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for path, data in [
            ("status", {"status-status": "negotiating", "status-on": TODAY.isoformat()}),
            ("renew", {"renew-end_date": "2030-01-01", "renew-on": TODAY.isoformat()}),
        ]:
            response = client.post(f"/partnerships/{pid}/{path}", data=data)
            assert response.status_code == 400 and b"CSRF" in response.data
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    with in_app() as s:
        assert s.get_one(Partnership, pid).status == S.PROSPECT
