"""The personal calendar feed: its secret address (made, replaced, revoked; stored as a hash)
and what calendar apps read from it, parsed back with the ``icalendar`` library."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import icalendar
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import calendar_feeds
from coordapp.auth import service as auth
from coordapp.auth.models import CalendarFeed, User
from coordapp.errors import Forbidden
from coordapp.main import calendar
from coordapp.main.attention_rule import AttentionItem, AttentionSection, NeedsAttention
from tests import factories
from tests.conftest import PASSWORD, sign_in

InApp = Callable[[], AbstractContextManager[Session]]
TODAY = date.today()  # the feed view asks for today's items, as the home page does
ADDRESS_START = '<code class="d-block user-select-all fs-6 text-break mb-2" id="calendar-address">'


def _user(session: Session, email: str, role: str = "manager") -> User:
    return auth.create_user(
        session, email=email, full_name=email.split("@")[0].title(), role=role, password=PASSWORD
    )


@dataclass
class Items:
    mine_renewal: int  # a partnership whose renewal falls due in 30 days, owned by "mine"
    mine_follow_up: int  # an interaction whose follow-up is due in 3 days, owned by "mine"
    others_renewal: int  # the same kind of partnership, owned by someone else


def _items(session: Session, *, mine: User, other: User) -> Items:
    org = factories.organization(session, name="Calendar Partner")

    def renewal(owner: User, title: str) -> int:
        return factories.partnership(
            session,
            organization=org,
            title=title,
            start_date=TODAY - timedelta(days=300),
            end_date=TODAY + timedelta(days=60),
            renewal_notice_days=30,
            owner_id=owner.id,
        ).id

    follow_up = factories.follow_up(
        session, organization=org, owner_id=mine.id, due_on=TODAY + timedelta(days=3)
    )
    return Items(
        mine_renewal=renewal(mine, "Hash-sharing agreement"),
        mine_follow_up=follow_up.id,
        others_renewal=renewal(other, "Someone else's agreement"),
    )


def _parse(body: bytes) -> icalendar.Calendar:
    parsed = icalendar.Calendar.from_ical(body)
    assert isinstance(parsed, icalendar.Calendar)
    return parsed


def _link(endpoint: str, record_id: int) -> str:
    return f"https://coordapp.example/{endpoint}/{record_id}"


def _feed_today(session: Session, user: User) -> icalendar.Calendar:
    body = calendar.user_feed(
        session,
        user=user,
        today=TODAY,
        stamp=datetime.now(UTC),
        link=_link,
        uid_domain="coordapp.example",
    )
    return _parse(body)


# --- what the feed says ---------------------------------------------------------------------


def test_the_feed_has_one_all_day_event_per_dated_item_the_user_owns(session: Session) -> None:
    mine, other = _user(session, "mine@cal.example"), _user(session, "other@cal.example")
    items = _items(session, mine=mine, other=other)
    stamp = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)

    body = calendar.user_feed(
        session, user=mine, today=TODAY, stamp=stamp, link=_link, uid_domain="coordapp.example"
    )

    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))  # folded by the library
    feed = _parse(body)
    assert feed["VERSION"] == "2.0"
    assert feed["PRODID"] == calendar.PRODID
    assert feed["X-WR-CALNAME"] == "coordapp: my due dates"
    assert feed.refresh_interval == timedelta(hours=1)
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in body.decode()
    assert feed["X-PUBLISHED-TTL"] == "PT1H"
    events = {str(e["UID"]): e for e in feed.events}
    renewal_uid = (
        f"renewals-{items.mine_renewal}-{TODAY + timedelta(days=30):%Y%m%d}@coordapp.example"
    )
    follow_up_uid = (
        f"follow_ups-{items.mine_follow_up}-{TODAY + timedelta(days=3):%Y%m%d}@coordapp.example"
    )
    # Only the user's own items: the other manager's renewal is not in the feed.
    assert set(events) == {renewal_uid, follow_up_uid}
    renewal = events[renewal_uid]
    assert renewal.start == TODAY + timedelta(days=30)  # a date: an all-day event
    assert not isinstance(renewal.start, datetime)
    assert renewal.end == renewal.start + timedelta(days=1)
    assert renewal["SUMMARY"] == "Hash-sharing agreement"
    record = f"https://coordapp.example/partners.partnerships_detail/{items.mine_renewal}"
    assert renewal["URL"] == record
    assert "Calendar Partner · renewal due" in renewal["DESCRIPTION"]
    assert renewal["DESCRIPTION"].endswith(record)  # Google shows no URL property
    assert renewal.stamp == stamp
    assert renewal["TRANSP"] == "TRANSPARENT"
    follow_up = events[follow_up_uid]
    assert follow_up.start == TODAY + timedelta(days=3)
    assert follow_up["URL"].endswith(f"partners.interactions_detail/{items.mine_follow_up}")


def test_a_user_who_owns_nothing_gets_an_empty_calendar_that_still_parses(
    session: Session,
) -> None:
    user = _user(session, "idle@cal.example", role="viewer")
    assert _feed_today(session, user).events == []


def test_items_without_a_due_date_are_left_out_and_equal_uids_are_told_apart() -> None:
    due = date(2027, 1, 15)

    def item(record_id: int, label: str, due_on: date | None) -> AttentionItem:
        return AttentionItem(
            endpoint="network.hotlines_detail",
            record_id=record_id,
            label=label,
            detail="runs out",
            due_on=due_on,
        )

    section = AttentionSection(
        key="compliance",
        title="Compliance items due",
        rule="",
        count=3,
        items=(item(7, "A: audit", due), item(7, "A: training", due), item(8, "B", None)),
    )
    events = calendar.due_events(
        NeedsAttention(today=due, sections=(section,)), link=_link, uid_domain="h.example"
    )
    assert [e.uid for e in events] == [
        "compliance-7-20270115@h.example",
        "compliance-7-20270115-2@h.example",
    ]
    assert [e.summary for e in events] == ["A: audit", "A: training"]


def _event(due_on: date, n: int = 0) -> calendar.DueEvent:
    return calendar.DueEvent(
        uid=f"e-{due_on:%Y%m%d}-{n}@h.example",
        due_on=due_on,
        summary="item",
        description="",
        url="https://h.example/",
    )


def test_the_feed_keeps_a_window_of_days_and_at_most_max_events_the_nearest_to_today() -> None:
    today = date(2026, 12, 7)
    first = today - timedelta(days=calendar.DAYS_BACK)
    last = today + timedelta(days=calendar.DAYS_AHEAD)
    edges = [first - timedelta(days=1), first, today, last, last + timedelta(days=1)]
    assert [e.due_on for e in calendar.capped([_event(d) for d in edges], today=today)] == [
        first,
        today,
        last,
    ]

    # More than MAX_EVENTS in the window: the nearest to today stay, in the feed's order; of two
    # as far away, the coming one before the overdue one.
    crowd = [_event(today + timedelta(days=offset)) for offset in range(90, -91, -1)]
    crowd += [_event(today, n) for n in range(1, 201)]
    assert len(crowd) == 381
    kept = calendar.capped(crowd, today=today)
    assert len(kept) == calendar.MAX_EVENTS
    assert [e.uid for e in kept] == [e.uid for e in crowd if e in kept]  # order unchanged
    # Today's 201, the 98 of 1 to 49 days either side, and of the two 50 days away the coming one.
    distances = [(e.due_on - today).days for e in kept]
    assert distances.count(0) == 201
    assert sorted(d for d in distances if d) == [*range(-49, 0), *range(1, 51)]
    assert len(calendar.capped(crowd[: calendar.MAX_EVENTS], today=today)) == calendar.MAX_EVENTS


def test_the_feed_leaves_out_items_beyond_the_window_and_says_its_cap(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    mine = _user(session, "busy@cal.example")
    org = factories.organization(session, name="Busy Partner")
    # Overdue items have no end (a follow-up missed years ago); coming ones have each rule's
    # horizon, within the feed's days ahead.
    days = (-calendar.DAYS_BACK - 10, -calendar.DAYS_BACK, -5, 3)
    follow_ups = {
        offset: factories.follow_up(
            session, organization=org, owner_id=mine.id, due_on=TODAY + timedelta(days=offset)
        ).id
        for offset in days
    }

    def listed(parsed: icalendar.Calendar) -> set[int]:
        return {int(str(e["URL"]).rsplit("/", 1)[1]) for e in parsed.events}

    parsed = _feed_today(session, mine)
    assert listed(parsed) == {follow_ups[-calendar.DAYS_BACK], follow_ups[-5], follow_ups[3]}
    assert str(parsed["DESCRIPTION"]).endswith(calendar.CAP)
    assert "90 days ago to 365 days ahead; at most 300" in calendar.CAP
    monkeypatch.setattr(calendar, "MAX_EVENTS", 2)
    assert listed(_feed_today(session, mine)) == {follow_ups[-5], follow_ups[3]}
    # Without the cap the overdue one of long ago would be there: it is an item of theirs.
    monkeypatch.setattr(calendar, "DAYS_BACK", 1000)
    monkeypatch.setattr(calendar, "MAX_EVENTS", 1000)
    assert listed(_feed_today(session, mine)) == set(follow_ups.values())


# --- the secret address ---------------------------------------------------------------------


def test_the_secret_is_long_random_and_stored_only_as_its_sha256(session: Session) -> None:
    user = _user(session, "hash@cal.example")
    feed, secret = calendar_feeds.create_feed(session, user=user)
    assert len(secret) >= 43  # 256 random bits
    stored = session.scalar(sa.select(CalendarFeed).where(CalendarFeed.id == feed.id))
    assert stored is not None
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert calendar_feeds.user_for_secret(session, secret=secret) is user
    assert calendar_feeds.user_for_secret(session, secret=secret + "x") is None
    assert calendar_feeds.user_for_secret(session, secret="") is None
    assert calendar_feeds.user_for_secret(session, secret="x" * 5000) is None
    _again, other = calendar_feeds.create_feed(session, user=user)
    assert other != secret


def test_a_user_has_one_live_feed_and_the_personal_data_export_lists_them(
    session: Session,
) -> None:
    user = _user(session, "export@cal.example")
    first, secret = calendar_feeds.create_feed(session, user=user)
    second, _secret = calendar_feeds.create_feed(session, user=user)
    assert first.revoked_at is not None and second.revoked_at is None
    assert calendar_feeds.live_feed(session, user=user) is second
    exported = auth.export_user(session, user=user)["calendar_feeds"]
    assert [row["revoked_at"] is None for row in exported] == [False, True]
    assert secret not in str(exported) and first.secret_hash not in str(exported)
    # The database itself refuses a second live feed.
    with pytest.raises(sa.exc.IntegrityError), session.begin_nested():
        session.add(CalendarFeed(user_id=user.id, secret_hash="0" * 64))
        session.flush()


def test_a_hotline_user_gets_no_feed_and_an_old_one_stops_when_the_role_changes(
    session: Session,
) -> None:
    hotline_user = _user(session, "staff@cal.example", role="hotline")
    with pytest.raises(Forbidden):
        calendar_feeds.create_feed(session, user=hotline_user)
    assert session.scalar(sa.select(sa.func.count()).select_from(CalendarFeed)) == 0

    manager = _user(session, "moved@cal.example")
    _feed, secret = calendar_feeds.create_feed(session, user=manager)
    manager.role = "hotline"  # type: ignore[assignment]
    session.flush()
    assert calendar_feeds.user_for_secret(session, secret=secret) is None


# --- through the app ------------------------------------------------------------------------


def _create(client: FlaskClient, **kwargs: str) -> str:
    """Create (or replace) the signed-in user's address; the address the page shows once."""
    response = client.post("/auth/calendar", **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 201, response.data[:500]
    page = response.get_data(as_text=True)
    assert page.count(ADDRESS_START) == 1
    return page.split(ADDRESS_START, 1)[1].split("</code>", 1)[0]


def _fetch(app: Flask, address: str) -> object:
    """The address as a calendar app fetches it: no session, no cookie."""
    parts = urlsplit(address)
    return app.test_client().get(parts.path, base_url=f"{parts.scheme}://{parts.netloc}")


def test_create_then_subscribe_lists_the_users_items_only(
    app: Flask, client: FlaskClient, in_app: InApp
) -> None:
    with in_app() as s:
        mine, other = _user(s, "mine@cal.example"), _user(s, "other@cal.example")
        items = _items(s, mine=mine, other=other)
    assert sign_in(client, "mine@cal.example").status_code == 302
    first_page = client.get("/auth/calendar").get_data(as_text=True)
    assert "no calendar address at the moment" in first_page
    assert calendar.CAP in first_page  # what the feed leaves out, said before subscribing

    address = _create(client, base_url="https://localhost")  # as behind the TLS proxy
    assert address.startswith("https://localhost/calendar/") and address.endswith(".ics")

    response = _fetch(app, address)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"  # type: ignore[attr-defined]
    assert response.headers["Cache-Control"] == "no-store"  # type: ignore[attr-defined]
    assert "Set-Cookie" not in response.headers  # type: ignore[attr-defined]
    feed = _parse(response.data)  # type: ignore[attr-defined]
    links = {str(e["URL"]) for e in feed.events}
    assert links == {
        f"https://localhost/partnerships/{items.mine_renewal}",
        f"https://localhost/interactions/{items.mine_follow_up}",
    }
    assert all(str(e["UID"]).endswith("@localhost") for e in feed.events)
    page = client.get("/auth/calendar").get_data(as_text=True)
    assert "active" in page and address not in page  # shown once only


def test_replacing_the_address_ends_the_old_one(
    app: Flask, client: FlaskClient, users: dict[str, str]
) -> None:
    assert sign_in(client, users["viewer"]).status_code == 302
    old = _create(client)
    new = _create(client)
    assert old != new
    assert _fetch(app, old).status_code == 404  # type: ignore[attr-defined]
    assert _fetch(app, new).status_code == 200  # type: ignore[attr-defined]


def test_a_revoked_address_answers_404(
    app: Flask, client: FlaskClient, users: dict[str, str]
) -> None:
    assert sign_in(client, users["manager"]).status_code == 302
    address = _create(client)
    assert _fetch(app, address).status_code == 200  # type: ignore[attr-defined]
    response = client.post("/auth/calendar/revoke")
    assert response.status_code == 302
    assert "is revoked" in client.get("/auth/calendar").get_data(as_text=True)
    assert _fetch(app, address).status_code == 404  # type: ignore[attr-defined]
    # Revoking again changes nothing and says nothing.
    assert client.post("/auth/calendar/revoke").status_code == 302


def test_a_deactivated_users_address_answers_404(
    app: Flask, client: FlaskClient, in_app: InApp, users: dict[str, str]
) -> None:
    assert sign_in(client, users["manager"]).status_code == 302
    address = _create(client)
    with in_app() as s:
        user = auth.get_required_by_email(s, users["manager"])
        auth.deactivate_user(s, user=user)
    assert _fetch(app, address).status_code == 404  # type: ignore[attr-defined]


def test_unknown_and_malformed_addresses_answer_404_without_signing_in(client: FlaskClient) -> None:
    for path in ("/calendar/not-a-secret.ics", "/calendar/" + "a" * 300 + ".ics"):
        response = client.get(path)
        assert response.status_code == 404, path


def test_a_hotline_user_has_no_calendar_page(client: FlaskClient, in_app: InApp) -> None:
    with in_app() as s:
        _user(s, "hotline@cal.example", role="hotline")
    assert sign_in(client, "hotline@cal.example").status_code == 302
    assert client.get("/auth/calendar").status_code == 404
    assert client.post("/auth/calendar").status_code == 404
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(CalendarFeed)) == 0
