"""Domain error types, and the one place that turns them (and HTTP errors) into responses."""

from __future__ import annotations

import contextlib
from typing import Any

from flask import Flask, current_app, jsonify, make_response, render_template, request
from markupsafe import escape
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    status_code = 422

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    """Someone else saved the record first (stale version) or a unique value is taken."""

    status_code = 409


def _wants_json() -> bool:
    return request.path.startswith(("/api/", "/dashboards/_dash")) or (
        request.accept_mimetypes.best == "application/json"
    )


# What each page says when the code that refused gave no explanation of its own (Werkzeug's
# stock descriptions are written for developers).
PLAIN_WORDS: dict[int, tuple[str, str]] = {
    400: (
        "Bad Request",
        "The request could not be understood. Go back, reload the page and try again.",
    ),
    401: ("Unauthorized", "Sign in first."),
    403: ("Forbidden", "Your role does not allow this. Ask an admin if you need it."),
    404: ("Not Found", "There is no such page or record. It may have been archived or mistyped."),
    405: ("Method Not Allowed", "This address does not accept that kind of request."),
    409: (
        "Conflict",
        "Someone else changed this record meanwhile. Nothing of yours was saved; reload the page.",
    ),
    413: (
        "Request Entity Too Large",
        "What you sent is larger than coordapp accepts (files up to 10 MB). Send a smaller file.",
    ),
    429: (
        "Too Many Requests",
        "Too many requests in a short time. Wait a few minutes and try again.",
    ),
    500: (
        "Internal Server Error",
        "Something went wrong on our side. The error has been logged; please try again.",
    ),
}
_MINIMAL_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{status} {title} · '
    "coordapp</title></head><body><main><h1>{status} {title}</h1><p>{message}</p>"
    '<p><a href="/">Go to the home page</a></p></main></body></html>'
)


def _render(status: int, title: str, message: str) -> Any:
    if _wants_json():
        return jsonify(error=title, message=message, status=status), status
    try:
        return render_template(
            "errors/error.html", status=status, title=title, message=message
        ), status
    except Exception:  # the page itself failed (e.g. the database is gone): a plain one
        current_app.logger.exception("The error page for %s could not be rendered", status)
        page = _MINIMAL_PAGE.format(status=status, title=escape(title), message=escape(message))
        return page, status, {"Content-Type": "text/html; charset=utf-8"}


def _http_error_words(error: HTTPException) -> tuple[int, str, str]:
    status = error.code or 500
    title, plain = PLAIN_WORDS.get(status, (error.name, error.description or ""))
    # Werkzeug's own description is for developers; one given by our code is for people.
    stock = type(error).description
    message = error.description if error.description and error.description != stock else plain
    return status, title, message


def _forget_failed_transaction() -> None:
    """A failed statement leaves PostgreSQL's transaction unusable: the error page (its navbar
    loads the user) needs a fresh one. The connection itself may be gone: the page copes."""
    from coordapp.extensions import db

    with contextlib.suppress(Exception):
        db.session.rollback()


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> Any:
        # JSON keeps the type's name (clients match on it); a page gets words.
        name = type(error).__name__
        title = name if _wants_json() else PLAIN_WORDS.get(error.status_code, (name, ""))[0]
        return _render(error.status_code, title, error.message)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Any:
        status, title, message = _http_error_words(error)
        response = make_response(_render(status, title, message))
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:  # 429 and 503 may say when to come back
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(StaleDataError)
    def handle_concurrent_save(error: StaleDataError) -> Any:
        _forget_failed_transaction()
        return _render(
            409,
            "Conflict",
            "Someone else saved this record at the same moment. Nothing of yours was saved; "
            "reload the page to see their version.",
        )

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Any:
        # Logged in full; the response names no exception, statement or trace, in any mode.
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        _forget_failed_transaction()
        title, message = PLAIN_WORDS[500]
        return _render(500, title, message)
