"""The compliance pages as users meet them: the matrix and its export, the hotline page's
section, a manager recording an item, an admin adding a requirement, the promotion warning on
the membership form, and the coverage map coloured by compliance."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent
from coordapp.network import compliance
from coordapp.network.compliance_models import ComplianceItem, ComplianceRequirement
from coordapp.network.models import HotlineMembershipEvent, MembershipStatus
from tests import factories
from tests.dashboards.conftest import call, filter_id, prop, result
from tests.network.test_compliance import item_data, requirement

InApp = Callable[[], AbstractContextManager[Session]]
TODAY = date.today()
A, P, F = MembershipStatus.APPLICANT, MembershipStatus.PROVISIONAL, MembershipStatus.FULL
MAP = "..map-graph.figure...map-headline.children...map-small.children...map-note.children.."


@pytest.fixture
def register(in_app: InApp) -> dict[str, int]:
    """A provisional hotline in Kenya with its QA expired, its welfare policy expiring and its
    Code of Practice signed; the rest missing. A full member in Austria with everything met."""
    with in_app() as s:
        kenya = factories.hotline(
            s,
            country="KE",
            name="Linda Mtandao",
            events=[(date(2010, 1, 1), A), (date(2011, 1, 1), P)],
        )
        austria = factories.hotline(
            s, country="AT", name="Stopline AT", events=[(date(2000, 1, 1), F)]
        )
        done = TODAY - timedelta(days=400)
        cop = requirement(s, "Code of Practice signed")
        qa = requirement(s, "Quality-assurance assessment")
        welfare = requirement(s, "Staff-welfare policy")
        compliance.set_item(
            s, hotline=kenya, requirement_id=cop.id, data=item_data(detail="CoP v3.0")
        )
        compliance.set_item(
            s,
            hotline=kenya,
            requirement_id=qa.id,
            data=item_data(done_on=done, expires_on=TODAY - timedelta(days=10)),
        )
        compliance.set_item(
            s,
            hotline=kenya,
            requirement_id=welfare.id,
            data=item_data(done_on=done, expires_on=TODAY + timedelta(days=20)),
        )
        for req in compliance.active_requirements(s):
            compliance.set_item(s, hotline=austria, requirement_id=req.id, data=item_data())
        legal = requirement(s, "Legal basis").id
        return {"kenya": kenya.id, "austria": austria.id, "qa": qa.id, "legal": legal}


def test_the_matrix_colours_each_cell_by_its_state(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int]
) -> None:
    response = signed_in("viewer").get("/compliance/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    kenya_row = html.split(f'data-hotline="{register["kenya"]}"')[1].split("</tr>")[0]
    states = [part.split('"')[0] for part in kenya_row.split('data-state="')[1:]]
    assert states == ["met", "expired", "expiring", "missing", "missing", "missing", "missing"]
    assert 'class="text-bg-danger" data-state="expired"' in kenya_row
    assert 'class="text-bg-warning" data-state="expiring"' in kenya_row
    austria_row = html.split(f'data-hotline="{register["austria"]}"')[1].split("</tr>")[0]
    assert austria_row.count('data-state="met"') == 7


def test_the_matrix_filters_by_membership_and_ignores_a_bad_filter(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int]
) -> None:
    client = signed_in("viewer")
    html = client.get("/compliance/?membership=full").get_data(as_text=True)
    assert "Stopline AT" in html and "Linda Mtandao" not in html
    html = client.get("/compliance/?membership=<script>").get_data(as_text=True)
    assert "Stopline AT" in html and "Linda Mtandao" in html and "<script>" not in html


def test_the_matrix_exports_as_csv_and_xlsx(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int]
) -> None:
    client = signed_in("viewer")
    response = client.get("/compliance/?membership=provisional&format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert "# filters,membership=provisional" in text
    every = list(csv.reader(io.StringIO(text)))
    rows = every[[r[:1] for r in every].index(["Hotline"]) :]
    assert rows[0][:4] == ["Hotline", "Country", "Membership today", "Code of Practice signed"]
    assert [r[0] for r in rows[1:] if r] == ["Linda Mtandao"]
    assert rows[1][5] == "Expired"
    expired_on = (TODAY - timedelta(days=10)).isoformat()
    assert rows[1][6] == expired_on
    xlsx = client.get("/compliance/?format=xlsx")
    assert xlsx.status_code == 200 and xlsx.mimetype.endswith("spreadsheetml.sheet")


def test_the_hotline_page_shows_its_section_and_writers_get_links(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int]
) -> None:
    path = f"/hotlines/{register['kenya']}"
    html = signed_in("viewer").get(path).get_data(as_text=True)
    assert 'id="compliance"' in html and "data-missing-for-full" in html
    assert "Version:</span> CoP v3.0" in html and "Secretariat file 2024/17" in html
    assert f"/hotlines/{register['kenya']}/compliance/" not in html


def test_managers_get_a_link_to_record_each_item(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int]
) -> None:
    html = signed_in("manager").get(f"/hotlines/{register['kenya']}").get_data(as_text=True)
    assert f'href="/hotlines/{register["kenya"]}/compliance/{register["qa"]}"' in html


def test_a_manager_records_an_item_and_bad_input_writes_nothing(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int], in_app: InApp
) -> None:
    client = signed_in("manager")
    legal = register["legal"]
    path = f"/hotlines/{register['kenya']}/compliance/{legal}"
    form = client.get(path)
    assert form.status_code == 200 and "Expires on / next due" in form.get_data(as_text=True)

    bad = client.post(
        path,
        data={"status": "met", "done_on": "2024-05-01", "expires_on": "2024-04-01"},
    )
    assert bad.status_code == 422
    assert "must come after the date it was done" in bad.get_data(as_text=True)
    link = client.post(
        path,
        data={"status": "met", "done_on": "2024-05-01", "document_reference": "www.evil.com/a"},
    )
    assert link.status_code == 422 and "do not paste links" in link.get_data(as_text=True)
    with in_app() as s:
        assert (
            s.scalar(sa.select(sa.func.count()).where(ComplianceItem.requirement_id == legal)) == 1
        )  # Austria's only

    saved = client.post(
        path,
        data={
            "status": "met",
            "done_on": "2024-05-01",
            "expires_on": "2029-04-30",
            "document_reference": "Ministry decree 2024/88",
        },
    )
    assert saved.status_code == 302 and saved.location.endswith("#compliance")
    with in_app() as s:
        item = s.scalars(
            sa.select(ComplianceItem).where(
                ComplianceItem.hotline_id == register["kenya"],
                ComplianceItem.requirement_id == legal,
            )
        ).one()
        assert item.expires_on == date(2029, 4, 30)
        assert item.document_reference == "Ministry decree 2024/88"


def test_an_unknown_requirement_or_hotline_is_not_found(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int]
) -> None:
    client = signed_in("manager")
    assert client.get(f"/hotlines/{register['kenya']}/compliance/999999").status_code == 404
    assert client.post(f"/hotlines/999999/compliance/{register['qa']}", data={}).status_code == 404


def test_an_admin_adds_a_requirement_that_the_matrix_then_shows(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int], in_app: InApp
) -> None:
    admin = signed_in("admin")
    refused = admin.post(
        "/compliance/requirements/new",
        data={"name": "Legal basis", "sort_order": "80"},
    )
    assert refused.status_code == 422
    assert "already a requirement called" in refused.get_data(as_text=True)
    created = admin.post(
        "/compliance/requirements/new",
        data={
            "name": "Data-protection audit",
            "has_expiry": "y",
            "renewal_months": "24",
            "needed_for_full": "y",
            "sort_order": "80",
        },
    )
    assert created.status_code == 302
    assert "Data-protection audit" in admin.get("/compliance/").get_data(as_text=True)
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ComplianceRequirement)) == 8


def test_promotion_without_a_reason_warns_and_writes_nothing(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int], in_app: InApp
) -> None:
    client = signed_in("manager")
    path = f"/hotlines/{register['kenya']}/membership-events"
    event = {"event-on": TODAY.isoformat(), "event-status": "full", "event-note": "Board"}
    with in_app() as s:
        audit_rows = s.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    response = client.post(path, data=event)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Linda Mtandao lacks 4 requirement(s) for full membership" in html
    assert "Quality-assurance assessment" in html
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audit_rows
        assert (
            s.scalar(
                sa.select(sa.func.count()).where(
                    HotlineMembershipEvent.hotline_id == register["kenya"]
                )
            )
            == 2
        )

    response = client.post(path, data={**event, "event-reason": "Board decision of 1 March"})
    assert response.status_code == 302
    with in_app() as s:
        override = s.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "full_despite_missing")
        ).one()
        assert override.summary == "Board decision of 1 March"
        assert override.actor_label != "system"


def _map_inputs(colour: Any) -> list[dict[str, Any]]:
    return [
        prop(filter_id("year"), "value", TODAY.year),
        prop(filter_id("region"), "value", None),
        prop(filter_id("colour"), "value", colour),
    ]


def test_the_coverage_map_colours_countries_by_compliance(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int]
) -> None:
    body = result(call(signed_in("viewer"), MAP, _map_inputs("compliance")))
    traces = body["map-graph"]["figure"]["data"]
    (rated,) = [t for t in traces if t["name"] == "Requirements met (%)"]
    shares = dict(zip(rated["customdata"], rated["z"], strict=True))
    # Austria: 6 of 6 needed; Kenya: the CoP and the expiring welfare policy, 2 of 6.
    assert shares == {"AT": 100.0, "KE": pytest.approx(33.3)}
    assert "Compliance today" in body["map-note"]["children"]


@pytest.mark.parametrize("colour", ["coverage", "rainbow", None, {"x": 1}])
def test_the_map_keeps_its_coverage_colours_otherwise(
    signed_in: Callable[[str], FlaskClient], register: dict[str, int], colour: Any
) -> None:
    body = result(call(signed_in("viewer"), MAP, _map_inputs(colour)))
    names = {t["name"] for t in body["map-graph"]["figure"]["data"]}
    assert "Full member" in names and "Requirements met (%)" not in names
