"""The one rule for small counts (coordapp.disclosure): what is hidden, from whom, and why a
total never gives a hidden count away."""

from __future__ import annotations

from decimal import Decimal
from itertools import combinations

import pytest
from flask import Flask

from coordapp import disclosure
from coordapp.auth.models import Role, User
from coordapp.config import ConfigError, build_config


def test_counts_from_one_to_four_are_hidden_from_viewers_and_shown_to_managers() -> None:
    for value in (1, 2, 3, 4, Decimal("3.00")):
        assert disclosure.suppress(value, viewer_can_see_exact=False) == "<5"
        assert disclosure.suppress(value, viewer_can_see_exact=True) == value
    for value in (0, 5, 6, 1250, Decimal("5.00")):
        assert disclosure.suppress(value, viewer_can_see_exact=False) == value


@pytest.mark.parametrize(
    ("role", "exact"), [(Role.VIEWER, False), (Role.MANAGER, True), (Role.ADMIN, True)]
)
def test_only_managers_and_admins_see_exact_counts(role: Role, exact: bool) -> None:
    assert disclosure.can_see_exact(User(role=role, active=True)) is exact


def test_nobody_signed_in_sees_exact_counts() -> None:
    assert disclosure.can_see_exact(None) is False


def test_the_threshold_is_a_setting(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        monkeypatch.setitem(app.config, "SMALL_COUNT_THRESHOLD", 10)
        assert disclosure.suppress(7, viewer_can_see_exact=False) == "<10"
        assert disclosure.suppress(10, viewer_can_see_exact=False) == 10
        assert "1 to 9" in disclosure.note()


def test_the_threshold_comes_from_the_environment(
    tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SMALL_COUNT_THRESHOLD", "11")
    assert build_config(str(tmp_path), {"COORDAPP_ENV": "testing"})["SMALL_COUNT_THRESHOLD"] == 11
    monkeypatch.setenv("SMALL_COUNT_THRESHOLD", "none")
    with pytest.raises(ConfigError, match="SMALL_COUNT_THRESHOLD"):
        build_config(str(tmp_path), {"COORDAPP_ENV": "testing"})


def _range(shown: object) -> range:
    """What a reader knows of a cell: a small one is 1..4, one hidden for a total is 0 or 5 and
    more (up to 200 here), any other is what it shows."""
    if shown == "<5":
        return range(1, 5)
    if shown == "hidden":
        return range(0, 201)
    return range(int(shown), int(shown) + 1)  # type: ignore[call-overload]


def _possible(shown: list[object], total: object) -> list[tuple[int, ...]]:
    """Every set of cell values a reader could reconstruct from what is shown."""
    options: list[tuple[int, ...]] = [()]
    for cell in shown:
        options = [
            (*o, x) for o in options for x in _range(cell) if not 0 < x < 5 or cell != "hidden"
        ]
    return [o for o in options if total in ("hidden", "<5") or sum(o) == total]


@pytest.mark.parametrize(
    "cells",
    [
        [3, 40, 12, 25],
        [1, 1, 30],
        [2, 0, 0, 9],
        [4, 4, 20],
        [3, 0],
        [0, 2, 50, 7],
        [1, 2, 3],
        [1, 5, 100],
        [4, 6, 7],
        [2, 3, 40],
        [4, 4, 3, 50],
        [1, 1, 1, 9],
    ],
)
def test_a_hidden_cell_cannot_be_worked_out_from_the_total(cells: list[int]) -> None:
    shown, total = disclosure.suppress_with_total(cells, sum(cells), viewer_can_see_exact=False)
    assert "<5" in shown
    for index, value in enumerate(cells):
        if 0 < value < 5:
            # More than one value is possible for each small cell, given all that is shown.
            seen = {option[index] for option in _possible(shown, total)}
            assert len(seen) > 1, (cells, shown, total)


def test_a_quarter_of_three_hides_the_next_smallest_quarter_not_the_big_ones() -> None:
    shown, total = disclosure.suppress_with_total([3, 40, 12, 25], 80, viewer_can_see_exact=False)
    assert shown == ["<5", 40, "hidden", 25]
    assert total == 80


def test_a_small_and_a_just_large_cell_hidden_together_are_not_enough() -> None:
    # 1 + 5 = 6 would pin both (the 5 cannot be 1..4, so it is 5 and the small one 1).
    shown, _ = disclosure.suppress_with_total([1, 5, 100], 106, viewer_can_see_exact=False)
    assert shown == ["<5", "hidden", "hidden"]


def test_with_no_other_cell_to_hide_the_total_is_hidden() -> None:
    assert disclosure.suppress_with_total([3, 0, 40], 43, viewer_can_see_exact=False) == (
        ["<5", 0, "hidden"],
        43,
    )
    assert disclosure.suppress_with_total([3, 0], 3, viewer_can_see_exact=False) == (
        ["<5", 0],
        "<5",
    )
    assert disclosure.suppress_with_total([3, 0, 0], 9, viewer_can_see_exact=False)[1] == "hidden"


def test_managers_see_every_cell_and_the_total() -> None:
    assert disclosure.suppress_with_total([3, 40], 43, viewer_can_see_exact=True) == ([3, 40], 43)


def test_no_cell_small_nothing_hidden() -> None:
    assert disclosure.suppress_with_total([0, 40, 7], 47, viewer_can_see_exact=False) == (
        [0, 40, 7],
        47,
    )


def test_small_cells_that_keep_each_other_ambiguous_need_no_second_cell_hidden() -> None:
    assert disclosure.suppress_with_total([2, 3, 40], 45, viewer_can_see_exact=False) == (
        ["<5", "<5", 40],
        45,
    )
    # 1 + 1 (or 4 + 4) would pin both: a further cell is hidden.
    assert disclosure.suppress_with_total([1, 1, 40], 42, viewer_can_see_exact=False)[0] == [
        "<5",
        "<5",
        "hidden",
    ]
    assert disclosure.suppress_with_total([4, 4, 40], 48, viewer_can_see_exact=False)[0] == [
        "<5",
        "<5",
        "hidden",
    ]


def test_every_pair_of_small_cells_with_a_total_keeps_each_ambiguous() -> None:
    for a, b in combinations(range(1, 5), 2):
        cells = [a, b, 30]
        shown, total = disclosure.suppress_with_total(cells, sum(cells), viewer_can_see_exact=False)
        for index in (0, 1):
            assert len({o[index] for o in _possible(shown, total)}) > 1


def test_a_chart_draws_a_small_count_at_the_threshold_and_leaves_a_gap_for_a_hidden_one() -> None:
    assert disclosure.plotted("<5") == (5.0, "<5")
    assert disclosure.plotted("hidden") == (None, "hidden")
    assert disclosure.plotted(Decimal("1250.00")) == (1250.0, "1,250")
    assert disclosure.plotted(12) == (12.0, "12")
