"""Import types whose rows write a record and its parts: dry run, apply, re-apply, one bad row.

Hotlines with membership events and covered countries, partnerships, funding commitments with
allocations, receipts, trainings with participation, hotline statistics.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent
from coordapp.auth import service as auth_service
from coordapp.auth.models import Role
from coordapp.data_version import data_version
from coordapp.funding import obligations
from coordapp.funding.models import (
    FundingCommitment,
    FundingInstalment,
    FundingReceipt,
    ReportingRequirement,
)
from coordapp.imports import templates
from coordapp.imports.cells import DateOrder, Options
from coordapp.imports.report import ImportReport, Outcome
from coordapp.network.coverage import CoverageStatus, coverage_as_of
from coordapp.network.models import Hotline, HotlineMembershipEvent, MembershipStatus
from coordapp.partners.models import Contact, Partnership
from coordapp.stats.models import HotlineQuarter, HotlineStatistic, QuarterState
from coordapp.training.models import TrainingEvent, TrainingParticipation
from coordapp.validation import DecimalMark
from tests import factories
from tests.imports.test_service import count, csv_bytes, run, xlsx_bytes


def outcomes(report: ImportReport) -> list[str]:
    return [row.outcome.value for row in report.rows]


def apply_twice(session: Session, content: bytes, type_name: str, **kw: object) -> None:
    """Apply, then apply the same file again: the second run changes nothing."""
    first = run(session, content, type_name=type_name, apply=True, **kw)
    assert first.applied, first.errors
    again = run(session, content, type_name=type_name, apply=True, **kw)
    assert again.ok, again.errors
    assert set(outcomes(again)) == {"unchanged"}, [(r.row, r.changed) for r in again.rows]


def selects_while_importing(
    session: Session, content: bytes, type_name: str, **kw: object
) -> tuple[int, ImportReport]:
    """Apply the file; how many SELECT statements it took (look-ups, not writes)."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    connection = session.connection()
    sa.event.listen(connection, "before_cursor_execute", record)
    try:
        report = run(session, content, type_name=type_name, apply=True, **kw)
    finally:
        sa.event.remove(connection, "before_cursor_execute", record)
    return sum(s.lstrip().upper().startswith("SELECT") for s in statements), report


def selects_to_create_then_match(session: Session, lines: list[str], type_name: str) -> int:
    """SELECTs to apply the file (every row new) and to apply it again (every row unchanged)."""
    found, report = selects_while_importing(session, csv_bytes(*lines), type_name)
    assert report.applied and set(outcomes(report)) == {"create"}, report.errors[:2]
    again, report = selects_while_importing(session, csv_bytes(*lines), type_name)
    assert report.applied and set(outcomes(report)) == {"unchanged"}, report.errors[:2]
    return found + again


# --- hotlines with membership events and covered countries -----------------------------------

HOTLINES = (
    "name;country;operator;covered_countries;founded_year;membership",
    "Hotline Alpenland;Österreich;Alpen Trust;Liechtenstein;2019;"
    "2019-05-01 applicant | 2020-06-01 provisional | 2022-06-01 full member",
    "Seoul Safe Line;Korea, Rep.;;;2021;2021-03-01 applicant",
    "Tirana Line;Albania;;Kosovo;;",
)


def test_hotlines_dry_run_apply_reapply(session: Session) -> None:
    factories.organization(session, name="Alpen Trust")
    content = csv_bytes(*HOTLINES)
    dry = run(session, content, type_name="hotlines")
    assert dry.ok, dry.errors
    assert outcomes(dry) == ["create"] * 3
    assert count(session, Hotline) == 0

    apply_twice(session, content, "hotlines")
    alpen = session.scalars(sa.select(Hotline).where(Hotline.name == "Hotline Alpenland")).one()
    assert alpen.country_code == "AT" and alpen.operator is not None
    assert sorted(c.alpha2 for c in alpen.covered_countries) == ["AT", "LI"]
    assert [(e.event_date, e.status) for e in alpen.membership_events] == [
        (date(2019, 5, 1), MembershipStatus.APPLICANT),
        (date(2020, 6, 1), MembershipStatus.PROVISIONAL),
        (date(2022, 6, 1), MembershipStatus.FULL),
    ]
    seoul = session.scalars(sa.select(Hotline).where(Hotline.name == "Seoul Safe Line")).one()
    assert seoul.country_code == "KR"
    # The import feeds the derived coverage: Liechtenstein is covered by a full member now.
    covered = {
        c.country_code
        for c in coverage_as_of(session, on=date(2023, 1, 1))
        if c.status == CoverageStatus.FULL
    }
    assert {"AT", "LI"} <= covered


def test_hotlines_update_adds_events_and_countries_keeps_history(session: Session) -> None:
    run(session, csv_bytes(*HOTLINES[:1], HOTLINES[3]), type_name="hotlines", apply=True)
    changed = csv_bytes(
        "name,country,covered_countries,membership",
        'Tirana Line,AL,"Kosovo; North Macedonia",2024-01-10 applicant',
    )
    report = run(session, changed, type_name="hotlines", apply=True)
    assert report.applied, report.errors
    assert outcomes(report) == ["update"]
    assert set(report.rows[0].changed) >= {"covered_countries", "membership"}
    tirana = session.scalars(sa.select(Hotline).where(Hotline.name == "Tirana Line")).one()
    assert sorted(c.alpha2 for c in tirana.covered_countries) == ["AL", "MK", "XK"]
    assert len(tirana.membership_events) == 1


def test_a_hotline_named_twice_in_one_file_gets_both_rows_history(session: Session) -> None:
    content = csv_bytes(
        "name,country,membership",
        "Hotline Twice,Belgium,2019-05-01 applicant | 2020-06-01 provisional",
        "Hotline Twice,Belgium,2020-06-01 provisional | 2022-06-01 full",
    )
    dry = run(session, content, type_name="hotlines")
    assert dry.ok and outcomes(dry) == ["create", "update"], dry.errors
    report = run(session, content, type_name="hotlines", apply=True)
    assert report.applied, report.errors
    assert outcomes(report) == ["create", "update"]
    hotline = session.scalars(sa.select(Hotline).where(Hotline.name == "Hotline Twice")).one()
    session.refresh(hotline)
    assert [(e.event_date.year, str(e.status)) for e in hotline.membership_events] == [
        (2019, "applicant"),
        (2020, "provisional"),
        (2022, "full"),
    ]
    apply_twice(session, content, "hotlines")


