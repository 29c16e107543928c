"""Bounded load test: gunicorn on PostgreSQL at 1× and 100×, viewers on the map and
dashboards, managers saving.

    python -m bench.load [--scales 1,100] [--duration 60] [--viewers 20] [--managers 5]
                         [--workers 2] [--database-url postgresql://…/coordapp_load]
                         [--port 5113] [--redis URL] [--skip-prepare]

For each scale of ``--scales`` (in times the demo network), one after the other:

1. Prepares the scale's own PostgreSQL database, ``<database-url>_<scale>x`` (created if
   missing, kept afterwards for ``--skip-prepare`` reruns; it never drops a database):
   ``flask release`` (migrations and the reference seed, as at a deployment); at 1× ``flask
   demo load --if-empty``; at N× > 1 the bench's generated data instead —
   ``bench.generate.generate`` and ``bench.dashboards.generate.generate_activity`` at scale N
   (only into a database without hotlines; not on top of the demo network, whose quarterly
   statistics the generated ones would collide with), then ``ANALYZE``; then one account per
   simulated user (``load-viewer-NN@bench.example``, ``load-manager-NN@bench.example``).
2. Starts gunicorn itself (``coordapp.gunicorn_conf``, production settings) on 127.0.0.1 only
   and waits for ``/health``.
3. Runs the simulated users, each a thread with its own cookie session, for ``--duration``
   seconds (the sign-ins are spread over the first seconds, as people arrive):

   * a **viewer** signs in, then loops: the home page; the coverage map page the way the
     browser loads it (page, ``_dash-layout``, ``_dash-dependencies``, the page callback and
     the initial callbacks); three moves of the year slider (each the callbacks the browser
     sends for a year change: map, country panel, URL); another dashboard (page callback and
     its initial callbacks);
   * a **manager** signs in, then loops: opens the edit form of one of the organizations on
     the first page of the list (each manager its own share), saves it with new notes (CSRF
     token and version field from the form), follows the redirect to the record;
   * an **API poller** (``--pollers``, default 1) loops on ``GET /api/v1/coverage`` with an API
     token of viewer 1, as a script that polls for changes does.

   Every response is checked (status, and a 200 JSON body for callbacks); anything else is an
   error, listed at the end. Each manager edits different organizations, so a 409 is an error.
   Every request is recorded under its kind (``page``, ``save``, ``callback-map-year`` …) and
   under its role (``viewer``, ``manager``, ``api``: whose thread sent it).
4. Stops gunicorn (SIGTERM, then SIGKILL after 30 s) and prints the scale's tables: per role
   requests, req/s, p50 / p95 / p99 / max latency and errors, and the same per kind of request.
   The server's JSON log goes to ``bench/results/load-server-<scale>x.log``.

At the end: every scale's tables again and a comparison (req/s and p95 per role at each scale,
and the largest scale's over the smallest's); all figures in ``bench/results/load-<time>.json``.
Exit status 1 when there was any error at any scale.

The request functions (``sign_in``, ``viewer_iteration``, ``manager_iteration``) take a
``Transport``, so ``tests/test_bench_load.py`` runs them against the Flask test client too.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import platform
import random
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/coordapp_load"
PASSWORD = "load-test-password-2026"  # noqa: S105  (bench accounts in the bench database only)
DASH = "/dashboards/"
UPDATE = DASH + "_dash-update-component"
OTHER_DASHBOARDS = ("overview", "partnerships", "funding", "training", "pillars", "activity")
YEAR_MOVES = 3
PERCENTILES = (50, 95, 99)
ROLES = ("viewer", "manager", "api")
SLOWEST = 5  # requests listed in the report with what they were
DATA_TABLES = (
    "hotlines",
    "organizations",
    "funding_commitments",
    "funding_receipts",
    "training_events",
    "hotline_statistics",
)
SHELL = ("url", "current-path", "page-content", "dash-subnav")  # components of every page


def viewer_email(n: int) -> str:
    return f"load-viewer-{n:02d}@bench.example"


def manager_email(n: int) -> str:
    return f"load-manager-{n:02d}@bench.example"


# --- transports: real HTTP (requests) or the Flask test client --------------------------------


@dataclass
class Reply:
    status: int
    text: str
    headers: Mapping[str, str]
    _parsed: Any = field(default=None, repr=False)

    def json(self) -> Any:
        if self._parsed is None:
            self._parsed = json.loads(self.text)
        return self._parsed


class Transport(Protocol):
    origin: str

    def request(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply: ...


class HttpTransport:
    """One browser: a ``requests`` session with its own cookies; redirects are not followed
    (the caller follows them, so each request is timed on its own)."""

    def __init__(self, base_url: str, timeout: float = 60.0) -> None:
        import requests

        self.origin = base_url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Accept-Encoding"] = "br, gzip"

    def request(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        response = self.session.request(
            method,
            self.origin + path,
            data=data,
            json=json_body,
            headers=dict(headers or {}),
            allow_redirects=False,
            timeout=self.timeout,
        )
        # The server runs in production mode, so its cookies are Secure; send them back over
        # plain HTTP on the loopback anyway, as through the TLS proxy that would sit in front.
        for cookie in self.session.cookies:
            cookie.secure = False
        return Reply(response.status_code, response.text, response.headers)


class FlaskTransport:
    """The same requests through a Flask test client (for the smoke test)."""

    origin = "http://localhost"

    def __init__(self, client: Any) -> None:
        self.client = client

    def request(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        response = self.client.open(
            path, method=method, data=data, json=json_body, headers=dict(headers or {})
        )
        return Reply(response.status_code, response.get_data(as_text=True), response.headers)


# --- measurements -----------------------------------------------------------------------------


@dataclass
class Recorder:
    """Latency of every request by kind and by role (viewer, manager, api), and the errors
    (thread-safe)."""

    timings: dict[str, list[float]] = field(default_factory=dict)
    role_timings: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error_kinds: dict[str, int] = field(default_factory=dict)
    error_roles: dict[str, int] = field(default_factory=dict)
    slowest: list[tuple[float, str]] = field(default_factory=list)  # a heap of SLOWEST
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(
        self, kind: str, seconds: float, error: str | None = None, *, role: str, what: str = ""
    ) -> None:
        with self.lock:
            entry = (seconds, f"{role} {kind}: {what}".rstrip(": "))
            if len(self.slowest) < SLOWEST:
                heapq.heappush(self.slowest, entry)
            else:
                heapq.heappushpop(self.slowest, entry)
            self.timings.setdefault(kind, []).append(seconds)
            self.role_timings.setdefault(role, []).append(seconds)
            if error is not None:
                self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1
                self.error_roles[role] = self.error_roles.get(role, 0) + 1
                self.errors.append(f"{role} {kind}: {error}")

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.timings.values())

    def summary(self, elapsed: float) -> dict[str, Any]:
        def rows(timings: dict[str, list[float]], errors: dict[str, int]) -> dict[str, Any]:
            return {
                name: {"count": len(values), "errors": errors.get(name, 0), **_stats(values)}
                for name, values in sorted(timings.items())
            }

        every = [t for values in self.timings.values() for t in values]
        by_role = rows(self.role_timings, self.error_roles)
        for row in by_role.values():
            row["requests_per_second"] = round(row["count"] / elapsed, 1) if elapsed else 0.0
        return {
            "requests": self.requests,
            "seconds": round(elapsed, 1),
            "requests_per_second": round(self.requests / elapsed, 1) if elapsed else 0.0,
            "errors": len(self.errors),
            "all": _stats(every),
            "by_role": by_role,
            "by_kind": rows(self.timings, self.error_kinds),
            "slowest": [
                {"ms": round(seconds * 1000, 1), "request": what}
                for seconds, what in sorted(self.slowest, reverse=True)
            ],
            "first_errors": self.errors[:20],
        }


def _stats(values: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 / max / mean in milliseconds (empty for no requests)."""
    if not values:
        return {}
    ordered = sorted(values)
    return {
        **{f"p{q}_ms": round(_percentile(ordered, q / 100) * 1000, 1) for q in PERCENTILES},
        "max_ms": round(ordered[-1] * 1000, 1),
        "mean_ms": round(statistics.fmean(ordered) * 1000, 1),
    }


