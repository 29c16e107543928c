"""Operator commands: ``flask seed``, ``flask demo load``, ``flask users ...``.

Each command is thin: parse input, call a service, commit once, print the result.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext
from sqlalchemy.orm import Session

from coordapp.audit import service as audit
from coordapp.errors import DomainError


@contextmanager
def command_transaction(label: str) -> Iterator[Session]:
    """One transaction per command; domain errors become a clear message and exit code 1."""
    from coordapp.extensions import current_session

    session = current_session()
    audit.set_actor(session, actor_id=None, label=label)
    try:
        yield session
        session.commit()
    except DomainError as exc:
        session.rollback()
        raise click.ClickException(exc.message) from exc
    except Exception:
        session.rollback()
        raise


users_cli = AppGroup("users", help="Create and manage user accounts.")
demo_cli = AppGroup("demo", help="The deterministic demo network.")


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Seed reference data (countries, currencies, pillars, metrics, compliance requirements).
    Safe to re-run."""
    from coordapp.network import compliance_requirements
    from coordapp.reference import service as reference

    with command_transaction("cli:seed") as session:
        result = reference.seed_reference_data(session)
        requirements = compliance_requirements.seed_requirements(session)
    if requirements:
        click.echo(f"Compliance requirements: {requirements} written.")
    if result.total:
        click.echo(
            f"Reference data: {result.countries} countries, {result.currencies} currencies, "
            f"{result.pillars} pillars, {result.metrics} metric definitions written."
        )
    else:
        click.echo("Reference data is up to date; nothing changed.")


@click.command("release")
@with_appcontext
def release_command() -> None:
    """Release step, run once before the workers start: migrate, then seed reference data."""
    from flask_migrate import upgrade

    upgrade()
    seed_command.callback()  # type: ignore[misc]


@demo_cli.command("load")
@click.option("--if-empty", is_flag=True, help="Load only into a database without hotlines.")
def demo_load(if_empty: bool) -> None:
    """Load the demo network (needs the reference data). Does nothing if it is already there."""
    from coordapp.demo import service as demo

    with command_transaction("cli:demo") as session:
        result = demo.load_demo(session, only_if_empty=if_empty)
    click.echo(result.message)


