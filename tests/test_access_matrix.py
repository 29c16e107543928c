"""Route × role matrix: every Flask route and every Dash callback, requested as anonymous,
viewer, manager and admin, against the explicit table in ``tests/access_table.py``.

Each cell is one request on a fresh test client carrying the role's session cookie (or API
token), inside a savepoint rolled back afterwards: a write in one cell (an archive, a sign-out,
an erased user) never changes what the next cell sees.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import calendar_feeds, invites, tokens
from coordapp.auth import service as auth
from coordapp.cache import clear_caches
from coordapp.funding.models import ReportingRequirement, ReportKind
from coordapp.network.compliance_models import ComplianceRequirement
from coordapp.network.models import ExpansionStage, HotlineMembershipEvent, MembershipStatus
from coordapp.partners.interaction_models import Interaction, InteractionKind
from coordapp.pillars.models import PillarIndicator, PillarTarget
from coordapp.stats.models import HotlineQuarter, QuarterState
from coordapp.training import service as training
from tests import factories
from tests.access_table import (
    ALLOWED,
    CALLBACKS,
    FORBIDDEN,
    HOTLINE_SCOPE_PROBES,
    NOT_FOUND,
    ROLES,
    ROUTES,
    SIGNED_OUT,
    Route,
)
from tests.conftest import PASSWORD
from tests.stats.helpers import statistic
from tests.training.helpers import event

SAME_ORIGIN = {"Origin": "http://localhost"}  # what a browser sends with a POST from our pages
UPDATE_URL = "/dashboards/_dash-update-component"
IGNORED_METHODS = {"HEAD", "OPTIONS"}


# --- what the app has ----------------------------------------------------------------------


def app_routes(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - IGNORED_METHODS
    }


def app_callbacks(app: Flask) -> dict[str, dict[str, Any]]:
    return dict(app.extensions["coordapp_dash"].callback_map)


def test_every_route_is_in_the_table(app: Flask) -> None:
    table = [route.key for route in ROUTES]
    duplicates = sorted({key for key in table if table.count(key) > 1})
    present = app_routes(app)
    missing = sorted(present - set(table))
    stale = sorted(set(table) - present)
    message = []
    if missing:
        message.append(
            "Routes of the app missing from tests/access_table.py ROUTES. Add a line for each, "
            "with a real example and the profile it should have, e.g.:\n"
            + "\n".join(f"    {_suggestion(app, endpoint, method)}" for endpoint, method in missing)
        )
    if stale:
        message.append(
            "ROUTES entries the app no longer has (remove them):\n"
            + "\n".join(f"  {method} {endpoint}" for endpoint, method in stale)
        )
    if duplicates:
        message.append(f"ROUTES lists these twice: {duplicates}")
    assert not message, "\n".join(message)


def _suggestion(app: Flask, endpoint: str, method: str) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    example = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
    body = ", data=EMPTY" if method in ("POST", "PUT", "PATCH") else ""
    return f'Route("{endpoint}", "{method}", "{example}", SIGNED_IN | MANAGERS | ADMINS{body}),'


def test_every_callback_is_in_the_table(app: Flask) -> None:
    table = [callback.output for callback in CALLBACKS]
    present = set(app_callbacks(app))
    missing = sorted(present - set(table))
    stale = sorted(set(table) - present)
    assert not missing and not stale and len(table) == len(set(table)), (
        "Dash callbacks missing from tests/access_table.py CALLBACKS (add a Callback):\n  "
        + "\n  ".join(missing)
        + "\nCALLBACKS entries the app no longer has:\n  "
        + "\n  ".join(stale)
    )


def test_each_example_reaches_its_route(app: Flask) -> None:
    """An example URL that another rule answers would check the wrong route."""
    adapter = app.url_map.bind("localhost")
    wrong = []
    for route in ROUTES:
        path = urlsplit(route.example.format_map(_AnyId())).path
        endpoint, _args = adapter.match(path, method=route.method)
        if endpoint != route.endpoint:
            wrong.append(f"{route.method} {route.example} reaches {endpoint}, not {route.endpoint}")
    assert wrong == []


def test_each_callback_example_matches_its_declaration(app: Flask) -> None:
    """Inputs and state in the order and with the ids Dash declared (wildcards as lists)."""
    declared = app_callbacks(app)
    wrong = []
    for callback in CALLBACKS:
        spec = declared.get(callback.output)
        if spec is None:
            continue  # reported by test_every_callback_is_in_the_table
        for kind in ("inputs", "state"):
            deps, sent = spec[kind], getattr(callback, kind)
            if len(deps) != len(sent):
                wrong.append(f"{callback.output}: {len(sent)} {kind}, Dash declares {len(deps)}")
                continue
            for dep, item in zip(deps, sent, strict=True):
                if not _matches(dep, item):
                    wrong.append(f"{callback.output}: {kind} {item!r} is not {dep}")
    assert wrong == []


def _matches(dep: dict[str, str], item: Any) -> bool:
    if not dep["id"].startswith("{"):
        return (
            isinstance(item, dict)
            and item["id"] == dep["id"]
            and item["property"] == (dep["property"])
        )
    pattern = json.loads(dep["id"])
    wildcards = [v[0] for v in pattern.values() if isinstance(v, list)]
    items = item if "ALL" in wildcards else [item]
    if not isinstance(items, list):
        return False
    return all(
        i["property"] == dep["property"]
        and set(i["id"]) == set(pattern)
        and all(isinstance(v, list) or i["id"][k] == v for k, v in pattern.items())
        for i in items
    )


class _AnyId(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return "1"


# --- the records the examples point at, the users, their cookies and tokens -----------------


@pytest.fixture
def records(in_app: Callable[[], AbstractContextManager[Session]]) -> dict[str, Any]:
    with in_app() as s:
        org = factories.organization(s, name="Org Foundation")
        contact = factories.contact(s, organization=org, full_name="Ana Example")
        partnership = factories.partnership(s, organization=org)
        hotline = factories.hotline(
            s, country="NL", events=[(date(2005, 1, 1), MembershipStatus.FULL)]
        )
        hotline.operator_id = org.id  # its contacts are the hotline user's contacts
        other_org = factories.organization(s, name="Other Operator")
        other_contact = factories.contact(s, organization=other_org, full_name="Bo Other")
        other_hotline = factories.hotline(
            s, country="BE", events=[(date(2006, 1, 1), MembershipStatus.FULL)]
        )
        other_hotline.operator_id = other_org.id
        s.flush()
        invitation = invites.invite_hotline_user(
            s, email="invited@test.example", full_name="Invited Person", hotline_ids=[hotline.id]
        )
        membership_event = s.execute(
            sa.select(HotlineMembershipEvent.id).where(
                HotlineMembershipEvent.hotline_id == hotline.id
            )
        ).scalar_one()
        expansion = factories.expansion_target(
            s, country="KE", stages=[(date(2024, 1, 1), ExpansionStage.IDENTIFIED)]
        )
        commitment = factories.commitment(
            s, amount="1000.00", currency="EUR", pledged_on=date(2025, 1, 10), funder=org
        )
        receipt = factories.receipt(
            s, commitment=commitment, amount="250.00", currency="EUR", on=date(2025, 2, 1)
        )
        exchange_rate = factories.rate(s, base="EUR", quote="USD", on=date(2025, 1, 2), value="1.1")
        reporting_requirement = ReportingRequirement(
            commitment_id=commitment.id, kind=ReportKind.NARRATIVE, due_on=date(2025, 6, 30)
        )
        s.add(reporting_requirement)
        interaction = Interaction(
            organization_id=org.id,
            occurred_on=date(2025, 3, 3),
            kind=InteractionKind.CALL,
            participants=[contact],
        )
        s.add(interaction)
        training_event = event(s)
        participation = training.set_participation(
            s, event=training_event, hotline_id=hotline.id, participants=3
        )
        target = PillarTarget(
            pillar_id=training_event.pillar_id,
            year=2025,
            indicator=PillarIndicator.TRAININGS_HELD,
            target_value=Decimal(4),
        )
        s.add(target)
        stat = statistic(s, hotline, "reports_received", date(2025, 1, 1), date(2025, 3, 31), "12")
        quarter = HotlineQuarter(
            hotline_id=hotline.id,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 3, 31),
            state=QuarterState.SUBMITTED,
            submitted_at=datetime(2025, 4, 10),
            first_submitted_at=datetime(2025, 4, 10),
        )
        s.add(quarter)
        other = auth.create_user(
            s,
            email="other@test.example",
            full_name="Other Person",
            role="viewer",
            password=PASSWORD,
        )
        other_token, _plaintext = tokens.create_token(s, user=other, name="other's script")
        _feed, calendar_secret = calendar_feeds.create_feed(s, user=other)
        requirement = s.scalars(
            sa.select(ComplianceRequirement.id).order_by(ComplianceRequirement.id)
        ).first()
        s.flush()
        return {
            "reporting_requirement": reporting_requirement.id,
            "interaction": interaction.id,
            "organization": org.id,
            "contact": contact.id,
            "partnership": partnership.id,
            "hotline": hotline.id,
            "membership_event": membership_event,
            "expansion": expansion.id,
            "commitment": commitment.id,
            "receipt": receipt.id,
            "exchange_rate": exchange_rate.id,
            "training": training_event.id,
            "participation": participation.id,
            "pillar_target": target.id,
            "statistic": stat.id,
            "metric": stat.metric_id,
            "quarter": quarter.id,
            "user": other.id,
            "token": other_token.id,
            "calendar_secret": calendar_secret,
            "requirement": requirement,
            "other_hotline": other_hotline.id,
            "other_contact": other_contact.id,
            "set_password_token": invitation.token,
            "hotline_user": invitation.user.id,
        }


@dataclass
class Actor:
    """A signed-in role: its session cookie, and the header of an API token of its user."""

    cookie: str
    token: dict[str, str]


@pytest.fixture
def matrix_users(
    in_app: Callable[[], AbstractContextManager[Session]],
    users: dict[str, str],
    records: dict[str, Any],
) -> dict[str, str]:
    """The role's users, and a hotline user bound to the ``records`` hotline."""
    with in_app() as s:
        user = auth.create_user(
            s,
            email="hotline@test.example",
            full_name="Test hotline",
            role="hotline",
            password=PASSWORD,
        )
        invites.set_user_hotlines(s, user=user, hotline_ids=[records["hotline"]])
        email = user.email
    return {**users, "hotline": email}


