"""Benchmark the coverage and funding services against raw SQL and a naive Python baseline.

    python -m bench.run [--scales 1,10,100] [--backends sqlite,postgresql] [--repeat 15]

For every backend and scale: a fresh database (SQLite temp file, or the PostgreSQL database
``--database-url``, created for the run and dropped at the end), built by the migrations,
seeded, filled by ``bench.generate``; then each measure is timed for the service, the
hand-written SQL and the naive approach, their results are checked equal, and the SQL
statements of one call are counted.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from bench import databases, queries
from bench.generate import generate
from coordapp.funding.amounts import received_total
from coordapp.funding.models import ExchangeRate
from coordapp.network.coverage import coverage_as_of, coverage_summary

RESULTS = Path(__file__).resolve().parent / "results"

ON = date(2025, 12, 31)
YEAR = (date(2025, 1, 1), date(2025, 12, 31))


@dataclass(frozen=True)
class Measure:
    name: str
    service: Callable[[Session], Any]
    raw: Callable[[Session], Any]
    naive: Callable[[Session], Any]


MEASURES = (
    Measure(
        "coverage_as_of",
        lambda s: coverage_as_of(s, on=ON),
        lambda s: queries.raw_coverage_as_of(s, on=ON),
        lambda s: queries.naive_coverage_as_of(s, on=ON),
    ),
    Measure(
        "coverage_summary",
        lambda s: coverage_summary(s, on=ON),
        lambda s: queries.raw_coverage_summary(s, on=ON),
        lambda s: queries.naive_coverage_summary(s, on=ON),
    ),
    # Each receipt at the rate of its own date, in USD: both legs (GBP -> EUR -> USD).
    Measure(
        "received_total",
        lambda s: received_total(s, start=YEAR[0], end=YEAR[1], currency="USD"),
        lambda s: queries.raw_received_total(s, start=YEAR[0], end=YEAR[1], currency="USD"),
        lambda s: queries.naive_received_total(s, start=YEAR[0], end=YEAR[1], currency="USD"),
    ),
    Measure(
        "received_total constant",
        lambda s: received_total(s, start=YEAR[0], end=YEAR[1], currency="USD", constant_on=ON),
        lambda s: queries.raw_received_total(
            s, start=YEAR[0], end=YEAR[1], currency="USD", constant_on=ON
        ),
        lambda s: queries.naive_received_total(
            s, start=YEAR[0], end=YEAR[1], currency="USD", constant_on=ON
        ),
    ),
)

# Untimed correctness sweep: more dates, regions and currencies than the timed calls.
CHECK_DATES = (date(1999, 12, 31), date(2005, 6, 30), date(2012, 3, 1), date(2019, 1, 1), ON)
CHECK_REGIONS = (None, "Europe", "Africa", "Americas")
CHECK_CURRENCIES = ("EUR", "USD", "GBP")
CHECK_PERIODS = (
    (date(2015, 1, 1), date(2025, 12, 31)),
    (date(2020, 1, 1), date(2020, 6, 30)),
    YEAR,
)
# None: each row at its own date's rate. 2014-12-31 is before the first generated rate: every
# amount not already in the target currency is left out (and named).
CHECK_CONSTANT = (None, ON, date(2020, 6, 15), date(2014, 12, 31))


@dataclass
class Timing:
    samples: list[float]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        if len(self.samples) < 2:
            return self.samples[0]
        return statistics.quantiles(self.samples, n=100, method="inclusive")[94]


@dataclass
class MeasureResult:
    backend: str
    scale: int
    rows: dict[str, int]
    measure: str
    service: Timing
    raw: Timing
    naive: Timing
    statements: dict[str, int]


@dataclass
class RunInfo:
    backend: str
    scale: int
    rows: dict[str, int]
    setup_s: float
    generate_s: float
    server: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    results: list[MeasureResult] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class StatementCounter:
    """Counts statements sent to the database (``before_cursor_execute``); keeps the last ones."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.count = 0
        self.recorded: list[tuple[str, Any]] = []
        event.listen(engine, "before_cursor_execute", self._on_execute)

    def _on_execute(self, _conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self.count += 1
        self.recorded.append((statement, params))

    def around(self, fn: Callable[[], Any]) -> tuple[int, Any, list[tuple[str, Any]]]:
        self.count, self.recorded = 0, []
        result = fn()
        return self.count, result, list(self.recorded)

    def remove(self) -> None:
        event.remove(self.engine, "before_cursor_execute", self._on_execute)


def time_calls(fns: dict[str, Callable[[], Any]], repeat: int) -> dict[str, Timing]:
    """Time each callable ``repeat`` times after one warm-up call (statement caches, buffers).

    The callables take turns, round after round, so that a drift of the machine (another
    process, autovacuum) affects all of them alike.
    """
    for fn in fns.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            samples[name].append((time.perf_counter() - start) * 1000)
    return {name: Timing(values) for name, values in samples.items()}


def check_equal(problems: list[str], label: str, expected: Any, actual: Any) -> None:
    if expected == actual:
        return
    if isinstance(expected, list) and isinstance(actual, list):
        exp = {getattr(r, "country_code", i): r for i, r in enumerate(expected)}
        act = {getattr(r, "country_code", i): r for i, r in enumerate(actual)}
        diffs = [
            f"    {key}: service {exp.get(key)!r}\n    {key}: other   {act.get(key)!r}"
            for key in sorted(set(exp) | set(act), key=str)
            if exp.get(key) != act.get(key)
        ]
        if not diffs:
            diffs = ["    same rows, different order"]
        problems.append(f"{label}: {len(diffs)} rows differ\n" + "\n".join(diffs[:5]))
    else:
        problems.append(f"{label}:\n    service={expected!r}\n    other  ={actual!r}")


def sweep(session: Session, problems: list[str], answers: dict[str, Any]) -> int:
    """Compare service, raw SQL and naive results on more inputs than the timed ones.

    The service's answers go into ``answers`` (country lists by code: collations differ) so
    that the backends can be compared with each other on the same generated data.
    """
    checks = 0
    for on in CHECK_DATES:
        for region in CHECK_REGIONS:
            service = coverage_as_of(session, on=on, region=region)
            answers[f"coverage_as_of(on={on}, region={region})"] = sorted(
                service, key=lambda c: c.country_code
            )
            raw = queries.raw_coverage_as_of(session, on=on, region=region)
            naive = queries.naive_coverage_as_of(session, on=on, region=region)
            check_equal(problems, f"coverage_as_of(on={on}, region={region}) raw", service, raw)
            # Python sorts names by code point, the database by its collation: compare by code.
            check_equal(
                problems,
                f"coverage_as_of(on={on}, region={region}) naive",
                sorted(service, key=lambda c: c.country_code),
                sorted(naive, key=lambda c: c.country_code),
            )
            checks += 2
        service_summary = coverage_summary(session, on=on)
        answers[f"coverage_summary(on={on})"] = service_summary
        for name, other in (
            ("raw", queries.raw_coverage_summary(session, on=on)),
            ("naive", queries.naive_coverage_summary(session, on=on)),
        ):
            check_equal(problems, f"coverage_summary(on={on}) {name}", service_summary, other)
            checks += 1
    checks += _sweep_received(session, problems, answers)
    # Rates stored towards EUR (also on a day that has the EUR -> x rate: that one must lose),
    # and a currency with no rate at all, added in a savepoint and rolled back afterwards.
    with session.begin_nested() as extra:
        _add_rate_variety(session)
        checks += _sweep_received(session, problems, answers, label=" +variety")
        extra.rollback()
    return checks


def _sweep_received(
    session: Session, problems: list[str], answers: dict[str, Any], label: str = ""
) -> int:
    checks = 0
    for currency in CHECK_CURRENCIES:
        for start, end in CHECK_PERIODS:
            for constant_on in CHECK_CONSTANT:
                kwargs: dict[str, Any] = {
                    "start": start,
                    "end": end,
                    "currency": currency,
                    "constant_on": constant_on,
                }
                service_total = received_total(session, **kwargs)
                answers[f"received_total({kwargs}){label}"] = service_total
                for name, fn in (
                    ("raw", queries.raw_received_total),
                    ("naive", queries.naive_received_total),
                ):
                    check_equal(
                        problems,
                        f"received_total({kwargs}){label} {name}",
                        service_total,
                        fn(session, **kwargs),
                    )
                    checks += 1
    return checks


def _add_rate_variety(session: Session) -> None:
    """GBP -> EUR and USD -> EUR rates (towards EUR), one on the day of a stored EUR -> GBP rate,
    and receipts in JPY (no rate: left out; no minor units) on existing commitments."""
    stamps = {"source": "bench variety"}
    session.execute(
        sa.insert(ExchangeRate.__table__),
        [
            {"base_code": "GBP", "quote_code": "EUR", "rate_date": date(2025, 6, 1),
             "rate": Decimal("1.1713"), **stamps},
            {"base_code": "GBP", "quote_code": "EUR", "rate_date": date(2020, 3, 17),
             "rate": Decimal("1.0931"), **stamps},
            {"base_code": "USD", "quote_code": "EUR", "rate_date": date(2025, 9, 12),
             "rate": Decimal("0.8544"), **stamps},
        ],
    )  # fmt: skip
    session.execute(
        sa.text(
            "INSERT INTO funding_receipts (commitment_id, received_on, amount, currency_code,"
            " reference, created_at, updated_at, archived_at)"
            " SELECT commitment_id, received_on, amount * 100, 'JPY', 'bench variety',"
            " created_at, updated_at, archived_at FROM funding_receipts"
            " WHERE id % 97 = 0"
        )
    )


def explain(session: Session, statements: list[tuple[str, Any]], dialect: str) -> str:
    """The plans of the given statements (PostgreSQL: EXPLAIN ANALYZE; SQLite: QUERY PLAN)."""
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if dialect == "postgresql" else "EXPLAIN QUERY PLAN "
    out = []
    conn = session.connection()
    for statement, params in statements:
        rows = conn.exec_driver_sql(prefix + statement, params).all()
        out.append(statement.strip())
        out.append("\n".join(" | ".join(str(v) for v in row) for row in rows))
        out.append("")
    return "\n".join(out)


def run_one(
    backend: str, scale: int, repeat: int, database_url: str, explain_dir: Path | None
) -> RunInfo:
    from flask_migrate import upgrade

    from coordapp import create_app
    from coordapp.extensions import db
    from coordapp.reference.service import seed_reference_data

    with databases.scratch(backend, database_url) as url:
        app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": url})
        with app.app_context():
            started = time.perf_counter()
            with contextlib.redirect_stderr(io.StringIO()):  # Alembic's INFO lines
                upgrade()
            session = db.session()
            seed_reference_data(session)
            session.commit()
            setup_s = time.perf_counter() - started

            started = time.perf_counter()
            generated = generate(session, scale=scale)
            session.commit()
            generate_s = time.perf_counter() - started
            if backend == "postgresql":  # what autovacuum would do soon after a bulk load
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.execute(sa.text("ANALYZE"))

            info = RunInfo(backend, scale, generated.rows, setup_s, generate_s)
            if backend == "postgresql":
                version = db.engine.dialect.server_version_info or ()
                info.server = "PostgreSQL " + ".".join(str(v) for v in version)
            session.connection()  # one open transaction for all reads: no BEGIN in the counts
            counter = StatementCounter(db.engine)
            try:
                checks = sweep(session, info.problems, info.answers)
                print(f"    checked {checks} result pairs: {len(info.problems)} differences")
                for m in MEASURES:
                    counts = {}
                    for kind in ("service", "raw", "naive"):
                        fn = getattr(m, kind)
                        counts[kind], _, recorded = counter.around(functools.partial(fn, session))
                        if kind == "service" and explain_dir is not None:
                            path = explain_dir / f"explain-{backend}-{scale}x-{m.name}.txt"
                            path.write_text(explain(session, recorded, backend))
                    expected = m.service(session)
                    check_equal(info.problems, f"{m.name} raw", expected, m.raw(session))
                    timings = time_calls(
                        {
                            kind: functools.partial(getattr(m, kind), session)
                            for kind in ("service", "raw", "naive")
                        },
                        repeat,
                    )
                    info.results.append(
                        MeasureResult(
                            backend,
                            scale,
                            generated.rows,
                            m.name,
                            timings["service"],
                            timings["raw"],
                            timings["naive"],
                            counts,
                        )
                    )
                    print(
                        f"    {m.name:<17} service {timings['service'].p50:8.2f} ms"
                        f"  raw {timings['raw'].p50:8.2f} ms  naive {timings['naive'].p50:9.2f} ms"
                    )
            finally:
                counter.remove()
                session.rollback()
                db.session.remove()
                db.engine.dispose()
    return info


def cross_backend(runs: list[RunInfo]) -> int:
    """Same data (same seed and scale) must give the same answers on SQLite and PostgreSQL.

    Returns how many answers were compared; differences go to the later run's problems.
    """
    compared = 0
    by_scale: dict[int, list[RunInfo]] = {}
    for run in runs:
        by_scale.setdefault(run.scale, []).append(run)
    for group in by_scale.values():
        for first, other in zip(group, group[1:], strict=False):
            for label, answer in first.answers.items():
                compared += 1
                if other.answers.get(label) != answer:
                    other.problems.append(
                        f"{label}: {first.backend} and {other.backend} differ\n"
                        f"    {first.backend}: {answer!r}\n"
                        f"    {other.backend}: {other.answers.get(label)!r}"
                    )
    return compared


def _ms(value: float) -> str:
    return f"{value:.2f}" if value < 100 else f"{value:.0f}"


def render(runs: list[RunInfo], repeat: int) -> str:
    servers = "".join(sorted({f"{run.server}, " for run in runs if run.server}))
    lines = [
        f"Run {datetime.now().isoformat(timespec='minutes')}: "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite {_sqlite_version()}, "
        f"{servers}SQLAlchemy {sa.__version__}; {repeat} timed calls after 1 warm-up.",
        "",
        "| backend | scale | rows (hotlines / events / receipts) | measure | service p50/p95 ms "
        "| raw SQL p50/p95 ms | ratio service/raw | naive p50 ms | naive/service "
        "| statements service (raw, naive) |",
        "| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for run in runs:
        r = run.rows
        rows = f"{r['hotlines']:,} / {r['hotline_membership_events']:,} / {r['funding_receipts']:,}"
        for m in run.results:
            lines.append(
                f"| {m.backend} | {m.scale}x | {rows} | {m.measure} "
                f"| {_ms(m.service.p50)} / {_ms(m.service.p95)} "
                f"| {_ms(m.raw.p50)} / {_ms(m.raw.p95)} "
                f"| {m.service.p50 / m.raw.p50:.2f} "
                f"| {_ms(m.naive.p50)} "
                f"| {m.naive.p50 / m.service.p50:.1f} "
                f"| {m.statements['service']} ({m.statements['raw']}, {m.statements['naive']}) |"
            )
    lines += [
        "",
        "| backend | scale | rows written | migrate + seed s | generate s | differences |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for run in runs:
        lines.append(
            f"| {run.backend} | {run.scale}x | {sum(run.rows.values()):,} "
            f"| {run.setup_s:.1f} | {run.generate_s:.1f} | {len(run.problems)} |"
        )
    problems = [
        p for run in runs for p in (f"[{run.backend} {run.scale}x] {q}" for q in run.problems)
    ]
    if problems:
        lines += ["", "Differences between the service and a baseline:", "", "```"]
        lines += problems
        lines += ["```"]
    return "\n".join(lines) + "\n"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--scales", default="1,10,100", help="comma-separated (default 1,10,100)")
    parser.add_argument("--backends", default="sqlite,postgresql", help="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=15, help="timed calls per measure")
    databases.add_argument(parser, "bench")
    parser.add_argument(
        "--explain", action="store_true", help="write the services' query plans to bench/results/"
    )
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.md")
    args = parser.parse_args(argv)
    scales = [int(s) for s in args.scales.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgresql"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    RESULTS.mkdir(exist_ok=True)

    runs: list[RunInfo] = []
    for backend in backends:
        if backend == "postgresql" and not databases.reachable(args.database_url):
            print(
                f"WARNING: PostgreSQL for {args.database_url} is unreachable: skipped.",
                file=sys.stderr,
            )
            continue
        for scale in scales:
            print(f"== {backend} {scale}x", flush=True)
            started = time.perf_counter()
            info = run_one(
                backend, scale, args.repeat, args.database_url, RESULTS if args.explain else None
            )
            print(
                f"    migrate+seed {info.setup_s:.1f} s, generate {info.generate_s:.1f} s "
                f"({sum(info.rows.values()):,} rows), whole run "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            runs.append(info)

    compared = cross_backend(runs)
    if compared:
        print(f"compared {compared} service answers across backends on the same data")
    table = render(runs, args.repeat)
    print()
    print(table)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(table)
    print(f"written to {args.output}")
    return 1 if any(run.problems for run in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())
