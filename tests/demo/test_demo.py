"""The demo network: realistic shape, founders in 1999, every status present, loaded once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import validation
from coordapp.audit.models import AuditEvent
from coordapp.auth import service as auth_service
from coordapp.demo.service import DEMO_HOTLINE_USERS, DEMO_PASSWORD, DEMO_USERS, load_demo
from coordapp.funding.models import FundingAllocation, FundingCommitment
from coordapp.network import compliance
from coordapp.network.compliance_models import ComplianceItem
from coordapp.network.coverage import CoverageStatus, coverage_as_of, coverage_summary
from coordapp.network.models import ExpansionStage, ExpansionStageEvent, Hotline, MembershipStatus
from coordapp.partners.models import (
    Organization,
    OrganizationKind,
    Partnership,
    PartnershipStatus,
    PartnershipType,
)
from coordapp.stats.models import HotlineStatistic

TODAY = date(2026, 11, 26)


@pytest.fixture
def demo(session: Session) -> Session:
    result = load_demo(session, today=TODAY)
    assert result.loaded, result.message
    return session


def test_1999_shows_the_founding_hotlines_countries_only(demo: Session) -> None:
    summary = coverage_summary(demo, on=date(1999, 12, 31))
    assert summary.member_hotlines == 8
    covered = {
        c.country_code
        for c in coverage_as_of(demo, on=date(1999, 12, 31))
        if c.status in (CoverageStatus.FULL, CoverageStatus.PROVISIONAL)
    }
    # The demo's founders: eight hotlines (two in Germany) admitted during 1999.
    assert covered == {"AT", "BE", "DE", "FR", "GB", "IE", "NL"}


def test_the_network_grows_to_about_55_hotlines_in_about_50_countries(demo: Session) -> None:
    counts = [
        coverage_summary(demo, on=date(y, 12, 31)).member_hotlines
        for y in (1999, 2005, 2010, 2015, 2020, 2025)
    ]
    assert counts == sorted(counts), counts
    end = coverage_summary(demo, on=date(2025, 12, 31))
    assert 50 <= end.member_hotlines <= 60
    assert end.provisional_hotlines >= 2
    assert 45 <= end.countries_covered <= 65
    assert end.countries_in_pipeline >= 5


def test_every_status_kind_and_stage_is_present(demo: Session) -> None:
    assert set(demo.scalars(sa.select(Organization.kind).distinct())) == set(OrganizationKind)
    assert set(demo.scalars(sa.select(Partnership.status).distinct())) == set(PartnershipStatus)
    assert set(demo.scalars(sa.select(Partnership.type).distinct())) == set(PartnershipType)
    assert set(demo.scalars(sa.select(ExpansionStageEvent.stage).distinct())) == set(ExpansionStage)
    statuses = {c.status for c in coverage_as_of(demo, on=TODAY)}
    assert statuses == set(CoverageStatus)
    from coordapp.network.models import HotlineMembershipEvent

    events = set(demo.scalars(sa.select(HotlineMembershipEvent.status).distinct()))
    assert events == set(MembershipStatus)
    currencies = set(demo.scalars(sa.select(FundingCommitment.currency_code).distinct()))
    assert currencies == {"EUR", "USD", "GBP"}


def test_allocations_add_up_exactly_to_each_pledge(demo: Session) -> None:
    allocated = (
        sa.select(FundingAllocation.commitment_id, sa.func.sum(FundingAllocation.amount).label("s"))
        .group_by(FundingAllocation.commitment_id)
        .subquery()
    )
    rows = demo.execute(
        sa.select(FundingCommitment.amount, allocated.c.s).join(
            allocated, allocated.c.commitment_id == FundingCommitment.id
        )
    ).all()
    assert rows
    assert all(
        Decimal(a).quantize(Decimal("0.01")) == Decimal(s).quantize(Decimal("0.01"))
        for a, s in rows
    )


def test_statistics_are_counts_that_hold_together(demo: Session) -> None:
    assert demo.scalar(sa.select(sa.func.count(HotlineStatistic.id))) > 1000
    assert demo.scalar(sa.select(sa.func.min(HotlineStatistic.value))) >= 0


def test_no_real_or_reported_urls(demo: Session) -> None:
    urls = [u for u in demo.scalars(sa.select(Hotline.public_url)) if u]
    urls += [u for u in demo.scalars(sa.select(Organization.website)) if u]
    assert urls
    assert all(
        u.startswith("https://")
        and ".example." in u
        or u.endswith(".example.org")
        or ".example.org/" in u
        for u in urls
    ), urls


def test_demo_users_sign_in(demo: Session) -> None:
    for email, role in DEMO_USERS:
        user = auth_service.authenticate(demo, email=email, password=DEMO_PASSWORD)
        assert user is not None and user.role == role


def test_loading_twice_changes_nothing(demo: Session) -> None:
    hotlines = demo.scalar(sa.select(sa.func.count(Hotline.id)))
    again = load_demo(demo, today=TODAY)
    assert not again.loaded
    assert "nothing changed" in again.message
    assert demo.scalar(sa.select(sa.func.count(Hotline.id))) == hotlines


def test_only_if_empty_leaves_a_database_with_hotlines_alone(session: Session) -> None:
    from tests import factories

    factories.hotline(session, country="IS", events=[(date(2010, 1, 1), MembershipStatus.FULL)])
    result = load_demo(session, only_if_empty=True, today=TODAY)
    assert not result.loaded
    assert session.scalar(sa.select(sa.func.count(Hotline.id))) == 1


def test_one_summary_audit_event_instead_of_thousands(demo: Session) -> None:
    events = demo.scalars(sa.select(AuditEvent.action)).all()
    assert events.count("demo_load") == 1
    assert len(events) < 20


def test_the_same_day_gives_the_same_network(session: Session) -> None:
    def fingerprint() -> list[tuple[object, ...]]:
        return [
            tuple(r)
            for r in session.execute(
                sa.select(Hotline.name, Hotline.country_code, Hotline.staff_count).order_by(
                    Hotline.name
                )
            )
        ]

    savepoint = session.begin_nested()
    load_demo(session, today=TODAY)
    first = fingerprint()
    savepoint.rollback()
    savepoint = session.begin_nested()
    load_demo(session, today=TODAY)
    assert fingerprint() == first
    savepoint.rollback()


def test_missing_reference_data_is_a_clear_error() -> None:
    # Checked without the seeded database: an empty in-memory schema.
    from sqlalchemy.orm import Session as PlainSession

    from coordapp.db import Base
    from coordapp.errors import ValidationError

    engine = sa.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with PlainSession(engine) as empty, pytest.raises(ValidationError, match="flask seed"):
        load_demo(empty, today=TODAY)


def test_the_register_has_items_met_expiring_expired_and_missing(demo: Session) -> None:
    matrix = compliance.compliance_matrix(demo, today=TODAY)
    counts = dict(matrix.counts)
    for state in ("met", "expiring", "expired", "missing", "pending"):
        assert counts[state] > 0, state
    # Document references are references, never links.
    references = demo.scalars(sa.select(ComplianceItem.document_reference)).all()
    assert references and not any("/" in (r or "").split(" ")[0] for r in references)
    assert all(validation.free_text("ref", r) == r for r in references)
    # Some full members lack requirements: the promotion warning has something to say.
    assert any(
        r.membership == "full" and "missing" in {c.state for c in r.cells} for r in matrix.rows
    )


def test_demo_hotline_users_see_their_own_hotlines(demo: Session) -> None:
    for email, names in DEMO_HOTLINE_USERS.items():
        user = auth_service.get_required_by_email(demo, email)
        bound = sorted(demo.get_one(Hotline, i).name for i in user.hotline_ids)
        assert bound == sorted(names.split(", ")) and bound