def _percentile(ordered: list[float], share: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


class Browser:
    """A simulated user: sends requests through a transport, times and checks each one."""

    def __init__(
        self,
        transport: Transport,
        recorder: Recorder,
        deadline: float | None = None,
        *,
        role: str = "viewer",
    ) -> None:
        self.transport = transport
        self.recorder = recorder
        self.deadline = deadline  # time.monotonic() after which nothing more is sent
        self.role = role  # whose requests these are: "viewer", "manager" or "api"

    def record(self, kind: str, seconds: float, error: str | None = None, what: str = "") -> None:
        self.recorder.add(kind, seconds, error, role=self.role, what=what)

    def send(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        expect: Iterable[int] = (200,),
        check: Callable[[Reply], str | None] | None = None,
        **kwargs: Any,
    ) -> Reply | None:
        if self.deadline is not None and time.monotonic() >= self.deadline:
            return None  # the run is over: the journey stops here, nothing is recorded
        what = f"{method} {path}"
        if isinstance(kwargs.get("json_body"), dict) and "output" in kwargs["json_body"]:
            what += f" {kwargs['json_body']['output'][:100]}"  # which Dash callback
        started = time.perf_counter()
        try:
            reply = self.transport.request(method, path, **kwargs)
        except Exception as error:  # a refused or timed-out request is an error of the run
            self.record(kind, time.perf_counter() - started, f"{path}: {error!r}", what)
            return None
        seconds = time.perf_counter() - started
        problem = None
        if reply.status not in tuple(expect):
            problem = f"{what} answered {reply.status}: {reply.text[:200]!r}"
        elif check is not None:
            problem = check(reply)
        self.record(kind, seconds, problem, what)
        return None if problem else reply

    def get(self, kind: str, path: str, **kwargs: Any) -> Reply | None:
        return self.send(kind, "GET", path, **kwargs)

    def follow(self, kind: str, reply: Reply | None) -> Reply | None:
        if reply is None:
            return None
        location = urlsplit(reply.headers.get("Location", ""))
        path = location.path + (f"?{location.query}" if location.query else "")
        return self.get(kind, path or "/")


# --- HTML forms -------------------------------------------------------------------------------


class FormReader(HTMLParser):
    """The fields of the first ``<form method="post">`` whose action matches, as a browser
    would submit them unchanged (inputs, checked boxes, selected options, textareas)."""

    def __init__(self, action: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.fields: list[tuple[str, str]] = []
        self._in_form = False
        self._done = False
        self._select: str | None = None
        self._select_multiple = False
        self._select_options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: (v or "") for k, v in attrs}
        if tag == "form" and not self._done:
            method_ok = a.get("method", "get").lower() == "post"
            action_ok = self.action is None or a.get("action", "") in ("", self.action)
            self._in_form = method_ok and action_ok
            return
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select" and name:
            self._select, self._select_options = name, []
            self._select_multiple = "multiple" in a
        elif tag == "option" and self._select is not None:
            self._select_options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if not self._in_form:
            return
        if tag == "form":
            self._in_form, self._done = False, True
        elif tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._select_options if selected]
            if not chosen and not self._select_multiple and self._select_options:
                chosen = [self._select_options[0][0]]
            self.fields.extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def read_form(html: str, action: str | None = None) -> dict[str, Any]:
    """Field name → value (a list for repeated names, as ``requests`` and Werkzeug take it)."""
    reader = FormReader(action)
    reader.feed(html)
    fields: dict[str, Any] = {}
    for name, value in reader.fields:
        if name in fields:
            previous = fields[name]
            fields[name] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            fields[name] = value
    return fields


