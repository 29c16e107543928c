"""The hotline's quarter from its own figures page: the sign-off state of each quarter, the
submit, a returned quarter's comment, the lock of a submitted or approved quarter; the network
median of approved figures only; the compliance register read-only; an admin moving a hotline
user to other hotlines."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.audit.models import AuditEvent
from coordapp.auth.models import User
from coordapp.network.models import Hotline
from coordapp.stats import benchmark, metrics, quarters
from coordapp.stats.models import HotlineQuarter, HotlineStatistic, QuarterState
from tests.conftest import sign_in
from tests.portal.conftest import Q1, signed_off
from tests.stats.helpers import member, statistic

FIGURES = "/my-hotline/{hotline}/figures?year=2025"
SUBMIT = "/my-hotline/{hotline}/figures/submit?year=2025&quarter=1"


def _complete_q1(session: Session) -> dict[str, str]:
    """A value for every metric in force in Q1 2025, within the grid's rules."""
    values = {}
    for metric in metrics.metrics_in_force(session, on=Q1[1]):
        value = "10" if metric.unit.is_count else "2"
        values[f"c-{metric.code}-1"] = value
    return values


def _quarter(session: Session, hotline_id: int) -> HotlineQuarter | None:
    return quarters.find_quarter(session, hotline_id=hotline_id, year=2025, quarter=1)


def _set_state(
    in_app: Callable[[], AbstractContextManager[Session]],
    hotline_id: int,
    state: QuarterState,
    comment: str | None = None,
) -> None:
    with in_app() as s:
        signed_off(s, hotline_id, state, comment)


def _stored(session: Session, hotline_id: int) -> list[Decimal]:
    return sorted(
        session.scalars(
            sa.select(HotlineStatistic.value).where(HotlineStatistic.hotline_id == hotline_id)
        )
    )


