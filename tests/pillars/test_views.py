"""Pillar target pages for every role."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.pillars import service
from coordapp.pillars.models import PillarTarget
from coordapp.reference.models import Pillar

InApp = Callable[[], AbstractContextManager[Session]]
SignedIn = Callable[[str], FlaskClient]


def arrange(in_app: InApp) -> tuple[int, int]:
    with in_app() as s:
        pillar = s.scalars(sa.select(Pillar).where(Pillar.code == "network_expansion")).one()
        target = service.create_pillar_target(
            s,
            data={
                "pillar_id": str(pillar.id),
                "year": "2027",
                "indicator": "countries_covered",
                "target_value": "62",
                "description": "Two more countries.",
            },
        )
        return pillar.id, target.id


def form(pillar: int, **changes: str) -> dict[str, str]:
    data = {
        "pillar_id": str(pillar),
        "year": "2028",
        "indicator": "countries_covered",
        "target_value": "64",
        "description": "",
    }
    data.update(changes)
    return data


def test_anonymous_users_are_sent_to_sign_in(client: FlaskClient, in_app: InApp) -> None:
    pillar, target = arrange(in_app)
    for path in (
        "/pillar-targets/",
        f"/pillar-targets/{target}",
        "/pillar-targets/new",
        f"/pillar-targets/{target}/edit",
    ):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]
    for path in ("/pillar-targets/new", f"/pillar-targets/{target}/archive"):
        assert client.post(path, data=form(pillar)).status_code == 302


def test_viewers_read_and_cannot_write(signed_in: SignedIn, in_app: InApp) -> None:
    pillar, target = arrange(in_app)
    client = signed_in("viewer")
    for path in ("/pillar-targets/", "/pillar-targets/?format=csv", f"/pillar-targets/{target}"):
        assert client.get(path).status_code == 200, path
    page = client.get(f"/pillar-targets/{target}").data
    assert b"Countries covered" in page and b">62<" in page
    assert b">Edit<" not in page and b"Archive" not in page
    for path in ("/pillar-targets/new", f"/pillar-targets/{target}/edit"):
        assert client.get(path).status_code == 403
    for path in (
        "/pillar-targets/new",
        f"/pillar-targets/{target}/edit",
        f"/pillar-targets/{target}/archive",
        f"/pillar-targets/{target}/restore",
    ):
        assert client.post(path, data=form(pillar)).status_code == 403, path
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count(PillarTarget.id))) == 1


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_create_edit_archive(
    signed_in: SignedIn, in_app: InApp, role: str
) -> None:
    pillar, target = arrange(in_app)
    client = signed_in(role)
    assert client.get("/pillar-targets/new").status_code == 200
    edit = client.get(f"/pillar-targets/{target}/edit")
    assert edit.status_code == 200 and b'value="62"' in edit.data
    created = client.post("/pillar-targets/new", data=form(pillar))
    assert created.status_code == 302
    with in_app() as s:
        version = s.get_one(PillarTarget, target).version
    saved = client.post(
        f"/pillar-targets/{target}/edit",
        data=form(pillar, year="2027", target_value="63", version=str(version)),
    )
    assert saved.status_code == 302
    assert client.post(f"/pillar-targets/{target}/archive").status_code == 302
    assert b"archived" in client.get(f"/pillar-targets/{target}").data
    assert client.post(f"/pillar-targets/{target}/restore").status_code == 302
    with in_app() as s:
        stored = s.get_one(PillarTarget, target)
        assert (str(stored.target_value), stored.archived_at) == ("63.00", None)


def test_duplicates_and_bad_input_come_back_with_messages(
    signed_in: SignedIn, in_app: InApp
) -> None:
    pillar, target = arrange(in_app)
    client = signed_in("manager")
    for changes, message in (
        ({"year": "2027"}, "Network Expansion already has a countries covered target for 2027"),
        ({"year": "abc"}, "between 1990 and 2100"),
        ({"year": "1900"}, "between 1990 and 2100"),
        ({"target_value": "-3"}, "cannot be negative"),
        ({"target_value": "3.5"}, "whole number"),
        ({"indicator": "nonsense"}, "is not one of"),
    ):
        response = client.post("/pillar-targets/new", data=form(pillar, **changes))
        assert response.status_code == 422, changes
        assert message in response.data.decode(), changes
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count(PillarTarget.id))) == 1


def test_list_filters_and_odd_queries(signed_in: SignedIn, in_app: InApp) -> None:
    pillar, _ = arrange(in_app)
    client = signed_in("viewer")
    assert b"Two more countries." in client.get(f"/pillar-targets/?pillar={pillar}").data
    assert b"Two more countries." in client.get("/pillar-targets/?year=2027").data
    for query in ("page=abc", "sort=;drop", "year=abc", "indicator=%3Cx%3E", "per_page=-1"):
        response = client.get(f"/pillar-targets/?{query}")
        assert response.status_code == 200 and b"Two more countries." in response.data, query
    assert client.get("/pillar-targets/999999").status_code == 404
