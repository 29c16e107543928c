"""Benchmark each dashboard callback's service function at 1x / 10x / 100x the demo network.

    python -m bench.dashboards.run [--scales 1,10,100] [--backends sqlite,postgresql]
                                   [--repeat 15] [--naive-repeat 5]

For each backend and scale: a fresh database (migrations, reference data), ``bench.generate``
plus ``bench.dashboards.generate`` (trainings, statistics, partnerships, allocations, targets);
then for every measure (the service function one callback calls, with that page's default
filters):

* cold: the service function itself (nothing cached);
* warm: the same through ``coordapp.cache`` (what a callback does): after one call,
  the cost is the data-version read and a dictionary look-up;
* raw SQL: the very statements the service sends, captured and replayed on a raw DBAPI cursor
  (``fetchall``) — the database's share of the work, without SQLAlchemy or Python;
* naive: every row the figure needs loaded into pandas and aggregated there, on every call.

The service's key numbers are compared with the naive ones (they must agree). See README.md.

This measures the service functions in-process and replays their own statements, so it cannot
reveal a poor query and prints no targets: the project's targets (issue #15) are checked by
``bench.dashboards.callbacks`` (callbacks over HTTP against independent SQL).
"""

from __future__ import annotations

import argparse
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
from sqlalchemy import event
from sqlalchemy.orm import Session

from bench import databases
from bench.dashboards import naive
from bench.dashboards.generate import load_database, release_database
from bench.run import _sqlite_version
from coordapp.cache import ReportCache
from coordapp.reporting import activity as activity_report
from coordapp.reporting import coverage as coverage_report
from coordapp.reporting import funding as funding_report
from coordapp.reporting import growth as growth_report
from coordapp.reporting import partnerships as partnership_report
from coordapp.reporting import pillars as pillar_report
from coordapp.reporting import training as training_report

RESULTS = Path(__file__).resolve().parent.parent / "results"
ON = date(2025, 12, 31)  # the generated data ends in 2025


@dataclass(frozen=True)
class Measure:
    name: str
    service: Callable[..., Any]
    kwargs: dict[str, Any]
    naive: Callable[[Session], Any]
    check: Callable[[Any, Any], list[str]]


def _close(a: float, b: float, tolerance: float = 0.05) -> bool:
    return abs(float(a) - float(b)) <= tolerance


def _check_map(service: coverage_report.CoverageMap, other: dict) -> list[str]:
    got = {
        "countries_covered": service.countries_covered,
        "territories_covered": service.territories_covered,
        "member_hotlines": service.member_hotlines,
    }
    want = {k: other[k] for k in got}
    return [] if got == want else [f"map: service {got} naive {want}"]


def _check_funding(service: funding_report.FundingFigures, other: dict) -> list[str]:
    """Each year's totals to the cent (the naive side sums floats: one cent of slack), the rate
    dates applied and the currencies left out."""
    problems = []
    for year in service.by_year:
        for kind, value in (("pledged", year.pledged), ("received", year.received)):
            if not _close(value, other[kind].get(year.year, 0), tolerance=0.011):
                problems.append(
                    f"funding {kind} {year.year}: {value} vs {other[kind].get(year.year)}"
                )
    if set(service.rates.used) != other["used"]:
        problems.append(
            f"funding rates used: {len(service.rates.used)} vs {len(other['used'])}, differ in "
            f"{sorted(set(service.rates.used) ^ other['used'])[:5]}"
        )
    if set(service.rates.unconverted) != other["left_out"]:
        problems.append(
            f"funding left out: {service.rates.unconverted} vs {sorted(other['left_out'])}"
        )
    return problems


def _check_training(service: training_report.TrainingFigures, other: dict) -> list[str]:
    got = {(r.year, r.key): (r.events, r.participants) for r in service.by_kind}
    return [] if got == other["by_kind"] else ["training by kind differs"]


def _check_partnerships(service: partnership_report.PartnershipFigures, other: dict) -> list[str]:
    got = (dict(service.by_status), len(service.renewals))
    want = (other["by_status"], other["renewals"])
    return [] if got == want else [f"partnerships: service {got} naive {want}"]


def _check_activity(service: activity_report.ActivityFigures, other: dict) -> list[str]:
    got = {p.period_start: float(p.value) for p in service.by_period}
    bad = [k for k in got if not _close(got[k], other["by_period"].get(k, -1))]
    return (
        [f"activity differs in {len(bad)} quarters"]
        if bad or len(got) != len(other["by_period"])
        else []
    )