def test_names_with_accented_capitals_match_in_any_case(session: Session) -> None:
    """SQLite's own lower() folds ASCII only; the app's replaces it (PostgreSQL folds Unicode)."""
    from coordapp.network import hotlines as network_hotlines

    factories.hotline(session, country="IE", name="Hotline Éire")
    factories.organization(session, name="Örebro Trust")
    session.flush()
    assert network_hotlines.hotline_by_name(session, "hotline éire") is not None
    hotlines = csv_bytes("name,country", "HOTLINE ÉIRE,Ireland")
    report = run(session, hotlines, type_name="hotlines", apply=True)
    # Matched, not a second hotline (the file's spelling of the name is kept, as for ASCII).
    assert report.applied and outcomes(report) == ["update"], report.errors
    assert report.rows[0].changed == ("name",) and count(session, Hotline) == 1
    sheet = csv_bytes(
        TRAINING[0],
        TRAINING[1].replace("Hotline BE", "hotline éire"),
        TRAINING[2].replace("Alpha Cloud", "örebro trust"),
    )
    report = run(session, sheet, type_name="trainings", apply=True)
    assert report.applied and outcomes(report) == ["create", "create"], report.errors


def test_hotlines_impossible_history_is_an_error_on_its_row(session: Session) -> None:
    content = csv_bytes(
        "name,country,membership",
        "Good Line,Portugal,2020-01-01 applicant",
        "Bad Line,Spain,2020-01-01 withdrawn; 2019-01-01 full; 2021-13-01 applicant",
        "Other Line,Narnia,",
    )
    report = run(session, content, type_name="hotlines", apply=True)
    assert not report.applied and count(session, Hotline) == 0
    errors = {(e.row, e.column) for e in report.errors}
    assert (3, "membership") in errors  # month 13
    assert (4, "country") in errors and "Narnia" in report.errors[-1].message


# --- partnerships ----------------------------------------------------------------------------


def _manager(session: Session) -> str:
    user = auth_service.create_user(
        session,
        email="owner@test.example",
        full_name="Owner",
        role=Role.MANAGER,
        password="a long enough password 1",
    )
    return user.email


PARTNERSHIPS = (
    "organization,title,type,status,start_date,end_date,owner,pillars,document_refs",
    "Alpha Cloud,Hash sharing MoU,strategic MoU,active,01.01.2026,31.12.2027,{owner},"
    '"Technology & Innovation; Capacity Building",https://intranet.example.org/mou',
    "alpha cloud,Grant 2026,funding,negotiating,,,,,",
)


def test_partnerships_dry_run_apply_reapply(session: Session) -> None:
    factories.organization(session, name="Alpha Cloud")
    owner = _manager(session)
    content = csv_bytes(*(line.replace("{owner}", owner) for line in PARTNERSHIPS))
    options = Options(dates=DateOrder.DMY)
    dry = run(session, content, type_name="partnerships", options=options)
    assert dry.ok, dry.errors
    assert outcomes(dry) == ["create", "create"] and count(session, Partnership) == 0
    apply_twice(session, content, "partnerships", options=options)
    mou = session.scalars(
        sa.select(Partnership).where(Partnership.title == "Hash sharing MoU")
    ).one()
    assert mou.end_date == date(2027, 12, 31) and mou.owner is not None
    assert sorted(p.name for p in mou.pillars) == ["Capacity Building", "Technology & Innovation"]


def test_partnership_update_checks_status_transitions(session: Session) -> None:
    org = factories.organization(session, name="Alpha Cloud")
    factories.partnership(session, organization=org, title="Old MoU")
    pillars_only = csv_bytes(
        "organization,title,type,pillars", "Alpha Cloud,Old MoU,funding,Network Expansion"
    )
    report = run(session, pillars_only, type_name="partnerships", apply=True)
    assert report.applied and outcomes(report) == ["update"]
    assert report.rows[0].changed == ("pillars",)
    backwards = csv_bytes("organization,title,type,status", "Alpha Cloud,Old MoU,funding,prospect")
    report = run(session, backwards, type_name="partnerships", apply=True)
    assert not report.applied
    assert report.errors[0].column == "status" and "Prospect" in report.errors[0].message


def test_partnerships_unknown_owner_and_organization(session: Session) -> None:
    content = csv_bytes(
        "organization,title,type,owner",
        "Nobody Inc,MoU,funding,",
        "Nobody Inc,MoU 2,funding,ghost@example.org",
    )
    report = run(session, content, type_name="partnerships", apply=True)
    assert not report.applied and count(session, Partnership) == 0
    assert report.errors[0].row == 2 and report.errors[0].column == "organization"
    assert any(e.column == "owner" and "ghost@example.org" in e.message for e in report.errors)


@pytest.mark.parametrize(
    ("type_name", "per_row"), [("contacts", 0), ("partnerships", 0), ("funding-commitments", 0)]
)
def test_rows_naming_organizations_take_no_query_each(
    session: Session, type_name: str, per_row: int
) -> None:
    """A file's organizations (and owners) are looked up together, not once or twice per row;
    existing records are found through one key index (contacts by email)."""
    owner = _manager(session)
    for i in range(40):
        factories.organization(session, name=f"Partner {i:02d}")
    session.flush()
    header, line = {
        "contacts": (
            "organization,full_name,email",
            "Partner {i:02d},Person {i},person{i}.{batch}@example.org",
        ),
        "partnerships": (
            "organization,title,type,owner,pillars",
            "partner {i:02d},MoU {batch},funding," + owner + ",Capacity Building",
        ),
        "funding-commitments": (
            "funder,title,amount,currency,pledged_on,period_start,period_end,allocations",
            "PARTNER {i:02d},Grant {batch},1000,EUR,2026-01-05,2026-01-01,2026-12-31,"
            "Capacity Building 100%",
        ),
    }[type_name]

    def selects(rows: int, batch: str) -> int:
        lines = [header, *(line.format(i=i, batch=batch) for i in range(rows))]
        return selects_to_create_then_match(session, lines, type_name)

    selects(1, "warm-up")
    assert selects(40, "large") - selects(5, "small") == per_row * (40 - 5) * 2