@demo_cli.command("credentials")
def demo_credentials() -> None:
    """Print the demo sign-ins (they exist once `flask demo load` has run)."""
    from coordapp.auth import service as auth_service
    from coordapp.demo import service as demo
    from coordapp.extensions import current_session

    session = current_session()
    present = [
        (email, role)
        for email, role in demo.DEMO_USERS
        if (user := auth_service.get_by_email(session, email)) is not None and user.active
    ]
    if not present:
        click.echo("  No demo users in this database (it was not loaded empty).")
        return
    click.echo("  Demo sign-in (password for all: " + demo.DEMO_PASSWORD + "):")
    for email, role in present:
        hotlines = demo.DEMO_HOTLINE_USERS.get(email)
        click.echo(f"    {email:32} {role}" + (f" ({hotlines})" if hotlines else ""))


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users_cli.command("create")
@click.argument("email")
@click.option(
    "--role", type=click.Choice(["admin", "manager", "viewer"]), default="viewer", show_default=True
)
@click.option("--name", "full_name", help="Full name (defaults to the part before @).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def users_create(email: str, role: str, full_name: str | None, password_stdin: bool) -> None:
    """Create a user account."""
    from coordapp.auth import service

    password = _read_password(password_stdin)
    with command_transaction("cli:users") as session:
        user = service.create_user(
            session,
            email=email,
            full_name=full_name or email.split("@")[0],
            role=role,
            password=password,
        )
        click.echo(f"Created {user.email} ({user.role.value}).")


@users_cli.command("list")
def users_list() -> None:
    """List user accounts."""
    from coordapp.auth import service
    from coordapp.extensions import current_session

    users = service.list_users(current_session())
    if not users:
        click.echo("No users yet. Create one with: flask users create EMAIL --role admin")
    for user in users:
        state = "active" if user.active else "inactive"
        last = user.last_login_at.isoformat(timespec="minutes") if user.last_login_at else "never"
        click.echo(f"{user.email:40} {user.role.value:8} {state:8} last sign-in: {last}")


def _user_command(name: str, help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return users_cli.command(name, help=help_text)


def _change_user(email: str, change: Callable[..., Any], done: str, **values: Any) -> None:
    """Apply ``change`` (an auth service verb taking ``user=`` and ``values``) to the user with
    ``email`` in one transaction, then print ``done`` (``{email}``, ``{role}``) about them."""
    from coordapp.auth import service

    with command_transaction("cli:users") as session:
        user = change(session, user=service.get_required_by_email(session, email), **values)
        click.echo(done.format(email=user.email, role=user.role.value))


@_user_command("set-role", "Change a user's role.")
@click.argument("email")
@click.argument("role", type=click.Choice(["admin", "manager", "viewer"]))
def users_set_role(email: str, role: str) -> None:
    from coordapp.auth import service

    _change_user(email, service.set_role, "{email} is now {role}.", role=role)


@_user_command("deactivate", "Deactivate a user; their sessions stop working at once.")
@click.argument("email")
def users_deactivate(email: str) -> None:
    from coordapp.auth import service

    _change_user(email, service.set_active, "{email} is deactivated.", active=False)


@_user_command("activate", "Re-activate a deactivated user.")
@click.argument("email")
def users_activate(email: str) -> None:
    from coordapp.auth import service

    _change_user(email, service.set_active, "{email} is active again.", active=True)


figures_cli = AppGroup("figures", help="The headline figures and where they are shown.")


@figures_cli.command("check")
@click.option("--year", type=int, default=None, help="The year to check (default: this year).")
def figures_check(year: int | None) -> None:
    """Read every headline figure from every surface and compare it with its definition.

    Prints one row per figure and one column per surface ('≠' marks a difference, '-' a
    surface that does not show it); exits with status 1 on any difference.
    """
    from flask import current_app

    from coordapp.auth import service as auth
    from coordapp.auth.models import Role
    from coordapp.extensions import current_session
    from coordapp.figures.check import check, signed_in_client

    today = date.today()
    chosen = year or today.year
    if not 1999 <= chosen <= today.year:
        raise click.BadParameter(f"give a year from 1999 to {today.year}", param_hint="--year")
    session = current_session()
    reader = next((u for u in auth.list_users(session) if u.active and u.role is Role.ADMIN), None)
    if reader is None:
        raise click.ClickException("No active admin user to read the pages with.")
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    client = signed_in_client(app, reader)
    request_log = logging.getLogger("coordapp.request")
    was_disabled, request_log.disabled = request_log.disabled, True  # the pages it reads
    try:
        result = check(app, session, client, year=chosen, today=today)
    finally:
        request_log.disabled = was_disabled
    rows = result.table()
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    click.echo(f"Figures of {chosen}, measured on {result.measured_on.isoformat()}:")
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
    differences = result.differences()
    if differences:
        click.echo(f"{len(differences)} difference(s):", err=True)
        for d in differences:
            click.echo(
                f"  {d.figure} on {d.surface}: {d.value} (definition "
                f"{result.definitions[d.figure]})",
                err=True,
            )
        sys.exit(1)
    click.echo("Every surface shows the definition's value.")


digest_cli = AppGroup("digest", help="The weekly e-mail of each user's overdue and coming items.")


@digest_cli.command("send")
@click.option(
    "--dry-run", is_flag=True, help="Print what would be sent; send nothing, mark nothing."
)
@click.option(
    "--today",
    "today_",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to compute the digest for, YYYY-MM-DD (default: today).",
)
@click.option("--user", "email", default=None, help="Only this user's digest (their e-mail).")
def digest_send(dry_run: bool, today_: datetime | None, email: str | None) -> None:
    """Send each staff user the digest of their overdue and coming items, once per ISO week.

    A digest already sent this week is not sent again. Exits with status 1 when any digest
    could not be sent (each is named, with the reason); those sent are recorded as sent.
    """
    from flask import current_app

    from coordapp import mail
    from coordapp.digest import letters
    from coordapp.digest import service as digests

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    try:
        settings = None if dry_run else mail.settings_from(app.config)
        base_url = mail.base_url_from(app.config)
    except mail.MailNotConfigured as exc:
        raise click.ClickException(str(exc)) from exc
    today = today_.date() if today_ else date.today()
    with command_transaction("cli:digest send") as session:
        plan = digests.plan(
            session, today=today, link=letters.record_links(app, base_url), email=email
        )
        failed = []
        sent = skipped = 0
        if dry_run:
            for digest in plan.digests:
                letter = letters.letter(app, base_url, digest)
                click.echo(f"To: {letter.to}\nSubject: {letter.subject}\n\n{letter.text}")
                click.echo("-" * 72)
        else:
            assert settings is not None
            outcomes = digests.send(
                session,
                settings=settings,
                digests=plan.digests,
                letter=lambda d: letters.letter(app, base_url, d),
            )
            for outcome in outcomes:
                if outcome.sent:
                    session.commit()  # recorded at once: a later failure cannot resend it
                    sent += 1
                    n = outcome.digest.item_count
                    click.echo(f"Sent to {outcome.digest.email} ({n} item{'' if n == 1 else 's'}).")
                elif outcome.already_sent:
                    skipped += 1
                    click.echo(f"Already sent to {outcome.digest.email} this week by another run.")
                else:
                    failed.append(outcome)
                    click.echo(f"NOT sent to {outcome.digest.email}: {outcome.reason}", err=True)
    week = digests.week_start(today).isoformat()
    others = (
        f"{len(plan.already_sent) + skipped} already sent this week; "
        f"{len(plan.nothing_due)} with nothing due (no e-mail)"
    )
    if dry_run:
        click.echo(
            f"Dry run for the week of {week}: {len(plan.digests)} digest(s) would be sent; "
            f"{others}. Nothing was sent or marked."
        )
    else:
        click.echo(f"Week of {week}: {sent} digest(s) sent, {len(failed)} not sent; {others}.")
    if failed:
        click.echo(
            f"{len(failed)} digest(s) not sent: "
            + ", ".join(o.digest.email for o in failed)
            + ". Run the command again to retry them; those sent are not sent twice.",
            err=True,
        )
        sys.exit(1)


def register(app: Flask) -> None:
    app.cli.add_command(digest_cli)
    app.cli.add_command(figures_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(release_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(import_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)


@click.command("backup")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path: str) -> None:
    """Write every table to FILE (a zip of JSON lines; restores on SQLite or PostgreSQL)."""
    from coordapp.backup import service as backups
    from coordapp.extensions import db

    try:
        result = backups.backup_database(db.engine, path)
    except backups.BackupError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(
        f"Backed up {result.total} rows of {len(result.rows)} tables "
        f"(schema revision {result.schema_revision}) to {result.path}."
    )


@click.command("restore")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="Delete the data already in the database first.")
@with_appcontext
def restore_command(path: str, replace: bool) -> None:
    """Load a backup made by `flask backup` into this (migrated, empty) database."""
    from coordapp.backup import service as backups
    from coordapp.extensions import db

    try:
        result = backups.restore_database(db.engine, path, replace=replace)
    except backups.BackupError as exc:
        raise click.ClickException(exc.message) from exc
    verb = "Replaced the data with" if result.replaced else "Restored"
    click.echo(f"{verb} {result.total} rows of {len(result.rows)} tables from {path}.")


@click.command("import")
@click.argument("type_name", metavar="TYPE")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False))
@click.option("--dry-run", is_flag=True, help="Report what would change; write nothing.")
@click.option(
    "--dates",
    type=click.Choice(["iso", "dmy", "mdy"]),
    default="iso",
    show_default=True,
    help="How dates that are not YYYY-MM-DD are read: day-first or month-first.",
)
@click.option(
    "--decimal",
    type=click.Choice(["point", "comma"]),
    default="point",
    show_default=True,
    help="The decimal separator of numbers in the file.",
)
@click.option(
    "--map",
    "maps",
    multiple=True,
    metavar="'FILE COLUMN=COLUMN'",
    help=(
        "Read a column of the file as one of the type's columns, e.g. --map 'Montant=amount', "
        "or leave it out with --map 'Remarks=ignore'. Repeatable. Other columns are read by "
        "name or by an unambiguous synonym (Bailleur, Geldgeber → funder); the report says how."
    ),
)
@click.option("--quiet", is_flag=True, help="Print only errors and the summary.")
@with_appcontext
def import_command(
    type_name: str,
    path: str,
    dry_run: bool,
    dates: str,
    decimal: str,
    maps: tuple[str, ...],
    quiet: bool,
) -> None:
    """Import a CSV or XLSX file of TYPE (organizations, contacts, exchange-rates, ...).

    Every row is checked first; the file is applied only if no row has an error (all or
    nothing). Exits with status 1 when there are errors.
    """
    from pathlib import Path

    from coordapp.imports import display, header
    from coordapp.imports import service as imports
    from coordapp.imports.cells import DateOrder, Options
    from coordapp.validation import DecimalMark

    file = Path(path)
    content = file.read_bytes()
    try:
        columns = header.columns_from_options(type_name, file.name, content, maps)
    except DomainError as exc:
        raise click.ClickException(exc.message) from exc

    def progress(done: int, total: int) -> None:
        if total >= 2000 and done and (done % 2000 == 0 or done == total):
            click.echo(f"... {done:,} of {total:,} rows processed", err=True)

    with command_transaction("cli:import") as session:
        report = imports.run_import(
            session,
            type_name=type_name,
            filename=file.name,
            content=content,
            options=Options(dates=DateOrder(dates), decimal=DecimalMark(decimal)),
            apply=not dry_run,
            columns=columns,
            progress=None if quiet else progress,
        )
    for line in display.report_lines(report, errors_only=quiet):
        click.echo(line)
    if not report.ok:
        sys.exit(1)
