"""Funding totals kept current on write: what the funding figures read instead of every pledge,
receipt, allocation and instalment (PostgreSQL).

Four derived tables (``coordapp.funding.models``), never edited by hand:

* ``funding_year_totals`` — per part (pledged, received), year, pillar (or the whole amount),
  currency and the date of the rate that takes the currency to EUR on the rows' dates: the
  native amounts summed. The figures per year and per pillar multiply these few thousand rows
  out through the one conversion (``coordapp.funding.conversion``): a rate's value is read when
  the figure is.
* ``funding_funder_totals`` — per part, year and funder: the amount in EUR, each row at the
  rate of its own date, exact (unrounded). The figures per funder and funder kind add them up;
  ``funding_funder_all_years`` holds each funder's sum over every year, so that a range of
  years reads every year less the few outside it.
* ``funding_quarter_totals`` — per part (instalments expected, money received), year, quarter,
  currency and rate date, like ``funding_year_totals``: the native amounts summed. The cash by
  quarter figure multiplies them out.

All are the figures' own rows (``pledged_amounts``, ``expected_amounts`` and their
siblings, ``coordapp.funding.amounts``) summed with the rule's own rate look-up and exact
arithmetic, so a figure read from them equals the one computed from the rows, to the last digit:
the dashboards, the board pack and ``flask figures check`` agree whichever way a figure was
computed (the tests compare both ways).

**Kept current in the writing transaction.** A flush notes what it changes — commitments,
allocations, receipts, instalments, rates: the years, currencies and funders they touch, before
and after — and the totals of those are computed again from the rows before the transaction
commits, or before a figure reads them in the same transaction (so an import's many flushes cost
one refresh). A rate dated D touches its currency's rows from D to the currency's next rate.
Writers that bypass the ORM (the bench's bulk loads, a restore) call ``rebuild``.

On SQLite the tables stay empty and the figures are computed from the rows: SQLite has no exact
decimal type to keep unrounded sums in, and its databases are small.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding import amounts, conversion
from coordapp.funding.models import (
    CashPart,
    ExchangeRate,
    FigurePart,
    FundingAllocation,
    FundingCommitment,
    FundingFunderAllYears,
    FundingFunderTotal,
    FundingInstalment,
    FundingQuarterTotal,
    FundingReceipt,
    FundingYearTotal,
)
from coordapp.kept import KeptRows, chunks, rows_with, stored_ids, written
from coordapp.writers_lock import serialize_writers

YEAR_TOTALS: sa.Table = FundingYearTotal.__table__  # type: ignore[assignment]
FUNDER_TOTALS: sa.Table = FundingFunderTotal.__table__  # type: ignore[assignment]
FUNDER_ALL_YEARS: sa.Table = FundingFunderAllYears.__table__  # type: ignore[assignment]
QUARTER_TOTALS: sa.Table = FundingQuarterTotal.__table__  # type: ignore[assignment]
_TRACKED = (FundingCommitment, FundingAllocation, FundingReceipt, FundingInstalment, ExchangeRate)


def _year(column: Any) -> Any:
    return sa.cast(sa.extract("year", column), sa.Integer)


def _year_span(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


# --- what a transaction changed -------------------------------------------------------------


@dataclass
class _Changes:
    """What the flushes of one transaction touched, until the totals are refreshed."""

    slices: set[tuple[int, str]] = field(default_factory=set)  # (year, currency)
    cash_slices: set[tuple[int, str]] = field(default_factory=set)  # instalments' only
    funders: set[tuple[int, int]] = field(default_factory=set)  # (year, funder id)
    commitments: dict[int, set[int]] = field(default_factory=dict)  # id -> funders it had
    receipts: set[int] = field(default_factory=set)
    schedules: set[int] = field(default_factory=set)  # commitments whose instalments changed
    receipt_commitments: set[tuple[int, int]] = field(default_factory=set)  # (year, commitment)
    rates: set[tuple[str, date]] = field(default_factory=set)  # (currency against EUR, date)

    def note_commitment(self, cid: int, funder_id: int | None = None) -> None:
        funders = self.commitments.setdefault(cid, set())
        if funder_id is not None:
            funders.add(funder_id)

    def note_rate(self, base: str, quote: str, on: date) -> None:
        if conversion.PIVOT in (base, quote) and base != quote:
            self.rates.add((quote if base == conversion.PIVOT else base, on))


# What a commitment or a receipt adds to the totals it touches: its (year, currency) slice and
# its funder.
_COMMITMENT_SLICE = (
    FundingCommitment.id,
    FundingCommitment.pledged_on,
    FundingCommitment.currency_code,
    FundingCommitment.funder_id,
)
_RECEIPT_SLICE = (
    FundingReceipt.received_on,
    FundingReceipt.currency_code,
    FundingReceipt.commitment_id,
)


def _instalment_slices(session: Session, key: Any, values: Iterable[int]) -> set[tuple[int, str]]:
    """The (year, currency) slices of the instalments whose ``key`` (their id, their
    commitment's id) is one of ``values``: each in its commitment's currency."""
    return {
        (expected_on.year, code)
        for expected_on, code in rows_with(
            session,
            key,
            values,
            (FundingInstalment.expected_on, FundingCommitment.currency_code),
            join=(FundingCommitment, FundingCommitment.id == FundingInstalment.commitment_id),
        )
    }


def _before_flush(session: Session) -> None:
    """Before rows change or go: what they were (read from the database, so that an attribute
    never loaded before it was set still counts)."""
    ids = stored_ids(session, _TRACKED)
    if not ids:
        return
    changes = KEPT.changes(session)
    for cid, pledged_on, code, funder_id in rows_with(
        session, FundingCommitment.id, ids[FundingCommitment], _COMMITMENT_SLICE
    ):
        changes.slices.add((pledged_on.year, code))
        changes.funders.add((pledged_on.year, funder_id))
        changes.note_commitment(cid, funder_id)
    # A commitment's instalments count in its currency while it is not cancelled or archived;
    # a schedule replaced through the commitment's collection leaves only the commitment dirty.
    changes.cash_slices.update(
        _instalment_slices(session, FundingInstalment.commitment_id, ids[FundingCommitment])
    )
    changes.cash_slices.update(
        _instalment_slices(session, FundingInstalment.id, ids[FundingInstalment])
    )
    for (cid,) in rows_with(
        session, FundingAllocation.id, ids[FundingAllocation], (FundingAllocation.commitment_id,)
    ):
        changes.note_commitment(cid)
    for received_on, code, cid in rows_with(
        session, FundingReceipt.id, ids[FundingReceipt], _RECEIPT_SLICE
    ):
        changes.slices.add((received_on.year, code))
        changes.receipt_commitments.add((received_on.year, cid))
    rate = ExchangeRate
    for base, quote, on in rows_with(
        session, rate.id, ids[ExchangeRate], (rate.base_code, rate.quote_code, rate.rate_date)
    ):
        changes.note_rate(base, quote, on)


def _after_flush(session: Session) -> None:
    """After rows are written: which ones (their new state is read when the totals are)."""
    rows = written(session, _TRACKED)
    if not rows:
        return
    changes = KEPT.changes(session)
    for obj in rows:
        if isinstance(obj, FundingCommitment):
            changes.note_commitment(obj.id)
        elif isinstance(obj, FundingAllocation):
            changes.note_commitment(obj.commitment_id)
        elif isinstance(obj, FundingReceipt):
            changes.receipts.add(obj.id)
        elif isinstance(obj, FundingInstalment):
            changes.schedules.add(obj.commitment_id)
        else:
            changes.note_rate(obj.base_code, obj.quote_code, obj.rate_date)


def _note_inserted(changes: _Changes, model: type, values: Mapping[str, Any]) -> None:
    """A row an INSERT statement names (``session.execute(insert(...), rows)``, as an import's
    batch does)."""
    if model is FundingCommitment:
        changes.note_commitment(values["id"])
    elif model is FundingAllocation:
        changes.note_commitment(values["commitment_id"])
    elif model is FundingReceipt:
        changes.receipts.add(values["id"])
    elif model is FundingInstalment:
        changes.schedules.add(values["commitment_id"])
    else:
        changes.note_rate(values["base_code"], values["quote_code"], values["rate_date"])


# --- refreshing ------------------------------------------------------------------------------


def _refresh_changes(session: Session, changes: _Changes) -> None:
    slices, cash_slices, funders = _resolve(session, changes)
    if not slices and not cash_slices and not funders:
        return
    # Totals are computed from the rows other transactions have committed: wait for them.
    serialize_writers(session)
    # Instalments count in the cash by quarter only.
    _refresh(
        session, YEAR_TOTALS, [(c, y) for y, c in slices], "currency_code", _insert_year_totals
    )
    _refresh(
        session,
        QUARTER_TOTALS,
        [(c, y) for y, c in slices | cash_slices],
        "currency_code",
        _insert_quarter_totals,
    )
    _refresh(
        session, FUNDER_TOTALS, ((f, y) for y, f in funders), "funder_id", _insert_funder_totals
    )


def _rebuild_all(session: Session) -> None:
    serialize_writers(session)
    session.execute(sa.delete(YEAR_TOTALS))
    session.execute(sa.delete(FUNDER_TOTALS))
    session.execute(sa.delete(FUNDER_ALL_YEARS))
    session.execute(sa.delete(QUARTER_TOTALS))
    _insert_year_totals(session, None)
    _insert_funder_totals(session, None)
    _insert_quarter_totals(session, None)


_STEPS = (_note_inserted, _before_flush, _after_flush, _refresh_changes, _rebuild_all)
KEPT = KeptRows("funding_totals_pending", _Changes, _TRACKED, *_STEPS)
# For create_app (install), the figures (kept, refresh), restores and bulk loads (rebuild).
install, refresh, rebuild, kept = KEPT.install, KEPT.refresh, KEPT.rebuild, KEPT.kept


def _resolve(
    session: Session, changes: _Changes
) -> tuple[set[tuple[int, str]], set[tuple[int, str]], set[tuple[int, int]]]:
    """The (year, currency) slices of every figure and of the instalments (the cash by quarter
    only), and the (year, funder) totals the changes touch, as the rows are now (what they were
    was noted before the flush)."""
    slices, funders = set(changes.slices), set(changes.funders)
    cash_slices = set(changes.cash_slices)
    receipt_commitments = set(changes.receipt_commitments)
    commitment = FundingCommitment
    for cid, pledged_on, code, funder_id in rows_with(
        session, commitment.id, changes.commitments, _COMMITMENT_SLICE
    ):
        slices.add((pledged_on.year, code))
        funders.add((pledged_on.year, funder_id))
        changes.commitments[cid].add(funder_id)
    cash_slices.update(
        _instalment_slices(
            session, FundingInstalment.commitment_id, {*changes.commitments, *changes.schedules}
        )
    )
    # Their receipts: their pillar shares follow the commitment, their funder too.
    receipt = FundingReceipt
    for cid, received_on, code in rows_with(
        session,
        receipt.commitment_id,
        changes.commitments,
        (receipt.commitment_id, receipt.received_on, receipt.currency_code),
    ):
        slices.add((received_on.year, code))
        funders.update((received_on.year, f) for f in changes.commitments[cid])
    for received_on, code, cid in rows_with(session, receipt.id, changes.receipts, _RECEIPT_SLICE):
        slices.add((received_on.year, code))
        receipt_commitments.add((received_on.year, cid))
    by_commitment: dict[int, set[int]] = defaultdict(set)
    for year, cid in receipt_commitments:
        by_commitment[cid].add(year)
    for cid, funder_id in rows_with(
        session, commitment.id, by_commitment, (commitment.id, commitment.funder_id)
    ):
        funders.update((year, funder_id) for year in by_commitment[cid])
    for year, code, funder_id in _rows_rated_by(session, changes.rates):
        slices.add((year, code))
        if funder_id is not None:
            funders.add((year, funder_id))
    return slices, cash_slices, funders


def _rows_rated_by(session: Session, changed: set[tuple[str, date]]) -> set[tuple[int, str, int]]:
    """(year, currency, funder) of the rows whose rate changed rates set or set: in each
    rate's currency, dated from the rate's date to the day before the currency's next rate."""
    if not changed:
        return set()
    rates = ExchangeRate.__table__
    code = sa.case(
        (rates.c.quote_code == conversion.PIVOT, rates.c.base_code), else_=rates.c.quote_code
    )
    stored: dict[str, list[date]] = defaultdict(list)
    for found, on in session.execute(
        sa.select(code, rates.c.rate_date)
        .where(
            sa.or_(rates.c.quote_code == conversion.PIVOT, rates.c.base_code == conversion.PIVOT),
            code.in_({c for c, _ in changed}),
        )
        .distinct()
    ):
        stored[found].append(on)
    spans = _merged_spans(changed, stored)

    def matching(money: Any) -> Any:
        return sa.or_(
            *(
                sa.and_(money.currency_code == c, *amounts.dated_between(money.dated, start, end))
                for c, start, end in spans
            )
        )

    figure_rows = sa.union_all(
        *(_shaped(part, select, "funder_id", matching) for part, select in _whole_rows()),
        # Instalments have no funder total: their key is NULL.
        _shaped(CashPart.EXPECTED.value, amounts.expected_amounts(), None, matching),
    ).subquery("figure_rows")
    found = session.execute(
        sa.select(figure_rows.c.year, figure_rows.c.currency_code, figure_rows.c.key).distinct()
    )
    return {(year, currency, funder_id) for year, currency, funder_id in found}


def _merged_spans(
    changed: set[tuple[str, date]], stored: Mapping[str, list[date]]
) -> list[tuple[str, date, date | None]]:
    """Per currency, the days whose rate changed: from each changed rate's date to the day
    before the currency's next rate, with adjacent or overlapping spans joined (a file of
    10,000 daily rates is a handful of spans, not 10,000 terms in one statement)."""
    by_currency: dict[str, list[date]] = defaultdict(list)
    for currency, on in changed:
        by_currency[currency].append(on)
    spans: list[tuple[str, date, date | None]] = []
    for currency, days in sorted(by_currency.items()):
        known = sorted(set(stored.get(currency, ())))
        current: tuple[date, date | None] | None = None
        for on in sorted(set(days)):
            after = bisect_right(known, on)  # the currency's next rate, if any
            end = known[after] - timedelta(days=1) if after < len(known) else None
            if current is not None and (current[1] is None or on <= current[1] + timedelta(days=1)):
                last = current[1]
                current = (current[0], None if end is None or last is None else max(last, end))
                continue
            if current is not None:
                spans.append((currency, *current))
            current = (on, end)
        if current is not None:
            spans.append((currency, *current))
    return spans


def _whole_rows(
    *, start: date | None = None, end: date | None = None
) -> list[tuple[str, sa.Select]]:
    """The pledged and received rows of the figures, each with its funder."""
    return [
        (
            FigurePart.PLEDGED.value,
            amounts.pledged_amounts(start=start, end=end).add_columns(FundingCommitment.funder_id),
        ),
        (
            FigurePart.RECEIVED.value,
            amounts.received_amounts(start=start, end=end)
            .join(FundingCommitment, FundingCommitment.id == FundingReceipt.commitment_id)
            .add_columns(FundingCommitment.funder_id),
        ),
    ]


def _pillar_rows() -> list[tuple[str, sa.Select]]:
    return [
        (FigurePart.PLEDGED.value, amounts.pledged_by_pillar_amounts()),
        (FigurePart.RECEIVED.value, amounts.received_by_pillar_amounts()),
    ]


def _shaped(
    part: str, select: sa.Select, key: str | Callable[[Any], Any] | None, where: Any
) -> sa.Select:
    """``select`` as (part, year, key, currency_code, amount, dated), filtered: the key is the
    column named ``key``, or ``key`` of the columns, or NULL."""
    money = select.selected_columns
    key_column: Any = sa.cast(sa.null(), sa.Integer)
    if key is not None:
        key_column = key(money) if callable(key) else money[key]
    return select.with_only_columns(
        sa.literal(part, sa.String()).label("part"),
        _year(money.dated).label("year"),
        key_column.label("key"),
        money.currency_code,
        money.amount,
        money.dated,
    ).where(where(money))


def _refresh(
    session: Session,
    table: sa.Table,
    pairs: Iterable[tuple[Any, int]],
    group: str,
    insert: Callable[[Session, tuple[list[Any], list[int]]], None],
) -> None:
    """Replace the kept rows of ``pairs`` ((``group`` value, year) each): a thousand group values
    a statement with every year any of them needs. A superset is recomputed to the same values;
    a rates file that touches every year of a currency is one scan, not one a year."""
    years_of: dict[Any, set[int]] = defaultdict(set)
    for group_value, year in pairs:
        years_of[group_value].add(year)
    for chunk in chunks(years_of):
        years = sorted(set().union(*(years_of[g] for g in chunk)))
        session.execute(sa.delete(table).where(table.c[group].in_(chunk), table.c.year.in_(years)))
        insert(session, (chunk, years))


def _matching(column: str, where: tuple[list[Any], list[int]] | None) -> Callable[[Any], Any]:
    """The figure rows whose ``column`` (a currency code, a funder id) is one of ``where``'s
    values and whose date falls in one of its years; None: every row."""

    def matching(money: Any) -> Any:
        if where is None:
            return sa.true()
        values, years = where
        return sa.and_(
            money[column].in_(values),
            sa.or_(*(money.dated.between(*run) for run in _year_runs(years))),
        )

    return matching


def _summed_at_rate_dates(*figure_selects: sa.Select) -> sa.Select:
    """The figure rows of ``figure_selects`` summed per part, year, key and rate date."""
    figure_rows = sa.union_all(*figure_selects)
    return conversion.rate_dates_to_pivot(
        sa.select(figure_rows.subquery("figure_rows")), keys=["part", "year", "key"]
    )


def _insert_year_totals(session: Session, where: tuple[list[str], list[int]] | None) -> None:
    """Sum the rows of some currencies in some years (None: every row) into
    funding_year_totals."""

    matching = _matching("currency_code", where)
    summed = _summed_at_rate_dates(
        *(_shaped(part, select, None, matching) for part, select in _whole_rows()),
        *(_shaped(part, select, "pillar_id", matching) for part, select in _pillar_rows()),
    )
    session.execute(
        sa.insert(YEAR_TOTALS).from_select(
            ["part", "year", "pillar_id", "currency_code", "rate_on", "native"], summed
        )
    )


def _insert_quarter_totals(session: Session, where: tuple[list[str], list[int]] | None) -> None:
    """Sum the instalments expected and the money received of some currencies in some years
    (None: every row) per quarter into funding_quarter_totals."""

    matching = _matching("currency_code", where)
    summed = _summed_at_rate_dates(
        *(
            _shaped(part.value, select, lambda money: amounts.quarter_of(money.dated), matching)
            for part, select in (
                (CashPart.EXPECTED, amounts.expected_amounts()),
                (CashPart.RECEIVED, amounts.received_amounts()),
            )
        )
    )
    session.execute(
        sa.insert(QUARTER_TOTALS).from_select(
            ["part", "year", "quarter", "currency_code", "rate_on", "native"], summed
        )
    )


def _year_runs(years: list[int]) -> Iterator[tuple[date, date]]:
    """Sorted years as runs of consecutive ones: (first day, last day) each."""
    start = previous = years[0]
    for year in years[1:]:
        if year != previous + 1:
            yield _year_span(start)[0], _year_span(previous)[1]
            start = year
        previous = year
    yield _year_span(start)[0], _year_span(previous)[1]


def _insert_funder_totals(session: Session, where: tuple[list[int], list[int]] | None) -> None:
    """Convert the rows of some funders in some years (None: every row) into
    funding_funder_totals: each (currency, rate date) summed in SQL, multiplied out exactly."""

    summed = _summed_at_rate_dates(
        *(
            _shaped(part, select, "funder_id", _matching("funder_id", where))
            for part, select in _whole_rows()
        )
    )
    rows = [(*row[:4], row.rate_on, None, row.native) for row in session.execute(summed)]
    exact = conversion.exact_totals(session, rows, 3)
    if exact:
        session.execute(
            sa.insert(FUNDER_TOTALS),
            [
                {"part": part, "year": year, "funder_id": funder_id, "eur": eur}
                for (part, year, funder_id), eur in exact.items()
            ],
        )

    _sum_all_years(session, None if where is None else where[0])


def _sum_all_years(session: Session, funders: list[int] | None) -> None:
    """Sum the kept yearly totals of some funders (None: every funder) into
    funding_funder_all_years."""
    kept = FUNDER_TOTALS.c
    chosen = sa.true() if funders is None else kept.funder_id.in_(funders)
    if funders is not None:
        session.execute(
            sa.delete(FUNDER_ALL_YEARS).where(FUNDER_ALL_YEARS.c.funder_id.in_(funders))
        )
    session.execute(
        sa.insert(FUNDER_ALL_YEARS).from_select(
            ["funder_id", "part", "eur", "years"],
            sa.select(kept.funder_id, kept.part, sa.func.sum(kept.eur), sa.func.count())
            .where(chosen)
            .group_by(kept.funder_id, kept.part),
        )
    )


def rows_after(session: Session, end: date, year_end: date) -> bool:
    """Whether any pledge or receipt of the figures is dated after ``end`` up to ``year_end``."""
    if end >= year_end:
        return False
    start = end + timedelta(days=1)
    return any(
        session.scalar(sa.select(select.limit(1).exists()))
        for _, select in _whole_rows(start=start, end=year_end)
    )
