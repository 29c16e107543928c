"""The figures on the home page, gathered from the domain services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding import service as funding
from coordapp.network import service as network
from coordapp.partners import service as partners


@dataclass(frozen=True, slots=True)
class HomeFigures:
    today: date
    coverage: network.CoverageSummary
    active_partnerships: int
    received_this_year: funding.MoneyTotal
    pledged_this_year: funding.MoneyTotal


def home_figures(session: Session, *, today: date, currency: str) -> HomeFigures:
    year_start = date(today.year, 1, 1)
    return HomeFigures(
        today=today,
        coverage=network.coverage_summary(session, on=today),
        active_partnerships=partners.count_active_partnerships(session, on=today),
        received_this_year=funding.received_total(
            session, start=year_start, end=today, currency=currency, rates_on=today
        ),
        pledged_this_year=funding.pledged_total(
            session, start=year_start, end=today, currency=currency, rates_on=today
        ),
    )


def database_ok(session: Session) -> bool:
    try:
        session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        session.rollback()
        return False
