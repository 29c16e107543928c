"""The report cache: reused while the data version is unchanged, recomputed after a write."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from coordapp.cache import (
    REDIS_TTL,
    ReportCache,
    configure_report_cache,
    one_data_version_read,
    redis_client,
    report_cache,
)
from coordapp.network.models import MembershipStatus
from coordapp.reporting import coverage as coverage_report
from coordapp.reporting import funding as funding_report
from tests import factories


def test_cached_until_a_write_bumps_the_data_version(session: Session) -> None:
    cache = ReportCache()
    on = date(2020, 1, 1)
    first = cache.call(session, coverage_report.coverage_map, on=on, region=None)
    again = cache.call(session, coverage_report.coverage_map, on=on, region=None)
    assert again is first and (cache.hits, cache.misses) == (1, 1)
    other = cache.call(session, coverage_report.coverage_map, on=on, region="Europe")
    assert other is not first and cache.misses == 2

    factories.hotline(session, country="AT", events=[(date(2019, 1, 1), MembershipStatus.FULL)])
    fresh = cache.call(session, coverage_report.coverage_map, on=on, region=None)
    assert fresh is not first
    assert fresh.countries_covered == first.countries_covered + 1


def test_read_only_work_reads_the_data_versions_once(session: Session) -> None:
    """Inside one_data_version_read (a figure callback), each cached value is checked against
    the versions read at its start; outside, every call reads them again."""
    cache = ReportCache()
    statements: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    engine = session.get_bind().engine  # type: ignore[union-attr]
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        cache.call(session, coverage_report.coverage_map, on=date(2020, 1, 1), region=None)
        with one_data_version_read(session):
            for region in (None, "Europe", None, "Africa"):
                cache.call(
                    session, coverage_report.coverage_map, on=date(2020, 1, 1), region=region
                )
        reads = [s for s in statements if "FROM data_version" in s]
        assert len(reads) == 2 and (cache.hits, cache.misses) == (2, 3)
        cache.call(session, coverage_report.coverage_map, on=date(2020, 1, 1), region=None)
        assert len([s for s in statements if "FROM data_version" in s]) == 3
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def test_the_cache_is_bounded(session: Session) -> None:
    cache = ReportCache(max_entries=2)
    for year in (2001, 2002, 2003):
        cache.call(session, coverage_report.coverage_map, on=date(year, 1, 1), region=None)
    assert len(cache) == 2 and cache.misses == 3
    cache.call(session, coverage_report.coverage_map, on=date(2003, 1, 1), region=None)
    assert cache.hits == 1
    cache.clear()
    assert len(cache) == 0


# --- the shared level: Redis ------------------------------------------------------------------

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")


@pytest.fixture
def redis() -> Iterator[Redis]:
    """The real Redis; skipped when it is not running, except under CI=true."""
    client = redis_client(REDIS_URL)
    try:
        client.ping()
    except RedisError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable and CI=true: {error}")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable: {error}")
    yield client
    client.close()


@pytest.fixture
def prefix(redis: Redis) -> Iterator[str]:
    # Test runs roll back, so data versions repeat between runs: each test its own keys.
    prefix = f"coordapp-test:{uuid.uuid4().hex}:"
    yield prefix
    keys = list(redis.scan_iter(prefix + "*"))
    if keys:
        redis.delete(*keys)


def test_workers_share_results_through_redis(session: Session, redis: Redis, prefix: str) -> None:
    factories.hotline(session, country="AT", events=[(date(2019, 1, 1), MembershipStatus.FULL)])
    on = date(2020, 1, 1)
    worker_a = ReportCache(redis=redis, key_prefix=prefix)
    worker_b = ReportCache(redis=redis, key_prefix=prefix)

    computed = worker_a.call(session, coverage_report.coverage_map, on=on, region=None)
    assert (worker_a.misses, worker_a.shared_hits) == (1, 0)
    [key] = list(redis.scan_iter(prefix + "*"))
    assert 0 < redis.ttl(key) <= REDIS_TTL

    shared = worker_b.call(session, coverage_report.coverage_map, on=on, region=None)
    assert (worker_b.misses, worker_b.shared_hits) == (0, 1)
    assert shared == computed and shared is not computed
    assert worker_b.call(session, coverage_report.coverage_map, on=on, region=None) is shared
    assert worker_b.hits == 1

    factories.hotline(session, country="BE", events=[(date(2019, 1, 1), MembershipStatus.FULL)])
    fresh = worker_b.call(session, coverage_report.coverage_map, on=on, region=None)
    assert worker_b.misses == 1
    assert fresh.countries_covered == computed.countries_covered + 1


def test_money_and_dates_come_back_from_redis_exactly(
    session: Session, redis: Redis, prefix: str
) -> None:
    from tests._demo import load_demo_cached

    load_demo_cached(session, today=date(2026, 11, 26))
    kwargs = {"first_year": 2019, "last_year": 2026, "constant_on": date(2026, 11, 26)}
    computed = ReportCache(redis=redis, key_prefix=prefix).call(
        session, funding_report.funding_figures, **kwargs
    )
    reader = ReportCache(redis=redis, key_prefix=prefix)
    shared = reader.call(session, funding_report.funding_figures, **kwargs)
    assert reader.shared_hits == 1
    assert shared == computed and shared.by_year
    assert all(isinstance(row.received, Decimal) for row in shared.by_year)
    assert shared.rates == computed.rates


def test_a_redis_that_is_down_costs_one_warning_and_no_error(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    cache = ReportCache(redis=redis_client("redis://127.0.0.1:1/0"))
    with caplog.at_level(logging.WARNING, logger="coordapp.cache"):
        first = cache.call(session, coverage_report.coverage_map, on=date(2020, 1, 1), region=None)
        other = cache.call(session, coverage_report.coverage_map, on=date(2021, 1, 1), region=None)
        again = cache.call(session, coverage_report.coverage_map, on=date(2020, 1, 1), region=None)
    assert first == coverage_report.coverage_map(session, on=date(2020, 1, 1), region=None)
    assert other.on == date(2021, 1, 1) and again is first
    warnings = [r for r in caplog.records if r.name == "coordapp.cache"]
    assert len(warnings) == 1 and "Redis report cache unavailable" in warnings[0].getMessage()
    assert (cache.misses, cache.hits) == (2, 1)


def test_redis_is_used_when_configured_outside_tests() -> None:
    server = Flask("coordapp-redis-config")
    original = report_cache.redis
    try:
        server.config.update(REDIS_URL="redis://127.0.0.1:6379/3", TESTING=False)
        configure_report_cache(server)
        assert report_cache.redis is not None
        server.config.update(REDIS_URL=None)
        configure_report_cache(server)
        assert report_cache.redis is None
    finally:
        report_cache.redis = original


def test_a_write_to_a_table_the_figure_did_not_read_keeps_it(session: Session) -> None:
    cache = ReportCache()
    on = date(2020, 1, 1)
    first = cache.call(session, coverage_report.coverage_map, on=on, region=None)
    factories.rate(session, base="EUR", quote="USD", on=on, value="1.1")  # funding: not read
    assert cache.call(session, coverage_report.coverage_map, on=on, region=None) is first
    factories.hotline(session, country="AT", events=[(date(2019, 1, 1), MembershipStatus.FULL)])
    assert cache.call(session, coverage_report.coverage_map, on=on, region=None) is not first
    assert (cache.hits, cache.misses) == (1, 2)


def test_a_figure_built_on_a_cached_report_depends_on_what_the_report_read(
    session: Session,
) -> None:
    """The outer value reused the inner one without running a query: it still goes stale when
    a table the inner one read is written."""
    inner, outer = ReportCache(), ReportCache()
    on = date(2020, 1, 1)

    def covered(s: Session) -> int:
        return inner.call(s, coverage_report.coverage_map, on=on, region=None).countries_covered

    inner.call(session, coverage_report.coverage_map, on=on, region=None)  # cached before the outer
    assert outer.get_or_compute(session, "covered", lambda: covered(session)) == 0
    factories.hotline(session, country="AT", events=[(date(2019, 1, 1), MembershipStatus.FULL)])
    assert outer.get_or_compute(session, "covered", lambda: covered(session)) == 1
