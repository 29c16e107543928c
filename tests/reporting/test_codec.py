"""Reporting results survive the shared cache's encoding exactly; nothing else is rebuilt."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from coordapp import cache_codec as codec
from coordapp.network.models import MembershipStatus
from coordapp.reporting import activity as activity_report
from coordapp.reporting import coverage as coverage_report
from coordapp.reporting import funding as funding_report
from coordapp.reporting import growth as growth_report
from coordapp.reporting import partnerships as partnership_report
from coordapp.reporting import pillars as pillar_report
from coordapp.reporting import training as training_report
from coordapp.reporting.common import country_codes, pillars, regions
from tests._demo import load_demo_cached

TODAY = date(2026, 11, 26)


def real_results(session: Session) -> dict[str, Any]:
    load_demo_cached(session, today=TODAY)
    metric = activity_report.metrics(session)[0].code
    years = {"first_year": 2019, "last_year": 2026}
    return {
        "regions": regions(session),
        "country_codes": country_codes(session),
        "pillars": pillars(session),
        "coverage_map": coverage_report.coverage_map(session, on=TODAY),
        "country_panel": coverage_report.country_panel(session, code="NL", on=TODAY),
        "growth": growth_report.network_growth(session, today=TODAY),
        "overview": growth_report.overview(session, today=TODAY),
        "partnerships": partnership_report.partnership_figures(session, on=TODAY),
        "funding": funding_report.funding_figures(session, **years),
        "training": training_report.training_figures(session, **years),
        "pillar_progress": pillar_report.pillar_progress(session, year=2026, today=TODAY),
        "target_years": pillar_report.target_years(session),
        "metrics": activity_report.metrics(session),
        "activity": activity_report.hotline_activity(session, metric_code=metric, **years),
    }


def test_every_reporting_result_round_trips_exactly(session: Session) -> None:
    results = real_results(session)
    for name, value in results.items():
        back = codec.loads(codec.dumps(value))
        assert back == value, name
        assert type(back) is type(value), name
    # The values that matter most keep their exact types and scale.
    funding = codec.loads(codec.dumps(results["funding"]))
    assert funding.by_year and all(isinstance(y.pledged, Decimal) for y in funding.by_year)
    assert [str(y.pledged) for y in funding.by_year] == [
        str(y.pledged) for y in results["funding"].by_year
    ]
    panel = codec.loads(codec.dumps(results["country_panel"]))
    assert panel.hotlines and isinstance(panel.hotlines[0].history[0].on, date)
    assert isinstance(panel.hotlines[0].history[0].status, MembershipStatus)


def test_plain_values_round_trip() -> None:
    value = {
        "a": (1, "x", None, True, 1.5),
        2: [Decimal("0.10"), date(1999, 1, 1), datetime(2026, 1, 2, 3, 4, 5)],
        "s": frozenset({"AT", "NL"}),
    }
    assert codec.loads(codec.dumps(value)) == value


@pytest.mark.parametrize(
    "payload",
    [
        b'{"$dc": "subprocess:Popen", "f": {"args": "true"}}',
        b'{"$enum": "os:PathLike", "v": 1}',
        b'{"$dc": "coordapp.cache_codec:dumps", "f": {}}',
        b'{"$what": 1}',
    ],
)
def test_only_coordapps_own_types_are_rebuilt(payload: bytes) -> None:
    with pytest.raises(codec.CodecError):
        codec.loads(payload)


def test_values_of_other_kinds_are_refused() -> None:
    with pytest.raises(codec.CodecError):
        codec.dumps(object())
