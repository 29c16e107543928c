"""Training events and participation: the service verbs and the rules a training manager
relies on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.errors import NotFound, ValidationError
from coordapp.listing import ListParams, run_list
from coordapp.records import service as records
from coordapp.records.service import StaleRecord
from coordapp.training import pages as training_pages
from coordapp.training import service
from coordapp.training.lists import TRAINING_LIST
from coordapp.training.models import DeliveryMode, TrainingKind, TrainingParticipation
from coordapp.validation import COORDINATION_ONLY
from tests import factories
from tests.training.helpers import event, event_data, pillar_id

# --- events ----------------------------------------------------------------------------------


def test_create_event_cleans_and_stores(session: Session) -> None:
    org = factories.organization(session, name="Hotline Network Secretariat")
    created = event(
        session,
        title="  Classifier lab  ",
        location_country_code="nl",
        organizer="hotline network secretariat",
    )
    assert created.title == "Classifier lab"
    assert created.kind == TrainingKind.WORKSHOP
    assert created.delivery == DeliveryMode.IN_PERSON
    assert created.location_country_code == "NL"
    assert created.organizer_id == org.id
    assert created.pillar_id == pillar_id(session)


def test_online_event_needs_no_location(session: Session) -> None:
    created = event(session, delivery="online", location_country_code="")
    assert created.location_country_code is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": " "}, "title", "required"),
        ({"title": "x" * 201}, "title", "At most 200"),
        ({"kind": "party"}, "kind", "is not one of"),
        ({"pillar_id": "999999"}, "pillar_id", "pillars"),
        ({"pillar_id": "abc"}, "pillar_id", "pillars"),
        ({"end_date": date(2026, 3, 9)}, "end_date", "cannot be before"),
        ({"start_date": None}, "start_date", "YYYY-MM-DD"),
        ({"start_date": date(1800, 1, 1)}, "start_date", "between"),
        ({"delivery": "carrier pigeon"}, "delivery", "is not one of"),
        (
            {"delivery": "in_person", "location_country_code": ""},
            "location_country_code",
            "Choose a country",
        ),
        (
            {"delivery": "hybrid", "location_country_code": ""},
            "location_country_code",
            "Choose a country",
        ),
        ({"location_country_code": "ZZ"}, "location_country_code", "not a known ISO 3166-1"),
        ({"organizer": "Nobody Inc."}, "organizer", "No organization is named"),
        ({"notes": "see https://bad.example/x"}, "notes", COORDINATION_ONLY),
        ({"topics": "hash " + "ab" * 20}, "topics", COORDINATION_ONLY),
        ({"trainers": "t" * 301}, "trainers", "At most 300"),
    ],
)
def test_bad_event_input_is_refused_with_a_message_for_the_field(
    session: Session, change: dict[str, object], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        service.create_event(session, data=event_data(session, **change))
    assert caught.value.field == field
    assert message in caught.value.message


def test_update_event_applies_changes_and_refuses_a_stale_version(session: Session) -> None:
    created = event(session)
    service.update_event(
        session, obj=created, data=event_data(session, title="Renamed"), expected_version=1
    )
    assert created.title == "Renamed" and created.version == 2
    with pytest.raises(StaleRecord):
        service.update_event(
            session, obj=created, data=event_data(session, title="Again"), expected_version=1
        )
    assert created.title == "Renamed"


def test_archive_and_restore_event(session: Session) -> None:
    created = event(session)
    records.archive(session, obj=created)
    assert created.archived_at is not None
    records.restore(session, obj=created)
    assert created.archived_at is None


def test_get_event_unknown_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        service.get_event(session, 987654)


# --- the list --------------------------------------------------------------------------------


def _titles(session: Session, **args: str) -> list[str]:
    params = ListParams.from_args(TRAINING_LIST, args)
    return [e.title for e in run_list(session, TRAINING_LIST, params).items]


def test_list_search_and_filters(session: Session) -> None:
    event(
        session,
        title="Hashing webinar",
        kind="webinar",
        topics="image classification",
        delivery="online",
        location_country_code="",
        start_date=date(2025, 2, 1),
        end_date=date(2025, 2, 1),
    )
    event(
        session,
        title="Wellbeing workshop",
        start_date=date(2026, 5, 1),
        end_date=date(2026, 5, 2),
        location_country_code="BE",
        pillar_id=str(pillar_id(session, "network_expansion")),
    )
    assert _titles(session, q="classification") == ["Hashing webinar"]
    assert _titles(session, kind="webinar") == ["Hashing webinar"]
    assert _titles(session, delivery="in_person") == ["Wellbeing workshop"]
    assert _titles(session, year="2025") == ["Hashing webinar"]
    assert _titles(session, country="BE") == ["Wellbeing workshop"]
    assert _titles(session, pillar=str(pillar_id(session, "network_expansion"))) == [
        "Wellbeing workshop"
    ]
    # Newest first by default; values that make no sense are no filter.
    assert _titles(session) == ["Wellbeing workshop", "Hashing webinar"]
    for bad in ({"year": "abc"}, {"year": "1800"}, {"pillar": "x"}, {"kind": "party"}):
        assert len(_titles(session, **bad)) == 2, bad
    years = next(f for f in TRAINING_LIST.filters if f.key == "year")
    assert years.choices is not None
    assert years.choices(session) == [("2026", "2026"), ("2025", "2025")]


# --- participation ---------------------------------------------------------------------------


def test_set_participation_adds_one_row_per_hotline_or_organization(session: Session) -> None:
    training = event(session)
    hotline = factories.hotline(session, country="NL")
    org = factories.organization(session)
    row = service.set_participation(
        session,
        event=training,
        hotline_id=hotline.id,
        participants=4,
        completed=3,
        feedback_score="4.5",
        attendee_names=" Ana Silva \n\n Piet Jansen ",
    )
    assert (row.hotline_id, row.organization_id, row.participants, row.completed) == (
        hotline.id,
        None,
        4,
        3,
    )
    assert row.feedback_score == Decimal("4.5")
    assert row.attendee_names == "Ana Silva\nPiet Jansen"
    other = service.set_participation(
        session, event=training, organization_id=org.id, participants="2"
    )
    assert (other.hotline_id, other.organization_id, other.completed) == (None, org.id, None)


def test_editing_a_row_changes_it_in_place(session: Session) -> None:
    training = event(session)
    hotline = factories.hotline(session, country="NL")
    row = service.set_participation(session, event=training, hotline_id=hotline.id, participants=2)
    same = service.set_participation(
        session,
        event=training,
        hotline_id=hotline.id,
        participants=5,
        completed=5,
        participation=row,
    )
    assert same.id == row.id and same.participants == 5
    count = session.scalar(
        sa.select(sa.func.count()).where(TrainingParticipation.event_id == training.id)
    )
    assert count == 1


@pytest.mark.parametrize("rows", ["in memory", "read back"])
@pytest.mark.parametrize("kind", ["hotline", "organization"])
def test_a_second_row_for_the_same_participant_is_refused_with_a_clear_message(
    session: Session, kind: str, rows: str
) -> None:
    training = event(session)
    hotline = factories.hotline(session, country="NL", name="Meldpunt Test")
    org = factories.organization(session, name="Searchlight Test")
    who = {"hotline_id": hotline.id} if kind == "hotline" else {"organization_id": org.id}
    service.set_participation(session, event=training, participants=1, **who)
    if rows == "read back":
        # As a form sees it: the event read from the database, its rows not loaded.
        session.flush()
        session.expire(training)
    with pytest.raises(ValidationError) as caught:
        service.set_participation(session, event=training, participants=3, **who)
    assert "already has a row on this event" in caught.value.message
    assert ("Meldpunt Test" if kind == "hotline" else "Searchlight Test") in caught.value.message


def test_the_same_participant_may_take_part_in_another_event(session: Session) -> None:
    hotline = factories.hotline(session, country="NL")
    first, second = event(session), event(session, title="Second")
    service.set_participation(session, event=first, hotline_id=hotline.id, participants=1)
    service.set_participation(session, event=second, hotline_id=hotline.id, participants=1)


@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({}, "hotline_id", "Choose the hotline or the organization"),
        ({"hotline": True, "organization": True}, "hotline_id", "not both"),
        ({"hotline": True, "participants": None}, "participants", "Enter a number"),
        ({"hotline": True, "participants": -1}, "participants", "whole number"),
        ({"hotline": True, "participants": "-1"}, "participants", "whole number"),
        ({"hotline": True, "participants": "2.5"}, "participants", "whole number"),
        ({"hotline": True, "participants": "abc"}, "participants", "whole number"),
        ({"hotline": True, "participants": 3, "completed": 4}, "completed", "cannot be more"),
        ({"hotline": True, "participants": 3, "completed": "x"}, "completed", "whole number"),
        ({"hotline": True, "participants": 3, "feedback_score": "5.5"}, "feedback_score", "1 to 5"),
        ({"hotline": True, "participants": 3, "feedback_score": "0.9"}, "feedback_score", "1 to 5"),
        (
            {"hotline": True, "participants": 3, "feedback_score": "4.55"},
            "feedback_score",
            "one decimal",
        ),
        (
            {"hotline": True, "participants": 3, "feedback_score": "good"},
            "feedback_score",
            "score from 1 to 5",
        ),
        (
            {"hotline": True, "participants": 3, "attendee_names": "A\nwww.example.com"},
            "attendee_names",
            COORDINATION_ONLY,
        ),
        (
            {"hotline": True, "participants": 1, "attendee_names": "Ana\nPiet"},
            "attendee_names",
            "2 names are listed",
        ),
    ],
)
def test_participation_rules(
    session: Session, values: dict[str, object], field: str, message: str
) -> None:
    training = event(session)
    hotline = factories.hotline(session, country="NL")
    org = factories.organization(session)
    kwargs: dict[str, object] = {
        "participants": values.get("participants", 2),
        "completed": values.get("completed"),
        "feedback_score": values.get("feedback_score"),
        "attendee_names": values.get("attendee_names"),
    }
    if values.get("hotline"):
        kwargs["hotline_id"] = hotline.id
    if values.get("organization"):
        kwargs["organization_id"] = org.id
    with pytest.raises(ValidationError) as caught:
        service.set_participation(session, event=training, **kwargs)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert message in caught.value.message
    assert training.participations == []


@pytest.mark.parametrize("score", ["1", "5", "4.5", "4.50", "3.0"])
def test_feedback_takes_one_decimal_from_1_to_5(session: Session, score: str) -> None:
    training = event(session)
    hotline = factories.hotline(session, country="NL")
    row = service.set_participation(
        session, event=training, hotline_id=hotline.id, participants=1, feedback_score=score
    )
    assert row.feedback_score == Decimal(score)


def test_unknown_participant_is_refused(session: Session) -> None:
    training = event(session)
    with pytest.raises(ValidationError, match="listed hotlines"):
        service.set_participation(session, event=training, hotline_id=999999, participants=1)
    with pytest.raises(ValidationError, match="existing organization"):
        service.set_participation(session, event=training, organization_id=999999, participants=1)


def test_save_participation_resolves_the_organization_by_name(session: Session) -> None:
    training = event(session)
    org = factories.organization(session, name="Europol Test Unit")
    row = service.save_participation(
        session,
        event=training,
        data={
            "hotline_id": "",
            "organization": "europol test unit",
            "participants": "3",
            "completed": "",
            "feedback_score": "",
            "attendee_names": "",
        },
    )
    assert row.organization_id == org.id and row.participants == 3 and row.completed is None
    with pytest.raises(ValidationError) as caught:
        service.save_participation(
            session, event=training, data={"organization": "Nobody", "participants": "1"}
        )
    assert caught.value.field == "organization"


def test_archived_event_refuses_participation_changes(session: Session) -> None:
    training = event(session)
    hotline = factories.hotline(session, country="NL")
    row = service.set_participation(session, event=training, hotline_id=hotline.id, participants=1)
    records.archive(session, obj=training)
    with pytest.raises(ValidationError, match="archived"):
        service.set_participation(
            session, event=training, hotline_id=hotline.id, participants=2, participation=row
        )
    with pytest.raises(ValidationError, match="archived"):
        service.remove_participation(session, event=training, participation=row)


def test_remove_participation_deletes_the_row_and_the_history_keeps_it(session: Session) -> None:
    training = event(session)
    hotline = factories.hotline(session, country="NL")
    row = service.set_participation(session, event=training, hotline_id=hotline.id, participants=2)
    row_id = row.id
    service.remove_participation(session, event=training, participation=row)
    assert session.get(TrainingParticipation, row_id) is None
    actions = [
        e.action
        for e in audit.events_for(session, entity_type="training_participations", entity_id=row_id)
    ]
    assert actions == ["create", "delete"]


def test_a_removed_participant_can_be_added_again(session: Session) -> None:
    training = event(session)
    hotline = factories.hotline(session, country="NL")
    row = service.set_participation(session, event=training, hotline_id=hotline.id, participants=2)
    service.remove_participation(session, event=training, participation=row)
    again = service.set_participation(
        session, event=training, hotline_id=hotline.id, participants=4
    )
    session.flush()
    assert (
        session.scalars(
            sa.select(TrainingParticipation.participants).where(
                TrainingParticipation.event_id == training.id
            )
        ).all()
        == [again.participants]
        == [4]
    )


def test_a_row_of_another_event_is_not_found(session: Session) -> None:
    first, second = event(session), event(session, title="Other")
    hotline = factories.hotline(session, country="NL")
    row = service.set_participation(session, event=first, hotline_id=hotline.id, participants=1)
    with pytest.raises(NotFound):
        service.get_participation(session, event=second, participation_id=row.id)
    with pytest.raises(NotFound):
        service.remove_participation(session, event=second, participation=row)
    assert service.get_participation(session, event=first, participation_id=row.id) is row


def test_totals_and_reach_per_country_are_computed_from_the_rows(session: Session) -> None:
    training = event(session)
    nl_a = factories.hotline(session, country="NL")
    nl_b = factories.hotline(session, country="NL")
    be = factories.hotline(session, country="BE", covers=["LU"])
    org = factories.organization(session)
    rows = [
        {"hotline_id": nl_a.id, "participants": 3, "completed": 2, "feedback_score": "4.0"},
        {"hotline_id": nl_b.id, "participants": 5, "completed": None, "feedback_score": "3.5"},
        {"hotline_id": be.id, "participants": 2, "completed": 2, "feedback_score": None},
        {"organization_id": org.id, "participants": 4, "completed": 1, "feedback_score": "5"},
    ]
    for values in rows:
        service.set_participation(session, event=training, **values)  # type: ignore[arg-type]
    totals = training_pages.participation_totals(session, event=training)
    scores = [Decimal(r["feedback_score"]) for r in rows if r["feedback_score"]]  # type: ignore[arg-type]
    assert totals.rows == len(rows)
    assert totals.participants == sum(int(r["participants"]) for r in rows)  # type: ignore[call-overload]
    assert totals.completed == sum(int(r["completed"]) for r in rows if r["completed"] is not None)  # type: ignore[call-overload]
    assert totals.rows_with_completion == 3
    assert totals.rows_with_feedback == len(scores)
    assert totals.feedback_average == (sum(scores) / len(scores)).quantize(Decimal("0.01"))

    reach = {
        r.country_code: (r.hotlines, r.participants)
        for r in training_pages.reach_by_country(session, event=training)
    }
    # Hotlines only, by the hotline's home country (not the countries it covers).
    assert reach == {"NL": (2, 8), "BE": (1, 2)}
    names = [r.name for r in training_pages.participation_rows(session, event=training)]
    assert names[-1] == org.name and len(names) == 4


def test_an_event_without_rows_has_zero_totals(session: Session) -> None:
    training = event(session)
    totals = training_pages.participation_totals(session, event=training)
    assert (totals.rows, totals.participants, totals.feedback_average) == (0, 0, None)
    assert training_pages.reach_by_country(session, event=training) == []
