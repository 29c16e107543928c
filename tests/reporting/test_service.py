"""The reporting services against data each test creates (real database, both backends)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import plotly.graph_objects as go
import pytest
from sqlalchemy.orm import Session

from coordapp.funding.models import CommitmentStatus
from coordapp.network.coverage import CoverageStatus, coverage_summary
from coordapp.network.models import ExpansionStage, MembershipStatus
from coordapp.partners import agreements
from coordapp.partners.models import OrganizationKind, PartnershipStatus, PartnershipType
from coordapp.pillars.models import IndicatorKind, PillarIndicator
from coordapp.reference.models import MetricUnit
from coordapp.reporting import activity as activity_report
from coordapp.reporting import coverage as coverage_report
from coordapp.reporting import funding as funding_report
from coordapp.reporting import growth as growth_report
from coordapp.reporting import partnerships as partnership_report
from coordapp.reporting import pillars as pillar_report
from coordapp.reporting import training as training_report
from coordapp.training.models import TrainingKind
from dashboards import activity_figures
from tests import factories
from tests.reporting import builders

A, P, F, S, W = (
    MembershipStatus.APPLICANT,
    MembershipStatus.PROVISIONAL,
    MembershipStatus.FULL,
    MembershipStatus.SUSPENDED,
    MembershipStatus.WITHDRAWN,
)
TODAY = date.today()


@pytest.fixture
def network(session: Session) -> dict[str, object]:
    """A small network: founded 1999 with two hotlines, growing and losing members later."""
    return {
        "at": factories.hotline(
            session, country="AT", name="Hotline AT", events=[(date(1999, 11, 30), F)]
        ),
        "nl": factories.hotline(
            session,
            country="NL",
            covers=["MT"],  # Malta has no shape at 1:110m
            name="Hotline NL",
            events=[(date(1999, 3, 1), A), (date(1999, 11, 30), P), (date(2003, 5, 1), F)],
        ),
        "hu": factories.hotline(
            session,
            country="HU",
            name="Hotline HU",
            events=[(date(2005, 1, 1), A), (date(2006, 1, 1), P), (date(2010, 6, 1), W)],
        ),
        "ke": factories.hotline(
            session,
            country="KE",
            name="Hotline KE",
            events=[(date(2020, 1, 1), A), (date(2024, 5, 20), P)],
        ),
        "target": factories.expansion_target(
            session,
            country="NG",
            stages=[
                (date(2019, 2, 1), ExpansionStage.IDENTIFIED),
                (date(2021, 3, 1), ExpansionStage.SCOPING),
            ],
        ),
    }


def covered(data: coverage_report.CoverageMap) -> set[str]:
    return {
        c.code
        for c in data.countries
        if c.status in (CoverageStatus.FULL, CoverageStatus.PROVISIONAL)
    }


def test_coverage_map_counts_for_1999_and_today(session: Session, network: dict) -> None:
    in_1999 = coverage_report.coverage_map(session, on=date(1999, 12, 31))
    assert covered(in_1999) == {"AT", "NL", "MT"}
    assert in_1999.countries_covered == 3
    assert (in_1999.member_hotlines, in_1999.full_hotlines) == (2, 1)
    now = coverage_report.coverage_map(session, on=TODAY)
    assert covered(now) == {"AT", "NL", "MT", "KE"}
    assert (now.member_hotlines, now.full_hotlines, now.provisional_hotlines) == (3, 2, 1)
    by_code = {c.code: c for c in now.countries}
    assert by_code["MT"].hotlines == ("Hotline NL",)
    assert by_code["MT"].member_since == date(1999, 11, 30)
    assert by_code["HU"].status is CoverageStatus.NONE
    assert by_code["NG"].status is CoverageStatus.PIPELINE
    assert by_code["NG"].pipeline_stage is ExpansionStage.SCOPING
    # The same numbers as the home page's summary.
    summary = coverage_summary(session, on=TODAY)
    assert (now.member_hotlines, now.countries_covered) == (
        summary.member_hotlines,
        summary.countries_covered,
    )


def test_coverage_map_by_region(session: Session, network: dict) -> None:
    europe = coverage_report.coverage_map(session, on=TODAY, region="Europe")
    assert {c.region for c in europe.countries} == {"Europe"}
    assert covered(europe) == {"AT", "NL", "MT"}
    assert europe.member_hotlines == 2
    africa = coverage_report.coverage_map(session, on=TODAY, region="Africa")
    assert covered(africa) == {"KE"} and africa.member_hotlines == 1


@pytest.mark.parametrize("region", [None, "Europe", "Africa", "Oceania"])
@pytest.mark.parametrize("on", [date(1999, 12, 31), TODAY])
def test_the_maps_headline_is_the_coverage_summary_whole(
    session: Session, network: dict, region: str | None, on: date
) -> None:
    """The map counts its places from the rows it read; every count is the summary's own."""
    shown = coverage_report.coverage_map(session, on=on, region=region).summary
    assert shown == coverage_summary(session, on=on, region=region)


