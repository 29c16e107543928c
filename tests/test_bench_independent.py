"""The dashboard bench's independent SQL (bench/dashboards/independent.py) must give, whole, what
the reporting services give, or the bench times different work: every country's coverage and
its hotlines, the network's growth, partnerships by status / type / kind / pillar / year and the
renewals due, funding per year / pillar / funder / kind converted at each row's own date (to
the cent, with the rates applied), trainings, and hotline activity."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.orm import Session

from bench.dashboards import independent
from bench.dashboards.callbacks import busiest_country
from bench.dashboards.generate import generate_activity
from bench.generate import generate


@pytest.fixture
def generated(session: Session) -> Session:
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the independent SQL is written for PostgreSQL (LATERAL, string_agg)")
    generate(session, scale=1)
    generate_activity(session, scale=1)
    session.flush()
    return session


@pytest.mark.parametrize(
    ("today", "currency"), [(date(2026, 12, 7), "EUR"), (date(2021, 6, 30), "GBP")]
)
def test_independent_sql_agrees_with_the_services_whole(
    generated: Session, today: date, currency: str
) -> None:
    params = independent.Params(
        today=today, currency=currency, busiest_country=busiest_country(generated)
    )
    assert independent.compare(generated, params) == []
    # What was compared is not empty: covered places, money in every year with receipts,
    # trainings and statistics.
    covered = [c for c in independent.map_independent(generated, params)["countries"] if c[2]]
    assert len(covered) > 10
    funding = independent.funding_independent(generated, params)
    assert sum(received for _, _, received in funding["by_year"]) > Decimal(0)
    assert funding["rates_used"]
    assert independent.training_independent(generated, params)["kind"]
    assert independent.activity_independent(generated, params)["period"]
    assert independent.panel_independent(generated, params)["hotlines"]
    assert len(independent.pillars_independent(generated, params)["rows"]) >= 10


def test_a_difference_is_reported_row_by_row() -> None:
    sql = {"by_year": [(2025, Decimal("10.00"), Decimal("5.00"))], "left_out": []}
    service = {"by_year": [(2025, Decimal("10.01"), Decimal("5.00"))], "left_out": []}
    [problem] = independent.differences("funding", sql, service)
    assert "funding.by_year" in problem
    assert "10.01" in problem and "10.00" in problem
