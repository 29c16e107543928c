"""coordapp.mail: which settings sending needs, and the message it builds."""

from __future__ import annotations

from typing import Any

import pytest

from coordapp import mail

COMPLETE: dict[str, Any] = {
    "SMTP_HOST": "smtp.example.org",
    "SMTP_PORT": 587,
    "SMTP_TLS": "starttls",
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    "SMTP_TIMEOUT_SECONDS": 30,
    "MAIL_SENDER": "coordapp <noreply@example.org>",
    "APP_BASE_URL": "https://coordapp.example.org",
}


def test_missing_settings_are_all_named_at_once() -> None:
    with pytest.raises(mail.MailNotConfigured) as caught:
        mail.settings_from({**COMPLETE, "SMTP_HOST": None, "APP_BASE_URL": None})
    assert str(caught.value).startswith(
        "E-mail is not configured: set SMTP_HOST, APP_BASE_URL (see the README"
    )
    with pytest.raises(mail.MailNotConfigured, match=r"SMTP_PASSWORD \(SMTP_USER is set\)"):
        mail.settings_from({**COMPLETE, "SMTP_USER": "coordapp"})
    assert not mail.is_configured({**COMPLETE, "MAIL_SENDER": ""})
    settings = mail.settings_from(COMPLETE)
    assert (settings.server, settings.tls, settings.timeout_seconds) == (
        "smtp.example.org:587",
        "starttls",
        30,
    )


def test_a_message_has_a_text_part_and_an_html_alternative() -> None:
    settings = mail.settings_from(COMPLETE)
    message = mail.build_message(
        settings,
        mail.Letter(to="ann@example.org", subject="Hello", text="Plain é", html="<p>Rich é</p>"),
    )
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["From"] == "coordapp <noreply@example.org>"
    assert message["Message-ID"].endswith("@coordapp.example.org>")
    assert message.get_body(preferencelist=("plain",)).get_content() == "Plain é\n"
