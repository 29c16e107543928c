"""Versioned metric definitions: in force by quarter, and the admins' changes with their rules
(no overlap, whole quarters, valid until after valid from, stored values kept inside)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.errors import ValidationError
from coordapp.reference.models import MetricDefinition, MetricUnit
from coordapp.stats import grid as stats_grid
from coordapp.stats import metrics
from tests.stats.helpers import AFTER_2026, member

R, D = "reports_received", "median_days_to_removal"
InApp = Callable[[], AbstractContextManager[Session]]


def versions(session: Session, code: str) -> list[tuple[int, str, date, date | None]]:
    return [
        (m.version, m.unit.value, m.valid_from, m.valid_until)
        for m in metrics.all_versions(session, code=code)
    ]


def data(**changes: object) -> metrics.MetricData:
    values: dict[str, object] = {
        "name": "Content URLs exchanged (deduplicated)",
        "definition": "Distinct content URLs, duplicates across hotlines counted once.",
        "unit": MetricUnit.URLS,
        "valid_from": date(2026, 1, 1),
        "valid_until": None,
    }
    values.update(changes)
    return metrics.MetricData(**values)  # type: ignore[arg-type]


def test_metrics_in_force_by_date(session: Session) -> None:
    def codes(on: date) -> list[tuple[str, int]]:
        return [(m.code, m.version) for m in metrics.metrics_in_force(session, on=on)]

    assert codes(date(2019, 12, 31)) == [
        ("reports_received", 1),
        ("reports_assessed_csam", 1),
        ("reports_forwarded", 1),
        ("removed_within_3_days_pct", 1),
    ]
    assert codes(date(2020, 1, 1)) == [
        ("reports_received", 2),
        ("reports_assessed_csam", 2),
        ("reports_forwarded", 2),
        ("removed_within_3_days_pct", 1),
        ("median_days_to_removal", 1),
    ]
    assert codes(date(1998, 12, 31)) == []
    received = metrics.version_in_force(session, code=R, on=date(2019, 5, 5))
    assert received is not None and received.unit is MetricUnit.COUNT


def test_a_new_version_retires_the_open_one_the_day_before(session: Session) -> None:
    latest = metrics.all_versions(session, code=R)[-1]
    new = metrics.add_version(session, of=latest, data=data())
    assert versions(session, R) == [
        (1, "count", date(1999, 1, 1), date(2019, 12, 31)),
        (2, "urls", date(2020, 1, 1), date(2025, 12, 31)),
        (3, "urls", date(2026, 1, 1), None),
    ]
    assert metrics.version_in_force(session, code=R, on=date(2026, 2, 1)) == new


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"valid_from": date(2026, 2, 1)}, "valid_from", "first day of a quarter"),
        ({"valid_from": date(2019, 1, 1)}, "valid_from", "starts after version 2"),
        (
            {"valid_until": date(2026, 5, 31)},
            "valid_until",
            "last day of a quarter",
        ),
        (
            {"valid_until": date(2025, 12, 31)},
            "valid_until",
            "cannot be before",
        ),
        ({"name": "  "}, "name", "required"),
        ({"unit": "furlongs"}, "unit", "not one of"),
        ({"valid_from": None}, "valid_from", "Enter the first day"),
    ],
)
def test_a_refused_new_version_says_why_and_writes_nothing(
    session: Session, changes: dict[str, object], field: str, message: str
) -> None:
    before = versions(session, R)
    with pytest.raises(ValidationError) as refused:
        metrics.add_version(
            session, of=metrics.all_versions(session, code=R)[-1], data=data(**changes)
        )
    assert refused.value.field == field and message in refused.value.message
    assert versions(session, R) == before


def test_versions_of_one_metric_never_overlap(session: Session) -> None:
    first = metrics.all_versions(session, code=R)[0]
    with pytest.raises(ValidationError, match="versions of one metric cannot overlap"):
        metrics.update_metric(
            session,
            metric=first,
            data=data(
                name=first.name,
                unit=first.unit,
                valid_from=first.valid_from,
                valid_until=date(2020, 3, 31),
            ),
        )
    assert first.valid_until == date(2019, 12, 31)


def test_a_version_cannot_be_shortened_past_its_stored_values(session: Session) -> None:
    hotline = member(session)
    stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2026, values={(R, 3): "500"}, today=AFTER_2026
    )
    latest = metrics.all_versions(session, code=R)[-1]
    with pytest.raises(ValidationError, match="1 value is stored against version 2"):
        metrics.retire_metric(session, metric=latest, valid_until=date(2026, 3, 31))
    with pytest.raises(ValidationError, match="stored against version 2"):
        metrics.add_version(session, of=latest, data=data(valid_from=date(2026, 4, 1)))
    assert latest.valid_until is None
    metrics.retire_metric(session, metric=latest, valid_until=date(2026, 9, 30))
    assert latest.valid_until == date(2026, 9, 30)
    # Retired: Q4 of 2026 takes no value any more.
    with pytest.raises(stats_grid.GridInvalid, match="not accepted"):
        stats_grid.save_quarter_grid(
            session, hotline=hotline, year=2026, values={(R, 4): "1"}, today=AFTER_2026
        )


def test_a_unit_changes_only_while_no_value_is_stored_against_the_version(
    session: Session,
) -> None:
    hotline = member(session)
    days = metrics.all_versions(session, code=D)[0]
    wording = data(unit=MetricUnit.COUNT, valid_from=days.valid_from)
    stats_grid.save_quarter_grid(
        session, hotline=hotline, year=2026, values={(D, 1): "2.5"}, today=AFTER_2026
    )
    with pytest.raises(ValidationError, match="a new unit is a new version"):
        metrics.update_metric(session, metric=days, data=wording)
    assert days.unit is MetricUnit.DAYS
    # The wording may be corrected all the same.
    metrics.update_metric(
        session, metric=days, data=data(unit=MetricUnit.DAYS, valid_from=days.valid_from)
    )
    assert days.name == "Content URLs exchanged (deduplicated)"


def test_a_new_metric_has_a_code_of_its_own(session: Session) -> None:
    created = metrics.create_metric(
        session, code="urls_removed", data=data(valid_from=date(2024, 1, 1))
    )
    assert (created.version, created.code) == (1, "urls_removed")
    for code, message in (("reports_received", "exists"), ("Bad Code", "lower-case")):
        with pytest.raises(ValidationError, match=message):
            metrics.create_metric(session, code=code, data=data())
    count = session.scalar(sa.select(sa.func.count()).select_from(MetricDefinition))
    assert count == 9


def test_admins_add_a_version_in_the_app_and_bad_dates_are_refused(
    in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    with in_app() as s:
        latest_id = metrics.all_versions(s, code=R)[-1].id
    client = signed_in("admin")
    form = {
        "name": "Content URLs exchanged (deduplicated)",
        "unit": "urls",
        "definition": "Distinct content URLs.",
        "valid_from": "2026-02-01",
    }
    refused = client.post(f"/reference/metrics/{latest_id}/new-version", data=form)
    assert refused.status_code == 422
    assert "first day of a quarter" in refused.get_data(True)
    with in_app() as s:
        assert [v[0] for v in versions(s, R)] == [1, 2]
        assert metrics.all_versions(s, code=R)[-1].valid_until is None
    done = client.post(
        f"/reference/metrics/{latest_id}/new-version",
        data={**form, "valid_from": "2026-04-01"},
        follow_redirects=True,
    )
    assert done.status_code == 200 and "Version 3 of reports_received is saved" in done.get_data(
        True
    )
    page = client.get("/reference/metrics").get_data(True)
    assert 'data-metric="reports_received-v3"' in page
    with in_app() as s:
        assert versions(s, R)[1][3] == date(2026, 3, 31)


@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_only_admins_change_metrics(
    in_app: InApp, signed_in: Callable[[str], FlaskClient], role: str
) -> None:
    with in_app() as s:
        latest_id = metrics.all_versions(s, code=R)[-1].id
    response = signed_in(role).post(
        f"/reference/metrics/{latest_id}/retire", data={"valid_until": "2026-12-31"}
    )
    assert response.status_code == 403
    with in_app() as s:
        assert metrics.all_versions(s, code=R)[-1].valid_until is None