@pytest.mark.parametrize(
    ("type_name", "header", "line"),
    [
        ("organizations", "name,kind,hq_country", "Org {batch} {i:02d},ngo,Belgium"),
        ("hotlines", "name,country,membership", "Line {batch} {i:02d},BE,2019-05-01 applicant"),
    ],
)
def test_new_names_are_checked_for_duplicates_without_a_query_each(
    session: Session, type_name: str, header: str, line: str
) -> None:
    """The service's check that a new name is free is answered from the names the file was
    looked up with; a name taken before the file is matched, not created again."""

    def selects(rows: int, batch: str) -> int:
        lines = [header, *(line.format(i=i, batch=batch) for i in range(rows))]
        return selects_to_create_then_match(session, lines, type_name)

    selects(1, "warm-up")
    assert selects(5, "small") == selects(40, "large")
    factories.organization(session, name="Taken Name")
    factories.hotline(session, country="BE", name="Taken Line")
    taken = {"organizations": "taken name,ngo,Belgium", "hotlines": "TAKEN LINE,BE,"}[type_name]
    report = run(session, csv_bytes(header, taken), type_name=type_name, apply=True)
    assert report.applied and outcomes(report) == ["update"], report.errors


def test_a_row_matching_two_existing_records_is_an_error(session: Session) -> None:
    funder = factories.organization(session, name="Gamma Foundation")
    for _ in range(2):
        factories.commitment(
            session,
            amount="100",
            currency="EUR",
            pledged_on=date(2026, 1, 5),
            funder=funder,
            title="Twice",
        )
    content = csv_bytes(
        "funder,title,amount,currency,pledged_on,period_start,period_end,allocations",
        "Gamma Foundation,twice,100,EUR,2026-01-05,2026-01-01,2026-12-31,Capacity Building 100%",
    )
    report = run(session, content, type_name="funding-commitments", apply=True)
    assert not report.applied
    assert "More than one existing funding commitments record" in report.errors[0].message


def test_contacts_without_email_are_matched_by_name_at_their_organization(
    session: Session,
) -> None:
    """Rows are written a batch at a time; a contact without email is still found when an
    earlier row of the same file created it."""
    factories.organization(session, name="Alpha Cloud")
    content = csv_bytes(
        "organization,full_name,job_title,email",
        "Alpha Cloud,Kim Example,Analyst,",
        "Alpha Cloud,Lee Example,Lead,lee@alpha.example",
        "alpha cloud,kim example,Senior analyst,",
        "Alpha Cloud,Lee Example,Head,LEE@alpha.example",
    )
    report = run(session, content, type_name="contacts", apply=True)
    assert report.applied, report.errors
    assert outcomes(report) == ["create", "create", "update", "update"]
    titles = {e: t for e, t in session.execute(sa.select(Contact.email, Contact.job_title))}
    assert titles == {None: "Senior analyst", "lee@alpha.example": "Head"}
    again = run(session, content, type_name="contacts", apply=True)
    assert again.applied and count(session, Contact) == 2


# --- funding commitments with allocations ----------------------------------------------------

COMMITMENTS = (
    "funder;title;amount;currency;pledged_on;period_start;period_end;allocations",
    "Gamma Foundation;Analyst grant;120.000,00;usd;15.10.2026;01.01.2027;31.12.2027;"
    "Capacity Building 60%| Technology & Innovation 40%",
    "Gamma Foundation;Thirds;100;EUR;2026-10-01;2026-10-01;2027-09-30;"
    "Capacity Building: 33,33% | Network Expansion: 33,33% | Strategic Communications: 33,34%",
    "Gamma Foundation;By amount;1.000;GBP;2026-09-01;2026-09-01;2027-08-31;"
    "Network Expansion 250 | Capacity Building 750",
)


def test_commitments_with_allocations(session: Session) -> None:
    factories.organization(session, name="Gamma Foundation")
    content = csv_bytes(*COMMITMENTS)
    options = Options(dates=DateOrder.DMY, decimal=DecimalMark.COMMA)
    dry = run(session, content, type_name="funding-commitments", options=options)
    assert dry.ok, dry.errors
    assert count(session, FundingCommitment) == 0
    apply_twice(session, content, "funding-commitments", options=options)
    grant = session.scalars(
        sa.select(FundingCommitment).where(FundingCommitment.title == "Analyst grant")
    ).one()
    assert grant.amount == Decimal("120000") and grant.currency_code == "USD"
    shares = sorted((a.pillar.name, a.amount) for a in grant.allocations)
    assert shares == [
        ("Capacity Building", Decimal("72000")),
        ("Technology & Innovation", Decimal("48000")),
    ]
    thirds = session.scalars(
        sa.select(FundingCommitment).where(FundingCommitment.title == "Thirds")
    ).one()
    assert sum((a.amount for a in thirds.allocations), Decimal(0)) == Decimal("100")


def test_a_commitment_repeated_in_one_file_is_matched_by_the_later_rows(
    session: Session,
) -> None:
    factories.organization(session, name="Gamma Foundation")
    halves = COMMITMENTS[1].replace(
        "60%| Technology & Innovation 40%", "50%| technology_innovation 50%"
    )
    content = csv_bytes(*COMMITMENTS[:2], COMMITMENTS[1], halves)
    options = Options(dates=DateOrder.DMY, decimal=DecimalMark.COMMA)
    dry = run(session, content, type_name="funding-commitments", options=options)
    assert dry.ok and outcomes(dry) == ["create", "unchanged", "update"], dry.errors
    assert dry.rows[2].changed == ("allocations",)
    report = run(session, content, type_name="funding-commitments", options=options, apply=True)
    assert report.applied and outcomes(report) == ["create", "unchanged", "update"]
    (grant,) = session.scalars(sa.select(FundingCommitment))
    assert sorted(a.amount for a in grant.allocations) == [Decimal(60000)] * 2