# --- the user journeys ------------------------------------------------------------------------


def sign_in(browser: Browser, email: str, password: str = PASSWORD) -> bool:
    """The sign-in page, then the form posted back with its CSRF token: a 302 is success."""
    page = browser.get("sign-in", "/auth/sign-in")
    if page is None:
        return False
    form = read_form(page.text)
    form.update(email=email, password=password)
    reply = browser.send("sign-in", "POST", "/auth/sign-in", data=form, expect=(302,))
    return browser.follow("page", reply) is not None


def _callback_ok(reply: Reply) -> str | None:
    try:
        body = reply.json()
    except ValueError:
        return f"callback answered non-JSON: {reply.text[:200]!r}"
    if not isinstance(body, dict) or "response" not in body:
        return f"callback answered {reply.text[:200]!r}"
    return None


def _id_key(component_id: Any) -> str:
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


def _parse_id(text: str) -> Any:
    return json.loads(text) if text.startswith("{") else text


def _split_outputs(output: str) -> Any:
    def one(spec: str) -> dict[str, Any]:
        component, _, prop = spec.rpartition(".")
        return {"id": _parse_id(component), "property": prop}

    if output.startswith("..") and output.endswith(".."):
        return [one(part) for part in output[2:-2].split("...")]
    return one(output)


