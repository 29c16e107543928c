"""Funder obligations: the instalment schedule (adding up to the pledge, matched against
receipts in date order) and reporting requirements (never accepted before submitted)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent
from coordapp.db import utcnow
from coordapp.errors import ValidationError
from coordapp.funding import commitments as funding_commitments
from coordapp.funding import obligations
from coordapp.funding.models import (
    CommitmentStatus,
    FundingCommitment,
    FundingInstalment,
    ReportingRequirement,
)
from coordapp.funding.obligations import InstalmentState, ReportState
from coordapp.main import attention
from coordapp.reference.models import Pillar
from tests import factories

TODAY = date.today()


def pledge(session: Session, amount: str = "1000.00", currency: str = "EUR") -> FundingCommitment:
    return factories.commitment(
        session, amount=amount, currency=currency, pledged_on=TODAY - timedelta(days=400)
    )


def rows(*pairs: tuple[date | str, str]) -> list[dict[str, object]]:
    return [{"expected_on": on, "amount": amount} for on, amount in pairs]


def instalment_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count(FundingInstalment.id))) or 0


def test_schedule_adding_up_to_the_pledge_is_stored_in_date_order(session: Session) -> None:
    commitment = pledge(session)
    later, sooner = TODAY + timedelta(days=60), TODAY - timedelta(days=10)
    saved = obligations.save_schedule(
        session,
        commitment=commitment,
        rows=[*rows((later, "600.00"), (sooner, "400")), {"expected_on": "", "amount": ""}],
    )
    assert [(i.expected_on, i.amount) for i in saved] == [
        (sooner, Decimal("400")),
        (later, Decimal("600")),
    ]
    event = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "schedule")).one()
    assert event.entity_id == str(commitment.id)


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        ((("2026-01-10", "600.00"), ("2026-06-10", "300.00")), "add EUR 100.00"),
        ((("2026-01-10", "600.00"), ("2026-06-10", "400.01")), "remove EUR 0.01"),
        ((("2026-01-10", "600.001"), ("2026-06-10", "400")), "Instalment 1: EUR amounts have 2"),
        ((("", "1000"),), "Instalment 1: Enter the expected date"),
        ((("2026-01-10", "0"),), "more than zero"),
        ((("1980-01-10", "1000"),), "not plausible"),
    ],
)
def test_a_schedule_that_is_wrong_is_refused_and_nothing_is_written(
    session: Session, pairs: tuple[tuple[str, str], ...], message: str
) -> None:
    commitment = pledge(session)
    obligations.save_schedule(session, commitment=commitment, rows=rows((TODAY, "1000")))
    with pytest.raises(ValidationError, match=message) as caught:
        obligations.save_schedule(session, commitment=commitment, rows=rows(*pairs))
    assert caught.value.field == "instalments"
    session.expire_all()
    assert [(i.expected_on, i.amount) for i in commitment.instalments] == [(TODAY, Decimal("1000"))]


def test_an_empty_schedule_clears_it_and_an_archived_commitment_is_refused(
    session: Session,
) -> None:
    commitment = pledge(session)
    obligations.save_schedule(session, commitment=commitment, rows=rows((TODAY, "1000")))
    obligations.save_schedule(session, commitment=commitment, rows=rows(("", "")))
    assert instalment_count(session) == 0
    commitment.archived_at = utcnow()
    with pytest.raises(ValidationError, match="archived"):
        obligations.save_schedule(session, commitment=commitment, rows=rows((TODAY, "1000")))
    assert instalment_count(session) == 0


def test_receipts_pay_instalments_in_date_order(session: Session) -> None:
    commitment = pledge(session)
    first, second, third = (
        TODAY - timedelta(days=90),
        TODAY - timedelta(days=5),
        TODAY + timedelta(days=30),
    )
    obligations.save_schedule(
        session,
        commitment=commitment,
        rows=rows((third, "300.00"), (first, "300.00"), (second, "400.00")),
    )
    # 450 received: the first instalment in full, 150 of the second, none of the third; money
    # in another currency and archived receipts are not matched.
    factories.receipt(session, commitment=commitment, amount="200.10", currency="EUR", on=TODAY)
    factories.receipt(session, commitment=commitment, amount="249.90", currency="EUR", on=first)
    factories.receipt(session, commitment=commitment, amount="999", currency="USD", on=first)
    archived = factories.receipt(
        session, commitment=commitment, amount="500", currency="EUR", on=first
    )
    archived.archived_at = utcnow()
    session.flush()
    lines = obligations.instalment_lines(session, commitment=commitment, today=TODAY)
    assert [(line.expected_on, line.covered, line.state) for line in lines] == [
        (first, Decimal("300.00"), InstalmentState.RECEIVED),
        (second, Decimal("150.00"), InstalmentState.OVERDUE),
        (third, Decimal("0.00"), InstalmentState.EXPECTED),
    ]
    assert lines[1].part_received
    overdue = session.execute(obligations.overdue_instalments_select(TODAY)).all()
    assert [(r.expected_on, Decimal(r.short)) for r in overdue] == [(second, Decimal("250"))]

    factories.receipt(session, commitment=commitment, amount="400", currency="EUR", on=TODAY)
    lines = obligations.instalment_lines(session, commitment=commitment, today=TODAY)
    assert [line.state for line in lines] == [
        InstalmentState.RECEIVED,
        InstalmentState.RECEIVED,
        InstalmentState.PART_RECEIVED,
    ]
    assert lines[2].covered == Decimal("150.00")
    assert session.execute(obligations.overdue_instalments_select(TODAY)).all() == []


def test_cancelled_commitments_have_no_overdue_instalments(session: Session) -> None:
    commitment = pledge(session)
    obligations.save_schedule(
        session, commitment=commitment, rows=rows((TODAY - timedelta(days=3), "1000"))
    )
    assert len(session.execute(obligations.overdue_instalments_select(TODAY)).all()) == 1
    commitment.status = CommitmentStatus.CANCELLED
    session.flush()
    assert session.execute(obligations.overdue_instalments_select(TODAY)).all() == []


def requirement_data(commitment: FundingCommitment, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "commitment_id": str(commitment.id),
        "kind": "financial",
        "due_on": TODAY + timedelta(days=10),
        "submitted_on": "",
        "accepted_on": "",
        "document_reference": "FIN-2026-Q1 v2",
        "note": "",
    }
    return {**data, **changes}


def test_requirements_are_stored_and_their_state_follows_the_dates(session: Session) -> None:
    commitment = pledge(session)
    soon = obligations.create_requirement(session, data=requirement_data(commitment))
    assert obligations.report_state(soon, TODAY) == ReportState.DUE_SOON
    late = obligations.create_requirement(
        session,
        data=requirement_data(commitment, due_on=TODAY - timedelta(days=1), kind="narrative"),
    )
    assert obligations.report_state(late, TODAY) == ReportState.OVERDUE
    later = obligations.create_requirement(
        session, data=requirement_data(commitment, due_on=TODAY + timedelta(days=31))
    )
    assert obligations.report_state(later, TODAY) == ReportState.DUE
    due = session.execute(obligations.reports_due_select(TODAY)).all()
    assert [r.id for r in due] == [late.id, soon.id]

    yesterday = TODAY - timedelta(days=1)
    obligations.update_requirement(
        session,
        obj=late,
        data=requirement_data(
            commitment, due_on=late.due_on, submitted_on=yesterday, accepted_on=TODAY
        ),
    )
    assert obligations.report_state(late, TODAY) == ReportState.ACCEPTED
    assert [r.id for r in session.execute(obligations.reports_due_select(TODAY))] == [soon.id]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"accepted_on": TODAY}, "accepted_on", "cannot be accepted without being submitted"),
        (
            {"submitted_on": TODAY, "accepted_on": TODAY - timedelta(days=1)},
            "accepted_on",
            "before it was submitted",
        ),
        ({"submitted_on": TODAY + timedelta(days=2)}, "submitted_on", "in the future"),
        ({"due_on": ""}, "due_on", "Enter the due date"),
        ({"kind": "oral"}, "kind", "not one of"),
        (
            {"document_reference": "https://files.example.org/report.pdf"},
            "document_reference",
            "do not paste links",
        ),
        ({"commitment_id": ""}, "commitment_id", "Choose the commitment"),
    ],
)
def test_bad_requirements_are_refused_and_nothing_is_written(
    session: Session, changes: dict[str, object], field: str, message: str
) -> None:
    commitment = pledge(session)
    with pytest.raises(ValidationError, match=message) as caught:
        obligations.create_requirement(session, data=requirement_data(commitment, **changes))
    assert caught.value.field == field
    assert session.scalar(sa.select(sa.func.count(ReportingRequirement.id))) == 0


def test_an_accepted_report_keeps_its_submission(session: Session) -> None:
    commitment = pledge(session)
    day = TODAY - timedelta(days=3)
    report = obligations.create_requirement(
        session, data=requirement_data(commitment, submitted_on=day, accepted_on=day)
    )
    with pytest.raises(ValidationError, match="without being submitted"):
        obligations.update_requirement(
            session, obj=report, data=requirement_data(commitment, accepted_on=day)
        )
    session.expire_all()
    assert report.submitted_on == day


def test_needs_attention_lists_overdue_instalments_and_reports_due(session: Session) -> None:
    commitment = pledge(session)
    obligations.save_schedule(
        session,
        commitment=commitment,
        rows=rows((TODAY - timedelta(days=1), "500"), (TODAY, "500")),
    )
    factories.receipt(session, commitment=commitment, amount="100", currency="EUR", on=TODAY)
    boundary = obligations.create_requirement(
        session, data=requirement_data(commitment, due_on=TODAY + timedelta(days=30))
    )
    obligations.create_requirement(
        session, data=requirement_data(commitment, due_on=TODAY + timedelta(days=31))
    )
    obligations.create_requirement(
        session,
        data=requirement_data(
            commitment, due_on=TODAY - timedelta(days=9), submitted_on=TODAY - timedelta(days=9)
        ),
    )
    late = obligations.create_requirement(
        session, data=requirement_data(commitment, due_on=TODAY - timedelta(days=2))
    )
    sections = {s.key: s for s in attention.needs_attention(session, today=TODAY).sections}
    # Only the instalment whose date has passed (the one due today is not yet overdue).
    instalments = sections["instalments"]
    assert instalments.count == 1
    assert instalments.items[0].record_id == commitment.id
    assert "EUR 400.00 of 500.00 not received" in instalments.items[0].detail
    reports = sections["reports"]
    assert [item.record_id for item in reports.items] == [late.id, boundary.id]
    assert [item.overdue for item in reports.items] == [True, False]


def test_the_pledge_of_a_scheduled_commitment_cannot_change_under_its_schedule(
    session: Session,
) -> None:
    funder = factories.organization(session, name="Delta Fund")
    pillar = session.scalars(sa.select(Pillar.id).order_by(Pillar.sort_order)).first()
    data = {
        "title": "Core grant",
        "funder": funder.name,
        "currency_code": "EUR",
        "amount": "1000.00",
        "pledged_on": TODAY - timedelta(days=30),
        "period_start": TODAY - timedelta(days=30),
        "period_end": TODAY + timedelta(days=300),
        "allocation_mode": "amount",
        "allocations": {str(pillar): "1000.00"},
    }
    commitment = funding_commitments.create_commitment(session, data=data)
    assert isinstance(commitment, FundingCommitment)
    obligations.save_schedule(session, commitment=commitment, rows=rows((TODAY, "1000")))
    changed = {**data, "amount": "1200.00", "allocations": {str(pillar): "1200.00"}}
    with pytest.raises(ValidationError, match="clear the schedule") as caught:
        funding_commitments.update_commitment(
            session, obj=commitment, data=changed, expected_version=None
        )
    assert caught.value.field == "amount"
    session.expire_all()
    assert commitment.amount == Decimal("1000")
    # Unchanged amount and currency: other fields still save.
    funding_commitments.update_commitment(
        session, obj=commitment, data={**data, "title": "Core grant 2"}, expected_version=None
    )
    assert commitment.title == "Core grant 2"
