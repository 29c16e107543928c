"""The load test's journeys (bench/load.py), run once through the Flask test client: the
requests it sends are the ones the app accepts, CSRF tokens and version fields included."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from bench import load
from coordapp.auth import service as auth
from coordapp.demo.service import load_demo
from coordapp.partners.models import Organization
from coordapp.reporting.cache import clear_caches


@pytest.fixture
def csrf_on(app: Flask) -> Iterator[None]:
    # The load test must read and send real CSRF tokens, as against production.
    app.config["WTF_CSRF_ENABLED"] = True
    clear_caches()
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
        clear_caches()


def test_viewer_and_manager_journeys_run_without_errors(
    app: Flask, in_app: Callable[[], AbstractContextManager[Session]], csrf_on: None
) -> None:
    with in_app() as s:
        load_demo(s, today=date(2026, 11, 26))
        for email, role in ((load.viewer_email(1), "viewer"), (load.manager_email(1), "manager")):
            auth.create_user(s, email=email, full_name=role, role=role, password=load.PASSWORD)
    recorder = load.Recorder()

    viewer = load.Browser(load.FlaskTransport(app.test_client()), recorder)
    assert load.sign_in(viewer, load.viewer_email(1))
    dependencies = load.dash_dependencies(viewer)
    for round_no in range(2):
        load.viewer_iteration(viewer, dependencies, random.Random(1), round_no)

    manager = load.Browser(load.FlaskTransport(app.test_client()), recorder)
    assert load.sign_in(manager, load.manager_email(1))
    first = load.organization_ids(manager)[0]
    assert load.manager_iteration(manager, first, "Load test: first save.")
    assert load.manager_iteration(manager, first, "Load test: second save.")

    assert recorder.errors == []
    timings = recorder.timings
    # Each year move: the map, the country panel and the URL, as the renderer sends them.
    assert len(timings["callback-map-year"]) == 2 * load.YEAR_MOVES * 3
    assert len(timings["callback-page"]) == 4 and len(timings["callback-initial"]) == 2 * 2 + 2
    assert len(timings["save"]) == 2 and len(timings["edit-form"]) == 2
    summary = recorder.summary(elapsed=1.0)
    assert summary["errors"] == 0 and summary["requests"] == recorder.requests
    assert summary["by_kind"]["save"]["p95_ms"] >= summary["by_kind"]["save"]["p50_ms"] > 0
    with in_app() as s:
        notes = s.scalar(sa.select(Organization.notes).where(Organization.id == first))
    assert notes == "Load test: second save."


def test_a_refused_save_is_counted_as_an_error(
    app: Flask, in_app: Callable[[], AbstractContextManager[Session]], csrf_on: None
) -> None:
    with in_app() as s:
        load_demo(s, today=date(2026, 11, 26))
        auth.create_user(
            s, email=load.viewer_email(1), full_name="v", role="viewer", password=load.PASSWORD
        )
    recorder = load.Recorder()
    browser = load.Browser(load.FlaskTransport(app.test_client()), recorder)
    assert load.sign_in(browser, load.viewer_email(1))
    first = load.organization_ids(browser)[0]
    assert not load.manager_iteration(browser, first, "A viewer may not save.")
    assert recorder.errors and recorder.errors[0].startswith("edit-form: GET")
    assert not load.sign_in(load.Browser(load.FlaskTransport(app.test_client()), recorder), "x@y.z")


def test_read_form_submits_what_a_browser_would() -> None:
    html = """<form method="get" action="/search"><input name="q" value="no"></form>
    <form method="post" action="/o/1/edit">
      <input type="hidden" name="csrf_token" value="tok"><input name="name" value="A &amp; B">
      <input type="checkbox" name="flag" checked><input type="checkbox" name="off">
      <select name="kind"><option value="ngo">NGO</option><option value="gov" selected>G</option>
      </select><select name="tags" multiple><option value="a" selected><option value="b" selected>
      </select><textarea name="notes">
line</textarea><input type="submit" name="submit" value="Save"></form>"""
    assert load.read_form(html, action="/o/1/edit") == {
        "csrf_token": "tok",
        "name": "A & B",
        "flag": "on",
        "kind": "gov",
        "tags": ["a", "b"],
        "notes": "line",
    }
