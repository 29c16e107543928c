"""Home's "needs attention": a manager's own items by default, a labelled switch to everyone's
(each item naming its owner), and in "mine" how many items nobody owns, with a link to them.
Each view is cached apart (keyed by the owner) and follows a change of owner at once."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.network.models import ExpansionTarget

InApp = Callable[[], AbstractContextManager[Session]]
SignedIn = Callable[[str], FlaskClient]
TODAY = date.today()


def _target(session: Session, country: str, owner_id: int | None) -> int:
    item = ExpansionTarget(
        country_code=country,
        next_step="Call the ministry",
        next_step_due=TODAY - timedelta(days=5),
        owner_id=owner_id,
    )
    session.add(item)
    session.flush()
    return item.id


def _arrange(in_app: InApp, users: dict[str, str]) -> dict[str, int]:
    with in_app() as s:
        manager = auth.get_required_by_email(s, users["manager"])
        admin = auth.get_required_by_email(s, users["admin"])
        gone = auth.create_user(
            s,
            email="gone@test.example",
            full_name="Gone Person",
            role="manager",
            password="x" * 16,
            password_policy=False,
        )
        ids = {
            "manager": manager.id,
            "admin": admin.id,
            "mine": _target(s, "GH", manager.id),
            "theirs": _target(s, "KE", admin.id),
            "nobody": _target(s, "SN", None),
            "gone": _target(s, "TZ", gone.id),
        }
        gone.active = False
        return ids


def _listed(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'href="/expansion/(\d+)"', html)}


def test_a_manager_sees_their_own_items_first_and_can_switch_to_everyones(
    signed_in: SignedIn, in_app: InApp, users: dict[str, str]
) -> None:
    ids = _arrange(in_app, users)
    client = signed_in("manager")
    mine = client.get("/").get_data(as_text=True)
    assert _listed(mine) == {ids["mine"]}
    assert 'data-whose="mine"' in mine
    # The switch: a labelled navigation whose current choice is marked for screen readers.
    nav = re.search(r'<nav aria-label="Whose items to show">.*?</nav>', mine, re.S)
    assert nav is not None
    assert re.search(r'href="/\?items=mine" aria-current="page">Mine<', nav.group(0))
    assert 'href="/?items=everyone">Everyone<' in nav.group(0)
    # Two items have no active owner: said, with the way to everyone's list.
    assert 'data-unassigned="2"' in mine
    assert re.search(r"2</span> items have no owner.*?href=\"/\?items=everyone\"", mine, re.S)
    assert 'data-attention="total">1<' in mine
    # Sections with nothing of the manager's are left out; no headline figure is claimed.
    assert 'id="attention-renewals"' not in mine and 'data-figure="renewals_due"' not in mine

    everyone = client.get("/?items=everyone").get_data(as_text=True)
    assert _listed(everyone) == {ids["mine"], ids["theirs"], ids["nobody"], ids["gone"]}
    assert re.search(r'href="/\?items=everyone" aria-current="page">Everyone<', everyone)
    assert "data-unassigned" not in everyone
    owner = r'data-owner="(\d*)"><span class="text-body-secondary fw-normal">Owner:</span> ([^<]+)<'
    owners = dict(re.findall(owner, everyone))
    assert owners[str(ids["manager"])] == "Test manager"
    assert owners[str(ids["admin"])] == "Test admin"
    assert owners[""] in {"Unassigned", "Unassigned (was Gone Person, deactivated)"}
    assert "Unassigned (was Gone Person, deactivated)" in everyone
    assert re.search(r">\s*Unassigned\s*<", everyone)
    assert 'data-figure="renewals_due"' in everyone  # everyone's counts are the figures


def test_a_viewer_sees_everyones_items_by_default_and_mine_when_asked(
    signed_in: SignedIn, in_app: InApp, users: dict[str, str]
) -> None:
    ids = _arrange(in_app, users)
    client = signed_in("viewer")
    html = client.get("/").get_data(as_text=True)
    assert 'data-whose="everyone"' in html and len(_listed(html)) == 4
    mine = client.get("/?items=mine").get_data(as_text=True)
    assert _listed(mine) == set() and "Nothing of yours needs attention today." in mine
    # An unknown choice is no error: the default.
    assert 'data-whose="everyone"' in client.get("/?items=%27%3B--").get_data(as_text=True)
    assert ids


def test_each_users_mine_is_cached_apart_and_follows_a_change_of_owner(
    app: object,
    client: FlaskClient,
    signed_in: SignedIn,
    in_app: InApp,
    users: dict[str, str],
) -> None:
    ids = _arrange(in_app, users)
    manager = signed_in("manager")
    assert _listed(manager.get("/").get_data(as_text=True)) == {ids["mine"]}
    assert _listed(manager.get("/").get_data(as_text=True)) == {ids["mine"]}  # cached
    manager.post("/auth/sign-out")
    admin = signed_in("admin")
    assert _listed(admin.get("/").get_data(as_text=True)) == {ids["theirs"]}
    # The admin takes over the unassigned target: both lists change at once.
    with in_app() as s:
        s.get_one(ExpansionTarget, ids["nobody"]).owner_id = ids["admin"]
    html = admin.get("/").get_data(as_text=True)
    assert _listed(html) == {ids["theirs"], ids["nobody"]}
    assert 'data-unassigned="1"' in html
    with in_app() as s:
        owners = dict(s.execute(sa.select(ExpansionTarget.id, ExpansionTarget.owner_id)).all())
    assert owners[ids["nobody"]] == ids["admin"]
