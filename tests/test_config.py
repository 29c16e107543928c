"""Configuration from the environment: safe defaults, clear refusals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from coordapp import ConfigError, create_app
from coordapp.config import build_config


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("COORDAPP_ENV", "SECRET_KEY", "DATABASE_URL", "REPORTING_CURRENCY"):
        monkeypatch.delenv(name, raising=False)


def test_development_defaults_to_sqlite_under_instance_and_a_kept_secret(tmp_path: Path) -> None:
    config = build_config(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'coordapp.sqlite3'}"
    assert len(config["SECRET_KEY"]) >= 32
    assert build_config(tmp_path)["SECRET_KEY"] == config["SECRET_KEY"]
    assert config["SESSION_COOKIE_SECURE"] is False
    assert config["REPORTING_CURRENCY"] == "EUR"
    assert config["PASSWORD_HASH_METHOD"] == "scrypt"
    assert config["MAX_CONTENT_LENGTH"] == 11 * 1024 * 1024


@pytest.mark.parametrize("secret", [None, "short", "dev-only-not-secret"])
def test_production_refuses_to_start_without_a_real_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, secret: str | None
) -> None:
    monkeypatch.setenv("COORDAPP_ENV", "production")
    if secret:
        monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        build_config(tmp_path)


def test_production_with_a_real_secret_sets_secure_cookies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COORDAPP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.internal/coordapp")
    config = build_config(tmp_path)
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.internal/coordapp"


def test_unknown_environment_and_database_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("COORDAPP_ENV", "staging")
    with pytest.raises(ConfigError, match="COORDAPP_ENV='staging' is not known"):
        build_config(tmp_path)
    monkeypatch.setenv("COORDAPP_ENV", "development")
    monkeypatch.setenv("DATABASE_URL", "mysql://root@localhost/x")
    with pytest.raises(ConfigError, match="DATABASE_URL must be"):
        build_config(tmp_path)


def test_create_app_passes_the_refusal_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COORDAPP_ENV", "production")
    with pytest.raises(ConfigError):
        create_app()


def test_the_entry_point_says_what_is_wrong_without_a_traceback(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "COORDAPP_ENV": "production", "SECRET_KEY": ""}
    result = subprocess.run(
        [sys.executable, "-c", "import coordapp.wsgi"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("coordapp cannot start: SECRET_KEY must be set")
    assert "Traceback" not in result.stderr


def test_production_needs_postgresql(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COORDAPP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="postgresql:// URL in production"):
        build_config(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with pytest.raises(ConfigError, match="postgresql:// URL in production"):
        build_config(tmp_path)


def test_redis_url_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("REDIS_URL", raising=False)
    assert build_config(tmp_path)["REDIS_URL"] is None
    monkeypatch.setenv("REDIS_URL", "redis://cache.internal:6379/0")
    assert build_config(tmp_path)["REDIS_URL"] == "redis://cache.internal:6379/0"


def test_mail_settings_default_to_no_mail_and_the_usual_port_of_each_tls_mode(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_TLS", "MAIL_SENDER", "APP_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    config = build_config(tmp_path)
    assert (config["SMTP_HOST"], config["SMTP_TLS"], config["SMTP_PORT"]) == (None, "starttls", 587)
    assert config["SMTP_TIMEOUT_SECONDS"] == 30
    for mode, port in (("ssl", 465), ("none", 25), ("STARTTLS", 587)):
        monkeypatch.setenv("SMTP_TLS", mode)
        assert build_config(tmp_path)["SMTP_PORT"] == port
    monkeypatch.setenv("SMTP_PORT", "2525")
    monkeypatch.setenv("APP_BASE_URL", "https://coordapp.example.org/")
    config = build_config(tmp_path)
    assert (config["SMTP_PORT"], config["APP_BASE_URL"]) == (2525, "https://coordapp.example.org")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("SMTP_TLS", "tls", "SMTP_TLS='tls' is not known; use none, starttls or ssl."),
        ("SMTP_PORT", "0", "SMTP_PORT='0' must be a whole number of at least 1."),
        ("SMTP_PORT", "70000", "SMTP_PORT=70000 is not a port number"),
        ("SMTP_TIMEOUT_SECONDS", "soon", "SMTP_TIMEOUT_SECONDS='soon' must be a whole number"),
        ("APP_BASE_URL", "coordapp.example.org", "must be the app's public address"),
    ],
)
def test_malformed_mail_settings_refuse_to_start_and_say_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=re.escape(message)):
        build_config(tmp_path)