def test_commitment_allocations_must_add_up_and_can_change(session: Session) -> None:
    factories.organization(session, name="Gamma Foundation")
    run(
        session,
        csv_bytes(COMMITMENTS[0], COMMITMENTS[1]),
        type_name="funding-commitments",
        options=Options(dates=DateOrder.DMY, decimal=DecimalMark.COMMA),
        apply=True,
    )
    moved = csv_bytes(
        "funder,title,amount,currency,pledged_on,period_start,period_end,allocations",
        "Gamma Foundation,Analyst grant,120000,USD,2026-10-15,2027-01-01,2027-12-31,"
        "Capacity Building 50%; Technology & Innovation 50%",
        "Gamma Foundation,Too much,100,EUR,2026-10-01,2026-10-01,2027-09-30,"
        "Capacity Building 70%; Network Expansion 40%",
        "Gamma Foundation,Mixed,100,EUR,2026-10-01,2026-10-01,2027-09-30,"
        "Capacity Building 70%; Network Expansion 30",
    )
    report = run(session, moved, type_name="funding-commitments", apply=True)
    assert not report.applied
    assert outcomes(report) == ["update", "error", "error"]
    assert report.rows[0].changed == ("allocations",)
    assert "110" in report.rows[1].errors[0].message
    assert "every share" in report.rows[2].errors[0].message
    grant = session.scalars(
        sa.select(FundingCommitment).where(FundingCommitment.title == "Analyst grant")
    ).one()
    assert sorted(a.amount for a in grant.allocations) == [Decimal("48000"), Decimal("72000")]


# --- receipts --------------------------------------------------------------------------------


def test_receipts_dry_run_apply_reapply_and_equal_payments(session: Session) -> None:
    funder = factories.organization(session, name="Gamma Foundation")
    pledge = factories.commitment(
        session, amount="90000", currency="USD", pledged_on=date(2026, 1, 5), funder=funder
    )
    content = csv_bytes(
        "funder,commitment,received_on,amount,currency,reference",
        f"Gamma Foundation,{pledge.title},2026-02-01,30000,,First",
        f"gamma foundation,{pledge.title.upper()},2026-02-01,30000,USD,",
        f"Gamma Foundation,{pledge.title},2026-03-01,25000,EUR,Second",
    )
    dry = run(session, content, type_name="receipts")
    assert dry.ok, dry.errors and count(session, FundingReceipt) == 0
    assert outcomes(dry) == ["create"] * 3
    apply_twice(session, content, "receipts")
    receipts = session.scalars(sa.select(FundingReceipt).order_by(FundingReceipt.id)).all()
    assert [(r.amount, r.currency_code) for r in receipts] == [
        (Decimal("30000"), "USD"),
        (Decimal("30000"), "USD"),
        (Decimal("25000"), "EUR"),
    ]


def test_receipts_are_matched_without_a_query_per_row(session: Session) -> None:
    for i in range(40):
        factories.commitment(
            session,
            amount="1000",
            currency="EUR",
            pledged_on=date(2026, 1, 5),
            funder=factories.organization(session, name=f"Funder {i:02d}"),
            title="Core grant",
        )
    session.flush()

    def selects(rows: int, day: int) -> int:
        lines = ["funder,commitment,received_on,amount,currency,reference"] + [
            f"Funder {i:02d},core grant,2026-02-{day:02d},100,EUR,Instalment" for i in range(rows)
        ]
        return selects_to_create_then_match(session, lines, "receipts")

    selects(1, 1)
    assert selects(5, 2) == selects(40, 3)
    assert count(session, FundingReceipt) == 1 + 5 + 40


def test_receipts_bad_rows(session: Session) -> None:
    funder = factories.organization(session, name="Gamma Foundation")
    pledge = factories.commitment(
        session, amount="90000", currency="USD", pledged_on=date(2026, 1, 5), funder=funder
    )
    content = csv_bytes(
        "funder,commitment,received_on,amount,currency",
        f"Gamma Foundation,{pledge.title},2026-02-01,30000,USD",
        "Gamma Foundation,No such pledge,2026-02-01,30000,USD",
        f"Gamma Foundation,{pledge.title},2099-02-01,30000,USD",
        f"Gamma Foundation,{pledge.title},2026-02-01,-5,USD",
        f"Gamma Foundation,{pledge.title},2026-02-01,5,ABC",
    )
    report = run(session, content, type_name="receipts", apply=True)
    assert not report.applied and count(session, FundingReceipt) == 0
    assert outcomes(report) == ["create", "error", "error", "error", "error"]
    assert report.rows[1].errors[0].column == "commitment"
    assert report.rows[2].errors[0].column == "received_on"


# --- trainings with participation ------------------------------------------------------------

TRAINING = (
    "title,start_date,end_date,kind,pillar,delivery,location_country,participant,participants,"
    "completed,feedback_score",
    "Analyst workshop,2026-11-16,2026-11-17,workshop,Capacity Building,in person,Belgium,"
    "Hotline BE,3,3,4.5",
    "Analyst workshop,2026-11-16,2026-11-17,workshop,Capacity Building,in person,Belgium,"
    "Alpha Cloud,2,,",
    "Webinar on hashing,2026-10-01,2026-10-01,webinar,technology_innovation,online,,,,,",
)


def test_trainings_attendance_sheet(session: Session) -> None:
    factories.hotline(session, country="BE", name="Hotline BE")
    factories.organization(session, name="Alpha Cloud")
    content = csv_bytes(*TRAINING)
    dry = run(session, content, type_name="trainings")
    assert dry.ok, dry.errors
    assert outcomes(dry) == ["create", "create", "create"]
    assert count(session, TrainingEvent) == 0
    apply_twice(session, content, "trainings")
    assert count(session, TrainingEvent) == 2
    rows = session.scalars(sa.select(TrainingParticipation)).all()
    assert sorted(r.participants for r in rows) == [2, 3]

    more = csv_bytes(TRAINING[0], TRAINING[1].replace(",3,3,4.5", ",4,3,4.5"))
    report = run(session, more, type_name="trainings", apply=True)
    assert report.applied and outcomes(report) == ["update"]
    assert report.rows[0].changed == ("participants",)


