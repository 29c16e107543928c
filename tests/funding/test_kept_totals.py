"""The funding totals kept current on write give the figures computed from the rows, to the
last digit, after every kind of write (PostgreSQL; SQLite computes from the rows)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding import amounts as funding_amounts
from coordapp.funding import conversion, obligations, pivot_figures, totals
from coordapp.funding.models import (
    CommitmentStatus,
    ExchangeRate,
    FundingAllocation,
    FundingFunderAllYears,
    FundingFunderTotal,
    FundingInstalment,
    FundingQuarterTotal,
    FundingReceipt,
    FundingYearTotal,
)
from coordapp.partners.models import OrganizationKind
from coordapp.pillars.models import PillarIndicator
from coordapp.reference.models import Pillar
from coordapp.reporting import funding as funding_report
from coordapp.reporting import pillars as pillar_report
from tests import factories
from tests.imports.test_service import csv_bytes
from tests.imports.test_service import run as run_import
from tests.reporting import builders

YEARS = {"first_year": 2021, "last_year": 2025}


@pytest.fixture(autouse=True)
def _postgresql_only(session: Session) -> None:
    if not totals.kept(session):
        pytest.skip("the totals are kept on PostgreSQL only")


@contextmanager
def _from_the_rows() -> Iterator[None]:
    """The reports computed from the rows: the totals' readers answer None within the block."""
    readers = {
        n: getattr(pivot_figures, n)
        for n in ("figures_in_pivot", "cash_in_pivot", "received_by_pillar_in_pivot")
    }
    for name in readers:
        setattr(pivot_figures, name, lambda *a, **k: None)
    try:
        yield
    finally:
        for name, reader in readers.items():
            setattr(pivot_figures, name, reader)


def _from_rows(session: Session, **filters: Any) -> funding_report.FundingFigures:
    with _from_the_rows():
        return funding_report.funding_figures(session, **filters)


def _cash_from_rows(session: Session, **years: int) -> funding_report.CashByQuarter:
    with _from_the_rows():
        return funding_report.cash_by_quarter(session, **years)


def _stored(session: Session) -> tuple[list[tuple[Any, ...]], ...]:
    years = session.execute(
        sa.select(
            FundingYearTotal.part,
            FundingYearTotal.year,
            FundingYearTotal.pillar_id,
            FundingYearTotal.currency_code,
            FundingYearTotal.rate_on,
            FundingYearTotal.native,
        )
    ).all()
    funders = session.execute(
        sa.select(
            FundingFunderTotal.part,
            FundingFunderTotal.year,
            FundingFunderTotal.funder_id,
            FundingFunderTotal.eur,
        )
    ).all()
    quarters = session.execute(
        sa.select(
            FundingQuarterTotal.part,
            FundingQuarterTotal.year,
            FundingQuarterTotal.quarter,
            FundingQuarterTotal.currency_code,
            FundingQuarterTotal.rate_on,
            FundingQuarterTotal.native,
        )
    ).all()
    all_years = session.execute(
        sa.select(
            FundingFunderAllYears.part,
            FundingFunderAllYears.funder_id,
            FundingFunderAllYears.eur,
            FundingFunderAllYears.years,
        )
    ).all()
    return tuple(
        sorted(map(tuple, rows), key=repr) for rows in (years, funders, quarters, all_years)
    )


def assert_kept(session: Session, **filters: Any) -> funding_report.FundingFigures:
    """The figures read from the totals equal those computed from the rows, and the totals
    kept write by write equal totals built afresh."""
    filters = {**YEARS, **filters}
    read = funding_report.funding_figures(session, **filters)
    assert read == _from_rows(session, **filters)
    years = {k: filters[k] for k in YEARS}
    assert funding_report.cash_by_quarter(session, **years) == _cash_from_rows(session, **years)
    today = filters.get("until") or date(2026, 1, 1)
    received = [
        {
            "indicator": PillarIndicator.FUNDING_RECEIVED_EUR,
            "pillar_id": p,
            "year": y,
            "today": today,
        }
        for p in session.scalars(sa.select(Pillar.id))
        for y in range(years["first_year"], years["last_year"] + 1)
    ]
    by_pillar = [pillar_report.indicator_actual(session, **args) for args in received]
    with _from_the_rows():
        assert by_pillar == [pillar_report.indicator_actual(session, **args) for args in received]
    totals.refresh(session)  # what a commit does (the read above may not have needed them)
    kept = _stored(session)
    totals.rebuild(session)
    assert _stored(session) == kept
    return read