def test_the_hotline_enters_and_submits_a_quarter_and_sees_it_await_review(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    url = FIGURES.format(hotline=own["hotline"])
    page = staff.get(url).get_data(as_text=True)
    assert 'data-quarter-state="draft"' in page and "To submit, enter:" in page
    with in_app() as s:
        complete = _complete_q1(s)
    assert staff.post(url, data=complete).status_code == 302
    page = staff.get(url).get_data(as_text=True)
    assert "Submit Q1 2025" in page
    submitted = staff.post(SUBMIT.format(hotline=own["hotline"]), follow_redirects=True)
    assert "Q1 2025 of" in submitted.get_data(as_text=True)
    assert "is submitted for review" in submitted.get_data(as_text=True)
    page = staff.get(url).get_data(as_text=True)
    assert 'data-quarter-state="submitted"' in page and "Submitted, awaiting review" in page
    assert 'name="c-reports_assessed_csam-1"' not in page  # shown, no longer an input
    with in_app() as s:
        record = _quarter(s, own["hotline"])
        assert record is not None and record.state == QuarterState.SUBMITTED
        assert record.submitted_by_id == own["user"]


def test_an_incomplete_quarter_is_refused_and_nothing_is_written(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    url = FIGURES.format(hotline=own["hotline"])
    assert staff.post(url, data={"c-reports_assessed_csam-1": "5"}).status_code == 302
    refused = staff.post(SUBMIT.format(hotline=own["hotline"]), follow_redirects=True)
    assert "is incomplete: enter" in refused.get_data(as_text=True)
    future = staff.post(
        f"/my-hotline/{own['hotline']}/figures/submit?year={date.today().year + 1}&quarter=1",
        follow_redirects=True,
    )
    assert "submit it after that" in future.get_data(as_text=True)
    with in_app() as s:
        assert _quarter(s, own["hotline"]) is None


def test_a_submitted_or_approved_quarter_refuses_edits_with_the_reason(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    url = FIGURES.format(hotline=own["hotline"])
    with in_app() as s:
        hotline = s.get_one(Hotline, own["hotline"])
        statistic(s, hotline, "reports_assessed_csam", *Q1, "40")
    _set_state(in_app, own["hotline"], QuarterState.APPROVED)
    page = staff.get(url).get_data(as_text=True)
    assert "Approved (locked)" in page and 'id="c-reports_assessed_csam-1"' not in page
    # A crafted post (the page offers no input) goes through the stats lock all the same.
    refused = staff.post(url, data={"c-reports_assessed_csam-1": "41"})
    assert refused.status_code == 422
    assert "Q1 2025 is approved and locked" in refused.get_data(as_text=True)
    with in_app() as s:
        assert _stored(s, own["hotline"]) == [Decimal(40)]
        s.execute(
            sa.update(HotlineQuarter)
            .where(HotlineQuarter.hotline_id == own["hotline"])
            .values(state=QuarterState.SUBMITTED.value)
        )
    refused = staff.post(url, data={"c-reports_assessed_csam-1": ""})
    assert refused.status_code == 422 and "awaits review" in refused.get_data(as_text=True)
    again = staff.post(SUBMIT.format(hotline=own["hotline"]), follow_redirects=True)
    assert "awaits review" in again.get_data(as_text=True)
    with in_app() as s:
        assert _stored(s, own["hotline"]) == [Decimal(40)]


def test_a_returned_quarter_shows_the_comment_and_takes_corrections(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    url = FIGURES.format(hotline=own["hotline"])
    _set_state(in_app, own["hotline"], QuarterState.RETURNED, "Forwarded looks doubled.")
    page = staff.get(url).get_data(as_text=True)
    assert "Returned for correction" in page and "Forwarded looks doubled." in page
    assert 'id="c-reports_forwarded-1"' in page
    assert staff.post(url, data={"c-reports_forwarded-1": "3"}).status_code == 302


def test_the_median_counts_approved_figures_only(session: Session) -> None:
    ours = member(session, "NL")
    approved = [member(session, code) for code in ("BE", "DE", "FR", "IT", "ES")]
    statistic(session, ours, "reports_received", *Q1, "1")
    for hotline, value in zip(approved, ("10", "20", "30", "40", "50"), strict=True):
        statistic(session, hotline, "reports_received", *Q1, value)
        signed_off(session, hotline.id, QuarterState.APPROVED)
    pending = member(session, "PT")
    statistic(session, pending, "reports_received", *Q1, "9000")
    signed_off(session, pending.id, QuarterState.SUBMITTED)
    comparison = benchmark.compare_with_network(session, hotline_id=ours.id)
    assert comparison is not None and not comparison.approved
    row = comparison.rows[0]
    # Neither our draft (1) nor the submitted 9000 counts: the median of 10..50; then ours
    # counts too: the median of 1, 10, 20, 30, 40, 50.
    assert (row.own, row.median, row.reporting) == (Decimal(1), Decimal("30.00"), 5)
    signed_off(session, ours.id, QuarterState.APPROVED)
    comparison = benchmark.compare_with_network(session, hotline_id=ours.id)
    assert comparison is not None and comparison.approved
    assert (comparison.rows[0].median, comparison.rows[0].reporting) == (Decimal("25.00"), 6)


def test_the_own_page_marks_figures_not_yet_approved_and_shows_states(
    staff: FlaskClient, own: dict[str, int], in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    with in_app() as s:
        statistic(s, s.get_one(Hotline, own["hotline"]), "reports_received", *Q1, "12")
    _set_state(in_app, own["hotline"], QuarterState.SUBMITTED)
    page = staff.get(f"/my-hotline/{own['hotline']}").get_data(as_text=True)
    assert "data-provisional" in page and "Submitted, awaiting review" in page


def test_the_compliance_register_shows_read_only(staff: FlaskClient, own: dict[str, int]) -> None:
    page = staff.get(f"/my-hotline/{own['hotline']}").get_data(as_text=True)
    section = page[page.index('data-section="compliance"') :]
    section = section[: section.index("</section>")]
    assert "Membership compliance" in section
    assert "data-requirement=" in section  # the requirements in force, one row each
    assert "<a " not in section and "<form" not in section


# --- an admin changes a hotline user's hotlines ------------------------------------------------


def test_an_admin_moves_a_hotline_user_to_other_hotlines(
    client: FlaskClient,
    signed_in: Callable[[str], FlaskClient],
    own: dict[str, int],
    in_app: Callable[[], AbstractContextManager[Session]],
) -> None:
    staff = client.application.test_client()
    assert sign_in(staff, "staff@hotline.example").status_code == 302
    admin = signed_in("admin")
    url = f"/auth/users/{own['user']}/hotlines"
    form = admin.get(url).get_data(as_text=True)
    assert f'<option selected value="{own["hotline"]}">' in form
    detail = admin.get(f"/auth/users/{own['user']}").get_data(as_text=True)
    assert "data-user-hotlines" in detail and url in detail
    moved = admin.post(url, data={"hotlines": [str(own["other"])]})
    assert moved.status_code == 302
    with in_app() as s:
        user = s.get_one(User, own["user"])
        assert user.hotline_ids == {own["other"]}
        audited = s.scalars(
            sa.select(AuditEvent).where(
                AuditEvent.entity_type == "users", AuditEvent.entity_id == str(own["user"])
            )
        ).all()
        assert any("hotlines" in (event.changes or {}) for event in audited)
    # The old scope does not live on in an open session.
    assert staff.get(f"/my-hotline/{own['hotline']}").status_code in (302, 401, 404)


def test_bad_hotline_choices_are_refused_and_nothing_changes(
    signed_in: Callable[[str], FlaskClient],
    users: dict[str, str],
    own: dict[str, int],
    in_app: Callable[[], AbstractContextManager[Session]],
) -> None:
    admin = signed_in("admin")
    url = f"/auth/users/{own['user']}/hotlines"
    for data, message in (
        ({}, "Choose the hotline this person works for."),
        ({"hotlines": ["999999999"]}, "There is no hotline with id 999999999."),
        ({"hotlines": ["abc"]}, "Choose hotlines from the list."),
    ):
        refused = admin.post(url, data=data)
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), data
    with in_app() as s:
        assert s.get_one(User, own["user"]).hotline_ids == {own["hotline"]}
        viewer = s.scalars(sa.select(User.id).where(User.email == users["viewer"])).one()
    assert admin.get(f"/auth/users/{viewer}/hotlines").status_code == 404