def test_training_rows_of_one_event_must_agree(session: Session) -> None:
    factories.hotline(session, country="BE", name="Hotline BE")
    factories.organization(session, name="Alpha Cloud")
    content = csv_bytes(
        TRAINING[0],
        TRAINING[1],
        TRAINING[2].replace("in person,Belgium", "online,"),
        TRAINING[1].replace("Hotline BE,3,3", "Nobody,1,1"),
    )
    report = run(session, content, type_name="trainings", apply=True)
    assert not report.applied and count(session, TrainingEvent) == 0
    assert outcomes(report) == ["create", "error", "error"]
    assert report.rows[1].errors[0].column == "delivery"
    assert "Nobody" in report.rows[2].errors[0].message


def test_training_sheet_names_participants_as_people_write_them(session: Session) -> None:
    hotline = factories.hotline(session, country="BE", name="Hotline BE")
    factories.organization(session, name="Alpha Cloud")
    factories.organization(session, name="Hotline BE")  # the hotline's name wins, as on a form
    content = csv_bytes(
        TRAINING[0],
        TRAINING[1].replace("Hotline BE", "  hotline   be "),
        TRAINING[2].replace("Alpha Cloud", "ALPHA CLOUD"),
        TRAINING[2].replace("Alpha Cloud", "alpha cloud"),  # a repeated row: harmless
    )
    report = run(session, content, type_name="trainings", apply=True)
    assert report.applied, report.errors
    assert outcomes(report) == ["create", "create", "unchanged"]
    rows = session.scalars(sa.select(TrainingParticipation)).all()
    assert sorted(r.participants for r in rows) == [2, 3]
    assert [r.hotline_id for r in rows if r.hotline_id] == [hotline.id]
    apply_twice(session, content, "trainings")


def test_a_participant_given_other_figures_twice_is_an_error(session: Session) -> None:
    factories.hotline(session, country="BE", name="Hotline BE")
    factories.organization(session, name="Alpha Cloud")
    content = csv_bytes(*TRAINING[:3], TRAINING[2].replace("Alpha Cloud,2,,", "alpha cloud,5,,"))
    report = run(session, content, type_name="trainings", apply=True)
    assert not report.applied and count(session, TrainingParticipation) == 0
    assert outcomes(report) == ["create", "create", "error"]
    error = report.rows[2].errors[0]
    assert error.row == 4 and error.column == "participants"
    assert "alpha cloud different participants" in error.message


def test_a_sheet_adds_to_and_updates_the_rows_of_an_existing_event(session: Session) -> None:
    factories.hotline(session, country="BE", name="Hotline BE")
    factories.organization(session, name="Alpha Cloud")
    assert run(session, csv_bytes(*TRAINING[:2]), type_name="trainings", apply=True).applied
    session.expire_all()
    content = csv_bytes(TRAINING[0], TRAINING[1].replace(",3,3,", ",6,3,"), TRAINING[2])
    report = run(session, content, type_name="trainings", apply=True)
    assert report.applied, report.errors
    assert outcomes(report) == ["update", "create"]
    assert report.rows[0].changed == ("participants",)
    assert sorted(r.participants for r in session.scalars(sa.select(TrainingParticipation))) == [
        2,
        6,
    ]


def test_a_training_sheet_reads_participants_and_events_in_a_few_queries(
    session: Session,
) -> None:
    """The look-ups of an attendance sheet do not grow with its rows (no query per row)."""
    factories.hotline(session, country="BE", name="Hotline BE")
    for i in range(30):
        factories.organization(session, name=f"Participant {i:02d}")
    session.flush()

    def selects_for(participants: int, title: str) -> tuple[int, ImportReport]:
        lines = [TRAINING[0]]
        for event_number in range(2):
            for i in range(participants):
                lines.append(
                    f"{title} {event_number},2026-0{event_number + 1}-10,2026-0{event_number + 1}"
                    f"-10,workshop,Capacity Building,in person,Belgium,Participant {i:02d},2,1,4"
                )
        return selects_while_importing(session, csv_bytes(*lines), "trainings")

    selects_for(1, "Warm-up")  # first use in the session: the actor, reference rows
    few, small = selects_for(5, "Small sheet")
    many, large = selects_for(30, "Large sheet")
    assert small.applied and large.applied
    assert set(outcomes(large)) == {"create"}
    assert few == many, (few, many)
    assert count(session, TrainingParticipation) == 2 * 1 + 2 * 5 + 2 * 30


def test_a_sheet_finds_its_stored_events_in_a_few_queries_as_titles_are_written(
    session: Session,
) -> None:
    """The stored events of a sheet are read with the sheet, not a query per event (and each
    with its participation rows); a title in other case or spacing still names its event."""
    factories.organization(session, name="Participant")
    session.flush()

    def sheet(events: int, title: str = "Event") -> bytes:
        return csv_bytes(
            TRAINING[0],
            *(
                f"{title} {n},2026-01-{n + 1:02d},2026-01-{n + 1:02d},workshop,"
                f"Capacity Building,in person,Belgium,Participant,2,1,4"
                for n in range(events)
            ),
        )

    assert run(session, sheet(30), type_name="trainings", apply=True).applied
    session.expire_all()
    run(session, sheet(1), type_name="trainings", apply=True)  # the session's first look-ups
    few, small = selects_while_importing(session, sheet(2), "trainings")
    many, large = selects_while_importing(session, sheet(30), "trainings")
    assert set(outcomes(small)) == set(outcomes(large)) == {"unchanged"}
    assert few == many, (few, many)
    respaced = run(session, sheet(3, "  EVENT  "), type_name="trainings", apply=True)
    assert outcomes(respaced) == ["update"] * 3  # found, and retitled as the sheet writes it
    assert count(session, TrainingEvent) == 30


# --- hotline statistics ----------------------------------------------------------------------

