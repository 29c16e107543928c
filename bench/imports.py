"""Import throughput: 10,000-row files of every import type through the import engine.

    python -m bench.imports [--rows 10000] [--backends sqlite,postgresql] [--types a,b]
                            [--profile DIR]

A fresh database per backend (migrations + reference data + one manager, the partnerships'
owner). One generated file per type, in an order where each names only what earlier files
created: organizations (countries written as people write them), contacts, hotlines (covered
countries and membership history), partnerships, funding commitments with allocations,
receipts, instalment schedules (one row per commitment, the whole schedule), reporting
requirements (day-first dates), exchange rates (day-first dates, decimal commas), trainings
with participation (an attendance sheet), hotline statistics and pillar targets (their key
space is smaller than 10,000 rows: every pillar x indicator x year there is). Each file is
checked (dry run), applied, and applied again (every row unchanged). Rows go through the same
service verbs and audit as a manager's upload; the target is 10,000 rows checked, and applied,
in at most 10 s of wall time on a quiet machine and at most 8 s of the process's CPU time
(steadier than the wall time on a shared machine). A table of both closes the run.
``--profile DIR`` writes a cProfile (timed by this process's CPU) of each measured step
(``DIR/<backend>-<type>-<step>.prof``, read with ``pstats``).
"""

from __future__ import annotations

import argparse
import cProfile
import secrets
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import databases