@pytest.fixture
def funding_data(session: Session) -> dict[str, Any]:
    factories.rate(session, base="EUR", quote="USD", on=date(2021, 1, 1), value="1.2")
    factories.rate(session, base="EUR", quote="USD", on=date(2023, 7, 1), value="1.0876543219")
    factories.rate(session, base="GBP", quote="EUR", on=date(2022, 1, 1), value="1.17")
    ngo = factories.organization(session, name="NGO A", kind=OrganizationKind.NGO)
    firm = factories.organization(session, name="Firm B", kind=OrganizationKind.INDUSTRY)
    usd = factories.commitment(
        session, amount="1000.00", currency="USD", pledged_on=date(2022, 3, 1), funder=ngo
    )
    builders.allocate(
        session, usd, [("capacity_building", "333.33"), ("technology_innovation", "666.67")]
    )
    gbp = factories.commitment(
        session, amount="700.00", currency="GBP", pledged_on=date(2021, 6, 1), funder=firm
    )
    builders.allocate(session, gbp, [("network_expansion", "700.00")])
    chf = factories.commitment(
        session, amount="50.00", currency="CHF", pledged_on=date(2024, 2, 2), funder=firm
    )
    receipts = [
        factories.receipt(session, commitment=usd, amount="100.01", currency="USD", on=on)
        for on in (date(2022, 4, 1), date(2023, 8, 9), date(2024, 1, 3))
    ]
    receipts.append(
        factories.receipt(
            session, commitment=gbp, amount="12.34", currency="EUR", on=date(2021, 12, 31)
        )
    )
    receipts.append(
        factories.receipt(
            session, commitment=gbp, amount="0.07", currency="GBP", on=date(2021, 12, 31)
        )
    )
    for pledge, schedule in (
        # 2025: a year of no other USD row of the commitment.
        (usd, [("2022-06-30", "400.00"), ("2023-02-15", "599.99"), ("2025-09-30", "0.01")]),
        (gbp, [("2021-09-30", "300.00"), ("2022-03-31", "400.00")]),  # GBP from 2022 on
    ):
        obligations.save_schedule(
            session,
            commitment=pledge,
            rows=[{"expected_on": on, "amount": amount} for on, amount in schedule],
        )
    return {"ngo": ngo, "firm": firm, "usd": usd, "gbp": gbp, "chf": chf, "receipts": receipts}


def test_the_figures_read_from_the_totals_are_those_of_the_rows(
    session: Session, funding_data: dict[str, Any]
) -> None:
    figures = assert_kept(session)
    assert figures.rates.unconverted == ("CHF", "GBP")  # CHF never, GBP before 2022
    cash = funding_report.cash_by_quarter(session, **YEARS)
    assert cash.rates.unconverted == ("GBP",)
    assert {(q.year, q.quarter) for q in cash.quarters if q.expected} == {
        (2022, 1),
        (2022, 2),
        (2023, 1),
        (2025, 3),
    }
    assert {f[0] for f in figures.by_funder} == {"NGO A", "Firm B"}
    # Funders read as the years in the range (one of five), or as every year less the years
    # outside it (none, one).
    assert_kept(session, first_year=2022, last_year=2022)
    assert_kept(session, first_year=2022, last_year=2030)
    assert_kept(session, until=date(2023, 12, 31), last_year=2023)


