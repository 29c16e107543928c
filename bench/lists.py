"""List pages of the records workspace at 1x / 10x / 100x: time, statements, ratio to raw SQL.

    python -m bench.lists [--scales 1,10,100] [--backends sqlite,postgresql] [--repeat 10]

For each backend and scale: a fresh database with the demo network (1x) plus ``scale - 1`` times
the generator's synthetic rows; then every registered list page (``RESOURCES``) is fetched as a
signed-in admin (who may open every list) through the Flask test client (routing, sign-in,
query, rendering), its SQL
statements are captured, and the same statements are replayed on a raw DBAPI cursor. The ratio
page / raw SQL is what the ORM, the template and Flask add on top of the database work. The
statement count at 25 and 100 rows per page shows it does not grow with the page size.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event

from bench import databases
from bench.generate import generate

RESULTS = Path(__file__).resolve().parent / "results"
TODAY = date(2026, 11, 26)


def p50_p95(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def run(backend: str, scale: int, repeat: int, database_url: str) -> list[dict[str, Any]]:
    from flask_migrate import upgrade

    from coordapp import create_app
    from coordapp.demo.service import DEMO_PASSWORD, load_demo
    from coordapp.extensions import db
    from coordapp.records.views import RESOURCES
    from coordapp.reference.service import seed_reference_data

    rows: list[dict[str, Any]] = []
    with databases.scratch(backend, database_url, prefix="coordapp-lists-") as url:
        app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": url})
        with app.app_context():
            upgrade()
            session = db.session()
            seed_reference_data(session)
            load_demo(session, today=TODAY)
            if scale > 1:
                generate(session, scale=scale - 1)
            session.commit()
            if backend == "postgresql":
                # Fresh statistics, as autovacuum would gather them: ANALYZE must not run in a
                # transaction that is then rolled back.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("ANALYZE"))
            engine = db.engine
            db.session.remove()
        client = app.test_client()
        client.post(
            "/auth/sign-in", data={"email": "admin@coordapp.example", "password": DEMO_PASSWORD}
        )
        captured: list[tuple[str, Any]] = []

        def capture(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
            captured.append((statement, params))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            seen = set()
            for bp_name, res in RESOURCES:
                if (bp_name, res.slug) in seen:
                    continue
                seen.add((bp_name, res.slug))
                with app.test_request_context():
                    from flask import url_for

                    path = url_for(res.endpoint(_Bp(bp_name), "list"))
                counts = {}
                for per_page in (25, 100):
                    captured.clear()
                    response = client.get(f"{path}?per_page={per_page}")
                    assert response.status_code == 200, (path, response.status_code)
                    counts[per_page] = len(captured)
                statements = [
                    (s, p)
                    for s, p in captured
                    if not s.lstrip()
                    .upper()
                    .startswith(("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK"))
                ]
                page_ms, raw_ms = [], []
                for _ in range(repeat):
                    start = time.perf_counter()
                    client.get(f"{path}?per_page=100")
                    page_ms.append((time.perf_counter() - start) * 1000)
                    raw = engine.raw_connection()
                    try:
                        cursor = raw.cursor()
                        start = time.perf_counter()
                        for statement, params in statements:
                            cursor.execute(statement, params)
                            cursor.fetchall()
                        raw_ms.append((time.perf_counter() - start) * 1000)
                        cursor.close()
                    finally:
                        raw.close()
                with app.app_context():
                    total = db.session.scalar(
                        sa.select(sa.func.count()).select_from(res.list_spec.entity)
                    )
                    db.session.remove()
                page = p50_p95(page_ms)
                rawt = p50_p95(raw_ms)
                rows.append(
                    {
                        "backend": backend,
                        "scale": scale,
                        "list": path,
                        "rows": total,
                        "statements": f"{counts[25]} / {counts[100]}",
                        "page": page,
                        "raw": rawt,
                        "ratio": page[0] / rawt[0] if rawt[0] else 0.0,
                    }
                )
        finally:
            event.remove(engine, "before_cursor_execute", capture)
            with app.app_context():
                db.engine.dispose()
    return rows


class _Bp:
    def __init__(self, name: str) -> None:
        self.name = name


def render(rows: list[dict[str, Any]], repeat: int) -> str:
    lines = [
        f"List pages, 100 rows per page, {repeat} timed requests after 2 untimed ones "
        f"({date.today().isoformat()}).",
        "",
        "| backend | scale | list | rows in table | statements (25 / 100 per page) "
        "| page p50 / p95 ms | raw SQL p50 / p95 ms | page / raw |",
        "| --- | ---: | --- | ---: | :---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        lines.append(
            f"| {r['backend']} | {r['scale']}x | `{r['list']}` | {r['rows']:,} | {r['statements']} "
            f"| {r['page'][0]:.1f} / {r['page'][1]:.1f} | {r['raw'][0]:.2f} / {r['raw'][1]:.2f} "
            f"| {r['ratio']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lists")
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=10)
    databases.add_argument(parser, "lists")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    for backend in args.backends.split(","):
        for scale in (int(s) for s in args.scales.split(",")):
            started = time.perf_counter()
            rows.extend(run(backend, scale, args.repeat, args.database_url))
            print(f"{backend} {scale}x done in {time.perf_counter() - started:.1f} s", flush=True)
    table = render(rows, args.repeat)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "lists.md").write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
