"""Domain error types, and the one place that turns them (and HTTP errors) into responses."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
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


def _render(status: int, title: str, message: str) -> Any:
    if _wants_json():
        return jsonify(error=title, message=message, status=status), status
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def handle_domain_error(error: DomainError) -> Any:
        return _render(error.status_code, type(error).__name__, error.message)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException) -> Any:
        status = error.code or 500
        return _render(status, error.name, error.description or "")

    @app.errorhandler(StaleDataError)
    def handle_concurrent_save(error: StaleDataError) -> Any:
        return _render(
            409,
            "Conflict",
            "Someone else saved this record at the same moment. Nothing of yours was saved; "
            "reload the page to see their version.",
        )

    @app.errorhandler(Exception)
    def handle_unexpected(error: Exception) -> Any:
        app.logger.exception("Unhandled error on %s %s", request.method, request.path)
        return _render(
            500,
            "Internal Server Error",
            "Something went wrong on our side. The error has been logged; please try again.",
        )