@pytest.fixture
def actor(
    app: Flask,
    in_app: Callable[[], AbstractContextManager[Session]],
    matrix_users: dict[str, str],
) -> Callable[[str], Actor]:
    """``actor(role)`` signs that role in once per test (sign-ins are rate limited)."""
    signed_in: dict[str, Actor] = {}

    def _actor(role: str) -> Actor:
        if role in signed_in:
            return signed_in[role]
        client = app.test_client()
        email = matrix_users[role]
        response = client.post("/auth/sign-in", data={"email": email, "password": PASSWORD})
        assert response.status_code == 302, response.data[:300]
        cookie = client.get_cookie(_cookie_name(app))
        assert cookie is not None
        with in_app() as s:
            user = auth.get_required_by_email(s, email)
            _token, plaintext = tokens.create_token(s, user=user, name=f"{role} matrix")
        # A browser loads the dashboard page before Dash serves the scripts the page names.
        assert client.get("/dashboards/").status_code == (404 if role == "hotline" else 200)
        clear_caches()
        signed_in[role] = Actor(cookie.value, {"Authorization": f"Bearer {plaintext}"})
        return signed_in[role]

    return _actor


def _cookie_name(app: Flask) -> str:
    return str(app.config.get("SESSION_COOKIE_NAME") or "session")