def _check_panel(service: coverage_report.CountryPanel | None, other: dict) -> list[str]:
    assert service is not None
    got = (service.trainings_attended, service.participants_trained, len(service.partners))
    want = (other["trainings"], other["participants"], other["partners"])
    return [] if got == want else [f"panel: service {got} naive {want}"]


def _check_overview(service: growth_report.Overview, other: dict) -> list[str]:
    growth = {p.year: p.member_hotlines for p in service.growth}
    return [] if growth == other["growth"] else ["overview growth differs"]


def _no_check(_service: Any, _other: Any) -> list[str]:
    return []


def measures(busiest_country: str) -> list[Measure]:
    funding_kwargs: dict[str, Any] = {"first_year": 2016, "last_year": 2025, "currency": "EUR"}
    constant_kwargs = {**funding_kwargs, "currency": "USD", "constant_on": ON}
    training_kwargs = {"first_year": 2016, "last_year": 2025}
    activity_kwargs = {"metric_code": "reports_received", "first_year": 2020, "last_year": 2025}
    return [
        Measure(
            "map (coverage_map)",
            coverage_report.coverage_map,
            {"on": ON, "region": None},
            lambda s: naive.coverage_map(s, on=ON),
            _check_map,
        ),
        Measure(
            "map panel (country_panel)",
            coverage_report.country_panel,
            {"code": busiest_country, "on": ON},
            lambda s: naive.country_panel(s, code=busiest_country, on=ON),
            _check_panel,
        ),
        Measure(
            "overview",
            growth_report.overview,
            {"today": ON, "currency": "EUR"},
            lambda s: naive.overview(s, today=ON),
            _check_overview,
        ),
        Measure(
            "partnerships",
            partnership_report.partnership_figures,
            {"on": ON, "status": None},
            lambda s: naive.partnerships(s, on=ON),
            _check_partnerships,
        ),
        Measure(
            "funding",
            funding_report.funding_figures,
            funding_kwargs,
            lambda s: naive.funding(s, **funding_kwargs),
            _check_funding,
        ),
        Measure(
            "funding (USD, constant rates)",
            funding_report.funding_figures,
            constant_kwargs,
            lambda s: naive.funding(s, **constant_kwargs),
            _check_funding,
        ),
        Measure(
            "training",
            training_report.training_figures,
            {**training_kwargs, "kind": None, "pillar": None},
            lambda s: naive.training(s, **training_kwargs),
            _check_training,
        ),
        Measure(
            "pillars",
            pillar_report.pillar_progress,
            {"year": 2025, "today": ON},
            lambda s: naive.pillars(s, year=2025, today=ON),
            _no_check,
        ),
        Measure(
            "activity",
            activity_report.hotline_activity,
            {**activity_kwargs, "group_by": "region", "region": None},
            lambda s: naive.activity(s, **activity_kwargs),
            _check_activity,
        ),
    ]


@dataclass
class Row:
    backend: str
    scale: int
    measure: str
    statements: int
    timings: dict[str, list[float]] = field(default_factory=dict)

    def p(self, kind: str, q: int) -> float:
        samples = sorted(self.timings[kind])
        if q == 50:
            return statistics.median(samples)
        return samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