STATS = (
    "hotline,year,quarter,reports_received,reports_assessed_csam,reports_forwarded,"
    "removed_within_3_days_pct",
    "Hotline BE,2025,1,1250,830,790,87.5",
    "hotline be,2025,2,1300,,,",
)


def test_statistics_dry_run_apply_reapply(session: Session) -> None:
    factories.hotline(session, country="BE", name="Hotline BE")
    content = csv_bytes(*STATS)
    dry = run(session, content, type_name="hotline-statistics")
    assert dry.ok, dry.errors and count(session, HotlineStatistic) == 0
    apply_twice(session, content, "hotline-statistics")
    assert count(session, HotlineStatistic) == 5
    corrected = csv_bytes(STATS[0], "Hotline BE,2025,1,1251,,,")
    report = run(session, corrected, type_name="hotline-statistics", apply=True)
    assert report.applied and outcomes(report) == ["update"]
    values = session.scalars(sa.select(HotlineStatistic.value)).all()
    assert Decimal("1251") in values and count(session, HotlineStatistic) == 5


def test_a_quarter_given_twice_is_a_repeat_or_an_error(session: Session) -> None:
    factories.hotline(session, country="BE", name="Hotline BE")
    repeated = csv_bytes(*STATS[:2], STATS[1].replace("Hotline BE", "HOTLINE BE"))
    report = run(session, repeated, type_name="hotline-statistics", apply=True)
    assert report.applied and outcomes(report) == ["create", "unchanged"]
    assert count(session, HotlineStatistic) == 4
    contradicting = csv_bytes(*STATS[:2], STATS[1].replace(",830,", ",831,"))
    report = run(session, contradicting, type_name="hotline-statistics", apply=True)
    assert not report.applied and outcomes(report) == ["unchanged", "error"]
    error = report.rows[1].errors[0]
    assert error.column == "reports_assessed_csam" and "other figures" in error.message


def test_statistics_take_no_query_per_row(session: Session) -> None:
    for name in ("Hotline BE", "Hotline NL"):
        factories.hotline(session, country="BE", name=name)
    session.flush()

    def selects(rows: int, first_year: int) -> int:
        lines = [STATS[0]] + [
            f"Hotline {'BE' if k % 2 else 'NL'},{first_year + k // 8},{1 + k // 2 % 4},"
            "100,80,70,90.5"
            for k in range(rows)
        ]
        return selects_to_create_then_match(session, lines, "hotline-statistics")

    selects(1, 2000)
    assert selects(8, 2001) == selects(40, 2005)
    assert count(session, HotlineStatistic) == 4 * (1 + 8 + 40)


def test_statistics_bad_rows_are_checked_like_the_grid(session: Session) -> None:
    factories.hotline(session, country="BE", name="Hotline BE")
    next_year = date.today().year + 1
    content = xlsx_bytes(
        [
            list(STATS[0].split(",")),
            ["Hotline BE", 2025, 1, 100.0, 200, None, None],  # assessed > received
            ["Hotline BE", 2025, 5, 100, None, None, None],  # no fifth quarter
            ["Hotline BE", next_year, 1, 100, None, None, None],  # not ended yet
            ["Hotline BE", 2025, 2, 10.5, None, None, None],  # a count with decimals
            ["Hotline BE", 2025, 3, None, None, None, 120],  # a share over 100
            ["Hotline BE", 2025, 4, 100, 90, 80, 75],
        ]
    )
    report = run(session, content, type_name="hotline-statistics", filename="s.xlsx", apply=True)
    assert not report.applied and count(session, HotlineStatistic) == 0
    assert outcomes(report) == ["error"] * 5 + ["create"]
    assert report.rows[0].errors[0].column == "reports_assessed_csam"
    assert report.rows[1].errors[0].column == "quarter"
    assert report.rows[3].errors[0].column == "reports_received"


# --- every type: templates, audit as an import ------------------------------------------------


def _template_prerequisites(session: Session) -> None:
    org = factories.organization(session, name="Example Trust & Safety Ltd")
    auth_service.create_user(
        session,
        email="manager@coordapp.example",
        full_name="Manager",
        role=Role.MANAGER,
        password="a long enough password 1",
    )
    factories.hotline(session, country="AT", name="Example Hotline")
    factories.commitment(
        session,
        amount="120000",
        currency="USD",
        pledged_on=date(2026, 10, 15),
        funder=org,
        title="Analyst training grant 2027",
    )


@pytest.mark.parametrize(
    "type_name",
    [
        "hotlines",
        "partnerships",
        "funding-commitments",
        "receipts",
        "trainings",
        "hotline-statistics",
    ],
)
def test_templates_of_record_types_import_cleanly(session: Session, type_name: str) -> None:
    _template_prerequisites(session)
    for filename, content in (
        ("t.csv", templates.template_csv(type_name)),
        ("t.xlsx", templates.template_xlsx(type_name)),
    ):
        report = run(session, content, type_name=type_name, filename=filename)
        assert report.ok, report.errors
        assert report.processed == 1 and report.rows[0].outcome in (
            Outcome.CREATE,
            Outcome.UPDATE,
        )


def test_applied_rows_are_audited_as_the_import_of_their_user(session: Session) -> None:
    from coordapp.audit import service as audit

    factories.organization(session, name="Alpen Trust")
    version_before = data_version(session)
    audit.set_actor(session, actor_id=None, label="importer@example.org")
    run(session, csv_bytes(*HOTLINES), type_name="hotlines", apply=True, filename="net.csv")
    events = session.scalars(
        sa.select(AuditEvent).where(AuditEvent.actor_label == "importer@example.org")
    ).all()
    creates = [e for e in events if e.action == "create" and e.entity_type == "hotlines"]
    assert len(creates) >= 3
    assert all("net.csv" in (e.summary or "") for e in events)
    assert data_version(session) > version_before
    membership_events = count(session, HotlineMembershipEvent)
    assert membership_events == 4


