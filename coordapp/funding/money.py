"""Money as the funding pages write it: amounts in their currency's minor units, rates,
shares, and a split of an amount into parts that add up to it exactly (half to even, to the
minor unit; what rounding leaves goes to the largest part)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision


def minor_units_of(currency: str) -> int:
    """Decimal places of an ISO 4217 currency (CLDR, as the reference table was seeded)."""
    return int(get_currency_precision(currency))


def in_minor_units(amount: Decimal, currency: str) -> Decimal:
    """``amount`` with exactly the currency's decimal places (stored NUMERIC has four)."""
    return Decimal(amount).quantize(Decimal(1).scaleb(-minor_units_of(currency)))


def money_text(amount: Decimal | None, currency: str) -> str:
    """``USD 100,000.00`` / ``JPY 1,200,000`` / ``KWD 12.500``."""
    if amount is None:
        return "—"
    places = minor_units_of(currency)
    return f"{currency} {Decimal(amount):,.{places}f}"


def rate_text(rate: Decimal) -> str:
    """A rate with at least four decimals and no trailing zeros beyond them (1.0850, 0.86231)."""
    text = f"{Decimal(rate):f}"
    if "." not in text:
        text += "."
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0").ljust(4, "0")
    return f"{whole}.{fraction}"


def share_text(part: Decimal, whole: Decimal) -> str:
    if not whole:
        return "—"
    share = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return f"{share}%"


def split_by_percent(
    amount: Decimal, *, minor_units: int, percents: Mapping[int, Decimal]
) -> dict[int, Decimal]:
    """Amounts for ``percents`` of ``amount`` that add up to it exactly.

    Each share is rounded (half to even) to the currency's minor units; what rounding leaves over
    (or takes too much) goes to the largest share, the first one in order when several are equal.
    """
    quantum = Decimal(1).scaleb(-minor_units)
    parts = {
        key: (amount * share / 100).quantize(quantum, rounding=ROUND_HALF_EVEN)
        for key, share in percents.items()
        if share > 0
    }
    if not parts:
        return {}
    largest = max(parts, key=lambda key: percents[key])
    parts[largest] += amount - sum(parts.values(), Decimal(0))
    return parts
