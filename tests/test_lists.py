"""Every list of the records workspace, on the demo network: the number of SQL statements does
not grow with the page size, CSV export works, and malformed query values are ignored."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from coordapp.demo.service import load_demo
from coordapp.extensions import db
from coordapp.records.views import RESOURCES

InApp = Callable[[], AbstractContextManager[Session]]


def _list_paths(app: Flask) -> list[str]:
    paths = set()
    with app.test_request_context():
        for bp_name, res in RESOURCES:
            endpoint = f"{bp_name}.{res.slug.replace('-', '_')}_list"
            if endpoint in app.view_functions:
                paths.add(url_for(endpoint))
    return sorted(paths)


def test_every_list_is_constant_in_queries_exports_and_ignores_bad_values(
    app: Flask, signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        load_demo(s, today=date(2026, 11, 26))
    client = signed_in("admin")
    paths = _list_paths(app)
    assert len(paths) >= 11, paths
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    problems = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for path in paths:
            counts = []
            for per_page in (25, 100):
                statements.clear()
                response = client.get(f"{path}?per_page={per_page}")
                if response.status_code != 200:
                    problems.append(f"{path}?per_page={per_page} -> {response.status_code}")
                counts.append(len(statements))
                # A date never wraps in a list cell (at a narrow width "2026-12-07" broke in two).
                wrapping = re.findall(r"<td>\s*\d{4}-\d{2}-\d{2}", response.get_data(as_text=True))
                if wrapping:
                    problems.append(f"{path}: {len(wrapping)} date cells may wrap")
            if counts[0] != counts[1]:
                problems.append(f"{path}: {counts[0]} statements at 25 rows, {counts[1]} at 100")
            csv = client.get(f"{path}?format=csv")
            if csv.status_code != 200 or csv.mimetype != "text/csv":
                problems.append(f"{path}?format=csv -> {csv.status_code} {csv.mimetype}")
            bad = client.get(f"{path}?page=abc&sort=;drop&per_page=-1&q=%27")
            if bad.status_code != 200:
                problems.append(f"{path} with malformed values -> {bad.status_code}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert problems == [], "\n".join(problems)