COUNTRIES = ("Deutschland", "UK", "United States of America", "Türkiye", "Czechia", "FRA", "NL")
CURRENCIES = ("USD", "GBP", "CHF", "JPY", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF")


def _csv(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def organizations_csv(rows: int) -> bytes:
    lines = ["name;kind;status;hq_country;tags"]
    for i in range(rows):
        lines.append(f"Bench Org {i:05d};ngo;active;{COUNTRIES[i % len(COUNTRIES)]};bench")
    return _csv(lines)


def rates_csv(rows: int) -> bytes:
    lines = ["base;quote;date;rate"]
    start = date(2000, 1, 1)
    for i in range(rows):
        day = start + timedelta(days=i // len(CURRENCIES))
        quote = CURRENCIES[i % len(CURRENCIES)]
        lines.append(f"EUR;{quote};{day:%d.%m.%Y};1,{1000 + i % 9000:04d}")
    return _csv(lines)


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
    return _csv(lines)


def contacts_csv(rows: int) -> bytes:
    lines = ["organization;full_name;job_title;email;phone;last_contacted_on;lawful_basis"]
    for i in range(rows):
        lines.append(
            f"Bench Org {i % 10_000:05d};Contact {i:05d};Trust & Safety lead;"
            f"contact{i:05d}@bench.example;+32 2 555 {i % 100:02d} {i % 97:02d};"
            f"{date(2026, 1, 1) + timedelta(days=i % 300):%d.%m.%Y};Legitimate interest"
        )
    return _csv(lines)


def hotlines_csv(rows: int) -> bytes:
    lines = ["name;country;operator;covered_countries;founded_year;staff_count;membership"]
    for i in range(rows):
        joined = 1999 + i % 25
        lines.append(
            f"Bench Hotline {i:05d};{COUNTRIES[i % len(COUNTRIES)]};Bench Org {i % 10_000:05d};"
            f"Luxembourg | Liechtenstein;{joined};{1 + i % 9};"
            f"{joined}-03-01 applicant | {joined + 1}-06-01 full member"
        )
    return _csv(lines)


def partnerships_csv(rows: int) -> bytes:
    lines = ["organization;title;type;status;start_date;end_date;owner;pillars"]
    for i in range(rows):
        start = date(2015, 1, 1) + timedelta(days=i % 3000)
        lines.append(
            f"Bench Org {i % 10_000:05d};Bench agreement {i:05d};data_sharing;active;"
            f"{start.isoformat()};{start + timedelta(days=3 * 365):%Y-%m-%d};"
            f"{OWNER};Technology & Innovation | Capacity Building"
        )
    return _csv(lines)


def commitments_csv(rows: int) -> bytes:
    lines = ["funder;title;amount;currency;pledged_on;period_start;period_end;allocations"]
    for i in range(rows):
        year = 2000 + i % 27
        lines.append(
            f"Bench Org {i % 10_000:05d};Bench grant {i:05d};{10_000 + i};"
            f"{CURRENCIES[i % len(CURRENCIES)]};{year}-01-15;{year}-01-01;{year}-12-31;"
            "Capacity Building 60% | Technology & Innovation 40%"
        )
    return _csv(lines)


def receipts_csv(rows: int) -> bytes:
    lines = ["funder;commitment;received_on;amount;currency;reference"]
    for i in range(rows):
        grant = i % 10_000
        year = 2000 + grant % 27
        lines.append(
            f"Bench Org {grant:05d};Bench grant {grant:05d};{year}-06-{1 + i // 10_000 % 28:02d};"
            f"{1000 + i % 5000};{CURRENCIES[grant % len(CURRENCIES)]};instalment"
        )
    return _csv(lines)


def instalments_csv(rows: int) -> bytes:
    """One schedule per commitment of the commitments file: two instalments adding up to the
    pledge (amounts in whole units: JPY has no minor units), quoted: the file's separator is
    the schedule's too."""
    lines = ["funder;commitment;instalments"]
    for i in range(rows):
        grant = i % 10_000
        year, amount = 2000 + grant % 27, 10_000 + grant
        first = amount // 2
        lines.append(
            f"Bench Org {grant:05d};Bench grant {grant:05d};"
            f'"{year}-03-31 {first}; {year}-09-30 {amount - first}"'
        )
    return _csv(lines)


def requirements_csv(rows: int) -> bytes:
    """Reporting requirements of the commitments: narrative and financial reports in turn, some
    submitted, some of those accepted (day-first dates)."""
    lines = ["funder;commitment;kind;due_on;submitted_on;accepted_on;document_reference;note"]
    for i in range(rows):
        grant = i % 10_000
        year = 2000 + grant % 26  # submitted and accepted in the past
        due = date(year, 1 + i // 10_000 % 12, 31 if i // 10_000 % 12 == 0 else 28)
        submitted = f"{due - timedelta(days=3):%d.%m.%Y}" if i % 3 else ""
        accepted = f"{due + timedelta(days=10):%d.%m.%Y}" if submitted and i % 2 else ""
        lines.append(
            f"Bench Org {grant:05d};Bench grant {grant:05d};"
            f"{'financial' if i % 2 else 'narrative'};{due:%d.%m.%Y};{submitted};{accepted};"
            f"REP-{i:05d};bench"
        )
    return _csv(lines)


def statistics_csv(rows: int) -> bytes:
    """Quarters of the first hotlines of the hotlines file, from the year after they joined."""
    lines = [
        "hotline;year;quarter;reports_received;reports_assessed_csam;reports_forwarded;"
        "removed_within_3_days_pct"
    ]
    per_hotline = 4 * 25
    for i in range(rows):
        hotline, quarter_number = divmod(i, per_hotline)
        year = 2000 + quarter_number // 4
        lines.append(
            f"Bench Hotline {hotline:05d};{year};{1 + quarter_number % 4};{1000 + i % 700};"
            f"{600 + i % 300};{500 + i % 100};{80 + i % 20},5"
        )
    return _csv(lines)


def pillar_targets_csv(rows: int) -> bytes:
    from coordapp.pillars.models import PillarIndicator

    lines = ["pillar;year;indicator;target_value;description"]
    pillars = (
        "Capacity Building",
        "technology_innovation",
        "Network Expansion",
        "strategic_communications",
    )
    keys = [
        (pillar, year, indicator)
        for year in range(1990, 2101)
        for pillar in pillars
        for indicator in PillarIndicator
    ]
    for i, (pillar, year, indicator) in enumerate(keys[:rows]):
        lines.append(f"{pillar};{year};{indicator.value};{10 + i % 90};bench target")
    return _csv(lines)


OWNER = "owner@bench.example"


def files(rows: int) -> list[tuple[str, bytes, Any]]:
    from coordapp.imports.cells import DateOrder, Options
    from coordapp.validation import DecimalMark

    comma = Options(decimal=DecimalMark.COMMA)
    day_first = Options(dates=DateOrder.DMY, decimal=DecimalMark.COMMA)
    return [
        ("organizations", organizations_csv(rows), Options()),
        ("contacts", contacts_csv(rows), day_first),
        ("hotlines", hotlines_csv(rows), Options()),
        ("partnerships", partnerships_csv(rows), Options()),
        ("funding-commitments", commitments_csv(rows), Options()),
        ("receipts", receipts_csv(rows), Options()),
        ("instalment-schedules", instalments_csv(rows), Options()),
        ("reporting-requirements", requirements_csv(rows), day_first),
        ("exchange-rates", rates_csv(rows), day_first),
        ("trainings", trainings_csv(rows), comma),
        ("hotline-statistics", statistics_csv(rows), comma),
        ("pillar-targets", pillar_targets_csv(rows), Options()),
    ]


@dataclass(frozen=True, slots=True)
class Timing:
    backend: str
    type_name: str
    step: str
    rows: int
    wall: float  # seconds
    cpu: float  # seconds of this process's CPU (``time.process_time``)


STEPS = (("check", False), ("apply", True), ("re-apply", True))


def table(timings: list[Timing]) -> str:
    """A Markdown table: per type and backend, wall and CPU seconds of every step."""
    head = "| file (rows) | backend | " + " | ".join(
        f"{step} wall | {step} CPU" for step, _ in STEPS
    )
    lines = [head + " |", "|---|---|" + "---:|---:|" * len(STEPS)]
    by_run: dict[tuple[str, str], dict[str, Timing]] = {}
    for timing in timings:
        by_run.setdefault((timing.type_name, timing.backend), {})[timing.step] = timing
    for (type_name, backend), steps in by_run.items():
        rows = max(t.rows for t in steps.values())
        cells = " | ".join(
            f"{steps[s].wall:.2f} | {steps[s].cpu:.2f}" if s in steps else "- | -" for s, _ in STEPS
        )
        lines.append(f"| {type_name} ({rows:,}) | {backend} | {cells} |")
    return "\n".join(lines)


def run(
    backend: str,
    rows: int,
    database_url: str,
    types: set[str] | None = None,
    profile: Path | None = None,
) -> list[Timing]:
    from flask_migrate import upgrade

    from coordapp import create_app
    from coordapp.audit import service as audit
    from coordapp.auth import service as auth
    from coordapp.extensions import db
    from coordapp.imports import service as imports
    from coordapp.reference.service import seed_reference_data

    timings: list[Timing] = []
    with databases.scratch(backend, database_url, prefix="coordapp-imports-") as url:
        app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": url})
        with app.app_context():
            upgrade()
            session = db.session()
            seed_reference_data(session)
            session.commit()
            audit.set_actor(session, actor_id=None, label="bench:import")
            auth.create_user(
                session,
                email=OWNER,
                full_name="Bench Owner",
                role="manager",
                password=secrets.token_urlsafe(18),  # nobody signs in as the owner
            )
            session.commit()
            # Every statement sent (a multi-row INSERT counts once).
            statements: list[str] = []
            sa.event.listen(
                db.engine,
                "before_cursor_execute",
                lambda _conn, _cursor, statement, *_: statements.append(statement),
            )
            order = [name for name, _, _ in files(0)]
            last = max(order.index(t) for t in types) if types else len(order) - 1
            for index, (type_name, content, options) in enumerate(files(rows)):
                if index > last:
                    break
                if types and type_name not in types:
                    # A file that later ones name: loaded, not measured.
                    loaded = imports.run_import(
                        session,
                        type_name=type_name,
                        filename=f"{type_name}.csv",
                        content=content,
                        options=options,
                        apply=True,
                    )
                    assert loaded.applied, loaded.errors[:3]
                    session.commit()
                    continue
                for step, apply in STEPS:
                    statements.clear()
                    # Timed by this process's CPU: on a shared machine a wall-clock profile
                    # charges other processes' time to whatever function was running.
                    profiler = cProfile.Profile(time.process_time) if profile is not None else None
                    started = time.perf_counter()
                    cpu = time.process_time()
                    if profiler is not None:
                        profiler.enable()
                    report = imports.run_import(
                        session,
                        type_name=type_name,
                        filename=f"{type_name}.csv",
                        content=content,
                        options=options,
                        apply=apply,
                    )
                    session.commit()
                    if profiler is not None:
                        profiler.disable()
                    seconds = time.perf_counter() - started
                    cpu = time.process_time() - cpu
                    if profiler is not None and profile is not None:
                        profile.mkdir(parents=True, exist_ok=True)
                        profiler.dump_stats(profile / f"{backend}-{type_name}-{step}.prof")
                    timings.append(Timing(backend, type_name, step, report.processed, seconds, cpu))
                    assert report.ok, report.errors[:3]
                    print(
                        f"{backend:10} {type_name:19} {step:9} {report.processed:6} rows "
                        f"{seconds:6.2f} s (this process's CPU {cpu:5.2f} s)  "
                        f"{report.processed / seconds:7,.0f} rows/s  "
                        f"{len(statements) / report.processed:5.2f} statements/row  "
                        f"{report.summary()}"
                    )
            db.session.remove()
            db.engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    databases.add_argument(parser, "imports")
    parser.add_argument(
        "--types",
        default="",
        help="only these types (comma-separated); the files before them are still loaded",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="write a cProfile of each measured step into this folder (slows the run down)",
    )
    args = parser.parse_args()
    types = {t.strip() for t in args.types.split(",") if t.strip()} or None
    timings: list[Timing] = []
    for backend in args.backends.split(","):
        timings += run(backend.strip(), args.rows, args.database_url, types, args.profile)
    print()
    print(table(timings))


if __name__ == "__main__":
    main()
