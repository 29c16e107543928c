"""The load test's journeys (bench/load.py), run once through the Flask test client: the
requests it sends are the ones the app accepts, CSRF tokens and version fields included."""

from __future__ import annotations

import argparse
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
from coordapp.cache import clear_caches
from coordapp.partners.models import Organization
from tests._demo import load_demo_cached


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
        load_demo_cached(s, today=date(2026, 11, 26))
        for email, role in ((load.viewer_email(1), "viewer"), (load.manager_email(1), "manager")):
            auth.create_user(s, email=email, full_name=role, role=role, password=load.PASSWORD)
    recorder = load.Recorder()

    viewer = load.Browser(load.FlaskTransport(app.test_client()), recorder)
    assert load.sign_in(viewer, load.viewer_email(1))
    dependencies = load.dash_dependencies(viewer)
    for round_no in range(2):
        load.viewer_iteration(viewer, dependencies, random.Random(1), round_no)

    viewer_requests = recorder.requests
    manager = load.Browser(load.FlaskTransport(app.test_client()), recorder, role="manager")
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
    save = summary["by_kind"]["save"]
    assert save["p99_ms"] >= save["p95_ms"] >= save["p50_ms"] > 0
    # Each request is counted under its role too: the viewer's, then the manager's.
    by_role = summary["by_role"]
    assert set(by_role) == {"viewer", "manager"}
    assert by_role["viewer"]["count"] == viewer_requests
    assert by_role["manager"]["count"] == recorder.requests - viewer_requests
    assert by_role["manager"]["requests_per_second"] == recorder.requests - viewer_requests
    assert by_role["viewer"]["errors"] == by_role["manager"]["errors"] == 0
    assert by_role["viewer"]["p99_ms"] >= by_role["viewer"]["p95_ms"] >= by_role["viewer"]["p50_ms"]
    # The slowest requests are named, a callback by its outputs, slowest first.
    slowest = summary["slowest"]
    assert len(slowest) == load.SLOWEST and slowest[0]["ms"] == summary["all"]["max_ms"]
    assert [row["ms"] for row in slowest] == sorted((row["ms"] for row in slowest), reverse=True)
    assert all(row["request"].split()[0] in ("viewer", "manager") for row in slowest)
    with in_app() as s:
        notes = s.scalar(sa.select(Organization.notes).where(Organization.id == first))
    assert notes == "Load test: second save."


def test_a_refused_save_is_counted_as_an_error(
    app: Flask, in_app: Callable[[], AbstractContextManager[Session]], csrf_on: None
) -> None:
    with in_app() as s:
        load_demo_cached(s, today=date(2026, 11, 26))
        auth.create_user(
            s, email=load.viewer_email(1), full_name="v", role="viewer", password=load.PASSWORD
        )
    recorder = load.Recorder()
    browser = load.Browser(load.FlaskTransport(app.test_client()), recorder, role="manager")
    assert load.sign_in(browser, load.viewer_email(1))
    first = load.organization_ids(browser)[0]
    assert not load.manager_iteration(browser, first, "A viewer may not save.")
    assert recorder.errors and recorder.errors[0].startswith("manager edit-form: GET")
    api = load.Browser(load.FlaskTransport(app.test_client()), recorder, role="api")
    assert api.get("api", "/api/v1/coverage") is None  # no token: 401
    summary = recorder.summary(elapsed=2.0)
    assert summary["by_role"]["manager"]["errors"] == 1
    assert summary["by_role"]["api"] == {
        "count": 1,
        "errors": 1,
        "requests_per_second": 0.5,
        **{key: summary["by_role"]["api"]["max_ms"] for key in ("p50_ms", "p95_ms", "p99_ms")},
        "max_ms": summary["by_role"]["api"]["max_ms"],
        "mean_ms": summary["by_role"]["api"]["max_ms"],
    }
    assert summary["errors"] == 2
    report = load.report(load_settings(scale=1), summary)
    assert "| manager | 5 | 2.5 | 1 |" in report and "| api | 1 | 0.5 | 1 |" in report
    assert report.index("| manager |") < report.index("| api |") < report.index("| all |")
    assert not load.sign_in(load.Browser(load.FlaskTransport(app.test_client()), recorder), "x@y.z")


