"""Owners of organizations, hotlines and funding commitments: chosen on their forms (active
managers and admins), refused with a message on the field otherwise (nothing lost), shown on
their pages and lists, read from an import's "owner" column (a user's email) and by the API."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.auth.models import User
from coordapp.errors import ValidationError
from coordapp.funding.models import FundingCommitment
from coordapp.network.models import Hotline
from coordapp.partners import organizations
from coordapp.partners.models import Organization
from coordapp.reference.models import Pillar
from tests import factories
from tests.conftest import PASSWORD
from tests.imports.test_service import csv_bytes, run

InApp = Callable[[], AbstractContextManager[Session]]
SignedIn = Callable[[str], FlaskClient]
TODAY = date.today()


def _org_form(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Searchlight", "kind": "industry", "status": "active", "tags": "search"}


def _hotline_form(ctx: dict[str, Any]) -> dict[str, Any]:
    return {"name": "Safe Web Uganda", "country_code": "UG", "languages": "en"}


def _commitment_form(ctx: dict[str, Any]) -> dict[str, Any]:
    pillar = ctx["pillar"]
    return {
        "title": "Bridge grant",
        "funder": "Brightpath Foundation",
        "currency_code": "EUR",
        "amount": "100.00",
        "pledged_on": (TODAY - timedelta(days=30)).isoformat(),
        "period_start": (TODAY - timedelta(days=20)).isoformat(),
        "period_end": (TODAY + timedelta(days=300)).isoformat(),
        "allocation_mode": "percent",
        f"allocations-{pillar}": "100",
    }


# (list path, the form's data, the model, the field shown to tell the record from others)
FORMS = {
    "organization": ("/organizations/", _org_form, Organization, "Searchlight"),
    "hotline": ("/hotlines/", _hotline_form, Hotline, "Safe Web Uganda"),
    "commitment": ("/commitments/", _commitment_form, FundingCommitment, "Bridge grant"),
}


@pytest.fixture
def ctx(in_app: InApp, users: dict[str, str]) -> dict[str, Any]:
    with in_app() as s:
        factories.organization(s, name="Brightpath Foundation")
        gone = auth.create_user(
            s, email="gone@test.example", full_name="Gone Person", role="manager", password=PASSWORD
        )
        gone.active = False
        ids = {role: auth.get_required_by_email(s, email).id for role, email in users.items()}
        return {
            "ids": ids,
            "gone": gone.id,
            "pillar": s.scalars(sa.select(Pillar.id).order_by(Pillar.sort_order)).first(),
        }


def _count(in_app: InApp, model: type) -> int:
    with in_app() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.mark.parametrize("kind", list(FORMS))
def test_the_owner_chosen_on_the_form_is_shown_on_the_page_and_in_the_list(
    kind: str, signed_in: SignedIn, ctx: dict[str, Any], in_app: InApp
) -> None:
    path, data, model, name = FORMS[kind]
    client = signed_in("manager")
    form_page = client.get(f"{path}new").get_data(as_text=True)
    # Active managers and admins only: no viewer, no deactivated user.
    assert "Test manager (manager@test.example)" in form_page
    assert "Test viewer" not in form_page and "Gone Person" not in form_page
    assert re.search(r'<label[^>]*for="owner_id"[^>]*>\s*Owner', form_page)
    manager = ctx["ids"]["manager"]
    response = client.post(f"{path}new", data={**data(ctx), "owner_id": str(manager)})
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    page = client.get(response.location).get_data(as_text=True)
    assert re.search(r"data-owner>\s*Test manager", page)
    with in_app() as s:
        record_id, owner_id = s.execute(sa.select(model.id, model.owner_id)).all()[-1]
        assert owner_id == manager
    listed = client.get(f"{path}?owner={manager}").get_data(as_text=True)
    assert name in listed and "Test manager" in listed
    assert name not in client.get(f"{path}?owner=none").get_data(as_text=True)
    # The edit form shows the owner chosen; emptying it leaves the record without one.
    edit_page = client.get(f"{path}{record_id}/edit").get_data(as_text=True)
    assert re.search(rf'<option selected value="{manager}">', edit_page)


@pytest.mark.parametrize("kind", list(FORMS))
@pytest.mark.parametrize(
    ("owner", "message"),
    [
        ("unknown", "There is no user with id 987654."),
        ("gone", "Gone Person is deactivated; choose another owner."),
        ("viewer", "Test viewer is a viewer; the owner must be a manager."),
        ("text", "Choose the owner from the list."),
    ],
)
def test_an_owner_who_cannot_own_is_refused_on_the_field_and_nothing_is_lost(
    kind: str, owner: str, message: str, signed_in: SignedIn, ctx: dict[str, Any], in_app: InApp
) -> None:
    path, data, model, name = FORMS[kind]
    value = {
        "unknown": "987654",
        "gone": str(ctx["gone"]),
        "viewer": str(ctx["ids"]["viewer"]),
        "text": "Bob",
    }[owner]
    before = _count(in_app, model)
    response = signed_in("manager").post(f"{path}new", data={**data(ctx), "owner_id": value})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert re.search(r'id="owner_id"[^>]*is-invalid|is-invalid[^>]*id="owner_id"', html)
    assert f'value="{name}"' in html  # the rest of the input is kept
    assert _count(in_app, model) == before


def test_a_record_keeps_an_owner_since_deactivated_when_something_else_changes(
    session: Session,
) -> None:
    owner = auth.create_user(
        session, email="ann@test.example", full_name="Ann", role="manager", password=PASSWORD
    )
    data = {"name": "Searchlight", "kind": "industry", "owner_id": str(owner.id)}
    org = organizations.create_organization(session, data=data)
    owner.active = False
    session.flush()
    org = organizations.update_organization(
        session, obj=org, data={**data, "tags": "search"}, expected_version=org.version
    )
    assert (org.owner_id, org.tags) == (owner.id, "search")
    other = auth.create_user(
        session, email="cy@test.example", full_name="Cy", role="manager", password=PASSWORD
    )
    with pytest.raises(ValidationError, match="deactivated") as caught:
        organizations.create_organization(
            session, data={**data, "name": "Other", "owner_id": str(owner.id)}
        )
    assert caught.value.field == "owner_id"
    org = organizations.update_organization(
        session, obj=org, data={**data, "owner_id": ""}, expected_version=org.version
    )
    assert org.owner_id is None
    assert other.active


def _user(session: Session, email: str, *, active: bool = True) -> User:
    user = auth.create_user(
        session,
        email=email,
        full_name=email.split("@")[0].title(),
        role="manager",
        password=PASSWORD,
    )
    user.active = active
    session.flush()
    return user


def test_imports_read_the_owner_by_email_and_an_unknown_email_is_a_row_error(
    session: Session,
) -> None:
    ann = _user(session, "ann@test.example")
    _user(session, "gone@test.example", active=False)
    orgs = csv_bytes(
        "name,kind,owner",
        "Alpha Cloud,industry,ANN@test.example",
        "Beta Unit,industry,",
    )
    report = run(session, orgs, apply=True)
    assert report.applied, report.errors
    owners = dict(session.execute(sa.select(Organization.name, Organization.owner_id)).all())
    assert owners == {"Alpha Cloud": ann.id, "Beta Unit": None}

    bad = csv_bytes(
        "name,kind,owner",
        "Gamma,industry,ghost@test.example",
        "Delta,industry,gone@test.example",
    )
    report = run(session, bad, apply=True)
    assert not report.applied
    errors = {(e.row, e.column): e.message for e in report.errors}
    assert "ghost@test.example" in errors[(2, "owner")]
    assert errors[(3, "owner")] == "Gone is deactivated; choose another owner."
    assert session.scalar(sa.select(sa.func.count()).select_from(Organization)) == 2

    hotlines = csv_bytes("name,country,liaison", "Safe Web,UG,ann@test.example")
    assert run(session, hotlines, type_name="hotlines", apply=True).applied
    assert session.scalars(sa.select(Hotline.owner_id)).one() == ann.id

    pledges = csv_bytes(
        "funder,title,amount,currency,pledged_on,period_start,period_end,allocations,owner",
        "Alpha Cloud,Grant,1000,EUR,2026-01-05,2026-02-01,2026-12-31,Capacity Building,"
        "ann@test.example",
    )
    report = run(session, pledges, type_name="funding-commitments", apply=True)
    assert report.applied, report.errors
    assert session.scalars(sa.select(FundingCommitment.owner_id)).one() == ann.id


def test_a_funder_typed_with_a_nul_offers_no_partnerships_and_fails_nothing(
    session: Session,
) -> None:
    """Found by the forms' fuzz test on PostgreSQL (which refuses NUL in text): the commitment
    form lists the funder's partnerships before its validators run."""
    from coordapp.funding import commitments

    factories.organization(session, name="ab")
    assert commitments.partnership_choices(session, funder="a\x00b") == []
