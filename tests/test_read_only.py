"""A dashboard callback request only reads: one statement for its reader and the data versions,
no transaction on PostgreSQL, and any write refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from coordapp import read_only
from coordapp.auth.models import User
from coordapp.cache import cached, get_with_data_versions, response_cache
from coordapp.data_version import data_versions
from coordapp.extensions import db
from coordapp.network.models import MembershipStatus
from coordapp.read_only import WriteInReadOnlySession
from tests import factories
from tests.dashboards.conftest import call, filter_id, prop, result

MAP = "..map-graph.figure...map-headline.children...map-small.children...map-note.children.."
MAP_INPUTS = [
    prop(filter_id("year"), "value", 2024),
    prop(filter_id("region"), "value", None),
    prop(filter_id("colour"), "value", "coverage"),
]


@contextmanager
def _statements(app: Flask) -> Iterator[list[str]]:
    with app.app_context():
        engine = db.engine
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if "SAVEPOINT" not in statement:  # the test's own transaction (tests/conftest.py)
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_a_cached_callback_answer_costs_one_statement_for_its_reader_and_the_data_versions(
    app: Flask, in_app: Callable[[], Session], signed_in: Callable[[str], FlaskClient]
) -> None:
    with in_app() as s:  # type: ignore[attr-defined]
        factories.hotline(s, country="AT", events=[(date(2000, 1, 1), MembershipStatus.FULL)])
    viewer = signed_in("viewer")
    first = result(call(viewer, MAP, MAP_INPUTS))
    with _statements(app) as seen:
        again = result(call(viewer, MAP, MAP_INPUTS))
    assert again == first and response_cache.hits == 1
    (statement,) = seen
    assert "data_version" in statement and "users" in statement


def test_an_uncached_callback_reads_the_data_versions_once(
    app: Flask, in_app: Callable[[], Session], signed_in: Callable[[str], FlaskClient]
) -> None:
    with in_app() as s:  # type: ignore[attr-defined]
        factories.hotline(s, country="AT", events=[(date(2000, 1, 1), MembershipStatus.FULL)])
    viewer = signed_in("viewer")
    with _statements(app) as seen:
        result(call(viewer, MAP, MAP_INPUTS))
    assert response_cache.misses == 1
    assert len([s for s in seen if "data_version" in s]) == 1


def test_the_data_versions_are_read_with_the_user_only_in_a_read_only_session(
    session: Session, users: dict[str, str]
) -> None:
    user_id = session.scalars(sa.select(User.id).where(User.email == users["viewer"])).one()
    session.expunge_all()
    assert get_with_data_versions(session, User, user_id).email == users["viewer"]  # type: ignore[union-attr]
    assert read_only.kept(session) is None

    session.expunge_all()
    session.commit()
    read_only.begin(session)
    assert get_with_data_versions(session, User, user_id).email == users["viewer"]  # type: ignore[union-attr]
    assert read_only.kept(session) == {"data_versions": data_versions(session)}
    assert get_with_data_versions(session, User, 10**9) is None


def test_values_cached_in_a_read_only_session_use_the_versions_it_read(
    app: Flask, session: Session, users: dict[str, str]
) -> None:
    session.commit()
    read_only.begin(session)
    user_id = session.scalars(sa.select(User.id).where(User.email == users["viewer"])).one()
    session.expunge_all()
    get_with_data_versions(session, User, user_id)
    with _statements(app) as seen:
        assert cached(session, _count_users) == 3
        assert cached(session, _count_users) == 3
    assert seen == [seen[0]] and "data_version" not in seen[0]


def _count_users(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(User)) or 0


def test_a_read_only_session_refuses_every_write(session: Session, users: dict[str, str]) -> None:
    session.commit()
    read_only.begin(session)
    viewer = session.scalars(sa.select(User).where(User.email == users["viewer"])).one()
    viewer.full_name = "Someone else"
    with pytest.raises(WriteInReadOnlySession):
        session.flush()
    session.rollback()

    read_only.begin(session)
    with pytest.raises(WriteInReadOnlySession):
        session.execute(sa.update(User).values(full_name="Someone else"))
    session.rollback()

    read_only.begin(session)
    session.add(User(email="new@test.example", full_name="New", role="viewer"))
    with pytest.raises(WriteInReadOnlySession):
        session.flush()


def test_the_mode_ends_with_the_sessions_transaction(session: Session) -> None:
    session.commit()
    read_only.begin(session)
    session.execute(sa.select(1))
    assert read_only.is_read_only(session)
    session.commit()
    assert not read_only.is_read_only(session)


def test_on_postgresql_a_read_only_session_opens_no_transaction(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps its transaction: it has no round trips to save")
    from psycopg.pq import TransactionStatus

    with Session(engine) as session:
        read_only.begin(session)
        session.execute(sa.select(1))
        dbapi = session.connection().connection.dbapi_connection
        assert dbapi is not None and dbapi.info.transaction_status == TransactionStatus.IDLE
        session.commit()
        session.execute(sa.select(1))  # the mode has ended: a transaction as usual
        dbapi = session.connection().connection.dbapi_connection
        assert dbapi is not None and dbapi.info.transaction_status == TransactionStatus.INTRANS
    with engine.connect() as connection:  # back in the pool as it was taken out
        assert connection.connection.dbapi_connection.autocommit is False  # type: ignore[union-attr]
