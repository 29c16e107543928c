"""Funding figures for the dashboards, computed in SQL: pledged and received per year, pillar,
funder and funder kind (see ``coordapp.reporting.common`` for what every reporting module shares).

* Money converts through ``coordapp.funding.conversion``: each row at the rate of its own
  date (a past year never moves when a rate is added), or at constant rates of one date.
* Received money by pillar: each receipt is split pro rata by its commitment's allocations
  (allocation amount / commitment amount); pledged money by pillar is the allocations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding import amounts as funding_amounts
from coordapp.funding import conversion, pivot_figures, rate_info
from coordapp.funding.models import (
    FundingAllocation,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.partners.models import Organization
from coordapp.reference.models import Pillar
from coordapp.reporting.common import RateInfo, dialect_name, year_of

REPORT_WORK_MEM = "64MB"


def _enough_memory_to_group(session: Session) -> None:
    """PostgreSQL: room for a report's hash aggregates in memory for the rest of the
    transaction (the 4 MB default sends the funding page's groups to disk and to sorts)."""
    if dialect_name(session) == "postgresql":
        session.execute(sa.text(f"SET LOCAL work_mem = '{REPORT_WORK_MEM}'"))


@dataclass(frozen=True, slots=True)
class FundingYear:
    year: int
    pledged: Decimal
    received: Decimal


@dataclass(frozen=True, slots=True)
class FundingShare:
    key: str
    pledged: Decimal
    received: Decimal


@dataclass(frozen=True, slots=True)
class FundingPillarYear:
    year: int
    pillar: str
    pledged: Decimal
    received: Decimal


@dataclass(frozen=True, slots=True)
class FundingFigures:
    first_year: int
    last_year: int
    rates: RateInfo
    by_year: tuple[FundingYear, ...]
    by_pillar: tuple[FundingPillarYear, ...]
    by_funder: tuple[tuple[str, str, Decimal, Decimal], ...]  # (funder, kind, pledged, received)
    by_kind: tuple[FundingShare, ...]

    @property
    def currency(self) -> str:
        return self.rates.currency

    @property
    def is_empty(self) -> bool:
        return not any(y.pledged or y.received for y in self.by_year)


def funding_figures(
    session: Session,
    *,
    first_year: int,
    last_year: int,
    currency: str = "EUR",
    constant_on: date | None = None,
    until: date | None = None,
) -> FundingFigures:
    """Pledged (commitments not cancelled, by pledge date) and received (by receipt date) per
    year, per pillar, per funder and funder kind, in ``currency``: each row at the rate of its
    own date, or all at the rates of ``constant_on`` (see ``coordapp.funding.conversion``).

    Rows dated after ``until`` (the measuring date: today in the current year) are not counted.
    Each group is converted and rounded on its own (a kind's total is not the sum of its
    funders' rounded totals). In EUR at the rows' own dates the figures are read from the
    totals kept current on write (``coordapp.funding.totals``) where they can answer: the
    same numbers, from a few thousand rows instead of every pledge and receipt."""
    quantum = conversion.minor_quantum(session, currency)
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    if until is not None:
        end = min(end, until)
    kept = None
    if currency == conversion.PIVOT and constant_on is None:
        kept = pivot_figures.figures_in_pivot(
            session, first_year=first_year, last_year=last_year, end=end, quantum=quantum
        )
    if kept is not None:
        parts = {
            **{f"{p}_year": kept.by_year[p] for p in _PARTS},
            **{f"{p}_pillar": kept.by_pillar[p] for p in _PARTS},
        }
        funder_totals = {p: kept.by_funder[p] for p in _PARTS}
        kind_totals = {p: kept.by_kind[p] for p in _PARTS}
    else:
        parts, funder_totals, kind_totals = _from_rows(
            session,
            start=start,
            end=end,
            currency=currency,
            constant_on=constant_on,
            quantum=quantum,
        )
    pledged_year, r1 = parts["pledged_year"]
    received_year, r2 = parts["received_year"]
    pledged_pillar, r3 = parts["pledged_pillar"]
    received_pillar, r4 = parts["received_pillar"]
    pledged_funder, received_funder = funder_totals["pledged"], funder_totals["received"]
    pledged_kind, received_kind = kind_totals["pledged"], kind_totals["received"]
    zero = Decimal(0).quantize(quantum)
    # Thousands of funders: each one's pair looked up once, then sorted by their sum (in the
    # order given: the kept totals give them in this order, and sorting them is one pass).
    funders = sorted(
        (
            (k, (pledged_funder.get(k, zero), received_funder.get(k, zero)))
            for k in dict.fromkeys([*pledged_funder, *received_funder])
        ),
        key=lambda item: (-(item[1][0] + item[1][1]), item[0]),
    )
    kinds = {
        str(k[0]): (pledged_kind.get(k, zero), received_kind.get(k, zero))
        for k in set(pledged_kind) | set(received_kind)
    }
    pillar_keys = sorted(set(pledged_pillar) | set(received_pillar))
    return FundingFigures(
        first_year=first_year,
        last_year=last_year,
        # The funder and kind figures add up the same rows as the year figures: same rates.
        rates=rate_info.merge(currency, (r1, r2, r3, r4)),
        by_year=tuple(
            FundingYear(
                y,
                pledged_year.get((y,), zero),
                received_year.get((y,), zero),
            )
            for y in range(first_year, last_year + 1)
        ),
        by_pillar=tuple(
            FundingPillarYear(
                int(k[0]), str(k[1]), pledged_pillar.get(k, zero), received_pillar.get(k, zero)
            )
            for k in pillar_keys
        ),
        by_funder=tuple((str(k[0]), str(k[1]), p, r) for k, (p, r) in funders),
        by_kind=tuple(
            FundingShare(kind, amounts[0], amounts[1])
            for kind, amounts in sorted(
                kinds.items(), key=lambda kv: (-(kv[1][0] + kv[1][1]), kv[0])
            )
        ),
    )


_PARTS = ("pledged", "received")
Totals = dict[tuple[Any, ...], Decimal]


def _from_rows(
    session: Session,
    *,
    start: date,
    end: date,
    currency: str,
    constant_on: date | None,
    quantum: Decimal,
) -> tuple[dict[str, tuple[Totals, RateInfo]], dict[str, Totals], dict[str, Totals]]:
    """The funding figures computed from every pledge, receipt and allocation, in one
    statement: the year and pillar parts with their rates, and the funder and kind totals."""
    _enough_memory_to_group(session)
    pledge_year = year_of(FundingCommitment.pledged_on)
    receipt_year = year_of(FundingReceipt.received_on)
    text = sa.String()

    def rows(part: str, amounts: sa.Select, year: Any, *extra: Any) -> sa.Select:
        """``amounts`` in the one shape of all four parts: part, year, pillar, funder, kind and
        the money columns (a key a part has not is NULL)."""
        named = {c.key: c for c in extra}
        money = amounts.selected_columns
        return amounts.with_only_columns(
            sa.literal(part, text).label("part"),
            year.label("year"),
            *(
                named.get(k, sa.cast(sa.null(), text)).label(k)
                for k in ("pillar", "funder", "kind")
            ),
            money.currency_code,
            money.amount,
            money.dated,
        )

    pillar = Pillar.name.label("pillar")
    funder = (Organization.name.label("funder"), Organization.kind.label("kind"))
    by_funder = (Organization, Organization.id == FundingCommitment.funder_id)
    by_pillar = (Pillar, Pillar.id == FundingAllocation.pillar_id)
    parts = (
        (
            "pledged",
            funding_amounts.pledged_amounts(start=start, end=end).join(*by_funder),
            pledge_year,
        ),
        (
            "received",
            funding_amounts.received_amounts(start=start, end=end)
            .join(FundingCommitment, FundingCommitment.id == FundingReceipt.commitment_id)
            .join(*by_funder),
            receipt_year,
        ),
        (
            "pledged_pillar",
            funding_amounts.pledged_by_pillar_amounts(start=start, end=end).join(*by_pillar),
            pledge_year,
        ),
        (
            "received_pillar",
            funding_amounts.received_by_pillar_amounts(start=start, end=end).join(*by_pillar),
            receipt_year,
        ),
    )
    amounts = sa.union_all(
        *(
            rows(name, select, year, *((pillar,) if name.endswith("_pillar") else funder))
            for name, select, year in parts
        )
    )
    # Each group converted and rounded on its own, as eight separate conversions would be, in
    # one statement that reads receipts and commitments once.
    converted = conversion.convert_grouping_sets(
        session,
        amounts=sa.select(amounts.subquery("funding_rows")),
        part="part",
        groupings=[
            (["year"], _PARTS),
            (["year", "pillar"], ("pledged_pillar", "received_pillar")),
            (["funder", "kind"], _PARTS),
            (["kind"], _PARTS),
        ],
        currency=currency,
        constant_on=constant_on,
        quantum=quantum,
    )
    return (
        {
            **{f"{p}_year": converted[(0, p)] for p in _PARTS},
            **{f"{p}_pillar": converted[(1, f"{p}_pillar")] for p in _PARTS},
        },
        {p: converted[(2, p)][0] for p in _PARTS},
        {p: converted[(3, p)][0] for p in _PARTS},
    )


# --- expected against received cash by quarter ------------------------------------------------


@dataclass(frozen=True, slots=True)
class CashQuarter:
    year: int
    quarter: int
    expected: Decimal
    received: Decimal

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}"


