"""Dashboard callbacks and pages timed whole over HTTP, against independent SQL and a naive peer.

    python -m bench.dashboards.callbacks [--scales 10,100] [--repeat 15] [--naive-repeat 5]
                                         [--database-url URL] [--port 8765]

For each scale, on PostgreSQL: a fresh database (migrations, reference data, ``bench.generate``
and ``bench.dashboards.generate``, ``ANALYZE``), then

1. every figure's independent hand-written SQL (``independent.py``) is compared whole with the
   service's result; a difference is printed and makes the run exit 1;
2. gunicorn starts with the project's settings (``coordapp.gunicorn_conf``, production mode,
   2 workers × 4 threads on this machine, ``bench.load.start_server``); one signed-in admin opens
   each dashboard the way the Dash renderer does (``bench.load.DashPage``: the page callback,
   then each callback with the page's default filters) and then, ``--repeat`` times, for every
   callback of the page: **uncached** = right after a bump of every group's data version
   (``data_version.bump_data_version``, what a write to every table does), **cached** = the same
   body again (the keep-alive connection stays on one worker, whose in-process cache answers);
3. the independent SQL and the naive peer (``naive.py``: filters in SQL, aggregates in pandas)
   are timed in-process with the same filters (today's date, the pages' defaults);
4. the home page and the list pages are fetched over HTTP (p50 / p95, compressed size).

Targets (the project's goals, issue #15) are printed with PASS / FAIL; see README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench import databases, load
from bench.dashboards import independent, naive
from bench.dashboards.generate import load_database, release_database
from coordapp.data_version import bump_data_version
from coordapp.reporting import activity as activity_report

RESULTS = Path(__file__).resolve().parent.parent / "results"
EMAIL, PASSWORD = "bench-callbacks@bench.example", load.PASSWORD
# Targets at 100x (issue #15).
UNCACHED_VS_SQL, NAIVE_VS_UNCACHED, CACHED_MS = 1.5, 10.0, 20.0
PAGE_TARGETS_MS = {"/": 150.0}
LIST_TARGET_MS = 100.0
FUNDING_UNCACHED_MS = 300.0


@dataclass(frozen=True)
class Dashboard:
    page: str  # under /dashboards/
    figure: str | None  # independent.FIGURES key (None: no independent SQL yet)
    naive: Callable[[Session, independent.Params], Any]


DASHBOARDS = (
    Dashboard("map", "map", lambda s, p: naive.coverage_map(s, on=p.today)),
    Dashboard("overview", "overview", lambda s, p: naive.overview(s, today=p.today)),
    Dashboard("partnerships", "partnerships", lambda s, p: naive.partnerships(s, on=p.today)),
    Dashboard("funding", "funding", lambda s, p: naive.funding(s, **p.funding)),
    Dashboard("training", "training", lambda s, p: naive.training(s, **p.training)),
    Dashboard(
        "pillars",
        "pillars",
        lambda s, p: naive.pillars(s, year=independent.pillar_year(s, p.today), today=p.today),
    ),
    Dashboard(
        "activity",
        "activity",
        lambda s, p: naive.activity(s, metric_code=_first_metric(s), **p.activity),
    ),
)
PANEL = Dashboard(
    "map", "map panel", lambda s, p: naive.country_panel(s, code=p.busiest_country, on=p.today)
)


def _first_metric(session: Session) -> str:
    return activity_report.metrics(session)[0].code


def p50_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, round(0.95 * len(ordered)))]


def timed_ms(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


@dataclass
class CallbackRow:
    scale: int
    name: str
    uncached: list[float] = field(default_factory=list)
    cached: list[float] = field(default_factory=list)
    sql: list[float] = field(default_factory=list)
    naive: list[float] = field(default_factory=list)
    size: int = 0


@dataclass
class PageRow:
    scale: int
    path: str
    times: list[float] = field(default_factory=list)
    size: int = 0


# --- the database ----------------------------------------------------------------------------


def build(url: str, scale: int) -> tuple[Any, dict[str, int]]:
    """Migrate, seed, generate, ANALYZE; an admin account for the HTTP side. Returns the app."""
    from coordapp import create_app
    from coordapp.auth import service as auth
    from coordapp.cache import clear_caches
    from coordapp.extensions import db

    # Each scale re-creates the database under the same URL with its data versions starting
    # again: this process's report cache must not answer the 100x comparison with 10x results.
    clear_caches()
    app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": url})
    with app.app_context():
        written = load_database(scale=scale, analyze=True)
        session = db.session()
        auth.create_user(
            session, email=EMAIL, full_name="Bench callbacks", role="admin", password=PASSWORD
        )
        session.commit()
        db.session.remove()
    return app, written


def busiest_country(session: Session) -> str:
    return str(
        session.execute(
            sa.text(
                "SELECT country_code FROM hotline_countries GROUP BY country_code "
                "ORDER BY count(*) DESC, country_code LIMIT 1"
            )
        ).scalar_one()
    )


def list_paths(app: Any) -> list[str]:
    from flask import url_for

    from coordapp.records.views import RESOURCES

    class _Bp:
        def __init__(self, name: str) -> None:
            self.name = name

    paths: list[str] = []
    with app.test_request_context():
        for bp_name, res in RESOURCES:
            path = url_for(res.endpoint(_Bp(bp_name), "list"))
            if path not in paths:
                paths.append(path)
    return paths


# --- in-process: independent SQL and naive -----------------------------------------------------


def in_process(
    app: Any, scale: int, today: date, repeat: int, naive_repeat: int
) -> tuple[independent.Params, list[str], dict[str, CallbackRow]]:
    from coordapp.extensions import db

    rows: dict[str, CallbackRow] = {}
    with app.app_context():
        session = db.session()
        params = independent.Params(today=today, busiest_country=busiest_country(session))
        problems = [f"[{scale}x] {p}" for p in independent.compare(session, params)]
        for d in (*DASHBOARDS, PANEL):
            name = "map panel" if d is PANEL else d.page
            row = rows[name] = CallbackRow(scale, name)
            figure = independent.FIGURES[d.figure][0] if d.figure else None
            for i in range(repeat):
                if figure is not None:
                    row.sql.append(timed_ms(lambda f=figure: f(session, params)))
                if i < naive_repeat:
                    row.naive.append(timed_ms(lambda d=d: d.naive(session, params)))
            print(
                f"    {name:<13} independent SQL p50 "
                f"{p50_p95(row.sql)[0] if row.sql else float('nan'):8.1f} ms"
                f"   naive p50 {p50_p95(row.naive)[0]:8.1f} ms",
                flush=True,
            )
        release_database()
    return params, problems, rows


# --- over HTTP -------------------------------------------------------------------------------


class Sized(load.HttpTransport):
    """The load test's transport, also keeping the size of the last body as sent (compressed)."""

    last_size = 0

    def request(self, method: str, path: str, **kwargs: Any) -> load.Reply:
        reply = super().request(method, path, **kwargs)
        self.last_size = int(reply.headers.get("Content-Length") or len(reply.text.encode()))
        return reply


