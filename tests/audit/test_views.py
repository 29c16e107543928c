"""The audit log page: admins only, filters in the URL, pages, field-level before → after."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.audit.models import AuditEvent
from coordapp.listing import ListParams, run_list
from coordapp.partners import organizations

InApp = Callable[[], AbstractContextManager[Session]]


def arrange(session: Session) -> dict[str, int]:
    """Two organizations edited by two people, and one event dated last year."""
    audit.set_actor(session, actor_id=None, label="ana@test.example")
    first = organizations.create_organization(session, data={"name": "Alpha", "kind": "ngo"})
    organizations.update_organization(
        session,
        obj=first,
        data={"name": "Alpha Trust", "kind": "ngo", "status": "active"},
        expected_version=first.version,
    )
    audit.set_actor(session, actor_id=None, label="bo@test.example")
    second = organizations.create_organization(session, data={"name": "Beta", "kind": "industry"})
    audit.record(
        session,
        action="import",
        entity_type="organizations",
        entity_id=second.id,
        summary="Loaded from the 2025 sheet.",
    )
    session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.action == "import")
        .values(occurred_at=datetime(2025, 3, 1, 12, 0))
    )
    return {"first": first.id, "second": second.id}


def rows(session: Session, **args: str) -> list[AuditEvent]:
    params = ListParams.from_args(audit.AUDIT_LIST, args)
    return run_list(session, audit.AUDIT_LIST, params).items


def test_filters(session: Session) -> None:
    ids = arrange(session)
    assert {e.action for e in rows(session, entity_type="organizations")} == {
        "create",
        "update",
        "import",
    }
    assert [e.action for e in rows(session, actor="ana@test.example")] == ["update", "create"]
    assert [e.entity_id for e in rows(session, action="update")] == [str(ids["first"])]
    assert {e.action for e in rows(session, entity_id=str(ids["second"]))} == {"create", "import"}
    assert [e.action for e in rows(session, date_to="2025-03-01")] == ["import"]
    assert [e.action for e in rows(session, date_from="2025-03-01", date_to="2025-03-01")] == [
        "import"
    ]
    today = date.today().isoformat()
    assert "import" not in {e.action for e in rows(session, date_from=today)}
    assert len(rows(session, date_from="2025-03-02", date_to="2025-03-31")) == 0
    # Values that don't fit are no filter.
    everything = len(rows(session))
    assert len(rows(session, date_from="yesterday", date_to="2025-02-30")) == everything
    assert [e.action for e in rows(session, sort="when")][0] == "import"  # oldest first


def test_choices_come_from_the_events(session: Session) -> None:
    arrange(session)
    filters = {f.key: f for f in audit.AUDIT_LIST.filters}
    assert filters["actor"].choices is not None
    actors = dict(filters["actor"].choices(session))
    assert {"ana@test.example", "bo@test.example"} <= actors.keys()
    assert filters["action"].choices is not None
    assert "import" in dict(filters["action"].choices(session))


# --- pages -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/audit/")
    assert response.status_code == 302 and "/auth/sign-in" in response.location


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("manager", 403), ("admin", 200)])
def test_only_admins_read_the_log(
    signed_in: Callable[[str], FlaskClient], role: str, status: int
) -> None:
    client = signed_in(role)
    assert client.get("/audit/").status_code == status
    assert client.get("/audit/?format=csv").status_code == status


def test_page_shows_field_level_changes_and_keeps_filters_in_the_url(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        ids = arrange(s)
    client = signed_in("admin")
    html = client.get(f"/audit/?entity_type=organizations&entity_id={ids['first']}").data.decode()
    assert "Alpha</span> → Alpha Trust" in html
    assert "Prospect" not in html and "prospect</span> → active" in html
    assert "Loaded from the 2025 sheet." not in html
    assert f'name="entity_id" value="{ids["first"]}"' in html
    everything = client.get("/audit/?actor=bo%40test.example").data.decode()
    assert "Loaded from the 2025 sheet." in everything and "Alpha Trust" not in everything


def test_pages_and_bad_query_values(signed_in: Callable[[str], FlaskClient], in_app: InApp) -> None:
    with in_app() as s:
        audit.set_actor(s, actor_id=None, label="loader")
        for i in range(30):
            audit.record(
                s, action="note", entity_type="organizations", entity_id=i, summary=f"n{i:02d}"
            )
    client = signed_in("admin")
    first = client.get("/audit/?action=note").data.decode()
    assert "1 / 2" in first and "n29" in first and "n04" not in first  # newest first
    second = client.get("/audit/?action=note&page=2").data.decode()
    assert "n04" in second and "n29" not in second
    for query in ("page=abc", "sort=;drop", "date_from=31.12.2025", "per_page=9", "action=%27"):
        assert client.get(f"/audit/?{query}").status_code == 200


def test_csv_has_exactly_the_filtered_events(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        arrange(s)
    response = signed_in("admin").get("/audit/?actor=ana%40test.example&format=csv")
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    header = lines.index(["When (UTC)", "Who", "Action", "Record type", "Record id", "Changes"])
    data = lines[header + 1 :]
    assert [r[2] for r in data] == ["update", "create"]
    assert "name: Alpha → Alpha Trust" in data[0][5]


def test_audit_log_exports_as_xlsx_for_admins_only(
    signed_in: Callable[[str], FlaskClient], users: dict[str, str]
) -> None:
    import io

    from openpyxl import load_workbook

    admin = signed_in("admin")
    response = admin.get("/audit/?format=xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.data)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    stamp = {r[0]: r[1] for r in rows if r[0] and str(r[0]).startswith("# ")}
    assert stamp["# export"] == "Audit log" and stamp["# exported by"] == users["admin"]
    assert "format=xlsx" in admin.get("/audit/").get_data(as_text=True)
