"""Every write of an audited record leaves a field-level event naming its actor."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.audit.models import AuditEvent
from coordapp.data_version import data_version
from coordapp.partners.models import Organization, OrganizationKind
from tests import factories


def events(session: Session, entity_id: int) -> list[AuditEvent]:
    return audit.events_for(session, entity_type="organizations", entity_id=entity_id)


def test_create_update_archive_restore_are_recorded_field_by_field(session: Session) -> None:
    audit.set_actor(session, actor_id=None, label="tester")
    org = factories.organization(session, name="Acme Search", kind=OrganizationKind.INDUSTRY)
    org.name = "Acme Search Ltd"
    org.website = "https://acme.example"
    session.flush()
    org.archived_at = datetime.now(UTC).replace(tzinfo=None)
    session.flush()
    org.archived_at = None
    session.flush()

    history = events(session, org.id)
    assert [e.action for e in history] == ["create", "update", "archive", "restore"]
    assert history[0].changes["kind"] == [None, "industry"]
    assert history[1].changes == {
        "name": ["Acme Search", "Acme Search Ltd"],
        "website": [None, "https://acme.example"],
    }
    assert {e.actor_label for e in history} == {"tester"}


def test_a_flush_without_changes_records_nothing(session: Session) -> None:
    org = factories.organization(session)
    org.name = org.name  # same value
    session.flush()
    assert [e.action for e in events(session, org.id)] == ["create"]


def test_bulk_loads_write_no_per_row_events(session: Session) -> None:
    before = session.scalar(sa.select(sa.func.count(AuditEvent.id)))
    with audit.bulk_load(session):
        session.add(Organization(name="Bulk", kind=OrganizationKind.NGO))
        session.flush()
    assert session.scalar(sa.select(sa.func.count(AuditEvent.id))) == before


def test_a_stale_version_is_refused(session: Session) -> None:
    import pytest
    from sqlalchemy.orm.exc import StaleDataError

    org = factories.organization(session)
    assert org.version == 1
    session.execute(
        sa.update(Organization.__table__)
        .where(Organization.__table__.c.id == org.id)
        .values(version=2, name="Other")
    )
    org.notes = "my edit"
    with pytest.raises(StaleDataError):
        session.flush()


def test_every_write_moves_the_data_version_on(session: Session) -> None:
    start = data_version(session)
    org = factories.organization(session)
    after_insert = data_version(session)
    assert after_insert > start
    org.notes = "changed"
    session.flush()
    assert data_version(session) > after_insert
    session.flush()  # nothing to write: no new version
    assert data_version(session) == after_insert + 1
    with audit.bulk_load(session):
        factories.organization(session)
    assert data_version(session) == after_insert + 2


def test_an_erasure_writes_no_event_with_the_old_values_and_redacts_the_earlier_ones(
    session: Session,
) -> None:
    org = factories.organization(session, name="Old Name Trust")
    org.notes = "about Old Name"
    session.flush()
    with audit.erasing(
        session, entity_type="organizations", entity_id=org.id, fields=frozenset({"name"})
    ):
        org.name = "Erased"

    history = events(session, org.id)
    assert [e.action for e in history] == ["create", "update"]
    assert history[0].changes["name"] == [None, audit.ERASED]
    assert history[1].changes == {"notes": [None, "about Old Name"]}  # not an erased field
    assert "Old Name Trust" not in str([e.changes for e in history])


def test_an_erasure_that_fails_redacts_nothing(session: Session) -> None:
    org = factories.organization(session, name="Kept Name")
    try:
        with audit.erasing(
            session, entity_type="organizations", entity_id=org.id, fields=frozenset({"name"})
        ):
            raise RuntimeError("the erasure stopped")
    except RuntimeError:
        pass
    assert events(session, org.id)[0].changes["name"] == [None, "Kept Name"]