WRITES: dict[str, Callable[[Session, dict[str, Any]], None]] = {
    "a receipt": lambda s, d: factories.receipt(
        s, commitment=d["gbp"], amount="5", currency="USD", on=date(2025, 5, 5)
    ),
    "a receipt moved to another year and currency": lambda s, d: _set(
        d["receipts"][0], received_on=date(2025, 1, 1), currency_code="GBP"
    ),
    "a receipt archived": lambda s, d: _set(d["receipts"][1], archived_at=d["now"]),
    "a receipt against another funder's commitment": lambda s, d: _set(
        d["receipts"][2], commitment_id=d["gbp"].id
    ),
    "a pledge's amount (its receipts' pillar shares)": lambda s, d: _set(
        d["usd"], amount=Decimal("3000")
    ),
    "a pledge given to another funder": lambda s, d: _set(d["usd"], funder_id=d["firm"].id),
    "a pledge cancelled": lambda s, d: _set(d["gbp"], status=CommitmentStatus.CANCELLED),
    "a pledge archived": lambda s, d: _set(d["usd"], archived_at=d["now"]),
    "a pledge re-dated": lambda s, d: _set(d["usd"], pledged_on=date(2021, 2, 1)),
    "an allocation changed": lambda s, d: _set(
        s.scalars(
            sa.select(FundingAllocation).where(FundingAllocation.commitment_id == d["usd"].id)
        ).first(),
        amount=Decimal("1"),
    ),
    "an allocation removed": lambda s, d: s.delete(
        s.scalars(
            sa.select(FundingAllocation).where(FundingAllocation.commitment_id == d["gbp"].id)
        ).one()
    ),
    "a back-dated rate": lambda s, d: factories.rate(
        s, base="EUR", quote="USD", on=date(2022, 3, 15), value="0.5"
    ),
    "a rate for a currency that had none": lambda s, d: factories.rate(
        s, base="EUR", quote="CHF", on=date(2020, 1, 1), value="0.95"
    ),
    "a rate's value": lambda s, d: _set(_rate(s, "USD", date(2023, 7, 1)), rate=Decimal("2")),
    "a rate re-dated": lambda s, d: _set(
        _rate(s, "GBP", date(2022, 1, 1)), rate_date=date(2021, 1, 1)
    ),
    "a rate removed": lambda s, d: s.delete(_rate(s, "USD", date(2023, 7, 1))),
    "a rate stored the other way on the same date": lambda s, d: factories.rate(
        s, base="USD", quote="EUR", on=date(2023, 7, 1), value="0.9"
    ),
    "a schedule replaced by one in other years": lambda s, d: obligations.save_schedule(
        s, commitment=d["usd"], rows=[{"expected_on": "2025-03-31", "amount": "1000"}]
    ),
    "an instalment re-dated": lambda s, d: _set(
        s.scalars(
            sa.select(FundingInstalment).where(FundingInstalment.commitment_id == d["gbp"].id)
        ).first(),
        expected_on=date(2024, 11, 30),
    ),
    "an instalment removed": lambda s, d: s.delete(
        s.scalars(
            sa.select(FundingInstalment).where(FundingInstalment.commitment_id == d["usd"].id)
        ).first()
    ),
    "a pledge's currency (its instalments')": lambda s, d: _set(d["usd"], currency_code="EUR"),
    "a schedule imported": lambda s, d: _applied(
        s,
        "instalment-schedules",
        ("funder,commitment,instalments", f"Firm B,{d['chf'].title},2024-05-31 20; 2025-01-31 30"),
    ),
    "receipts imported": lambda s, d: _applied(
        s,
        "receipts",
        (
            "funder,commitment,received_on,amount,currency",
            f"NGO A,{d['usd'].title},2023-03-03,10,USD",
            f"Firm B,{d['gbp'].title},2024-10-10,20,GBP",
        ),
    ),
    "a funder's kind": lambda s, d: _set(d["ngo"], kind=OrganizationKind.FOUNDATION),
    # Past the unit of work, as an import's batch writes: an INSERT names its rows; any other
    # statement could change any row.
    "receipts inserted in one statement": lambda s, d: s.execute(
        sa.insert(FundingReceipt),
        [
            {
                "id": 9000 + n,
                "commitment_id": d["usd"].id,
                "received_on": date(2023, 1, n),
                "amount": Decimal("10"),
                "currency_code": "USD",
                "created_at": d["now"],
                "updated_at": d["now"],
            }
            for n in (1, 2)
        ],
    ),
    "receipts updated in one statement": lambda s, d: s.execute(
        sa.update(FundingReceipt).values(amount=FundingReceipt.amount * 2)
    ),
}


def _applied(session: Session, type_name: str, lines: tuple[str, ...]) -> None:
    report = run_import(session, csv_bytes(*lines), type_name=type_name, apply=True)
    assert report.applied, report.errors


def _set(obj: Any, **values: Any) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


def _rate(session: Session, code: str, on: date) -> ExchangeRate:
    return session.scalars(
        sa.select(ExchangeRate).where(
            sa.or_(ExchangeRate.base_code == code, ExchangeRate.quote_code == code),
            ExchangeRate.rate_date == on,
        )
    ).one()


@pytest.mark.parametrize("write", list(WRITES))
def test_each_kind_of_write_keeps_the_totals_current(
    session: Session, funding_data: dict[str, Any], write: str
) -> None:
    assert_kept(session)
    before = _both(session)
    WRITES[write](session, {**funding_data, "now": funding_data["usd"].created_at})
    session.flush()
    assert_kept(session)
    assert _both(session) != before


