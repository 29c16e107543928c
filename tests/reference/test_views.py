"""The reference data page: admins only, and a re-seed that changes nothing when current."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask.testing import FlaskClient


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("manager", 403), ("admin", 200)])
def test_only_admins_see_reference_data(
    signed_in: Callable[[str], FlaskClient], role: str, status: int
) -> None:
    response = signed_in(role).get("/reference/")
    assert response.status_code == status
    if status == 200:
        html = response.data.decode()
        assert "Countries: 250" in html and "Technology &amp; Innovation" in html
        assert "Reports assessed as CSAM" in html


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("manager", 403)])
def test_only_admins_reseed(
    signed_in: Callable[[str], FlaskClient], role: str, status: int
) -> None:
    assert signed_in(role).post("/reference/reseed").status_code == status


def test_reseeding_current_data_says_nothing_changed(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    client = signed_in("admin")
    response = client.post("/reference/reseed", follow_redirects=True)
    assert response.status_code == 200
    assert b"already up to date; nothing changed" in response.data
