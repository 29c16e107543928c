"""`flask digest send`: each staff user's overdue and coming items, e-mailed through a real SMTP
server (aiosmtpd, started by the tests), once per ISO week; failures reported, never marked."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from sqlalchemy.orm import Session

from coordapp import mail
from coordapp.auth import service as auth_service
from coordapp.auth.models import Role, User
from coordapp.digest import letters
from coordapp.digest import service as digest_service
from coordapp.digest.models import DigestDelivery
from coordapp.digest.service import DigestItem, week_start
from coordapp.extensions import db
from coordapp.partners.interaction_models import Interaction, InteractionKind
from coordapp.partners.models import Partnership, PartnershipStatus, PartnershipType
from tests import factories
from tests._smtp import free_port
from tests.conftest import PASSWORD

TODAY = date(2026, 12, 9)  # a Wednesday: the week of Monday 2026-12-07
BASE = "https://coordapp.example/app"
ANN, BOB, CLEO = "ann@coordapp.example", "bob@coordapp.example", "cleo@coordapp.example"
HANA, DORA = "hana@coordapp.example", "dora@coordapp.example"
NOTE = "The partner asked about the takedown backlog"


def run(app: Flask, *args: str) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=["digest", "send", *args])
    return result.exit_code, result.output


def _user(s: Session, email: str, role: Role, *, active: bool = True) -> User:
    user = auth_service.create_user(
        s, email=email, full_name=email.split("@")[0].title(), role=role, password=PASSWORD
    )
    user.active = active
    return user


def _partnership(s: Session, title: str, *, end: date, notice: int, owner: User) -> int:
    item = Partnership(
        organization_id=factories.organization(s).id,
        title=title,
        type=PartnershipType.TECHNOLOGY,
        status=PartnershipStatus.ACTIVE,
        start_date=date(2020, 1, 1),
        end_date=end,
        renewal_notice_days=notice,
        owner_id=owner.id,
    )
    s.add(item)
    s.flush()
    return item.id


@pytest.fixture
def owned(app: Flask, db_conn: sa.Connection) -> dict[str, int]:
    """Ann owns an overdue and a coming renewal, Bob an overdue follow-up; Cleo owns nothing;
    a hotline user and a deactivated manager (who owns a renewal) get no digest."""
    with app.app_context():
        s = db.session()
        ann, bob = _user(s, ANN, Role.MANAGER), _user(s, BOB, Role.ADMIN)
        _user(s, CLEO, Role.VIEWER)
        _user(s, HANA, Role.HOTLINE)
        dora = _user(s, DORA, Role.MANAGER, active=False)
        ids = {
            # renewal due 60 days before the end: 55 days ago
            "overdue": _partnership(
                s, "Hosting agreement", end=TODAY + timedelta(days=5), notice=60, owner=ann
            ),
            # renewal due in 30 days
            "coming": _partnership(
                s, "Research MoU", end=TODAY + timedelta(days=60), notice=30, owner=ann
            ),
            "dora": _partnership(
                s, "Dora's agreement", end=TODAY + timedelta(days=5), notice=60, owner=dora
            ),
        }
        call = Interaction(
            organization_id=factories.organization(s, name="Acme Foundation").id,
            occurred_on=TODAY - timedelta(days=20),
            kind=InteractionKind.CALL,
            note=NOTE,
            follow_up_on=TODAY - timedelta(days=2),
            follow_up_owner_id=bob.id,
        )
        s.add(call)
        s.flush()
        ids["follow_up"] = call.id
        s.commit()
        db.session.remove()
    return ids


def deliveries(app: Flask) -> list[tuple[str, date, int]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(User.email, DigestDelivery.week_start, DigestDelivery.item_count)
            .join(User, User.id == DigestDelivery.user_id)
            .order_by(User.email)
        ).all()
        db.session.remove()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def page(app: Flask, endpoint: str, record_id: int) -> str:
    with app.test_request_context(base_url=BASE):
        return url_for(endpoint, record_id=record_id, _external=True)


def parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    # SMTP carries lines ending in CRLF.
    return (
        text.get_content().replace("\r\n", "\n"),
        html.get_content().replace("\r\n", "\n"),
    )


def test_each_owner_gets_their_overdue_and_coming_items_as_text_and_html(
    app: Flask, mail_settings: Any, owned: dict[str, int]
) -> None:
    code, out = run(app, "--today", TODAY.isoformat())
    assert code == 0, out
    mailbox = mail_settings.mailbox
    assert sorted(m["To"] for m in mailbox.messages) == [ANN, BOB]
    (message,) = mailbox.to(ANN)
    assert message["Subject"] == "Your week in coordapp: 1 overdue, 1 coming (week of 2026-12-07)"
    assert message["From"] == "coordapp <noreply@coordapp.example>"
    text, html = parts(message)
    overdue = page(app, "partners.partnerships_detail", owned["overdue"])
    coming = page(app, "partners.partnerships_detail", owned["coming"])
    assert overdue.startswith(BASE + "/partnerships/") and overdue.endswith(f"/{owned['overdue']}")

    # Text: the section, each item with its date and link, overdue first and marked.
    assert "coming.\n\nRenewals due (2)\n- Hosting" in text
    assert (
        f"- Hosting agreement · was due {(TODAY - timedelta(days=55)).isoformat()} (OVERDUE)\n"
        f"  {overdue}\n"
        f"- Research MoU · due {(TODAY + timedelta(days=30)).isoformat()}\n"
        f"  {coming}\n"
    ) in text
    assert "Dora's agreement" not in text  # a deactivated owner's item is nobody's here

    # HTML: the same items as links; nothing fetched from anywhere, no script.
    assert f'<a href="{overdue}" style="color:#0a58ca;">Hosting agreement</a>' in html
    assert f'<a href="{coming}" style="color:#0a58ca;">Research MoU</a>' in html
    assert (TODAY - timedelta(days=55)).isoformat() in html
    for forbidden in ("<script", "<link", "<img", "src=", "@import", "url("):
        assert forbidden not in html.lower()
    assert all(u.startswith(BASE) for u in re.findall(r'href="([^"]+)"', html))

    (bobs,) = mailbox.to(BOB)
    bob_text, bob_html = parts(bobs)
    follow_up = page(app, "partners.interactions_detail", owned["follow_up"])
    assert "Acme Foundation: follow-up of the call of 2026-11-19" in bob_text
    assert follow_up in bob_text and f'href="{follow_up}"' in bob_html
    # Titles and dates only: the call's note, an item's details stay in the app.
    assert NOTE not in bob_text + bob_html

    assert deliveries(app) == [(ANN, date(2026, 12, 7), 2), (BOB, date(2026, 12, 7), 1)]
    assert f"Sent to {ANN} (2 items)." in out
    assert "Week of 2026-12-07: 2 digest(s) sent, 0 not sent; 0 already sent this week; " in out
    assert "1 with nothing due (no e-mail)." in out  # Cleo; not the hotline or deactivated user


def test_dry_run_prints_what_would_be_sent_and_sends_and_marks_nothing(
    app: Flask, mail_settings: Any, owned: dict[str, int]
) -> None:
    code, out = run(app, "--dry-run", "--today", TODAY.isoformat())
    assert code == 0, out
    assert f"To: {ANN}\nSubject: Your week in coordapp: 1 overdue, 1 coming" in out
    assert page(app, "partners.partnerships_detail", owned["overdue"]) in out
    assert f"To: {BOB}" in out and f"To: {CLEO}" not in out
    assert "Dry run for the week of 2026-12-07: 2 digest(s) would be sent" in out
    assert "Nothing was sent or marked." in out
    assert mail_settings.mailbox.messages == []
    assert deliveries(app) == []


def test_dry_run_needs_no_smtp_server_but_the_public_address(
    app: Flask, owned: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "APP_BASE_URL", BASE)
    assert app.config["SMTP_HOST"] is None
    code, out = run(app, "--dry-run", "--today", TODAY.isoformat())
    assert code == 0 and f"To: {ANN}" in out
    monkeypatch.setitem(app.config, "APP_BASE_URL", None)
    code, out = run(app, "--dry-run", "--today", TODAY.isoformat())
    assert code == 1 and "APP_BASE_URL is not set" in out


def test_a_second_run_in_the_same_week_sends_nothing_more_the_next_week_sends_again(
    app: Flask, mail_settings: Any, owned: dict[str, int]
) -> None:
    assert run(app, "--today", TODAY.isoformat())[0] == 0
    code, out = run(app, "--today", (TODAY + timedelta(days=2)).isoformat())  # Friday
    assert code == 0, out
    assert len(mail_settings.mailbox.messages) == 2
    assert "0 digest(s) sent, 0 not sent; 2 already sent this week" in out
    code, out = run(app, "--today", (TODAY + timedelta(days=5)).isoformat())  # next Monday
    assert code == 0, out
    assert len(mail_settings.mailbox.messages) == 4
    assert [w for _, w, _ in deliveries(app)] == [
        date(2026, 12, 7),
        date(2026, 12, 14),
        date(2026, 12, 7),
        date(2026, 12, 14),
    ]


def test_a_server_that_is_down_sends_nothing_marks_nothing_and_fails_the_command(
    app: Flask, mail_settings: Any, owned: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = free_port()
    monkeypatch.setitem(app.config, "SMTP_PORT", closed)
    code, out = run(app, "--today", TODAY.isoformat())
    assert code == 1
    assert f"NOT sent to {ANN}: cannot reach the SMTP server 127.0.0.1:{closed} (none)" in out
    assert f"NOT sent to {BOB}: cannot reach the SMTP server" in out
    assert f"2 digest(s) not sent: {ANN}, {BOB}." in out
    assert deliveries(app) == []
    # Once the server is back, the same command sends them.
    monkeypatch.setitem(app.config, "SMTP_PORT", mail_settings.port)
    assert run(app, "--today", TODAY.isoformat())[0] == 0
    assert len(deliveries(app)) == 2


def test_a_refused_recipient_is_reported_and_not_marked_the_others_are_sent(
    app: Flask, mail_settings: Any, owned: dict[str, int]
) -> None:
    mail_settings.mailbox.refuse.add(ANN)
    code, out = run(app, "--today", TODAY.isoformat())
    assert code == 1
    assert f"NOT sent to {ANN}: the server refused the recipient: 550 5.1.1" in out
    assert f"Sent to {BOB} (1 item)." in out
    assert "1 digest(s) sent, 1 not sent" in out
    assert [m["To"] for m in mail_settings.mailbox.messages] == [BOB]
    assert [email for email, _, _ in deliveries(app)] == [BOB]
    # A retry sends Ann's alone.
    mail_settings.mailbox.refuse.clear()
    code, out = run(app, "--today", TODAY.isoformat())
    assert code == 0, out
    assert [m["To"] for m in mail_settings.mailbox.messages] == [BOB, ANN]


def test_missing_smtp_settings_are_named_and_the_command_fails(
    app: Flask, mail_settings: Any, owned: dict[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "SMTP_HOST", None)
    monkeypatch.setitem(app.config, "MAIL_SENDER", None)
    code, out = run(app, "--today", TODAY.isoformat())
    assert code == 1
    assert "E-mail is not configured: set SMTP_HOST, MAIL_SENDER" in out
    assert "Traceback" not in out
    assert mail_settings.mailbox.messages == [] and deliveries(app) == []


def test_one_users_digest_and_clear_refusals_of_who_gets_none(
    app: Flask, mail_settings: Any, owned: dict[str, int]
) -> None:
    code, out = run(app, "--today", TODAY.isoformat(), "--user", "Bob@Coordapp.example")
    assert code == 0, out
    assert [m["To"] for m in mail_settings.mailbox.messages] == [BOB]
    for email, message in (
        ("nobody@coordapp.example", "There is no user with e-mail nobody@coordapp.example."),
        (HANA, f"{HANA} is a hotline user: digests are for the secretariat's staff."),
        (DORA, f"{DORA} is deactivated: they get no digest."),
    ):
        code, out = run(app, "--today", TODAY.isoformat(), "--user", email)
        assert code == 1 and message in out, out
    code, out = run(app, "--today", "2026-13-01")
    assert code == 2 and "'2026-13-01' does not match the format '%Y-%m-%d'" in out
    assert len(mail_settings.mailbox.messages) == 1


def test_the_week_starts_on_monday() -> None:
    assert week_start(date(2026, 12, 7)) == date(2026, 12, 7)
    assert week_start(date(2026, 12, 13)) == date(2026, 12, 7)
    assert week_start(date(2027, 1, 1)) == date(2026, 12, 28)  # ISO week 53 of 2026


def test_an_item_reads_with_its_date_or_as_overdue_alone() -> None:
    def item(due_on: date | None, overdue: bool) -> DigestItem:
        return DigestItem(title="T", due_on=due_on, overdue=overdue, url=BASE)

    assert item(date(2026, 12, 1), True).when == "was due 2026-12-01"
    assert item(date(2026, 12, 20), False).when == "due 2026-12-20"
    assert item(None, True).when == ""  # a stage open too long: "(OVERDUE)" says it


def test_a_digest_another_run_sent_meanwhile_is_skipped_not_sent_twice(
    app: Flask, mail_settings: Any, owned: dict[str, int]
) -> None:
    with app.app_context():
        s = db.session()
        plan = digest_service.plan(s, today=TODAY, link=letters.record_links(app, BASE))
        (anns,) = [d for d in plan.digests if d.email == ANN]
        digest_service.record_delivery(s, digest=anns)  # a second cron run, done in between
        outcomes = list(
            digest_service.send(
                s,
                settings=mail.settings_from(app.config),
                digests=plan.digests,
                letter=lambda d: letters.letter(app, BASE, d),
            )
        )
        s.commit()
        db.session.remove()
    assert [(o.digest.email, o.sent, o.already_sent) for o in outcomes] == [
        (ANN, False, True),
        (BOB, True, False),
    ]
    assert [m["To"] for m in mail_settings.mailbox.messages] == [BOB]
    assert deliveries(app) == [(ANN, date(2026, 12, 7), 2), (BOB, date(2026, 12, 7), 1)]
