"""Organizations: the first record type of the workspace, and the shared list/form machinery."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.errors import ValidationError
from coordapp.extensions import db
from coordapp.partners import organizations
from coordapp.partners.models import Organization, OrganizationKind, OrganizationStatus
from coordapp.records.service import StaleRecord
from coordapp.validation import COORDINATION_ONLY

InApp = Callable[[], AbstractContextManager[Session]]
GOOD = {
    "name": "Searchlight",
    "kind": "industry",
    "status": "active",
    "hq_country_code": "US",
    "website": "https://searchlight.example.org",
    "tags": "search",
    "notes": "Met at summit.",
}


def test_create_cleans_and_stores(session: Session) -> None:
    org = organizations.create_organization(
        session, data={**GOOD, "name": "  Searchlight  ", "hq_country_code": "us"}
    )
    assert (org.name, org.kind, org.status, org.hq_country_code) == (
        "Searchlight",
        OrganizationKind.INDUSTRY,
        OrganizationStatus.ACTIVE,
        "US",
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": ""}, "name", "required"),
        ({"name": "x" * 201}, "name", "At most 200"),
        ({"kind": "church"}, "kind", "is not one of"),
        ({"hq_country_code": "ZZ"}, "hq_country_code", "not a known ISO 3166-1"),
        ({"website": "ftp://files.example.org"}, "website", "http:// or https://"),
        ({"website": "javascript:alert(1)"}, "website", "http:// or https://"),
        ({"notes": "see https://bad.example/abc"}, "notes", COORDINATION_ONLY),
        ({"notes": "hash " + "a" * 40}, "notes", COORDINATION_ONLY),
        ({"notes": "www.example.com"}, "notes", COORDINATION_ONLY),
        ({"tags": "t" * 301}, "tags", "At most 300"),
    ],
)
def test_bad_input_is_refused_with_a_message_for_the_field(
    session: Session, change: dict[str, str], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        organizations.create_organization(session, data={**GOOD, **change})
    assert caught.value.field == field
    assert message in caught.value.message
    assert session.scalar(sa.select(sa.func.count(Organization.id))) == 0


def test_names_are_unique_whatever_the_case(session: Session) -> None:
    first = organizations.create_organization(session, data=GOOD)
    with pytest.raises(ValidationError, match="already exists"):
        organizations.create_organization(session, data={**GOOD, "name": "SEARCHLIGHT"})
    # Saving the record itself under its own name is fine.
    organizations.update_organization(
        session, obj=first, data={**GOOD, "tags": "search ads"}, expected_version=first.version
    )
    assert first.tags == "search ads"


def test_update_against_an_old_version_is_refused_and_changes_nothing(session: Session) -> None:
    org = organizations.create_organization(session, data=GOOD)
    organizations.update_organization(
        session, obj=org, data={**GOOD, "tags": "first"}, expected_version=1
    )
    with pytest.raises(StaleRecord):
        organizations.update_organization(
            session, obj=org, data={**GOOD, "tags": "second"}, expected_version=1
        )
    assert org.tags == "first"


def test_every_change_is_in_the_history(session: Session) -> None:
    audit.set_actor(session, actor_id=None, label="m@test.example")
    org = organizations.create_organization(session, data=GOOD)
    organizations.update_organization(
        session, obj=org, data={**GOOD, "status": "inactive"}, expected_version=org.version
    )
    events = audit.events_for(session, entity_type="organizations", entity_id=org.id)
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].changes == {"status": ["active", "inactive"]}


# --- pages --------------------------------------------------------------------------------


def make_orgs(in_app: InApp, count: int) -> list[int]:
    with in_app() as s:
        orgs = [
            organizations.create_organization(
                s,
                data={
                    **GOOD,
                    "name": f"Org {i:03d}",
                    "hq_country_code": "DE" if i % 2 else "BR",
                    "kind": "ngo" if i % 3 else "foundation",
                },
            )
            for i in range(count)
        ]
        return [o.id for o in orgs]


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("manager", 302), ("admin", 302)])
def test_only_managers_and_admins_create(
    signed_in: Callable[[str], FlaskClient], role: str, status: int
) -> None:
    client = signed_in(role)
    response = client.post("/organizations/new", data=GOOD)
    assert response.status_code == status


def test_anonymous_users_are_sent_to_sign_in(client: FlaskClient) -> None:
    for path in ("/organizations/", "/organizations/1", "/organizations/new"):
        assert client.get(path).status_code == 302


def test_viewer_reads_without_edit_buttons_and_cannot_write(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    (org_id,) = make_orgs(in_app, 1)
    client = signed_in("viewer")
    page = client.get(f"/organizations/{org_id}")
    assert page.status_code == 200 and b"Org 000" in page.data
    assert b">Edit<" not in page.data and b"Archive" not in page.data
    assert client.get(f"/organizations/{org_id}/edit").status_code == 403
    assert client.post(f"/organizations/{org_id}/archive").status_code == 403


def test_manager_creates_and_sees_the_record(signed_in: Callable[[str], FlaskClient]) -> None:
    client = signed_in("manager")
    response = client.post("/organizations/new", data=GOOD)
    assert response.status_code == 302
    page = client.get(response.location)
    assert b"Searchlight" in page.data and b"United States" in page.data
    assert b"manager@test.example" in page.data  # the history names who created it


def test_form_errors_keep_the_input_and_show_the_message_next_to_the_field(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    client = signed_in("manager")
    response = client.post("/organizations/new", data={**GOOD, "notes": "http://x.example/1"})
    assert response.status_code == 422
    html = response.data.decode()
    assert "coordination data only" in html
    assert 'value="Searchlight"' in html
    assert "is-invalid" in html


def test_second_save_on_the_same_version_gets_the_409_page_with_its_input_kept(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    (org_id,) = make_orgs(in_app, 1)
    client = signed_in("manager")
    first = client.post(
        f"/organizations/{org_id}/edit",
        data={**GOOD, "name": "Org 000", "tags": "alice", "version": "1"},
    )
    assert first.status_code == 302
    second = client.post(
        f"/organizations/{org_id}/edit",
        data={**GOOD, "name": "Org 000", "tags": "bob", "version": "1"},
    )
    assert second.status_code == 409
    html = second.data.decode()
    assert 'value="bob"' in html  # the second manager's input is kept
    assert "alice" in html  # and what changed meanwhile is shown
    with in_app() as s:
        assert s.get_one(Organization, org_id).tags == "alice"  # nothing overwritten


def test_archive_hides_from_the_list_until_asked_and_restore_brings_it_back(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    (org_id,) = make_orgs(in_app, 1)
    client = signed_in("manager")
    assert client.post(f"/organizations/{org_id}/archive").status_code == 302
    assert b"Org 000" not in client.get("/organizations/").data
    assert b"Org 000" in client.get("/organizations/?archived=1").data
    assert client.get(f"/organizations/{org_id}").status_code == 200
    edit = client.get(f"/organizations/{org_id}/edit", follow_redirects=True)
    assert b"archived: restore it before editing it" in edit.data
    assert (
        client.post(f"/organizations/{org_id}/edit", data={**GOOD, "version": "2"}).status_code
        == 302
    )
    with in_app() as s:
        assert s.get_one(Organization, org_id).name == "Org 000"  # the edit was not applied
    assert client.post(f"/organizations/{org_id}/restore").status_code == 302
    assert b"Org 000" in client.get("/organizations/").data


def test_unknown_record_is_404(signed_in: Callable[[str], FlaskClient]) -> None:
    client = signed_in("manager")
    assert client.get("/organizations/999999").status_code == 404
    assert client.get("/organizations/999999/edit").status_code == 404
    assert client.get(f"/organizations/{2**64}").status_code == 404


def test_list_search_filter_sort_and_pages(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    make_orgs(in_app, 30)
    client = signed_in("viewer")
    html = client.get("/organizations/?kind=foundation&country=DE&sort=-name").data.decode()
    # i % 3 == 0 and i odd: 3, 9, 15, 21, 27 -> newest name first
    names = [n for n in (f"Org {i:03d}" for i in range(30)) if n in html]
    assert names == ["Org 003", "Org 009", "Org 015", "Org 021", "Org 027"]
    assert html.index("Org 027") < html.index("Org 003")
    page2 = client.get("/organizations/?page=2").data.decode()
    assert "Org 025" in page2 and "Org 024" not in page2 and "2 / 2" in page2
    assert "Org 012" in client.get("/organizations/?q=org 01").data.decode()
    assert "Org 002" not in client.get("/organizations/?q=org 01").data.decode()


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "sort=;drop",
        "per_page=7",
        "page=-3",
        "kind=bogus",
        "region=Atlantis",
        "q=%27%22%3B--",
        "archived=maybe",
        "page=99999999999999999999",
    ],
)
def test_bad_query_values_never_fail(signed_in: Callable[[str], FlaskClient], query: str) -> None:
    assert signed_in("viewer").get(f"/organizations/?{query}").status_code == 200


def test_csv_export_has_exactly_the_filtered_rows_and_a_stamp(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    make_orgs(in_app, 6)
    with in_app() as s:
        organizations.create_organization(
            s, data={**GOOD, "name": "=HYPERLINK(1)", "kind": "academic"}
        )
    response = signed_in("viewer").get("/organizations/?kind=academic&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    stamp = {r[0]: r[1] for r in rows if r and r[0].startswith("# ")}
    assert stamp["# filters"] == "kind=academic"
    assert stamp["# exported by"] == "viewer@test.example"
    data = rows[
        rows.index(["Name", "Kind", "Status", "HQ country", "Tags", "Owner", "Updated"]) + 1 :
    ]
    assert [r[0] for r in data] == ["'=HYPERLINK(1)"]  # escaped against formula injection


def test_list_page_queries_do_not_grow_with_the_page_size(
    app: Flask, signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    make_orgs(in_app, 60)
    client = signed_in("viewer")
    counts = []
    client.get(
        "/organizations/"
    )  # the filters' choices are read once per data version, then cached
    for per_page in (25, 50, 100):
        statements: list[str] = []

        def count(conn, cursor, statement, *args, _seen=statements):  # type: ignore[no-untyped-def]
            _seen.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get(f"/organizations/?per_page={per_page}").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2], counts


def test_lookup_gives_names_for_the_type_ahead(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    make_orgs(in_app, 12)
    names = signed_in("viewer").get("/lookup/organizations?q=org 01").json
    assert names == [f"Org {i:03d}" for i in range(10, 12)]