# --- one cell ----------------------------------------------------------------------------------


def outcome(response: Any, *, exact: int | None = None) -> str:
    status = response.status_code
    if status == 401:
        return SIGNED_OUT
    if status == 403:
        return FORBIDDEN
    if 300 <= status < 400:
        target = urlsplit(response.headers.get("Location", ""))
        if target.path == "/auth/sign-in":
            return SIGNED_OUT
    if status == 404 and exact != 404:
        return NOT_FOUND
    if exact is not None:
        return ALLOWED if status == exact else f"HTTP {status}"
    if status < 400 or status in (400, 409, 422):
        return ALLOWED
    return f"HTTP {status}"


@pytest.fixture
def request_as(
    app: Flask, db_conn: sa.Connection, actor: Callable[[str], Actor]
) -> Callable[..., Any]:
    """``request_as(role, method, url, token=..., **kwargs)``: one request, rolled back."""

    def _request(role: str, method: str, url: str, *, token: bool = False, **kwargs: Any) -> Any:
        client: FlaskClient = app.test_client()
        headers = dict(kwargs.pop("headers", {}))
        if role != "anonymous":
            if token:
                headers.update(actor(role).token)
            else:
                client.set_cookie(_cookie_name(app), actor(role).cookie)
        if method != "GET":
            headers.update(SAME_ORIGIN)
        savepoint = db_conn.begin_nested()
        try:
            return client.open(url, method=method, headers=headers, **kwargs)
        finally:
            if savepoint.is_active:
                savepoint.rollback()
            clear_caches()

    return _request