def test_network_growth_matches_the_summary_of_each_year_end(
    session: Session, network: dict
) -> None:
    growth = growth_report.network_growth(session, today=TODAY)
    assert [p.year for p in growth] == list(range(1999, TODAY.year + 1))
    assert growth[-1].on == TODAY
    for point in growth:
        summary = coverage_summary(session, on=point.on)
        assert (
            point.member_hotlines,
            point.full_hotlines,
            point.provisional_hotlines,
            point.countries_covered,
        ) == (
            summary.member_hotlines,
            summary.full_hotlines,
            summary.provisional_hotlines,
            summary.countries_covered,
        ), point.year
    assert growth[0].member_hotlines == 2
    hu_years = {p.year: p.member_hotlines for p in growth}
    assert hu_years[2006] == 3 and hu_years[2010] == 2


def test_country_panel(session: Session, network: dict) -> None:
    owner_org = factories.organization(session, name="Partner in Kenya")
    owner_org.hq_country_code = "KE"
    builders.training(session, on=date(2024, 9, 1), hotlines=[(network["ke"], 3, "4.5")])
    panel = coverage_report.country_panel(session, code="ke", on=TODAY)
    assert panel is not None
    assert panel.name == "Kenya" and panel.status is CoverageStatus.PROVISIONAL
    assert [h.name for h in panel.hotlines] == ["Hotline KE"]
    assert [s.status for s in panel.hotlines[0].history] == [A, P]
    assert panel.partners == (("Partner in Kenya", OrganizationKind.FOUNDATION, "prospect"),)
    assert (panel.trainings_attended, panel.participants_trained) == (1, 3)
    nigeria = coverage_report.country_panel(session, code="NG", on=date(2020, 1, 1))
    assert nigeria is not None and nigeria.expansion is not None
    assert nigeria.expansion.stage is ExpansionStage.IDENTIFIED
    assert nigeria.hotlines == ()
    assert coverage_report.country_panel(session, code="QQ", on=TODAY) is None


def test_funding_converted_at_a_known_rate(session: Session) -> None:
    factories.rate(session, base="EUR", quote="USD", on=date(2024, 1, 1), value="1.25")
    factories.rate(session, base="EUR", quote="GBP", on=date(2024, 1, 1), value="0.80")
    funder = builders.funder(session, OrganizationKind.INDUSTRY)
    usd = factories.commitment(
        session, amount="1000.00", currency="USD", pledged_on=date(2024, 3, 1), funder=funder
    )
    eur = factories.commitment(
        session, amount="500.00", currency="EUR", pledged_on=date(2024, 4, 1)
    )
    factories.commitment(
        session,
        amount="999.00",
        currency="EUR",
        pledged_on=date(2024, 5, 1),
        status=CommitmentStatus.CANCELLED,
    )
    gbp = factories.commitment(
        session, amount="400.00", currency="GBP", pledged_on=date(2025, 2, 1)
    )
    builders.allocate(
        session, usd, [("capacity_building", "600.00"), ("technology_innovation", "400.00")]
    )
    builders.allocate(session, eur, [("capacity_building", "500.00")])
    factories.receipt(session, commitment=usd, amount="500.00", currency="USD", on=date(2024, 6, 1))
    factories.receipt(session, commitment=gbp, amount="200.00", currency="GBP", on=date(2025, 3, 1))

    in_eur = funding_report.funding_figures(
        session, first_year=2024, last_year=2025, currency="EUR"
    )
    years = {y.year: y for y in in_eur.by_year}
    expected_2024 = Decimal("1000.00") / Decimal("1.25") + Decimal("500.00")
    assert years[2024].pledged == expected_2024.quantize(Decimal("0.01"))  # 1300.00
    assert years[2024].received == (Decimal("500.00") / Decimal("1.25")).quantize(Decimal("0.01"))
    assert years[2025].pledged == (Decimal("400.00") / Decimal("0.80")).quantize(Decimal("0.01"))
    assert in_eur.rates.used == (("GBP", date(2024, 1, 1)), ("USD", date(2024, 1, 1)))
    assert in_eur.rates.oldest_rate_date == date(2024, 1, 1)
    pillars = {(p.year, p.pillar): p for p in in_eur.by_pillar}
    cb = pillars[(2024, "Capacity Building")]
    assert cb.pledged == Decimal("600.00") / Decimal("1.25") + Decimal("500.00")
    # Received pro rata: 500 USD received against a commitment 60 % Capacity Building.
    assert cb.received == (Decimal("500.00") * Decimal("0.6") / Decimal("1.25")).quantize(
        Decimal("0.01")
    )
    kinds = {k.key: k for k in in_eur.by_kind}
    assert kinds["industry"].pledged == Decimal("800.00")

    in_usd = funding_report.funding_figures(
        session, first_year=2024, last_year=2025, currency="USD"
    )
    usd_years = {y.year: y for y in in_usd.by_year}
    assert usd_years[2024].pledged == Decimal("1000.00") + Decimal("500.00") * Decimal("1.25")
    # GBP has no direct USD rate: converted through EUR (400 / 0.80 * 1.25).
    assert usd_years[2025].pledged == Decimal("625.00")
    assert in_usd.rates.unconverted == ()
    assert [s.code for s in in_usd.rates.spans if s.via_pivot] == ["GBP"]
    assert "GBP 2024-01-01 (via EUR)" in in_usd.rates.note


