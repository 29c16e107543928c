"""The benchmark's baselines (bench/queries.py) must compute what the services compute, or its
timings compare different work: money received, each receipt at the rate of its own date (or
constant rates), with the same rate dates used and the same amounts left out."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from bench import run
from bench.generate import generate


def test_raw_sql_and_naive_peers_agree_with_the_services(session: Session) -> None:
    generate(session, scale=1)
    session.flush()
    problems: list[str] = []
    answers: dict[str, Any] = {}
    checks = run.sweep(session, problems, answers)
    assert checks > 100
    assert problems == []
    # The sweep is meaningful: amounts were left out and named, and rates stored towards EUR
    # (added in a savepoint by the sweep) were applied.
    left_out = set()
    for total in answers.values():
        if hasattr(total, "rates"):
            left_out.update(total.rates.unconverted)
    assert {"JPY", "USD", "EUR"} <= left_out