def _dash_callbacks(page: load.DashPage) -> list[dict[str, Any]]:
    return [
        d
        for d in page.dependencies
        if not d.get("prevent_initial_call") and page._applies(d)  # noqa: SLF001
    ]


def page_callbacks(page: load.DashPage, d: Dashboard, country: str) -> list[dict[str, Any]]:
    """The callbacks the renderer sends when ``d`` opens (the map: its figure; the panel: the
    country panel, with ``country`` chosen)."""
    callbacks = _dash_callbacks(page)
    if d is PANEL:
        key = load._id_key({"name": "country", "type": "filter"})  # noqa: SLF001
        page.props.setdefault(key, {})["value"] = country
        return [c for c in callbacks if "map-panel" in c["output"]]
    if d.page == "map":
        return [c for c in callbacks if "map-graph" in c["output"]]
    return callbacks


def over_http(
    url: str,
    port: int,
    params: independent.Params,
    rows: dict[str, CallbackRow],
    paths: list[str],
    repeat: int,
    log: Path,
) -> tuple[list[PageRow], list[str]]:
    settings = load.Settings(
        duration=0,
        viewers=0,
        managers=0,
        workers=2,
        threads=4,
        port=port,
        database_url=url,
        redis_url=None,
        ramp=0,
        server_log=log,
    )
    server = load.start_server(settings)
    bump_engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    errors: list[str] = []
    pages: list[PageRow] = []
    try:
        transport = Sized(f"http://127.0.0.1:{port}")
        recorder = load.Recorder()
        browser = load.Browser(transport, recorder)
        if not load.sign_in(browser, EMAIL, PASSWORD):
            raise SystemExit(f"sign-in failed: {recorder.errors[:3]}")
        dependencies = load.dash_dependencies(browser)

        def bump() -> None:
            # What a write to every table group does (each cached figure is kept with the
            # versions of the groups it read): nothing cached survives it.
            with bump_engine.connect() as conn:
                bump_data_version(conn)

        for d in (*DASHBOARDS, PANEL):
            name = "map panel" if d is PANEL else d.page
            page = load.DashPage(browser, dependencies)
            if not page.load(load.DASH + d.page, full_page=False):
                errors.append(f"{name}: the page did not load: {recorder.errors[-3:]}")
                continue
            callbacks = page_callbacks(page, d, params.busiest_country)
            row = rows[name]
            for i in range(repeat + 1):  # the first round warms up
                for kind in ("uncached", "cached"):
                    if kind == "uncached":
                        bump()
                    took = 0.0
                    for callback in callbacks:
                        started = time.perf_counter()
                        if not page._fire(f"{name} {kind}", callback, changed=[]):  # noqa: SLF001
                            errors.append(f"{name}: {recorder.errors[-1:]}")
                        took += (time.perf_counter() - started) * 1000
                        row.size = max(row.size, transport.last_size)
                    if i:
                        getattr(row, kind).append(took)
            print(
                f"    {name:<13} {len(callbacks)} callback(s)  uncached p50 "
                f"{p50_p95(row.uncached)[0]:8.1f} ms  cached p50 {p50_p95(row.cached)[0]:6.1f} ms",
                flush=True,
            )
        for path in ["/", *paths]:
            page_row = PageRow(0, path)
            for i in range(repeat + 1):
                started = time.perf_counter()
                reply = browser.get("page", path)
                if reply is None:
                    errors.append(f"{path}: {recorder.errors[-1:]}")
                    break
                if i:
                    page_row.times.append((time.perf_counter() - started) * 1000)
                page_row.size = transport.last_size
            pages.append(page_row)
    finally:
        load.stop_server(server)
        bump_engine.dispose()
    return pages, errors


