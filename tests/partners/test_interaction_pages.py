"""The interaction pages: log one from the organization or contact page (the form offers the
organization's contacts), refused input shown with its message and nothing saved, the
timelines newest first, the follow-up marked done, and "last contacted" from the log."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth.models import User
from coordapp.partners.interaction_models import Interaction
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]
SignedIn = Callable[[str], FlaskClient]
TODAY = date.today()


def arrange(in_app: InApp) -> tuple[int, int, int]:
    with in_app() as s:
        org = factories.organization(s, name="Searchlight")
        ana = factories.contact(
            s, organization=org, full_name="Ana Costa", last_contacted_on=date(2024, 5, 6)
        )
        other = factories.contact(
            s, organization=factories.organization(s, name="Elsewhere"), full_name="Cy Stranger"
        )
        return org.id, ana.id, other.id


def owner_id(in_app: InApp, email: str = "manager@test.example") -> int:
    with in_app() as s:
        found: int = s.scalar(sa.select(User.id).where(User.email == email))
        return found


def stored(in_app: InApp) -> list[Interaction]:
    with in_app() as s:
        rows = list(s.scalars(sa.select(Interaction).order_by(Interaction.id)))
        s.expunge_all()
        return rows


def test_log_an_interaction_from_the_organization_page_and_see_its_timeline(
    signed_in: SignedIn, in_app: InApp
) -> None:
    org, ana, _ = arrange(in_app)
    client = signed_in("manager")
    page = client.get(f"/organizations/{org}").data.decode()
    assert "None logged yet." in page and f"/interactions/new?organization_id={org}" in page
    # Before any interaction, the date typed on the contact is its last contact.
    assert "last contacted 2024-05-06" in page
    form = client.get(f"/interactions/new?organization_id={org}").data.decode()
    assert "Ana Costa" in form and "Cy Stranger" not in form
    for days_ago, note in ((30, "First call."), (2, "Agreed the data-sharing pilot.")):
        response = client.post(
            f"/interactions/new?organization_id={org}",
            data={
                "organization_id": str(org),
                "occurred_on": (TODAY - timedelta(days=days_ago)).isoformat(),
                "kind": "meeting",
                "participant_ids": [str(ana)],
                "note": note,
                "follow_up_on": (TODAY + timedelta(days=5)).isoformat(),
                "follow_up_owner_id": str(owner_id(in_app)),
            },
        )
        assert response.status_code == 302, response.data.decode()
    page = client.get(f"/organizations/{org}").data.decode()
    assert page.index("Agreed the data-sharing pilot.") < page.index("First call.")
    last = (TODAY - timedelta(days=2)).isoformat()
    assert f"last contacted {last}" in page
    assert f"data-last-contacted>{last}" in page
    contact_page = client.get(f"/contacts/{ana}").data.decode()
    assert f"data-last-contacted>{last}" in contact_page
    assert "Agreed the data-sharing pilot." in contact_page
    # The date typed by hand is no longer edited: the log is the source.
    assert 'name="last_contacted_on"' not in client.get(f"/contacts/{ana}/edit").data.decode()
    listing = client.get("/interactions/?follow_up=open").data.decode()
    assert "Searchlight" in listing and "Ana Costa" in listing


def test_refused_input_is_shown_and_nothing_saved(signed_in: SignedIn, in_app: InApp) -> None:
    org, ana, stranger = arrange(in_app)
    client = signed_in("manager")
    base = {
        "organization_id": str(org),
        "occurred_on": TODAY.isoformat(),
        "kind": "call",
        "participant_ids": [str(ana)],
    }
    for change, message in (
        ({"note": "see https://evil.example/r/1"}, "coordination data only"),
        ({"participant_ids": [str(ana), str(stranger)]}, "Cy Stranger is a contact of Elsewhere"),
        ({"follow_up_on": TODAY.isoformat()}, "both a due date and an owner"),
        ({"occurred_on": (TODAY + timedelta(days=3)).isoformat()}, "once it has taken place"),
    ):
        response = client.post("/interactions/new", data={**base, **change})
        assert response.status_code == 422
        assert message in response.data.decode()
    assert stored(in_app) == []


def test_a_deactivated_owner_is_refused_on_the_form(signed_in: SignedIn, in_app: InApp) -> None:
    org, ana, _ = arrange(in_app)
    client = signed_in("admin")
    with in_app() as s:
        gone = s.scalar(sa.select(User).where(User.email == "viewer@test.example"))
        assert gone is not None
        gone.active = False
        gone_id = gone.id
    form = client.get(f"/interactions/new?contact_id={ana}").data.decode()
    assert "Test viewer" not in form  # not offered
    response = client.post(
        "/interactions/new",
        data={
            "organization_id": str(org),
            "occurred_on": TODAY.isoformat(),
            "kind": "email",
            "follow_up_on": TODAY.isoformat(),
            "follow_up_owner_id": str(gone_id),
        },
    )
    assert response.status_code == 422
    assert "Test viewer is deactivated" in response.data.decode()
    assert stored(in_app) == []


def test_mark_the_follow_up_done(signed_in: SignedIn, in_app: InApp) -> None:
    org, ana, _ = arrange(in_app)
    client = signed_in("manager")
    client.post(
        "/interactions/new",
        data={
            "organization_id": str(org),
            "occurred_on": TODAY.isoformat(),
            "kind": "call",
            "participant_ids": [str(ana)],
            "follow_up_on": TODAY.isoformat(),
            "follow_up_owner_id": str(owner_id(in_app)),
        },
    )
    (made,) = stored(in_app)
    page = client.get(f"/interactions/{made.id}").data.decode()
    assert "Mark the follow-up done" in page
    response = client.post(f"/interactions/{made.id}/follow-up-done", data={})
    assert response.status_code == 302
    (done,) = stored(in_app)
    assert done.follow_up_done_on == TODAY
