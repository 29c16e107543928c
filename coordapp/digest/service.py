"""The weekly digest: for each staff user, their overdue and coming items from needs-attention
(``coordapp.main.attention``), grouped by section, each linking to its record's page; sent once
per user and ISO week, and recorded only when the server has accepted it.

Who gets one: active users of the secretariat's roles (admin, manager, viewer) who own at least
one item. Hotline users own no network items and have their own pages. A user with nothing due
gets no e-mail: a weekly "nothing due" trains people to delete the digest unread, and the
absence of a digest says the same thing.

What it says: each record's title (the same label as the home page) and its date; no details,
amounts, notes or report contents (the e-mail leaves the app's access control).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import mail
from coordapp.auth import service as users
from coordapp.auth.models import Role, User
from coordapp.db import utcnow
from coordapp.digest.models import DigestDelivery
from coordapp.errors import NotFound, ValidationError
from coordapp.main.attention import needs_attention

# Links to a record's page: (endpoint, record id) -> absolute URL.
LinkBuilder = Callable[[str, int], str]

DIGEST_ROLES = (Role.ADMIN, Role.MANAGER, Role.VIEWER)


def week_start(day: date) -> date:
    """The Monday of ``day``'s ISO week: a digest is sent at most once per user in it."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True, slots=True)
class DigestItem:
    title: str
    due_on: date | None
    overdue: bool
    url: str

    @property
    def when(self) -> str:
        if self.due_on is None:  # e.g. a stage open too long: overdue, with no one date
            return ""
        return f"{'was due' if self.overdue else 'due'} {self.due_on.isoformat()}"


@dataclass(frozen=True, slots=True)
class DigestSection:
    title: str
    items: tuple[DigestItem, ...]


@dataclass(frozen=True, slots=True)
class Digest:
    user_id: int
    email: str
    full_name: str
    today: date
    sections: tuple[DigestSection, ...]

    @property
    def week_start(self) -> date:
        return week_start(self.today)

    @property
    def overdue(self) -> int:
        return sum(item.overdue for s in self.sections for item in s.items)

    @property
    def coming(self) -> int:
        return self.item_count - self.overdue

    @property
    def item_count(self) -> int:
        return sum(len(s.items) for s in self.sections)

    @property
    def subject(self) -> str:
        return (
            f"Your week in coordapp: {self.overdue} overdue, {self.coming} coming "
            f"(week of {self.week_start.isoformat()})"
        )


@dataclass(frozen=True, slots=True)
class DigestPlan:
    """What a run would do: the digests to send and who gets none, and why."""

    today: date
    digests: tuple[Digest, ...]
    nothing_due: tuple[User, ...]
    already_sent: tuple[User, ...]


def recipients(session: Session, *, email: str | None = None) -> list[User]:
    """The users who may get a digest (active, secretariat roles), by e-mail; or the one named,
    refused clearly when they cannot get one."""
    if email is not None:
        user = users.get_by_email(session, email)
        if user is None:
            raise NotFound(f"There is no user with e-mail {email.strip().lower()}.")
        if not user.active:
            raise ValidationError("user", f"{user.email} is deactivated: they get no digest.")
        if user.role not in DIGEST_ROLES:
            raise ValidationError(
                "user", f"{user.email} is a hotline user: digests are for the secretariat's staff."
            )
        return [user]
    return list(
        session.scalars(
            sa.select(User)
            .where(User.active.is_(True), User.role.in_(DIGEST_ROLES))
            .order_by(User.email)
        )
    )


def _sent_this_week(session: Session, *, user_ids: Sequence[int], week: date) -> set[int]:
    if not user_ids:
        return set()
    return set(
        session.scalars(
            sa.select(DigestDelivery.user_id).where(
                DigestDelivery.week_start == week, DigestDelivery.user_id.in_(user_ids)
            )
        )
    )


