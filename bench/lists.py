"""Home and the list pages of the records workspace at 1x / 10x / 100x: time, size, statements.

    python -m bench.lists [--scales 1,10,100] [--backends sqlite,postgresql] [--repeat 20]
                          [--pages /,/hotlines/] [--explain] [--database-url URL]

For each backend and scale: a fresh database with the demo network (1x) plus ``scale - 1``
times the generators' synthetic rows (``bench.generate``: organizations, hotlines, membership,
expansion targets, commitments, receipts; ``bench.dashboards.generate``: partnerships,
allocations, trainings, quarterly statistics; and contacts here), so every list grows but the
users' and the exchange rates' (reference data). Then the home page and every registered list
page (``RESOURCES``, 100 rows a page) are fetched as a signed-in admin (who may open every
page) through the Flask test client, the way a browser asks (``Accept-Encoding: br, gzip``):

* **warm**: ``--repeat`` requests after 2 untimed ones, nothing written in between (cached
  filter choices and home figures are used, as on a second visit);
* **after a write**: ``--repeat`` requests, each right after the data version moves on (what
  every save does), so nothing of the report cache can be used;
* the compressed size on the wire, and the statements a request sends at 25 and at 100 rows a
  page (equal: no N+1), replayed on a raw DBAPI cursor (the ratio page / raw SQL is what the
  ORM, the template and Flask add).

With ``--explain`` (PostgreSQL) the statements of each page after a write go through
``EXPLAIN (ANALYZE, BUFFERS)`` into ``bench/results/lists-explain-<scale>x-<page>.txt``.
With two or more scales the run ends with the growth table: each page's p50 and p95 at the
largest scale over the one before (1.0 = flat; 10 = linear for 10x more rows).
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import random
import re
import statistics
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from bench import databases
from bench.dashboards.generate import generate_activity
from bench.generate import STAMP, _fix_sequences, _insert, _next_id, _table, generate

RESULTS = Path(__file__).resolve().parent / "results"
TODAY = date(2026, 11, 26)
BROWSER_ENCODINGS = "br, gzip"
CONTACTS_PER_SCALE = 70
HOME = "/"
TRANSACTION_WORDS = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")


def p50_p95(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank: of 20 samples the 19th, not the largest)."""
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[max(0, math.ceil(len(ordered) * 0.95) - 1)]


@dataclass
class PageRow:
    backend: str
    scale: int
    path: str
    rows: int | None
    statements: str
    warm: list[float] = field(default_factory=list)
    after_write: list[float] = field(default_factory=list)
    raw: list[float] = field(default_factory=list)
    compressed_kb: float = 0.0
    raw_kb: float = 0.0

    @property
    def ratio(self) -> float:
        raw = p50_p95(self.raw)[0] if self.raw else 0.0
        return p50_p95(self.warm)[0] / raw if raw else 0.0


def generate_contacts(session: Session, *, scale: int, seed: int = 1999) -> int:
    """``CONTACTS_PER_SCALE * scale`` contacts at the generated organizations, with the dates
    of last contact the home page's "contacts quiet for 180 days" reads."""
    rng = random.Random(f"{seed}:{scale}:contacts")
    from coordapp.partners.models import Contact, Organization

    org_ids = list(
        session.scalars(
            sa.select(Organization.id).where(Organization.name.like("Bench organization %"))
        )
    )
    table = _table(Contact)
    first = _next_id(session, table)
    contacts = []
    for i in range(CONTACTS_PER_SCALE * scale):
        number = first + i
        contacts.append(
            {
                "id": number,
                "organization_id": rng.choice(org_ids),
                "full_name": f"Bench contact {number:07d}",
                "job_title": None,
                "email": f"contact{number}@bench.example",
                "phone": None,
                "last_contacted_on": None
                if rng.random() < 0.1
                else TODAY - timedelta(days=rng.randint(0, 900)),
                "lawful_basis": None,
                "erased_at": None,
                "created_at": STAMP,
                "updated_at": STAMP,
                "version": 1,
                "archived_at": None,
            }
        )
    written = _insert(session, table, contacts)
    _fix_sequences(session, (table,))
    return written


def prepare(session: Session, *, scale: int) -> None:
    """Reference data, the demo network and ``scale - 1`` times the generated rows (the
    caller commits)."""
    from coordapp.demo.service import load_demo
    from coordapp.reference.service import seed_reference_data

    seed_reference_data(session)
    load_demo(session, today=TODAY)
    if scale > 1:
        generate(session, scale=scale - 1)
        generate_activity(session, scale=scale - 1)
        generate_contacts(session, scale=scale - 1)


