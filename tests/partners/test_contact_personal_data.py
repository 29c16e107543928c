"""A contact's personal data: the export holds everything, the erasure leaves nothing readable."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.audit.models import AuditEvent
from coordapp.errors import ValidationError
from coordapp.partners import contacts
from coordapp.partners.models import Contact, Partnership
from coordapp.training.models import TrainingParticipation
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]
PERSONAL = {
    "full_name": "Ana Costa",
    "job_title": "Head of Trust",
    "email": "ana.costa@searchlight.example",
    "phone": "+351 21 555 0100",
    "lawful_basis": "Consent given at the 2025 summit",
}


def make_contact(session: Session) -> Contact:
    audit.set_actor(session, actor_id=None, label="manager@test.example")
    org = factories.organization(session, name="Searchlight")
    contact = contacts.create_contact(
        session,
        data={**PERSONAL, "organization": org.name, "last_contacted_on": date(2026, 1, 5)},
    )
    contacts.update_contact(
        session,
        obj=contact,
        data={
            **PERSONAL,
            "organization": org.name,
            "email": "ana@searchlight.example",
            "phone": "+351 21 555 0199",
            "last_contacted_on": date(2026, 1, 5),
        },
        expected_version=contact.version,
    )
    return contact


def all_event_text(session: Session, contact_id: int) -> str:
    rows = session.scalars(
        sa.select(AuditEvent).where(
            AuditEvent.entity_type == "contacts", AuditEvent.entity_id == str(contact_id)
        )
    )
    return json.dumps([[e.changes, e.summary] for e in rows])


def test_export_holds_every_field_and_the_history(session: Session) -> None:
    contact = make_contact(session)
    data = contacts.export_contact(session, contact=contact)
    assert data["subject"] == {"type": "contact", "id": contact.id}
    assert data["contact"]["full_name"] == "Ana Costa"
    assert data["contact"]["email"] == "ana@searchlight.example"
    assert data["contact"]["phone"] == "+351 21 555 0199"
    assert data["contact"]["last_contacted_on"] == "2026-01-05"
    assert data["contact"]["lawful_basis"] == PERSONAL["lawful_basis"]
    assert data["organization"] == {"id": contact.organization_id, "name": "Searchlight"}
    assert [e["action"] for e in data["history"]] == ["create", "update"]  # not the export
    assert data["history"][1]["changes"]["email"] == [
        "ana.costa@searchlight.example",
        "ana@searchlight.example",
    ]
    json.dumps(data)  # serialisable as it is
    # The export itself is on record.
    assert audit.events_for(session, entity_type="contacts", entity_id=contact.id)[-1].action == (
        "export"
    )


def test_erasure_blanks_the_person_everywhere_and_keeps_the_business_records(
    session: Session,
) -> None:
    contact = make_contact(session)
    org_id = contact.organization_id
    agreement = factories.partnership(session, organization=contact.organization, title="MoU")
    before_text = all_event_text(session, contact.id)
    assert "ana.costa@searchlight.example" in before_text  # there was something to erase

    contacts.erase_contact(session, contact=contact)

    assert contact.full_name == f"Erased contact #{contact.id}"
    assert (contact.email, contact.phone, contact.job_title, contact.lawful_basis) == (
        None,
        None,
        None,
        None,
    )
    assert contact.erased_at is not None and contact.archived_at is not None
    assert contact.organization_id == org_id
    assert contact.last_contacted_on == date(2026, 1, 5)  # not personal: kept
    assert session.get(Partnership, agreement.id) is not None
    text = all_event_text(session, contact.id)
    for value in (
        "Ana Costa",
        "ana.costa@searchlight.example",
        "ana@searchlight.example",
        "+351 21 555 0100",
        "+351 21 555 0199",
        "Head of Trust",
        "Consent given",
    ):
        assert value not in text, value
    events = audit.events_for(session, entity_type="contacts", entity_id=contact.id)
    assert [e.action for e in events] == ["create", "update", "erase"]
    assert events[0].changes["full_name"] == [None, audit.ERASED]
    assert events[0].changes["last_contacted_on"] == [None, "2026-01-05"]  # untouched
    assert events[1].changes["email"] == [audit.ERASED, audit.ERASED]
    assert events[2].changes["full_name"] == [audit.ERASED, f"Erased contact #{contact.id}"]
    assert events[2].actor_label == "manager@test.example"


def _attendance(
    session: Session, contact: Contact
) -> tuple[TrainingParticipation, TrainingParticipation, TrainingParticipation]:
    """Ana named on her organization's row, on a row of a hotline it operates, and a namesake
    of hers on another organization's row."""
    from coordapp.training import service as training
    from tests.training.helpers import event

    workshop = event(session, title="Hashing workshop")
    hotline = factories.hotline(session, country="PT", name="Linha Alerta")
    hotline.operator_id = contact.organization_id
    other = factories.organization(session, name="Elsewhere Ltd")
    own = training.set_participation(
        session,
        event=workshop,
        organization_id=contact.organization_id,
        participants=2,
        attendee_names="ANA  costa\nRui Silva",
    )
    operated = training.set_participation(
        session, event=workshop, hotline_id=hotline.id, participants=1, attendee_names="Ana Costa"
    )
    namesake = training.set_participation(
        session,
        event=workshop,
        organization_id=other.id,
        participants=1,
        attendee_names="Ana Costa",
    )
    session.flush()
    return own, operated, namesake


