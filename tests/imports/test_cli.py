"""``flask import TYPE FILE``: the report printed, exit 1 on errors, --dry-run writes nothing."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from coordapp.audit.models import AuditEvent
from coordapp.extensions import db
from coordapp.funding.models import ExchangeRate


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def rates(app: Flask) -> int:
    with app.app_context():
        return db.session().scalar(sa.select(sa.func.count()).select_from(ExchangeRate)) or 0


def test_dry_run_then_apply_then_unchanged(
    app: Flask, db_conn: sa.Connection, tmp_path: Path
) -> None:
    file = tmp_path / "rates.csv"
    file.write_text("base;quote;date;rate\nEUR;USD;31/03/2026;1,085\nEUR;GBP;31/03/2026;0,855\n")
    before = rates(app)
    options = ("--dates", "dmy", "--decimal", "comma")
    code, out = run(app, "import", "exchange-rates", str(file), "--dry-run", *options)
    assert code == 0, out
    assert "row 2: create EUR/USD 2026-03-31" in out and "Dry run, nothing written" in out
    assert rates(app) == before
    code, out = run(app, "import", "exchange-rates", str(file), *options)
    assert code == 0 and "Applied: 2 rows: 2 to create" in out
    assert rates(app) == before + 2
    code, out = run(app, "import", "exchange-rates", str(file), *options)
    assert code == 0 and "0 to create, 0 to update, 2 unchanged" in out
    with app.app_context():
        actors = set(
            db.session().scalars(
                sa.select(AuditEvent.actor_label).where(AuditEvent.entity_type == "exchange_rates")
            )
        )
    assert actors == {"cli:import"}


def test_errors_exit_1_and_write_nothing(
    app: Flask, db_conn: sa.Connection, tmp_path: Path
) -> None:
    file = tmp_path / "rates.csv"
    file.write_text("base,quote,date,rate\nEUR,USD,2026-03-31,1.085\nEUR,ZZZ,2026-03-31,2\n")
    before = rates(app)
    code, out = run(app, "import", "exchange-rates", str(file))
    assert code == 1
    assert "row 3: error in quote:" in out and "Nothing written" in out
    assert rates(app) == before


def test_bad_type_and_file(app: Flask, db_conn: sa.Connection, tmp_path: Path) -> None:
    file = tmp_path / "x.txt"
    file.write_text("hello")
    code, out = run(app, "import", "widgets", str(file))
    assert code == 1 and "Unknown import type 'widgets'" in out
    code, out = run(app, "import", "organizations", str(file))
    assert code == 1 and "Upload a .csv or .xlsx file" in out
