"""Test fixtures: a schema built by the migrations, one rolled-back transaction per test.

The backend comes from TEST_DATABASE_URL: a SQLite file by default, PostgreSQL when set (the
Makefile runs the suite once on each). Under pytest-xdist each worker runs on its own database
(tests/_databases.py): a SQLite file of its own, or ``<database>_gw0`` … on PostgreSQL.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import downgrade, upgrade
from sqlalchemy.orm import Session

from coordapp import create_app
from coordapp.auth import service as auth_service
from coordapp.extensions import db
from coordapp.network.compliance_requirements import seed_requirements
from coordapp.reference.service import seed_reference_data
from tests._databases import create_database, drop_database, sibling_url, xdist_worker
from tests._transactional import TransactionalSession

PASSWORD = "correct-horse-battery"
ROLES = ("admin", "manager", "viewer")


_WORKER_DATABASE = pytest.StashKey[str]()


def _database_url(tmp_dir: Path) -> str:
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_dir / 'test.sqlite3'}"


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or "sqlite (temporary file)"
    if url.startswith("postgresql") and getattr(config.option, "numprocesses", None):
        url += " (each xdist worker on <database>_gw0, _gw1 …)"
    return f"coordapp test database: {url}"


def pytest_configure(config: pytest.Config) -> None:
    """An xdist worker on PostgreSQL runs on ``<database>_<worker>``, created here if missing.

    TEST_DATABASE_URL is pointed at it for the whole process, so every test, scratch database
    and child process of this worker sees the worker's own database."""
    url = os.environ.get("TEST_DATABASE_URL") or ""
    worker = xdist_worker()
    if not (worker and url.startswith("postgresql")):
        return
    own = sibling_url(url, worker)
    os.environ["TEST_DATABASE_URL"] = own
    try:
        create_database(own, replace=False)
    except sa.exc.OperationalError:
        return  # the server is unreachable: the database_url fixture says so
    config.stash[_WORKER_DATABASE] = own


def pytest_unconfigure(config: pytest.Config) -> None:
    own = config.stash.get(_WORKER_DATABASE, None)
    if own is not None:
        drop_database(own)


