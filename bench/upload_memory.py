"""Peak memory of checking (dry run) a ~10 MB import file, CSV and XLSX.

    python -m bench.upload_memory [--megabytes 9.5]

Builds an organizations file of just under the upload limit in each format (about 19,000 rows
with long random notes, so that the XLSX is 10 MB even compressed), then checks each in a fresh
process on a migrated SQLite database and reports that process's peak resident set size
(``ru_maxrss``) before and after the check. Nothing is applied.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = 19_000
KINDS = ("industry", "ngo", "foundation", "academic", "government")


def _notes(rng: random.Random, length: int) -> str:
    words = []
    while sum(len(w) + 1 for w in words) < length:
        words.append("".join(rng.choices(string.ascii_lowercase, k=rng.randint(3, 9))))
    return " ".join(words)[:length]


def _rows(note_length: int) -> list[list[str]]:
    rng = random.Random(13)
    return [
        [f"Bench Memory Org {i:05d}", KINDS[i % len(KINDS)], "active", "Germany", "", "a, b"]
        + [_notes(rng, note_length)]
        for i in range(ROWS)
    ]


HEADER = ["name", "kind", "status", "hq_country", "website", "tags", "notes"]


def csv_file(note_length: int) -> bytes:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(_rows(note_length))
    return buffer.getvalue().encode()


def xlsx_file(note_length: int) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Organizations")
    sheet.append(HEADER)
    for row in _rows(note_length):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sized(build: object, target: int) -> bytes:
    """The file with notes as long as fits under ``target`` bytes (two tries suffice)."""
    assert callable(build)
    length = 400
    content: bytes = build(length)
    for _ in range(3):
        length = int(length * target / len(content) * 0.99)
        content = build(length)
    while len(content) > target:
        length -= 10
        content = build(length)
    return content


def prepare(directory: Path) -> str:
    from flask_migrate import upgrade

    from coordapp import create_app
    from coordapp.extensions import db
    from coordapp.reference.service import seed_reference_data

    url = f"sqlite:///{directory / 'memory.sqlite3'}"
    app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": url})
    with app.app_context():
        upgrade()
        seed_reference_data(db.session())
        db.session.commit()
        db.engine.dispose()
    return url


def measure(url: str, path: Path) -> dict[str, object]:
    """In this (fresh) process: the app ready, then one dry run; peak RSS before and after."""
    from coordapp import create_app
    from coordapp.extensions import db
    from coordapp.imports import readers  # noqa: F401  (openpyxl loaded before the baseline)
    from coordapp.imports import service as imports

    app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": url})
    with app.app_context():
        session = db.session()
        imports.run_import(  # warm: every module and query the check uses is loaded
            session,
            type_name="organizations",
            filename="warm.csv",
            content=b"name,kind\r\nWarm Org,industry\r\n",
        )
        session.rollback()
        content = path.read_bytes()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        report = imports.run_import(
            session, type_name="organizations", filename=path.name, content=content
        )
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        session.rollback()
    return {
        "file": path.name,
        "megabytes": round(len(content) / 1024 / 1024, 2),
        "rows": report.processed,
        "errors": len(report.errors) + len(report.file_errors),
        "peak_rss_before_mb": round(before / 1024),
        "peak_rss_after_mb": round(after / 1024),
        "check_mb": round((after - before) / 1024),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=9.5)
    parser.add_argument("--measure", nargs=2, metavar=("URL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], Path(args.measure[1]))))
        return
    target = int(args.megabytes * 1024 * 1024)
    with tempfile.TemporaryDirectory(prefix="coordapp-memory-") as tmp:
        directory = Path(tmp)
        url = prepare(directory)
        for name, build in (("organizations.csv", csv_file), ("organizations.xlsx", xlsx_file)):
            path = directory / name
            path.write_bytes(sized(build, target))
            result = subprocess.run(  # noqa: S603  (our own interpreter and module)
                [sys.executable, "-m", "bench.upload_memory", "--measure", url, str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            print(result.stdout.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
