"""Money rows the dry run asks a person to look at (#14 item 5): receipts over their
commitment or outside its period, receipts and pledges in a currency no rate converts. They are
warnings, never errors: the file still applies."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.extensions import db
from coordapp.funding.models import FundingCommitment, FundingReceipt
from coordapp.imports import service as imports
from tests import factories
from tests.imports.test_service import count, csv_bytes, run
from tests.imports.test_views import upload

InApp = Callable[[], AbstractContextManager[Session]]
SignedIn = Callable[[str], FlaskClient]

HEADER = "funder,commitment,received_on,amount,currency,reference"


def arrange(session: Session) -> None:
    """Two USD pledges of 2025 (USD converts from 2025-01-02), USD 400 received on the first."""
    funder = factories.organization(session, name="Gamma Foundation")
    factories.rate(session, base="EUR", quote="USD", on=date(2025, 1, 2), value="1.05")
    for title in ("Core grant", "Small grant"):
        factories.commitment(
            session,
            amount="1000",
            currency="USD",
            pledged_on=date(2025, 1, 2),
            period_start=date(2025, 1, 1),
            period_end=date(2025, 12, 31),
            funder=funder,
            title=title,
        )
    core = session.scalars(
        sa.select(FundingCommitment).where(FundingCommitment.title == "Core grant")
    ).one()
    factories.receipt(session, commitment=core, amount="400", currency="USD", on=date(2025, 1, 20))


FILE = (
    HEADER,
    "Gamma Foundation,Core grant,2025-02-01,500,USD,second",  # 900 of 1,000
    "Gamma Foundation,Core grant,2025-03-01,200,,third",  # 1,100: over
    "Gamma Foundation,Small grant,2026-02-01,100,USD,late",  # after the period
    "Gamma Foundation,Small grant,2025-05-01,100,AED,dirham",  # no AED rate
)


def test_the_dry_run_warns_and_the_file_still_applies(session: Session) -> None:
    arrange(session)
    report = run(session, csv_bytes(*FILE), type_name="receipts")
    assert report.ok and count(session, FundingReceipt) == 1
    warnings = [row.warnings for row in report.rows]
    assert warnings[0] == []
    assert warnings[1] == [
        "With this receipt, USD 1,100.00 of the USD 1,000.00 pledged in 'Core grant' is "
        "received (110.00%): USD 100.00 more than the commitment."
    ]
    assert warnings[2] == [
        "Received on 2026-02-01, after its period ended (2025-12-31) of the commitment "
        "'Small grant'."
    ]
    assert warnings[3] == [
        "There is no rate between AED and EUR on or before 2025-05-01: the receipt of "
        "AED 100.00 is left out of every total in EUR until one is added. Add it under "
        "Exchange rates › New: EUR/AED, dated 2025-05-01 or earlier."
    ]
    lines = imports.report_lines(report)
    assert "row 3: warning: With this receipt, USD 1,100.00" in "\n".join(lines)
    applied = run(session, csv_bytes(*FILE), type_name="receipts", apply=True)
    assert applied.applied and count(session, FundingReceipt) == 5
    # Applied again, every row is the one stored: a row is not counted twice.
    again = run(session, csv_bytes(*FILE), type_name="receipts")
    assert {row.outcome.value for row in again.rows} == {"unchanged"}
    assert again.rows[1].warnings == warnings[1]


def test_a_pledge_no_rate_converts_is_a_warning(session: Session) -> None:
    factories.organization(session, name="Gamma Foundation")
    factories.rate(session, base="EUR", quote="USD", on=date(2025, 1, 2), value="1.05")
    content = csv_bytes(
        "funder,title,amount,currency,pledged_on,period_start,period_end,allocations",
        "Gamma Foundation,Dollar grant,1000,USD,2025-02-01,2025-01-01,2025-12-31,"
        "Capacity Building 100%",
        "Gamma Foundation,Early grant,1000,USD,2024-12-01,2025-01-01,2025-12-31,"
        "Capacity Building 100%",
    )
    report = run(session, content, type_name="funding-commitments")
    assert report.ok, report.errors
    assert report.rows[0].warnings == []
    assert report.rows[1].warnings == [
        "There is no rate between USD and EUR on or before 2024-12-01: the pledge in USD is "
        "left out of every total in EUR until one is added. Add it under Exchange rates › New: "
        "EUR/USD, dated 2024-12-01 or earlier."
    ]


def test_the_cli_dry_run_prints_the_warnings(
    app: Flask, db_conn: sa.Connection, tmp_path: Path
) -> None:
    with app.app_context():
        arrange(db.session())
        db.session().commit()
    file = tmp_path / "receipts.csv"
    file.write_text("\n".join(FILE) + "\n", encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["import", "receipts", str(file), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "row 3: warning: With this receipt, USD 1,100.00 of the USD 1,000.00" in result.output
    assert "row 4: warning: Received on 2026-02-01, after its period ended" in result.output
    assert "row 5: warning: There is no rate between AED and EUR" in result.output


def test_the_dry_run_page_lists_the_warnings(signed_in: SignedIn, in_app: InApp) -> None:
    with in_app() as s:
        arrange(s)
    page = upload(
        signed_in("manager"), csv_bytes(*FILE), filename="receipts.csv", type_name="receipts"
    ).get_data(as_text=True)
    assert "row(s) to look at before applying" in page
    assert "Row 3: With this receipt, USD 1,100.00 of the USD 1,000.00 pledged" in page
    assert "Row 5: There is no rate between AED and EUR on or before 2025-05-01" in page