def _assert_reachable(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError as exc:
        pytest.exit(f"Test database {url} is unreachable: {exc.orig}", returncode=3)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    prefix = f"coordapp-test-{xdist_worker() or 'main'}-"
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        url = _database_url(Path(tmp))
        if url.startswith("postgresql"):
            _assert_reachable(url)
        yield url


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """The app on a schema built by the migrations, with reference data; dropped at the end.

    Its instance folder (uploads waiting to be applied, import progress) is a temporary one of
    this process, not the checkout's instance/ of `make run`; and it shares nothing through a
    Redis of the environment's REDIS_URL (sign-in counts of other xdist workers): the Redis
    tests bring their own database and key prefixes."""
    app = create_app(
        {
            "COORDAPP_ENV": "testing",
            "DATABASE_URL": database_url,
            "WTF_CSRF_ENABLED": False,
            "REDIS_URL": None,
            # No mail from the environment's SMTP settings: the mail tests bring their server.
            "SMTP_HOST": None,
            "APP_BASE_URL": None,
        }
    )
    app.instance_path = str(tmp_path_factory.mktemp("instance"))
    with app.app_context():
        # A previous run that was killed may have left tables behind on PostgreSQL.
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade()
        seed_reference_data(db.session())
        seed_requirements(db.session())
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


@pytest.fixture(autouse=True)
def fresh_report_cache() -> Iterator[None]:
    """Each test rolls its transaction back, so data versions repeat between tests: a figure
    cached by one test (home page, dashboards, list filter choices) must not serve the next."""
    from coordapp.cache import clear_caches

    clear_caches()
    yield
    clear_caches()


@pytest.fixture(autouse=True)
def _process_state_restored() -> Iterator[None]:
    """create_app sets things of the whole process: the "coordapp" logger (level, propagation
    to the root logger, where caplog listens) and the report cache's Redis. A test that builds
    an app of its own (production, development) must not leave them so for the tests after it
    in its process, whichever those are (xdist hands each worker a different sequence)."""
    from coordapp.cache import report_cache

    logger = logging.getLogger("coordapp")
    level, propagate, handlers, redis = (
        logger.level,
        logger.propagate,
        list(logger.handlers),
        report_cache.redis,
    )
    yield
    logger.setLevel(level)
    logger.propagate = propagate
    logger.handlers[:] = handlers
    report_cache.redis = redis


@pytest.fixture(autouse=True)
def _fresh_sign_in_limits(request: pytest.FixtureRequest) -> None:
    """Failed sign-ins of one test don't count against the next (the app lives all session)."""
    if "app" in request.fixturenames:
        from coordapp.auth.throttle import get_throttle

        app = request.getfixturevalue("app")
        with app.app_context():  # the counters live in the database (or Redis)
            get_throttle(app).reset()
            db.session.remove()


@pytest.fixture
def db_conn(app: Flask) -> Iterator[sa.Connection]:
    """Every session of the test (its own and the requests') joins one outer transaction,
    rolled back at the end; their commits become savepoints."""
    with app.app_context():
        connection = db.engine.connect()
    outer = connection.begin()
    original = db.session
    db.session = db._make_scoped_session(
        {
            "bind": connection,
            "join_transaction_mode": "create_savepoint",
            "class_": TransactionalSession,
        }
    )
    try:
        yield connection
    finally:
        with app.app_context():
            db.session.remove()
        db.session = original
        outer.rollback()
        connection.close()


@pytest.fixture
def session(app: Flask, db_conn: sa.Connection) -> Iterator[Session]:
    """A session for service tests, in a pushed app context. Don't combine with ``client``:
    use ``in_app`` there, so each request gets a fresh context (and a fresh current_user)."""
    with app.app_context():
        yield db.session()


@pytest.fixture
def in_app(app: Flask, db_conn: sa.Connection) -> Callable[[], AbstractContextManager[Session]]:
    """``with in_app() as s:`` arranges data for request tests, then leaves the app context."""

    @contextmanager
    def _ctx() -> Iterator[Session]:
        with app.app_context():
            s = db.session()
            yield s
            s.commit()
            db.session.remove()

    return _ctx


@pytest.fixture
def client(app: Flask, db_conn: sa.Connection) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def users(in_app: Callable[[], AbstractContextManager[Session]]) -> dict[str, str]:
    """One user per role; returns role -> email. The password is ``PASSWORD``."""
    emails = {}
    with in_app() as s:
        for role in ROLES:
            user = auth_service.create_user(
                s,
                email=f"{role}@test.example",
                full_name=f"Test {role}",
                role=role,
                password=PASSWORD,
            )
            emails[role] = user.email
    return emails


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    return client.post("/auth/sign-in", data={"email": email, "password": password})


@pytest.fixture
def signed_in(client: FlaskClient, users: dict[str, str]) -> Callable[[str], FlaskClient]:
    def _as(role: str) -> FlaskClient:
        response = sign_in(client, users[role])
        assert response.status_code == 302, response.data
        return client

    return _as


@pytest.fixture
def smtp_server() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on a free local port for the test: ``.mailbox.messages``
    holds what it accepted; add addresses to ``.mailbox.refuse`` to have them refused (550)."""
    from aiosmtpd.controller import Controller

    from tests._smtp import Mailbox, SmtpServer, free_port

    mailbox = Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(port=port, mailbox=mailbox, controller=controller)
    finally:
        controller.stop()


@pytest.fixture
def mail_settings(app: Flask, smtp_server: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The app's mail settings pointed at ``smtp_server`` (plain SMTP, no login)."""
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_server.port,
        "SMTP_TLS": "none",
        "SMTP_USER": None,
        "SMTP_PASSWORD": None,
        "SMTP_TIMEOUT_SECONDS": 5,
        "MAIL_SENDER": "coordapp <noreply@coordapp.example>",
        "APP_BASE_URL": "https://coordapp.example/app",
    }.items():
        monkeypatch.setitem(app.config, name, value)
    return smtp_server
