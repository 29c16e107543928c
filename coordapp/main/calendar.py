"""A user's personal calendar feed: the due dates of the needs-attention items they own, as an
iCalendar document (RFC 5545, with the RFC 7986 name and refresh hints) that Outlook, Google
Calendar and Apple Calendar subscribe to.

The items are ``needs_attention``'s, filtered to the user and to those with a due date: the
feed shows what the home page shows, by the same rules. Its secret address is kept in
``coordapp.auth.calendar_feeds``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import icalendar
from sqlalchemy.orm import Session

from coordapp.auth.models import User
from coordapp.main.attention import needs_attention
from coordapp.main.attention_rule import NeedsAttention

PRODID = "-//coordapp//Due dates//EN"
# How the subscribed calendar is named in the user's calendar app (they may rename it there).
CALENDAR_NAME = "coordapp: my due dates"
# How often a calendar app should fetch the feed again. A hint: Outlook honours it within its
# own bounds; Google Calendar fetches on its own schedule (several hours) whatever it says.
REFRESH_INTERVAL = timedelta(hours=1)

# What the feed holds at most: the items due from DAYS_BACK days ago to DAYS_AHEAD days ahead,
# and of those the MAX_EVENTS nearest to today. A calendar app fetches the whole feed each
# hour: a user owning thousands of dated items (years of instalments, say) would otherwise make
# every fetch long and fill their calendar with dates no one acts on yet.
DAYS_BACK = 90
DAYS_AHEAD = 365
MAX_EVENTS = 300
CAP = (
    f"Items due from {DAYS_BACK} days ago to {DAYS_AHEAD} days ahead; "
    f"at most {MAX_EVENTS}, the nearest to today."
)
DESCRIPTION = (
    "Due dates of the coordapp records you own, from the home page's “needs attention” list. " + CAP
)

# (endpoint, record id) -> the absolute address of the record's page.
RecordLink = Callable[[str, int], str]


@dataclass(frozen=True, slots=True)
class DueEvent:
    """One all-day event of the feed: an item that falls (or fell) due on ``due_on``."""

    uid: str
    due_on: date
    summary: str
    description: str
    url: str


def due_events(attention: NeedsAttention, *, link: RecordLink, uid_domain: str) -> list[DueEvent]:
    """The items of ``attention`` that have a due date, as events, in the sections' order.

    A UID names the rule, the record and the due date, so that it stays the same from one fetch
    to the next (and a new due date is a new event). Two items of one rule on the same record
    and day (two compliance items of a hotline, say) are told apart by their order.
    """
    seen: Counter[str] = Counter()
    events = []
    for section in attention.sections:
        for item in section.items:
            if item.due_on is None:
                continue
            base = f"{section.key}-{item.record_id}-{item.due_on:%Y%m%d}"
            seen[base] += 1
            uid = base if seen[base] == 1 else f"{base}-{seen[base]}"
            url = link(item.endpoint, item.record_id)
            events.append(
                DueEvent(
                    uid=f"{uid}@{uid_domain}",
                    due_on=item.due_on,
                    summary=item.label,
                    description=f"{section.title}: {item.detail}\n{url}",
                    url=url,
                )
            )
    return events


def capped(events: Sequence[DueEvent], *, today: date) -> list[DueEvent]:
    """The events the feed holds (``CAP``): those due in the window, the ``MAX_EVENTS``
    nearest to today (a coming day before an overdue one as far away), in their order."""
    first, last = today - timedelta(days=DAYS_BACK), today + timedelta(days=DAYS_AHEAD)
    window = [e for e in events if first <= e.due_on <= last]
    if len(window) <= MAX_EVENTS:
        return window
    nearest = sorted(window, key=lambda e: (abs((e.due_on - today).days), e.due_on < today))
    kept = {id(e) for e in nearest[:MAX_EVENTS]}
    return [e for e in window if id(e) in kept]


def _components(events: Iterable[DueEvent], *, stamp: datetime) -> Iterator[icalendar.Event]:
    for event in events:
        yield icalendar.Event.new(
            uid=event.uid,
            start=event.due_on,
            end=event.due_on + timedelta(days=1),
            stamp=stamp,
            summary=event.summary,
            description=event.description,
            url=event.url,
            # A due date is not a meeting: the day stays free in the user's availability.
            transparency=icalendar.TRANSP.TRANSPARENT,
        )


def calendar_document(events: Iterable[DueEvent], *, name: str, uid: str, stamp: datetime) -> bytes:
    """The feed as iCalendar bytes (UTF-8, CRLF lines folded at 75 octets by the library)."""
    calendar = icalendar.Calendar.new(
        prodid=PRODID,
        uid=uid,
        name=name,
        description=DESCRIPTION,
        method="PUBLISH",
        subcomponents=_components(events, stamp=stamp),
    )
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL))
    return calendar.to_ical()


def user_feed(
    session: Session,
    *,
    user: User,
    today: date,
    stamp: datetime,
    link: RecordLink,
    uid_domain: str,
) -> bytes:
    """``user``'s calendar feed today: the items they own that have a due date, capped
    (``CAP``)."""
    attention = needs_attention(session, today=today, owner_id=user.id, limit=None)
    events = capped(due_events(attention, link=link, uid_domain=uid_domain), today=today)
    return calendar_document(
        events,
        name=CALENDAR_NAME,
        uid=f"due-dates-{user.id}@{uid_domain}",
        stamp=stamp,
    )
