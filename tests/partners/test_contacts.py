"""Contacts: validation, the stale filter, and the pages for every role."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.errors import ValidationError
from coordapp.listing import ListParams, run_list
from coordapp.partners import contacts, lists, organizations
from coordapp.partners.models import Contact
from coordapp.records.service import StaleRecord
from coordapp.validation import COORDINATION_ONLY
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]
TODAY = date.today()


def good(session: Session, **changes: object) -> dict[str, object]:
    org = factories.organization(session, name="Searchlight")
    return {
        "organization": org.name,
        "full_name": "Ana Costa",
        "job_title": "Trust & Safety lead",
        "email": "Ana.Costa@Searchlight.example.org ",
        "phone": "+32  2 555 01 23",
        "last_contacted_on": TODAY - timedelta(days=3),
        "lawful_basis": "Legitimate interest: named partner contact.",
        **changes,
    }


def test_create_cleans_and_stores(session: Session) -> None:
    contact = contacts.create_contact(session, data=good(session, organization="searchlight"))
    assert contact.organization.name == "Searchlight"
    assert contact.email == "ana.costa@searchlight.example.org"
    assert contact.phone == "+32 2 555 01 23"
    assert contact.last_contacted_on == TODAY - timedelta(days=3)


def test_only_a_name_and_an_organization_are_required(session: Session) -> None:
    contact = contacts.create_contact(
        session,
        data={"organization": factories.organization(session).name, "full_name": "Bo"},
    )
    assert (contact.email, contact.phone, contact.last_contacted_on) == (None, None, None)


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"full_name": " "}, "full_name", "required"),
        ({"full_name": "n" * 161}, "full_name", "At most 160"),
        ({"organization": "Ghost Inc"}, "organization", "No organization is named"),
        ({"email": "ana@"}, "email", "is not a valid email address"),
        ({"email": "not an email"}, "email", "is not a valid email address"),
        ({"email": "a" * 250 + "@x.org"}, "email", "At most 254"),
        ({"phone": "call me"}, "phone", "Enter a phone number"),
        ({"phone": "+1 (2)"}, "phone", "Enter a phone number"),
        ({"last_contacted_on": TODAY + timedelta(days=1)}, "last_contacted_on", "future"),
        ({"last_contacted_on": "yesterday"}, "last_contacted_on", "YYYY-MM-DD"),
        ({"lawful_basis": "see https://x.example/policy"}, "lawful_basis", COORDINATION_ONLY),
        ({"lawful_basis": "l" * 301}, "lawful_basis", "At most 300"),
        ({"job_title": "www.example.com"}, "job_title", COORDINATION_ONLY),
    ],
)
def test_bad_input_is_refused_with_a_message_for_the_field(
    session: Session, change: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        contacts.create_contact(session, data=good(session, **change))
    assert caught.value.field == field
    assert message in caught.value.message
    assert session.scalar(sa.select(sa.func.count(Contact.id))) == 0


def test_update_and_its_version_check(session: Session) -> None:
    data = good(session)
    contact = contacts.create_contact(session, data=data)
    contacts.update_contact(
        session, obj=contact, data={**data, "job_title": "CEO"}, expected_version=1
    )
    assert contact.job_title == "CEO"
    with pytest.raises(StaleRecord):
        contacts.update_contact(
            session, obj=contact, data={**data, "job_title": "CTO"}, expected_version=1
        )
    assert contact.job_title == "CEO"


def test_stale_means_never_or_more_than_180_days_ago(session: Session) -> None:
    org = factories.organization(session)
    cut = TODAY - timedelta(days=contacts.STALE_AFTER_DAYS)
    fresh = [
        factories.contact(
            session, organization=org, full_name="Fresh today", last_contacted_on=TODAY
        ),
        factories.contact(
            session, organization=org, full_name="Fresh at the edge", last_contacted_on=cut
        ),
    ]
    stale = [
        factories.contact(session, organization=org, full_name="Stale never"),
        factories.contact(
            session,
            organization=org,
            full_name="Stale by a day",
            last_contacted_on=cut - timedelta(days=1),
        ),
    ]
    for c in fresh:
        assert not contacts.is_stale(c, today=TODAY)
    for c in stale:
        assert contacts.is_stale(c, today=TODAY)

    def names(**args: str) -> list[str]:
        params = ListParams.from_args(lists.CONTACT_LIST, args)
        return [c.full_name for c in run_list(session, lists.CONTACT_LIST, params).items]

    assert names(stale="1") == sorted(c.full_name for c in stale)
    assert len(names(stale="maybe")) == 4


def test_search_and_organization_filter(session: Session) -> None:
    one, two = (
        factories.organization(session, name="Alpha Search"),
        factories.organization(session, name="Beta Police"),
    )
    factories.contact(session, organization=one, full_name="Ana Costa", email="ana@alpha.example")
    factories.contact(session, organization=two, full_name="Bo Berg", email="bo@beta.example")

    def names(**args: str) -> list[str]:
        params = ListParams.from_args(lists.CONTACT_LIST, args)
        return [c.full_name for c in run_list(session, lists.CONTACT_LIST, params).items]

    assert names(q="COSTA") == ["Ana Costa"]
    assert names(q="beta.example") == ["Bo Berg"]
    assert names(organization=str(two.id)) == ["Bo Berg"]
    assert names(organization="alpha") == ["Ana Costa"]
    assert names(sort="-organization") == ["Bo Berg", "Ana Costa"]


def test_new_record_defaults_prefill_the_organization(session: Session) -> None:
    org = factories.organization(session, name="Prefilled")
    assert organizations.new_record_defaults(session, {"organization_id": str(org.id)}) == {
        "organization": "Prefilled"
    }
    assert organizations.new_record_defaults(session, {"organization_id": "999999"}) == {}
    assert organizations.new_record_defaults(session, {"organization_id": "x"}) == {}


# --- pages -------------------------------------------------------------------------------


def arrange(in_app: InApp) -> tuple[int, int]:
    with in_app() as s:
        org = factories.organization(s, name="Searchlight")
        contact = factories.contact(
            s,
            organization=org,
            full_name="Ana Costa",
            email="ana@searchlight.example",
            last_contacted_on=TODAY - timedelta(days=400),
        )
        return org.id, contact.id


FORM = {
    "organization": "Searchlight",
    "full_name": "Bo Berg",
    "email": "bo@searchlight.example",
    "last_contacted_on": TODAY.isoformat(),
}


def test_anonymous_users_are_sent_to_sign_in(client: FlaskClient, in_app: InApp) -> None:
    _, contact_id = arrange(in_app)
    for method, path in [
        ("GET", "/contacts/"),
        ("GET", f"/contacts/{contact_id}"),
        ("GET", "/contacts/new"),
        ("GET", f"/contacts/{contact_id}/edit"),
        ("POST", f"/contacts/{contact_id}/archive"),
        ("GET", f"/contacts/{contact_id}/personal-data"),
        ("POST", f"/contacts/{contact_id}/erase"),
    ]:
        response = client.open(path, method=method)
        assert response.status_code == 302, path
        assert "/auth/sign-in" in response.location


@pytest.mark.parametrize(
    ("role", "write", "admin_only"),
    [("viewer", 403, 403), ("manager", 200, 403), ("admin", 200, 200)],
)
def test_every_route_for_every_role(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, role: str, write: int, admin_only: int
) -> None:
    org_id, contact_id = arrange(in_app)
    client = signed_in(role)
    assert client.get("/contacts/").status_code == 200
    assert client.get("/contacts/?format=csv").status_code == 200
    page = client.get(f"/contacts/{contact_id}")
    assert page.status_code == 200
    assert (b">Edit<" in page.data) is (write == 200)
    assert (b"Erase personal data" in page.data) is (admin_only == 200)
    assert client.get("/contacts/new").status_code == write
    assert client.get(f"/contacts/{contact_id}/edit").status_code == write
    created = client.post("/contacts/new", data=FORM)
    assert created.status_code == (302 if write == 200 else 403)
    archived = client.post(f"/contacts/{contact_id}/archive")
    assert archived.status_code == (302 if write == 200 else 403)
    restored = client.post(f"/contacts/{contact_id}/restore")
    assert restored.status_code == (302 if write == 200 else 403)
    assert client.get(f"/contacts/{contact_id}/personal-data").status_code == admin_only
    erased = client.post(f"/contacts/{contact_id}/erase", data={"confirm": "y"})
    assert erased.status_code == (302 if admin_only == 200 else 403)


def test_manager_creates_from_the_organization_page(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    org_id, _ = arrange(in_app)
    client = signed_in("manager")
    org_page = client.get(f"/organizations/{org_id}").data.decode()
    assert f"/contacts/new?organization_id={org_id}" in org_page
    form = client.get(f"/contacts/new?organization_id={org_id}").data.decode()
    assert 'value="Searchlight"' in form
    response = client.post("/contacts/new", data=FORM)
    assert response.status_code == 302
    page = client.get(response.location).data.decode()
    assert "Bo Berg" in page and "bo@searchlight.example" in page and "manager@test.example" in page
    assert "Bo Berg" in client.get(f"/organizations/{org_id}").data.decode()


def test_stale_contacts_are_marked_and_filtered(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    _, contact_id = arrange(in_app)
    with in_app() as s:
        factories.contact(
            s,
            organization=s.get_one(Contact, contact_id).organization,
            full_name="Recent Person",
            last_contacted_on=TODAY,
        )
    client = signed_in("viewer")
    html = client.get("/contacts/?stale=1").data.decode()
    assert "Ana Costa" in html and "Recent Person" not in html
    assert "not contacted for 180 days" in client.get(f"/contacts/{contact_id}").data.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "bo@"}, "is not a valid email address"),
        ({"full_name": "x" * 200}, "Field cannot be longer than 160 characters"),
        ({"lawful_basis": "http://x.example/a"}, "coordination data only"),
        ({"organization": "Nobody"}, "No organization is named"),
        ({"phone": "call me"}, "Enter a phone number"),
    ],
)
def test_form_errors_are_shown_next_to_the_field_with_the_input_kept(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, change: dict[str, str], message: str
) -> None:
    arrange(in_app)
    response = signed_in("manager").post("/contacts/new", data={**FORM, **change})
    assert response.status_code == 422
    html = response.data.decode().replace("&#39;", "'")
    assert message in html and "is-invalid" in html
    assert 'value="bo@' in html or 'value="Bo Berg"' in html


def test_archive_hides_and_restore_brings_back(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    _, contact_id = arrange(in_app)
    client = signed_in("manager")
    client.post(f"/contacts/{contact_id}/archive")
    assert "Ana Costa" not in client.get("/contacts/").data.decode()
    assert "Ana Costa" in client.get("/contacts/?archived=1").data.decode()
    client.post(f"/contacts/{contact_id}/restore")
    assert "Ana Costa" in client.get("/contacts/").data.decode()


@pytest.mark.parametrize(
    "query", ["page=abc", "sort=;drop", "stale=x", "organization=%27", "per_page=-1", "q=%00"]
)
def test_bad_query_values_never_fail(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, query: str
) -> None:
    arrange(in_app)
    # A NUL in the address is refused as a whole (coordapp.inputs); the rest is ignored.
    expected = 400 if "%00" in query else 200
    assert signed_in("viewer").get(f"/contacts/?{query}").status_code == expected


def test_unknown_contact_is_404(signed_in: Callable[[str], FlaskClient]) -> None:
    client = signed_in("admin")
    for path in ("/contacts/999999", "/contacts/999999/edit", "/contacts/999999/personal-data"):
        assert client.get(path).status_code == 404
    assert client.post("/contacts/999999/erase", data={"confirm": "y"}).status_code == 404


def test_a_nul_character_is_refused_not_a_server_error(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    arrange(in_app)
    client = signed_in("manager")
    response = client.post("/contacts/new", data={**FORM, "full_name": "Bo\x00Berg"})
    assert response.status_code == 422
    assert "Remove the NUL character" in response.data.decode()
    response = client.post("/contacts/new", data={**FORM, "organization": "Search\x00light"})
    assert response.status_code == 302  # the name still resolves without it
    assert client.get("/lookup/organizations?q=%00").status_code == 400
