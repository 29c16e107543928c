"""Small counts: the one rule that hides them from everyone below manager, on every surface.

A count of people (training participants, attendees) or of cases (a hotline's reports in a
quarter) below the threshold can identify someone, so viewers see the marker ``"<5"`` instead of
the figure; managers and admins see every figure exactly. Zero is shown: it identifies nobody.
Percentages, averages and medians are not counts and are never hidden.

Where a total is shown next to its cells, a hidden cell must not be derivable from it: the rule
also hides the next-smallest cells (shown as ``"hidden"``), or, when there is no other cell to
hide, the total itself (``suppress_with_total``).

Lists, detail pages, exports, the API, the dashboards and the board pack all call this module;
the threshold is the ``SMALL_COUNT_THRESHOLD`` setting (coordapp.config), read by
``threshold()`` alone.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from flask import current_app, has_app_context
from flask_login import current_user

from coordapp.auth.models import Role
from coordapp.auth.permissions import has_role

DEFAULT_THRESHOLD = 5
SECONDARY = "hidden"  # a cell hidden only so that a small one cannot be worked out from a total

T = TypeVar("T")
Count = int | Decimal
Shown = int | Decimal | str


def threshold() -> int:
    """Counts from 1 to threshold - 1 are small (the setting; 5 outside an application)."""
    if has_app_context():
        return int(current_app.config.get("SMALL_COUNT_THRESHOLD", DEFAULT_THRESHOLD))
    return DEFAULT_THRESHOLD


def marker() -> str:
    return f"<{threshold()}"


def note() -> str:
    """The sentence a surface shows when it hides small counts."""
    return (
        f"Counts from 1 to {threshold() - 1} are shown as {marker()} "
        "(they could identify people or cases)."
    )


def can_see_exact(user: Any) -> bool:
    """Managers and admins see every count exactly; everyone below manager does not."""
    return has_role(user, Role.MANAGER)


def current_user_sees_exact() -> bool:
    """For the request's signed-in user (views, templates and Dash callbacks)."""
    return can_see_exact(current_user)


def is_small(value: Any) -> bool:
    return isinstance(value, int | Decimal) and 0 < value < threshold()


def suppress(value: Any, *, viewer_can_see_exact: bool) -> Any:
    """The count as it may be shown: the marker when small and the reader is below manager."""
    if not viewer_can_see_exact and is_small(value):
        return marker()
    return value


def is_hidden(shown: Any) -> bool:
    """Whether a value returned by this module stands for a figure that was hidden."""
    return isinstance(shown, str) and (shown == SECONDARY or shown == marker())


def suppress_with_total(
    cells: Sequence[Any], total: Any = None, *, viewer_can_see_exact: bool
) -> tuple[list[Any], Any]:
    """Cells that add up to ``total`` (shown with them), each as it may be shown, and the total.

    Small cells get the marker. Unless the small cells, two or more, already keep each other
    ambiguous, the next-smallest non-zero cells are hidden too (``SECONDARY``) until the hidden
    cells sum to twice the threshold or more, so that neither the total nor the other cells pin
    down a small one; when no cell is left to hide, the total is hidden instead. ``total``
    None: no total shown."""
    shown = [suppress(v, viewer_can_see_exact=viewer_can_see_exact) for v in cells]
    hidden = [i for i, v in enumerate(shown) if is_hidden(v)]
    if viewer_can_see_exact or not hidden:
        return shown, suppress(total, viewer_can_see_exact=viewer_can_see_exact)
    if is_small(total):
        return shown, marker()
    candidates = sorted(
        (i for i, v in enumerate(cells) if i not in hidden and isinstance(v, int | Decimal) and v),
        key=lambda i: cells[i],
    )

    def safe() -> bool:
        # A reader knows the hidden cells' sum (from the total) and that each small cell is
        # 1..t-1 and each other hidden one 0 or t and more. Every small cell keeps more than one
        # possible value when one of the latter is hidden and the sum is 2t or more; or, with
        # small cells alone, when there are two or more and their sum is neither all ones nor
        # all t-1.
        hidden_sum = sum(cells[i] for i in hidden)
        if SECONDARY in shown:
            return hidden_sum >= 2 * threshold()
        return len(hidden) >= 2 and len(hidden) < hidden_sum < len(hidden) * (threshold() - 1)

    while candidates and not safe():
        secondary = candidates.pop(0)
        shown[secondary] = SECONDARY
        hidden.append(secondary)
    if not safe():
        return shown, (SECONDARY if total is not None else None)
    return shown, total


def suppress_fields(item: T, fields: Iterable[str], *, viewer_can_see_exact: bool) -> T:
    """A copy of the dataclass ``item`` with its small counts in ``fields`` as the marker."""
    if viewer_can_see_exact:
        return item
    changes = {
        name: suppress(getattr(item, name), viewer_can_see_exact=False)
        for name in fields
        if is_small(getattr(item, name))
    }
    return dataclasses.replace(item, **changes) if changes else item  # type: ignore[type-var]


def suppress_all(
    items: Iterable[T], fields: Iterable[str], *, viewer_can_see_exact: bool
) -> tuple[T, ...]:
    names = tuple(fields)
    return tuple(
        suppress_fields(i, names, viewer_can_see_exact=viewer_can_see_exact) for i in items
    )


def suppress_mapping(
    values: Mapping[str, Any], counted: Iterable[str], *, viewer_can_see_exact: bool
) -> dict[str, Any]:
    """A record's values (e.g. as the API sends them) with its small counts as the marker."""
    names = set(counted)
    return {
        key: suppress(value, viewer_can_see_exact=viewer_can_see_exact) if key in names else value
        for key, value in values.items()
    }


def plotted(value: Any) -> tuple[float | None, str]:
    """A shown value as a chart draws it, with its hover text. A small count is drawn at the
    threshold and labelled with the marker; a cell hidden for a total is not drawn (a gap). So
    the chart's data, sent to the browser, never holds the exact hidden figure."""
    if value == SECONDARY:
        return None, SECONDARY
    if isinstance(value, str):
        return float(threshold()), value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return float(value), f"{value:,.0f}"
    return float(value), f"{value:,}"


# --- for templates (the request's user) ------------------------------------------------------


def _number(value: Any) -> Any:
    """A count as stored or as text ("3", "3.00" in an audit record) as a number, else as is."""
    if isinstance(value, str):
        try:
            return Decimal(value.replace(",", ""))
        except ArithmeticError:
            return value
    return value


def shown_count(value: Any) -> Any:
    """Template filter ``|count``: the value unchanged, or the marker when it is a small count
    and the signed-in user is below manager."""
    shown = suppress(_number(value), viewer_can_see_exact=current_user_sees_exact())
    return shown if is_hidden(shown) else value