def test_export_and_erasure_cover_the_training_attendee_lists_naming_the_contact(
    session: Session,
) -> None:
    contact = make_contact(session)
    own, operated, namesake = _attendance(session, contact)
    exported = contacts.export_contact(session, contact=contact)["named_as_training_attendee"]
    assert [(e["training"], e["participant_row"]) for e in exported] == [
        ("Hashing workshop", own.id),
        ("Hashing workshop", operated.id),
    ]

    contacts.erase_contact(session, contact=contact)

    assert own.attendee_names == "Rui Silva"
    assert operated.attendee_names is None
    assert namesake.attendee_names == "Ana Costa"  # a namesake elsewhere: not hers
    history = json.dumps(
        [
            e.changes
            for e in session.scalars(
                sa.select(AuditEvent).where(
                    AuditEvent.entity_type == "training_participations",
                    AuditEvent.entity_id.in_([str(own.id), str(operated.id)]),
                )
            )
        ]
    ).lower()
    assert "ana" not in history  # the lists' history is redacted
    erase = audit.events_for(session, entity_type="contacts", entity_id=contact.id)[-1]
    assert (
        erase.summary == "Personal data erased on request, also from 2 training attendee list(s)."
    )


def test_an_erased_contact_cannot_be_edited_and_erasing_twice_changes_nothing(
    session: Session,
) -> None:
    contact = make_contact(session)
    contacts.erase_contact(session, contact=contact)
    count = len(audit.events_for(session, entity_type="contacts", entity_id=contact.id))
    contacts.erase_contact(session, contact=contact)
    assert len(audit.events_for(session, entity_type="contacts", entity_id=contact.id)) == count
    with pytest.raises(ValidationError, match="was erased"):
        contacts.update_contact(
            session,
            obj=contact,
            data={"organization": "Searchlight", "full_name": "Ana Costa"},
            expected_version=contact.version,
        )


def test_other_contacts_events_are_untouched(session: Session) -> None:
    contact = make_contact(session)
    other = contacts.create_contact(
        session, data={"organization": "Searchlight", "full_name": "Bo Berg", "email": "bo@x.org"}
    )
    contacts.erase_contact(session, contact=contact)
    assert "Bo Berg" in all_event_text(session, other.id)
    assert other.full_name == "Bo Berg"


# --- pages -------------------------------------------------------------------------------


def test_admin_downloads_the_export_as_json(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        contact_id = make_contact(s).id
    response = signed_in("admin").get(f"/contacts/{contact_id}/personal-data")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.json is not None and response.json["contact"]["full_name"] == "Ana Costa"


def test_admin_erases_after_confirming(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        contact_id = make_contact(s).id
    client = signed_in("admin")
    unconfirmed = client.post(f"/contacts/{contact_id}/erase", data={})
    assert unconfirmed.status_code == 422
    assert "Tick the box to confirm the erasure." in unconfirmed.data.decode()
    with in_app() as s:
        assert s.get_one(Contact, contact_id).full_name == "Ana Costa"
    response = client.post(f"/contacts/{contact_id}/erase", data={"confirm": "y"})
    assert response.status_code == 302
    page = client.get(f"/contacts/{contact_id}").data.decode()
    assert f"Erased contact #{contact_id}" in page and "was erased on" in page
    assert "Ana Costa" not in page and "ana@searchlight.example" not in page
    assert "Ana Costa" not in client.get("/audit/?entity_type=contacts").data.decode()


def test_the_erase_event_lists_only_the_fields_that_held_something(session: Session) -> None:
    org = factories.organization(session)
    contact = factories.contact(session, organization=org, full_name="Solo Name")
    contacts.erase_contact(session, contact=contact)
    last = audit.events_for(session, entity_type="contacts", entity_id=contact.id)[-1]
    assert last.changes == {"full_name": [audit.ERASED, f"Erased contact #{contact.id}"]}