def user_digest(session: Session, *, user: User, today: date, link: LinkBuilder) -> Digest:
    """``user``'s items: every overdue or coming item they own, all rows of each section."""
    attention = needs_attention(session, today=today, owner_id=user.id, limit=None)
    sections = tuple(
        DigestSection(
            title=section.title,
            items=tuple(
                DigestItem(
                    title=item.label,
                    due_on=item.due_on,
                    overdue=item.overdue,
                    url=link(item.endpoint, item.record_id),
                )
                for item in sorted(section.items, key=lambda i: not i.overdue)
            ),
        )
        for section in attention.sections
        if section.items
    )
    return Digest(
        user_id=user.id,
        email=user.email,
        full_name=user.full_name,
        today=today,
        sections=sections,
    )


def plan(
    session: Session, *, today: date, link: LinkBuilder, email: str | None = None
) -> DigestPlan:
    """The digests of ``today``'s week not yet sent; users with nothing due get none."""
    people = recipients(session, email=email)
    sent = _sent_this_week(session, user_ids=[u.id for u in people], week=week_start(today))
    digests: list[Digest] = []
    nothing_due: list[User] = []
    for user in people:
        if user.id in sent:
            continue
        digest = user_digest(session, user=user, today=today, link=link)
        if digest.item_count:
            digests.append(digest)
        else:
            nothing_due.append(user)
    return DigestPlan(
        today=today,
        digests=tuple(digests),
        nothing_due=tuple(nothing_due),
        already_sent=tuple(u for u in people if u.id in sent),
    )


def record_delivery(
    session: Session, *, digest: Digest, now: datetime | None = None
) -> DigestDelivery:
    delivery = DigestDelivery(
        user_id=digest.user_id,
        week_start=digest.week_start,
        sent_at=now or utcnow(),
        item_count=digest.item_count,
    )
    session.add(delivery)
    session.flush()
    return delivery


@dataclass(frozen=True, slots=True)
class Outcome:
    digest: Digest
    sent: bool
    reason: str | None = None
    # Another run of the command sent it this week, while this one was preparing: not a failure.
    already_sent: bool = False


def send(
    session: Session,
    *,
    settings: mail.MailSettings,
    digests: Sequence[Digest],
    letter: Callable[[Digest], mail.Letter],
) -> Iterator[Outcome]:
    """Send each digest over one SMTP connection, one ``Outcome`` per digest as it goes.

    Each digest's delivery is claimed (inserted, in a savepoint) before it is sent and kept
    only when the server accepts it, so the caller commits it on the sent outcome; a run that
    finds it claimed by a concurrent run (the unique user and week) skips it. A refused
    recipient fails that digest only; a server that is down, or goes away, fails every digest
    not yet sent, with the reason."""
    done = 0
    try:
        with mail.connect(settings) as connection:
            for digest in digests:
                claim = session.begin_nested()
                try:
                    record_delivery(session, digest=digest)
                except sa.exc.IntegrityError:
                    claim.rollback()
                    done += 1
                    yield Outcome(digest, sent=False, already_sent=True)
                    continue
                try:
                    connection.send(letter(digest))
                except mail.MailRefused as exc:
                    claim.rollback()
                    done += 1
                    yield Outcome(digest, sent=False, reason=str(exc))
                    continue
                except BaseException:
                    claim.rollback()
                    raise
                claim.commit()
                done += 1
                yield Outcome(digest, sent=True)
    except mail.MailUnavailable as exc:
        for digest in digests[done:]:
            yield Outcome(digest, sent=False, reason=str(exc))


# --- personal data ------------------------------------------------------------------------------


@users.user_export.register
def digests_sent_to(session: Session, user: User) -> dict[str, Any]:
    """Which weeks' digests the user was sent, when, and how many items each listed."""
    rows = session.execute(
        sa.select(DigestDelivery.week_start, DigestDelivery.sent_at, DigestDelivery.item_count)
        .where(DigestDelivery.user_id == user.id)
        .order_by(DigestDelivery.week_start)
    )
    deliveries = [
        {"week_start": users._iso(week), "sent_at": users._iso(sent_at), "item_count": count}
        for week, sent_at, count in rows
    ]
    return {"digest_deliveries": deliveries} if deliveries else {}


@users.user_erasure.register
def forget_digests_sent_to(session: Session, user: User) -> None:
    """Which digests an erased user was sent goes with the rest of their personal data (the
    erased account is deactivated: it gets no digest again)."""
    session.execute(sa.delete(DigestDelivery).where(DigestDelivery.user_id == user.id))
