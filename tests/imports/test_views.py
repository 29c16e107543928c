"""The import page: roles, upload → dry-run report → apply → result, templates, bad uploads."""

from __future__ import annotations

import io
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent
from coordapp.partners.models import Organization

InApp = Callable[[], AbstractContextManager[Session]]
ORGS = (
    b"name;kind;hq_country\r\nPage Alpha;industry;Deutschland\r\nPage Beta;ngo;Czech Republic\r\n"
)


def upload(client: FlaskClient, content: bytes, *, filename: str = "orgs.csv", **fields: str):
    data = {
        "type_name": fields.get("type_name", "organizations"),
        "dates": fields.get("dates", "iso"),
        "decimal": fields.get("decimal", "point"),
        "file": (io.BytesIO(content), filename),
    }
    if "progress_id" in fields:
        data["progress_id"] = fields["progress_id"]
    return client.post("/import/", data=data, content_type="multipart/form-data")


def names(in_app: InApp) -> set[str]:
    with in_app() as s:
        return set(s.scalars(sa.select(Organization.name).where(Organization.name.like("Page %"))))


URLS = [
    "/import/",
    "/import/template/organizations.csv",
    "/import/template/contacts.xlsx",
    "/import/progress/" + "p" * 32,
]


@pytest.mark.parametrize("url", URLS)
def test_anonymous_goes_to_sign_in(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 302


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("manager", 200), ("admin", 200)])
def test_roles(signed_in: Callable[[str], FlaskClient], url: str, role: str, status: int) -> None:
    assert signed_in(role).get(url).status_code == status


def test_viewer_cannot_upload_or_apply(signed_in: Callable[[str], FlaskClient]) -> None:
    viewer = signed_in("viewer")
    assert upload(viewer, ORGS).status_code == 403
    assert viewer.post("/import/apply", data={"token": "x" * 32}).status_code == 403


def test_anonymous_post_redirects(client: FlaskClient) -> None:
    assert upload(client, ORGS).status_code == 302
    assert client.post("/import/apply").status_code == 302


@pytest.mark.parametrize(("role", "shown"), [("viewer", False), ("manager", True)])
def test_navbar_shows_import_to_managers_only(
    signed_in: Callable[[str], FlaskClient], role: str, shown: bool
) -> None:
    assert (b"Import a spreadsheet" in signed_in(role).get("/").data) is shown


def test_upload_check_then_apply(signed_in: Callable[[str], FlaskClient], in_app: InApp) -> None:
    manager = signed_in("manager")
    response = upload(manager, ORGS)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "2 to create" in page and "Page Alpha" in page and "Apply: write 2 rows" in page
    assert names(in_app) == set()
    with manager.session_transaction() as flask_session:
        token = flask_session["import_pending"]["token"]
    response = manager.post("/import/apply", data={"token": token})
    assert response.status_code == 200, response.data
    assert "2 created" in response.get_data(as_text=True)
    assert names(in_app) == {"Page Alpha", "Page Beta"}
    with in_app() as s:
        event = s.scalar(sa.select(AuditEvent).where(AuditEvent.action == "import"))
        assert event is not None and event.actor_label.startswith("manager")
    # The same token cannot be applied twice.
    again = manager.post("/import/apply", data={"token": token})
    assert again.status_code == 302 and again.location.endswith("/import/")
    # Re-uploading the same file changes nothing.
    assert "2 unchanged" in upload(manager, ORGS).get_data(as_text=True)


def test_bad_row_shows_row_column_reason_and_no_apply(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    content = ORGS + b"Page Gamma;industry;Narnia\r\n"
    response = upload(signed_in("manager"), content)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Narnia" in page and "hq_country" in page and "Apply:" not in page
    assert names(in_app) == set()


def test_apply_with_a_forged_token_is_refused(signed_in: Callable[[str], FlaskClient]) -> None:
    manager = signed_in("manager")
    upload(manager, ORGS)
    response = manager.post("/import/apply", data={"token": "../../etc/passwd"})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"", "orgs.csv", "empty"),
        (b"%PDF", "orgs.pdf", "Upload a .csv or .xlsx"),
        (b"PK\x03\x04junk", "orgs.xlsx", "damaged"),
        (b"name,website\r\nx,https://x.example\r\n", "orgs.csv", "lacks the required column"),
    ],
)
def test_bad_files_get_a_clear_message(
    signed_in: Callable[[str], FlaskClient], content: bytes, filename: str, message: str
) -> None:
    response = upload(signed_in("manager"), content, filename=filename)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_form_errors_never_500(signed_in: Callable[[str], FlaskClient]) -> None:
    manager = signed_in("manager")
    assert upload(manager, ORGS, type_name="widgets").status_code == 422
    assert upload(manager, ORGS, dates="ydm").status_code == 422
    no_file = manager.post("/import/", data={"type_name": "organizations"})
    assert no_file.status_code == 422
    assert "Choose a .csv or .xlsx file" in no_file.get_data(as_text=True)
    assert manager.get("/import/template/widgets.csv").status_code == 404
    assert manager.get("/import/template/organizations.pdf").status_code == 404


def test_templates_have_header_and_example(signed_in: Callable[[str], FlaskClient]) -> None:
    manager = signed_in("manager")
    csv_text = manager.get("/import/template/exchange-rates.csv").get_data(as_text=True)
    assert csv_text.lstrip("\ufeff").splitlines()[0] == "base,quote,date,rate,source"
    xlsx = manager.get("/import/template/organizations.xlsx").data
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    assert [c.value for c in sheet[1]][:2] == ["name", "kind"]
    assert sheet.max_row == 2


def test_progress_of_a_check_and_an_apply_can_be_polled(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    manager = signed_in("manager")
    page = manager.get("/import/").get_data(as_text=True)
    assert "js/import-progress.js" in page and 'data-progress-url="/import/progress/' in page
    from coordapp.imports.stash import new_progress_id

    progress_id = new_progress_id()
    before = manager.get(f"/import/progress/{progress_id}").get_json()
    assert before == {"started": False, "done": 0, "total": 0}
    checked = upload(manager, ORGS, progress_id=progress_id)
    assert checked.status_code == 200
    assert manager.get(f"/import/progress/{progress_id}").get_json() == {
        "started": True,
        "done": 2,
        "total": 2,
    }
    report = checked.get_data(as_text=True)
    token = report.split('name="token" type="hidden" value="')[1].split('"')[0]
    apply_progress = report.split('name="progress_id" type="hidden" value="')[1].split('"')[0]
    assert apply_progress != progress_id
    applied = manager.post("/import/apply", data={"token": token, "progress_id": apply_progress})
    assert applied.status_code == 200
    assert manager.get(f"/import/progress/{apply_progress}").get_json()["done"] == 2
    assert names(in_app) == {"Page Alpha", "Page Beta"}


def test_progress_ids_are_checked(signed_in: Callable[[str], FlaskClient]) -> None:
    manager = signed_in("manager")
    assert manager.get("/import/progress/..%2F..%2Fetc").status_code == 404
    assert manager.get("/import/progress/short").get_json()["started"] is False
