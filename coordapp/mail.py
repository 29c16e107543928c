"""Outgoing e-mail: the SMTP settings, a message of a text and an HTML part, and one connection
that sends several messages, with the standard library alone (``smtplib``, ``email``).

A recipient the server refuses fails that message only (``MailRefused``); a server that cannot
be reached, or goes away, fails every message not yet sent (``MailUnavailable``). Both carry the
reason in words, for the operator who reads the command's output.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import Flask


class MailNotConfigured(RuntimeError):
    """Settings that sending needs are missing; the message names them."""


class MailUnavailable(RuntimeError):
    """The SMTP server cannot be reached, refused the login, or went away."""


class MailRefused(RuntimeError):
    """The server refused this one message (its recipient, most often); others may still go."""


@dataclass(frozen=True, slots=True)
class MailSettings:
    host: str
    port: int
    tls: str  # none | starttls | ssl (coordapp.config.SMTP_TLS_MODES)
    user: str | None
    password: str | None
    sender: str
    base_url: str
    timeout_seconds: int

    @property
    def server(self) -> str:
        return f"{self.host}:{self.port}"


def base_url_from(config: Mapping[str, Any]) -> str:
    """The app's public address for absolute links (APP_BASE_URL), or a clear error."""
    base_url = config.get("APP_BASE_URL")
    if not base_url:
        raise MailNotConfigured(
            "APP_BASE_URL is not set: e-mails link to the app by its public address "
            "(e.g. APP_BASE_URL=https://coordapp.example.org)."
        )
    return str(base_url)


def settings_from(config: Mapping[str, Any]) -> MailSettings:
    """Everything sending needs (``coordapp.config._mail_settings``), or one error naming
    every setting that is missing."""
    required = ("SMTP_HOST", "MAIL_SENDER", "APP_BASE_URL")
    missing = [name for name in required if not config.get(name)]
    if config.get("SMTP_USER") and not config.get("SMTP_PASSWORD"):
        missing.append("SMTP_PASSWORD (SMTP_USER is set)")
    if missing:
        raise MailNotConfigured(
            "E-mail is not configured: set "
            + ", ".join(missing)
            + " (see the README, section “E-mail”)."
        )
    return MailSettings(
        host=str(config["SMTP_HOST"]),
        port=int(config["SMTP_PORT"]),
        tls=str(config["SMTP_TLS"]),
        user=config.get("SMTP_USER"),
        password=config.get("SMTP_PASSWORD"),
        sender=str(config["MAIL_SENDER"]),
        base_url=str(config["APP_BASE_URL"]),
        timeout_seconds=int(config["SMTP_TIMEOUT_SECONDS"]),
    )


def is_configured(config: Mapping[str, Any]) -> bool:
    try:
        settings_from(config)
    except MailNotConfigured:
        return False
    return True


def external_url(app: Flask, base_url: str, endpoint: str, **values: Any) -> str:
    """The absolute address of a page, outside any request (a command, an e-mail)."""
    parts = urlsplit(base_url)
    adapter = app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


@dataclass(frozen=True, slots=True)
class Letter:
    """One e-mail to one person: a plain-text body and the same in HTML."""

    to: str
    subject: str
    text: str
    html: str


def build_message(settings: MailSettings, letter: Letter) -> EmailMessage:
    """multipart/alternative: the text part first, the HTML part last (the one clients prefer)."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = letter.to
    message["Subject"] = letter.subject
    message["Message-ID"] = make_msgid(domain=urlsplit(settings.base_url).hostname or None)
    message.set_content(letter.text)
    message.add_alternative(letter.html, subtype="html")
    return message


def _reply(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {words}".strip()


class Connection:
    """An open SMTP session; ``send`` one letter after another."""

    def __init__(self, settings: MailSettings, smtp: smtplib.SMTP) -> None:
        self.settings = settings
        self._smtp = smtp

    def send(self, letter: Letter) -> None:
        message = build_message(self.settings, letter)
        try:
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            reasons = "; ".join(_reply(code, text) for code, text in exc.recipients.values())
            raise MailRefused(f"the server refused the recipient: {reasons}") from exc
        except smtplib.SMTPSenderRefused as exc:
            raise MailRefused(
                f"the server refused the sender {self.settings.sender}: "
                f"{_reply(exc.smtp_code, exc.smtp_error)}"
            ) from exc
        except smtplib.SMTPDataError as exc:
            raise MailRefused(
                f"the server refused the message: {_reply(exc.smtp_code, exc.smtp_error)}"
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise MailUnavailable(
                f"the SMTP server {self.settings.server} went away: {exc or type(exc).__name__}"
            ) from exc


def _open(settings: MailSettings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if settings.tls == "ssl":
        smtp = smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout_seconds, context=context
        )
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    try:
        if settings.tls == "starttls":
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


@contextmanager
def connect(settings: MailSettings) -> Iterator[Connection]:
    """An SMTP session with the configured server (TLS, login); ``MailUnavailable`` with the
    reason when it cannot be had. Each network step waits at most SMTP_TIMEOUT_SECONDS."""
    try:
        smtp = _open(settings)
    except smtplib.SMTPAuthenticationError as exc:
        raise MailUnavailable(
            f"the SMTP server {settings.server} refused the login of {settings.user}: "
            f"{_reply(exc.smtp_code, exc.smtp_error)}"
        ) from exc
    except smtplib.SMTPException as exc:  # it answered, but not as the settings expect
        raise MailUnavailable(
            f"the SMTP server {settings.server} ({settings.tls}) refused the session: "
            f"{exc or type(exc).__name__}"
        ) from exc
    except OSError as exc:  # refused, unreachable, timed out, or TLS failed
        raise MailUnavailable(
            f"cannot reach the SMTP server {settings.server} ({settings.tls}): "
            f"{exc or type(exc).__name__}"
        ) from exc
    try:
        yield Connection(settings, smtp)
    finally:
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def send_one(settings: MailSettings, letter: Letter) -> None:
    """Send a single letter; ``MailUnavailable`` or ``MailRefused`` when it does not go."""
    with connect(settings) as connection:
        connection.send(letter)
