"""Operator commands: users, seed (demo lives in tests/demo)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm import Session

from coordapp.auth import service as auth_service
from coordapp.auth.models import Role
from coordapp.extensions import db


def run(app: Flask, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = app.test_cli_runner().invoke(args=list(args), input=stdin)
    return result.exit_code, result.output


def user(app: Flask, email: str):  # type: ignore[no-untyped-def]
    with app.app_context():
        return auth_service.get_by_email(db.session(), email)


def test_users_create_reads_the_password_from_stdin_and_can_sign_in(
    app: Flask, db_conn: sa.Connection
) -> None:
    code, out = run(
        app,
        "users",
        "create",
        "Lead@Test.Example",
        "--role",
        "manager",
        "--name",
        "Lea Lead",
        "--password-stdin",
        stdin="long-enough-pw\n",
    )
    assert (code, out.strip()) == (0, "Created lead@test.example (manager).")
    with app.app_context():
        found = auth_service.authenticate(
            db.session(), email="lead@test.example", password="long-enough-pw"
        )
        assert found is not None and found.role == Role.MANAGER and found.full_name == "Lea Lead"


def test_users_create_prompts_for_the_password_twice(app: Flask, db_conn: sa.Connection) -> None:
    code, out = run(
        app, "users", "create", "v@test.example", stdin="pw-one-longer\npw-one-longer\n"
    )
    assert code == 0, out
    assert user(app, "v@test.example").role == Role.VIEWER


def test_users_create_refuses_bad_input_clearly(app: Flask, db_conn: sa.Connection) -> None:
    code, out = run(
        app, "users", "create", "not-an-email", "--password-stdin", stdin="long-enough-pw\n"
    )
    assert code == 1 and "is not a valid email address" in out
    code, out = run(app, "users", "create", "a@test.example", "--password-stdin", stdin="short\n")
    assert code == 1 and "at least 12 characters" in out
    run(app, "users", "create", "a@test.example", "--password-stdin", stdin="long-enough-pw\n")
    code, out = run(
        app, "users", "create", "A@test.example", "--password-stdin", stdin="long-enough-pw\n"
    )
    assert code == 1 and "already exists" in out
    code, out = run(
        app,
        "users",
        "create",
        "b@test.example",
        "--role",
        "root",
        "--password-stdin",
        stdin="long-enough-pw\n",
    )
    assert code == 2 and "root" in out
    assert "Traceback" not in out


def test_users_list_set_role_deactivate_activate(app: Flask, db_conn: sa.Connection) -> None:
    run(app, "users", "create", "c@test.example", "--password-stdin", stdin="long-enough-pw\n")
    code, out = run(app, "users", "set-role", "c@test.example", "admin")
    assert (code, out.strip()) == (0, "c@test.example is now admin.")
    code, out = run(app, "users", "deactivate", "c@test.example")
    assert code == 0 and not user(app, "c@test.example").active
    code, out = run(app, "users", "list")
    assert "c@test.example" in out and "admin" in out and "inactive" in out
    code, out = run(app, "users", "activate", "c@test.example")
    assert code == 0 and user(app, "c@test.example").active
    code, out = run(app, "users", "deactivate", "ghost@test.example")
    assert code == 1 and "No user with email" in out


def test_seed_twice_changes_nothing(app: Flask, db_conn: sa.Connection) -> None:
    code, out = run(app, "seed")
    assert (code, out.strip()) == (0, "Reference data is up to date; nothing changed.")


def test_user_changes_are_audited_without_the_password(app: Flask, session: Session) -> None:
    from coordapp.audit.models import AuditEvent

    auth_service.create_user(
        session, email="d@test.example", full_name="D", role="viewer", password="long-enough-pw"
    )
    events = session.scalars(sa.select(AuditEvent).where(AuditEvent.entity_type == "users")).all()
    assert len(events) == 1
    assert "password_hash" not in (events[0].changes or {})
    assert events[0].changes["email"] == [None, "d@test.example"]
