"""The production entry points: the release command and the gunicorn settings."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from types import ModuleType

import pytest
import sqlalchemy as sa
from flask import Flask


def test_release_migrates_and_seeds_and_can_run_again(app: Flask, db_conn: sa.Connection) -> None:
    result = app.test_cli_runner().invoke(args=["release"])
    assert result.exit_code == 0, result.output
    assert "Reference data is up to date; nothing changed." in result.output
    with app.app_context():
        from coordapp.extensions import db

        head = db.session.scalar(sa.text("SELECT version_num FROM alembic_version"))
    assert head


def _gunicorn_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> ModuleType:
    for name in (
        *("BIND", "HOST", "PORT", "WORKERS", "THREADS", "TIMEOUT", "LOG_LEVEL"),
        *("MAX_REQUESTS", "MAX_REQUESTS_JITTER"),
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    sys.modules.pop("coordapp.gunicorn_conf", None)
    return importlib.import_module("coordapp.gunicorn_conf")


def test_gunicorn_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    conf = _gunicorn_conf(monkeypatch, WORKERS="3", PORT="5113", THREADS="4")
    assert (conf.bind, conf.workers, conf.threads) == ("127.0.0.1:5113", 3, 4)
    assert conf.worker_class == "gthread" and conf.preload_app is False
    assert conf.accesslog is None  # coordapp logs each request itself, with its id

    defaults = _gunicorn_conf(monkeypatch)
    assert defaults.bind == "127.0.0.1:8000" and 2 <= defaults.workers <= 8
    assert defaults.threads == 4

    assert _gunicorn_conf(monkeypatch, BIND="0.0.0.0:9000", PORT="1").bind == "0.0.0.0:9000"


def test_gunicorn_workers_are_replaced_after_a_jittered_number_of_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker that once parsed a large upload keeps that memory until it is replaced.
    defaults = _gunicorn_conf(monkeypatch)
    assert defaults.max_requests == 1000 and defaults.max_requests_jitter == 100
    conf = _gunicorn_conf(monkeypatch, MAX_REQUESTS="500", MAX_REQUESTS_JITTER="50")
    assert (conf.max_requests, conf.max_requests_jitter) == (500, 50)


def test_gunicorn_reads_the_settings_and_formats_its_log_as_json() -> None:
    # In a child process: gunicorn's logger reconfigures the logging module of its process.
    script = """
from gunicorn.config import Config
from gunicorn.glogging import Logger
import coordapp.gunicorn_conf as conf
config = Config()
for name in ("bind", "workers", "threads", "worker_class", "accesslog", "logconfig_dict",
             "max_requests", "max_requests_jitter"):
    config.set(name, getattr(conf, name))
assert config.workers == 2 and config.address == [("127.0.0.1", 5113)], config.address
assert (config.max_requests, config.max_requests_jitter) == (1000, 100)
logger = Logger(config)
logger.error("started %s", "ok")
"""
    env = {**os.environ, "WORKERS": "2", "PORT": "5113", "BIND": ""}
    result = subprocess.run(  # noqa: S603  (our own interpreter and script)
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    [line] = result.stderr.splitlines()
    entry = json.loads(line)
    assert (entry["logger"], entry["level"], entry["message"]) == (
        "gunicorn.error",
        "ERROR",
        "started ok",
    )
