"""coordapp: coordination records and dashboards for a network of reporting hotlines."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, request, session

from coordapp import models as _models  # noqa: F401  (all mappers known before any is used)
from coordapp.config import ConfigError, build_config

__all__ = ["ConfigError", "create_app"]


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """The application factory. ``config`` overrides settings read from the environment."""
    # The parts that hook themselves into the app are imported here, with an app to hook into:
    # importing coordapp (its models, for Alembic and the tests) loads neither Dash nor the CLI.
    from coordapp.cache import configure_report_cache
    from coordapp.cli import register as register_commands
    from coordapp.compression import init_compression
    from coordapp.digest import service as _digests  # noqa: F401  (a user's digests: export, erasure)
    from coordapp.inputs import init_input_checks
    from coordapp.logs import configure_logging
    from coordapp.proxy import init_proxy
    from coordapp.read_only import init_read_only_requests
    from coordapp.security import init_security_headers
    from dashboards import init_dashboards

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(build_config(app.instance_path, config))
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///"):
        _ensure_sqlite_dir(app.config["SQLALCHEMY_DATABASE_URI"])

    # Logging first, so its request-id hook runs before any other (CSRF, sign-in guard) answers.
    configure_logging(app)
    init_input_checks(app)
    # Before the sign-in check, which is the first to read: a read-only request reads nothing
    # in a transaction.
    init_read_only_requests(app)
    register_extensions(app)
    register_blueprints(app)
    register_request_hooks(app)
    register_commands(app)
    init_dashboards(app)
    init_compression(app)
    configure_report_cache(app)
    init_security_headers(app)
    init_proxy(app)
    return app


def _ensure_sqlite_dir(uri: str) -> None:
    from pathlib import Path

    path = uri[len("sqlite:///") :]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def register_extensions(app: Flask) -> None:
    from flask_sqlalchemy.session import Session as FlaskSession

    from coordapp import models  # noqa: F401  (every model known to metadata and Alembic)
    from coordapp.audit import service as audit
    from coordapp.extensions import bootstrap, csrf, db, login_manager, migrate
    from coordapp.funding import totals as funding_totals
    from coordapp.network import membership
    from coordapp.stats import activity_totals
    from coordapp.training import totals as training_totals

    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir(), render_as_batch=True, compare_type=True)
    login_manager.init_app(app)
    login_manager.login_view = "auth.sign_in"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    bootstrap.init_app(app)
    with app.app_context():
        audit.install(FlaskSession)
        funding_totals.install(FlaskSession)
        membership.install(FlaskSession)
        training_totals.install(FlaskSession)
        activity_totals.install(FlaskSession)
        _configure_sqlite(db)


def _migrations_dir() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent / "migrations")


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _configure_sqlite(db: Any) -> None:
    """Foreign keys on, and real transactions: pysqlite's own BEGIN handling breaks savepoints
    (the SQLAlchemy-documented recipe)."""
    from sqlalchemy import event

    engine = db.engine
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        # SQLite has one writer at a time: a write waits up to 30 s (e.g. behind a large
        # import's transaction) instead of failing after the driver's default 5 s.
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # SQLite's own lower() folds ASCII letters only: "Hotline Éire" would not be found as
        # "hotline éire", nor match the key the importer computes in Python. Python's lower()
        # replaces it on every connection (deterministic, so the lower(name) indexes use it).
        dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")


def register_blueprints(app: Flask) -> None:
    from coordapp.api import register as register_api
    from coordapp.audit.views import bp as audit_bp
    from coordapp.auth.views import bp as auth_bp
    from coordapp.auth.views import register_guard
    from coordapp.boardpack.views import bp as boardpack_bp
    from coordapp.errors import register_error_handlers
    from coordapp.funding.views import bp as funding_bp
    from coordapp.imports.views import bp as imports_bp
    from coordapp.main.views import bp as main_bp
    from coordapp.network.compliance_views import bp as compliance_bp
    from coordapp.network.views import bp as network_bp
    from coordapp.partners.views import bp as partners_bp
    from coordapp.pillars.views import bp as pillars_bp
    from coordapp.portal.views import bp as portal_bp
    from coordapp.reference.views import bp as reference_bp
    from coordapp.stats.quarter_views import bp as quarters_bp
    from coordapp.stats.views import bp as stats_bp
    from coordapp.training.views import bp as training_bp
    from coordapp.unavailable import register_unavailable_handler

    register_guard(app)
    for blueprint in (
        auth_bp,
        main_bp,
        partners_bp,
        network_bp,
        compliance_bp,
        funding_bp,
        training_bp,
        stats_bp,
        quarters_bp,
        pillars_bp,
        audit_bp,
        reference_bp,
        boardpack_bp,
        imports_bp,
        portal_bp,
    ):
        app.register_blueprint(blueprint)
    register_api(app)
    register_error_handlers(app)
    register_unavailable_handler(app)

    @app.context_processor
    def inject_permissions() -> dict[str, Any]:
        from coordapp.auth.permissions import can_edit, has_role, is_hotline_user

        return {"can_edit": can_edit, "has_role": has_role, "is_hotline_user": is_hotline_user}

    from coordapp import disclosure
    from coordapp.labels import label

    app.jinja_env.filters["label"] = label
    app.jinja_env.filters["count"] = disclosure.shown_count
    app.jinja_env.globals["small_count_note"] = disclosure.note
    app.jinja_env.globals["sees_exact_counts"] = disclosure.current_user_sees_exact
    # ``{% if value is a_date %}``: list cells that show a date (alone or first) keep it on
    # one line.
    app.jinja_env.tests["a_date"] = _shows_a_date


_STARTS_WITH_A_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\b")


def _shows_a_date(value: object) -> bool:
    return isinstance(value, dt.date) or bool(
        isinstance(value, str) and _STARTS_WITH_A_DATE.match(value)
    )


def register_request_hooks(app: Flask) -> None:
    """One transaction per request: services flush, the request commits or rolls back."""
    from sqlalchemy.exc import SQLAlchemyError

    from coordapp.extensions import db

    @app.after_request
    def finish_transaction(response: Response) -> Response:
        if response.status_code < 400 and request.method != "OPTIONS":
            try:
                db.session.commit()
            except SQLAlchemyError as error:
                # The database went away (or refused) at the commit: the answer must say that
                # nothing was saved (503 / 409 / 500 from the error handlers), not "saved".
                session.pop("_flashes", None)
                return app.make_response(app.handle_user_exception(error))
        else:
            db.session.rollback()
        return response
