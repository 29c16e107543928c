"""The home page's headline figures and the health check; what needs attention is in
``coordapp.main.attention``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding import amounts as funding_amounts
from coordapp.funding import rate_info
from coordapp.funding.rate_info import MoneyTotal
from coordapp.network import coverage as network_coverage
from coordapp.partners import agreements


@dataclass(frozen=True, slots=True)
class HomeFigures:
    today: date
    coverage: network_coverage.CoverageSummary
    partnerships_in_force: int
    received_this_year: MoneyTotal
    pledged_this_year: MoneyTotal

    @property
    def money_rates(self) -> rate_info.RateInfo:
        return rate_info.merge(
            self.received_this_year.currency,
            (self.received_this_year.rates, self.pledged_this_year.rates),
        )


def home_figures(session: Session, *, today: date, currency: str) -> HomeFigures:
    year_start = date(today.year, 1, 1)
    return HomeFigures(
        today=today,
        coverage=network_coverage.coverage_summary(session, on=today),
        partnerships_in_force=agreements.count_in_force(session, on=today),
        received_this_year=funding_amounts.received_total(
            session, start=year_start, end=today, currency=currency
        ),
        pledged_this_year=funding_amounts.pledged_total(
            session, start=year_start, end=today, currency=currency
        ),
    )


def database_ok(session: Session) -> bool:
    try:
        session.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        session.rollback()
        return False