def page_paths(app: Any) -> list[tuple[str, Any]]:
    """(path, list spec) of home (no spec) and of every registered list page."""
    from flask import url_for

    from coordapp.records.views import RESOURCES

    class _Bp:
        def __init__(self, name: str) -> None:
            self.name = name

    paths: list[tuple[str, Any]] = [(HOME, None)]
    with app.test_request_context():
        for bp_name, res in RESOURCES:
            path = url_for(res.endpoint(_Bp(bp_name), "list"))
            if path not in [p for p, _ in paths]:
                paths.append((path, res.list_spec))
    return paths


def run(
    backend: str,
    scale: int,
    repeat: int,
    database_url: str,
    *,
    only: set[str] | None = None,
    explain: bool = False,
) -> list[PageRow]:
    """A scratch database at ``scale`` (dropped afterwards), measured by ``measure``."""
    from flask_migrate import upgrade

    from coordapp import create_app
    from coordapp.extensions import db

    with databases.scratch(backend, database_url, prefix="coordapp-lists-") as url:
        app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": url})
        with app.app_context():
            upgrade()
            session = db.session()
            started = time.perf_counter()
            prepare(session, scale=scale)
            session.commit()
            print(f"  {backend} {scale}x prepared in {time.perf_counter() - started:.1f} s")
            if backend == "postgresql":
                # Fresh statistics, as autovacuum would gather them: ANALYZE must not run in a
                # transaction that is then rolled back.
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("ANALYZE"))
            db.session.remove()
        try:
            return measure(app, backend, scale, repeat, only=only, explain=explain)
        finally:
            with app.app_context():
                db.engine.dispose()


def measure(
    app: Any,
    backend: str,
    scale: int,
    repeat: int,
    *,
    only: set[str] | None = None,
    explain: bool = False,
) -> list[PageRow]:
    """Every page of ``app`` (signed in as the demo admin), timed warm and after a write."""
    from coordapp import gunicorn_conf
    from coordapp.data_version import bump_data_version
    from coordapp.demo.service import DEMO_PASSWORD
    from coordapp.extensions import db

    with app.app_context():
        engine = db.engine
    logging.getLogger("coordapp.request").setLevel(logging.WARNING)  # not a line per request
    # What the production server does once its worker has loaded the app.
    started_worker = getattr(gunicorn_conf, "post_worker_init", None)
    if started_worker is not None:
        started_worker(None)
    client = app.test_client()
    client.post(
        "/auth/sign-in", data={"email": "admin@coordapp.example", "password": DEMO_PASSWORD}
    )
    headers = {"Accept-Encoding": BROWSER_ENCODINGS}

    def write() -> None:
        with app.app_context():
            bump_data_version(db.session)
            db.session.commit()
            db.session.remove()

    def get(path: str) -> Any:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        return response

    captured: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, *_: Any) -> None:
        captured.append((statement, params))

    rows: list[PageRow] = []
    event.listen(engine, "before_cursor_execute", capture)
    try:
        for path, spec in page_paths(app):
            if only is not None and path not in only:
                continue
            full = path if spec is None else f"{path}?per_page=100"
            counts = {}
            for per_page in (25, 100) if spec is not None else (0,):
                get(path if spec is None else f"{path}?per_page={per_page}")  # warm-up
                captured.clear()
                get(path if spec is None else f"{path}?per_page={per_page}")
                counts[per_page] = len(captured)
            write()
            captured.clear()
            response = get(full)
            cold_statements = [
                (s, p) for s, p in captured if not s.lstrip().upper().startswith(TRANSACTION_WORDS)
            ]
            row = PageRow(
                backend,
                scale,
                path,
                _row_count(app, spec),
                " / ".join(str(counts[k]) for k in sorted(counts)),
                compressed_kb=len(response.data) / 1024,
                raw_kb=_uncompressed_kb(client, full),
            )
            for _ in range(repeat):
                row.warm.append(_timed(lambda full=full: get(full)))
            for _ in range(repeat):
                write()
                row.after_write.append(_timed(lambda full=full: get(full)))
            for _ in range(repeat):
                row.raw.append(_replay(engine, cold_statements))
            if explain and backend == "postgresql":
                _explain(engine, scale, path, cold_statements)
            rows.append(row)
            print(
                f"    {path:<22} warm p50/p95 {_ms(row.warm)}   after a write "
                f"{_ms(row.after_write)}   {row.compressed_kb:6.1f} KB",
                flush=True,
            )
    finally:
        event.remove(engine, "before_cursor_execute", capture)
        gc.unfreeze()
    return rows


def _timed(call: Any) -> float:
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) * 1000


def _ms(samples: list[float]) -> str:
    p50, p95 = p50_p95(samples)
    return f"{p50:7.1f} / {p95:7.1f} ms"