def test_rows_written_in_a_batch_are_audited_under_their_record_ids(session: Session) -> None:
    """Commitments are flushed a batch at a time: their allocation events still name them."""
    factories.organization(session, name="Gamma Foundation")
    options = Options(dates=DateOrder.DMY, decimal=DecimalMark.COMMA)
    report = run(
        session,
        csv_bytes(*COMMITMENTS),
        type_name="funding-commitments",
        options=options,
        apply=True,
        filename="pledges.csv",
    )
    assert report.applied, report.errors
    commitments = {str(c.id): c.title for c in session.scalars(sa.select(FundingCommitment)).all()}
    allocations = session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.action == "allocate", AuditEvent.entity_type == "funding_commitments"
        )
    ).all()
    assert sorted(e.entity_id or "" for e in allocations) == sorted(commitments)
    by_title = {commitments[e.entity_id or ""]: e.changes["allocations"][1] for e in allocations}
    assert by_title["By amount"] == "Capacity Building 750.00; Network Expansion 250.00"
    assert all("pledges.csv" in (e.summary or "") for e in allocations)


def test_an_imported_hotline_is_audited_like_one_entered_by_hand(session: Session) -> None:
    """An import writes new hotlines, their countries and history as rows, not objects: the
    audit events are still those of the form's save, change for change."""
    from coordapp.network import hotlines, membership

    factories.organization(session, name="Alpen Trust")
    by_hand = hotlines.create_hotline(
        session,
        data={
            "name": "Hand Line",
            "country_code": "AT",
            "operator": "Alpen Trust",
            "covered_countries": "LI",
            "founded_year": "2019",
        },
    )
    history = [(date(2019, 5, 1), "applicant", None), (date(2020, 6, 1), "provisional", None)]
    membership.add_membership_events(session, hotline=by_hand, events=history)
    lines = (
        "name;country;operator;covered_countries;founded_year;membership",
        "File Line;AT;Alpen Trust;Liechtenstein;2019;2019-05-01 applicant | 2020-06-01 provisional",
    )
    assert run(session, csv_bytes(*lines), type_name="hotlines", apply=True).applied
    imported = session.scalars(sa.select(Hotline).where(Hotline.name == "File Line")).one()

    def events(hotline: Any) -> list[tuple[str, str, list[tuple[str, Any]]]]:
        named = [("hotlines", str(hotline.id))] + [
            ("hotline_membership_events", str(e.id)) for e in hotline.membership_events
        ]
        found = session.scalars(
            sa.select(AuditEvent).where(
                sa.tuple_(AuditEvent.entity_type, AuditEvent.entity_id).in_(named)
            )
        )
        own = {"id", "name", "hotline_id"}  # the record's own id and name differ, nothing else
        return sorted(
            (e.action, e.entity_type, sorted((k, v) for k, v in e.changes.items() if k not in own))
            for e in found
        )

    assert len(events(imported)) == 4  # the hotline, its countries, two membership events
    assert events(imported) == events(session.get(Hotline, by_hand.id))


def test_dry_run_leaves_no_audit_events(session: Session) -> None:
    factories.organization(session, name="Alpen Trust")
    before = count(session, AuditEvent)
    run(session, csv_bytes(*HOTLINES), type_name="hotlines")
    assert count(session, AuditEvent) == before


def test_an_approved_quarter_is_not_imported_over(session: Session) -> None:
    hotline = factories.hotline(session, country="BE", name="Hotline BE")
    apply_twice(session, csv_bytes(*STATS[:2]), "hotline-statistics")
    session.add(
        HotlineQuarter(
            hotline_id=hotline.id,
            period_start=date(2025, 1, 1),
            period_end=date(2025, 3, 31),
            state=QuarterState.APPROVED,
        )
    )
    session.flush()
    report = run(
        session,
        csv_bytes(STATS[0], "Hotline BE,2025,1,1300,,,"),
        type_name="hotline-statistics",
        apply=True,
    )
    assert not report.applied and outcomes(report) == ["error"]
    assert "approved and locked" in report.rows[0].errors[0].message
    assert Decimal("1250") in session.scalars(sa.select(HotlineStatistic.value)).all()


# --- funder obligations: instalment schedules, reporting requirements ------------------------


def test_instalment_schedules_replace_the_whole_schedule_and_must_add_up(
    session: Session,
) -> None:
    funder = factories.organization(session, name="Gamma Foundation")
    pledge = factories.commitment(
        session, amount="1000", currency="EUR", pledged_on=date(2026, 1, 5), funder=funder
    )
    content = csv_bytes(
        "funder,commitment,instalments",
        f"Gamma Foundation,{pledge.title},2026-03-31 600; 2026-09-30 400.00",
    )
    dry = run(session, content, type_name="instalment-schedules")
    assert dry.ok, dry.errors
    assert outcomes(dry) == ["create"] and count(session, FundingInstalment) == 0
    apply_twice(session, content, "instalment-schedules")
    assert [(i.expected_on, i.amount) for i in pledge.instalments] == [
        (date(2026, 3, 31), Decimal("600")),
        (date(2026, 9, 30), Decimal("400")),
    ]
    bad = csv_bytes(
        "funder,commitment,instalments",
        f"Gamma Foundation,{pledge.title},2026-03-31 600; 2026-09-30 300",
        f"Gamma Foundation,{pledge.title},2026-03-31",
    )
    report = run(session, bad, type_name="instalment-schedules", apply=True)
    assert not report.applied and outcomes(report) == ["error", "error"]
    assert "add up to EUR 900.00" in report.rows[0].errors[0].message
    session.expire_all()
    assert [i.amount for i in pledge.instalments] == [Decimal("600"), Decimal("400")]


