"""Settings from environment variables, with safe defaults for development."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

DEV_SECRET_PLACEHOLDER = "dev-only-not-secret"  # noqa: S105  (refused in production)

# The network's benchmark for one stage of the expansion pipeline: a stage usually takes 6 to 12
# months. A stage open for longer than the upper bound (strictly: entered before the same day
# twelve months earlier) is a stalled stage, flagged on the pipeline list, the coverage map's
# country panel and the home page's needs-attention list (coordapp.network.pipeline).
PIPELINE_STAGE_MIN_MONTHS = 6
PIPELINE_STAGE_MAX_MONTHS = 12

# Hotlines submit a quarter's figures within this many days of its end (the default of the
# STATISTICS_DEADLINE_DAYS setting): the timeliness chart and needs-attention's late quarters
# (coordapp.stats.quarters).
STATISTICS_DEADLINE_DAYS = 30


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration cannot work; the message says how to fix it."""


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"{name}={raw!r} must be a whole number of at least 1.")
    return value


def _normalise_database_url(url: str) -> str:
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants an explicit driver.
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def build_config(
    instance_path: str | Path, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the Flask config mapping for the environment, validated.

    ``COORDAPP_ENV`` is one of ``development`` (default), ``production`` or ``testing``.
    """
    env = dict(os.environ)
    overrides = dict(overrides or {})
    name = str(overrides.pop("COORDAPP_ENV", env.get("COORDAPP_ENV", "development"))).lower()
    if name not in {"development", "production", "testing"}:
        raise ConfigError(
            f"COORDAPP_ENV={name!r} is not known; use development, production or testing."
        )

    instance = Path(instance_path)
    default_db = f"sqlite:///{instance / 'coordapp.sqlite3'}"
    database_url = _normalise_database_url(
        str(overrides.pop("DATABASE_URL", env.get("DATABASE_URL") or default_db))
    )
    if not database_url.startswith(("sqlite", "postgresql")):
        raise ConfigError(
            f"DATABASE_URL must be a sqlite:/// or postgresql:// URL, got {database_url[:40]!r}."
        )

    secret = overrides.pop("SECRET_KEY", env.get("SECRET_KEY"))
    if name == "production":
        if not secret or secret == DEV_SECRET_PLACEHOLDER or len(secret) < 32:
            raise ConfigError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production "
                '(for example: python -c "import secrets; print(secrets.token_hex(32))").'
            )
    elif not secret:
        secret = _development_secret(instance) if name == "development" else secrets.token_hex(16)

    if name == "production" and not database_url.startswith("postgresql"):
        raise ConfigError(
            "DATABASE_URL must be a postgresql:// URL in production (SQLite is for development)."
        )

    config: dict[str, Any] = {
        "COORDAPP_ENV": name,
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REPORTING_CURRENCY": env.get("REPORTING_CURRENCY", "EUR").upper(),
        "BOOTSTRAP_SERVE_LOCAL": True,
        "BOOTSTRAP_BOOTSWATCH_THEME": None,
        "WTF_CSRF_ENABLED": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": name == "production",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": name == "production",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # A signed-in user idle longer than this is signed out at their next request.
        "SESSION_IDLE_MINUTES": _positive_int(env, "SESSION_IDLE_MINUTES", 30),
        # How long an invitation's (or an admin's) set-password link works, in days.
        "SET_PASSWORD_LINK_DAYS": _positive_int(env, "SET_PASSWORD_LINK_DAYS", 7),
        # Redis for state shared between workers (report cache, sign-in rate limits);
        # in-process without it.
        "REDIS_URL": env.get("REDIS_URL") or None,
        # Failed sign-ins allowed per account and per client address within the window.
        "SIGN_IN_LIMIT_PER_ACCOUNT": _positive_int(env, "SIGN_IN_LIMIT_PER_ACCOUNT", 5),
        "SIGN_IN_LIMIT_PER_ADDRESS": _positive_int(env, "SIGN_IN_LIMIT_PER_ADDRESS", 20),
        "SIGN_IN_LIMIT_WINDOW_MINUTES": _positive_int(env, "SIGN_IN_LIMIT_WINDOW_MINUTES", 15),
        # The longest wait an account's failures impose on its next try (coordapp.auth.throttle).
        "SIGN_IN_ACCOUNT_MAX_WAIT_SECONDS": _positive_int(
            env, "SIGN_IN_ACCOUNT_MAX_WAIT_SECONDS", 60
        ),
        # Reverse proxies whose X-Forwarded-For names the client (coordapp.proxy); none by default.
        "FORWARDED_ALLOW_IPS": env.get("FORWARDED_ALLOW_IPS", ""),
        # Counts of people or cases from 1 to this minus one are shown as "<5" to everyone
        # below manager (coordapp.disclosure).
        "SMALL_COUNT_THRESHOLD": _positive_int(env, "SMALL_COUNT_THRESHOLD", 5),
        # Days after a quarter's end by which hotlines submit its figures (timeliness).
        "STATISTICS_DEADLINE_DAYS": _positive_int(
            env, "STATISTICS_DEADLINE_DAYS", STATISTICS_DEADLINE_DAYS
        ),
        # Outgoing e-mail (the weekly digest, invitations; coordapp.mail). No SMTP_HOST: no mail.
        **_mail_settings(env),
        "TESTING": name == "testing",
        "PASSWORD_HASH_METHOD": "scrypt",
        # Imports take files up to 10 MB; anything much larger is refused before it is read.
        "MAX_CONTENT_LENGTH": 11 * 1024 * 1024,
        "DEBUG": False,
    }
    if name == "testing":
        config["WTF_CSRF_ENABLED"] = _bool(env.get("COORDAPP_TEST_CSRF"), default=False)
        # Cheap hashes keep the suite fast; never used outside tests.
        config["PASSWORD_HASH_METHOD"] = "pbkdf2:sha256:1000"  # noqa: S105
    config.update(overrides)
    return config


SMTP_TLS_MODES = ("none", "starttls", "ssl")
# The port each TLS mode usually listens on: plain SMTP, submission with STARTTLS, implicit TLS.
SMTP_DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}


def _mail_settings(env: Mapping[str, str]) -> dict[str, Any]:
    """The SMTP server, its TLS mode and login, the sender and the app's public address.

    Refused at start-up when malformed; missing ones are reported when mail is sent
    (``coordapp.mail.settings_from``), since most deployments run without mail at first."""
    tls = (env.get("SMTP_TLS") or "starttls").strip().lower()
    if tls not in SMTP_TLS_MODES:
        raise ConfigError(f"SMTP_TLS={tls!r} is not known; use none, starttls or ssl.")
    port = _positive_int(env, "SMTP_PORT", SMTP_DEFAULT_PORTS[tls])
    if port > 65535:
        raise ConfigError(f"SMTP_PORT={port} is not a port number (1 to 65535).")
    base_url = (env.get("APP_BASE_URL") or "").strip().rstrip("/")
    if base_url and not base_url.startswith(("https://", "http://")):
        raise ConfigError(
            f"APP_BASE_URL={base_url!r} must be the app's public address, starting with "
            "https:// (e.g. https://coordapp.example.org)."
        )
    return {
        "SMTP_HOST": (env.get("SMTP_HOST") or "").strip() or None,
        "SMTP_PORT": port,
        "SMTP_TLS": tls,
        "SMTP_USER": env.get("SMTP_USER") or None,
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD") or None,
        "SMTP_TIMEOUT_SECONDS": _positive_int(env, "SMTP_TIMEOUT_SECONDS", 30),
        # The From address of every e-mail the app sends, e.g. "coordapp <noreply@example.org>".
        "MAIL_SENDER": (env.get("MAIL_SENDER") or "").strip() or None,
        # The public address of the app, for absolute links in e-mails (a command has no request).
        "APP_BASE_URL": base_url or None,
    }


def _development_secret(instance: Path) -> str:
    """A random key kept in instance/ so development sessions survive restarts."""
    path = instance / "secret_key"
    try:
        instance.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(secrets.token_hex(32))
            path.chmod(0o600)
        return path.read_text().strip()
    except OSError:
        return secrets.token_hex(32)
