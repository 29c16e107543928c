"""A digest as an e-mail: its text and HTML bodies from the templates in templates/email/, with
absolute links to the app (APP_BASE_URL), since a command has no request to take them from."""

from __future__ import annotations

from flask import Flask, render_template

from coordapp import mail
from coordapp.digest.service import Digest, LinkBuilder


def record_links(app: Flask, base_url: str) -> LinkBuilder:
    """The absolute address of a record's page, by endpoint and id."""

    def link(endpoint: str, record_id: int) -> str:
        return mail.external_url(app, base_url, endpoint, record_id=record_id)

    return link


def letter(app: Flask, base_url: str, digest: Digest) -> mail.Letter:
    context = {
        "digest": digest,
        "home_url": mail.external_url(app, base_url, "main.home"),
    }
    return mail.Letter(
        to=digest.email,
        subject=digest.subject,
        text=render_template("email/digest.txt", **context),
        html=render_template("email/digest.html", **context),
    )