def _walk(tree: Any) -> Iterator[dict[str, Any]]:
    """Every component (``{"type", "namespace", "props"}``) of a serialised layout."""
    if isinstance(tree, list):
        for item in tree:
            yield from _walk(item)
    elif isinstance(tree, dict):
        props = tree.get("props")
        if isinstance(props, dict) and "type" in tree:
            yield tree
            for value in props.values():
                yield from _walk(value)


class DashPage:
    """What the Dash renderer knows of the current page: its components' props, and which
    callbacks to send when one of them changes."""

    def __init__(self, browser: Browser, dependencies: list[dict[str, Any]]) -> None:
        self.browser = browser
        self.dependencies = dependencies
        self.props: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, Any] = {}

    def load(self, path: str, *, full_page: bool) -> bool:
        """Open a dashboard: the whole page (first visit) or a click in the sub-navigation."""
        if full_page:
            for kind, url in (
                ("page", path),
                ("dash-setup", DASH + "_dash-layout"),
                ("dash-setup", DASH + "_dash-dependencies"),
            ):
                if self.browser.get(kind, url) is None:
                    return False
        body = self._post(
            "callback-page",
            output="..page-content.children...dash-subnav.children...current-path.data..",
            inputs=[{"id": "url", "property": "pathname", "value": path}],
            state=[
                {"id": "url", "property": "search", "value": ""},
                {"id": "current-path", "property": "data", "value": None},
            ],
            changed=["url.pathname"],
        )
        if body is None:
            return False
        self.props, self.ids = {}, {}
        content = body["response"].get("page-content", {}).get("children")
        for component in _walk(content):
            component_id = component["props"].get("id")
            if component_id is not None:
                self.props[_id_key(component_id)] = component["props"]
                self.ids[_id_key(component_id)] = component_id
        for dependency in self.dependencies:
            if not dependency.get("prevent_initial_call") and self._applies(dependency):
                self._fire("callback-initial", dependency, changed=[])
        return True

    def change(self, component_id: Any, prop: str, value: Any, kind: str) -> bool:
        """Set one prop (a slider moved) and send every callback it is an input of."""
        key = _id_key(component_id)
        self.props.setdefault(key, {})[prop] = value
        ok = True
        for dependency in self.dependencies:
            if self._applies(dependency) and any(
                self._matches(spec, key, prop) for spec in dependency["inputs"]
            ):
                ok &= self._fire(kind, dependency, changed=[f"{key}.{prop}"])
        return ok

    def filter_value(self, name: str) -> Any:
        return self.props.get(_id_key({"name": name, "type": "filter"}), {}).get("value")

    # -- the wire format --

    def _matches(self, spec: dict[str, Any], key: str, prop: str) -> bool:
        if spec["property"] != prop:
            return False
        if spec["id"] == key:
            return True
        pattern = _parse_id(spec["id"])
        component = self.ids.get(key)
        return isinstance(pattern, dict) and self._pattern_match(pattern, component)

    @staticmethod
    def _pattern_match(pattern: dict[str, Any], component: Any) -> bool:
        if not isinstance(component, dict) or set(component) != set(pattern):
            return False
        return all(v == ["ALL"] or component[k] == v for k, v in pattern.items())

    def _applies(self, dependency: dict[str, Any]) -> bool:
        """Sent by the renderer only when its inputs and outputs are on the page (``MATCH``
        ones — the download buttons — only on a click, never by a viewer here)."""
        if "page-content" in dependency["output"]:
            return False
        outputs = _split_outputs(dependency["output"])
        for spec in outputs if isinstance(outputs, list) else [outputs]:
            if isinstance(spec["id"], str) and spec["id"] not in (*self.props, *SHELL):
                return False
        for spec in dependency["inputs"]:
            pattern = _parse_id(spec["id"])
            if isinstance(pattern, dict) and ["MATCH"] in pattern.values():
                return False
            wildcard = isinstance(pattern, dict) and ["ALL"] in pattern.values()
            if not wildcard and spec["id"] not in self.props:
                return False
        return True

    def _values(self, specs: list[dict[str, Any]]) -> list[Any]:
        values: list[Any] = []
        for spec in specs:
            pattern = _parse_id(spec["id"])
            if isinstance(pattern, dict) and ["ALL"] in pattern.values():
                values.append(
                    [
                        {
                            "id": component,
                            "property": spec["property"],
                            "value": component
                            if spec["property"] == "id"
                            else self.props[key].get(spec["property"]),
                        }
                        for key, component in self.ids.items()
                        if self._pattern_match(pattern, component)
                    ]
                )
            else:
                values.append(
                    {
                        "id": pattern,
                        "property": spec["property"],
                        "value": self.props.get(spec["id"], {}).get(spec["property"]),
                    }
                )
        return values

    def _fire(self, kind: str, dependency: dict[str, Any], *, changed: list[str]) -> bool:
        body = self._post(
            kind,
            output=dependency["output"],
            inputs=self._values(dependency["inputs"]),
            state=self._values(dependency["state"]),
            changed=changed,
        )
        if body is None:
            return False
        for component_key, props in body.get("response", {}).items():
            if component_key in self.props and isinstance(props, dict):
                self.props[component_key].update(props)
        return True

    def _post(
        self,
        kind: str,
        *,
        output: str,
        inputs: list[Any],
        state: list[Any],
        changed: list[str],
    ) -> dict[str, Any] | None:
        payload = {
            "output": output,
            "outputs": _split_outputs(output),
            "inputs": inputs,
            "state": state,
            "changedPropIds": changed,
        }
        reply = self.browser.send(
            kind,
            "POST",
            UPDATE,
            json_body=payload,
            # The renderer's fetch: same origin, JSON; Dash answers 204 when nothing changes.
            headers={"Origin": self.browser.transport.origin, "Accept": "application/json"},
            expect=(200, 204),
            check=lambda r: None if r.status == 204 else _callback_ok(r),
        )
        if reply is None:
            return None
        return {"response": {}} if reply.status == 204 else reply.json()  # type: ignore[no-any-return]