@dataclass(frozen=True, slots=True)
class CashByQuarter:
    rates: RateInfo
    quarters: tuple[CashQuarter, ...]

    @property
    def currency(self) -> str:
        return self.rates.currency

    @property
    def is_empty(self) -> bool:
        return not any(q.expected or q.received for q in self.quarters)


def cash_by_quarter(
    session: Session,
    *,
    first_year: int,
    last_year: int,
    currency: str = "EUR",
    constant_on: date | None = None,
) -> CashByQuarter:
    """Instalments expected (``funding_amounts.expected_amounts``, by expected date) against
    money received (``funding_amounts.received_amounts``: the received figure of every other
    funding surface, by date received) per quarter, converted by the one rule of
    ``coordapp.funding.conversion`` (each row at its own date's rate, or all at
    ``constant_on``'s). In EUR at the rows' own dates it is read from the totals kept current
    on write (``coordapp.funding.totals``): the same numbers."""
    quantum = conversion.minor_quantum(session, currency)
    kept = None
    if currency == conversion.PIVOT and constant_on is None:
        kept = pivot_figures.cash_in_pivot(
            session, first_year=first_year, last_year=last_year, quantum=quantum
        )
    totals_, rates = kept or _cash_from_rows(
        session,
        first_year=first_year,
        last_year=last_year,
        currency=currency,
        constant_on=constant_on,
        quantum=quantum,
    )
    zero = Decimal(0).quantize(quantum)
    found = {(str(k[0]), int(k[1]), int(k[2])): v for k, v in totals_.items()}
    return CashByQuarter(
        rates=rates,
        quarters=tuple(
            CashQuarter(
                year,
                quarter,
                found.get(("expected", year, quarter), zero),
                found.get(("received", year, quarter), zero),
            )
            for year in range(first_year, last_year + 1)
            for quarter in (1, 2, 3, 4)
        ),
    )


def _cash_from_rows(
    session: Session,
    *,
    first_year: int,
    last_year: int,
    currency: str,
    constant_on: date | None,
    quantum: Decimal,
) -> tuple[Totals, RateInfo]:
    """The cash by quarter figure's totals per (part, year, quarter) computed from every
    instalment and receipt."""
    start, end = date(first_year, 1, 1), date(last_year, 12, 31)
    text = sa.String()

    def keyed(part: str, amounts: sa.Select) -> sa.Select:
        money = amounts.selected_columns
        return amounts.with_only_columns(
            sa.literal(part, text).label("part"),
            year_of(money.dated).label("year"),
            funding_amounts.quarter_of(money.dated).label("quarter"),
            money.currency_code,
            money.amount,
            money.dated,
        )

    rows = sa.union_all(
        keyed("expected", funding_amounts.expected_amounts(start=start, end=end)),
        keyed("received", funding_amounts.received_amounts(start=start, end=end)),
    )
    return conversion.convert_grouped(
        session,
        amounts=sa.select(rows.subquery("cash_rows")),
        keys=["part", "year", "quarter"],
        currency=currency,
        constant_on=constant_on,
        quantum=quantum,
    )
