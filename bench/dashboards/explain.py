"""The query plans behind each dashboard callback: ``EXPLAIN (ANALYZE, BUFFERS)`` of every
statement its service sends, with the filters the pages use today.

    python -m bench.dashboards.explain [--scale 100] [--database-url URL | --existing URL]

A fresh PostgreSQL database at ``--scale`` (as ``callbacks.py`` builds it; ``--existing``: one
generated already, left as it is); per callback the
service's statements are captured (``before_cursor_execute``) and each is explained; the
plans go to ``bench/results/explain-callbacks-<scale>x-<callback>.txt``, slowest first, and one
line per callback is printed: statements, their summed execution time, the independent SQL's
median time (5 calls), the slowest statement and its costliest plan node (largest time of its
own, children excluded).
"""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path
from typing import Any

from bench import databases
from bench.dashboards import independent
from bench.dashboards.callbacks import RESULTS, build, busiest_country, timed_ms
from bench.dashboards.generate import release_database
from bench.dashboards.run import Recorder

_ACTUAL = re.compile(r"actual time=([\d.]+)\.\.([\d.]+) rows=\d+ loops=(\d+)")


def costliest_node(plan: list[str]) -> str:
    """The plan line whose own time (its total × loops minus its children's) is largest."""
    nodes: list[tuple[int, float, str]] = []  # (indent, total ms, line)
    for line in plan:
        found = _ACTUAL.search(line)
        if found:
            indent = len(line) - len(line.lstrip(" ->"))
            nodes.append((indent, float(found.group(2)) * int(found.group(3)), line.strip()))
    best, best_own = "", -1.0
    for i, (indent, total, line) in enumerate(nodes):
        below: list[tuple[int, float, str]] = []
        for node in nodes[i + 1 :]:
            if node[0] <= indent:
                break
            below.append(node)
        nearest = min((n[0] for n in below), default=0)
        own = total - sum(n[1] for n in below if n[0] == nearest)
        if own > best_own:
            best, best_own = line, own
    return f"{best_own:.0f} ms own: {best[:160]}"


def explain_all(session: Any, statements: list[tuple[str, Any]]) -> list[tuple[float, list[str]]]:
    cursor = session.connection().connection.dbapi_connection.cursor()
    plans = []
    try:
        for statement, params in statements:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            plan = [row[0] for row in cursor.fetchall()]
            took = next(
                (float(line.split(":")[1].split()[0]) for line in plan if "Execution Time" in line),
                0.0,
            )
            plans.append((took, [statement.strip(), "", *plan]))
    finally:
        cursor.close()
    return sorted(plans, key=lambda p: -p[0])


def explain_callbacks(app: Any, scale: int) -> None:
    from coordapp.extensions import db

    with app.app_context():
        session = db.session()
        params = independent.Params(today=date.today(), busiest_country=busiest_country(session))
        recorder = Recorder(db.engine)
        try:
            for name, (sql, service) in independent.FIGURES.items():
                service(session, params)  # warm the buffers, as the bench's rounds do
                own = sorted(timed_ms(lambda f=sql: f(session, params)) for _ in range(5))
                statements = recorder.capture(lambda s=service: s(session, params))
                plans = explain_all(session, statements)
                out = RESULTS / f"explain-callbacks-{scale}x-{name.replace(' ', '-')}.txt"
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_text(
                    "\n\n".join(f"-- {took:.1f} ms\n" + "\n".join(p) for took, p in plans)
                )
                slowest, plan = plans[0]
                print(
                    f"{name:<13} {len(plans):>3} statements, {sum(t for t, _ in plans):7.0f} ms"
                    f" in all; independent SQL p50 {own[2]:6.0f} ms; slowest {slowest:6.0f} ms:"
                    f" {costliest_node(plan)}",
                    flush=True,
                )
        finally:
            recorder.remove()
            release_database()
    print(f"plans written to {Path(RESULTS)}/explain-callbacks-{scale}x-*.txt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboards.explain")
    parser.add_argument("--scale", type=int, default=100)
    databases.add_argument(parser, "explain")
    parser.add_argument(
        "--existing",
        metavar="URL",
        help="explain on this database, already generated (at --scale), instead of a new one",
    )
    args = parser.parse_args(argv)
    if args.existing:
        from coordapp import create_app

        explain_callbacks(create_app({"DATABASE_URL": args.existing}), args.scale)
        return 0
    with databases.scratch("postgresql", args.database_url) as url:
        app, _ = build(url, args.scale)
        explain_callbacks(app, args.scale)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