def _both(session: Session) -> tuple[Any, ...]:
    """The funding figures and the cash by quarter, read from the totals."""
    return (
        funding_report.funding_figures(session, **YEARS),
        funding_report.cash_by_quarter(session, **YEARS),
    )


def test_the_totals_are_refreshed_in_the_writing_transaction_before_it_commits(
    session: Session, funding_data: dict[str, Any]
) -> None:
    session.commit()
    factories.receipt(
        session, commitment=funding_data["usd"], amount="1", currency="EUR", on=date(2025, 1, 1)
    )
    session.commit()  # refreshed here, not by a read
    eur_2025 = session.scalar(
        sa.select(sa.func.sum(FundingYearTotal.native)).where(
            FundingYearTotal.year == 2025,
            FundingYearTotal.part == "received",
            FundingYearTotal.pillar_id.is_(None),
        )
    )
    assert eur_2025 == Decimal("1")


def test_rows_after_the_measuring_date_are_counted_from_the_rows(
    session: Session, funding_data: dict[str, Any]
) -> None:
    """The totals hold whole years: a figure measured mid-year with later rows in that year
    is computed from the rows (and is the same either way)."""
    figures = assert_kept(session, last_year=2024, until=date(2024, 1, 2))
    assert {y.year: y.received for y in figures.by_year}[2024] == Decimal("0.00")
    assert (
        pivot_figures.figures_in_pivot(
            session, first_year=2021, last_year=2024, end=date(2024, 1, 2), quantum=Decimal("0.01")
        )
        is None
    )


def test_a_rolled_back_write_leaves_nothing_to_refresh(
    session: Session, funding_data: dict[str, Any]
) -> None:
    session.commit()
    kept = _stored(session)
    factories.receipt(
        session, commitment=funding_data["gbp"], amount="9", currency="EUR", on=date(2024, 9, 9)
    )
    session.rollback()
    totals.refresh(session)
    assert _stored(session) == kept


def test_funding_pages_and_figures_agree_on_the_year(
    session: Session, funding_data: dict[str, Any]
) -> None:
    figures = funding_report.funding_figures(session, first_year=2022, last_year=2022)
    pledged = funding_amounts.pledged_total(session, start=date(2022, 1, 1), end=date(2022, 12, 31))
    received = funding_amounts.received_total(
        session, start=date(2022, 1, 1), end=date(2022, 12, 31)
    )
    assert figures.by_year[0].pledged == pledged.amount
    assert figures.by_year[0].received == received.amount


def test_many_rates_in_one_transaction_keep_the_totals_current(
    session: Session, funding_data: dict[str, Any]
) -> None:
    """A rates file: runs of daily rates, scattered ones and a rate before all others, for
    two currencies, refreshed together (their spans joined) equal totals built afresh."""
    session.commit()
    before = funding_report.funding_figures(session, **YEARS)
    days = [date(2022, 3, d) for d in range(1, 11)] + [date(2023, 8, 1), date(2024, 1, 1)]
    for n, on in enumerate([*days, date(2020, 12, 31)]):
        factories.rate(session, base="EUR", quote="USD", on=on, value=f"1.{n + 10}")
    factories.rate(session, base="GBP", quote="EUR", on=date(2021, 6, 1), value="1.19")
    session.flush()
    after = assert_kept(session)
    assert after != before


@pytest.mark.parametrize("quantum", [Decimal("0.01"), Decimal("1")])
def test_totals_rounded_in_sql_round_as_the_conversion_does(
    session: Session, quantum: Decimal
) -> None:
    """Half to even, once: ties of either sign, near-ties and long exact sums, to the same
    value and the same number of decimals."""
    values = [
        Decimal(v)
        for v in (
            "0.005",
            "0.015",
            "0.025",
            "-0.005",
            "-0.015",
            "-0.025",
            "2.5",
            "3.5",
            "-2.5",
            "-3.5",
            "0.0049999999999999999999999999",
            "1234.565000000000000000000000001",
            "-1234.5650000000000000000000000000000000001",
            "12.34",
            "0",
            "-0.5",
            "0.5",
        )
    ]
    in_sql = [
        session.scalar(sa.select(conversion.rounded_in_sql(sa.literal(v, sa.Numeric()), quantum)))
        for v in values
    ]
    expected = conversion.round_totals({(n,): v for n, v in enumerate(values)}, quantum)
    assert in_sql == [expected[(n,)] for n in range(len(values))]
    # Written the same too (PostgreSQL has no negative zero: -0.004 is 0.00, not -0.00).
    assert [str(v) for v in in_sql if v] == [str(v) for v in expected.values() if v]