def _uncompressed_kb(client: Any, path: str) -> float:
    return len(client.get(path, headers={"Accept-Encoding": "identity"}).data) / 1024


def _row_count(app: Any, spec: Any) -> int | None:
    if spec is None:
        return None
    from coordapp.extensions import db

    with app.app_context():
        total = db.session.scalar(sa.select(sa.func.count()).select_from(spec.entity))
        db.session.remove()
    return int(total or 0)


def _replay(engine: sa.Engine, statements: list[tuple[str, Any]]) -> float:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        start = time.perf_counter()
        for statement, params in statements:
            cursor.execute(statement, params)
            cursor.fetchall()
        took = (time.perf_counter() - start) * 1000
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    return took


def _explain(engine: sa.Engine, scale: int, path: str, statements: list[tuple[str, Any]]) -> None:
    RESULTS.mkdir(exist_ok=True)
    name = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
    parts = []
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        for statement, params in statements:
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            plan = "\n".join(r[0] for r in cursor.fetchall())
            parts.append(f"{statement}\n-- params: {params!r}\n{plan}\n")
        cursor.close()
        raw.rollback()
    finally:
        raw.close()
    (RESULTS / f"lists-explain-{scale}x-{name}.txt").write_text("\n".join(parts))


def render(rows: list[PageRow], repeat: int) -> str:
    lines = [
        f"Home and list pages (100 rows a page), {repeat} timed requests warm and {repeat} "
        f"after a write each ({date.today().isoformat()}).",
        "",
        "| backend | scale | page | rows in table | statements (25 / 100 a page) "
        "| warm p50 / p95 ms | after a write p50 / p95 ms | raw SQL p50 ms | page / raw "
        "| KB compressed (raw) |",
        "| --- | ---: | --- | ---: | :---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        warm, cold, raw = p50_p95(r.warm), p50_p95(r.after_write), p50_p95(r.raw)
        lines.append(
            f"| {r.backend} | {r.scale}x | `{r.path}` | "
            f"{'' if r.rows is None else f'{r.rows:,}'} | {r.statements} "
            f"| {warm[0]:.1f} / {warm[1]:.1f} | {cold[0]:.1f} / {cold[1]:.1f} | {raw[0]:.2f} "
            f"| {r.ratio:.1f} | {r.compressed_kb:.1f} ({r.raw_kb:.0f}) |"
        )
    return "\n".join(lines)


def render_growth(rows: list[PageRow]) -> str:
    """p50 / p95 at the two largest scales of each backend, and their ratio."""
    lines: list[str] = []
    for backend in dict.fromkeys(r.backend for r in rows):
        scales = sorted({r.scale for r in rows if r.backend == backend})
        if len(scales) < 2:
            continue
        small, large = scales[-2], scales[-1]
        by = {(r.scale, r.path): r for r in rows if r.backend == backend}
        lines += [
            "",
            f"Growth on {backend} from {small}x to {large}x ({large // small}x the rows).",
            "",
            f"| page | {small}x warm p50 / p95 ms | {large}x warm p50 / p95 ms | growth p50 / p95 "
            f"| {small}x after a write p50 / p95 | {large}x after a write p50 / p95 "
            "| growth p50 / p95 |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for (scale, path), row in by.items():
            if scale != small or (large, path) not in by:
                continue
            big = by[(large, path)]
            cells = [f"`{path}`"]
            for attr in ("warm", "after_write"):
                a, b = p50_p95(getattr(row, attr)), p50_p95(getattr(big, attr))
                cells += [
                    f"{a[0]:.1f} / {a[1]:.1f}",
                    f"{b[0]:.1f} / {b[1]:.1f}",
                    f"{b[0] / a[0]:.2f} / {b[1] / a[1]:.2f}",
                ]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lists")
    parser.add_argument("--scales", default="1,10,100")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pages", default="", help="only these paths, e.g. /,/hotlines/")
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE (PostgreSQL)")
    parser.add_argument("--output", default=str(RESULTS / "lists.md"))
    databases.add_argument(parser, "lists")
    args = parser.parse_args(argv)
    only = {p.strip() for p in args.pages.split(",") if p.strip()} or None
    rows: list[PageRow] = []
    for backend in args.backends.split(","):
        for scale in (int(s) for s in args.scales.split(",")):
            started = time.perf_counter()
            rows.extend(
                run(backend, scale, args.repeat, args.database_url, only=only, explain=args.explain)
            )
            print(f"{backend} {scale}x done in {time.perf_counter() - started:.1f} s", flush=True)
    table = render(rows, args.repeat) + "\n" + render_growth(rows)
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(table + "\n")
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