def test_funding_without_a_rate_names_the_currency(session: Session) -> None:
    factories.commitment(session, amount="100.00", currency="USD", pledged_on=date(2024, 3, 1))
    figures = funding_report.funding_figures(
        session, first_year=2024, last_year=2024, currency="EUR"
    )
    assert figures.by_year[0].pledged == Decimal("0.00")
    assert figures.rates.unconverted == ("USD",)
    assert "no rate" in figures.rates.note


def test_partnership_figures_and_renewals(session: Session) -> None:
    today = date(2026, 3, 1)
    soon = builders.partnership(
        session,
        start=date(2020, 1, 1),
        end=today + timedelta(days=120),
        notice_days=60,
        pillars=["technology_innovation"],
    )
    builders.partnership(  # notice date 150 days ahead: not yet
        session, start=date(2021, 1, 1), end=today + timedelta(days=240), notice_days=90
    )
    overdue = builders.partnership(  # renewal date passed already: due (overdue)
        session, start=date(2021, 1, 1), end=today + timedelta(days=10), notice_days=30
    )
    builders.partnership(  # still recorded as active, end date passed: expired, not due
        session, start=date(2021, 1, 1), end=today - timedelta(days=1), notice_days=30
    )
    builders.partnership(
        session,
        type=PartnershipType.FUNDING,
        status=PartnershipStatus.ENDED,
        start=date(2015, 1, 1),
        end=date(2019, 1, 1),
        pillars=["capacity_building"],
    )
    data = partnership_report.partnership_figures(session, on=today)
    # The status on ``today``: the agreement past its end date shows as expired.
    assert dict(data.by_status) == {"active": 3, "expired": 1, "ended": 1}
    assert data.in_force == 3 == agreements.count_in_force(session, on=today)
    assert data.expired == 1
    assert dict(data.by_type) == {"technology": 4, "funding": 1}
    assert dict(data.by_pillar) == {"Technology & Innovation": 1, "Capacity Building": 1}
    # Renewals due: overdue first, then within 90 days; the same as the one definition.
    assert [r.title for r in data.renewals] == [overdue.title, soon.title]
    assert [r.overdue(today) for r in data.renewals] == [True, False]
    assert len(data.renewals) == agreements.count_renewals_due(session, on=today)
    assert data.renewals[1].notice_date == today + timedelta(days=60)
    assert (2020, "technology", 1) in data.new_per_year
    active = partnership_report.partnership_figures(session, on=today, status="active")
    assert dict(active.by_type) == {"technology": 3}
    expired = partnership_report.partnership_figures(session, on=today, status="expired")
    assert dict(expired.by_type) == {"technology": 1}


