"""The report cache: reused while the data version is unchanged, recomputed after a write."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from coordapp.network.models import MembershipStatus
from coordapp.reporting import service as reporting
from coordapp.reporting.cache import ReportCache
from tests import factories


def test_cached_until_a_write_bumps_the_data_version(session: Session) -> None:
    cache = ReportCache()
    on = date(2020, 1, 1)
    first = cache.call(session, reporting.coverage_map, on=on, region=None)
    again = cache.call(session, reporting.coverage_map, on=on, region=None)
    assert again is first and (cache.hits, cache.misses) == (1, 1)
    other = cache.call(session, reporting.coverage_map, on=on, region="Europe")
    assert other is not first and cache.misses == 2

    factories.hotline(session, country="AT", events=[(date(2019, 1, 1), MembershipStatus.FULL)])
    fresh = cache.call(session, reporting.coverage_map, on=on, region=None)
    assert fresh is not first
    assert fresh.countries_covered == first.countries_covered + 1


def test_the_cache_is_bounded(session: Session) -> None:
    cache = ReportCache(max_entries=2)
    for year in (2001, 2002, 2003):
        cache.call(session, reporting.coverage_map, on=date(year, 1, 1), region=None)
    assert len(cache) == 2 and cache.misses == 3
    cache.call(session, reporting.coverage_map, on=date(2003, 1, 1), region=None)
    assert cache.hits == 1
    cache.clear()
    assert len(cache) == 0
