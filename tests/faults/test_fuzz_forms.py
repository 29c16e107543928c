"""Garbage into every form: a signed-in manager (an admin for the users and the compliance
requirements) posts generated values — valid choices mixed with junk, huge, empty, control
characters, odd dates and numbers, random files — to every create / edit / action form of the
app. No answer may be a server error, and an answer that is not a success must have written
nothing at all.

The forms are found, not listed: every POST route of the app is visited, its form read from
the page that shows it, and a route whose form cannot be found fails the test.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from coordapp.auth import service as auth_service
from coordapp.auth.models import Role, User
from coordapp.backup.service import tables
from coordapp.data_version import DataVersion
from coordapp.funding.models import (
    ExchangeRate,
    FundingCommitment,
    FundingReceipt,
    ReportingRequirement,
)
from coordapp.network.compliance_models import ComplianceRequirement
from coordapp.network.models import ExpansionTarget, Hotline, HotlineMembershipEvent
from coordapp.partners.interaction_models import Interaction
from coordapp.partners.models import Contact, Organization, Partnership
from coordapp.pillars.models import PillarTarget
from coordapp.reference.models import MetricDefinition
from coordapp.stats.models import HotlineQuarter, QuarterState
from coordapp.training.models import TrainingEvent, TrainingParticipation
from tests._demo import load_demo_cached
from tests.conftest import sign_in

EXAMPLES_PER_FORM = 25
SUCCESS = {201, 302, 303}
# The import's result page (200) is the answer to an applied import, and its check page the
# answer to a column mapping.
SUCCESS_ALSO = {"imports.apply": {200}, "imports.map_columns": {200}}
# Routes without fields of their own (a button), or that end the session under test.
NOT_FORMS = (
    "_archive",
    "_restore",
    "_erase",
    "_deactivate",
    "_reactivate",
    "_revoke",
    "_remove",
    "_delete",
    "remove_membership_event",
    "auth.sign_out",
    "auth.sign_in",
    "reference.reseed",
    "portal.",  # a hotline user's own forms (404 to the fuzzing admin): tests/portal
    "auth.set_password",  # the one-time link's form: its bad input in tests/auth/test_invites.py
    "users_set_password_link",  # a button, no field
    "quarters_approve",  # a button, no field
    "submit_quarter",  # a button, no field
    "follow_up_done",  # a button, no field
    "calendar_create",  # a button, no field (tests/main/test_calendar.py)
)
RECORD_MODELS: dict[str, Any] = {
    "commitments": FundingCommitment,
    "compliance": ComplianceRequirement,  # /compliance/requirements/<id>
    "contacts": Contact,
    "exchange-rates": ExchangeRate,
    "expansion": ExpansionTarget,
    "hotlines": Hotline,
    "interactions": Interaction,
    "organizations": Organization,
    "partnerships": Partnership,
    "pillar-targets": PillarTarget,
    "quarters": HotlineQuarter,
    "receipts": FundingReceipt,
    "reporting-requirements": ReportingRequirement,
    "trainings": TrainingEvent,
}


# --- reading the forms off the pages ----------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # text, textarea, select, checkbox, hidden, file, number, date, ...
    value: str = ""
    options: list[str] = field(default_factory=list)
    multiple: bool = False


@dataclass
class Form:
    action: str
    fields: dict[str, FormField] = field(default_factory=dict)


class FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method", "").lower() == "post":
            self.forms.append(Form(action=a.get("action", "")))
        if not self.forms:
            return
        form = self.forms[-1]
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button"):
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and name in form.fields:
                form.fields[name].options.append(a.get("value", "y"))
                return
            form.fields[name] = FormField(
                name, kind, a.get("value", ""), options=[a.get("value", "y")]
            )
        elif tag == "select" and name:
            self._select = form.fields[name] = FormField(name, "select", multiple="multiple" in a)
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
            if "selected" in a:
                self._select.value = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = form.fields[name] = FormField(name, "textarea")

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data


def _upload_orgs(client: FlaskClient, content: bytes) -> Any:
    return client.post(
        "/import/",
        data={
            "type_name": "organizations",
            "file": (io.BytesIO(content), "orgs.csv"),
            "dates": "iso",
            "decimal": "point",
        },
        content_type="multipart/form-data",
    )


# Forms that a page shows only once something is chosen or uploaded first.
PAGES: dict[str, Callable[[FlaskClient, int], Any]] = {
    "stats.statistics_grid": lambda client, hotline: client.get(
        f"/statistics/grid?hotline={hotline}&year=2025"
    ),
    # The check page (its apply form), and the column mapping of a file with its own headers.
    "imports.apply": lambda client, _: _upload_orgs(client, b"name,kind\nFuzz Apply Org,ngo\n"),
    "imports.map_columns": lambda client, _: _upload_orgs(
        client, b"Nom;Genre;Pays\nFuzz Map Org;ngo;Belgique\n"
    ),
}


def _forms_on(response: Any) -> list[Form]:
    if response.status_code != 200 or response.mimetype != "text/html":
        return []
    parser = FormParser()
    parser.feed(response.get_data(as_text=True))
    return parser.forms


def find_form(client: FlaskClient, endpoint: str, url: str, hotline: int) -> Form | None:
    """The form posting to ``url``: on its own page, or on the page of the record it acts on."""
    if endpoint in PAGES:
        shown = [(url, PAGES[endpoint](client, hotline))]
    else:
        parts = url.rstrip("/").split("/")
        pages = [url, *("/".join(parts[:i]) for i in range(len(parts) - 1, 1, -1))]
        shown = [(page, client.get(page)) for page in pages]
    for page, response in shown:
        for form in _forms_on(response):
            target = form.action.split("#")[0].split("?")[0] or page
            if target == url and set(form.fields) - {"csrf_token"}:
                return form
    return None


# --- generated values -------------------------------------------------------------------------

junk = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "http://[",
            "https://example.org/x",
            "-1",
            "0",
            "1e999",
            "NaN",
            "-Infinity",
            "99999999999999999999999999",
            "0.123456789",
            "1,5",
            "2026-02-30",
            "31/12/2026",
            "9999-12-31",
            "0001-01-01",
            "<script>alert(1)</script>",
            "x" * 5000,
            "' OR 1=1 --",
            "😀",
            "\u202e",
            "2147483648",
            "-9223372036854775809",
        ]
    ),
    st.integers().map(str),
    st.dates().map(date.isoformat),
    st.decimals(allow_nan=False, places=6).map(str),
)


def field_strategy(item: FormField) -> st.SearchStrategy[Any]:
    if item.kind == "file":
        content = st.one_of(
            st.binary(max_size=600),
            st.text(max_size=600).map(str.encode),
            st.lists(st.lists(junk, max_size=6).map(",".join), max_size=6).map(
                lambda rows: "\n".join(rows).encode()
            ),
        )
        name = st.sampled_from(["data.csv", "data.xlsx", "data.txt", "", "../../x.csv"])
        return st.tuples(content, name).map(lambda t: (io.BytesIO(t[0]), t[1]))
    choices = [o for o in item.options if o]
    valid = st.sampled_from(choices) if choices else st.just(item.value)
    if item.multiple:
        return st.lists(st.one_of(valid, junk), max_size=4)
    if item.name == "version":
        return st.one_of(st.just(item.value), st.just(item.value), junk)
    return st.one_of(st.just(item.value), valid, junk)


def form_strategy(form: Form) -> st.SearchStrategy[dict[str, Any]]:
    fields = {
        name: st.one_of(st.none(), field_strategy(item))  # None: the field is left out
        for name, item in form.fields.items()
        if name != "csrf_token"
    }
    return st.fixed_dictionaries(fields).map(
        lambda values: {k: v for k, v in values.items() if v is not None}
    )


# --- the state that must not move on a refused post -------------------------------------------


def state(conn: sa.Connection) -> tuple[Any, ...]:
    counts = [sa.select(sa.func.count()).select_from(table).scalar_subquery() for table in tables()]
    version = sa.select(DataVersion.version).scalar_subquery()
    row = conn.execute(sa.select(version, *counts)).one()
    return tuple(row)


# --- the test ---------------------------------------------------------------------------------


def _url_values(session: Session, rule: Any, viewer_id: int) -> dict[str, Any]:
    first = rule.rule.strip("/").split("/")[0]
    values: dict[str, Any] = {}
    if "record_id" in rule.arguments:
        if rule.endpoint in ("auth.users_hotlines", "auth.users_set_password_link"):
            # Forms on a hotline user's page only: a demo hotline user.
            values["record_id"] = session.scalars(
                sa.select(User.id).where(User.role == Role.HOTLINE).order_by(User.id)
            ).first()
        elif first == "auth":
            values["record_id"] = viewer_id
        elif first == "quarters":
            # Returned while submitted, reopened once approved: a quarter in that state.
            state = QuarterState.APPROVED if "reopen" in rule.endpoint else QuarterState.SUBMITTED
            values["record_id"] = session.scalars(
                sa.select(HotlineQuarter.id)
                .where(HotlineQuarter.state == state)
                .order_by(HotlineQuarter.id)
            ).first()
        else:
            model = RECORD_MODELS[first]
            query = sa.select(model.id).order_by(model.id).limit(1)
            if hasattr(model, "archived_at"):
                query = query.where(model.archived_at.is_(None))
            values["record_id"] = session.scalar(query)
    if "event_id" in rule.arguments:
        event = session.scalars(sa.select(HotlineMembershipEvent).limit(1)).one()
        values["record_id"], values["event_id"] = event.hotline_id, event.id
    if "requirement_id" in rule.arguments:
        values["requirement_id"] = session.scalars(
            sa.select(ComplianceRequirement.id).order_by(ComplianceRequirement.id)
        ).first()
    if "participation_id" in rule.arguments:
        part = session.scalars(sa.select(TrainingParticipation).limit(1)).one()
        values["record_id"], values["participation_id"] = part.event_id, part.id
    if "metric_id" in rule.arguments:
        values["metric_id"] = session.scalars(
            sa.select(MetricDefinition.id).order_by(MetricDefinition.id)
        ).first()
    return values


def fuzz_form(
    client: FlaskClient,
    db_conn: sa.Connection,
    endpoint: str,
    url: str,
    form: Form,
    failures: list[str],
    statuses: Counter[int],
) -> None:
    @settings(
        max_examples=EXAMPLES_PER_FORM,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[p for p in settings.default.phases if p.name != "shrink"],
    )
    @given(data=form_strategy(form))
    def run(data: dict[str, Any]) -> None:
        before = state(db_conn)
        # The form's own action: it may carry a query string (the statistics grid's hotline).
        target = form.action.split("#")[0] or url
        response = client.post(target, data=data, content_type="multipart/form-data")
        body = response.get_data(as_text=True)
        statuses[response.status_code] += 1
        if response.status_code >= 500 or "Traceback" in body:
            failures.append(f"{endpoint}: {response.status_code} for {data!r:.600}")
        elif (
            response.status_code not in SUCCESS | SUCCESS_ALSO.get(endpoint, set())
            and state(db_conn) != before
        ):
            failures.append(
                f"{endpoint}: {response.status_code} but data changed for {data!r:.600}"
            )

    run()


def test_no_form_answers_garbage_with_a_server_error_or_a_partial_write(
    app: Flask,
    client: FlaskClient,
    in_app: Callable[[], AbstractContextManager[Session]],
    users: dict[str, str],
    db_conn: sa.Connection,
) -> None:
    with in_app() as s:
        load_demo_cached(s, today=date(2026, 11, 26))
        viewer_id = auth_service.get_required_by_email(s, users["viewer"]).id
        # Ids of earlier tests' rolled-back rows are not reused on PostgreSQL: look them up.
        hotline = s.scalar(sa.select(Hotline.id).order_by(Hotline.id).limit(1))
        assert hotline is not None
        targets = []
        adapter = app.url_map.bind("localhost")
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "POST" not in (rule.methods or ()) or rule.rule.startswith(("/api/", "/dash")):
                continue
            if any(marker in rule.endpoint for marker in NOT_FORMS):
                continue
            url = adapter.build(rule.endpoint, _url_values(s, rule, viewer_id))
            targets.append((rule.endpoint, url))
    assert len(targets) >= 25, targets

    failures: list[str] = []
    statuses: Counter[int] = Counter()
    timings: dict[str, float] = {}
    for endpoint, url in targets:
        role = (
            "admin"
            if endpoint.startswith(("auth.users", "compliance.requirements", "reference.metrics"))
            else "manager"
        )
        client = app.test_client()
        assert sign_in(client, users[role]).status_code == 302
        form = find_form(client, endpoint, url, hotline)
        if form is None:
            failures.append(f"{endpoint}: no form posting to {url} found")
            continue
        started = time.perf_counter()
        fuzz_form(client, db_conn, endpoint, url, form, failures, statuses)
        timings[endpoint] = time.perf_counter() - started
    slowest = sorted(timings.items(), key=lambda kv: -kv[1])[:5]
    print(f"fuzzed {len(timings)} forms x {EXAMPLES_PER_FORM}: {dict(statuses)}; slowest {slowest}")
    assert failures == [], "\n".join(failures[:15])
    # The generated posts got past the forms into the services: some saved, some refused there.
    assert statuses[302] >= 10 and statuses[422] >= 100, statuses
    assert len(timings) == len(targets)
