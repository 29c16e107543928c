"""Arranging training events for the training tests (through the service, as a user would)."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.reference.models import Pillar
from coordapp.training import service
from coordapp.training.models import TrainingEvent


def pillar_id(session: Session, code: str = "capacity_building") -> int:
    return session.execute(sa.select(Pillar.id).where(Pillar.code == code)).scalar_one()


def event_data(session: Session, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Analyst wellbeing workshop",
        "kind": "workshop",
        "pillar_id": str(pillar_id(session)),
        "topics": "wellbeing, peer support",
        "start_date": date(2026, 3, 10),
        "end_date": date(2026, 3, 11),
        "delivery": "in_person",
        "location_country_code": "NL",
        "organizer": "",
        "trainers": "Secretariat",
        "notes": "Held after the general assembly.",
    }
    data.update(changes)
    return data


def event(session: Session, **changes: Any) -> TrainingEvent:
    return service.create_event(session, data=event_data(session, **changes))