class Recorder:
    """Captures the statements (and parameters) sent to the database during one call."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[tuple[str, Any]] = []
        self.active = False
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        if self.active:
            self.statements.append((statement, params))

    def capture(self, fn: Callable[[], Any]) -> list[tuple[str, Any]]:
        self.statements, self.active = [], True
        try:
            fn()
        finally:
            self.active = False
        return list(self.statements)

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


def replay(session: Session, statements: list[tuple[str, Any]]) -> None:
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        for statement, params in statements:
            cursor.execute(statement, params)
            cursor.fetchall()
    finally:
        cursor.close()


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def run_one(
    backend: str, scale: int, repeat: int, naive_repeat: int, database_url: str
) -> tuple[list[Row], list[str], dict[str, int]]:
    from coordapp import create_app
    from coordapp.extensions import db

    rows: list[Row] = []
    problems: list[str] = []
    with databases.scratch(backend, database_url) as url:
        app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": url})
        with app.app_context():
            written = load_database(scale=scale, analyze=backend == "postgresql")
            session = db.session()
            busiest = session.execute(
                sa.text(
                    "SELECT country_code FROM hotline_countries GROUP BY country_code "
                    "ORDER BY count(*) DESC, country_code LIMIT 1"
                )
            ).scalar_one()
            session.connection()
            recorder = Recorder(db.engine)
            try:
                for m in measures(busiest):
                    cache = ReportCache()

                    def cold(m: Measure = m) -> Any:
                        return m.service(session, **m.kwargs)

                    def warm(m: Measure = m, cache: ReportCache = cache) -> Any:
                        return cache.call(session, m.service, **m.kwargs)

                    statements = recorder.capture(cold)
                    result = cold()
                    problems += [
                        f"[{backend} {scale}x] {p}" for p in m.check(result, m.naive(session))
                    ]
                    warm()
                    replay(session, statements)
                    row = Row(
                        backend,
                        scale,
                        m.name,
                        len(statements),
                        {k: [] for k in ("cold", "warm", "raw", "naive")},
                    )
                    for i in range(repeat):
                        row.timings["cold"].append(timed(cold))
                        row.timings["warm"].append(timed(warm))
                        row.timings["raw"].append(timed(lambda st=statements: replay(session, st)))
                        if i < naive_repeat:
                            row.timings["naive"].append(timed(lambda m=m: m.naive(session)))
                    rows.append(row)
                    print(
                        f"    {m.name:<27} cold {row.p('cold', 50):8.2f}"
                        f"  warm {row.p('warm', 50):6.2f}  raw {row.p('raw', 50):8.2f}"
                        f"  naive {row.p('naive', 50):9.1f} ms",
                        flush=True,
                    )
            finally:
                recorder.remove()
                release_database()
    return rows, problems, written


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def render(
    rows: list[Row], problems: list[str], repeat: int, naive_repeat: int, servers: str
) -> str:
    lines = [
        f"Run {datetime.now().isoformat(timespec='minutes')}: {platform.system()} "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"SQLite {_sqlite_version()}, {servers}SQLAlchemy {sa.__version__}; {repeat} timed "
        f"calls (naive: {naive_repeat}) after 1 warm-up. Times in ms.",
        "",
        "| backend | scale | callback (service) | stmts | cold p50 / p95 | warm p50 / p95 "
        "| raw SQL p50 / p95 | cold/raw p95 | warm/raw p95 | naive p50 | naive/cold | naive/warm |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        cold_ratio = r.p("cold", 95) / r.p("raw", 95)
        warm_ratio = r.p("warm", 95) / r.p("raw", 95)
        lines.append(
            f"| {r.backend} | {r.scale}x | {r.measure} | {r.statements} "
            f"| {_ms(r.p('cold', 50))} / {_ms(r.p('cold', 95))} "
            f"| {_ms(r.p('warm', 50))} / {_ms(r.p('warm', 95))} "
            f"| {_ms(r.p('raw', 50))} / {_ms(r.p('raw', 95))} "
            f"| {cold_ratio:.2f} | {warm_ratio:.2f} "
            f"| {_ms(r.p('naive', 50))} "
            f"| {r.p('naive', 50) / r.p('cold', 50):.1f} "
            f"| {r.p('naive', 50) / r.p('warm', 50):.0f} |"
        )
    if problems:
        lines += [
            "",
            "Differences between the service and the naive baseline:",
            "",
            "```",
            *problems,
            "```",
        ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboards.run")
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--naive-repeat", type=int, default=5)
    databases.add_argument(parser, "dashboards")
    parser.add_argument("--output", type=Path, default=RESULTS / "dashboards-latest.md")
    args = parser.parse_args(argv)
    rows: list[Row] = []
    problems: list[str] = []
    servers = ""
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        if backend == "postgresql":
            if not databases.reachable(args.database_url):
                print(
                    f"WARNING: PostgreSQL for {args.database_url} is unreachable: skipped.",
                    file=sys.stderr,
                )
                continue
            engine = sa.create_engine(sa.make_url(args.database_url).set(database="postgres"))
            with engine.connect() as conn:
                servers = f"PostgreSQL {conn.execute(sa.text('SHOW server_version')).scalar()}, "
            engine.dispose()
        for scale in [int(s) for s in args.scales.split(",") if s.strip()]:
            print(f"== {backend} {scale}x", flush=True)
            found, issues, _ = run_one(
                backend, scale, args.repeat, args.naive_repeat, args.database_url
            )
            rows += found
            problems += issues
    table = render(rows, problems, args.repeat, args.naive_repeat, servers)
    print()
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table)
    print(f"written to {args.output}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
