"""Partnerships: status rules, renewals, the renewal due date, validation and the pages."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import listing
from coordapp.audit import service as audit
from coordapp.auth import service as auth
from coordapp.auth.models import User
from coordapp.errors import ValidationError
from coordapp.listing import ListParams, run_list
from coordapp.partners import agreements, lists, partnerships
from coordapp.partners.models import (
    OrganizationKind,
    Partnership,
    PartnershipStatus,
    PartnershipType,
)
from coordapp.records.service import StaleRecord
from coordapp.reference.models import Pillar
from coordapp.validation import COORDINATION_ONLY
from tests import factories
from tests.conftest import PASSWORD

InApp = Callable[[], AbstractContextManager[Session]]
S = PartnershipStatus
TODAY = date.today()


def manager(session: Session, email: str = "owner@test.example", role: str = "manager") -> User:
    return auth.create_user(
        session, email=email, full_name=email.split("@")[0].title(), role=role, password=PASSWORD
    )


def pillar_ids(session: Session) -> list[int]:
    return list(session.scalars(sa.select(Pillar.id).order_by(Pillar.sort_order)))


def good(session: Session, **changes: object) -> dict[str, object]:
    org = factories.organization(session)
    owner = session.scalar(sa.select(User).where(User.email == "owner@test.example")) or manager(
        session
    )
    data: dict[str, object] = {
        "organization": org.name,
        "title": "Hash-sharing MoU",
        "type": "technology",
        "status": "prospect",
        "owner_id": str(owner.id),
        "pillars": [str(pillar_ids(session)[1])],
        "start_date": date(2024, 1, 1),
        "end_date": date(2026, 12, 31),
        "renewal_notice_days": 60,
        "document_refs": "https://docs.example.org/mou.pdf\n\nhttps://docs.example.org/annex.pdf",
        "notes": "Signed at the summit.",
    }
    data.update(changes)
    return data


# --- create / update -------------------------------------------------------------------------


def test_create_cleans_and_stores_everything(session: Session) -> None:
    data = good(session)
    item = partnerships.create_partnership(session, data=data)
    assert item.organization.name == data["organization"]
    assert (item.type, item.status, item.renewal_notice_days) == (
        PartnershipType.TECHNOLOGY,
        S.PROSPECT,
        60,
    )
    assert item.owner is not None and item.owner.email == "owner@test.example"
    assert [p.id for p in item.pillars] == [pillar_ids(session)[1]]
    assert (
        item.document_refs == "https://docs.example.org/mou.pdf\nhttps://docs.example.org/annex.pdf"
    )


def test_an_existing_agreement_may_be_entered_in_any_status(session: Session) -> None:
    item = partnerships.create_partnership(session, data=good(session, status="lapsed"))
    assert item.status == S.LAPSED


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"title": ""}, "title", "required"),
        ({"title": "t" * 201}, "title", "At most 200"),
        ({"organization": "Nobody Ltd"}, "organization", "No organization is named"),
        ({"organization": ""}, "organization", "Choose an organization"),
        ({"type": "barter"}, "type", "is not one of"),
        ({"status": "dormant"}, "status", "is not one of"),
        ({"end_date": date(2023, 12, 31)}, "end_date", "cannot be before the start date"),
        ({"start_date": "2024-13-01"}, "start_date", "YYYY-MM-DD"),
        ({"owner_id": "999999"}, "owner_id", "There is no user with id 999999"),
        ({"owner_id": "abc"}, "owner_id", "Choose the owner from the list"),
        ({"pillars": ["999999"]}, "pillars", "Unknown pillar"),
        ({"pillars": ["x"]}, "pillars", "is not a pillar"),
        ({"renewal_notice_days": -1}, "renewal_notice_days", "from 0 to 3650"),
        ({"renewal_notice_days": "soon"}, "renewal_notice_days", "whole number"),
        ({"notes": "see https://bad.example/x"}, "notes", COORDINATION_ONLY),
        ({"notes": "n" * 5001}, "notes", "At most 5000"),
        ({"document_refs": "ftp://files.example.org/a"}, "document_refs", "http:// or https://"),
        ({"document_refs": "https://ok.example/a\nnot a link"}, "document_refs", "http://"),
    ],
)
def test_bad_input_is_refused_with_a_message_for_the_field(
    session: Session, change: dict[str, object], field: str, message: str
) -> None:
    data = good(session, **change)
    with pytest.raises(ValidationError) as caught:
        partnerships.create_partnership(session, data=data)
    assert caught.value.field == field
    assert message in caught.value.message
    assert session.scalar(sa.select(sa.func.count(Partnership.id))) == 0


def test_the_owner_must_be_an_active_manager_or_admin(session: Session) -> None:
    viewer = manager(session, "v@test.example", role="viewer")
    with pytest.raises(ValidationError, match="the owner must be a manager"):
        partnerships.create_partnership(session, data=good(session, owner_id=str(viewer.id)))
    gone = manager(session, "gone@test.example")
    auth.set_active(session, user=gone, active=False)
    with pytest.raises(ValidationError, match="deactivated"):
        partnerships.create_partnership(session, data=good(session, owner_id=str(gone.id)))
    admin = manager(session, "a@test.example", role="admin")
    item = partnerships.create_partnership(session, data=good(session, owner_id=str(admin.id)))
    # An owner who later leaves stays the owner through later edits.
    auth.set_active(session, user=admin, active=False)
    data = good(session, owner_id=str(admin.id), title="Renamed")
    partnerships.update_partnership(session, obj=item, data=data, expected_version=item.version)
    assert item.owner_id == admin.id and item.title == "Renamed"


def test_update_records_pillar_changes_in_the_history(session: Session) -> None:
    audit.set_actor(session, actor_id=None, label="m@test.example")
    ids = pillar_ids(session)
    data = good(session)
    item = partnerships.create_partnership(session, data=data)
    names = {p.id: p.name for p in session.scalars(sa.select(Pillar))}
    partnerships.update_partnership(
        session,
        obj=item,
        data={**data, "pillars": [str(ids[0]), str(ids[1])]},
        expected_version=item.version,
    )
    assert [p.id for p in item.pillars] == [ids[0], ids[1]]
    events = audit.events_for(session, entity_type="partnerships", entity_id=item.id)
    assert events[-1].changes == {"pillars": [names[ids[1]], f"{names[ids[0]]}, {names[ids[1]]}"]}


def test_update_against_an_old_version_is_refused(session: Session) -> None:
    data = good(session)
    item = partnerships.create_partnership(session, data=data)
    partnerships.update_partnership(
        session, obj=item, data={**data, "title": "A"}, expected_version=1
    )
    with pytest.raises(StaleRecord):
        partnerships.update_partnership(
            session, obj=item, data={**data, "title": "B"}, expected_version=1
        )
    assert item.title == "A"


# --- status rules ----------------------------------------------------------------------------

ALLOWED = [
    (S.PROSPECT, S.NEGOTIATING),
    (S.NEGOTIATING, S.ACTIVE),
    (S.ACTIVE, S.ENDED),
    (S.ACTIVE, S.LAPSED),
]
REFUSED = [
    (before, after)
    for before in S
    for after in S
    if before != after and (before, after) not in ALLOWED
]


@pytest.mark.parametrize(("before", "after"), ALLOWED)
def test_allowed_transitions(session: Session, before: S, after: S) -> None:
    audit.set_actor(session, actor_id=None, label="m@test.example")
    item = factories.partnership(session, status=before, start_date=date(2024, 1, 1))
    partnerships.change_partnership_status(
        session, partnership=item, status=after.value, on=TODAY, note="Signed by both."
    )
    assert item.status == after
    events = audit.events_for(session, entity_type="partnerships", entity_id=item.id)
    assert events[-1].action == "status"
    assert events[-1].summary == (
        f"{TODAY.isoformat()}: {before.value.capitalize()} → {after.value.capitalize()}. "
        "Signed by both."
    )
    assert events[-2].changes["status"] == [before.value, after.value]


@pytest.mark.parametrize(("before", "after"), REFUSED)
def test_other_transitions_are_refused_with_a_clear_message(
    session: Session, before: S, after: S
) -> None:
    item = factories.partnership(session, status=before)
    with pytest.raises(ValidationError) as caught:
        partnerships.change_partnership_status(
            session, partnership=item, status=after, on=TODAY, note=None
        )
    assert caught.value.field == "status"
    assert before.value in caught.value.message.lower()
    assert item.status == before


def test_the_same_status_or_a_bad_date_or_note_is_refused(session: Session) -> None:
    item = factories.partnership(session, status=S.ACTIVE, start_date=date(2024, 5, 1))
    with pytest.raises(ValidationError, match="already active"):
        partnerships.change_partnership_status(
            session, partnership=item, status="active", on=TODAY, note=None
        )
    with pytest.raises(ValidationError, match="cannot be in the future") as caught:
        partnerships.change_partnership_status(
            session, partnership=item, status="ended", on=TODAY + timedelta(days=1), note=None
        )
    assert caught.value.field == "on"
    with pytest.raises(ValidationError, match="before the start date"):
        partnerships.change_partnership_status(
            session, partnership=item, status="ended", on=date(2024, 4, 30), note=None
        )
    with pytest.raises(ValidationError, match="coordination data only"):
        partnerships.change_partnership_status(
            session, partnership=item, status="ended", on=TODAY, note="www.example.com/x"
        )
    with pytest.raises(ValidationError, match="is not one of"):
        partnerships.change_partnership_status(
            session, partnership=item, status="closed", on=TODAY, note=None
        )
    assert item.status == S.ACTIVE


def test_becoming_active_or_ending_fills_the_dates(session: Session) -> None:
    item = factories.partnership(session, status=S.NEGOTIATING)
    on = TODAY - timedelta(days=30)
    partnerships.change_partnership_status(
        session, partnership=item, status="active", on=on, note=""
    )
    assert item.start_date == on and item.end_date is None
    partnerships.change_partnership_status(
        session, partnership=item, status="ended", on=TODAY, note=""
    )
    assert item.end_date == TODAY
    # Ending before the planned end shortens it; a past end date is kept.
    early = factories.partnership(
        session, status=S.ACTIVE, start_date=on, end_date=TODAY + timedelta(days=200)
    )
    partnerships.change_partnership_status(
        session, partnership=early, status="ended", on=TODAY, note=""
    )
    assert early.end_date == TODAY
    late = factories.partnership(
        session, status=S.ACTIVE, start_date=on, end_date=TODAY - timedelta(days=3)
    )
    partnerships.change_partnership_status(
        session, partnership=late, status="lapsed", on=TODAY, note=""
    )
    assert late.end_date == TODAY - timedelta(days=3)


def test_the_edit_form_follows_the_same_rule(session: Session) -> None:
    data = good(session, status="prospect")
    item = partnerships.create_partnership(session, data=data)
    with pytest.raises(ValidationError, match="only to Negotiating") as caught:
        partnerships.update_partnership(
            session, obj=item, data={**data, "status": "active"}, expected_version=item.version
        )
    assert caught.value.field == "status"
    partnerships.update_partnership(
        session, obj=item, data={**data, "status": "negotiating"}, expected_version=item.version
    )
    assert item.status == S.NEGOTIATING
    ended = partnerships.create_partnership(session, data=good(session, status="ended"))
    with pytest.raises(ValidationError, match="only by renewal"):
        partnerships.update_partnership(
            session,
            obj=ended,
            data={**good(session), "status": "active"},
            expected_version=ended.version,
        )


@pytest.mark.parametrize("status", [S.ACTIVE, S.ENDED, S.LAPSED])
def test_renewal_makes_the_agreement_active_with_a_dated_note(session: Session, status: S) -> None:
    audit.set_actor(session, actor_id=None, label="m@test.example")
    old_end = TODAY - timedelta(days=10)
    item = factories.partnership(
        session, status=status, start_date=date(2023, 1, 1), end_date=old_end
    )
    new_end = date(TODAY.year + 2, 12, 31)
    partnerships.renew_partnership(
        session, partnership=item, end_date=new_end, on=TODAY, note="Two more years."
    )
    assert (item.status, item.end_date) == (S.ACTIVE, new_end)
    last = audit.events_for(session, entity_type="partnerships", entity_id=item.id)[-1]
    assert last.action == "renew"
    assert last.summary.startswith(f"{TODAY.isoformat()}: renewed until {new_end.isoformat()}")
    assert old_end.isoformat() in last.summary and last.summary.endswith("Two more years.")


@pytest.mark.parametrize("status", [S.PROSPECT, S.NEGOTIATING])
def test_an_agreement_not_yet_active_cannot_be_renewed(session: Session, status: S) -> None:
    item = factories.partnership(session, status=status)
    with pytest.raises(ValidationError, match="Only an active, ended or lapsed"):
        partnerships.renew_partnership(
            session, partnership=item, end_date=date(2030, 1, 1), on=TODAY, note=None
        )


def test_renewal_needs_a_later_end_date(session: Session) -> None:
    item = factories.partnership(
        session, status=S.ACTIVE, start_date=date(2020, 1, 1), end_date=date(2030, 6, 30)
    )
    for end_date, message in [
        (None, "Enter the new end date"),
        (date(2030, 6, 30), "must be after the current one"),
        (date(2029, 1, 1), "must be after the current one"),
    ]:
        with pytest.raises(ValidationError, match=message):
            partnerships.renew_partnership(
                session, partnership=item, end_date=end_date, on=TODAY, note=None
            )
    open_ended = factories.partnership(session, status=S.ENDED, start_date=date(2020, 1, 1))
    with pytest.raises(ValidationError, match="before the renewal date"):
        partnerships.renew_partnership(
            session, partnership=open_ended, end_date=TODAY - timedelta(days=1), on=TODAY, note=""
        )
    assert item.end_date == date(2030, 6, 30)


# --- renewal due -----------------------------------------------------------------------------


def test_renewal_due_date_is_the_end_minus_the_notice_in_python_and_in_sql(
    session: Session,
) -> None:
    cases = [
        (S.ACTIVE, date(2027, 3, 31), 90),
        (S.ACTIVE, date(2027, 3, 1), 0),
        (S.ACTIVE, date(2028, 2, 29), 365),
        (S.ACTIVE, None, 90),
        (S.ENDED, date(2027, 3, 31), 90),
        (S.NEGOTIATING, date(2027, 3, 31), 30),
    ]
    items = [
        factories.partnership(session, status=s, end_date=end, renewal_notice_days=days)
        for s, end, days in cases
    ]
    in_sql = dict(
        session.execute(
            sa.select(Partnership.id, agreements.RENEWAL_DUE).where(
                Partnership.id.in_([i.id for i in items])
            )
        ).all()
    )
    for item, (status, end, days) in zip(items, cases, strict=True):
        expected = end - timedelta(days=days) if status == S.ACTIVE and end else None
        assert agreements.renewal_due_on(item) == expected
        value = in_sql[item.id]
        assert (date.fromisoformat(value) if isinstance(value, str) else value) == expected


def test_renewal_state_and_the_list_filter_agree(session: Session) -> None:
    def ending_in(days: int, notice: int = 90, status: S = S.ACTIVE) -> Partnership:
        return factories.partnership(
            session,
            status=status,
            title=f"ends in {days} notice {notice} {status.value}",
            end_date=TODAY + timedelta(days=days),
            renewal_notice_days=notice,
        )

    overdue = [ending_in(89), ending_in(0)]  # notice day already passed, still in force
    due = [ending_in(90), ending_in(180), ending_in(30, notice=0)]  # within 90 days of today
    later = [ending_in(181), ending_in(400, notice=30)]
    # Past its end date: expired ("ended without a decision"), never "renewal due" as well.
    expired = [ending_in(-5), ending_in(-1, notice=0)]
    not_active = [ending_in(30, status=S.ENDED), ending_in(100, status=S.NEGOTIATING)]
    for item in overdue:
        assert agreements.renewal_state(item, today=TODAY) == "overdue"
    for item in due:
        assert agreements.renewal_state(item, today=TODAY) == "due"
    for item in later + expired + not_active:
        assert agreements.renewal_state(item, today=TODAY) is None

    def titles(value: str) -> set[str]:
        params = ListParams.from_args(lists.PARTNERSHIP_LIST, {"renewal": value})
        return {p.title for p in run_list(session, lists.PARTNERSHIP_LIST, params).items}

    assert titles("due") == {p.title for p in due}
    assert titles("overdue") == {p.title for p in overdue}
    # "Due within 90 days or overdue" is the home page's figure, from the same definition.
    assert titles("any") == {p.title for p in due + overdue}
    assert len(titles("any")) == agreements.count_renewals_due(session, on=TODAY)
    assert titles("whenever") == {p.title for p in overdue + due + later + expired + not_active}


def test_list_filters(session: Session) -> None:
    ids = pillar_ids(session)
    owner = manager(session)
    other = manager(session, "other@test.example")
    # Named, not numbered: "Organization 9" sorts after "Organization 10".
    industry = factories.organization(
        session, name="Industry Alpha", kind=OrganizationKind.INDUSTRY
    )
    ngo = factories.organization(session, name="NGO Beta", kind=OrganizationKind.NGO)
    a = factories.partnership(
        session,
        organization=industry,
        title="A",
        type=PartnershipType.TECHNOLOGY,
        start_date=date(2021, 5, 1),
        owner_id=owner.id,
        pillars=[session.get_one(Pillar, ids[1])],
    )
    b = factories.partnership(
        session,
        organization=ngo,
        title="B",
        status=S.PROSPECT,
        start_date=date(2022, 1, 1),
        owner_id=other.id,
        pillars=[session.get_one(Pillar, ids[0]), session.get_one(Pillar, ids[1])],
    )
    c = factories.partnership(session, organization=ngo, title="C", start_date=date(2021, 12, 31))

    def titles(**args: str) -> list[str]:
        params = ListParams.from_args(lists.PARTNERSHIP_LIST, args)
        return [p.title for p in run_list(session, lists.PARTNERSHIP_LIST, params).items]

    assert titles(status="prospect") == [b.title]
    assert titles(type="technology") == [a.title]
    assert titles(pillar=str(ids[1])) == [a.title, b.title]
    assert titles(owner=str(other.id)) == [b.title]
    assert titles(kind="ngo") == [b.title, c.title]
    assert titles(year="2021") == [a.title, c.title]
    assert titles(q=industry.name.lower()) == [a.title]
    assert titles(sort="-organization")[0] in (b.title, c.title)
    # Values that don't fit are no filter.
    for bad in ({"status": "x"}, {"pillar": "x"}, {"owner": "me"}, {"year": "20x1"}):
        assert titles(**bad) == ["A", "B", "C"]
    choices = dict(lists._owner_choices(session))
    assert {str(owner.id), str(other.id)} <= choices.keys()
    assert [v for v, _ in listing.year_choices(Partnership.start_date)(session)] == ["2022", "2021"]


def test_pages_highlight_renewals_due_and_overdue_but_the_export_stays_a_date(
    session: Session,
) -> None:
    column = next(c for c in lists.PARTNERSHIP_LIST.columns if c.key == "renewal_due")
    assert column.display is not None
    overdue = factories.partnership(session, end_date=TODAY + timedelta(days=30))
    due = factories.partnership(session, end_date=TODAY + timedelta(days=120))
    calm = factories.partnership(session, end_date=TODAY + timedelta(days=400))
    assert "badge text-bg-danger" in str(column.display(overdue))
    assert "due soon" in str(column.display(due))
    assert "badge" not in str(column.display(calm))
    assert column.value(overdue) == TODAY - timedelta(days=60)