def dash_dependencies(browser: Browser) -> list[dict[str, Any]]:
    reply = browser.get("dash-setup", DASH + "_dash-dependencies")
    return reply.json() if reply is not None else []  # type: ignore[no-any-return]


def viewer_iteration(
    browser: Browser, dependencies: list[dict[str, Any]], rng: random.Random, round_no: int
) -> None:
    """Home; the coverage map, loaded as the browser does; the year slider moved a few times;
    another dashboard opened from the sub-navigation."""
    browser.get("page", "/")
    page = DashPage(browser, dependencies)
    if not page.load(DASH + "map", full_page=True):
        return
    year_id = {"name": "year", "type": "filter"}
    slider = page.props.get(_id_key(year_id), {})
    first, last = int(slider.get("min") or 1999), int(slider.get("max") or 2026)
    for _ in range(YEAR_MOVES):
        page.change(year_id, "value", rng.randint(first, last), "callback-map-year")
    other = OTHER_DASHBOARDS[round_no % len(OTHER_DASHBOARDS)]
    page.load(DASH + other, full_page=False)


def organization_ids(browser: Browser) -> list[int]:
    import re

    reply = browser.get("page", "/organizations/")
    if reply is None:
        return []
    found = re.findall(r'href="/organizations/(\d+)"', reply.text)
    return sorted({int(x) for x in found})


def manager_iteration(browser: Browser, organization_id: int, note: str) -> bool:
    """Open an organization's edit form, save it with new notes (its CSRF token and version
    as the form gave them), follow the redirect to the record."""
    path = f"/organizations/{organization_id}/edit"
    form_page = browser.get("edit-form", path)
    if form_page is None:
        return False
    form = read_form(form_page.text, action=path)
    if "version" not in form:
        browser.record("save", 0.0, f"{path}: the form has no version field")
        return False
    form["notes"] = note
    saved = browser.send("save", "POST", path, data=form, expect=(302,))
    return browser.follow("page", saved) is not None


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Settings:
    duration: float
    viewers: int
    managers: int
    workers: int
    threads: int
    port: int
    database_url: str
    redis_url: str | None
    ramp: float
    server_log: Path
    pollers: int = 0
    api_token: str | None = None
    scale: int = 1
    data: dict[str, int] = field(default_factory=dict)


def _database_env(settings: Settings) -> dict[str, str]:
    env = {
        **os.environ,
        "COORDAPP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "DATABASE_URL": settings.database_url,
        "FLASK_APP": "coordapp.wsgi",
    }
    env.pop("REDIS_URL", None)
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    return env