def test_training_figures(session: Session, network: dict) -> None:
    guest = factories.organization(session)
    builders.training(
        session,
        on=date(2024, 3, 1),
        hotlines=[(network["at"], 4, "4.00"), (network["nl"], 2, "2.50")],
        organizations=[(guest, 5)],
    )
    builders.training(
        session,
        on=date(2024, 9, 1),
        kind=TrainingKind.WEBINAR,
        pillar_code="technology_innovation",
        hotlines=[(network["at"], 1, None)],
    )
    data = training_report.training_figures(session, first_year=2024, last_year=2024)
    assert {(r.key, r.events, r.participants) for r in data.by_kind} == {
        ("workshop", 1, 11),
        ("webinar", 1, 1),
    }
    assert {r.label: (r.events, r.participants) for r in data.by_country} == {
        "Austria": (2, 5),
        "Netherlands": (1, 2),
    }
    # Weighted by participants among scored participations: (4*4 + 2.5*2) / 6 = 3.5
    assert data.feedback[0].average == Decimal("3.50")
    only = training_report.training_figures(
        session, first_year=2024, last_year=2024, pillar="technology_innovation"
    )
    assert [(r.key, r.participants) for r in only.by_kind] == [("webinar", 1)]


def test_training_per_year_adds_up_kinds_pillars_and_feedback(
    session: Session, network: dict
) -> None:
    """One pass grouped by year, kind and pillar gives each breakdown whole: a kind spread over
    two pillars, a year whose only training has no participants (counted, no feedback row)."""
    at, nl = network["at"], network["nl"]
    builders.training(session, on=date(2023, 2, 1), hotlines=[(at, 3, "5.00")])
    builders.training(
        session, on=date(2023, 5, 1), pillar_code="technology_innovation", hotlines=[(nl, 7, "2")]
    )
    builders.training(
        session,
        on=date(2023, 6, 1),
        kind=TrainingKind.WEBINAR,
        pillar_code="technology_innovation",
        hotlines=[(at, 2, None)],
    )
    builders.training(session, on=date(2024, 4, 1))
    data = training_report.training_figures(session, first_year=2023, last_year=2024)
    assert [(r.year, r.key, r.events, r.participants) for r in data.by_kind] == [
        (2023, "webinar", 1, 2),
        (2023, "workshop", 2, 10),
        (2024, "workshop", 1, 0),
    ]
    # Capacity Building (the default pillar), then Technology & Innovation: by name in a year.
    assert [(r.year, r.events, r.participants) for r in data.by_pillar] == [
        (2023, 1, 3),
        (2023, 2, 9),
        (2024, 1, 0),
    ]
    assert data.by_pillar[0].key < data.by_pillar[1].key
    # 2023: (5*3 + 2*7) / 10 scored participants = 2.9; 2024 has no participation row.
    assert [(f.year, f.responses, f.average) for f in data.feedback] == [(2023, 2, Decimal("2.90"))]


def test_training_reach_counts_each_event_once_per_country_and_ranks_most_first(
    session: Session, network: dict
) -> None:
    """Two hotlines of one country at one training: one event for the country, two for the
    hotlines. Countries and hotlines rank by participants, then name; an organization's
    participants count for the year, not for any country."""
    at, nl = network["at"], network["nl"]
    graz = factories.hotline(session, country="AT", name="Hotline AT Graz")
    brussels = factories.hotline(session, country="BE", name="Hotline BE")
    guest = factories.organization(session)
    builders.training(
        session,
        on=date(2024, 3, 1),
        hotlines=[(at, 4, "4"), (graz, 3, None), (nl, 7, None)],
        organizations=[(guest, 10)],
    )
    builders.training(session, on=date(2024, 5, 1), hotlines=[(at, 2, None), (brussels, 7, "2")])
    data = training_report.training_figures(session, first_year=2024, last_year=2024)
    assert [(r.label, r.events, r.participants) for r in data.by_country] == [
        ("Austria", 2, 9),
        ("Belgium", 1, 7),  # ties with the Netherlands: by name
        ("Netherlands", 1, 7),
    ]
    assert [(r.label, r.events, r.participants) for r in data.by_hotline] == [
        ("Hotline BE", 1, 7),
        ("Hotline NL", 1, 7),
        ("Hotline AT", 2, 6),
        ("Hotline AT Graz", 1, 3),
    ]
    assert [(r.events, r.participants) for r in data.by_kind] == [(2, 33)]
    # (4*4 + 2*7) / 11 scored participants = 2.727...
    assert [(f.responses, f.average) for f in data.feedback] == [(2, Decimal("2.73"))]


