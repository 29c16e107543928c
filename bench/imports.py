"""Import throughput: 10,000 rows through the import engine, dry run and apply.

    python -m bench.imports [--rows 10000] [--backends sqlite,postgresql]

A fresh database per backend (migrations + reference data); a generated CSV of organizations
(every row names its country the way people write it, so the resolver is exercised) and one of
exchange rates with day-first dates and decimal commas. Each file is checked (dry run), applied,
and applied again (every row unchanged). Rows go through the same service verbs and audit as a
manager's upload; the target is under 10 s for 10,000 rows.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import sqlalchemy as sa

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_DB = "coordapp_bench_imports"
COUNTRIES = ("Deutschland", "UK", "United States of America", "Türkiye", "Czechia", "FRA", "NL")
CURRENCIES = ("USD", "GBP", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF")


@contextlib.contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="coordapp-imports-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'imports.sqlite3'}"
        return
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{PG_DB}"'))
        yield admin.url.set(database=PG_DB).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)'))
        admin.dispose()


def organizations_csv(rows: int) -> bytes:
    lines = ["name;kind;status;hq_country;tags"]
    for i in range(rows):
        lines.append(f"Bench Org {i:05d};ngo;active;{COUNTRIES[i % len(COUNTRIES)]};bench")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def rates_csv(rows: int) -> bytes:
    lines = ["base;quote;date;rate"]
    start = date(2000, 1, 1)
    for i in range(rows):
        day = start + timedelta(days=i // len(CURRENCIES))
        quote = CURRENCIES[i % len(CURRENCIES)]
        lines.append(f"EUR;{quote};{day:%d.%m.%Y};1,{1000 + i % 9000:04d}")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def trainings_csv(rows: int) -> bytes:
    """An attendance sheet: 20 participants (organizations of the first file) per event."""
    lines = [
        "title;start_date;end_date;kind;pillar;delivery;location_country;participant;"
        "participants;completed;feedback_score"
    ]
    start = date(2015, 1, 5)
    for i in range(rows):
        event = i // 20
        day = start + timedelta(days=7 * event)
        lines.append(
            f"Bench training {event:04d};{day.isoformat()};{day.isoformat()};workshop;"
            f"Capacity Building;in person;Belgium;Bench Org {i % 10_000:05d};{1 + i % 7};"
            f"{1 + i % 7};4,5"
        )
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def run(backend: str, rows: int) -> None:
    from flask_migrate import upgrade

    from coordapp import create_app
    from coordapp.audit import service as audit
    from coordapp.extensions import db
    from coordapp.imports import service as imports
    from coordapp.reference.service import seed_reference_data

    with database(backend) as url:
        app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": url})
        with app.app_context():
            upgrade()
            session = db.session()
            seed_reference_data(session)
            session.commit()
            audit.set_actor(session, actor_id=None, label="bench:import")
            files = (
                ("organizations", organizations_csv(rows), imports.Options()),
                (
                    "exchange-rates",
                    rates_csv(rows),
                    imports.Options(dates=imports.DateOrder.DMY, decimal=imports.DecimalMark.COMMA),
                ),
                (
                    "trainings",
                    trainings_csv(rows),
                    imports.Options(decimal=imports.DecimalMark.COMMA),
                ),
            )
            for type_name, content, options in files:
                for step, apply in (("dry run", False), ("apply", True), ("re-apply", True)):
                    started = time.perf_counter()
                    cpu = time.process_time()
                    report = imports.run_import(
                        session,
                        type_name=type_name,
                        filename=f"{type_name}.csv",
                        content=content,
                        options=options,
                        apply=apply,
                    )
                    session.commit()
                    seconds = time.perf_counter() - started
                    cpu = time.process_time() - cpu
                    assert report.ok, report.errors[:3]
                    print(
                        f"{backend:10} {type_name:15} {step:9} {report.processed:6} rows "
                        f"{seconds:6.2f} s (this process's CPU {cpu:5.2f} s)  "
                        f"{report.processed / seconds:7,.0f} rows/s  {report.summary()}"
                    )
            db.session.remove()
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    for backend in args.backends.split(","):
        run(backend.strip(), args.rows)


if __name__ == "__main__":
    main()
