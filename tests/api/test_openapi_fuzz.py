"""A bounded schemathesis run: every operation of /api/v1/openapi.json, through the Flask app's
WSGI interface, with generated parameters and bodies — no answer may be a server error."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
from flask import Flask
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from tests._demo import load_demo_cached

schemathesis = pytest.importorskip("schemathesis")

InApp = Callable[[], AbstractContextManager[Session]]


def test_no_operation_answers_with_a_server_error(
    app: Flask,
    in_app: InApp,
    token_for: Callable[[str], dict[str, str]],
) -> None:
    with in_app() as s:
        load_demo_cached(s, today=date(2026, 11, 26))
    # A manager's token, so that the write operations run their validation too.
    headers = token_for("manager")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 25
    failures: list[str] = []
    for operation in operations:  # noqa: B023 (each run() is called within its iteration)
        # Bounded: 20 examples for reads, 10 for writes; no shrinking, no example database.
        examples = 20 if operation.method.upper() == "GET" else 10

        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[p for p in settings.default.phases if p.name != "shrink"],
        )
        @given(case=operation.as_strategy())
        def run(case: object) -> None:
            response = case.call(headers=headers)  # type: ignore[attr-defined]
            if response.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} → {response.status_code}"  # type: ignore[attr-defined]
                )

        run()
    assert failures == [], failures[:10]
