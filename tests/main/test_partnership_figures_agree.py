"""On the demo network, "Partnerships in force" and "Renewals due" are one number everywhere:
the home page, needs attention, the partnerships list, the Overview and Partnerships dashboards,
the pillar indicators and the board pack all show what ``coordapp.partners.agreements`` counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.boardpack import service as boardpack
from coordapp.listing import ListParams, run_list
from coordapp.main import attention as main
from coordapp.partners import agreements as partners_agreements
from coordapp.partners import lists as partners_lists
from coordapp.partners.models import Partnership, PartnershipStatus
from coordapp.pillars.models import PillarIndicator
from coordapp.reference.models import Pillar
from coordapp.reporting import growth as growth_report
from coordapp.reporting import partnerships as partnership_report
from coordapp.reporting import pillars as pillar_report
from coordapp.reporting.common import one_year_before
from dashboards import partnerships as partnerships_page
from tests._demo import load_demo_cached

InApp = Callable[[], AbstractContextManager[Session]]


def figure(html: str, name: str) -> int:
    match = re.search(rf'data-figure="{name}"[^>]*>([^<]*)<', html)
    assert match, name
    return int(match.group(1).replace(",", "").strip())


def listed(session: Session, **args: str) -> int:
    params = ListParams.from_args(partners_lists.PARTNERSHIP_LIST, {"per_page": "100", **args})
    return run_list(session, partners_lists.PARTNERSHIP_LIST, params).total


def plain_in_force(session: Session, on: date) -> int:
    """The rule in plain Python over every row (not the SQL under test)."""
    running = (PartnershipStatus.ACTIVE, PartnershipStatus.ENDED, PartnershipStatus.LAPSED)
    return sum(
        1
        for p in session.scalars(sa.select(Partnership))
        if p.archived_at is None
        and (p.start_date is None or p.start_date <= on)
        and (
            (p.status == PartnershipStatus.ACTIVE and p.end_date is None)
            or (p.status in running and p.end_date is not None and p.end_date >= on)
        )
    )


def test_every_surface_shows_the_same_partnership_figures_today(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    today = date.today()
    with in_app() as s:
        load_demo_cached(s, today=today)
    with in_app() as s:
        in_force = partners_agreements.count_in_force(s, on=today)
        renewals = partners_agreements.count_renewals_due(s, on=today)
        expired = partners_agreements.count_expired(s, on=today)
        assert in_force == plain_in_force(s, today)
        # The demo has agreements in each group, two of them past their end date.
        assert in_force > 0 and renewals > 0 and expired == 2
        recorded_active = s.scalar(
            sa.select(sa.func.count(Partnership.id)).where(
                Partnership.archived_at.is_(None),
                Partnership.status == PartnershipStatus.ACTIVE.value,
            )
        )
        assert recorded_active == in_force + expired  # every recorded-active one is placed once

        # The partnerships list: its status and renewal filters.
        assert listed(s, status="active") == in_force
        assert listed(s, status="expired") == expired
        assert listed(s, renewal="any") == renewals
        # Needs attention.
        attention = {x.key: x for x in main.needs_attention(s, today=today).sections}
        assert attention["renewals"].count == renewals
        assert attention["expired"].count == expired
        # The Overview dashboard's KPI tile.
        kpis = {k.key: k for k in growth_report.overview(s, today=today).kpis}
        assert kpis["partnerships_in_force"].value == in_force
        assert kpis["partnerships_in_force"].label == "Partnerships in force"
        assert kpis["partnerships_in_force"].previous == partners_agreements.count_in_force(
            s, on=one_year_before(today)
        )
        # The Partnerships dashboard: tiles, the by-status chart and the renewals table.
        data = partnership_report.partnership_figures(s, on=today)
        assert data.in_force == in_force and data.expired == expired
        assert dict(data.by_status)["active"] == in_force
        assert dict(data.by_status)["expired"] == expired
        assert len(data.renewals) == renewals
        tiles = str(partnerships_page.tiles(data))
        assert f"'{in_force:,}'" in tiles and f"'{renewals:,}'" in tiles
        # The pillar indicators (this year, measured today) and the board pack.
        pillar_id = s.scalar(sa.select(Pillar.id).limit(1))
        assert pillar_id is not None
        actual, _ = pillar_report.indicator_actual(
            s,
            indicator=PillarIndicator.ACTIVE_PARTNERSHIPS,
            pillar_id=pillar_id,
            year=today.year,
            today=today,
        )
        assert actual == in_force
        pack = boardpack.board_pack(s, year=today.year, today=today)
        assert pack.partnerships_in_force == in_force

    html = signed_in("viewer").get("/").data.decode()
    assert figure(html, "partnerships_in_force") == in_force
    assert figure(html, "renewals_due") == renewals
    assert figure(html, "partnerships_expired") == expired
    assert "Partnerships in force" in html and "Ended without a decision" in html


def test_a_past_year_is_measured_by_the_same_rule(session: Session) -> None:
    today = date(2026, 11, 26)
    load_demo_cached(session, today=today)
    year = today.year - 1
    year_end = date(year, 12, 31)
    in_force = partners_agreements.count_in_force(session, on=year_end)
    assert in_force == plain_in_force(session, year_end)
    pack = boardpack.board_pack(session, year=year, today=today)
    assert pack.partnerships_in_force == in_force
    assert pack.partnerships_in_force_before == partners_agreements.count_in_force(
        session, on=date(year - 1, 12, 31)
    )
    pillar_id = session.scalar(sa.select(Pillar.id).limit(1))
    assert pillar_id is not None
    actual, _ = pillar_report.indicator_actual(
        session,
        indicator=PillarIndicator.ACTIVE_PARTNERSHIPS,
        pillar_id=pillar_id,
        year=year,
        today=today,
    )
    assert actual == in_force
    # Any day, past or future, the SQL rule and the plain one agree.
    for day in (
        date(2012, 10, 1),
        date(2019, 2, 28),
        date(2023, 6, 30),
        date(2023, 7, 1),
        today,
        today + timedelta(days=1),
        today + timedelta(days=400),
    ):
        assert partners_agreements.count_in_force(session, on=day) == plain_in_force(
            session, day
        ), day
