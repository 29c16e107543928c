"""Queries and commands over organizations, contacts and partnerships."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.partners.models import Partnership, PartnershipStatus


def count_active_partnerships(session: Session, *, on: date) -> int:
    """Active agreements on ``on``: status active, started, not yet ended, not archived."""
    return (
        session.scalar(
            sa.select(sa.func.count(Partnership.id)).where(
                Partnership.archived_at.is_(None),
                Partnership.status == PartnershipStatus.ACTIVE.value,
                sa.or_(Partnership.start_date.is_(None), Partnership.start_date <= on),
                sa.or_(Partnership.end_date.is_(None), Partnership.end_date >= on),
            )
        )
        or 0
    )
