"""The hotline's own pages: its profile and contacts (edited, audited), its quarterly figures
(entered through the stats grid's rules), its trainings, and its figures against the network's
median, never another hotline's values."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent
from coordapp.auth import invites
from coordapp.auth import service as auth
from coordapp.network.models import Hotline
from coordapp.partners.models import Contact
from coordapp.stats import benchmark
from coordapp.stats.models import HotlineStatistic
from coordapp.training import service as training
from tests import factories
from tests.conftest import PASSWORD, sign_in
from tests.stats.helpers import member, statistic
from tests.training.helpers import event

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
        return {"hotline": hotline.id, "contact": contact.id, "other": other.id, "org": org.id}


@pytest.fixture
def staff(client: FlaskClient, own: dict[str, int]) -> FlaskClient:
    assert sign_in(client, "staff@hotline.example").status_code == 302
    return client


def _events(session: Session, entity_type: str, entity_id: int) -> list[AuditEvent]:
    return list(
        session.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == entity_type, AuditEvent.entity_id == str(entity_id)
            )
        )
    )


def test_home_leads_to_the_own_hotline_with_its_sections(
    staff: FlaskClient, own: dict[str, int]
) -> None:
    response = staff.get("/", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert f'data-my-hotline="{own["hotline"]}"' in page
    for section in ("profile", "figures", "trainings"):
        assert f'data-section="{section}"' in page
    assert "Joris Contact" in page
    assert "/hotlines/" not in page and "/dashboards/" not in page  # no secretariat links


def test_profile_edit_is_saved_and_audited(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    url = f"/my-hotline/{own['hotline']}/profile"
    response = staff.post(
        url,
        data={"staff_count": "12", "languages": "nl en", "public_url": "https://meldpunt.example"},
    )
    assert response.status_code == 302
    with in_app() as s:
        hotline = s.get_one(Hotline, own["hotline"])
        assert (hotline.staff_count, hotline.languages) == (12, "nl en")
        changes = [e.changes for e in _events(s, "hotlines", hotline.id) if e.action == "update"]
        assert any("staff_count" in (c or {}) for c in changes)
        actors = {e.actor_label for e in _events(s, "hotlines", hotline.id)}
        assert "staff@hotline.example" in actors


def test_a_bad_profile_value_is_refused_and_nothing_is_written(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    response = staff.post(
        f"/my-hotline/{own['hotline']}/profile", data={"staff_count": "5", "languages": "klingon"}
    )
    assert response.status_code == 422 and b"ISO 639-1" in response.data
    with in_app() as s:
        assert s.get_one(Hotline, own["hotline"]).staff_count is None


def test_contacts_are_added_and_edited_at_the_own_organization_only(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    base = f"/my-hotline/{own['hotline']}/contacts"
    added = staff.post(
        f"{base}/new",
        data={"full_name": "New Analyst", "email": "new@meldpunt.example", "organization": "X"},
    )
    assert added.status_code == 302
    edited = staff.post(
        f"{base}/{own['contact']}/edit",
        data={"full_name": "Joris Renamed", "phone": "+31 20 555 0101"},
    )
    assert edited.status_code == 302
    with in_app() as s:
        new = s.scalars(sa.select(Contact).where(Contact.full_name == "New Analyst")).one()
        assert new.organization_id == own["org"]  # whatever the form said
        assert s.get_one(Contact, own["contact"]).full_name == "Joris Renamed"
        assert any(e.action == "update" for e in _events(s, "contacts", own["contact"]))
    bad = staff.post(f"{base}/new", data={"full_name": "Bad Phone", "phone": "call me"})
    assert bad.status_code == 422 and b"phone number" in bad.data


def test_figures_are_entered_through_the_grid_rules(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    url = f"/my-hotline/{own['hotline']}/figures?year=2025"
    assert staff.get(url).status_code == 200
    saved = staff.post(url, data={"c-reports_received-1": "120", "c-reports_assessed_csam-1": "80"})
    assert saved.status_code == 302
    refused = staff.post(
        url, data={"c-reports_assessed_csam-2": "90", "c-reports_received-2": "10"}
    )
    assert refused.status_code == 422 and b"cannot be more than" in refused.data
    future = date.today().year + 1
    assert staff.get(f"/my-hotline/{own['hotline']}/figures?year={future}").status_code == 404
    with in_app() as s:
        values = s.scalars(
            sa.select(HotlineStatistic.value).where(HotlineStatistic.hotline_id == own["hotline"])
        ).all()
        assert sorted(values) == [Decimal(80), Decimal(120)]


def test_the_hotline_user_reaches_nothing_else(staff: FlaskClient, own: dict[str, int]) -> None:
    for url in (
        f"/hotlines/{own['hotline']}",
        f"/hotlines/{own['other']}",
        f"/statistics/grid?hotline={own['hotline']}&year=2025",
        "/dashboards/map",
        "/auth/tokens",
        f"/my-hotline/{own['other']}",
        f"/my-hotline/{own['hotline']}/contacts/999999/edit",
    ):
        assert staff.get(url).status_code == 404, url


def test_trainings_attended_show_on_the_page(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    with in_app() as s:
        attended = event(s, title="Analyst exchange")
        training.set_participation(s, event=attended, hotline_id=own["hotline"], participants=2)
        event(s, title="Not ours")
    page = staff.get(f"/my-hotline/{own['hotline']}").get_data(as_text=True)
    assert "Analyst exchange" in page and "Not ours" not in page


# --- the network's median ----------------------------------------------------------------------


def _received(session: Session, hotline: Hotline, value: str) -> None:
    statistic(session, hotline, "reports_received", *Q1, value)


def test_median_in_sql_of_odd_and_even_networks(session: Session) -> None:
    hotlines = [member(session, code) for code in ("NL", "BE", "DE", "FR", "IT", "ES")]
    for hotline, value in zip(hotlines, ("10", "20", "30", "40", "1000", "60"), strict=True):
        _received(session, hotline, value)
    six = benchmark.compare_with_network(session, hotline_id=hotlines[0].id)
    assert six is not None and six.label == "2025 Q1"
    row = six.rows[0]
    assert (row.own, row.median, row.reporting) == (Decimal(10), Decimal("35.00"), 6)
    session.delete(
        session.scalars(
            sa.select(HotlineStatistic).where(HotlineStatistic.hotline_id == hotlines[5].id)
        ).one()
    )
    session.flush()
    five = benchmark.compare_with_network(session, hotline_id=hotlines[0].id)
    assert five is not None and five.rows[0].median == Decimal("30.00")


def test_no_median_from_too_few_hotlines(session: Session) -> None:
    ours, theirs = member(session, "NL"), member(session, "BE")
    _received(session, ours, "10")
    _received(session, theirs, "99")
    comparison = benchmark.compare_with_network(session, hotline_id=ours.id)
    assert comparison is not None
    assert comparison.rows[0].median is None and comparison.rows[0].reporting == 2
    assert benchmark.compare_with_network(session, hotline_id=member(session, "DE").id) is None


def test_the_page_shows_the_median_and_no_other_hotlines_value(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    with in_app() as s:
        _received(s, s.get_one(Hotline, own["hotline"]), "50")
        for code, value in (("DE", "7001"), ("FR", "7003"), ("IT", "7005"), ("ES", "7007")):
            _received(s, member(s, code), value)
    page = staff.get(f"/my-hotline/{own['hotline']}").get_data(as_text=True)
    assert "7,003.0" in page  # the median of 50, 7001, 7003, 7005, 7007
    for value in ("7001", "7,001", "7005", "7,005", "7007", "7,007"):
        assert value not in page