def load_settings(scale: int) -> load.Settings:
    return load.Settings(
        duration=1,
        viewers=1,
        managers=1,
        workers=1,
        threads=1,
        port=0,
        database_url=load.scale_url(load.DEFAULT_DATABASE_URL, scale),
        redis_url=None,
        ramp=0,
        server_log=load.RESULTS / "unused.log",
        scale=scale,
    )


def test_at_n_times_the_managers_edit_generated_organizations(
    app: Flask, in_app: Callable[[], AbstractContextManager[Session]], csrf_on: None
) -> None:
    # Above 1x the database holds the bench's generated data (not the demo network): the
    # viewers' dashboards and the managers' edit forms must work on it as on the demo.
    with in_app() as s:
        written = load.add_generated_data(s, scale=1)
        assert written["organizations"] == 40 and written["hotline_statistics"] > 0
        assert load.add_generated_data(s, scale=1) == {}  # a rerun does not double the data
        load.create_accounts(s, viewers=1, managers=1)
        assert load.data_size(s)["organizations"] == 40
    recorder = load.Recorder()
    viewer = load.Browser(load.FlaskTransport(app.test_client()), recorder)
    assert load.sign_in(viewer, load.viewer_email(1))
    load.viewer_iteration(viewer, load.dash_dependencies(viewer), random.Random(1), 0)
    manager = load.Browser(load.FlaskTransport(app.test_client()), recorder, role="manager")
    assert load.sign_in(manager, load.manager_email(1))
    first = load.organization_ids(manager)[0]
    assert load.manager_iteration(manager, first, "Load test on generated data.")
    assert recorder.errors == []
    assert len(recorder.timings["callback-map-year"]) == load.YEAR_MOVES * 3


def test_the_slowest_requests_are_kept_with_what_they_were() -> None:
    recorder = load.Recorder()
    for n in range(load.SLOWEST + 3):
        recorder.add("page", n / 10, role="viewer", what=f"GET /{n}")
    recorder.add("callback-page", 5.0, role="viewer", what=f"POST {load.UPDATE} map.figure")
    slowest = recorder.summary(elapsed=1.0)["slowest"]
    assert [row["request"] for row in slowest[:3]] == [
        f"viewer callback-page: POST {load.UPDATE} map.figure",
        "viewer page: GET /7",
        "viewer page: GET /6",
    ]
    assert len(slowest) == load.SLOWEST and slowest[0]["ms"] == 5000.0


def test_each_scale_has_its_database_and_the_comparison_reads_per_role() -> None:
    assert load.scale_url("postgresql+psycopg://postgres@127.0.0.1:5432/coordapp_load", 100) == (
        "postgresql+psycopg://postgres@127.0.0.1:5432/coordapp_load_100x"
    )
    assert load.parse_scales("100, 1") == [1, 100]
    with pytest.raises(argparse.ArgumentTypeError):
        load.parse_scales("0")

    def role(rps: float, p95: float) -> dict[str, float]:
        return {"requests_per_second": rps, "p95_ms": p95}

    text = load.comparison(
        {
            1: {"by_role": {"viewer": role(20.0, 400.0), "manager": role(5.0, 300.0)}},
            100: {"by_role": {"viewer": role(10.0, 1200.0), "manager": role(4.0, 600.0)}},
        }
    )
    assert "| viewer | 20.0 | 400 | 10.0 | 1,200 | 0.50 | 3.00 |" in text
    assert "| manager | 5.0 | 300 | 4.0 | 600 | 0.80 | 2.00 |" in text
    assert "| api |" not in text  # no poller ran


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