def test_imported_schedules_have_the_audit_of_the_schedule_form(session: Session) -> None:
    """Imported instalments are written as rows (no objects), with the events the form's save
    writes: a create per instalment with the same values, and the schedule event."""
    funder = factories.organization(session, name="Gamma Foundation")
    by_form, by_file = (
        factories.commitment(
            session, amount="1000", currency="EUR", pledged_on=date(2026, 1, 5), funder=funder
        )
        for _ in range(2)
    )
    obligations.save_schedule(
        session,
        commitment=by_form,
        rows=[
            {"expected_on": "2026-03-31", "amount": "600"},
            {"expected_on": "2026-09-30", "amount": "400"},
        ],
    )
    content = csv_bytes(
        "funder,commitment,instalments",
        f"Gamma Foundation,{by_file.title},2026-03-31 600; 2026-09-30 400",
    )
    assert run(session, content, type_name="instalment-schedules", apply=True).applied
    # Read again in the same session, without expiring anything by hand.
    assert [(i.expected_on, i.amount) for i in by_file.instalments] == [
        (date(2026, 3, 31), Decimal("600")),
        (date(2026, 9, 30), Decimal("400")),
    ]

    def events(commitment: Any) -> list[tuple[str, str, list[tuple[str, Any]]]]:
        named = [("funding_commitments", str(commitment.id))] + [
            ("funding_instalments", str(i.id)) for i in commitment.instalments
        ]
        found = session.scalars(
            sa.select(AuditEvent).where(
                sa.tuple_(AuditEvent.entity_type, AuditEvent.entity_id).in_(named),
                AuditEvent.action.in_(("create", "update", "delete", "schedule")),
                # the commitments' own creation differs (their titles)
                (AuditEvent.entity_type != "funding_commitments")
                | (AuditEvent.action == "schedule"),
            )
        )
        own = {"id", "commitment_id"}  # the records' own ids differ, nothing else
        return sorted(
            (e.action, e.entity_type, sorted((k, v) for k, v in e.changes.items() if k not in own))
            for e in found
        )

    actions = [(action, entity) for action, entity, _ in events(by_file)]
    assert actions.count(("create", "funding_instalments")) == 2
    assert ("schedule", "funding_commitments") in actions
    assert events(by_file) == events(by_form)


def test_a_schedule_file_with_a_refused_row_checks_every_row_row_by_row(session: Session) -> None:
    """A refusal sends the file through the safe mode (row by row): a new schedule written in
    bulk, a refused row, and the same commitment again are each reported as they are."""
    funder = factories.organization(session, name="Gamma Foundation")
    pledge, other = (
        factories.commitment(
            session, amount=pledged, currency="EUR", pledged_on=date(2025, 1, 5), funder=funder
        )
        for pledged in ("1000", "500")
    )
    content = csv_bytes(
        "funder,commitment,instalments",
        f"Gamma Foundation,{pledge.title},2025-03-31 500; 2025-09-30 500",
        f"Gamma Foundation,{other.title},2025-03-31 400",
        f"Gamma Foundation,{pledge.title},2025-06-30 1000",
    )
    report = run(session, content, type_name="instalment-schedules", apply=True)
    assert not report.applied and outcomes(report) == ["create", "error", "update"]
    assert "add up to EUR 400.00" in report.rows[1].errors[0].message
    session.expire_all()
    assert count(session, FundingInstalment) == 0  # nothing of a refused file is kept


def test_reporting_requirements_import_and_bad_rows(session: Session) -> None:
    funder = factories.organization(session, name="Gamma Foundation")
    pledge = factories.commitment(
        session, amount="1000", currency="EUR", pledged_on=date(2025, 1, 5), funder=funder
    )
    header = "funder,commitment,kind,due_on,submitted_on,accepted_on,document_reference"
    content = csv_bytes(
        header,
        f"Gamma Foundation,{pledge.title},financial,2026-03-01,2026-02-20,2026-03-05,FIN-1",
        f"Gamma Foundation,{pledge.title},narrative,2026-03-01,,,",
    )
    apply_twice(session, content, "reporting-requirements")
    assert count(session, ReportingRequirement) == 2
    bad = csv_bytes(
        header,
        f"Gamma Foundation,{pledge.title},financial,2026-03-01,2026-02-20,2026-02-01,FIN-1",
        f"Gamma Foundation,{pledge.title},narrative,2026-06-01,,2026-06-05,",
    )
    report = run(session, bad, type_name="reporting-requirements", apply=True)
    assert not report.applied and outcomes(report) == ["error", "error"]
    assert "before it was submitted" in report.rows[0].errors[0].message
    assert "without being submitted" in report.rows[1].errors[0].message
    assert count(session, ReportingRequirement) == 2


def test_obligation_rows_naming_the_same_record_twice_in_one_file(session: Session) -> None:
    """The commitments and requirements are read once before the rows: a later row of the same
    file finds what an earlier one wrote (the schedule replaced again, the requirement
    updated, not a second one), and a title the funder has no commitment under is refused."""
    funder = factories.organization(session, name="Gamma Foundation")
    pledge = factories.commitment(
        session, amount="1000", currency="EUR", pledged_on=date(2025, 1, 5), funder=funder
    )
    schedules = csv_bytes(
        "funder,commitment,instalments",
        f"Gamma Foundation,{pledge.title},2025-03-31 500; 2025-09-30 500",
        f"gamma foundation,{pledge.title.upper()},2025-06-30 1000",
    )
    report = run(session, schedules, type_name="instalment-schedules", apply=True)
    assert report.applied and outcomes(report) == ["create", "update"]
    session.expire_all()
    assert [(i.expected_on, i.amount) for i in pledge.instalments] == [
        (date(2025, 6, 30), Decimal("1000"))
    ]
    header = "funder,commitment,kind,due_on,submitted_on,document_reference"
    requirements = csv_bytes(
        header,
        f"Gamma Foundation,{pledge.title},financial,2026-03-01,,FIN-1",
        f"Gamma Foundation,{pledge.title},financial,2026-03-01,2026-02-20,FIN-1",
    )
    report = run(session, requirements, type_name="reporting-requirements", apply=True)
    assert report.applied and outcomes(report) == ["create", "update"]
    (stored,) = session.scalars(sa.select(ReportingRequirement)).all()
    assert stored.submitted_on == date(2026, 2, 20)
    unknown = csv_bytes(header, "Gamma Foundation,No such grant,financial,2026-03-01,,")
    report = run(session, unknown, type_name="reporting-requirements", apply=True)
    assert not report.applied and outcomes(report) == ["error"]
    assert "no commitment titled 'No such grant'" in report.rows[0].errors[0].message
