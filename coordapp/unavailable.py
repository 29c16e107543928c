"""The database going away: a clean 503 (page or JSON), never a stack trace or a half-save.

Registered after coordapp.errors' handlers; Flask picks this one for database errors because
``DBAPIError`` is more specific than ``Exception``. The connection pool checks connections
before use (``pool_pre_ping``), so the app recovers by itself once the database is back.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, render_template, request
from sqlalchemy import exc as sa_exc

from coordapp.errors import _wants_json

MESSAGE = (
    "The database is not reachable at the moment. Nothing was saved; please try again in a minute."
)
RETRY_AFTER_SECONDS = 30


# SQLite reports a missing table or a syntax error as an OperationalError too: only these mean
# that the database file cannot be used right now.
_SQLITE_UNAVAILABLE = ("database is locked", "unable to open database", "disk i/o error")


def database_unavailable(error: sa_exc.DBAPIError) -> bool:
    """Lost or refused connections (the server went away), not errors in our SQL or data."""
    if error.connection_invalidated or isinstance(error, sa_exc.InterfaceError):
        return True
    if not isinstance(error, sa_exc.OperationalError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        return any(text in str(error.orig).lower() for text in _SQLITE_UNAVAILABLE)
    return True


def _rollback_quietly() -> None:
    from coordapp.extensions import db

    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        db.session.remove()


def render_unavailable() -> Any:
    """503 without touching the database: no navbar, no signed-in user, no session."""
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if _wants_json():
        return jsonify(error="Database unavailable", message=MESSAGE, status=503), 503, headers
    if "_login_user" not in g:
        # Flask-Login's template context would load the user from the database, which is down.
        from coordapp.extensions import login_manager

        g._login_user = login_manager.anonymous_user()
    return render_template("errors/unavailable.html", message=MESSAGE), 503, headers


def register_unavailable_handler(app: Flask) -> None:
    @app.errorhandler(sa_exc.DBAPIError)
    def handle_database_error(error: sa_exc.DBAPIError) -> Any:
        _rollback_quietly()
        if database_unavailable(error):
            app.logger.error(
                "Database unavailable on %s %s: %s", request.method, request.path, error.orig
            )
            return render_unavailable()
        # Any other database error is a bug of ours: the generic 500 handler logs and answers.
        generic = app.error_handler_spec[None][None][Exception]
        return generic(error)