def test_elapsed_share() -> None:
    assert pillar_report.elapsed_share(2020, today=date(2021, 6, 1)) == 1
    assert pillar_report.elapsed_share(2022, today=date(2021, 6, 1)) == 0
    assert pillar_report.elapsed_share(2021, today=date(2021, 12, 31)) == 1
    assert pillar_report.elapsed_share(2024, today=date(2024, 1, 1)) == Decimal("0.0027")


def test_pillar_actuals_and_signal(session: Session, network: dict) -> None:
    year = TODAY.year - 1
    cb = "capacity_building"
    builders.training(session, on=date(year, 2, 1), hotlines=[(network["at"], 3, None)])
    builders.training(
        session, on=date(year, 5, 1), hotlines=[(network["at"], 2, None), (network["nl"], 4, None)]
    )
    builders.training(session, on=date(year, 6, 1), pillar_code="technology_innovation")
    builders.target(
        session, pillar_code=cb, year=year, indicator=PillarIndicator.TRAININGS_HELD, value="2"
    )
    builders.target(
        session,
        pillar_code=cb,
        year=year,
        indicator=PillarIndicator.TRAINING_PARTICIPANTS,
        value="10",
    )
    builders.target(
        session, pillar_code=cb, year=year, indicator=PillarIndicator.HOTLINES_TRAINED, value="2"
    )
    builders.target(
        session,
        pillar_code="network_expansion",
        year=year,
        indicator=PillarIndicator.COUNTRIES_COVERED,
        value="4",
    )
    data = pillar_report.pillar_progress(session, year=year, today=TODAY)
    rows = {r.indicator: r for r in data.rows}
    assert rows[PillarIndicator.TRAININGS_HELD].actual == 2
    assert rows[PillarIndicator.TRAININGS_HELD].on_track
    assert rows[PillarIndicator.TRAINING_PARTICIPANTS].actual == 9
    assert not rows[PillarIndicator.TRAINING_PARTICIPANTS].on_track  # 9 < 10 in a past year
    assert rows[PillarIndicator.HOTLINES_TRAINED].actual == 2
    expected_covered = coverage_summary(session, on=date(year, 12, 31)).countries_covered
    assert rows[PillarIndicator.COUNTRIES_COVERED].actual == expected_covered
    assert data.elapsed_share == 1


def test_pillar_signal_uses_the_elapsed_share_this_year(session: Session, network: dict) -> None:
    builders.target(
        session,
        pillar_code="network_expansion",
        year=TODAY.year,
        indicator=PillarIndicator.MEMBER_HOTLINES,
        value="4",
    )
    data = pillar_report.pillar_progress(session, year=TODAY.year, today=TODAY)
    (row,) = data.rows
    assert row.actual == coverage_summary(session, on=TODAY).member_hotlines == 3
    # A stock: the straight path from its value on 31 December last year (3) to the target.
    assert row.kind is IndicatorKind.STOCK
    assert row.start == coverage_summary(session, on=date(TODAY.year - 1, 12, 31)).member_hotlines
    share = pillar_report.elapsed_share(TODAY.year, today=TODAY)
    assert row.expected == (Decimal(3) + Decimal(1) * share).quantize(Decimal("0.01"))
    assert row.on_track is (Decimal(3) >= row.expected)


def test_pillar_funding_actual_is_received_pro_rata_in_eur(session: Session) -> None:
    year = TODAY.year - 1
    factories.rate(session, base="EUR", quote="USD", on=date(year, 1, 1), value="2.00")
    pledge = factories.commitment(
        session, amount="1000.00", currency="USD", pledged_on=date(year, 1, 5)
    )
    builders.allocate(
        session, pledge, [("technology_innovation", "250.00"), ("capacity_building", "750.00")]
    )
    factories.receipt(
        session, commitment=pledge, amount="800.00", currency="USD", on=date(year, 3, 1)
    )
    builders.target(
        session,
        pillar_code="technology_innovation",
        year=year,
        indicator=PillarIndicator.FUNDING_RECEIVED_EUR,
        value="100",
    )
    data = pillar_report.pillar_progress(session, year=year, today=TODAY)
    (row,) = data.rows
    assert row.actual == Decimal("800.00") * Decimal("0.25") / Decimal("2.00")  # 100.00
    assert row.on_track
    assert data.rates is not None and data.rates.used == (("USD", date(year, 1, 1)),)


