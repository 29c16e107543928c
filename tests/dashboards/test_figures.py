"""Figure builders, exports and URL parameters are pure: tested without a database or browser."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
import pytest

from coordapp.funding.rate_info import RateSpan
from coordapp.network.coverage import CoverageStatus, CoverageSummary
from coordapp.network.models import ExpansionStage
from coordapp.pillars.models import PillarIndicator
from coordapp.reference.models import MetricUnit
from coordapp.reporting import activity as activity_report
from coordapp.reporting import coverage as coverage_report
from coordapp.reporting import funding as funding_report
from coordapp.reporting import growth as growth_report
from coordapp.reporting import partnerships as partnership_report
from coordapp.reporting import pillars as pillar_report
from coordapp.reporting import training as training_report
from coordapp.reporting.common import RateInfo
from dashboards import activity_figures, compliance_colour, exports, figures, params
from dashboards.geo import world_shapes


def country(
    code: str, alpha3: str, name: str, status: CoverageStatus, **extra: object
) -> coverage_report.MapCountry:
    return coverage_report.MapCountry(
        code=code,
        alpha3=alpha3,
        name=name,
        region="Europe",
        status=status,
        hotlines=extra.get("hotlines", ()),  # type: ignore[arg-type]
        member_since=extra.get("since"),  # type: ignore[arg-type]
        pipeline_stage=extra.get("stage"),  # type: ignore[arg-type]
    )


COVERAGE = coverage_report.CoverageMap(
    on=date(2001, 12, 31),
    region=None,
    countries=(
        country(
            "AT",
            "AUT",
            "Austria",
            CoverageStatus.FULL,
            hotlines=("Hotline AT",),
            since=date(1999, 11, 30),
        ),
        country("MT", "MLT", "Malta", CoverageStatus.PROVISIONAL, hotlines=("Hotline MT",)),
        country("NG", "NGA", "Nigeria", CoverageStatus.PIPELINE, stage=ExpansionStage.SCOPING),
        country("FR", "FRA", "France", CoverageStatus.NONE),
        country("GI", "GIB", "Gibraltar", CoverageStatus.FULL),
    ),
    summary=CoverageSummary(
        on=date(2001, 12, 31),
        member_hotlines=2,
        full_hotlines=1,
        provisional_hotlines=1,
        countries_covered=2,
        countries_full=1,
        countries_provisional=1,
        countries_in_pipeline=1,
        territories_covered=1,
    ),
)


def validated(fig: dict[str, Any]) -> go.Figure:
    """The builder's plain dict is a valid Plotly figure (every property checked) and already
    exactly what Plotly makes of it: the browser gets what ``go.Figure`` would have sent."""
    figure = go.Figure(fig)
    assert json.loads(pio.to_json(figure)) == json.loads(pio.to_json(fig))
    return figure


def test_world_shapes_are_read_once_from_the_served_topojson() -> None:
    shapes = world_shapes()
    assert len(shapes.with_shape) > 170
    assert {"AUT", "FRA", "USA", "LUX"} <= shapes.with_shape
    assert not shapes.has_shape("MLT") and not shapes.has_shape("SGP")
    assert "MLT" in shapes.centroids and "SGP" in shapes.centroids
    assert world_shapes() is shapes


def test_compliance_map_figure_colours_the_share_met_and_greys_the_rest() -> None:
    fig = validated(compliance_colour.compliance_map_figure(COVERAGE, {"AT": 0.5}, world_shapes()))
    rest, rated = fig.data
    assert list(rated.locations) == ["AUT"] and list(rated.z) == [50.0]
    assert rated.colorscale[0][1] == "rgb(165,0,38)" and rated.zmax == 100
    assert "AUT" not in rest.locations and "FRA" in rest.locations


def test_coverage_map_figure() -> None:
    fig = validated(figures.coverage_map_figure(COVERAGE, world_shapes()))
    choropleths = {t.name: t for t in fig.data if t.type == "choropleth"}
    assert list(choropleths) == [
        "No hotline",
        "Expansion pipeline",
        "Provisional member",
        "Full member",
    ]
    assert list(choropleths["Full member"].locations) == ["AUT"]
    assert list(choropleths["Full member"].customdata) == ["AT"]
    assert list(choropleths["Expansion pipeline"].locations) == ["NGA"]
    assert "Scoping" in choropleths["Expansion pipeline"].hovertext[0]
    hover = choropleths["Full member"].hovertext[0]
    assert (
        "Austria" in hover
        and "Hotline AT" in hover
        and "1999-11-30" in hover
        and "Full member" in hover
    )
    (markers,) = [t for t in fig.data if t.type == "scattergeo"]
    assert list(markers.customdata) == ["MT"]  # Gibraltar has neither shape nor centre
    assert fig.layout.geo.projection.rotation.lon == 0
    assert fig.layout.geo.resolution == 110 and fig.layout.geo.scope == "world"
    assert [c.code for c in figures.small_covered_countries(COVERAGE, world_shapes())] == [
        "MT",
        "GI",
    ]


def test_map_hover_shows_names_as_text_not_markup() -> None:
    hostile = coverage_report.CoverageMap(
        on=COVERAGE.on,
        region=None,
        countries=(
            country(
                "AT",
                "AUT",
                "Austria",
                CoverageStatus.FULL,
                hotlines=("<b>x</b>", '<img src=x onerror="alert(1)">', "A & B"),
            ),
            country("MT", "MLT", "Malta", CoverageStatus.FULL, hotlines=("<i>MT</i>",)),
        ),
        summary=COVERAGE.summary,
    )
    fig = validated(figures.coverage_map_figure(hostile, world_shapes()))
    (full,) = [t for t in fig.data if t.type == "choropleth" and t.name == "Full member"]
    hover = full.hovertext[0]
    assert "<b>x</b>" not in hover and "<img" not in hover
    assert "&lt;b&gt;x&lt;/b&gt;" in hover and "&lt;img src=x" in hover and "A &amp; B" in hover
    assert "<b>Austria</b>" in hover  # the figure's own markup stays
    (markers,) = [t for t in fig.data if t.type == "scattergeo"]
    assert "&lt;i&gt;MT&lt;/i&gt;" in markers.hovertext[0]


def test_region_map_zooms_to_its_countries() -> None:
    europe = coverage_report.CoverageMap(
        on=COVERAGE.on,
        region="Europe",
        countries=COVERAGE.countries[:1],
        summary=COVERAGE.summary,
    )
    geo = validated(figures.coverage_map_figure(europe, world_shapes())).layout.geo
    assert geo.lonaxis.range == (-25, 50) and geo.lataxis.range == (34, 72)
    assert geo.projection.rotation.lon == 0


def test_growth_figure_and_its_empty_state() -> None:
    growth = (
        growth_report.GrowthPoint(1999, date(1999, 12, 31), 8, 8, 0, 7, 1),
        growth_report.GrowthPoint(2000, date(2000, 12, 31), 9, 8, 1, 8, 2),
    )
    fig = validated(figures.growth_figure(growth))
    assert [list(t.y) for t in fig.data] == [[8, 8], [0, 1], [7, 8], [1, 2]]
    assert [t.name for t in fig.data][2:] == ["Countries covered", "Territories covered"]
    empty = validated(
        figures.growth_figure((growth_report.GrowthPoint(1999, date(1999, 12, 31), 0, 0, 0, 0),))
    )
    assert "No member hotlines" in empty.layout.annotations[0].text


def test_funding_figure_plots_decimals_as_floats() -> None:
    data = funding_report.FundingFigures(
        first_year=2024,
        last_year=2025,
        rates=RateInfo(
            "EUR", spans=(RateSpan("USD", date(2025, 12, 1), date(2025, 12, 1), False),)
        ),
        by_year=(
            funding_report.FundingYear(2024, Decimal("1300.00"), Decimal("400.00")),
            funding_report.FundingYear(2025, Decimal("0.00"), Decimal("0.00")),
        ),
        by_pillar=(
            funding_report.FundingPillarYear(
                2024, "Capacity Building", Decimal("900.00"), Decimal("240.00")
            ),
        ),
        by_funder=(("Funder", "industry", Decimal("800.00"), Decimal("400.00")),),
        by_kind=(funding_report.FundingShare("industry", Decimal("800.00"), Decimal("400.00")),),
    )
    fig = validated(figures.funding_by_year_figure(data))
    assert list(fig.data[0].y) == [1300.0, 0.0] and list(fig.data[1].y) == [400.0, 0.0]
    pillar = validated(figures.funding_by_pillar_figure(data, measure="received"))
    assert list(pillar.data[0].y) == [240.0, 0.0]
    assert data.rates.note == "in EUR, each row at the rate of its own date: USD 2025-12-01"


def test_pillar_figure_colours_the_signal() -> None:
    rows = (
        pillar_report.PillarProgress(
            "cb",
            "Capacity Building",
            PillarIndicator.TRAININGS_HELD,
            None,
            Decimal(4),
            Decimal(3),
            Decimal(2),
        ),
        pillar_report.PillarProgress(
            "cb",
            "Capacity Building",
            PillarIndicator.HOTLINES_TRAINED,
            None,
            Decimal(10),
            Decimal(1),
            Decimal(5),
        ),
    )
    data = pillar_report.PillarFigures(2026, date(2026, 6, 30), Decimal("0.5"), None, rows)
    bar = validated(figures.pillar_progress_figure(data)).data[0]
    assert list(bar.x) == [10.0, 75.0]  # reversed: the first row is drawn at the top
    assert list(bar.marker.color) == [figures.BEHIND, figures.ON_TRACK]


def test_csv_export_is_stamped() -> None:
    text = exports.document(
        title="Funding",
        stamp=[
            ("filters", "?from=2024"),
            ("as of", date(2026, 1, 2)),
            ("exchange-rate date", date(2025, 12, 1)),
        ],
        columns=["year", "pledged"],
        rows=[[2024, Decimal("1300.00")]],
    ).csv()
    assert text.splitlines() == [
        "# Funding",
        "# filters: ?from=2024",
        "# as of: 2026-01-02",
        "# exchange-rate date: 2025-12-01",
        "year,pledged",
        "2024,1300.00",
    ]
    assert exports.suppress_small(Decimal(3), suppress=True) == "<5"
    assert exports.suppress_small(Decimal(5), suppress=True) == Decimal(5)
    assert exports.suppress_small(Decimal(3), suppress=False) == Decimal(3)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2010", 2010),
        (2010, 2010),
        ("1800", 2026),
        ("abc", 2026),
        (None, 2026),
        ("", 2026),
        ("2010.5", 2026),
        ([1], 2026),
    ],
)
def test_year_parameter_falls_back_to_the_default(value: object, expected: int) -> None:
    assert params.year(value, default=2026, lowest=1999, highest=2026) == expected


def test_other_parameters() -> None:
    assert params.query_dict("?year=2001&region=Europe&year=2002") == {
        "year": "2002",
        "region": "Europe",
    }
    assert params.query_dict(None) == {}
    assert params.to_search({"year": 2001, "region": None, "q": "a b"}) == "?year=2001&q=a+b"
    assert params.choice("Europe", ("Africa", "Europe")) == "Europe"
    assert params.choice("Atlantis", ("Africa", "Europe"), "Africa") == "Africa"
    assert params.choice(["Europe"], ("Europe",)) is None
    assert params.year_range("2020", "2010", default=(2000, 2001), lowest=1999, highest=2026) == (
        2000,
        2001,
    )
    assert params.country_code("ke", {"KE"}) == "KE"
    assert params.country_code("KEN", {"KE"}) is None
    hostile = (None, -2, "x", {"a": 1}, 1.5, 10**20)
    assert [params.count(v) for v in (3, "4", *hostile)] == [3, 4] + [0] * len(hostile)


def test_every_figure_carries_the_slim_template_set_once() -> None:
    """The template is built once, not per figure: a figure gets plotly_white's layout with
    trace defaults only for the trace types the bundle draws."""
    from dashboards.plotly_bundle import plotly_bundle

    template = validated(figures.empty_figure("nothing")).to_plotly_json()["layout"]["template"]
    assert template is not figures.TEMPLATE  # Plotly's copy; the builders share one
    assert set(template["data"]) == set(plotly_bundle().trace_types)
    assert template["layout"]["plot_bgcolor"] == "white"


_TRAINING = training_report.TrainingFigures(
    first_year=2024,
    last_year=2025,
    kind=None,
    pillar=None,
    by_kind=(training_report.TrainingCount(2024, "workshop", 2, 3),),
    by_pillar=(training_report.TrainingCount(2025, "Capacity Building", 1, 12),),
    by_country=(training_report.TrainingReach("NL", "Netherlands", 2, 3),),
    by_hotline=(training_report.TrainingReach("7", "Hotline NL", 1, 12),),
    feedback=(
        training_report.TrainingFeedback(2024, 4, Decimal("4.25")),
        training_report.TrainingFeedback(2025, 0, None),
    ),
)
_EMPTY_TRAINING = training_report.TrainingFigures(2024, 2025, None, None, (), (), (), (), ())
_METRIC = activity_report.MetricInfo(
    "reports_received", "Reports received", MetricUnit.COUNT, 2, "Reports received."
)
_POINT = activity_report.ActivityPoint(date(2024, 4, 1), "Europe", 2, Decimal(12), 3, 0)
_ACTIVITY = activity_report.ActivityFigures(
    _METRIC, "region", 2024, 2025, None, (2,), (_POINT,), (_POINT,), (_POINT,)
)
_PARTNERSHIPS = partnership_report.PartnershipFigures(
    on=date(2025, 6, 30),
    status=None,
    in_force=1,
    expired=0,
    by_status=(("active", 1),),
    by_type=(("strategic_mou", 1),),
    by_pillar=(("Capacity Building", 1),),
    by_kind=(("ngo", 1),),
    new_per_year=((2024, "strategic_mou", 1), (2025, "funding", 2)),
    renewals=(),
)
_FUNDING = funding_report.FundingFigures(
    first_year=2024,
    last_year=2024,
    rates=RateInfo("EUR", spans=()),
    by_year=(funding_report.FundingYear(2024, Decimal("10.50"), Decimal("2.25")),),
    by_pillar=(),
    by_funder=(("Funder", "industry", Decimal("10.50"), Decimal("2.25")),),
    by_kind=(funding_report.FundingShare("industry", Decimal("10.50"), Decimal("2.25")),),
)


@pytest.mark.parametrize(
    "build",
    [
        lambda: figures.count_bars(_PARTNERSHIPS.by_type, empty="none"),
        lambda: figures.count_bars(_PARTNERSHIPS.by_pillar, empty="none", horizontal=True),
        lambda: figures.count_bars((), empty="No partnerships."),
        lambda: figures.partnerships_per_year_figure(_PARTNERSHIPS),
        lambda: figures.funding_by_year_figure(_FUNDING),
        lambda: figures.funding_by_pillar_figure(_FUNDING),
        lambda: figures.funding_by_funder_figure(_FUNDING),
        lambda: figures.funding_by_kind_figure(_FUNDING),
        lambda: figures.training_per_year_figure(_TRAINING),
        lambda: figures.training_per_year_figure(_TRAINING, by="pillar", measure="participants"),
        lambda: figures.training_per_year_figure(_EMPTY_TRAINING),
        lambda: figures.training_reach_figure(_TRAINING),
        lambda: figures.training_reach_figure(_TRAINING, by="hotline"),
        lambda: figures.training_reach_figure(_EMPTY_TRAINING),
        lambda: figures.training_feedback_figure(_TRAINING),
        lambda: figures.training_feedback_figure(_EMPTY_TRAINING),
        lambda: activity_figures.activity_trend_figure(_ACTIVITY),
        lambda: activity_figures.activity_groups_figure(_ACTIVITY),
        lambda: activity_figures.activity_trend_figure(
            dataclasses.replace(_ACTIVITY, group_by="network", by_period=(_POINT,))
        ),
    ],
)
def test_every_builder_gives_the_figure_plotly_would(build: Any) -> None:
    validated(build())


def test_figures_keep_their_hover_and_titles() -> None:
    per_year = validated(figures.partnerships_per_year_figure(_PARTNERSHIPS))
    assert [t.name for t in per_year.data] == ["Funding", "Strategic MoU"]
    assert list(per_year.data[0].y) == [0, 2] and per_year.layout.barmode == "stack"
    assert per_year.layout.yaxis.title.text == "new agreements"
    funders = validated(figures.funding_by_funder_figure(_FUNDING))
    assert list(funders.data[0].y) == ["Funder (Industry)"] and list(funders.data[1].x) == [2.25]
    trend = validated(activity_figures.activity_trend_figure(_ACTIVITY))
    assert list(trend.data[0].customdata[0]) == [2, 3, "12"]
    assert trend.layout.yaxis.title.text == "Reports received (definition v2)"
