"""Pillar targets: one per pillar, year and indicator; counts are whole, EUR has cents."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.errors import ValidationError
from coordapp.listing import ListParams, run_list
from coordapp.pillars import service
from coordapp.pillars.models import PillarIndicator, PillarTarget
from coordapp.records import service as records
from coordapp.records.service import StaleRecord
from coordapp.reference.models import Pillar
from coordapp.validation import COORDINATION_ONLY


def pillar_id(session: Session, code: str = "capacity_building") -> int:
    return session.scalars(sa.select(Pillar.id).where(Pillar.code == code)).one()


def target_data(session: Session, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "pillar_id": str(pillar_id(session)),
        "year": "2027",
        "indicator": "trainings_held",
        "target_value": "12",
        "description": "Set by the board in March.",
    }
    data.update(changes)
    return data


def test_a_target_is_created_and_edited(session: Session) -> None:
    audit.set_actor(session, actor_id=None, label="m@test.example")
    target = service.create_pillar_target(session, data=target_data(session))
    assert (target.year, target.indicator, target.target_value) == (
        2027,
        PillarIndicator.TRAININGS_HELD,
        Decimal("12"),
    )
    service.update_pillar_target(
        session,
        obj=target,
        data=target_data(session, target_value="14"),
        expected_version=target.version,
    )
    assert target.target_value == Decimal("14")
    events = audit.events_for(session, entity_type="pillar_targets", entity_id=target.id)
    assert [e.action for e in events] == ["create", "update"]
    assert events[1].changes == {"target_value": ["12", "14"]}


def test_eur_targets_have_cents_and_show_their_unit(session: Session) -> None:
    target = service.create_pillar_target(
        session,
        data=target_data(
            session,
            pillar_id=str(pillar_id(session, "technology_innovation")),
            indicator="funding_received_eur",
            target_value="1,250,000.50",
        ),
    )
    assert target.target_value == Decimal("1250000.50")
    assert service.target_value_text(target) == "EUR 1,250,000.50"
    assert service.target_number(target) == Decimal("1250000.50")


def test_one_target_per_pillar_year_and_indicator(session: Session) -> None:
    first = service.create_pillar_target(session, data=target_data(session))
    with pytest.raises(ValidationError) as caught:
        service.create_pillar_target(session, data=target_data(session, target_value="20"))
    assert caught.value.field == "indicator"
    assert caught.value.message == (
        f"Capacity Building already has a trainings held target for 2027 (target #{first.id}); "
        "edit that one instead."
    )
    # Another year, pillar or indicator is another target; saving itself is no duplicate.
    service.create_pillar_target(session, data=target_data(session, year="2028"))
    service.create_pillar_target(
        session, data=target_data(session, pillar_id=str(pillar_id(session, "network_expansion")))
    )
    service.create_pillar_target(
        session, data=target_data(session, indicator="training_participants")
    )
    service.update_pillar_target(
        session, obj=first, data=target_data(session), expected_version=first.version
    )
    # An archived target still holds its place: restore it rather than add a second one.
    records.archive(session, obj=first)
    with pytest.raises(ValidationError, match="already has"):
        service.create_pillar_target(session, data=target_data(session))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"year": "1989"}, "year", "between 1990 and 2100"),
        ({"year": "2101"}, "year", "between 1990 and 2100"),
        ({"year": "abc"}, "year", "between 1990 and 2100"),
        ({"year": ""}, "year", "between 1990 and 2100"),
        ({"pillar_id": "999999"}, "pillar_id", "four pillars"),
        ({"pillar_id": "x"}, "pillar_id", "four pillars"),
        ({"indicator": "happiness"}, "indicator", "is not one of"),
        ({"indicator": ""}, "indicator", "Choose a value"),
        ({"target_value": "-1"}, "target_value", "cannot be negative"),
        ({"target_value": "many"}, "target_value", "not a number"),
        ({"target_value": "12,5"}, "target_value", "did you mean 12.5?"),
        ({"target_value": "12.5"}, "target_value", "whole number"),
        ({"target_value": "1" + "0" * 20}, "target_value", "too large"),
        (
            {"indicator": "funding_received_eur", "target_value": "10.001"},
            "target_value",
            "2 decimal places",
        ),
        ({"description": "d" * 201}, "description", "At most 200"),
        ({"description": "see www.example.org"}, "description", COORDINATION_ONLY),
    ],
)
def test_bad_targets_are_refused(
    session: Session, changes: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        service.create_pillar_target(session, data=target_data(session, **changes))
    assert caught.value.field == field
    assert message in caught.value.message
    assert session.scalar(sa.select(sa.func.count(PillarTarget.id))) == 0


def test_a_stale_edit_is_refused(session: Session) -> None:
    target = service.create_pillar_target(session, data=target_data(session))
    old = target.version
    service.update_pillar_target(
        session, obj=target, data=target_data(session, target_value="13"), expected_version=old
    )
    with pytest.raises(StaleRecord):
        service.update_pillar_target(
            session, obj=target, data=target_data(session, target_value="15"), expected_version=old
        )
    assert target.target_value == Decimal("13")


def test_the_list_filters_by_pillar_year_and_indicator(session: Session) -> None:
    cb, ne = pillar_id(session), pillar_id(session, "network_expansion")
    a = service.create_pillar_target(session, data=target_data(session))
    b = service.create_pillar_target(
        session,
        data=target_data(session, pillar_id=str(ne), year="2026", indicator="member_hotlines"),
    )
    spec = service.PILLAR_TARGET_LIST

    def ids(**args: str) -> list[int]:
        return [t.id for t in run_list(session, spec, ListParams.from_args(spec, args)).items]

    assert ids() == [a.id, b.id]  # newest year first
    assert ids(pillar=str(cb)) == [a.id]
    assert ids(year="2026") == [b.id]
    assert ids(indicator="member_hotlines") == [b.id]
    assert ids(q="board") == [a.id, b.id]
    for odd in ({"year": "abc"}, {"indicator": "x"}, {"pillar": "x"}, {"sort": ";drop"}):
        assert ids(**odd) == [a.id, b.id]
    records.archive(session, obj=a)
    assert ids() == [b.id]
    assert ids(archived="1") == [a.id, b.id]