def test_hotline_activity(session: Session, network: dict) -> None:
    for hotline, value in ((network["at"], "120"), (network["nl"], "3")):
        builders.statistic(
            session,
            hotline=hotline,
            metric_code="reports_received",
            quarter_start=date(2024, 1, 1),
            value=value,
        )
    builders.statistic(
        session,
        hotline=network["at"],
        metric_code="reports_received",
        quarter_start=date(2024, 4, 1),
        value="80",
    )
    for hotline, value in ((network["at"], "90"), (network["nl"], "70")):
        builders.statistic(
            session,
            hotline=hotline,
            metric_code="removed_within_3_days_pct",
            quarter_start=date(2024, 1, 1),
            value=value,
        )
    data = activity_report.hotline_activity(
        session, metric_code="reports_received", group_by="hotline", first_year=2024, last_year=2024
    )
    assert [(p.period_start, p.value) for p in data.by_period] == [
        (date(2024, 1, 1), Decimal("123")),
        (date(2024, 4, 1), Decimal("80")),
    ]
    assert {p.group: p.value for p in data.by_group} == {"Hotline AT": 200, "Hotline NL": 3}
    assert data.versions == (2,)  # content URLs, counted since 2020
    assert data.metric is not None and data.metric.version == 2 and not data.unit_changes
    share = activity_report.hotline_activity(
        session, metric_code="removed_within_3_days_pct", first_year=2024, last_year=2024
    )
    assert share.by_period[0].value == Decimal("80.00")  # the mean, not the sum
    none = activity_report.hotline_activity(
        session, metric_code="reports_received", first_year=2024, last_year=2024, region="Asia"
    )
    assert none.is_empty
    unknown = activity_report.hotline_activity(
        session, metric_code="nope", first_year=2024, last_year=2024
    )
    assert unknown.metric is None and unknown.is_empty


def test_figures_of_different_units_are_never_added_and_the_change_is_said(
    session: Session, network: dict
) -> None:
    """Reports until 2019, content URLs from 2020: one series per version, the change marked,
    and the totals by group in the latest unit only."""
    for quarter_start, value in ((date(2019, 10, 1), "100"), (date(2020, 1, 1), "450")):
        builders.statistic(
            session,
            hotline=network["at"],
            metric_code="reports_received",
            quarter_start=quarter_start,
            value=value,
        )
    data = activity_report.hotline_activity(
        session, metric_code="reports_received", group_by="hotline", first_year=2019, last_year=2020
    )
    assert [(p.period_start, p.version, p.value) for p in data.by_period] == [
        (date(2019, 10, 1), 1, Decimal("100")),
        (date(2020, 1, 1), 2, Decimal("450")),
    ]
    assert [(c.starts, c.version, c.unit) for c in data.unit_changes] == [
        (date(2020, 1, 1), 2, MetricUnit.URLS)
    ]
    assert data.unit_changes[0].label == "from 2020 Q1: Content URLs exchanged (content URLs)"
    # 450 URLs, not 550 "reports or URLs".
    assert [(p.group, p.version, p.value) for p in data.by_group] == [
        ("Hotline AT", 2, Decimal("450"))
    ]
    assert data.group_unit is MetricUnit.URLS and data.first_unit_label == "reports"
    figure = go.Figure(activity_figures.activity_trend_figure(data))  # Plotly validates the dict
    assert [trace.name for trace in figure.data] == [
        "Hotline AT · reports",
        "Hotline AT · content URLs",
    ]
    assert "Unit changes from 2020 Q1" in figure.layout.annotations[0].text
    assert figure.layout.shapes[0].x0 == date(2020, 1, 1)


def test_median_days_are_averaged_over_hotlines_not_summed(session: Session, network: dict) -> None:
    for hotline, value in ((network["at"], "2.5"), (network["nl"], "4.5")):
        builders.statistic(
            session,
            hotline=hotline,
            metric_code="median_days_to_removal",
            quarter_start=date(2024, 1, 1),
            value=value,
        )
    data = activity_report.hotline_activity(
        session, metric_code="median_days_to_removal", first_year=2024, last_year=2024
    )
    assert [p.value for p in data.by_period] == [Decimal("3.50")]


