"""coordapp.mail against real SMTP servers (aiosmtpd): STARTTLS and implicit TLS with a login,
a certificate nobody trusts, a wrong password, a server that never answers."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from coordapp import mail
from tests._smtp import Mailbox, free_port

LETTER = mail.Letter(to="ann@example.org", subject="Hi", text="Plain", html="<p>Rich</p>")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (openssl), and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603
        [  # noqa: S607
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*map(str, certificate))
    return context


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        b"coordapp",
        b"right-password",
    )
    return AuthResult(success=ok, handled=False)


RIGHT_PASSWORD = "right-password"  # noqa: S105  (the test server's)


def _settings(port: int, tls: str, password: str = RIGHT_PASSWORD) -> mail.MailSettings:
    return mail.MailSettings(
        host="127.0.0.1",
        port=port,
        tls=tls,
        user="coordapp",
        password=password,
        sender="coordapp <noreply@example.org>",
        base_url="https://coordapp.example.org",
        timeout_seconds=5,
    )


def _serve(certificate: tuple[Path, Path], **options: Any) -> Iterator[tuple[int, Mailbox]]:
    """An aiosmtpd server that wants the login of ``_authenticator``, over TLS of ``options``."""
    mailbox, port = Mailbox(), free_port()
    controller = Controller(
        mailbox,
        hostname="127.0.0.1",
        port=port,
        auth_required=True,
        authenticator=_authenticator,
        **options,
    )
    controller.start()
    yield port, mailbox
    controller.stop()


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, Mailbox]]:
    context = _server_context(certificate)
    yield from _serve(certificate, tls_context=context, require_starttls=True)


@pytest.fixture
def ssl_server(certificate: tuple[Path, Path]) -> Iterator[tuple[int, Mailbox]]:
    # aiosmtpd counts only STARTTLS as TLS for AUTH; this server is TLS from the first byte.
    context = _server_context(certificate)
    yield from _serve(certificate, ssl_context=context, auth_require_tls=False)


def test_starttls_with_a_login_sends_when_the_certificate_is_trusted(
    starttls_server: tuple[int, Mailbox],
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, mailbox = starttls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))  # the system's trust store, here
    mail.send_one(_settings(port, "starttls"), LETTER)
    assert [m["To"] for m in mailbox.messages] == ["ann@example.org"]


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls_with_a_login_sends(
    ssl_server: tuple[int, Mailbox],
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, mailbox = ssl_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    mail.send_one(_settings(port, "ssl"), LETTER)
    assert len(mailbox.messages) == 1


def test_a_server_without_the_login_the_settings_name_is_reported(
    smtp_server: Any,
) -> None:
    """SMTP_USER set, but the server offers no AUTH (the plain test server)."""
    with pytest.raises(mail.MailUnavailable) as caught:
        mail.send_one(_settings(smtp_server.port, "none"), LETTER)
    assert str(caught.value) == (
        f"the SMTP server 127.0.0.1:{smtp_server.port} (none) refused the session: "
        "SMTP AUTH extension not supported by server."
    )
    assert smtp_server.mailbox.messages == []


def test_a_certificate_nobody_trusts_is_refused_before_the_password_is_sent(
    starttls_server: tuple[int, Mailbox], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    port, mailbox = starttls_server
    empty = tmp_path / "none.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with pytest.raises(mail.MailUnavailable) as caught:
        mail.send_one(_settings(port, "starttls"), LETTER)
    assert str(caught.value).startswith(f"cannot reach the SMTP server 127.0.0.1:{port} (starttls)")
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value)
    assert mailbox.messages == []


def test_a_wrong_password_is_reported_as_a_refused_login(
    starttls_server: tuple[int, Mailbox],
    certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port, mailbox = starttls_server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    with pytest.raises(mail.MailUnavailable, match=r"refused the login of coordapp: 535"):
        mail.send_one(_settings(port, "starttls", password="wrong-password"), LETTER)
    assert mailbox.messages == []


def test_a_server_that_never_answers_gives_up_after_the_timeout() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # connections are queued, never answered
        port = silent.getsockname()[1]
        settings = replace(_settings(port, "none"), user=None, timeout_seconds=1)
        started = time.monotonic()
        with pytest.raises(mail.MailUnavailable, match="timed out"):
            mail.send_one(settings, LETTER)
        assert time.monotonic() - started < 5
