"""Which rates converted a figure, and the sentence every surface prints under it: the
currencies and rate dates applied, the basis (each row at its own date, or constant rates of
one date) and what was left out for want of a rate (``coordapp.funding.conversion`` converts)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

PIVOT = "EUR"
ROW_DATES = "each row at the rate of its own date"


@dataclass(frozen=True, slots=True)
class RateSpan:
    """The rates one currency was converted with: the oldest and newest rate date used."""

    code: str
    first: date
    last: date
    via_pivot: bool  # converted through EUR (target is not EUR)

    @property
    def text(self) -> str:
        days = self.first.isoformat()
        if self.last != self.first:
            days += f"..{self.last.isoformat()}"
        return f"{self.code} {days}" + (f" (via {PIVOT})" if self.via_pivot else "")


@dataclass(frozen=True, slots=True)
class RateInfo:
    """Which rates converted a figure to ``currency``, enough to rebuild it exactly."""

    currency: str
    constant_on: date | None = None  # None: each row at its own date's rate
    spans: tuple[RateSpan, ...] = ()
    left_out: tuple[tuple[str, Decimal], ...] = ()  # (currency, native amount) with no rate
    used: tuple[tuple[str, date], ...] = ()  # every (currency, rate date) applied
    # (currency, rate date, rate as stored, stored towards EUR?) of every rate applied: with
    # the rule, enough to rebuild the figure (towards EUR: 1 currency = rate EUR; else
    # 1 EUR = rate currency).
    applied: tuple[tuple[str, date, Decimal, bool], ...] = ()

    @property
    def basis(self) -> str:
        if self.constant_on is None:
            return ROW_DATES
        return f"constant rates of {self.constant_on.isoformat()}"

    @property
    def unconverted(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.left_out)

    @property
    def oldest_rate_date(self) -> date | None:
        return min((s.first for s in self.spans), default=None)

    @property
    def newest_rate_date(self) -> date | None:
        return max((s.last for s in self.spans), default=None)

    @property
    def stamp(self) -> str:
        """Every rate applied, as EUR per unit on its date (for an export's stamp)."""
        if not self.applied:
            return "none"
        return "; ".join(
            (
                f"1 {code} = {_plain(rate)} {PIVOT}"
                if towards
                else f"1 {PIVOT} = {_plain(rate)} {code}"
            )
            + f" ({day.isoformat()})"
            for code, day, rate, towards in self.applied
        )

    @property
    def note(self) -> str:
        """The sentence every surface prints under a converted figure."""
        if not self.spans:
            note = f"in {self.currency}; no conversion was needed"
        else:
            used = ", ".join(span.text for span in self.spans)
            note = f"in {self.currency}, {self.basis}: {used}"
        if self.left_out:
            missing = ", ".join(f"{code} {amount:,}" for code, amount in self.left_out)
            note += f"; left out (no rate on or before the row's date): {missing}"
        return note


def merge(currency: str, parts: Sequence[RateInfo]) -> RateInfo:
    """One RateInfo for a view made of several converted figures."""
    constant = {p.constant_on for p in parts}
    spans: dict[str, RateSpan] = {}
    left: dict[str, Decimal] = defaultdict(Decimal)
    used: set[tuple[str, date]] = set()
    applied: set[tuple[str, date, Decimal, bool]] = set()
    for part in parts:
        applied.update(part.applied)
        for span in part.spans:
            old = spans.get(span.code)
            spans[span.code] = (
                span
                if old is None
                else RateSpan(
                    span.code,
                    min(old.first, span.first),
                    max(old.last, span.last),
                    old.via_pivot or span.via_pivot,
                )
            )
        for code, amount in part.left_out:
            left[code] = max(left[code], amount)
        used.update(part.used)
    return RateInfo(
        currency=currency,
        constant_on=constant.pop() if len(constant) == 1 else None,
        spans=tuple(spans[c] for c in sorted(spans)),
        left_out=tuple(sorted(left.items())),
        used=tuple(sorted(used)),
        applied=tuple(sorted(applied)),
    )


@dataclass(frozen=True, slots=True)
class MoneyTotal:
    """A converted total and the rates behind it."""

    amount: Decimal
    currency: str
    rates: RateInfo

    @property
    def unconverted(self) -> tuple[str, ...]:
        return self.rates.unconverted

    @property
    def rate_note(self) -> str:
        return self.rates.note


def _plain(rate: Decimal) -> str:
    """A stored rate without trailing zeros, never in exponent form (1.1300000000 -> 1.13)."""
    text = format(rate.normalize(), "f")
    return text if "." in text else f"{text}.0"