def test_overview_kpis(session: Session, network: dict) -> None:
    builders.training(session, on=TODAY, hotlines=[(network["at"], 3, None)])
    data = growth_report.overview(session, today=TODAY)
    kpis = {k.key: k for k in data.kpis}
    assert kpis["member_hotlines"].value == 3
    assert kpis["countries_covered"].value == 4
    assert kpis["trainings"].value == 1 and kpis["participants"].value == 3
    assert kpis["pledged"].unit == "EUR"
    assert data.growth[-1].member_hotlines == 3


def test_empty_database_gives_empty_results(session: Session) -> None:
    assert coverage_report.coverage_map(session, on=TODAY).is_empty
    assert growth_report.overview(session, today=TODAY).is_empty
    assert partnership_report.partnership_figures(session, on=TODAY).is_empty
    assert funding_report.funding_figures(session, first_year=2020, last_year=2021).is_empty
    assert training_report.training_figures(session, first_year=2020, last_year=2021).is_empty
    assert pillar_report.pillar_progress(session, year=2021, today=TODAY).is_empty
    assert activity_report.hotline_activity(
        session, metric_code="reports_received", first_year=2020, last_year=2021
    ).is_empty


def test_partnership_indicators_count_the_agreements_in_force(session: Session) -> None:
    today = date(2026, 3, 1)
    org = factories.organization(session)
    builders.partnership(session, organization=org, start=date(2020, 1, 1))
    builders.partnership(  # same partner, a second agreement: one partner organization
        session, organization=org, type=PartnershipType.DATA_SHARING, start=date(2021, 1, 1)
    )
    builders.partnership(session, type=PartnershipType.FUNDING, start=date(2019, 1, 1))
    builders.partnership(  # still recorded as active, past its end date: expired, not counted
        session, start=date(2020, 1, 1), end=today - timedelta(days=1)
    )
    builders.partnership(  # ended in 2025: counted at the end of 2024, not today
        session, status=PartnershipStatus.ENDED, start=date(2020, 1, 1), end=date(2025, 5, 31)
    )
    builders.partnership(session, start=today + timedelta(days=1))  # not started yet
    pillar_id = builders.pillar(session, "technology_innovation").id

    def actual(indicator: PillarIndicator, year: int) -> Decimal:
        value, _ = pillar_report.indicator_actual(
            session, indicator=indicator, pillar_id=pillar_id, year=year, today=today
        )
        return value

    assert actual(PillarIndicator.ACTIVE_PARTNERSHIPS, 2026) == 3
    assert agreements.count_in_force(session, on=today) == 3
    assert actual(PillarIndicator.TECHNOLOGY_PARTNERSHIPS, 2026) == 2
    assert actual(PillarIndicator.PARTNER_ORGANIZATIONS, 2026) == 2
    # 31 December 2024: the expired one was running, so was the one ended in 2025.
    assert actual(PillarIndicator.ACTIVE_PARTNERSHIPS, 2024) == 5
    assert agreements.count_in_force(session, on=date(2024, 12, 31)) == 5
    assert actual(PillarIndicator.TECHNOLOGY_PARTNERSHIPS, 2024) == 4
    assert actual(PillarIndicator.ACTIVE_PARTNERSHIPS, 2019) == 1


# --- pillar indicators: stocks against the straight path, flows against target x share -------


def test_every_indicator_is_a_stock_or_a_flow() -> None:
    stocks = {i for i in PillarIndicator if i.kind is IndicatorKind.STOCK}
    assert stocks == {
        PillarIndicator.MEMBER_HOTLINES,
        PillarIndicator.COUNTRIES_COVERED,
        PillarIndicator.ACTIVE_PARTNERSHIPS,
        PillarIndicator.PARTNER_ORGANIZATIONS,
        PillarIndicator.TECHNOLOGY_PARTNERSHIPS,
    }
    assert {i for i in PillarIndicator if i.kind is IndicatorKind.FLOW} == {
        PillarIndicator.TRAININGS_HELD,
        PillarIndicator.TRAINING_PARTICIPANTS,
        PillarIndicator.HOTLINES_TRAINED,
        PillarIndicator.FUNDING_RECEIVED_EUR,
        PillarIndicator.EXPANSION_TARGETS_ADVANCED,
    }