def ensure_database(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def prepare(settings: Settings) -> None:
    """Release (migrate + seed); the data of the scale (the demo network at 1×, the bench's
    generated data at N×); the bench's accounts."""
    ensure_database(settings.database_url)
    env = _database_env(settings)
    flask = [sys.executable, "-m", "flask"]
    steps = [["release"]] + ([["demo", "load", "--if-empty"]] if settings.scale == 1 else [])
    for args in steps:
        subprocess.run([*flask, *args], env=env, cwd=ROOT, check=True)  # noqa: S603
    from coordapp import create_app
    from coordapp.extensions import db

    app = create_app({"COORDAPP_ENV": "development", "DATABASE_URL": settings.database_url})
    with app.app_context():
        session = db.session()
        if settings.scale > 1:
            started = time.perf_counter()
            written = add_generated_data(session, settings.scale)
            if written:
                print(
                    f"  generated {sum(written.values()):,} rows at {settings.scale}× in "
                    f"{time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        settings.api_token = create_accounts(session, settings.viewers, settings.managers)
        settings.data = data_size(session)
        db.session.remove()
        db.engine.dispose()


def add_generated_data(session: Session, scale: int) -> dict[str, int]:
    """``bench.generate`` and ``bench.dashboards.generate`` at ``scale`` into a released
    database without hotlines, committed and analysed; rows written per table ({} when the
    database has hotlines already: a rerun does not double the data).

    Not on top of the demo network: the generated quarterly statistics collide with the
    demo's (same hotline, metric and quarter). The managers edit generated organizations."""
    from bench.dashboards.generate import generate_activity
    from bench.generate import generate
    from coordapp.network.models import Hotline

    if session.scalar(sa.select(Hotline.id).limit(1)) is not None:
        return {}
    written = dict(generate(session, scale=scale).rows)
    written.update(generate_activity(session, scale=scale))
    session.commit()
    engine = session.connection().engine
    if engine.dialect.name == "postgresql":  # fresh planner statistics, as autovacuum would
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))
    return written


def data_size(session: Session) -> dict[str, int]:
    """Rows of the main tables, for the report."""
    return {
        table: int(session.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)  # noqa: S608
        for table in DATA_TABLES
    }


def create_accounts(session: Session, viewers: int, managers: int) -> str:
    """The bench's accounts (kept between runs), and a new API token of viewer 1 for the
    pollers (returned in plain text). Commits."""
    from coordapp.auth import service as auth
    from coordapp.auth import tokens

    wanted = [(viewer_email(n), "viewer") for n in range(1, viewers + 1)]
    wanted += [(manager_email(n), "manager") for n in range(1, managers + 1)]
    for email, role in wanted:
        if auth.get_by_email(session, email) is None:
            auth.create_user(
                session, email=email, full_name=email.split("@")[0], role=role, password=PASSWORD
            )
    poller = auth.get_by_email(session, viewer_email(1))
    assert poller is not None  # noqa: S101  (created just above)
    _, token = tokens.create_token(session, user=poller, name="Load test poller")
    session.commit()
    return token


