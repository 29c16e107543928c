"""A figure callback's answer is kept until the data changes, and never crosses from a manager
(exact small counts) to a viewer (hidden)."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import Any
from unittest.mock import patch

import brotli
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import service as auth_service
from coordapp.auth.models import User
from coordapp.cache import response_cache
from coordapp.compression import KEPT_BODIES, CompressedBodies
from coordapp.network.models import MembershipStatus
from tests import factories
from tests._statements import statements_sent
from tests.dashboards.conftest import (
    PLAY_OUTPUT,
    SAME_ORIGIN,
    call,
    filter_id,
    prop,
    result,
    texts,
)
from tests.reporting import builders

InApp = Callable[[], AbstractContextManager[Session]]
F = MembershipStatus.FULL
MAP = "..map-graph.figure...map-headline.children...map-small.children...map-note.children.."
YEAR = 2024


# The map's inputs: year, region and how it colours the countries.
MAP_INPUTS = [
    prop(filter_id("year"), "value", YEAR),
    prop(filter_id("region"), "value", None),
    prop(filter_id("colour"), "value", "coverage"),
]


def _map(client: FlaskClient) -> dict:
    return result(call(client, MAP, MAP_INPUTS))


@pytest.fixture
def viewer(in_app: InApp, signed_in: Callable[[str], FlaskClient]) -> FlaskClient:
    """A signed-in viewer; the network: one full member hotline, in Austria since 2000."""
    with in_app() as s:
        factories.hotline(s, country="AT", events=[(date(2000, 1, 1), F)])
    return signed_in("viewer")


def test_a_map_answer_is_reused_until_a_write_changes_the_network(
    in_app: InApp, viewer: FlaskClient
) -> None:
    first = _map(viewer)
    assert _map(viewer) == first
    assert (response_cache.hits, response_cache.misses) == (1, 1)

    with in_app() as s:
        factories.hotline(s, country="KE", events=[(date(2010, 1, 1), F)])
    fresh = _map(viewer)
    assert response_cache.misses == 2
    headline = texts(fresh["map-headline"]["children"])
    assert headline != texts(first["map-headline"]["children"]) and "2" in headline


def test_a_managers_answer_is_not_served_to_a_viewer(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    with in_app() as s:
        hotline = factories.hotline(s, country="MT", events=[(date(2000, 1, 1), F)])
        builders.training(s, on=date(YEAR, 5, 1), hotlines=[(hotline, 3, None)])

    def panel(client: FlaskClient) -> str:
        inputs = [prop(filter_id("country"), "value", "MT"), prop(filter_id("year"), "value", YEAR)]
        return texts(result(call(client, "map-panel.children", inputs))["map-panel"]["children"])

    manager = signed_in("manager")
    assert "1 events, 3 participants" in panel(manager)
    assert "1 events, 3 participants" in panel(manager)
    assert response_cache.hits == 1
    manager.post("/auth/sign-out")

    shown = panel(signed_in("viewer"))
    assert "<5 participants" in shown and "3 participants" not in shown
    assert response_cache.misses == 2


def test_a_callback_that_is_not_a_figure_is_not_kept(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    viewer = signed_in("viewer")
    body = [
        prop("map-play", "n_clicks", 1),
        prop("map-interval", "n_intervals", None),
    ]
    state = [
        prop(filter_id("year"), "value", 2000),
        prop("map-interval", "disabled", True),
        prop("map-play-clicks", "data", 0),
    ]
    response = call(viewer, PLAY_OUTPUT, body, state, changed=["map-play.n_clicks"])
    assert response.status_code == 200, response.data[:300]
    assert len(response_cache) == 0
    assert texts(result(response)["map-play"]["children"])  # the button's label, not cached


def test_a_write_to_another_group_of_tables_keeps_the_map_and_renews_funding(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    """An exchange rate changes money, not coverage: the map stays cached, funding does not."""
    funding = (
        "..f-years.figure...f-pillar-pledged.figure...f-pillar-received.figure...f-funders.figure"
        "...f-kinds.figure...funding-rates.children...funding-empty.children...f-cash.figure"
        "...f-cash-rates.children.."
    )
    funding_inputs = [
        prop(filter_id(name), "value", value)
        for name, value in (("from", YEAR), ("to", YEAR), ("currency", "USD"), ("rates", "row"))
    ]
    with in_app() as s:
        factories.hotline(s, country="AT", events=[(date(2000, 1, 1), F)])
        factories.commitment(s, amount="100", currency="EUR", pledged_on=date(YEAR, 2, 1))
    viewer = signed_in("viewer")
    first_map = _map(viewer)
    first_funding = result(call(viewer, funding, funding_inputs))
    misses = response_cache.misses

    with in_app() as s:
        factories.rate(s, base="EUR", quote="USD", on=date(YEAR, 1, 1), value="1.25")
    assert _map(viewer) == first_map
    assert response_cache.misses == misses  # the map answered from the cache
    fresh_funding = result(call(viewer, funding, funding_inputs))
    assert response_cache.misses == misses + 1
    assert fresh_funding["f-years"] != first_funding["f-years"]  # 100 EUR now shows as 125 USD


def _map_call(client: FlaskClient, **kw: Any) -> Any:
    return call(client, MAP, MAP_INPUTS, **kw)


def test_a_cached_answer_is_the_first_answer_byte_for_byte(viewer: FlaskClient) -> None:
    first = _map_call(viewer)
    again = _map_call(viewer)
    assert first.status_code == again.status_code == 200
    assert again.get_data() == first.get_data() and again.mimetype == "application/json"
    assert (response_cache.hits, response_cache.misses) == (1, 1)


def test_a_cached_answer_is_refused_to_whoever_is_refused_today(
    in_app: InApp, signed_in: Callable[[str], FlaskClient], users: dict[str, str]
) -> None:
    """Signed out, from another site, or deactivated since: the same request body as a cached
    answer gets what it gets without the cache (401, 403, 401), and never the answer."""
    with in_app() as s:
        factories.hotline(s, country="AT", events=[(date(2000, 1, 1), F)])
    viewer = signed_in("viewer")
    assert _map_call(viewer).status_code == 200
    hits = response_cache.hits

    cross_site = _map_call(viewer, headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403 and b"map-graph" not in cross_site.get_data()

    with in_app() as s:
        user = s.scalar(sa.select(User).where(User.email == users["viewer"]))
        auth_service.set_active(s, user=user, active=False)
    deactivated = _map_call(viewer)
    assert deactivated.status_code == 401 and b"map-graph" not in deactivated.get_data()

    viewer.post("/auth/sign-out")
    signed_out = _map_call(viewer)
    assert signed_out.status_code == 401 and b"map-graph" not in signed_out.get_data()
    assert response_cache.hits == hits


def test_answers_are_kept_per_role(in_app: InApp, signed_in: Callable[[str], FlaskClient]) -> None:
    """A manager and an admin both see exact counts, yet each role has its own answers: an
    access rule that tells roles apart (guard.access_key) can never be skipped by the cache."""
    with in_app() as s:
        factories.hotline(s, country="AT", events=[(date(2000, 1, 1), F)])
    manager = signed_in("manager")
    assert _map_call(manager).status_code == 200
    manager.post("/auth/sign-out")
    admin = signed_in("admin")
    assert _map_call(admin).status_code == 200
    assert (response_cache.hits, response_cache.misses) == (0, 2)
    assert _map_call(admin).status_code == 200
    assert response_cache.hits == 1


def test_a_cached_answer_is_not_compressed_again(viewer: FlaskClient) -> None:
    first = _map_call(viewer, headers={**SAME_ORIGIN, "Accept-Encoding": "br"})
    assert first.headers["Content-Encoding"] == "br"
    with patch.object(brotli, "compress", side_effect=AssertionError("compressed again")):
        again = _map_call(viewer, headers={**SAME_ORIGIN, "Accept-Encoding": "br"})
    assert again.get_data() == first.get_data() and again.headers["Content-Encoding"] == "br"
    assert json.loads(brotli.decompress(again.get_data()))["response"]["map-graph"]
    gzipped = _map_call(viewer, headers={**SAME_ORIGIN, "Accept-Encoding": "gzip"})
    assert gzipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(gzipped.get_data()) == brotli.decompress(first.get_data())
    assert response_cache.hits == 2


def test_kept_compressed_bodies_are_bounded_and_assets_stay() -> None:
    bodies = CompressedBodies()
    bodies.set("br;asset:/static/app.css", b"css")
    for n in range(KEPT_BODIES + 1):
        bodies.set(f"br;body:{n}", b"%d" % n)
    bodies.set("br;-", b"never kept")
    assert bodies.get("br;body:0") is None
    assert bodies.get(f"br;body:{KEPT_BODIES}") == b"%d" % KEPT_BODIES
    assert bodies.get("br;asset:/static/app.css") == b"css" and bodies.get("br;-") is None


def test_a_cached_answer_costs_one_statement_for_its_reader_and_the_data_versions(
    app: Flask, viewer: FlaskClient
) -> None:
    first = _map(viewer)
    with statements_sent(app) as seen:
        assert _map(viewer) == first
    assert response_cache.hits == 1
    (statement,) = seen  # a read-only request (coordapp.read_only)
    assert "data_version" in statement and "users" in statement


def test_an_answer_computed_again_reads_the_data_versions_once(
    app: Flask, viewer: FlaskClient
) -> None:
    with statements_sent(app) as seen:
        _map(viewer)
    assert response_cache.misses == 1
    assert len([s for s in seen if "data_version" in s]) == 1