MID_2026 = date(2026, 7, 2)  # day 183 of 365


def test_a_stock_that_did_not_move_with_a_gap_to_its_target_is_behind_mid_year(
    session: Session, network: dict
) -> None:
    # Three members on 31 Dec 2025 and still three in July; the target is four.
    builders.target(
        session,
        pillar_code="network_expansion",
        year=2026,
        indicator=PillarIndicator.MEMBER_HOTLINES,
        value="4",
    )
    (row,) = pillar_report.pillar_progress(session, year=2026, today=MID_2026).rows
    assert (row.start, row.actual) == (Decimal(3), Decimal(3))
    assert row.expected == Decimal("3.50")  # 3 + (4 - 3) x 0.5014
    assert not row.on_track
    # Under "target x share" (2.01) the same row would have looked on track.


def test_a_stock_on_its_straight_path_is_on_track_and_a_past_year_needs_the_whole_target(
    session: Session, network: dict
) -> None:
    factories.hotline(session, country="FR", events=[(date(2026, 3, 2), F)])
    builders.target(
        session,
        pillar_code="network_expansion",
        year=2026,
        indicator=PillarIndicator.MEMBER_HOTLINES,
        value="5",
    )
    (row,) = pillar_report.pillar_progress(session, year=2026, today=MID_2026).rows
    assert (row.start, row.actual, row.expected) == (Decimal(3), Decimal(4), Decimal("4.00"))
    assert row.on_track
    (past,) = pillar_report.pillar_progress(session, year=2026, today=date(2027, 2, 1)).rows
    assert (past.actual, past.expected, past.on_track) == (Decimal(4), Decimal("5.00"), False)


def test_a_flow_exactly_at_target_times_share_is_on_track_one_short_is_behind(
    session: Session,
) -> None:
    today = date(2026, 3, 14)  # day 73 of 365: exactly a fifth of the year
    assert pillar_report.elapsed_share(2026, today=today) == Decimal("0.2")
    builders.target(
        session,
        pillar_code="capacity_building",
        year=2026,
        indicator=PillarIndicator.TRAININGS_HELD,
        value="10",
    )
    builders.training(session, on=date(2026, 1, 20))
    (row,) = pillar_report.pillar_progress(session, year=2026, today=today).rows
    assert (row.kind, row.start, row.expected) == (IndicatorKind.FLOW, None, Decimal("2.00"))
    assert (row.actual, row.on_track) == (Decimal(1), False)
    builders.training(session, on=date(2026, 3, 14))
    (row,) = pillar_report.pillar_progress(session, year=2026, today=today).rows
    assert (row.actual, row.on_track) == (Decimal(2), True)


def test_expected_by_now_is_one_rule_for_both_kinds() -> None:
    half = Decimal("0.5")
    stock = pillar_report.expected_by_now(
        kind=IndicatorKind.STOCK, target=Decimal(60), start=Decimal(50), share=half
    )
    flow = pillar_report.expected_by_now(
        kind=IndicatorKind.FLOW, target=Decimal(60), start=None, share=half
    )
    assert (stock, flow) == (Decimal("55.00"), Decimal("30.00"))
    whole = pillar_report.expected_by_now(
        kind=IndicatorKind.STOCK, target=Decimal(60), start=Decimal(50), share=Decimal(1)
    )
    assert whole == Decimal("60.00")


def test_hotline_activity_counts_approved_quarters_and_names_the_provisional_ones(
    session: Session, network: dict
) -> None:
    builders.statistic(
        session,
        hotline=network["at"],
        metric_code="reports_received",
        quarter_start=date(2024, 1, 1),
        value="120",
    )
    # Entered, not yet approved: not counted anywhere, and its quarter is provisional.
    for start in (date(2024, 1, 1), date(2024, 4, 1)):
        builders.statistic(
            session,
            hotline=network["nl"],
            metric_code="reports_received",
            quarter_start=start,
            value="50",
            approved=False,
        )
    data = activity_report.hotline_activity(
        session, metric_code="reports_received", group_by="hotline", first_year=2024, last_year=2024
    )
    assert [(p.period_start, p.value, p.hotlines) for p in data.by_period] == [
        (date(2024, 1, 1), Decimal("120"), 1)
    ]
    assert {p.group for p in data.by_group} == {"Hotline AT"}
    assert data.provisional == (date(2024, 1, 1), date(2024, 4, 1))