# --- the report ------------------------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "**FAIL**"


def render_callbacks(rows: list[CallbackRow]) -> list[str]:
    lines = [
        "| scale | callback | uncached p50 / p95 | cached p50 / p95 | independent SQL p50 / p95 "
        "| naive p50 / p95 | uncached / SQL p95 (≤ 1.5) | naive / uncached p95 (≥ 10) "
        "| cached p95 ≤ 20 ms | response (compressed) | verdict |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        u50, u95 = p50_p95(r.uncached)
        c50, c95 = p50_p95(r.cached)
        n50, n95 = p50_p95(r.naive)
        checks = [c95 <= CACHED_MS, n95 / u95 >= NAIVE_VS_UNCACHED]
        if r.sql:
            s50, s95 = p50_p95(r.sql)
            sql, ratio = f"{_ms(s50)} / {_ms(s95)}", f"{u95 / s95:.2f}"
            checks.append(u95 / s95 <= UNCACHED_VS_SQL)
        else:
            sql, ratio = "(none yet)", "n/a"
        if r.name == "funding":
            checks.append(u95 <= FUNDING_UNCACHED_MS)
        lines.append(
            f"| {r.scale}x | {r.name} | {_ms(u50)} / {_ms(u95)} | {_ms(c50)} / {_ms(c95)} "
            f"| {sql} | {_ms(n50)} / {_ms(n95)} | {ratio} | {n95 / u95:.1f} "
            f"| {'yes' if c95 <= CACHED_MS else 'no'} | {r.size / 1024:.1f} KiB "
            f"| {_verdict(all(checks)) if r.scale >= 100 else '(target at 100x)'} |"
        )
    return lines


def render_pages(rows: list[PageRow]) -> list[str]:
    lines = [
        "| scale | page | p50 / p95 ms | target p95 | response (compressed) | verdict |",
        "| ---: | --- | ---: | ---: | ---: | --- |",
    ]
    for r in rows:
        p50, p95 = p50_p95(r.times) if r.times else (float("nan"), float("nan"))
        target = PAGE_TARGETS_MS.get(r.path, LIST_TARGET_MS)
        lines.append(
            f"| {r.scale}x | `{r.path}` | {_ms(p50)} / {_ms(p95)} | ≤ {target:.0f} ms "
            f"| {r.size / 1024:.1f} KiB | {_verdict(p95 <= target)} |"
        )
    return lines


def render_growth(rows: list[CallbackRow]) -> list[str]:
    by = {(r.scale, r.name): r for r in rows}
    scales = sorted({r.scale for r in rows})
    if len(scales) < 2:
        return []
    low, high = scales[0], scales[-1]
    lines = [
        f"Growth {low}x → {high}x (p50 ratio; the data grows {high // low}×):",
        "",
        "| callback | uncached | cached | independent SQL | naive |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name in dict.fromkeys(r.name for r in rows):
        a, b = by.get((low, name)), by.get((high, name))
        if a is None or b is None:
            continue

        def g(kind: str, a: CallbackRow = a, b: CallbackRow = b) -> str:
            x, y = getattr(a, kind), getattr(b, kind)
            return f"{p50_p95(y)[0] / p50_p95(x)[0]:.1f}×" if x and y else "n/a"

        lines.append(f"| {name} | {g('uncached')} | {g('cached')} | {g('sql')} | {g('naive')} |")
    return lines


def _uptime() -> str:
    """Like ``uptime``: the load averages over 1, 5 and 15 minutes (2 shared cores)."""
    one, five, fifteen = os.getloadavg()
    return f"{datetime.now():%H:%M} load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboards.callbacks")
    parser.add_argument("--scales", default="10,100")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--naive-repeat", type=int, default=5)
    parser.add_argument("--port", type=int, default=8765)
    databases.add_argument(parser, "callbacks")
    parser.add_argument("--output", type=Path, default=RESULTS / "callbacks-latest.md")
    args = parser.parse_args(argv)
    if not databases.reachable(args.database_url):
        raise SystemExit(f"PostgreSQL for {args.database_url} is unreachable.")
    callbacks: list[CallbackRow] = []
    pages: list[PageRow] = []
    problems: list[str] = []
    loads = [f"before: {_uptime()}"]
    today = date.today()
    for scale in [int(s) for s in args.scales.split(",") if s.strip()]:
        print(f"== postgresql {scale}x", flush=True)
        with databases.scratch("postgresql", args.database_url) as url:
            app, _ = build(url, scale)
            paths = list_paths(app)
            params, issues, rows = in_process(app, scale, today, args.repeat, args.naive_repeat)
            problems += issues
            for issue in issues:
                print(f"    DIFFERENCE {issue}", flush=True)
            found, errors = over_http(
                url,
                args.port,
                params,
                rows,
                paths,
                args.repeat,
                RESULTS / f"callbacks-gunicorn-{scale}x.log",
            )
            problems += [f"[{scale}x] {e}" for e in errors]
            for page_row in found:
                page_row.scale = scale
            callbacks += rows.values()
            pages += found
        loads.append(f"after {scale}x: {_uptime()}")
    with sa.create_engine(sa.make_url(args.database_url).set(database="postgres")).connect() as c:
        server = c.execute(sa.text("SHOW server_version")).scalar()
    text = "\n".join(
        [
            f"Run {datetime.now().isoformat(timespec='minutes')} (today = {today}): "
            f"{platform.system()} {platform.machine()}, Python {platform.python_version()}, "
            f"PostgreSQL {server}, SQLAlchemy {sa.__version__}; gunicorn 2 workers × 4 threads; "
            f"{args.repeat} timed rounds (naive: {args.naive_repeat}) after 1 warm-up. "
            "Times in ms, measured by the client over loopback HTTP (server time + ~1 ms).",
            "",
            *[f"* load {line}" for line in loads],
            "",
            *render_callbacks(callbacks),
            "",
            *render_growth(callbacks),
            "",
            *render_pages(pages),
            *(["", "Problems:", "", "```", *problems, "```"] if problems else []),
        ]
    )
    print()
    print(text)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n")
    (args.output.with_suffix(".json")).write_text(
        json.dumps(
            {
                "callbacks": [vars(r) for r in callbacks],
                "pages": [vars(r) for r in pages],
                "problems": problems,
            },
            indent=1,
        )
    )
    print(f"written to {args.output}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