def _cell(route: Route, role: str, ids: dict[str, Any], request_as: Callable[..., Any]) -> str:
    url = route.example.format(**ids)
    kwargs: dict[str, Any] = {}
    if route.data is not None:
        kwargs["data"] = dict(route.data)
    if route.json is not None:
        kwargs["json"] = route.json
    is_api = url.startswith("/api/")
    response = request_as(role, route.method, url, token=is_api, **kwargs)
    got = outcome(response, exact=route.status)
    return f"{got} ({response.status_code}{_where(response)})"


def _where(response: Any) -> str:
    location = response.headers.get("Location")
    return f" → {location}" if location else ""


# --- the matrix ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_route_matrix(role: str, records: dict[str, Any], request_as: Callable[..., Any]) -> None:
    column = ROLES.index(role)
    failures = []
    started = time.perf_counter()
    for route in ROUTES:
        expected = route.expect[column]
        got = _cell(route, role, records, request_as)
        if not got.startswith(expected + " "):
            failures.append(
                f"  {route.method} {route.example.format(**records)} ({route.endpoint}): "
                f"expected {expected}, got {got}"
            )
        if route.example.startswith("/api/") and role != "anonymous":
            # The API never accepts the session cookie: it would make every API call CSRF-able.
            url = route.example.format(**records)
            kwargs = {"json": route.json} if route.json is not None else {}
            response = request_as(role, route.method, url, token=False, **kwargs)
            if response.status_code != 401:
                failures.append(
                    f"  {route.method} {url} with a session cookie and no token: "
                    f"expected 401, got {response.status_code}"
                )
    elapsed = time.perf_counter() - started
    assert not failures, (
        f"{role}: {len(failures)} cells differ from tests/access_table.py "
        f"({len(ROUTES)} routes in {elapsed:.1f}s):\n" + "\n".join(failures)
    )


@pytest.mark.parametrize("role", ROLES)
def test_callback_matrix(
    role: str, records: dict[str, Any], request_as: Callable[..., Any]
) -> None:
    column = ROLES.index(role)
    failures = []
    for callback in CALLBACKS:
        expected = callback.expect[column]
        response = request_as(role, "POST", UPDATE_URL, json=callback.body())
        got = _callback_outcome(response)
        if got != expected:
            failures.append(
                f"  {callback.output}: expected {expected}, got {got} "
                f"({response.status_code}: {response.get_data(as_text=True)[:200]})"
            )
    assert not failures, f"{role}: callbacks differ from tests/access_table.py:\n" + "\n".join(
        failures
    )


def _callback_outcome(response: Any) -> str:
    """A callback ran (200 with its outputs: each example is chosen to update them) or was
    refused; anything else (204, a 400 for a malformed request, a 500) means the example or
    the callback is wrong."""
    if response.status_code == 200 and "response" in (response.get_json(silent=True) or {}):
        return ALLOWED
    if response.status_code == 401:
        return SIGNED_OUT
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code == 404:
        return NOT_FOUND
    return f"HTTP {response.status_code}"


@pytest.mark.parametrize("role", ROLES)
def test_hotline_pages_with_ids_outside_the_users_scope_are_not_found(
    role: str, records: dict[str, Any], request_as: Callable[..., Any]
) -> None:
    """Another hotline's pages, its contacts, or a hotline that does not exist: 404 for the
    hotline user, exactly as for a page that does not exist (and for every other signed-in
    role, who have no hotline of their own); nothing is written."""
    expected = SIGNED_OUT if role == "anonymous" else NOT_FOUND
    failures = []
    for method, example, data in HOTLINE_SCOPE_PROBES:
        url = example.format(**records)
        kwargs = {"data": dict(data)} if data is not None else {}
        got = outcome(request_as(role, method, url, **kwargs))
        if got != expected:
            failures.append(f"  {method} {url}: expected {expected}, got {got}")
    assert not failures, f"{role}:\n" + "\n".join(failures)


@pytest.fixture(autouse=True)
def _clean_report_cache() -> Iterator[None]:
    clear_caches()
    yield
    clear_caches()
