"""The password policy (at least 12 characters, not a common password, not guessable by
zxcvbn's estimate nor built from the account's own email or name) wherever a password is set:
the service, the admin's create-user and reset-password forms, and the CLI."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import passwords, service
from coordapp.auth.models import User
from coordapp.demo.service import DEMO_PASSWORD
from coordapp.errors import ValidationError

InApp = Callable[[], AbstractContextManager[Session]]
SignedIn = Callable[[str], FlaskClient]
# On the shipped list, and long enough: only the list refuses them.
COMMON_LONG = ["qwerty123456", "1q2w3e4r5t6y", "QwertyQwerty", " 123456789123 "]


def test_the_shipped_list_is_loaded_from_the_package() -> None:
    common = passwords.common_passwords()
    assert len(common) > 19_000
    assert {"123456", "password", "qwerty123456"} <= common


@pytest.mark.parametrize("password", ["", "short", "elevenchars"])
def test_shorter_than_twelve_is_refused(password: str) -> None:
    with pytest.raises(ValidationError, match="at least 12 characters") as caught:
        passwords.check_password_policy(password)
    assert caught.value.field == "password"


@pytest.mark.parametrize("password", COMMON_LONG)
def test_common_passwords_are_refused_whatever_their_case(password: str) -> None:
    with pytest.raises(ValidationError, match="commonly used passwords"):
        passwords.check_password_policy(password)


@pytest.mark.parametrize("password", ["twelve-chars", "correct-horse-battery", DEMO_PASSWORD])
def test_long_uncommon_passwords_pass(password: str) -> None:
    passwords.check_password_policy(password)


def test_the_demo_password_is_the_one_documented_exception() -> None:
    """The demo accounts (…@coordapp.example) share ``coordapp-demo``, built from their own
    domain: the policy refuses it for them, so the demo loader alone skips the policy
    (tests/demo shows the demo loads and its users sign in)."""
    assert DEMO_PASSWORD == "coordapp-demo"
    with pytest.raises(ValidationError, match="built from the account's own name or email"):
        passwords.check_password_policy(
            DEMO_PASSWORD, user_inputs=("admin@coordapp.example", "Demo Administrator")
        )


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("aaaaaaaaaaaa", 'repeats like "aaa" are easy to guess'),
        ("abcabcabcabc", "repeats like"),
        ("zzzzzzzzzzzzzzzzzzzz", "repeats like"),
        ("123456789012", "similar to a commonly used password"),
        ("qwertzuiopasdfgh", "pattern that is quick to guess"),
    ],
)
def test_repeats_and_patterns_are_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(ValidationError, match="too easy to guess") as caught:
        passwords.check_password_policy(password)
    assert reason in caught.value.message
    assert caught.value.field == "password"


@pytest.mark.parametrize(
    "password",
    [
        "margaret.vollstrecker@test.example",
        "MARGARET.VOLLSTRECKER@TEST.EXAMPLE",
        "Margaret Vollstrecker",
        "margaretvollstrecker",
        "Vollstrecker2026",
        "margaret.vollstrecker",
    ],
)
def test_the_accounts_own_email_or_name_is_refused(password: str) -> None:
    with pytest.raises(ValidationError, match="account's own (email address or name|name or)"):
        passwords.check_password_policy(
            password,
            user_inputs=("margaret.vollstrecker@test.example", "Margaret Vollstrecker"),
        )


def test_the_service_refuses_the_email_as_password_on_create_and_reset(
    session: Session,
) -> None:
    with pytest.raises(ValidationError, match="account's own email address or name"):
        service.create_user(
            session,
            email="ida.pfeiffer@test.example",
            full_name="Ida Pfeiffer",
            role="viewer",
            password="ida.pfeiffer@test.example",
        )
    user = service.create_user(
        session,
        email="ida.pfeiffer@test.example",
        full_name="Ida Pfeiffer",
        role="viewer",
        password="plenty-long-1",
    )
    with pytest.raises(ValidationError, match="built from the account's own name"):
        service.reset_password(session, user=user, password="Pfeiffer12345")
    with pytest.raises(ValidationError, match="too easy to guess"):
        service.reset_password(session, user=user, password="aaaaaaaaaaaa")
    assert service.authenticate(session, email=user.email, password="plenty-long-1")


def test_the_service_refuses_a_common_password_on_create_and_reset(session: Session) -> None:
    with pytest.raises(ValidationError, match="commonly used"):
        service.create_user(
            session, email="c@test.example", full_name="C", role="viewer", password="qwerty123456"
        )
    assert service.get_by_email(session, "c@test.example") is None
    user = service.create_user(
        session, email="c@test.example", full_name="C", role="viewer", password="plenty-long-1"
    )
    with pytest.raises(ValidationError, match="commonly used"):
        service.reset_password(session, user=user, password="1qaz2wsx3edc")
    assert service.authenticate(session, email="c@test.example", password="plenty-long-1")


def test_the_admin_create_form_refuses_a_common_password(
    signed_in: SignedIn, in_app: InApp
) -> None:
    admin = signed_in("admin")
    response = admin.post(
        "/auth/users/new",
        data={
            "full_name": "New Person",
            "email": "new.person@test.example",
            "role": "viewer",
            "password": "qwertyqwerty",
        },
    )
    assert response.status_code == 422
    assert "commonly used passwords" in response.get_data(as_text=True)
    with in_app() as s:
        assert s.scalar(sa.select(User).where(User.email == "new.person@test.example")) is None


def test_the_admin_reset_form_refuses_a_common_password(
    signed_in: SignedIn, users: dict[str, str], in_app: InApp
) -> None:
    admin = signed_in("admin")
    with in_app() as s:
        target = service.get_required_by_email(s, users["viewer"]).id
    response = admin.post(
        f"/auth/users/{target}/password", data={"password-password": "123456789123"}
    )
    assert response.status_code == 422
    assert "commonly used passwords" in response.get_data(as_text=True)
    page = admin.get(f"/auth/users/{target}").get_data(as_text=True)
    assert "not a commonly used password" in page  # the policy is told next to the field


def test_the_cli_refuses_a_common_password(app: Flask, db_conn: sa.Connection) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "cli@test.example", "--password-stdin"],
        input="1q2w3e4r5t6y\n",
    )
    assert result.exit_code == 1
    assert "commonly used passwords" in result.output


def test_the_admin_forms_refuse_repeats_and_the_email_with_the_message(
    signed_in: SignedIn, users: dict[str, str], in_app: InApp
) -> None:
    admin = signed_in("admin")
    created = admin.post(
        "/auth/users/new",
        data={
            "full_name": "Ida Pfeiffer",
            "email": "ida.pfeiffer@test.example",
            "role": "viewer",
            "password": "ida.pfeiffer@test.example",
        },
    )
    assert created.status_code == 422
    assert "account&#39;s own email address or name" in created.get_data(as_text=True)
    with in_app() as s:
        assert s.scalar(sa.select(User).where(User.email == "ida.pfeiffer@test.example")) is None
        target = service.get_required_by_email(s, users["viewer"]).id
    reset = admin.post(f"/auth/users/{target}/password", data={"password-password": "a" * 12})
    assert reset.status_code == 422
    assert "too easy to guess" in reset.get_data(as_text=True)
    assert "nor your own name or email address" in admin.get(f"/auth/users/{target}").get_data(
        as_text=True
    )  # the policy is told next to the field


def test_the_cli_refuses_the_email_as_password(app: Flask, db_conn: sa.Connection) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "cli.person@test.example", "--password-stdin"],
        input="cli.person@test.example\n",
    )
    assert result.exit_code == 1
    assert "own email address or name" in result.output