def start_server(settings: Settings) -> subprocess.Popen[bytes]:
    env = _database_env(settings)
    env.update(
        BIND=f"127.0.0.1:{settings.port}",
        WORKERS=str(settings.workers),
        THREADS=str(settings.threads),
        LOG_LEVEL="info",
    )
    settings.server_log.parent.mkdir(parents=True, exist_ok=True)
    log = settings.server_log.open("wb")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "python:coordapp.gunicorn_conf",
        "coordapp.wsgi:app",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=log, stderr=log)  # noqa: S603
    deadline = time.monotonic() + 120
    url = f"http://127.0.0.1:{settings.port}/health"
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with {server.returncode}; see {settings.server_log}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310  (loopback)
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(0.5)
    stop_server(server)
    raise SystemExit(f"gunicorn did not answer {url} within 120 s; see {settings.server_log}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


def run_users(settings: Settings, base_url: str) -> tuple[Recorder, float]:
    recorder = Recorder()
    start = time.monotonic()
    deadline = start + settings.duration
    total = settings.viewers + settings.managers

    def delay(n: int) -> None:
        time.sleep(settings.ramp * n / max(total, 1))

    def viewer(n: int) -> None:
        delay(n)
        browser = Browser(HttpTransport(base_url), recorder, deadline, role="viewer")
        if not sign_in(browser, viewer_email(n + 1)):
            return
        dependencies = dash_dependencies(browser)
        rng = random.Random(n)  # noqa: S311  (which year to look at)
        round_no = n
        while time.monotonic() < deadline:
            viewer_iteration(browser, dependencies, rng, round_no)
            round_no += 1

    def manager(n: int) -> None:
        delay(settings.viewers + n)
        browser = Browser(HttpTransport(base_url), recorder, deadline, role="manager")
        if not sign_in(browser, manager_email(n + 1)):
            return
        mine = [i for k, i in enumerate(organization_ids(browser)) if k % settings.managers == n]
        if not mine:
            browser.record("save", 0.0, f"manager {n + 1}: no organization to edit")
            return
        saves = 0
        while time.monotonic() < deadline:
            note = f"Load test: manager {n + 1}, save {saves + 1}."
            manager_iteration(browser, mine[saves % len(mine)], note)
            saves += 1

    def poller(n: int) -> None:
        delay(n)
        browser = Browser(HttpTransport(base_url), recorder, deadline, role="api")
        headers = {"Authorization": f"Bearer {settings.api_token}"}
        while time.monotonic() < deadline:
            browser.get("api", "/api/v1/coverage", headers=headers)

    threads = [threading.Thread(target=viewer, args=(n,)) for n in range(settings.viewers)]
    if settings.api_token:
        threads += [threading.Thread(target=poller, args=(n,)) for n in range(settings.pollers)]
    threads += [threading.Thread(target=manager, args=(n,)) for n in range(settings.managers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return recorder, time.monotonic() - start


def _markdown_table(title: str, rows: list[tuple[str, dict[str, Any]]], *, rate: bool) -> list[str]:
    """A Markdown table: count, (req/s,) errors, p50 / p95 / p99 / max in ms."""
    rate_cell = " req/s |" if rate else ""
    head = f"| {title} | requests |{rate_cell} errors | p50 ms | p95 ms | p99 ms | max ms |"
    lines = [head, "| --- |" + " ---: |" * (head.count("|") - 2)]
    for name, row in rows:
        cells = [name, f"{row['count']:,}"]
        cells += [f"{row.get('requests_per_second', 0):.1f}"] if rate else []
        cells += [str(row["errors"])]
        cells += [f"{row.get(key, 0):,.0f}" for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def report(settings: Settings, summary: dict[str, Any]) -> str:
    """One scale's tables: per role (what the issue asks), then per kind of request."""
    data = ", ".join(f"{count:,} {table}" for table, count in settings.data.items())
    everyone = {
        "count": summary["requests"],
        "errors": summary["errors"],
        "requests_per_second": summary["requests_per_second"],
        **summary["all"],
    }
    lines = [
        f"## {settings.scale}× — {'the demo network' if settings.scale == 1 else 'generated data'}"
        + (f" ({data})" if data else ""),
        "",
        f"{settings.viewers} viewers + {settings.managers} managers + "
        f"{settings.pollers if settings.api_token else 0} API pollers, "
        f"{settings.duration:.0f} s, gunicorn {settings.workers} workers × {settings.threads} "
        f"threads, PostgreSQL, Redis {'on' if settings.redis_url else 'off'}; "
        f"{summary['requests']:,} requests in {summary['seconds']} s = "
        f"{summary['requests_per_second']} req/s; errors: {summary['errors']}",
        "",
        *_markdown_table(
            "role", [*_in_role_order(summary["by_role"]), ("all", everyone)], rate=True
        ),
        "",
        *_markdown_table("kind", list(summary["by_kind"].items()), rate=False),
    ]
    if summary["slowest"]:
        lines += ["", "slowest requests (ms):"]
        lines += [f"  {row['ms']:>9,.0f}  {row['request']}" for row in summary["slowest"]]
    if summary["first_errors"]:
        lines += ["", "first errors:", *("  " + e for e in summary["first_errors"])]
    return "\n".join(lines)


def _in_role_order(by_role: dict[str, Any]) -> list[tuple[str, Any]]:
    return sorted(by_role.items(), key=lambda item: (_role_rank(item[0]), item[0]))


def _role_rank(role: str) -> int:
    return ROLES.index(role) if role in ROLES else len(ROLES)


def comparison(summaries: dict[int, dict[str, Any]]) -> str:
    """req/s and p95 per role at each scale, and the last scale against the first."""
    scales = sorted(summaries)
    first, last = scales[0], scales[-1]
    head = "| role |" + "".join(f" req/s {s}× | p95 ms {s}× |" for s in scales)
    if len(scales) > 1:
        head += f" req/s {last}×/{first}× | p95 {last}×/{first}× |"
    lines = ["## Comparison", "", head, "| --- |" + " ---: |" * (head.count("|") - 2)]
    roles = sorted(
        {r for s in scales for r in summaries[s]["by_role"]}, key=lambda r: (_role_rank(r), r)
    )
    for role in roles:
        rows = [summaries[s]["by_role"].get(role, {}) for s in scales]
        cells = [role]
        for row in rows:
            cells += [f"{row.get('requests_per_second', 0):.1f}", f"{row.get('p95_ms', 0):,.0f}"]
        if len(scales) > 1:
            cells += [
                _ratio(rows[-1].get("requests_per_second"), rows[0].get("requests_per_second")),
                _ratio(rows[-1].get("p95_ms"), rows[0].get("p95_ms")),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _ratio(value: float | None, base: float | None) -> str:
    return f"{value / base:.2f}" if value and base else "–"


def scale_url(database_url: str, scale: int) -> str:
    """The database of one scale: the given name with ``_<scale>x`` appended."""
    url = sa.make_url(database_url)
    return url.set(database=f"{url.database}_{scale}x").render_as_string(hide_password=False)


def parse_scales(text: str) -> list[int]:
    scales = sorted({int(part) for part in text.split(",") if part.strip()})
    if not scales or scales[0] < 1:
        raise argparse.ArgumentTypeError("scales are whole numbers >= 1, e.g. 1,100")
    return scales


def run_scale(settings: Settings, *, skip_prepare: bool) -> dict[str, Any]:
    """Prepare (unless told not to), serve, load, stop: one scale's summary."""
    print(f"== {settings.scale}×: {sa.make_url(settings.database_url).database}", flush=True)
    if not skip_prepare:
        print("Preparing the database (release, data, accounts) …", flush=True)
        prepare(settings)
    print(f"Starting gunicorn on 127.0.0.1:{settings.port} …", flush=True)
    server = start_server(settings)
    try:
        print(f"Load for {settings.duration:.0f} s …", flush=True)
        recorder, elapsed = run_users(settings, f"http://127.0.0.1:{settings.port}")
    finally:
        stop_server(server)
    return recorder.summary(elapsed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load (60)")
    parser.add_argument("--viewers", type=int, default=20)
    parser.add_argument("--managers", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=max(2, os.cpu_count() or 2), help="gunicorn workers (CPUs)"
    )
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (4)")
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_LOAD_PORT", 5113)))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_LOAD_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL database name stem: each scale gets <name>_<scale>x (created if "
        "missing, kept afterwards)",
    )
    parser.add_argument(
        "--scales",
        type=parse_scales,
        default=parse_scales("1,100"),
        help="data sizes to load, in times the demo network (1,100)",
    )
    parser.add_argument("--redis", default=None, help="REDIS_URL for the server (default: off)")
    parser.add_argument("--ramp", type=float, default=5.0, help="seconds over which users arrive")
    parser.add_argument("--pollers", type=int, default=1, help="API clients polling (1)")
    parser.add_argument("--skip-prepare", action="store_true", help="databases already prepared")
    args = parser.parse_args(argv)
    if not args.database_url.startswith(("postgresql", "postgres://")):
        parser.error("--database-url must be a PostgreSQL URL")
    summaries: dict[int, dict[str, Any]] = {}
    texts: list[str] = []
    runs: dict[str, Any] = {}
    for scale in args.scales:
        settings = Settings(
            duration=args.duration,
            viewers=args.viewers,
            managers=args.managers,
            workers=args.workers,
            threads=args.threads,
            port=args.port,
            database_url=scale_url(args.database_url, scale),
            redis_url=args.redis,
            ramp=min(args.ramp, args.duration / 2),
            server_log=RESULTS / f"load-server-{scale}x.log",
            pollers=args.pollers,
            scale=scale,
        )
        summaries[scale] = run_scale(settings, skip_prepare=args.skip_prepare)
        texts.append(report(settings, summaries[scale]))
        print(texts[-1], flush=True)
        runs[f"{scale}x"] = {
            "settings": {**vars(settings), "server_log": str(settings.server_log)},
            "summary": summaries[scale],
        }
        runs[f"{scale}x"]["settings"].pop("api_token", None)
    lines = [
        f"coordapp load test, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {platform.node()} "
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end",
        "",
        *(text + "\n" for text in texts),
        comparison(summaries),
    ]
    print()
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"load-{stamp}.json").write_text(json.dumps({"scales": runs}, indent=2, default=str))
    return 1 if any(summary["errors"] for summary in summaries.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
