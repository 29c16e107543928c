"""An edit form posted without its organization box (a crafted or truncated POST) is never a
server error: the box keeps the record's organization, by name."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from tests import factories


@pytest.fixture
def records(in_app: Callable[[], AbstractContextManager[Session]]) -> dict[str, int]:
    with in_app() as s:
        org = factories.organization(s, name="Box Foundation")
        return {
            "contacts": factories.contact(s, organization=org).id,
            "partnerships": factories.partnership(s, organization=org).id,
            "commitments": factories.commitment(
                s, amount="100.00", currency="EUR", pledged_on=date(2025, 1, 1), funder=org
            ).id,
        }


@pytest.mark.parametrize("slug", ["contacts", "partnerships", "commitments"])
def test_edit_without_the_organization_box_is_a_form_error(
    signed_in: Callable[[str], FlaskClient], records: dict[str, int], slug: str
) -> None:
    client = signed_in("manager")
    response = client.post(f"/{slug}/{records[slug]}/edit", data={"version": "1"})
    # Boxes left out keep the record's values: saved as it was, or the form with its messages.
    assert response.status_code in (302, 422), response.status_code
    if response.status_code == 422:
        assert 'value="Box Foundation"' in response.get_data(as_text=True)
