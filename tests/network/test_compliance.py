"""The membership-compliance register: the state rule (SQL and Python agree), items and their
bad input, requirements as reference data, the promotion check, needs-attention, the matrix
and the map's share per country."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent
from coordapp.errors import ValidationError
from coordapp.main import attention as home
from coordapp.network import compliance, compliance_matrix, compliance_requirements
from coordapp.network.compliance_models import (
    ComplianceItem,
    ComplianceRequirement,
)
from coordapp.network.models import Hotline, HotlineMembershipEvent, MembershipStatus
from coordapp.records import service as records
from tests import factories

TODAY = date.today()
A, P, F = MembershipStatus.APPLICANT, MembershipStatus.PROVISIONAL, MembershipStatus.FULL


def requirement(session: Session, name: str) -> ComplianceRequirement:
    return session.scalars(
        sa.select(ComplianceRequirement).where(ComplianceRequirement.name == name)
    ).one()


def needed(session: Session) -> list[ComplianceRequirement]:
    return [r for r in compliance_requirements.active_requirements(session) if r.needed_for_full]


def provisional(session: Session, country: str = "KE", name: str | None = None) -> Hotline:
    return factories.hotline(
        session,
        country=country,
        name=name,
        events=[(date(2010, 1, 1), A), (date(2011, 1, 1), P)],
    )


def item_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "status": "met",
        "detail": "",
        "document_reference": "Secretariat file 2024/17",
        "done_on": TODAY - timedelta(days=100),
        "expires_on": None,
        "note": "",
    }
    data.update(changes)
    return data


def meet_everything(session: Session, hotline: Hotline) -> None:
    for req in needed(session):
        compliance.set_item(session, hotline=hotline, requirement_id=req.id, data=item_data())


def item_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(ComplianceItem)) or 0


# --- the seeded requirements -----------------------------------------------------------------


def test_the_network_s_requirements_are_seeded_in_order(session: Session) -> None:
    names = [r.name for r in compliance_requirements.active_requirements(session)]
    assert names == [
        "Code of Practice signed",
        "Quality-assurance assessment",
        "Staff-welfare policy",
        "Legal basis",
        "Law-enforcement recognition",
        "Analysts trained: basic",
        "Analysts trained: advanced",
    ]
    assert requirement(session, "Code of Practice signed").detail_label == "Version"
    assert requirement(session, "Quality-assurance assessment").renewal_months == 36
    assert not requirement(session, "Analysts trained: advanced").needed_for_full


def test_seeding_fills_an_empty_register_once_and_then_leaves_it_to_the_admins(
    session: Session,
) -> None:
    assert compliance_requirements.seed_requirements(session) == 0
    session.execute(sa.delete(ComplianceRequirement))
    assert compliance_requirements.seed_requirements(session) == 7
    assert len(compliance_requirements.active_requirements(session)) == 7
    records.archive(session, obj=requirement(session, "Legal basis"))
    assert compliance_requirements.seed_requirements(session) == 0
    assert len(compliance_requirements.active_requirements(session)) == 6


# --- the state rule --------------------------------------------------------------------------


def test_every_state_reads_the_same_in_sql_and_in_the_section(session: Session) -> None:
    hotline = provisional(session)
    qa = requirement(session, "Quality-assurance assessment")
    welfare = requirement(session, "Staff-welfare policy")
    legal = requirement(session, "Legal basis")
    police = requirement(session, "Law-enforcement recognition")
    basic = requirement(session, "Analysts trained: basic")
    advanced = requirement(session, "Analysts trained: advanced")
    done = TODAY - timedelta(days=400)
    rows = [
        (qa, item_data(done_on=done, expires_on=TODAY - timedelta(days=1)), "expired"),
        (welfare, item_data(done_on=done, expires_on=TODAY + timedelta(days=90)), "expiring"),
        (legal, item_data(done_on=done, expires_on=TODAY + timedelta(days=91)), "met"),
        (police, item_data(status="pending", done_on=None), "pending"),
        (basic, item_data(status="not_met", done_on=None), "not_met"),
        (advanced, item_data(status="waived", note="Covered by the national programme"), "waived"),
    ]
    for req, data, _ in rows:
        compliance.set_item(session, hotline=hotline, requirement_id=req.id, data=data)
    expected = {req.id: state for req, _, state in rows}
    expected[requirement(session, "Code of Practice signed").id] = "missing"

    section = compliance.hotline_compliance(session, hotline_id=hotline.id, today=TODAY)
    assert {r.requirement.id: r.state for r in section.rows} == expected
    matrix = compliance_matrix.compliance_matrix(session, today=TODAY)
    (row,) = [r for r in matrix.rows if r.hotline_id == hotline.id]
    assert {
        req.id: cell.state for req, cell in zip(matrix.requirements, row.cells, strict=True)
    } == expected
    # An item holds up to and including its last day.
    assert compliance.state_of(section.rows[1].item, TODAY - timedelta(days=2)) == "expiring"
    assert section.missing_for_full == [
        "Code of Practice signed",
        "Quality-assurance assessment",
        "Law-enforcement recognition",
        "Analysts trained: basic",
    ]


# --- items: what is recorded and what is refused ---------------------------------------------


def test_an_item_is_recorded_and_then_changed_in_place(session: Session) -> None:
    hotline = provisional(session)
    qa = requirement(session, "Quality-assurance assessment")
    item = compliance.set_item(
        session,
        hotline=hotline,
        requirement_id=qa.id,
        data=item_data(done_on=date(2024, 3, 15), detail="passed"),
    )
    # No expiry given: the requirement's renewal period (36 months) sets it, last day included.
    assert item.expires_on == date(2027, 3, 14)
    changed = compliance.set_item(
        session,
        hotline=hotline,
        requirement_id=qa.id,
        data=item_data(done_on=date(2024, 3, 15), expires_on=date(2026, 12, 31)),
        expected_version=item.version,
    )
    assert changed.id == item.id and changed.expires_on == date(2026, 12, 31)
    assert item_count(session) == 1
    audited = session.scalars(
        sa.select(AuditEvent.action).where(AuditEvent.entity_type == "compliance_items")
    ).all()
    assert audited == ["create", "update"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"done_on": date(2024, 5, 1), "expires_on": date(2024, 4, 30)},
            "expires_on",
            "must come after the date it was done",
        ),
        (
            {"done_on": date(2024, 5, 1), "expires_on": date(2024, 5, 1)},
            "expires_on",
            "must come after",
        ),
        ({"status": "met", "done_on": None}, "done_on", "needs the date it was done"),
        ({"status": "waived", "note": ""}, "note", "why the requirement is waived"),
        ({"status": "excellent"}, "status", "is not one of"),
        ({"done_on": TODAY + timedelta(days=1)}, "done_on", "cannot be in the future"),
        (
            {"document_reference": "https://files.example.org/cop.pdf"},
            "document_reference",
            "do not paste links",
        ),
        ({"document_reference": "x" * 201}, "document_reference", "At most 200"),
        ({"expires_on": "31/12/2027"}, "expires_on", "write it as YYYY-MM-DD"),
    ],
)
def test_bad_item_input_is_refused_with_a_message_and_nothing_written(
    session: Session, changes: dict[str, Any], field: str, message: str
) -> None:
    hotline = provisional(session)
    qa = requirement(session, "Quality-assurance assessment")
    with pytest.raises(ValidationError, match=message) as error:
        compliance.set_item(
            session, hotline=hotline, requirement_id=qa.id, data=item_data(**changes)
        )
    assert error.value.field == field
    assert item_count(session) == 0


def test_a_requirement_without_expiry_takes_no_expiry_date(session: Session) -> None:
    hotline = provisional(session)
    cop = requirement(session, "Code of Practice signed")
    with pytest.raises(ValidationError, match="does not expire") as error:
        compliance.set_item(
            session,
            hotline=hotline,
            requirement_id=cop.id,
            data=item_data(expires_on=TODAY + timedelta(days=30)),
        )
    assert error.value.field == "expires_on" and item_count(session) == 0


@pytest.mark.parametrize("requirement_id", [987654, "abc", "", None, -1])
def test_an_unknown_requirement_is_refused(session: Session, requirement_id: Any) -> None:
    hotline = provisional(session)
    with pytest.raises(ValidationError) as error:
        compliance.set_item(
            session, hotline=hotline, requirement_id=requirement_id, data=item_data()
        )
    assert error.value.field == "requirement_id"
    assert item_count(session) == 0


def test_an_archived_requirement_takes_no_items_and_leaves_the_register(session: Session) -> None:
    hotline = provisional(session)
    advanced = requirement(session, "Analysts trained: advanced")
    records.archive(session, obj=advanced)
    with pytest.raises(ValidationError, match="no such requirement in force"):
        compliance.set_item(session, hotline=hotline, requirement_id=advanced.id, data=item_data())
    section = compliance.hotline_compliance(session, hotline_id=hotline.id, today=TODAY)
    assert advanced.id not in {r.requirement.id for r in section.rows}
    assert advanced not in compliance_matrix.compliance_matrix(session, today=TODAY).requirements


def test_an_archived_hotline_s_items_cannot_change(session: Session) -> None:
    hotline = provisional(session)
    records.archive(session, obj=hotline)
    with pytest.raises(ValidationError, match="restore it before"):
        compliance.set_item(
            session,
            hotline=hotline,
            requirement_id=requirement(session, "Legal basis").id,
            data=item_data(),
        )
    assert item_count(session) == 0


# --- requirements: reference data an admin changes -------------------------------------------


def test_an_admin_adds_and_changes_a_requirement(session: Session) -> None:
    created = compliance_requirements.create_requirement(
        session,
        data={
            "name": "Data-protection audit",
            "has_expiry": True,
            "renewal_months": "24",
            "needed_for_full": True,
            "sort_order": "80",
            "description": "An external audit of the hotline's data protection.",
        },
    )
    assert created.renewal_months == 24 and created.needed_for_full
    assert compliance_requirements.active_requirements(session)[-1].name == "Data-protection audit"
    compliance_requirements.update_requirement(
        session,
        obj=created,
        data={"name": "Data-protection audit", "needed_for_full": False, "sort_order": "5"},
        expected_version=created.version,
    )
    assert not created.needed_for_full and created.renewal_months is None
    assert compliance_requirements.active_requirements(session)[0].name == "Data-protection audit"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": "legal BASIS"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Audit", "renewal_months": "12", "has_expiry": False}, "renewal_months"),
        ({"name": "Audit", "has_expiry": True, "renewal_months": "0"}, "renewal_months"),
        ({"name": "Audit", "sort_order": "first"}, "sort_order"),
        ({"name": "See https://example.org/rules"}, "name"),
    ],
)
def test_bad_requirement_input_is_refused(
    session: Session, data: dict[str, Any], field: str
) -> None:
    before = len(compliance_requirements.active_requirements(session))
    with pytest.raises(ValidationError) as error:
        compliance_requirements.create_requirement(session, data=data)
    assert error.value.field == field
    assert len(compliance_requirements.active_requirements(session)) == before


# --- promotion to full member ----------------------------------------------------------------


def _full_events(session: Session, hotline: Hotline) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count()).where(
                HotlineMembershipEvent.hotline_id == hotline.id,
                HotlineMembershipEvent.status == F.value,
            )
        )
        or 0
    )


def _overrides(session: Session) -> list[AuditEvent]:
    return list(
        session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "full_despite_missing"))
    )


def test_promotion_with_requirements_missing_and_no_reason_writes_nothing(
    session: Session,
) -> None:
    hotline = provisional(session)
    audit_rows = session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    with pytest.raises(ValidationError, match="lacks 6 requirement") as error:
        compliance.add_membership_event_checked(
            session, hotline=hotline, on=TODAY, status="full", note=None, reason="  "
        )
    assert error.value.field == "reason"
    assert "Code of Practice signed" in error.value.message
    assert _full_events(session, hotline) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audit_rows
    # The hotline still reads as provisional, and may be promoted later.
    assert [e.status for e in hotline.membership_events] == [A, P]


def test_promotion_with_a_reason_goes_on_and_is_audited(session: Session) -> None:
    hotline = provisional(session)
    meet_everything(session, hotline)
    basic = requirement(session, "Analysts trained: basic")
    compliance.set_item(
        session,
        hotline=hotline,
        requirement_id=basic.id,
        data=item_data(status="pending", done_on=None),
    )
    event = compliance.add_membership_event_checked(
        session,
        hotline=hotline,
        on=TODAY,
        status=F,
        note="Board decision",
        reason="Board decided; basic training booked for next month",
    )
    assert event.status == F and _full_events(session, hotline) == 1
    (override,) = _overrides(session)
    assert override.entity_type == "hotlines" and override.entity_id == str(hotline.id)
    assert override.summary == "Board decided; basic training booked for next month"
    assert override.changes == {"missing_requirements": [None, ["Analysts trained: basic"]]}


def test_promotion_with_everything_in_order_needs_no_reason(session: Session) -> None:
    hotline = provisional(session)
    meet_everything(session, hotline)
    compliance.add_membership_event_checked(
        session, hotline=hotline, on=TODAY, status="full", note=None, reason=None
    )
    assert _full_events(session, hotline) == 1 and _overrides(session) == []


def test_an_item_expired_on_the_promotion_day_counts_as_missing(session: Session) -> None:
    hotline = provisional(session)
    meet_everything(session, hotline)
    qa = requirement(session, "Quality-assurance assessment")
    compliance.set_item(
        session,
        hotline=hotline,
        requirement_id=qa.id,
        data=item_data(done_on=date(2020, 1, 1), expires_on=TODAY - timedelta(days=1)),
    )
    assert compliance.missing_for_full(session, hotline_id=hotline.id, on=TODAY) == [qa.name]
    # On an earlier day it still held.
    assert (
        compliance.missing_for_full(session, hotline_id=hotline.id, on=TODAY - timedelta(1)) == []
    )


def test_an_impossible_promotion_reports_the_history_first(session: Session) -> None:
    hotline = factories.hotline(session, country="KE", events=[(date(2010, 1, 1), A)])
    with pytest.raises(ValidationError, match="No full member before applicant"):
        compliance.add_membership_event_checked(
            session, hotline=hotline, on=date(2009, 1, 1), status="full", note=None, reason=None
        )
    assert _full_events(session, hotline) == 0


def test_other_membership_events_need_no_reason(session: Session) -> None:
    hotline = provisional(session)
    compliance.add_membership_event_checked(
        session, hotline=hotline, on=TODAY, status="suspended", note=None, reason=None
    )
    assert hotline.membership_events[-1].status == MembershipStatus.SUSPENDED


# --- needs attention, the matrix's filter, the map ------------------------------------------


def test_needs_attention_lists_items_expired_or_expiring_within_90_days(session: Session) -> None:
    hotline = provisional(session, name="Linda Mtandao")
    archived = provisional(session, country="UG", name="Closed Hotline")
    qa = requirement(session, "Quality-assurance assessment")
    welfare = requirement(session, "Staff-welfare policy")
    legal = requirement(session, "Legal basis")
    done = TODAY - timedelta(days=500)
    for req, expires in (
        (qa, TODAY - timedelta(days=3)),
        (welfare, TODAY + timedelta(days=90)),
        (legal, TODAY + timedelta(days=91)),
    ):
        compliance.set_item(
            session,
            hotline=hotline,
            requirement_id=req.id,
            data=item_data(done_on=done, expires_on=expires),
        )
    compliance.set_item(
        session,
        hotline=archived,
        requirement_id=qa.id,
        data=item_data(done_on=done, expires_on=TODAY - timedelta(days=3)),
    )
    records.archive(session, obj=archived)
    section = home.compliance_due(session, today=TODAY)
    assert section.count == 2
    assert [i.label for i in section.items] == [
        "Linda Mtandao: Quality-assurance assessment",
        "Linda Mtandao: Staff-welfare policy",
    ]
    assert section.items[0].overdue and "3 days ago" in section.items[0].detail
    assert not section.items[1].overdue and "90 days left" in section.items[1].detail
    assert "compliance" in {s.key for s in home.needs_attention(session, today=TODAY).sections}


def test_the_matrix_filters_by_membership_status_today(session: Session) -> None:
    member = provisional(session, name="Member Hotline")
    applicant = factories.hotline(
        session, country="UG", name="Applicant Hotline", events=[(date(2020, 1, 1), A)]
    )
    newcomer = factories.hotline(session, country="TZ", name="Newcomer Hotline")

    def names(status: str) -> list[str]:
        matrix = compliance_matrix.compliance_matrix(session, today=TODAY, membership_status=status)
        return [r.hotline for r in matrix.rows]

    assert names("provisional") == [member.name]
    assert names("applicant") == [applicant.name]
    assert names("none") == [newcomer.name]
    assert names("") == sorted([member.name, applicant.name, newcomer.name], key=str.lower)
    rows = compliance_matrix.matrix_export_rows(
        compliance_matrix.compliance_matrix(session, today=TODAY)
    )
    assert rows[0][:5] == [
        "Hotline",
        "Country",
        "Membership today",
        "Code of Practice signed",
        "Code of Practice signed: holds until",
    ]
    assert len(rows) == 4 and rows[1][3] == "Missing"


def test_the_map_s_share_counts_each_country_s_member_hotlines(session: Session) -> None:
    complete = provisional(session, country="KE", name="Complete Kenya")
    meet_everything(session, complete)
    provisional(session, country="KE", name="Empty Kenya")
    half = provisional(session, country="UG", name="Half Uganda")
    for req in needed(session)[:3]:
        compliance.set_item(session, hotline=half, requirement_id=req.id, data=item_data())
    factories.hotline(session, country="TZ", name="Applicant", events=[(date(2020, 1, 1), A)])
    shares = compliance.compliance_share_by_country(session, today=TODAY)
    assert shares == {"KE": pytest.approx(0.5), "UG": pytest.approx(0.5)}
