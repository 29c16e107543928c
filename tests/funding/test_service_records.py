"""Funding records: commitments and their exact allocations, status history, receipts,
exchange rates (by hand and from a CSV file), and the EUR figures that name their rates."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from coordapp import listing
from coordapp.audit import service as audit
from coordapp.audit.models import AuditEvent
from coordapp.errors import ValidationError
from coordapp.funding import commitment_page, rates_file
from coordapp.funding import commitments as funding_commitments
from coordapp.funding import lists as funding_lists
from coordapp.funding import money as funding_money
from coordapp.funding import rates as funding_rates
from coordapp.funding import receipts as funding_receipts
from coordapp.funding.models import (
    CommitmentStatus,
    CommitmentStatusEvent,
    ExchangeRate,
    FundingAllocation,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.listing import ListParams, run_list
from coordapp.partners.models import OrganizationKind, Partnership, PartnershipType
from coordapp.records import service as records
from coordapp.records.service import StaleRecord
from coordapp.reference.models import Pillar
from coordapp.validation import COORDINATION_ONLY
from tests import factories

TODAY = date.today()


def pillar_ids(session: Session) -> list[int]:
    return list(session.scalars(sa.select(Pillar.id).order_by(Pillar.sort_order)))


def pledge_data(session: Session, funder_name: str, **changes: Any) -> dict[str, Any]:
    first = pillar_ids(session)[0]
    data: dict[str, Any] = {
        "title": "Core grant 2025-2026",
        "funder": funder_name,
        "partnership_id": "",
        "currency_code": "USD",
        "amount": "100000.00",
        "pledged_on": date(2024, 11, 5),
        "period_start": date(2025, 1, 1),
        "period_end": date(2026, 12, 31),
        "allocation_mode": "amount",
        "allocations": {str(first): "100000.00"},
        "notes": "Agreed at the board meeting.",
    }
    data.update(changes)
    return data


@pytest.fixture
def funder(session: Session) -> Any:
    return factories.organization(session, name="Brightpath Foundation")


def allocations_of(commitment: FundingCommitment) -> dict[int, Decimal]:
    return {a.pillar_id: a.amount for a in commitment.allocations}


# --- allocations -----------------------------------------------------------------------------


def test_allocation_by_amount_is_stored_as_typed(session: Session, funder: Any) -> None:
    cb, ti, ne, sc = pillar_ids(session)
    commitment = funding_commitments.create_commitment(
        session,
        data=pledge_data(
            session,
            funder.name,
            allocations={str(cb): "60,000.00", str(ti): "40000", str(ne): "", str(sc): "0"},
        ),
    )
    assert allocations_of(commitment) == {cb: Decimal("60000"), ti: Decimal("40000")}
    assert sum(allocations_of(commitment).values()) == commitment.amount


def test_allocations_that_do_not_add_up_are_refused_with_the_difference(
    session: Session, funder: Any
) -> None:
    cb, ti, *_ = pillar_ids(session)
    with pytest.raises(ValidationError) as caught:
        funding_commitments.create_commitment(
            session,
            data=pledge_data(
                session, funder.name, allocations={str(cb): "60000.00", str(ti): "39999.99"}
            ),
        )
    assert caught.value.field == "allocations"
    assert "USD 99,999.99" in caught.value.message and "USD 0.01" in caught.value.message
    with pytest.raises(ValidationError, match="remove USD 0.01"):
        funding_commitments.create_commitment(
            session,
            data=pledge_data(
                session, funder.name, allocations={str(cb): "60000.00", str(ti): "40000.01"}
            ),
        )
    assert session.scalar(sa.select(sa.func.count(FundingCommitment.id))) == 0


def test_three_times_33_33_percent_of_100_is_exactly_100(session: Session, funder: Any) -> None:
    cb, ti, ne, _ = pillar_ids(session)
    commitment = funding_commitments.create_commitment(
        session,
        data=pledge_data(
            session,
            funder.name,
            currency_code="EUR",
            amount="100.00",
            allocation_mode="percent",
            allocations={str(cb): "33.33", str(ti): "33.33%", str(ne): "33.33"},
        ),
    )
    amounts = allocations_of(commitment)
    assert sum(amounts.values()) == Decimal("100.00")
    # Each share rounds to 33.33; the cent left over goes to the first of the equal shares.
    assert amounts == {cb: Decimal("33.34"), ti: Decimal("33.33"), ne: Decimal("33.33")}


@pytest.mark.parametrize(
    ("currency", "amount", "percents", "expected"),
    [
        # JPY has no minor unit: 1,000,001 yen half and half.
        ("JPY", "1000001", ("50", "50"), ("500001", "500000")),
        # KWD has three decimals: thirds of 10.000.
        ("KWD", "10.000", ("33.33", "33.33", "33.34"), ("3.333", "3.333", "3.334")),
        ("KWD", "10.000", ("33.33", "33.33", "33.33"), ("3.334", "3.333", "3.333")),
        # The largest share takes the remainder, not the first.
        ("EUR", "0.05", ("30", "70"), ("0.02", "0.03")),
    ],
)
def test_percentages_become_amounts_in_the_currencys_minor_units(
    session: Session,
    funder: Any,
    currency: str,
    amount: str,
    percents: tuple[str, ...],
    expected: tuple[str, ...],
) -> None:
    ids = pillar_ids(session)[: len(percents)]
    commitment = funding_commitments.create_commitment(
        session,
        data=pledge_data(
            session,
            funder.name,
            currency_code=currency,
            amount=amount,
            allocation_mode="percent",
            allocations={str(i): p for i, p in zip(ids, percents, strict=True)},
        ),
    )
    amounts = allocations_of(commitment)
    assert [amounts[i] for i in ids] == [Decimal(e) for e in expected]
    assert sum(amounts.values()) == Decimal(amount)
    minor = funding_money.minor_units_of(currency)
    for value in amounts.values():
        assert value == value.quantize(Decimal(1).scaleb(-minor))


def test_split_by_percent_keeps_the_sum_exact_for_many_amounts() -> None:
    percents = {1: Decimal("16.67"), 2: Decimal("16.67"), 3: Decimal("16.67")}
    percents |= {4: Decimal("16.67"), 5: Decimal("16.66"), 6: Decimal("16.66")}
    for cents in range(1, 2000, 37):
        amount = Decimal(cents) / 100
        parts = funding_money.split_by_percent(amount, minor_units=2, percents=percents)
        assert sum(parts.values()) == amount
        assert all(p >= 0 for p in parts.values())


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"allocations": {}}, "allocations", "at least one pillar"),
        ({"allocation_mode": "percent", "allocations": "P50/40"}, "allocations", "add up to 90%"),
        ({"allocation_mode": "share"}, "allocation_mode", "by amount or by percentage"),
        ({"allocation_mode": "percent", "allocations": "P120"}, "allocations", "between 0"),
        ({"allocation_mode": "percent", "allocations": "Pabc"}, "allocations", "not a number"),
        (
            {"allocation_mode": "percent", "allocations": "P50,5/49.5"},
            "allocations",
            "did you mean 50.5?",
        ),
        ({"allocations": "A-100000.00"}, "allocations", "cannot be negative"),
        ({"allocations": "A1e5x"}, "allocations", "not a number"),
        ({"allocations": "A100000.001"}, "allocations", "2 decimal places"),
        ({"allocations": {"999999": "100000.00"}}, "allocations", "no pillar"),
        ({"allocations": {"x": "100000.00"}}, "allocations", "listed pillars"),
    ],
)
def test_bad_allocations_are_refused(
    session: Session, funder: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    cb, ti, *_ = pillar_ids(session)
    raw = changes.get("allocations")
    if isinstance(raw, str):  # shorthand: P = percentages over two pillars, A = one amount
        values = raw[1:].split("/")
        changes["allocations"] = dict(zip((str(cb), str(ti)), values, strict=False))
    with pytest.raises(ValidationError) as caught:
        funding_commitments.create_commitment(
            session, data=pledge_data(session, funder.name, **changes)
        )
    assert caught.value.field == field
    assert message in caught.value.message


# --- commitments: create / update ------------------------------------------------------------


def test_a_new_pledge_starts_pledged_with_its_first_event(session: Session, funder: Any) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    assert commitment.status == CommitmentStatus.PLEDGED
    assert [(e.status, e.changed_on) for e in commitment.status_events] == [
        (CommitmentStatus.PLEDGED, date(2024, 11, 5))
    ]
    assert (commitment.funder_id, commitment.currency_code, commitment.amount) == (
        funder.id,
        "USD",
        Decimal("100000.00"),
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "-5"}, "amount", "more than zero"),
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "abc"}, "amount", "not a number"),
        ({"amount": "1,5"}, "amount", "did you mean 1.5?"),
        ({"amount": "100.001"}, "amount", "2 decimal places"),
        ({"currency_code": "JPY", "amount": "100.5"}, "amount", "0 decimal places"),
        ({"currency_code": "KWD", "amount": "1.0005"}, "amount", "3 decimal places"),
        ({"currency_code": "XYZ"}, "currency_code", "not a known ISO 4217"),
        ({"currency_code": ""}, "currency_code", "not a known ISO 4217"),
        ({"period_end": date(2024, 12, 31)}, "period_end", "before the start"),
        ({"pledged_on": None}, "pledged_on", "pledge date"),
        ({"pledged_on": "31/12/2024"}, "pledged_on", "YYYY-MM-DD"),
        ({"pledged_on": date(1980, 1, 1)}, "pledged_on", "not plausible"),
        ({"title": "  "}, "title", "required"),
        ({"title": "x" * 201}, "title", "At most 200"),
        ({"funder": "Nobody Ltd"}, "funder", "No organization is named"),
        ({"funder": ""}, "funder", "Choose an organization"),
        ({"partnership_id": "abc"}, "partnership_id", "from the list"),
        ({"partnership_id": "999999"}, "partnership_id", "no partnership"),
        ({"notes": "see https://example.org/x"}, "notes", COORDINATION_ONLY),
    ],
)
def test_bad_commitment_input_is_refused_for_the_field(
    session: Session, funder: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        funding_commitments.create_commitment(
            session, data=pledge_data(session, funder.name, **changes)
        )
    assert caught.value.field == field
    assert message in caught.value.message
    assert session.scalar(sa.select(sa.func.count(FundingCommitment.id))) == 0


def test_the_partnership_must_be_the_funders(session: Session, funder: Any) -> None:
    other = factories.organization(session, name="Nimbus Cloud")
    theirs = Partnership(organization_id=other.id, title="Cloud MoU", type=PartnershipType.FUNDING)
    ours = Partnership(organization_id=funder.id, title="Core grant", type=PartnershipType.FUNDING)
    session.add_all([theirs, ours])
    session.flush()
    with pytest.raises(ValidationError, match="is with Nimbus Cloud, not with this funder"):
        funding_commitments.create_commitment(
            session, data=pledge_data(session, funder.name, partnership_id=str(theirs.id))
        )
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name, partnership_id=str(ours.id))
    )
    assert commitment.partnership_id == ours.id
    assert funding_commitments.partnership_choices(session, funder="brightpath foundation") == [
        (str(ours.id), "Core grant (prospect)")
    ]
    assert funding_commitments.partnership_choices(session, funder="") == []


def test_update_changes_allocations_in_place_and_records_them(
    session: Session, funder: Any
) -> None:
    cb, ti, ne, _ = pillar_ids(session)
    audit.set_actor(session, actor_id=None, label="m@test.example")
    commitment = funding_commitments.create_commitment(
        session,
        data=pledge_data(session, funder.name, allocations={str(cb): "50000", str(ti): "50000"}),
    )
    kept = next(a for a in commitment.allocations if a.pillar_id == cb)
    version = commitment.version
    funding_commitments.update_commitment(
        session,
        obj=commitment,
        data=pledge_data(session, funder.name, allocations={str(cb): "70000", str(ne): "30000"}),
        expected_version=version,
    )
    assert allocations_of(commitment) == {cb: Decimal("70000"), ne: Decimal("30000")}
    assert next(a for a in commitment.allocations if a.pillar_id == cb).id == kept.id
    assert commitment.version > version
    events = audit.events_for(session, entity_type="funding_commitments", entity_id=commitment.id)
    created, changed = [e.changes["allocations"] for e in events if e.action == "allocate"]
    assert created == [None, "Capacity Building 50000.00; Technology & Innovation 50000.00"]
    before, after = changed
    assert before == created[1]
    assert "Network Expansion 30000.00" in after and "Capacity Building 70000.00" in after
    assert session.scalar(sa.select(sa.func.count(FundingAllocation.id))) == 2


def test_update_against_an_old_version_is_refused(session: Session, funder: Any) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    old = commitment.version
    funding_commitments.update_commitment(
        session,
        obj=commitment,
        data=pledge_data(session, funder.name, title="Renamed"),
        expected_version=old,
    )
    with pytest.raises(StaleRecord):
        funding_commitments.update_commitment(
            session,
            obj=commitment,
            data=pledge_data(session, funder.name, title="Again"),
            expected_version=old,
        )
    assert commitment.title == "Renamed"


def test_moving_the_pledge_date_moves_its_first_event_but_not_past_a_decision(
    session: Session, funder: Any
) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    funding_commitments.update_commitment(
        session,
        obj=commitment,
        data=pledge_data(session, funder.name, pledged_on=date(2024, 11, 1)),
        expected_version=None,
    )
    assert commitment.status_events[0].changed_on == date(2024, 11, 1)
    funding_commitments.change_commitment_status(
        session, commitment=commitment, status="confirmed", on=date(2024, 12, 1), note=None
    )
    with pytest.raises(ValidationError, match="after it was confirmed on 2024-12-01"):
        funding_commitments.update_commitment(
            session,
            obj=commitment,
            data=pledge_data(session, funder.name, pledged_on=date(2024, 12, 2)),
            expected_version=None,
        )


# --- status history --------------------------------------------------------------------------


def test_status_changes_write_dated_history_and_keep_the_status_in_sync(
    session: Session, funder: Any
) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    confirmed = funding_commitments.change_commitment_status(
        session, commitment=commitment, status="confirmed", on=date(2025, 1, 10), note="Signed."
    )
    assert commitment.status == CommitmentStatus.CONFIRMED
    assert (confirmed.status, confirmed.note) == (CommitmentStatus.CONFIRMED, "Signed.")
    funding_commitments.change_commitment_status(
        session, commitment=commitment, status="cancelled", on=date(2025, 6, 1), note=None
    )
    session.expire_all()
    stored = session.get_one(FundingCommitment, commitment.id)
    assert stored.status == CommitmentStatus.CANCELLED
    assert [(e.status.value, e.changed_on) for e in stored.status_events] == [
        ("pledged", date(2024, 11, 5)),
        ("confirmed", date(2025, 1, 10)),
        ("cancelled", date(2025, 6, 1)),
    ]
    # The status on a date is a query over the history.
    assert funding_commitments.status_on(session, commitment=stored, on=date(2024, 11, 4)) is None
    assert (
        funding_commitments.status_on(session, commitment=stored, on=date(2024, 12, 31))
        == "pledged"
    )
    assert (
        funding_commitments.status_on(session, commitment=stored, on=date(2025, 3, 1))
        == "confirmed"
    )
    assert (
        funding_commitments.status_on(session, commitment=stored, on=date(2025, 6, 1))
        == "cancelled"
    )
    # The audit trail has the status column change too.
    events = audit.events_for(session, entity_type="funding_commitments", entity_id=stored.id)
    assert [e.changes["status"][1] for e in events if e.changes and "status" in e.changes][1:] == [
        "confirmed",
        "cancelled",
    ]


def test_pledged_can_be_cancelled_directly(session: Session, funder: Any) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    funding_commitments.change_commitment_status(
        session, commitment=commitment, status="cancelled", on=date(2024, 12, 1), note=None
    )
    assert commitment.status == CommitmentStatus.CANCELLED
    assert funding_commitments.next_statuses(commitment) == ()


@pytest.mark.parametrize(
    ("steps", "status", "on", "message"),
    [
        ((), "pledged", date(2025, 1, 1), "already pledged"),
        ((("confirmed", date(2025, 1, 1)),), "confirmed", date(2025, 2, 1), "already confirmed"),
        ((("confirmed", date(2025, 1, 1)),), "pledged", date(2025, 2, 1), "cannot become"),
        ((("cancelled", date(2025, 1, 1)),), "confirmed", date(2025, 2, 1), "stays cancelled"),
        ((), "approved", date(2025, 1, 1), "is not one of"),
        ((), "confirmed", date(2024, 11, 4), "before the pledge date (2024-11-05)"),
        ((("confirmed", date(2025, 3, 1)),), "cancelled", date(2025, 2, 1), "last status"),
        ((), "confirmed", TODAY + timedelta(days=1), "in the future"),
        ((), "confirmed", None, "date of the change"),
    ],
)
def test_refused_status_changes_leave_the_history_alone(
    session: Session,
    funder: Any,
    steps: tuple[tuple[str, date], ...],
    status: str,
    on: date | None,
    message: str,
) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    for step, when in steps:
        funding_commitments.change_commitment_status(
            session, commitment=commitment, status=step, on=when, note=None
        )
    before = commitment.status
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        funding_commitments.change_commitment_status(
            session, commitment=commitment, status=status, on=on, note=None
        )
    assert commitment.status == before
    count = session.scalar(
        sa.select(sa.func.count(CommitmentStatusEvent.id)).where(
            CommitmentStatusEvent.commitment_id == commitment.id
        )
    )
    assert count == 1 + len(steps)


def test_archived_commitments_keep_their_status(session: Session, funder: Any) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    records.archive(session, obj=commitment)
    with pytest.raises(ValidationError, match="archived"):
        funding_commitments.change_commitment_status(
            session, commitment=commitment, status="confirmed", on=date(2025, 1, 1), note=None
        )


def test_status_note_is_a_coordination_note(session: Session, funder: Any) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    with pytest.raises(ValidationError, match="coordination data only"):
        funding_commitments.change_commitment_status(
            session,
            commitment=commitment,
            status="confirmed",
            on=date(2025, 1, 1),
            note="www.example.org",
        )


# --- receipts --------------------------------------------------------------------------------


def receipt_data(commitment: FundingCommitment, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "commitment_id": str(commitment.id),
        "received_on": date(2025, 2, 1),
        "amount": "25000.00",
        "currency_code": "",
        "reference": "TRF-2025-0012",
    }
    data.update(changes)
    return data


def test_receipts_take_the_pledge_currency_unless_told(session: Session, funder: Any) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    first = funding_receipts.create_receipt(session, data=receipt_data(commitment))
    assert (first.currency_code, first.amount, first.reference) == (
        "USD",
        Decimal("25000.00"),
        "TRF-2025-0012",
    )
    second = funding_receipts.create_receipt(
        session, data=receipt_data(commitment, currency_code="JPY", amount="150000")
    )
    assert second.currency_code == "JPY"
    funding_receipts.update_receipt(
        session, obj=second, data=receipt_data(commitment, currency_code="EUR", amount="900.50")
    )
    assert (second.currency_code, second.amount) == ("EUR", Decimal("900.50"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"amount": "0"}, "amount", "more than zero"),
        ({"amount": "-1"}, "amount", "more than zero"),
        ({"amount": "ten"}, "amount", "not a number"),
        ({"currency_code": "JPY", "amount": "12,5"}, "amount", "did you mean 12.5?"),
        ({"amount": "10.001"}, "amount", "2 decimal places"),
        ({"currency_code": "JPY", "amount": "10.5"}, "amount", "0 decimal places"),
        ({"currency_code": "ABC"}, "currency_code", "not a known ISO 4217"),
        ({"received_on": TODAY + timedelta(days=1)}, "received_on", "in the future"),
        ({"received_on": date(1970, 1, 1)}, "received_on", "not plausible"),
        ({"received_on": "yesterday"}, "received_on", "YYYY-MM-DD"),
        ({"commitment_id": ""}, "commitment_id", "Choose the commitment"),
        ({"commitment_id": "999999"}, "commitment_id", "no commitment"),
        ({"commitment_id": "x"}, "commitment_id", "Choose the commitment"),
        ({"reference": "a" * 40}, "reference", COORDINATION_ONLY),
        ({"reference": "r" * 121}, "reference", "At most 120"),
    ],
)
def test_bad_receipts_are_refused(
    session: Session, funder: Any, changes: dict[str, Any], field: str, message: str
) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    with pytest.raises(ValidationError) as caught:
        funding_receipts.create_receipt(session, data=receipt_data(commitment, **changes))
    assert caught.value.field == field
    assert message in caught.value.message
    assert session.scalar(sa.select(sa.func.count(FundingReceipt.id))) == 0


def test_no_receipts_against_an_archived_commitment(session: Session, funder: Any) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    records.archive(session, obj=commitment)
    with pytest.raises(ValidationError, match="restore it"):
        funding_receipts.create_receipt(session, data=receipt_data(commitment))


def test_receipt_form_choices_offer_open_commitments(session: Session, funder: Any) -> None:
    open_one = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    cancelled = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name, title="Withdrawn")
    )
    funding_commitments.change_commitment_status(
        session, commitment=cancelled, status="cancelled", on=date(2024, 12, 1), note=None
    )
    ids = [value for value, _, _ in funding_receipts.commitment_choices(session)]
    assert ids == [str(open_one.id)]
    assert str(cancelled.id) in [
        v for v, _, _ in funding_receipts.commitment_choices(session, include=cancelled.id)
    ]
    ((_, label, currency),) = funding_receipts.commitment_choices(session)
    assert (
        label == f"Brightpath Foundation · Core grant 2025-2026 · USD 100,000.00 (#{open_one.id})"
    )
    assert currency == "USD"
    assert (
        funding_receipts.receipt_defaults(session, {"commitment_id": str(open_one.id)})[
            "currency_code"
        ]
        == "USD"
    )
    assert "commitment_id" not in funding_receipts.receipt_defaults(
        session, {"commitment_id": "abc"}
    )


# --- EUR figures on the commitment page ------------------------------------------------------


def test_eur_figures_name_the_rate_and_its_date(session: Session, funder: Any) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 10, 1), value="1.0300")
    factories.rate(session, base="EUR", quote="USD", on=date(2025, 3, 1), value="1.0850")
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name)
    )
    april = date(2025, 4, 1)
    funding_receipts.create_receipt(
        session, data=receipt_data(commitment, amount="40000.00", received_on=april)
    )
    funding_receipts.create_receipt(
        session,
        data=receipt_data(commitment, amount="10000.00", currency_code="EUR", received_on=april),
    )
    archived = funding_receipts.create_receipt(
        session, data=receipt_data(commitment, amount="5.00")
    )
    records.archive(session, obj=archived)

    money = commitment_page.commitment_money(session, commitment=commitment, currency="EUR")

    # The pledge (2024-11-05) takes the rate in force then; the receipts (2025-04-01) theirs.
    pledged_eur = (Decimal("100000.00") / Decimal("1.0300")).quantize(Decimal("0.01"))
    received_eur = (Decimal("40000.00") / Decimal("1.0850") + Decimal("10000.00")).quantize(
        Decimal("0.01")
    )
    assert money.pledged_converted.total.amount == pledged_eur
    assert money.received_converted.total.amount == received_eur
    assert money.received_in_currency == Decimal("40000.00")
    assert money.received_other == (("EUR", Decimal("10000.00")),)
    assert money.received_share == "40.00%"
    # With money in two currencies only the converted figures compare all of it.
    expected_share = (received_eur * 100 / pledged_eur).quantize(Decimal("0.01"), ROUND_HALF_UP)
    assert money.converted_share == f"{expected_share}%"
    assert money.pledged_converted.text == (
        f"≈ EUR {pledged_eur:,.2f} at 1 EUR = 1.0300 USD (2024-10-01)"
    )
    assert "at 1 EUR = 1.0850 USD (2025-03-01)" in money.received_converted.text
    # A newer rate changes neither: each row keeps the rate of its own date.
    factories.rate(session, base="EUR", quote="USD", on=date(2025, 5, 1), value="2.0000")
    again = commitment_page.commitment_money(session, commitment=commitment, currency="EUR")
    assert again.pledged_converted.text == money.pledged_converted.text
    assert again.received_converted.text == money.received_converted.text


def test_a_rate_stored_towards_eur_is_shown_as_stored(session: Session, funder: Any) -> None:
    factories.rate(session, base="GBP", quote="EUR", on=date(2024, 1, 1), value="1.17")
    commitment = funding_commitments.create_commitment(
        session,
        data=pledge_data(
            session,
            funder.name,
            currency_code="GBP",
            amount="1000.00",
            allocations={str(pillar_ids(session)[0]): "1000.00"},
        ),
    )
    money = commitment_page.commitment_money(session, commitment=commitment, currency="EUR")
    assert money.pledged_converted.total.amount == Decimal("1170.00")
    assert money.pledged_converted.text == "≈ EUR 1,170.00 at 1 GBP = 1.1700 EUR (2024-01-01)"


def test_a_currency_without_a_rate_is_named_not_guessed(session: Session, funder: Any) -> None:
    commitment = funding_commitments.create_commitment(
        session,
        data=pledge_data(
            session,
            funder.name,
            currency_code="JPY",
            amount="5000000",
            allocations={str(pillar_ids(session)[0]): "5000000"},
        ),
    )
    money = commitment_page.commitment_money(session, commitment=commitment, currency="EUR")
    assert money.pledged_converted.total.unconverted == ("JPY",)
    assert (
        "without JPY 5,000,000: no rate on or before the row's date" in money.pledged_converted.text
    )


def test_eur_pledges_need_no_conversion(session: Session, funder: Any) -> None:
    commitment = funding_commitments.create_commitment(
        session, data=pledge_data(session, funder.name, currency_code="EUR")
    )
    money = commitment_page.commitment_money(session, commitment=commitment, currency="EUR")
    assert money.pledged_converted.text == "EUR 100,000.00 (no conversion needed)"


def test_detail_context_shows_amounts_and_shares(session: Session, funder: Any) -> None:
    cb, ti, *_ = pillar_ids(session)
    commitment = funding_commitments.create_commitment(
        session,
        data=pledge_data(session, funder.name, allocations={str(cb): "25000", str(ti): "75000"}),
    )
    related = commitment_page.commitment_related(session, commitment, currency="EUR")
    assert [(a.pillar, a.amount, a.share) for a in related["allocations"]] == [
        ("Capacity Building", Decimal("25000.00"), "25.00%"),
        ("Technology & Innovation", Decimal("75000.00"), "75.00%"),
    ]
    assert [e.status for e in related["status_events"]] == [CommitmentStatus.PLEDGED]


# --- lists -----------------------------------------------------------------------------------


def titles(session: Session, spec: Any, **args: str) -> list[str]:
    result = run_list(session, spec, ListParams.from_args(spec, args))
    return [item.title for item in result.items]


def test_commitment_list_filters_and_search(session: Session) -> None:
    cb, ti, *_ = pillar_ids(session)
    ngo = factories.organization(session, name="Helping Hands", kind=OrganizationKind.NGO)
    fund = factories.organization(session, name="Core Fund", kind=OrganizationKind.FOUNDATION)
    a = funding_commitments.create_commitment(
        session,
        data=pledge_data(
            session,
            ngo.name,
            title="Alpha",
            currency_code="EUR",
            allocations={str(cb): "100000.00"},
        ),
    )
    funding_commitments.create_commitment(
        session,
        data=pledge_data(
            session,
            fund.name,
            title="Beta",
            pledged_on=date(2023, 5, 1),
            allocations={str(ti): "100000.00"},
        ),
    )
    funding_commitments.change_commitment_status(
        session, commitment=a, status="confirmed", on=date(2024, 12, 1), note=None
    )
    spec = funding_lists.COMMITMENT_LIST
    assert titles(session, spec) == ["Alpha", "Beta"]  # newest pledge first
    assert titles(session, spec, status="confirmed") == ["Alpha"]
    assert titles(session, spec, currency="USD") == ["Beta"]
    assert titles(session, spec, pillar=str(ti)) == ["Beta"]
    assert titles(session, spec, funder_kind="ngo") == ["Alpha"]
    assert titles(session, spec, year="2023") == ["Beta"]
    assert titles(session, spec, q="core fund") == ["Beta"]
    assert titles(session, spec, sort="funder") == ["Beta", "Alpha"]
    # Values that fit no filter are ignored, never an error.
    for bad in ({"status": "bogus"}, {"year": "abc"}, {"pillar": "x"}, {"sort": ";drop"}):
        assert titles(session, spec, **bad) == ["Alpha", "Beta"]
    assert titles(session, spec, page="abc") == ["Alpha", "Beta"]


def test_commitment_list_runs_a_constant_number_of_queries(session: Session) -> None:
    def count_queries(n: int) -> int:
        for i in range(n):
            org = factories.organization(session)
            funding_commitments.create_commitment(
                session, data=pledge_data(session, org.name, title=f"P{i}")
            )
        session.expire_all()
        statements: list[str] = []

        def on_execute(*args: Any) -> None:
            statements.append(args[2])

        engine = session.get_bind()
        event.listen(engine, "before_cursor_execute", on_execute)
        try:
            result = run_list(
                session,
                funding_lists.COMMITMENT_LIST,
                ListParams.from_args(funding_lists.COMMITMENT_LIST, {}),
            )
            for item in result.items:
                for column in funding_lists.COMMITMENT_LIST.columns:
                    column.value(item)
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
        return len(statements)

    assert count_queries(2) == count_queries(10)


def test_receipt_and_rate_lists_filter(session: Session, funder: Any) -> None:
    other = factories.organization(session, name="Other Fund")
    mine = funding_commitments.create_commitment(session, data=pledge_data(session, funder.name))
    theirs = funding_commitments.create_commitment(
        session, data=pledge_data(session, other.name, title="T")
    )
    funding_receipts.create_receipt(session, data=receipt_data(mine, received_on=date(2024, 12, 1)))
    funding_receipts.create_receipt(session, data=receipt_data(theirs, currency_code="EUR"))
    spec = funding_lists.RECEIPT_LIST

    def receipts(**args: str) -> list[int]:
        result = run_list(session, spec, ListParams.from_args(spec, args))
        return [r.commitment_id for r in result.items]

    assert receipts() == [theirs.id, mine.id]
    assert receipts(year="2024") == [mine.id]
    assert receipts(currency="EUR") == [theirs.id]
    assert receipts(funder=str(funder.id)) == [mine.id]
    assert receipts(q="other fund") == [theirs.id]
    assert receipts(commitment=str(mine.id)) == [mine.id]

    # The filters offer the years and currencies that occur, and only those: a year without
    # receipts between two with some is not offered.
    funding_receipts.create_receipt(session, data=receipt_data(mine, received_on=date(2022, 3, 1)))
    filters = {f.key: f for f in spec.filters}
    years = [v for v, _ in listing.year_choices(FundingReceipt.received_on)(session)]
    assert years == ["2025", "2024", "2022"]
    assert listing.filter_choices(session, spec, filters["currency"]) == (
        ("EUR", "EUR"),
        ("USD", "USD"),
    )

    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 2), value="1.1")
    factories.rate(session, base="EUR", quote="GBP", on=date(2025, 1, 2), value="0.85")
    rates = funding_lists.EXCHANGE_RATE_LIST

    def quotes(**args: str) -> list[str]:
        result = run_list(session, rates, ListParams.from_args(rates, args))
        return [r.quote_code for r in result.items]

    assert quotes() == ["GBP", "USD"]
    assert quotes(quote="USD") == ["USD"]
    assert quotes(year="2024") == ["USD"]
    assert quotes(base="EUR", year="abc") == ["GBP", "USD"]


# --- exchange rates by hand ------------------------------------------------------------------


def rate_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "base_code": "EUR",
        "quote_code": "USD",
        "rate_date": date(2025, 11, 3),
        "rate": "1.0850",
        "source": "ECB reference rate",
    }
    data.update(changes)
    return data


def test_rates_are_created_and_edited(session: Session) -> None:
    rate = funding_rates.create_exchange_rate(session, data=rate_data(base_code="eur"))
    assert (rate.base_code, rate.quote_code, rate.rate) == ("EUR", "USD", Decimal("1.0850"))
    funding_rates.update_exchange_rate(session, obj=rate, data=rate_data(rate="1.0861"))
    assert rate.rate == Decimal("1.0861")
    # Saving a rate under its own date, base and quote is not a duplicate.
    funding_rates.update_exchange_rate(session, obj=rate, data=rate_data(rate="1.0862"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"rate": "0"}, "rate", "greater than 0"),
        ({"rate": "-1.2"}, "rate", "greater than 0"),
        ({"rate": "abc"}, "rate", "not a number"),
        ({"rate": ""}, "rate", "Enter the rate"),
        ({"rate": "1.00000000001"}, "rate", "10 decimal places"),
        ({"rate": "1000000000000"}, "rate", "too large"),
        ({"rate": "1e12"}, "rate", "not a number"),
        ({"rate": "1,085"}, "rate", "did you mean 1.085 or 1085?"),
        ({"quote_code": "EUR"}, "quote_code", "differ from the base"),
        ({"base_code": "EURO"}, "base_code", "not a known ISO 4217"),
        ({"quote_code": ""}, "quote_code", "not a known ISO 4217"),
        ({"rate_date": None}, "rate_date", "rate's date"),
        ({"source": "https://ecb.europa.eu/rates"}, "source", COORDINATION_ONLY),
    ],
)
def test_bad_rates_are_refused(
    session: Session, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        funding_rates.create_exchange_rate(session, data=rate_data(**changes))
    assert caught.value.field == field
    assert message in caught.value.message


def test_one_rate_per_base_quote_and_date(session: Session) -> None:
    funding_rates.create_exchange_rate(session, data=rate_data())
    with pytest.raises(ValidationError) as caught:
        funding_rates.create_exchange_rate(session, data=rate_data(rate="1.2"))
    assert caught.value.field == "rate_date"
    assert caught.value.message == (
        "A EUR/USD rate for 2025-11-03 already exists (1 EUR = 1.0850 USD); edit that one instead."
    )
    # The other direction, or another day, is another rate.
    funding_rates.create_exchange_rate(session, data=rate_data(base_code="USD", quote_code="EUR"))
    funding_rates.create_exchange_rate(session, data=rate_data(rate_date=date(2025, 11, 4)))


def test_a_rate_between_two_other_currencies_is_refused_with_the_way_to_enter_it(
    session: Session,
) -> None:
    with pytest.raises(ValidationError) as caught:
        funding_rates.create_exchange_rate(
            session, data=rate_data(base_code="GBP", quote_code="USD")
        )
    assert caught.value.field == "quote_code"
    assert caught.value.message == (
        "Rates are stored against EUR: GBP/USD would never be used (other pairs are converted "
        "through EUR); enter EUR/GBP and EUR/USD instead."
    )
    content = "date,base,quote,rate\n2026-11-02,EUR,USD,1.0850\n2026-11-02,GBP,USD,1.25\n"
    with pytest.raises(rates_file.RatesFileInvalid) as refused:
        rates_file.load_exchange_rates_csv(session, content=content.encode())
    assert any("Row 3: Rates are stored against EUR: GBP/USD" in e for e in refused.value.errors)
    assert stored_rates(session) == {}  # all rows or none


# --- exchange rates from a CSV file ----------------------------------------------------------


GOOD_FILE = (
    "date,base,quote,rate\n"
    "2026-11-02,EUR,USD,1.0850\n"
    "2026-11-02,EUR,GBP,0.8623\n"
    "2026-11-03,EUR,USD,1.0861\n"
)


def stored_rates(session: Session) -> dict[tuple[date, str, str], Decimal]:
    return {
        (r.rate_date, r.base_code, r.quote_code): r.rate
        for r in session.scalars(sa.select(ExchangeRate))
    }


def test_a_good_file_is_loaded(session: Session) -> None:
    result = rates_file.load_exchange_rates_csv(
        session, content=GOOD_FILE.encode(), filename="rates.csv"
    )
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert stored_rates(session) == {
        (date(2026, 11, 2), "EUR", "USD"): Decimal("1.0850"),
        (date(2026, 11, 2), "EUR", "GBP"): Decimal("0.8623"),
        (date(2026, 11, 3), "EUR", "USD"): Decimal("1.0861"),
    }
    sources = set(session.scalars(sa.select(ExchangeRate.source)))
    assert sources == {"CSV upload rates.csv"}


def test_bom_semicolons_and_decimal_commas_are_read(session: Session) -> None:
    content = (
        "\ufeffDate;Base;Quote;Rate\r\n"
        "2026-11-02;eur;usd;1,0850\r\n"
        "\r\n"
        "2026-11-02;EUR;JPY;162.5\r\n"
    )
    result = rates_file.load_exchange_rates_csv(session, content=content.encode("utf-8"))
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert stored_rates(session) == {
        (date(2026, 11, 2), "EUR", "USD"): Decimal("1.0850"),
        (date(2026, 11, 2), "EUR", "JPY"): Decimal("162.5"),
    }


def test_columns_may_come_in_any_order(session: Session) -> None:
    content = "rate,quote,base,date\n1.0850,USD,EUR,2026-11-02\n"
    assert rates_file.load_exchange_rates_csv(session, content=content.encode()).created == 1


def test_re_uploading_changes_nothing_and_a_changed_rate_is_updated(session: Session) -> None:
    rates_file.load_exchange_rates_csv(session, content=GOOD_FILE.encode())
    again = rates_file.load_exchange_rates_csv(session, content=GOOD_FILE.encode())
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = GOOD_FILE.replace("0.8623", "0.8630") + "2026-11-04,EUR,USD,1.0870\n"
    result = rates_file.load_exchange_rates_csv(session, content=changed.encode())
    assert (result.created, result.updated, result.unchanged) == (1, 1, 2)
    assert stored_rates(session)[(date(2026, 11, 2), "EUR", "GBP")] == Decimal("0.8630")
    # Trailing zeros are the same rate, not a change.
    same = changed.replace("1.0850", "1.085000")
    assert rates_file.load_exchange_rates_csv(session, content=same.encode()).updated == 0


def test_a_file_with_one_bad_row_writes_nothing(session: Session) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2026, 11, 2), value="1.0000")
    bad = GOOD_FILE + "2026-11-04,EUR,ABC,1.2\n"
    before = stored_rates(session)
    with pytest.raises(rates_file.RatesFileInvalid) as caught:
        rates_file.load_exchange_rates_csv(session, content=bad.encode())
    assert caught.value.errors == ["Row 5: quote 'ABC' is not a known ISO 4217 currency code."]
    assert caught.value.field == "file"
    assert "nothing was loaded" in caught.value.message
    assert stored_rates(session) == before


def test_every_problem_is_reported_by_row(session: Session) -> None:
    content = (
        "date,base,quote,rate\n"
        "2026-11-02,EUR,USD,1.0850\n"
        "02/11/2026,EUR,USD,1.0850\n"
        "2026-11-02,EUR,GBP,-0.86\n"
        "2026-11-02,EUR,EUR,1\n"
        "2026-11-02,EUR,USD,1.0851\n"
        "2026-11-03,EUR,USD\n"
        "2026-02-30,EUR,USD,abc\n"
        "2026-11-05,EUR,USD,1,08\n"
    )
    with pytest.raises(rates_file.RatesFileInvalid) as caught:
        rates_file.load_exchange_rates_csv(session, content=content.encode())
    errors = caught.value.errors
    assert [e.split(":")[0] for e in errors] == [
        "Row 3",
        "Row 4",
        "Row 5",
        "Row 6",
        "Row 7",
        "Row 8",
        "Row 9",
    ]
    assert "date '02/11/2026' is not a date as YYYY-MM-DD" in errors[0]
    assert "greater than 0" in errors[1]
    assert "base and quote are the same currency" in errors[2]
    assert "the same date, base and quote as row 2" in errors[3]
    assert "expected 4 values" in errors[4]
    assert "'2026-02-30' is not a date" in errors[5] and "'abc'" in errors[5]
    assert "expected 4 values" in errors[6]
    assert session.scalar(sa.select(sa.func.count(ExchangeRate.id))) == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty"),
        (b"\n\n", "The file is empty"),
        (b"day,from,to,value\n2026-11-02,EUR,USD,1.08\n", "Row 1: the header must be"),
        (b"date,base,quote,rate\n", "no rates"),
        ("date,base,quote,rate\n2026-11-02,EUR,USD,1.08\n".encode("utf-16"), "not UTF-8"),
        (b"date,base,quote,rate\n2026-11-02,EUR,USD,1.08\xff\n", "not UTF-8"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(
    session: Session, content: bytes, message: str
) -> None:
    with pytest.raises(rates_file.RatesFileInvalid) as caught:
        rates_file.load_exchange_rates_csv(session, content=content)
    assert message in caught.value.errors[0]


def test_loading_is_audited_with_a_summary_and_each_row(session: Session) -> None:
    audit.set_actor(session, actor_id=None, label="m@test.example")
    rates_file.load_exchange_rates_csv(session, content=GOOD_FILE.encode(), filename="nov.csv")
    imports = session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert [(e.summary, e.actor_label) for e in imports] == [
        ("CSV upload nov.csv: 3 created, 0 updated, 0 unchanged", "m@test.example")
    ]
    created = session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.entity_type == "exchange_rates", AuditEvent.action == "create"
        )
    )
    assert created == 3
