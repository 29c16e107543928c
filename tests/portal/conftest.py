"""The hotline of the portal tests, its user signed in."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import invites
from coordapp.auth import service as auth
from coordapp.stats.models import HotlineQuarter, QuarterState
from tests import factories
from tests.conftest import PASSWORD, sign_in
from tests.stats.helpers import member

Q1 = (date(2025, 1, 1), date(2025, 3, 31))


@pytest.fixture
def own(in_app: Callable[[], AbstractContextManager[Session]]) -> dict[str, int]:
    """A hotline operated by an organization with one contact, and its hotline user."""
    with in_app() as s:
        org = factories.organization(s, name="Meldpunt Operator")
        contact = factories.contact(s, organization=org, full_name="Joris Contact")
        hotline = member(s, "NL")
        hotline.operator_id = org.id
        other = member(s, "BE")
        user = auth.create_user(
            s, email="staff@hotline.example", full_name="Staff", role="hotline", password=PASSWORD
        )
        invites.set_user_hotlines(s, user=user, hotline_ids=[hotline.id])
        s.flush()
        return {
            "hotline": hotline.id,
            "contact": contact.id,
            "other": other.id,
            "org": org.id,
            "user": user.id,
        }


@pytest.fixture
def staff(client: FlaskClient, own: dict[str, int]) -> FlaskClient:
    assert sign_in(client, "staff@hotline.example").status_code == 302
    return client


def signed_off(
    session: Session, hotline_id: int, state: QuarterState, comment: str | None = None
) -> HotlineQuarter:
    """The hotline's Q1 2025 in ``state`` (as the quarter service would have left it)."""
    record = HotlineQuarter(
        hotline_id=hotline_id, period_start=Q1[0], period_end=Q1[1], state=state, comment=comment
    )
    session.add(record)
    session.flush()
    return record
