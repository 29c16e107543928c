"""Uploads kept between the check and the apply: owner-only files, owner-only tokens."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from tests.imports.test_views import ORGS, upload


def _pending_token(client: FlaskClient) -> str:
    with client.session_transaction() as flask_session:
        return str(flask_session["import_pending"]["token"])


def test_an_upload_waits_in_the_instance_folder_readable_by_the_app_user_only(
    app: Flask, signed_in: Callable[[str], FlaskClient]
) -> None:
    manager = signed_in("manager")
    assert upload(manager, ORGS).status_code == 200
    token = _pending_token(manager)
    folder = Path(app.instance_path) / "import-stash"
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700
    assert os.stat(folder).st_uid == os.getuid()
    for path in (folder / token, folder / f"{token}.owner"):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert (folder / token).read_bytes() == ORGS


def test_another_user_cannot_apply_or_drop_someone_elses_upload(
    app: Flask, signed_in: Callable[[str], FlaskClient]
) -> None:
    manager = signed_in("manager")
    assert upload(manager, ORGS).status_code == 200
    token = _pending_token(manager)
    manager.post("/auth/sign-out")
    other = signed_in("admin")
    response = other.post("/import/apply", data={"token": token})
    assert response.status_code == 404
    assert (Path(app.instance_path) / "import-stash" / token).exists()  # still the manager's
    other.post("/auth/sign-out")
    manager = signed_in("manager")
    with manager.session_transaction() as flask_session:
        flask_session["import_pending"] = {
            "token": token,
            "type_name": "organizations",
            "filename": "orgs.csv",
            "dates": "iso",
            "decimal": "point",
        }
    applied = manager.post("/import/apply", data={"token": token})
    assert applied.status_code == 200 and "2 created" in applied.get_data(as_text=True)
    assert not (Path(app.instance_path) / "import-stash" / token).exists()
