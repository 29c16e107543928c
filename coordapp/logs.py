"""Structured logs: one JSON object per line, and a request id on every request.

Each request gets an id — the caller's ``X-Request-ID`` when it is a plausible id, a new one
otherwise — returned in the ``X-Request-ID`` response header and attached to every log line
written while the request runs. When the request ends, one line sums it up: method, path (never
the query string, which can hold search terms), status, duration and the signed-in user's id.
Form contents, passwords and tokens are never logged: only the fields named here are.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or load balancer sends: UUIDs, hex, base64-ish ids; nothing that could forge a
# log line or carry a payload.
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=/-]{0,127}")
REQUEST_FIELDS = ("request_id", "method", "path", "status", "duration_ms", "user_id")

request_logger = logging.getLogger("coordapp.request")


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", request fields…, "exception"}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                entry[field] = value
        if "request_id" not in entry and has_request_context():
            request_id = g.get("request_id")
            if request_id:
                entry["request_id"] = request_id
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def request_id_from(header: str | None) -> str:
    if header and _VALID_REQUEST_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _signed_in_user_id() -> int | None:
    # Only a user already loaded by this request: logging must never query the database
    # (the health check answers while the database is down). The request's commit has expired
    # the user's attributes, and reading one (is_authenticated reads ``active``) would load
    # the row again: the id is read from the identity the session keeps instead. Only a
    # signed-in, active user is ever loaded (anonymous users are not mapped).
    state = sa.inspect(g.get("_login_user"), raiseerr=False)
    identity = state.identity if state is not None else None
    return identity[0] if identity else None


def configure_logging(app: Flask) -> None:
    """JSON lines on stderr for the ``coordapp`` loggers, and the request id hooks."""
    level = str(app.config.get("LOG_LEVEL") or os.environ.get("LOG_LEVEL") or "INFO").upper()
    package_logger = logging.getLogger("coordapp")
    if not any(isinstance(h.formatter, JsonFormatter) for h in package_logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        package_logger.addHandler(handler)
    package_logger.setLevel(level)
    # app.logger is the "coordapp" logger (the package name): Flask's own handler would print
    # the same lines again as plain text.
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)
    package_logger.propagate = app.testing  # pytest's caplog listens on the root logger

    @app.before_request
    def assign_request_id() -> None:
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        request_id = g.get("request_id") or request_id_from(None)
        response.headers[REQUEST_ID_HEADER] = request_id
        started = g.get("request_started")
        duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        request_logger.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "request_id": request_id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "user_id": _signed_in_user_id(),
            },
        )
        return response
