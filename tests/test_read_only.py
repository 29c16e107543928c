"""A read-only session (a dashboard callback request's): the data versions read with its user,
no transaction on PostgreSQL, and any write refused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from coordapp import read_only
from coordapp.auth.models import User
from coordapp.cache import cached, get_with_data_versions
from coordapp.data_version import data_versions
from coordapp.extensions import db
from coordapp.read_only import WriteInReadOnlySession
from coordapp.reporting.funding import REPORT_WORK_MEM, funding_figures
from tests._statements import statements_sent


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
    with statements_sent(app) as seen:
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


def test_on_postgresql_a_report_that_sets_work_mem_gets_one_transaction(app: Flask) -> None:
    """The funding report's ``SET LOCAL work_mem`` holds for its statements in a read-only
    session too (in autocommit it would end with its own statement), and ends with it. The
    app's own session (of a request), not the test's rolled-back one."""
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has no work_mem")
        session = db.session()
        try:
            read_only.begin(session)
            default = _work_mem(session)
            funding_figures(session, first_year=2020, last_year=2024, currency="USD")
            assert _work_mem(session) == REPORT_WORK_MEM != default
            session.commit()
            assert _work_mem(session) == default
            session.rollback()

            read_only.begin(session)  # an error in the middle: rolled back all the same
            session.execute(sa.text("set local work_mem = '8MB'"))
            assert _work_mem(session) == "8MB"
            session.rollback()
            assert _work_mem(session) == default
        finally:
            db.session.remove()


def _work_mem(session: Session) -> str:
    return str(session.scalar(sa.text("SHOW work_mem")))
