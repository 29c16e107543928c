"""The database going away: between requests, in the middle of one, and for a while.

The app must answer a clean 503 (an HTML page or JSON, never a stack trace or SQL), write
nothing half-way, and serve normally again as soon as the database is back.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import make_url

from coordapp.auth import service as auth_service
from coordapp.extensions import db
from coordapp.partners import organizations
from coordapp.partners.models import Organization
from tests.conftest import PASSWORD, sign_in
from tests.faults.conftest import (
    app_on,
    make_app,
    migrate_and_seed,
    postgres_test_url,
    scratch_postgres,
)

pytestmark = [
    pytest.mark.skipif(
        postgres_test_url() is None, reason="PostgreSQL-specific (pg_terminate_backend, TCP)"
    ),
    # Its tests share a database built once per module: one xdist worker runs them all.
    pytest.mark.xdist_group("faults.test_database_outage"),
]
MANAGER = "outage-manager@test.example"
LEAKS = ("Traceback", "sqlalchemy", "psycopg", "SELECT ", "UPDATE ", "OperationalError")


class TcpProxy:
    """A loopback TCP relay to PostgreSQL that a test can cut (every connection dropped, new
    ones refused) and restore on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.restore()

    def restore(self) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        if self._listener is not None:
            # shutdown() wakes the thread blocked in accept(); close() alone would not.
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for sock in self._sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self._sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._sockets.update((client, upstream))
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with scratch_postgres("outage") as url:
        app = make_app(url)
        migrate_and_seed(app)
        with app.app_context():
            session = db.session()
            auth_service.create_user(
                session, email=MANAGER, full_name="Outage", role="manager", password=PASSWORD
            )
            organizations.create_organization(
                session, data={"name": "Steady Org", "kind": "ngo", "hq_country_code": "BE"}
            )
            session.commit()
            db.session.remove()
            db.engine.dispose()
        yield url


@pytest.fixture(scope="module")
def admin(database_url: str) -> Iterator[sa.Connection]:
    engine = sa.create_engine(database_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    with engine.connect() as conn:
        yield conn
    engine.dispose()


@pytest.fixture
def direct_app(database_url: str) -> Iterator[Flask]:
    with app_on(database_url, migrate=False) as app:
        yield app


def _terminate_app_backends(admin: sa.Connection) -> int:
    """Kill every other session on the scratch database (the app's pooled connections)."""
    return len(
        admin.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        ).all()
    )


def _signed_in(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, MANAGER).status_code == 302
    return client


def _assert_clean_503(response: Any, *, json: bool = False) -> None:
    assert response.status_code == 503, response.data[:500]
    body = response.get_data(as_text=True)
    for leak in LEAKS:
        assert leak not in body, f"{leak!r} leaked into the 503 response"
    assert response.headers.get("Retry-After")
    if json:
        assert response.json["error"] == "Database unavailable"
    else:
        assert "Database unavailable" in body


def _org_notes(admin: sa.Connection) -> tuple[str | None, int]:
    row = admin.execute(
        sa.select(Organization.notes, Organization.version).where(Organization.name == "Steady Org")
    ).one()
    return row.notes, row.version


def test_pooled_connections_killed_between_requests_are_replaced(
    direct_app: Flask, admin: sa.Connection
) -> None:
    client = _signed_in(direct_app)
    assert client.get("/organizations/").status_code == 200
    assert _terminate_app_backends(admin) >= 1
    # pool_pre_ping notices the dead connection and opens a new one: the user sees nothing.
    assert client.get("/organizations/").status_code == 200


@contextlib.contextmanager
def _killed_at(app: Flask, admin: sa.Connection, marker: str) -> Iterator[list[str]]:
    """Terminate the app's own backend just before it runs the first statement with ``marker``
    (``COMMIT``: just before the request's transaction commits)."""
    fired: list[str] = []
    with app.app_context():
        engine = db.engine

    def kill(conn: Any, statement: str) -> None:
        if not fired and marker in statement:
            fired.append(statement)
            pid = conn.connection.dbapi_connection.info.backend_pid
            admin.execute(sa.text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

    def before_execute(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        kill(conn, statement)

    def before_commit(conn: Any) -> None:
        kill(conn, "COMMIT")

    sa.event.listen(engine, "before_cursor_execute", before_execute)
    sa.event.listen(engine, "commit", before_commit)
    try:
        yield fired
    finally:
        sa.event.remove(engine, "before_cursor_execute", before_execute)
        sa.event.remove(engine, "commit", before_commit)


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_database_dying_during_a_page_gives_a_clean_503_then_recovers(
    direct_app: Flask, admin: sa.Connection, accept: str
) -> None:
    client = _signed_in(direct_app)
    with _killed_at(direct_app, admin, "FROM organizations") as fired:
        response = client.get("/organizations/", headers={"Accept": accept})
    assert fired, "the request never queried organizations"
    _assert_clean_503(response, json=accept == "application/json")
    assert client.get("/organizations/").status_code == 200


@pytest.mark.parametrize("moment", ["UPDATE organizations", "COMMIT"])
def test_database_dying_during_a_save_writes_nothing_then_recovers(
    direct_app: Flask, admin: sa.Connection, moment: str
) -> None:
    client = _signed_in(direct_app)
    before = _org_notes(admin)
    with direct_app.app_context():
        ident = db.session.scalar(
            sa.select(Organization.id).where(Organization.name == "Steady Org")
        )
        db.session.remove()
    form: Callable[[str], dict[str, str]] = lambda notes: {  # noqa: E731
        "name": "Steady Org",
        "kind": "ngo",
        "status": "prospect",
        "hq_country_code": "BE",
        "notes": notes,
        "version": str(before[1]),
    }
    with _killed_at(direct_app, admin, moment) as fired:
        response = client.post(f"/organizations/{ident}/edit", data=form("lost in the outage"))
    assert fired
    _assert_clean_503(response)
    assert _org_notes(admin) == before, "a half-done save was committed"
    assert "were saved" not in client.get(f"/organizations/{ident}").get_data(as_text=True)
    saved = client.post(f"/organizations/{ident}/edit", data=form("saved after the outage"))
    assert saved.status_code == 302
    assert _org_notes(admin) == ("saved after the outage", before[1] + 1)
    # Put the record back for the next case.
    with direct_app.app_context():
        db.session.execute(
            sa.update(Organization)
            .where(Organization.id == ident)
            .values(notes=before[0], version=before[1])
        )
        db.session.commit()
        db.session.remove()


def test_database_unreachable_for_a_while_then_back(database_url: str) -> None:
    url = make_url(database_url)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    with app_on(
        proxied,
        migrate=False,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": {"connect_timeout": 3}},
    ) as app:
        try:
            client = _signed_in(app)
            assert client.get("/organizations/").status_code == 200
            proxy.cut()
            for path in ("/organizations/", "/", "/partnerships/"):
                _assert_clean_503(client.get(path))
            _assert_clean_503(
                client.get("/organizations/", headers={"Accept": "application/json"}), json=True
            )
            # Signing in needs the database too: a clean 503, not a 500.
            _assert_clean_503(
                app.test_client().post(
                    "/auth/sign-in", data={"email": MANAGER, "password": PASSWORD}
                )
            )
            proxy.restore()
            assert client.get("/organizations/").status_code == 200
            assert _signed_in(app).get("/").status_code == 200
        finally:
            proxy.cut()
