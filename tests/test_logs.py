"""Structured request logs: one JSON object per line, with a request id echoed to the caller."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from coordapp.logs import JsonFormatter, request_id_from
from tests.conftest import PASSWORD


@pytest.fixture
def log_lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Every line the ``coordapp`` loggers write during the test, parsed as JSON."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("coordapp")
    logger.addHandler(handler)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)


def request_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for line in lines if line["logger"] == "coordapp.request"]


def test_a_valid_incoming_request_id_is_kept_and_logged(
    client: FlaskClient, log_lines: Callable[[], list[dict[str, Any]]]
) -> None:
    response = client.get("/health", headers={"X-Request-ID": "lb-3f2a9c-0001"})
    assert response.headers["X-Request-ID"] == "lb-3f2a9c-0001"
    [line] = request_lines(log_lines())
    assert line["request_id"] == "lb-3f2a9c-0001"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/health", 200)
    assert line["level"] == "INFO" and line["message"] == "GET /health 200"
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["time"].endswith("+00:00")
    assert "user_id" not in line


@pytest.mark.parametrize(
    "incoming", [None, "", "x" * 129, "id with spaces", 'evil"{"level":"ERROR"}', "-leading"]
)
def test_a_missing_or_implausible_request_id_is_replaced(
    client: FlaskClient, incoming: str | None
) -> None:
    headers = {} if incoming is None else {"X-Request-ID": incoming}
    response = client.get("/health", headers=headers)
    generated = response.headers["X-Request-ID"]
    assert generated != incoming and len(generated) == 32 and generated.isalnum()
    assert client.get("/health").headers["X-Request-ID"] != generated


def test_signed_in_requests_log_the_user_id_and_never_the_form(
    client: FlaskClient,
    users: dict[str, str],
    log_lines: Callable[[], list[dict[str, Any]]],
) -> None:
    response = client.post("/auth/sign-in", data={"email": users["manager"], "password": PASSWORD})
    assert response.status_code == 302
    client.get("/organizations/?q=Secret+Search+Term")
    client.post("/auth/sign-in", data={"email": users["viewer"], "password": "wrong-" + PASSWORD})
    raw = json.dumps(log_lines())
    assert PASSWORD not in raw and "Secret" not in raw and users["manager"] not in raw
    sign_in, listing = request_lines(log_lines())[:2]
    assert sign_in["path"] == "/auth/sign-in" and sign_in["status"] == 302
    assert isinstance(sign_in["user_id"], int)
    assert listing["path"] == "/organizations/" and listing["user_id"] == sign_in["user_id"]
    assert listing["request_id"] != sign_in["request_id"]


def test_lines_written_during_a_request_carry_its_id(
    app: Flask,
    signed_in: Callable[[str], FlaskClient],
    log_lines: Callable[[], list[dict[str, Any]]],
) -> None:
    client = signed_in("viewer")

    def noisy() -> str:
        logging.getLogger("coordapp.something").warning("inside %s", "x")
        raise RuntimeError("boom")

    app.view_functions["main.home"], original = noisy, app.view_functions["main.home"]
    try:
        response = client.get("/", headers={"X-Request-ID": "abc-123"})
    finally:
        app.view_functions["main.home"] = original
    assert response.status_code == 500 and response.headers["X-Request-ID"] == "abc-123"
    lines = log_lines()
    inside = [line for line in lines if line["logger"] == "coordapp.something"]
    assert inside == [
        {
            "time": inside[0]["time"],
            "level": "WARNING",
            "logger": "coordapp.something",
            "message": "inside x",
            "request_id": "abc-123",
        }
    ]
    [error] = [line for line in lines if line["level"] == "ERROR"]
    assert error["request_id"] == "abc-123" and "RuntimeError: boom" in error["exception"]
    assert request_lines(lines)[-1]["status"] == 500


def test_exceptions_are_one_line_too() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", None, exc_info=__import__("sys").exc_info()
        )
    text = JsonFormatter().format(record)
    assert "\n" not in text
    assert "RuntimeError: boom" in json.loads(text)["exception"]


def test_request_id_from() -> None:
    assert request_id_from("0f8fad5b-d9cb-469f-a165-70867728950e") == (
        "0f8fad5b-d9cb-469f-a165-70867728950e"
    )
    assert request_id_from("a\r\nb") != "a\r\nb"
