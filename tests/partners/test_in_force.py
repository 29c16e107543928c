"""Partnerships in force, status on a date and renewals due: one definition each, at its edges.

The SQL conditions (``in_force_condition``, ``expired_condition``, ``renewals_due_condition``,
``state_on_expression``) and their Python twins (``state_on``, ``renewal_state``) must say the
same of every agreement on every day, and the list, its export and the counts must follow them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.listing import ListParams, run_list
from coordapp.partners import agreements, lists, partnerships
from coordapp.partners.agreements import AgreementState as St
from coordapp.partners.models import Partnership, PartnershipStatus
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]
S = PartnershipStatus
TODAY = date.today()
DAY = timedelta(days=1)


def agreement(
    session: Session,
    *,
    status: S = S.ACTIVE,
    start: date | None = date(2020, 1, 1),
    end: date | None = None,
    notice: int = 90,
    **fields: object,
) -> Partnership:
    return factories.partnership(
        session,
        status=status,
        start_date=start,
        end_date=end,
        renewal_notice_days=notice,
        **fields,
    )


def in_force_ids(session: Session, on: date) -> set[int]:
    return set(session.scalars(sa.select(Partnership.id).where(agreements.in_force_condition(on))))


def states_in_sql(session: Session, on: date) -> dict[int, str]:
    rows = session.execute(sa.select(Partnership.id, agreements.state_on_expression(on)))
    return {pid: state for pid, state in rows}


def test_an_agreement_ending_today_is_in_force_today_and_expired_tomorrow(
    session: Session,
) -> None:
    item = agreement(session, end=TODAY)
    assert agreements.state_on(item, TODAY) == St.ACTIVE
    assert item.id in in_force_ids(session, TODAY)
    assert agreements.count_in_force(session, on=TODAY) == 1
    assert agreements.count_expired(session, on=TODAY) == 0
    assert agreements.renewal_state(item, today=TODAY) == "overdue"  # renewal date long passed
    assert agreements.count_renewals_due(session, on=TODAY) == 1

    tomorrow = TODAY + DAY
    assert agreements.state_on(item, tomorrow) == St.EXPIRED
    assert states_in_sql(session, tomorrow)[item.id] == "expired"
    assert agreements.count_in_force(session, on=tomorrow) == 0
    assert agreements.count_expired(session, on=tomorrow) == 1
    # Expired agreements are "ended without a decision", not "renewal due" too.
    assert agreements.count_renewals_due(session, on=tomorrow) == 0
    assert agreements.renewal_state(item, today=tomorrow) is None
    # Nothing was written: the stored status is still active.
    session.expire_all()
    assert session.get_one(Partnership, item.id).status == S.ACTIVE


def test_an_agreement_starting_later_is_not_in_force_until_its_start_date(
    session: Session,
) -> None:
    start = TODAY + timedelta(days=10)
    item = agreement(session, start=start, end=start + timedelta(days=30))
    assert agreements.state_on(item, TODAY) == St.NOT_STARTED
    assert agreements.count_in_force(session, on=TODAY) == 0
    # Its renewal date is within 90 days, but it is not in force yet: not "renewal due".
    assert agreements.count_renewals_due(session, on=TODAY) == 0
    assert agreements.renewal_state(item, today=TODAY) is None
    assert agreements.count_in_force(session, on=start - DAY) == 0
    assert agreements.count_in_force(session, on=start) == 1
    assert agreements.state_on(item, start) == St.ACTIVE


def test_an_agreement_without_an_end_date_stays_in_force_and_has_no_renewal(
    session: Session,
) -> None:
    item = agreement(session, start=date(2010, 6, 1), end=None)
    for day in (date(2010, 6, 1), TODAY, TODAY + timedelta(days=3650)):
        assert agreements.is_in_force(item, day) and item.id in in_force_ids(session, day)
    assert not agreements.is_in_force(item, date(2010, 5, 31))
    assert agreements.count_renewals_due(session, on=TODAY) == 0
    # A missing start date counts as started (the status says it is running).
    undated = agreement(session, start=None, end=None)
    assert agreements.is_in_force(undated, TODAY)


def test_a_renewal_moves_an_expired_agreement_back_in_force(session: Session) -> None:
    item = agreement(session, end=TODAY - timedelta(days=20), notice=30)
    assert agreements.state_on(item, TODAY) == St.EXPIRED
    partnerships.renew_partnership(
        session, partnership=item, end_date=TODAY + timedelta(days=60), on=TODAY, note=None
    )
    assert agreements.state_on(item, TODAY) == St.ACTIVE
    assert agreements.count_in_force(session, on=TODAY) == 1
    assert agreements.count_expired(session, on=TODAY) == 0
    # Its new renewal date (60 - 30 days ahead) is within the window: due, not overdue.
    assert agreements.renewal_state(item, today=TODAY) == "due"
    assert agreements.count_renewals_due(session, on=TODAY) == 1


def test_a_past_date_counts_the_agreements_running_then(session: Session) -> None:
    """Ended and lapsed agreements count up to their end date (their last day in force)."""
    ended = agreement(session, status=S.ENDED, start=date(2018, 1, 1), end=date(2021, 12, 31))
    lapsed = agreement(session, status=S.LAPSED, start=date(2019, 1, 1), end=date(2020, 6, 30))
    running = agreement(session, start=date(2019, 6, 1), end=None)
    agreement(session, status=S.ENDED, start=date(2015, 1, 1), end=None)  # when? never counted
    agreement(session, status=S.NEGOTIATING, start=None, end=None)
    agreement(session, archived_at=datetime(2025, 1, 1))
    assert in_force_ids(session, date(2019, 3, 1)) == {ended.id, lapsed.id}
    assert in_force_ids(session, date(2020, 6, 30)) == {ended.id, lapsed.id, running.id}
    assert in_force_ids(session, date(2020, 7, 1)) == {ended.id, running.id}
    assert in_force_ids(session, date(2021, 12, 31)) == {ended.id, running.id}
    assert in_force_ids(session, date(2022, 1, 1)) == {running.id}
    assert in_force_ids(session, TODAY) == {running.id}
    # The answer for a day does not depend on when it is asked: the same rule for any date.
    assert agreements.state_on(ended, date(2021, 12, 31)) == St.ACTIVE
    assert agreements.state_on(ended, date(2022, 1, 1)) == St.ENDED


def test_ending_an_agreement_today_makes_today_its_last_day_in_force(session: Session) -> None:
    item = agreement(session, end=TODAY + timedelta(days=300))
    partnerships.change_partnership_status(
        session, partnership=item, status="ended", on=TODAY, note=None
    )
    assert item.end_date == TODAY
    assert agreements.is_in_force(item, TODAY) and not agreements.is_in_force(item, TODAY + DAY)
    assert agreements.count_renewals_due(session, on=TODAY) == 0  # nothing left to renew
    assert agreements.count_expired(session, on=TODAY + DAY) == 0  # a decision was recorded


@pytest.mark.parametrize("offset", [-400, -1, 0, 1, 30, 400])
def test_the_sql_and_python_rules_agree_on_every_kind_of_agreement(
    session: Session, offset: int
) -> None:
    on = TODAY + timedelta(days=offset)
    items = [
        agreement(session, status=status, start=start, end=end, notice=notice)
        for status in S
        for start in (None, TODAY - timedelta(days=500), TODAY, TODAY + timedelta(days=20))
        for end in (None, TODAY - timedelta(days=1), TODAY, TODAY + timedelta(days=100))
        for notice in (0, 100)
        if start is None or end is None or end >= start
    ]
    agreement(session, archived_at=datetime(2025, 1, 1))
    in_sql = states_in_sql(session, on)
    forced = in_force_ids(session, on)
    due = set(
        session.scalars(sa.select(Partnership.id).where(agreements.renewals_due_condition(on)))
    )
    expired = set(
        session.scalars(sa.select(Partnership.id).where(agreements.expired_condition(on)))
    )
    for item in items:
        state = agreements.state_on(item, on)
        assert in_sql[item.id] == state.value, (item.status, item.start_date, item.end_date)
        assert (item.id in forced) == (state == St.ACTIVE)
        assert (item.id in expired) == (state == St.EXPIRED)
        assert (item.id in due) == (agreements.renewal_state(item, today=on) is not None)
        assert not (item.id in due and item.id in expired)


def test_the_list_status_filter_and_column_follow_the_dates(session: Session) -> None:
    in_force = agreement(session, title="In force", end=TODAY + timedelta(days=400))
    expired = agreement(session, title="Expired", end=TODAY - timedelta(days=3))
    agreement(session, title="Later", start=TODAY + timedelta(days=5))
    agreement(session, title="Done", status=S.ENDED, end=date(2021, 1, 1))

    def titles(**args: str) -> list[str]:
        params = ListParams.from_args(lists.PARTNERSHIP_LIST, args)
        return [p.title for p in run_list(session, lists.PARTNERSHIP_LIST, params).items]

    assert titles(status="active") == ["In force"]
    assert len(titles(status="active")) == agreements.count_in_force(session, on=TODAY)
    assert titles(status="expired") == ["Expired"]
    assert titles(status="not_started") == ["Later"]
    assert titles(status="ended") == ["Done"]
    assert titles(sort="status") == ["In force", "Done", "Expired", "Later"]
    column = next(c for c in lists.PARTNERSHIP_LIST.columns if c.key == "status")
    assert column.value(expired) == "Expired" and column.value(in_force) == "Active"
    assert "badge" in str(column.display(expired))


def test_the_detail_page_and_the_export_show_expired(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        item = agreement(s, title="Past its end", end=TODAY - timedelta(days=2))
        agreement(s, title="Running", end=TODAY + timedelta(days=400))
        pid = item.id
    client = signed_in("viewer")
    page = client.get(f"/partnerships/{pid}").data.decode()
    assert 'data-state="expired"' in page and "no decision is recorded" in page
    listed = client.get("/partnerships/?status=expired").data.decode()
    assert "Past its end" in listed and "Running" not in listed
    exported = client.get("/partnerships/?status=active&format=csv").data.decode()
    rows = [r for r in csv.reader(io.StringIO(exported)) if len(r) > 3]
    header = rows[0]
    status_at = header.index("Status")
    assert [(r[0], r[status_at]) for r in rows[1:]] == [("Running", "Active")]
