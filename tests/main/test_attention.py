"""The home page's "needs attention" list: each rule, its boundaries, and its counts on the demo.

On the demo network every count is checked against a plain Python pass over the rows (not a
number written down here), so the test stays right if the demo data changes.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session

from coordapp.extensions import db
from coordapp.funding.models import CommitmentStatus, FundingCommitment, ReportingRequirement
from coordapp.main import attention, attention_rule
from coordapp.network.compliance_models import ComplianceItem, ComplianceStatus
from coordapp.network.models import (
    COVERING_STATUSES,
    ExpansionStage,
    ExpansionStageEvent,
    ExpansionTarget,
    Hotline,
    HotlineMembershipEvent,
    MembershipStatus,
)
from coordapp.partners import agreements
from coordapp.partners import partnerships as partners_partnerships
from coordapp.partners.interaction_models import Interaction
from coordapp.partners.models import Contact, Partnership, PartnershipStatus, PartnershipType
from coordapp.reference.models import MetricDefinition
from coordapp.stats import periods as stats_periods
from coordapp.stats.models import HotlineQuarter, HotlineStatistic, PeriodKind, QuarterState
from tests import factories
from tests._demo import load_demo_cached

InApp = Callable[[], AbstractContextManager[Session]]
DEMO_TODAY = date(2026, 11, 26)
ALL = 100_000  # a limit that lists every item


def ids(section: attention_rule.AttentionSection) -> set[int]:
    return {item.record_id for item in section.items}


# --- on the demo network: SQL counts equal a plain pass over the rows -------------------------


_RANK = {
    MembershipStatus.APPLICANT: 0,
    MembershipStatus.PROVISIONAL: 1,
    MembershipStatus.FULL: 2,
    MembershipStatus.SUSPENDED: 3,
    MembershipStatus.WITHDRAWN: 4,
}


def _status_on(events: list[HotlineMembershipEvent], on: date) -> MembershipStatus | None:
    past = [e for e in events if e.event_date <= on]
    if not past:
        return None
    return max(past, key=lambda e: (e.event_date, _RANK[e.status], e.id)).status


def test_every_count_on_the_demo_matches_a_plain_computation(session: Session) -> None:
    load_demo_cached(session, today=DEMO_TODAY)
    today = DEMO_TODAY
    result = attention.needs_attention(session, today=today, limit=ALL)
    sections = {s.key: s for s in result.sections}

    partnerships = [p for p in session.scalars(sa.select(Partnership)) if p.archived_at is None]
    renewals = {
        p.id
        for p in partnerships
        if p.status == PartnershipStatus.ACTIVE
        and (p.start_date is None or p.start_date <= today)
        and p.end_date is not None
        and p.end_date >= today  # past its end date: "ended without a decision" instead
        and p.end_date - timedelta(days=p.renewal_notice_days) <= today + timedelta(days=90)
    }
    expired = {
        p.id
        for p in partnerships
        if p.status == PartnershipStatus.ACTIVE and p.end_date is not None and p.end_date < today
    }
    contacts = {
        c.id
        for c in session.scalars(sa.select(Contact))
        if c.archived_at is None
        and c.erased_at is None
        and (c.last_contacted_on is None or (today - c.last_contacted_on).days > 180)
    }
    next_steps = {
        t.id
        for t in session.scalars(sa.select(ExpansionTarget))
        if t.archived_at is None and t.next_step_due is not None and t.next_step_due < today
    }
    year, quarter = stats_periods.last_complete_quarter(today)
    start, end = stats_periods.quarter_bounds(year, quarter)
    reported = {
        hotline_id
        for hotline_id, period_start in session.execute(
            sa.select(HotlineStatistic.hotline_id, HotlineStatistic.period_start)
        )
        if start <= period_start <= end
    }
    missing = {
        h.id
        for h in session.scalars(sa.select(Hotline))
        if h.archived_at is None
        and _status_on(list(h.membership_events), today) in COVERING_STATUSES
        and h.id not in reported
    }
    pledges = {
        f.id
        for f in session.scalars(sa.select(FundingCommitment))
        if f.archived_at is None
        and f.status == CommitmentStatus.PLEDGED
        and f.period_start <= today
    }
    covered = {
        country.alpha2
        for h in session.scalars(sa.select(Hotline))
        if h.archived_at is None
        and _status_on(list(h.membership_events), today) in COVERING_STATUSES
        for country in h.covered_countries
    }
    year_ago = date(today.year - 1, today.month, today.day)
    stalled = set()
    for t in session.scalars(sa.select(ExpansionTarget)):
        past = [e for e in t.stage_events if e.entered_on <= today]
        current = max(past, key=lambda e: (e.entered_on, e.id)) if past else None
        if (
            t.archived_at is None
            and current is not None
            and current.stage != ExpansionStage.MEMBER
            and t.country_code not in covered
            and current.entered_on < year_ago
        ):
            stalled.add(t.id)
    # Quarters submitted and not decided; members that had not submitted the last complete
    # quarter by its deadline (30 days after its end; approved counts as submitted).
    signoff = list(session.scalars(sa.select(HotlineQuarter)))
    awaiting = {q.id for q in signoff if q.state == QuarterState.SUBMITTED}
    sent = {
        q.hotline_id
        for q in signoff
        if q.period_start == start
        and (q.first_submitted_at is not None or q.state == QuarterState.APPROVED)
    }
    late = {
        h.id
        for h in session.scalars(sa.select(Hotline))
        if today > end + timedelta(days=30)
        and h.archived_at is None
        and _status_on(list(h.membership_events), end) in COVERING_STATUSES
        and h.id not in sent
    }
    expected = {
        "renewals": renewals,
        "expired": expired,
        "contacts": contacts,
        "next_steps": next_steps,
        "stalled_stages": stalled,
        "statistics": missing,
        "quarters_review": awaiting,
        "quarters_late": late,
        "pledges": pledges,
    }
    for key, records in expected.items():
        assert sections[key].count == len(records), key
        assert ids(sections[key]) == records, key
        # The demo is built to have something in every section.
        assert records, key
    # Compliance items due: one row per item, each linking to its hotline.
    due = [
        item
        for item in session.scalars(sa.select(ComplianceItem))
        if item.hotline.archived_at is None
        and item.requirement.archived_at is None
        and item.status in (ComplianceStatus.MET, ComplianceStatus.WAIVED)
        and item.expires_on is not None
        and item.expires_on <= today + timedelta(days=90)
    ]
    assert due and any(item.expires_on < today for item in due)
    assert sections["compliance"].count == len(due)
    assert ids(sections["compliance"]) == {item.hotline_id for item in due}
    # Instalments overdue (one row per instalment, linking to its commitment): receipts in the
    # commitment's currency pay its instalments in date order.
    overdue_instalments = []
    for c in session.scalars(sa.select(FundingCommitment)):
        if c.archived_at is not None or c.status == CommitmentStatus.CANCELLED:
            continue
        left = sum(
            (
                r.amount
                for r in c.receipts
                if r.archived_at is None and r.currency_code == c.currency_code
            ),
            Decimal(0),
        )
        for instalment in sorted(c.instalments, key=lambda i: (i.expected_on, i.id)):
            covered = min(left, instalment.amount)
            left -= covered
            if instalment.expected_on < today and covered < instalment.amount:
                overdue_instalments.append(c.id)
    assert overdue_instalments
    assert sections["instalments"].count == len(overdue_instalments)
    assert ids(sections["instalments"]) == set(overdue_instalments)
    reports = {
        r.id
        for r in session.scalars(sa.select(ReportingRequirement))
        if r.submitted_on is None
        and r.due_on <= today + timedelta(days=30)
        and r.commitment.archived_at is None
        and r.commitment.status != CommitmentStatus.CANCELLED
    }
    reports_by_id = {r.id: r for r in session.scalars(sa.select(ReportingRequirement))}
    assert any(reports_by_id[i].due_on < today for i in reports)
    assert any(reports_by_id[i].due_on >= today for i in reports)
    assert sections["reports"].count == len(reports)
    assert ids(sections["reports"]) == reports
    # Follow-ups not done, due within a week or overdue, naming their owner.
    follow_ups = {
        i.id: i
        for i in session.scalars(sa.select(Interaction))
        if i.follow_up_on is not None
        and i.follow_up_done_on is None
        and i.follow_up_on <= today + timedelta(days=7)
        and i.organization.archived_at is None
    }
    assert any(i.follow_up_on < today for i in follow_ups.values())
    assert sections["follow_ups"].count == len(follow_ups)
    assert ids(sections["follow_ups"]) == set(follow_ups)
    for item in sections["follow_ups"].items:
        owner = follow_ups[item.record_id].follow_up_owner
        assert owner is not None and (item.owner_id, item.owner_name) == (
            owner.id,
            owner.full_name,
        )
        assert item.due_on == follow_ups[item.record_id].follow_up_on
    assert result.total == (
        sum(len(r) for r in expected.values())
        + len(due)
        + len(overdue_instalments)
        + len(reports)
        + len(follow_ups)
    )


def test_sections_list_their_first_items_but_count_them_all(session: Session) -> None:
    load_demo_cached(session, today=DEMO_TODAY)
    full = attention.stale_contacts(session, today=DEMO_TODAY, limit=ALL)
    short = attention.stale_contacts(session, today=DEMO_TODAY, limit=3)
    assert short.count == full.count > 3
    assert [i.record_id for i in short.items] == [i.record_id for i in full.items][:3]
    assert short.more == full.count - 3


# --- each rule at its boundaries, on small hand-made data ------------------------------------

TODAY = date(2026, 11, 26)


def _partnership(session: Session, *, end: date | None, notice: int = 30, **fields: object) -> int:
    item = Partnership(
        organization_id=factories.organization(session).id,
        title=f"Agreement ending {end}",
        type=PartnershipType.TECHNOLOGY,
        status=fields.pop("status", PartnershipStatus.ACTIVE),
        start_date=date(2020, 1, 1),
        end_date=end,
        renewal_notice_days=notice,
        **fields,
    )
    session.add(item)
    session.flush()
    return item.id


def test_renewal_due_on_day_90_is_listed_day_91_is_not(session: Session) -> None:
    day_90 = _partnership(session, end=TODAY + timedelta(days=90 + 30))
    day_91 = _partnership(session, end=TODAY + timedelta(days=91 + 30))
    overdue = _partnership(session, end=TODAY + timedelta(days=5), notice=60)
    _partnership(session, end=TODAY - timedelta(days=1), notice=0)  # expired: not due
    due_today = _partnership(session, end=TODAY + timedelta(days=14), notice=14)
    _partnership(session, end=None)
    _partnership(session, end=TODAY, status=PartnershipStatus.NEGOTIATING)
    _partnership(session, end=TODAY, status=PartnershipStatus.LAPSED)
    _partnership(session, end=TODAY, archived_at=datetime(2026, 1, 1))
    section = attention.renewals_due(session, today=TODAY)
    assert ids(section) == {day_90, overdue, due_today}
    assert day_91 not in ids(section)
    assert section.count == agreements.count_renewals_due(session, on=TODAY)
    # Soonest (most overdue) first; overdue ones are marked.
    assert [i.record_id for i in section.items][:2] == [overdue, due_today]
    by_id = {i.record_id: i for i in section.items}
    assert by_id[overdue].overdue and not by_id[due_today].overdue
    assert f"due {(TODAY + timedelta(days=90)).isoformat()}" in by_id[day_90].detail


def test_an_agreement_past_its_end_date_waits_under_ended_without_a_decision(
    session: Session,
) -> None:
    ends_today = _partnership(session, end=TODAY, notice=0)
    ended_yesterday = _partnership(session, end=TODAY - timedelta(days=1), notice=0)
    long_ago = _partnership(session, end=TODAY - timedelta(days=400))
    _partnership(session, end=TODAY - timedelta(days=5), status=PartnershipStatus.LAPSED)
    _partnership(session, end=TODAY - timedelta(days=5), archived_at=datetime(2026, 1, 1))
    _partnership(session, end=None)
    expired = attention.ended_without_decision(session, today=TODAY)
    assert [i.record_id for i in expired.items] == [long_ago, ended_yesterday]  # oldest first
    assert expired.count == agreements.count_expired(session, on=TODAY) == 2
    # Never in both lists: ending today is still in force (renewal overdue), not expired.
    renewals = attention.renewals_due(session, today=TODAY)
    assert ids(renewals) == {ends_today} and not ids(renewals) & ids(expired)
    # Tomorrow it moves from one list to the other.
    tomorrow = TODAY + timedelta(days=1)
    assert ends_today in ids(attention.ended_without_decision(session, today=tomorrow))
    assert ends_today not in ids(attention.renewals_due(session, today=tomorrow))

    # A decision takes it off the list: a renewal (a later end date) or ending it.
    renewed = session.get(Partnership, ended_yesterday)
    closed = session.get(Partnership, long_ago)
    assert renewed is not None and closed is not None
    partners_partnerships.renew_partnership(
        session, partnership=renewed, end_date=TODAY + timedelta(days=365), on=TODAY, note=None
    )
    partners_partnerships.change_partnership_status(
        session, partnership=closed, status="lapsed", on=TODAY, note="Not renewed."
    )
    assert ids(attention.ended_without_decision(session, today=TODAY)) == set()
    assert agreements.is_in_force(renewed, TODAY) and not agreements.is_in_force(closed, TODAY)
    assert closed.end_date == TODAY - timedelta(days=400)  # lapsing keeps the earlier end date


def _contact(session: Session, last: date | None, **fields: object) -> int:
    item = Contact(
        organization_id=factories.organization(session).id,
        full_name=f"Person {last}",
        last_contacted_on=last,
        **fields,
    )
    session.add(item)
    session.flush()
    return item.id


def test_contact_quiet_for_181_days_is_listed_180_is_not(session: Session) -> None:
    day_180 = _contact(session, TODAY - timedelta(days=180))
    day_181 = _contact(session, TODAY - timedelta(days=181))
    never = _contact(session, None)
    _contact(session, TODAY - timedelta(days=2))
    _contact(session, None, archived_at=datetime(2026, 1, 1))
    _contact(session, None, erased_at=datetime(2026, 1, 1))
    section = attention.stale_contacts(session, today=TODAY)
    assert ids(section) == {day_181, never}
    assert day_180 not in ids(section)
    assert [i.record_id for i in section.items] == [never, day_181]  # never contacted first
    assert "181 days ago" in section.items[1].detail


def _target(session: Session, country: str, due: date | None, **fields: object) -> int:
    item = ExpansionTarget(country_code=country, next_step="Call the ministry", next_step_due=due)
    for name, value in fields.items():
        setattr(item, name, value)
    session.add(item)
    session.flush()
    return item.id


def test_next_step_due_yesterday_is_overdue_due_today_is_not(session: Session) -> None:
    yesterday = _target(session, "GH", TODAY - timedelta(days=1))
    _target(session, "KE", TODAY)
    _target(session, "SN", None)
    _target(session, "TZ", TODAY - timedelta(days=30), archived_at=datetime(2026, 1, 1))
    section = attention.overdue_next_steps(session, today=TODAY)
    assert ids(section) == {yesterday}
    assert section.items[0].label == "Ghana" and "1 days overdue" in section.items[0].detail


def _staged(session: Session, country: str, *steps: tuple[date, ExpansionStage]) -> int:
    target_id = _target(session, country, None)
    for day, stage in steps:
        session.add(ExpansionStageEvent(target_id=target_id, stage=stage, entered_on=day))
    session.flush()
    return target_id


def test_a_stage_entered_exactly_twelve_months_ago_is_not_stalled_a_day_earlier_is(
    session: Session,
) -> None:
    # TODAY is 2026-11-26: the cutoff is 2025-11-26, and only stages entered before it count.
    a_day_over = _staged(session, "GH", (date(2025, 11, 25), ExpansionStage.SCOPING))
    _staged(session, "SN", (date(2025, 11, 26), ExpansionStage.SCOPING))
    # Moving on restarts the clock: the current stage is what counts.
    _staged(
        session,
        "TZ",
        (date(2020, 1, 6), ExpansionStage.IDENTIFIED),
        (date(2026, 5, 4), ExpansionStage.SCOPING),
    )
    section = attention.stalled_pipeline_stages(session, today=TODAY)
    assert ids(section) == {a_day_over}
    assert section.title == "Pipeline stages open over 12 months"
    assert section.items[0].label == "Ghana"
    assert "Scoping since 2025-11-25 (12 months)" in section.items[0].detail


def test_a_target_that_reached_membership_has_no_stalled_stage(session: Session) -> None:
    _staged(
        session,
        "GH",
        (date(2020, 1, 6), ExpansionStage.APPLICANT),
        (date(2021, 1, 4), ExpansionStage.MEMBER),
    )
    # A country a member hotline covers has left the pipeline, whatever its target's stage.
    _staged(session, "SN", (date(2020, 1, 6), ExpansionStage.HOTLINE_SETUP))
    factories.hotline(
        session,
        country="SN",
        name="Senegal line",
        events=[(date(2022, 3, 1), MembershipStatus.FULL)],
    )
    assert attention.stalled_pipeline_stages(session, today=TODAY).count == 0


def _reported(session: Session, hotline: Hotline, start: date, end: date, kind: PeriodKind) -> None:
    metric = session.scalars(sa.select(MetricDefinition).limit(1)).one()
    session.add(
        HotlineStatistic(
            hotline_id=hotline.id,
            metric_id=metric.id,
            period_kind=kind,
            period_start=start,
            period_end=end,
            value=Decimal(5),
        )
    )
    session.flush()


def test_members_without_any_figure_for_the_last_complete_quarter(session: Session) -> None:
    q3 = (date(2026, 7, 1), date(2026, 9, 30))  # the last complete quarter on TODAY
    since_2010 = [(date(2010, 1, 1), MembershipStatus.FULL)]
    reported = factories.hotline(session, country="NL", events=since_2010)
    _reported(session, reported, *q3, PeriodKind.QUARTER)
    monthly = factories.hotline(session, country="BE", events=since_2010)
    _reported(session, monthly, date(2026, 8, 1), date(2026, 8, 31), PeriodKind.MONTH)
    only_q2 = factories.hotline(session, country="DE", events=since_2010)
    _reported(session, only_q2, date(2026, 4, 1), date(2026, 6, 30), PeriodKind.QUARTER)
    silent = factories.hotline(session, country="FR", events=since_2010)
    provisional = factories.hotline(
        session, country="IS", events=[(date(2026, 1, 1), MembershipStatus.PROVISIONAL)]
    )
    factories.hotline(
        session, country="AL", events=[(date(2026, 1, 1), MembershipStatus.APPLICANT)]
    )
    factories.hotline(
        session, country="MD", events=[*since_2010, (date(2026, 9, 1), MembershipStatus.WITHDRAWN)]
    )
    archived = factories.hotline(session, country="PL", events=since_2010)
    archived.archived_at = datetime(2026, 1, 1)
    session.flush()
    section = attention.missing_statistics(session, today=TODAY)
    assert ids(section) == {only_q2.id, silent.id, provisional.id}
    assert section.title == "Statistics missing for Q3 2026"
    assert all(
        i.action
        == ("Enter figures", "stats.statistics_grid", {"hotline": i.record_id, "year": 2026})
        for i in section.items
    )
    # On 1 October the last complete quarter is Q3 too; on 30 September it is still Q2.
    assert ids(attention.missing_statistics(session, today=date(2026, 10, 1))) == ids(section)
    on_q3_end = attention.missing_statistics(session, today=date(2026, 9, 30))
    assert only_q2.id not in ids(on_q3_end) and silent.id in ids(on_q3_end)


def _pledge(session: Session, start: date, **fields: object) -> int:
    return factories.commitment(
        session,
        amount="1000",
        currency="EUR",
        pledged_on=start - timedelta(days=30),
        period_start=start,
        **fields,
    ).id


def test_pledge_whose_period_started_today_is_listed_tomorrow_is_not(session: Session) -> None:
    started_today = _pledge(session, TODAY, status=CommitmentStatus.PLEDGED)
    started_long_ago = _pledge(session, date(2025, 1, 1), status=CommitmentStatus.PLEDGED)
    _pledge(session, TODAY + timedelta(days=1), status=CommitmentStatus.PLEDGED)
    _pledge(session, TODAY, status=CommitmentStatus.CONFIRMED)
    _pledge(session, TODAY, status=CommitmentStatus.CANCELLED)
    _pledge(session, TODAY, status=CommitmentStatus.PLEDGED, archived_at=datetime(2026, 1, 1))
    section = attention.unconfirmed_pledges(session, today=TODAY)
    assert [i.record_id for i in section.items] == [started_long_ago, started_today]
    assert "EUR 1,000.00" in section.items[0].detail


def test_nothing_to_do_gives_empty_sections(session: Session) -> None:
    result = attention.needs_attention(session, today=TODAY)
    assert [s.count for s in result.sections] == [0] * len(result.sections)
    assert len(result.sections) == 13
    assert result.total == 0


# --- the home page ---------------------------------------------------------------------------


def test_every_item_links_to_a_page_that_exists(app: Flask, session: Session) -> None:
    load_demo_cached(session, today=DEMO_TODAY)
    result = attention.needs_attention(session, today=DEMO_TODAY, limit=ALL)
    assert all(section.items for section in result.sections)
    with app.test_request_context():
        for item in (item for section in result.sections for item in section.items):
            page = url_for(item.endpoint, record_id=item.record_id)
            assert page.endswith(f"/{item.record_id}")
            if item.action is not None:
                assert url_for(item.action[1], **item.action[2])


@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
def test_home_shows_the_sections_to_everyone(
    signed_in: Callable[[str], FlaskClient], in_app: InApp, role: str
) -> None:
    today = date.today()
    with in_app() as s:
        hotline = factories.hotline(
            s,
            country="FR",
            name="Point de Contact Test",
            events=[(date(2010, 1, 1), MembershipStatus.FULL)],
        )
        hotline_id = hotline.id
        _target(s, "GH", today - timedelta(days=3))
        expected = attention.needs_attention(s, today=today)
    html = signed_in(role).get("/?items=everyone").data.decode()
    for section in expected.sections:
        assert f'data-attention="{section.key}">{section.count}<' in html
    assert f'data-attention="total">{expected.total}<' in html
    year = stats_periods.last_complete_quarter(today)[0]
    assert f"/statistics/grid?hotline={hotline_id}&amp;year={year}" in html
    assert "Point de Contact Test" in html and "Ghana" in html
    # The figures above the list are still there.
    for name in ("member_hotlines", "countries_covered", "partnerships_in_force"):
        assert f'data-figure="{name}"' in html
    # Ghana's target has no stage yet: nothing is in the pipeline.
    assert 'data-figure="countries_in_pipeline">0<' in html


def test_anonymous_users_do_not_see_the_home_page(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302 and "/auth/sign-in" in response.location


def test_home_queries_do_not_grow_with_what_needs_attention(
    app: Flask, signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    client = signed_in("manager")
    counts = []
    for extra in (2, 30):
        with in_app() as s:
            for _ in range(extra):
                _contact(s, None)
                _partnership(s, end=date.today())
        statements: list[str] = []

        def count(conn, cursor, statement, *args, _seen=statements):  # type: ignore[no-untyped-def]
            _seen.append(statement)

        with app.app_context():
            engine = db.engine
        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/").status_code == 200
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
