"""The API gives a record's owner (``owner_id``) and its lists filter by owner, or by none."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from tests import factories
from tests.conftest import PASSWORD

InApp = Callable[[], AbstractContextManager[Session]]


def test_the_api_gives_and_filters_by_the_owner(
    client: FlaskClient, in_app: InApp, token_for: Callable[[str], dict[str, str]]
) -> None:
    with in_app() as s:
        ann = auth.create_user(
            s, email="ann@test.example", full_name="Ann", role="manager", password=PASSWORD
        )
        owned = factories.organization(s, name="Owned")
        owned.owner_id = ann.id
        factories.organization(s, name="Nobody's")
        hotline = factories.hotline(s, country="UG")
        hotline.owner_id = ann.id
        s.flush()
        ann_id, owned_id, hotline_id = ann.id, owned.id, hotline.id
    headers = token_for("viewer")
    one = client.get(f"/api/v1/organizations/{owned_id}", headers=headers).get_json()
    assert one["owner_id"] == ann_id
    listed = client.get(f"/api/v1/organizations?owner={ann_id}", headers=headers).get_json()
    assert [item["name"] for item in listed["items"]] == ["Owned"]
    nobody = client.get("/api/v1/organizations?owner=none", headers=headers).get_json()
    assert [item["name"] for item in nobody["items"]] == ["Nobody's"]
    assert (
        client.get(f"/api/v1/hotlines/{hotline_id}", headers=headers).get_json()["owner_id"]
        == ann_id
    )
