"""Pure figure builders: service results in, Plotly figures out (no database, no request).

Money arrives as ``Decimal`` and becomes ``float`` only here, for plotting.
"""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from coordapp.disclosure import plotted
from coordapp.labels import label
from coordapp.network.coverage import (
    COUNTRIES_COVERED_LABEL,
    TERRITORIES_COVERED_LABEL,
    CoverageStatus,
)
from coordapp.reporting.activity import ActivityFigures
from coordapp.reporting.coverage import STATUS_COLORS, STATUS_LABELS, CoverageMap
from coordapp.reporting.growth import GrowthPoint
from coordapp.reporting.partnerships import PartnershipFigures
from coordapp.reporting.pillars import PillarFigures
from coordapp.reporting.service import FundingFigures
from coordapp.reporting.training import TrainingFigures
from dashboards.geo import WorldShapes
from dashboards.plotly_bundle import plotly_bundle

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
PALETTE = ("#1d4e89", "#f4a259", "#5fa8d3", "#7a9e7e", "#b56576", "#6d597a", "#e9c46a", "#8d99ae")
PLEDGED, RECEIVED = "#8d99ae", "#1d4e89"
# Map windows ((lon from, to), (lat from, to)) for the UN M49 regions of the region filter.
REGION_VIEWS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "Africa": ((-20, 55), (-36, 38)),
    "Americas": ((-170, -30), (-56, 75)),
    "Asia": ((25, 150), (-11, 56)),
    "Europe": ((-25, 50), (34, 72)),
    "Oceania": ((110, 180), (-48, 2)),
}
ON_TRACK, BEHIND = "#2a9d8f", "#d62828"


def humanize(value: str) -> str:
    """``strategic_mou`` -> ``Strategic mou``; short acronyms stay as they are."""
    special = {
        "strategic_mou": "Strategic MoU",
        "ngo": "NGO",
        "e_learning": "E-learning",
        "funding_received_eur": "Funding received (EUR)",
    }
    return special.get(value, value.replace("_", " ").capitalize())


def money(value: Decimal) -> float:
    return float(value)


def _template() -> go.layout.Template:
    """Plotly's "plotly_white" with trace defaults for the trace types the browser's bundle
    draws only: the whole template is 7 kB of every figure's JSON, for two dozen trace types,
    and validating it took most of the time of building a figure."""
    white = pio.templates["plotly_white"]
    return go.layout.Template(
        layout=white.layout,
        data={trace: white.data[trace] for trace in sorted(plotly_bundle().trace_types)},
    )


# The default for every figure, set once, at import (one thread: plotly loads its templates
# lazily and not thread-safely, and a new worker's threads building it at once made the map's
# first callback fail in a load test). Plotly then gives each new figure the template without
# validating it again (an explicit ``template=`` cost ~30 ms per figure, and the "plotly"
# default it replaced ~20 ms more).
pio.templates["coordapp"] = _template()
pio.templates.default = "coordapp"


def _layout(fig: go.Figure, *, height: int = 360, **extra: Any) -> go.Figure:
    settings: dict[str, Any] = {
        "font": {"family": FONT, "size": 13},
        "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
        "height": height,
        "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        "separators": ".,",
    }
    fig.update_layout(**{**settings, **extra})
    return fig


def empty_figure(message: str, *, height: int = 300) -> go.Figure:
    """A blank chart that says why it is blank."""
    fig = go.Figure()
    fig.add_annotation(
        text=message,
        showarrow=False,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        font={"size": 15, "color": "#6c757d"},
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, height=height)


# ---------------------------------------------------------------------------------------------
# Coverage map
# ---------------------------------------------------------------------------------------------


def _text(value: str) -> str:
    """A name as text in Plotly's hover markup: ``<b>x</b>`` shows as typed. Only &, <, > are
    escaped: Plotly decodes those entities (and numeric ones) but shows ``&quot;`` literally."""
    return html.escape(value, quote=False)


def _hover(country: Any) -> str:
    hotlines = "<br>".join(f"· {_text(name)}" for name in country.hotlines) or "none"
    since = country.member_since.isoformat() if country.member_since else "—"
    stage = (
        f"<br>Expansion stage: {humanize(country.pipeline_stage.value)}"
        if country.pipeline_stage and country.status is CoverageStatus.PIPELINE
        else ""
    )
    return (
        f"<b>{_text(country.name)}</b><br>Status: {STATUS_LABELS[country.status]}"
        f"<br>Member since: {since}<br>Hotline(s):<br>{hotlines}{stage}"
    )


def coverage_map_figure(data: CoverageMap, shapes: WorldShapes) -> go.Figure:
    """One choropleth trace per coverage status (so the legend names them); countries too small
    for the 1:110m shapes are markers at their centre. Points carry the alpha-2 code."""
    fig = go.Figure()
    by_status: dict[CoverageStatus, list[Any]] = defaultdict(list)
    small: dict[CoverageStatus, list[Any]] = defaultdict(list)
    for country in data.countries:
        if shapes.has_shape(country.alpha3):
            by_status[country.status].append(country)
        elif country.alpha3 in shapes.centroids and country.status is not CoverageStatus.NONE:
            small[country.status].append(country)
    for status in (
        CoverageStatus.NONE,
        CoverageStatus.PIPELINE,
        CoverageStatus.PROVISIONAL,
        CoverageStatus.FULL,
    ):
        countries = by_status.get(status, [])
        color = STATUS_COLORS[status]
        fig.add_trace(
            go.Choropleth(
                name=STATUS_LABELS[status],
                locations=[c.alpha3 for c in countries],
                locationmode="ISO-3",
                z=[1] * len(countries),
                zmin=0,
                zmax=1,
                colorscale=[[0, color], [1, color]],
                showscale=False,
                showlegend=True,
                marker={"line": {"color": "#ffffff", "width": 0.5}},
                customdata=[c.code for c in countries],
                hovertext=[_hover(c) for c in countries],
                hovertemplate="%{hovertext}<extra></extra>",
            )
        )
    markers = [c for status in small for c in small[status]]
    if markers:
        fig.add_trace(
            go.Scattergeo(
                name="Small countries",
                lon=[shapes.centroids[c.alpha3][0] for c in markers],
                lat=[shapes.centroids[c.alpha3][1] for c in markers],
                mode="markers",
                marker={
                    "size": 9,
                    "color": [STATUS_COLORS[c.status] for c in markers],
                    "line": {"color": "#212529", "width": 1},
                },
                customdata=[c.code for c in markers],
                hovertext=[_hover(c) for c in markers],
                hovertemplate="%{hovertext}<extra></extra>",
                showlegend=False,
            )
        )
    geo: dict[str, Any] = {
        "projection": {"type": "natural earth", "rotation": {"lon": 0}},
        "showframe": False,
        "showcoastlines": False,
        "showcountries": False,
        "showland": True,
        "landcolor": "#f1f3f5",
        "showocean": True,
        "oceancolor": "#ffffff",
        "resolution": 110,
        "scope": "world",
    }
    # Plotly's fitbounds cannot zoom to Europe (Russia crosses 180°, France's shape includes
    # French Guiana): each region has its own window; the world leaves Antarctica out.
    lon, lat = REGION_VIEWS.get(data.region or "", ((-180, 180), (-58, 85)))
    geo["lonaxis"] = {"range": list(lon)}
    geo["lataxis"] = {"range": list(lat)}
    fig.update_layout(geo=geo, uirevision=data.region or "world", clickmode="event")
    return _layout(
        fig,
        height=480,
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        legend={"orientation": "h", "yanchor": "top", "y": 0.02, "x": 0.01},
    )


def small_covered_countries(data: CoverageMap, shapes: WorldShapes) -> list[Any]:
    """Covered or pipeline countries without a 1:110m shape (listed beside the map)."""
    return [
        c
        for c in data.countries
        if not shapes.has_shape(c.alpha3) and c.status is not CoverageStatus.NONE
    ]


# ---------------------------------------------------------------------------------------------
# Overview
# ---------------------------------------------------------------------------------------------


def growth_figure(growth: Sequence[GrowthPoint]) -> go.Figure:
    if not any(p.member_hotlines for p in growth):
        return empty_figure("No member hotlines recorded yet.")
    years = [p.year for p in growth]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=years,
            y=[p.full_hotlines for p in growth],
            name="Full member hotlines",
            marker_color=STATUS_COLORS[CoverageStatus.FULL],
        )
    )
    fig.add_trace(
        go.Bar(
            x=years,
            y=[p.provisional_hotlines for p in growth],
            name="Provisional member hotlines",
            marker_color=STATUS_COLORS[CoverageStatus.PROVISIONAL],
        )
    )
    fig.add_trace(
        go.Scatter(
            x=years,
            y=[p.countries_covered for p in growth],
            name=COUNTRIES_COVERED_LABEL,
            mode="lines+markers",
            line={"color": "#f4a259", "width": 3},
        )
    )
    fig.add_trace(
        go.Scatter(
            x=years,
            y=[p.territories_covered for p in growth],
            name=TERRITORIES_COVERED_LABEL,
            mode="lines+markers",
            line={"color": "#8c6d46", "width": 2, "dash": "dot"},
        )
    )
    fig.update_layout(barmode="stack", xaxis={"dtick": 2}, yaxis={"title": "at year end"})
    return _layout(fig, height=380)


# ---------------------------------------------------------------------------------------------
# Partnerships
# ---------------------------------------------------------------------------------------------


def count_bars(
    pairs: Sequence[tuple[str, int]],
    *,
    empty: str,
    horizontal: bool = False,
    color: str = PALETTE[0],
) -> go.Figure:
    if not pairs:
        return empty_figure(empty)
    labels = [humanize(k) if k.islower() else k for k, _ in pairs]
    counts = [n for _, n in pairs]
    if horizontal:
        bar = go.Bar(y=labels[::-1], x=counts[::-1], orientation="h", marker_color=color)
    else:
        bar = go.Bar(x=labels, y=counts, marker_color=color)
    fig = go.Figure(bar)
    fig.update_traces(hovertemplate="%{label}: %{value}<extra></extra>")
    return _layout(fig, height=300, showlegend=False)


def partnerships_per_year_figure(data: PartnershipFigures) -> go.Figure:
    if not data.new_per_year:
        return empty_figure("No partnership with a start date yet.")
    years = sorted({y for y, _, _ in data.new_per_year})
    types = sorted({t for _, t, _ in data.new_per_year})
    counts = {(y, t): n for y, t, n in data.new_per_year}
    fig = go.Figure(
        [
            go.Bar(
                x=years,
                y=[counts.get((y, t), 0) for y in years],
                name=humanize(t),
                marker_color=PALETTE[i % len(PALETTE)],
            )
            for i, t in enumerate(types)
        ]
    )
    fig.update_layout(barmode="stack", yaxis={"title": "new agreements", "dtick": 1})
    return _layout(fig, height=320)


# ---------------------------------------------------------------------------------------------
# Funding
# ---------------------------------------------------------------------------------------------


def funding_by_year_figure(data: FundingFigures) -> go.Figure:
    if data.is_empty:
        return empty_figure("No funding recorded for these years.")
    years = [y.year for y in data.by_year]
    fig = go.Figure(
        [
            go.Bar(
                x=years,
                y=[money(y.pledged) for y in data.by_year],
                name="Pledged",
                marker_color=PLEDGED,
            ),
            go.Bar(
                x=years,
                y=[money(y.received) for y in data.by_year],
                name="Received",
                marker_color=RECEIVED,
            ),
        ]
    )
    fig.update_traces(
        hovertemplate="%{x}: %{y:,.0f} " + data.currency + "<extra>%{fullData.name}</extra>"
    )
    fig.update_layout(barmode="group", yaxis={"title": data.currency, "tickformat": ",.0f"})
    return _layout(fig)


def funding_by_pillar_figure(data: FundingFigures, *, measure: str = "pledged") -> go.Figure:
    if not data.by_pillar:
        return empty_figure("No funding allocated to pillars for these years.")
    years = list(range(data.first_year, data.last_year + 1))
    names = sorted({p.pillar for p in data.by_pillar})
    values = {(p.year, p.pillar): getattr(p, measure) for p in data.by_pillar}
    fig = go.Figure(
        [
            go.Bar(
                x=years,
                y=[money(values.get((y, name), Decimal(0))) for y in years],
                name=name,
                marker_color=PALETTE[i % len(PALETTE)],
            )
            for i, name in enumerate(names)
        ]
    )
    fig.update_layout(barmode="stack", yaxis={"title": data.currency, "tickformat": ",.0f"})
    return _layout(fig)


def funding_by_funder_figure(data: FundingFigures, *, top: int = 15) -> go.Figure:
    if not data.by_funder:
        return empty_figure("No funders for these years.")
    rows = list(data.by_funder[:top])[::-1]
    labels = [f"{name} ({humanize(kind)})" for name, kind, _, _ in rows]
    fig = go.Figure(
        [
            go.Bar(
                y=labels,
                x=[money(p) for _, _, p, _ in rows],
                name="Pledged",
                orientation="h",
                marker_color=PLEDGED,
            ),
            go.Bar(
                y=labels,
                x=[money(r) for _, _, _, r in rows],
                name="Received",
                orientation="h",
                marker_color=RECEIVED,
            ),
        ]
    )
    fig.update_layout(barmode="group", xaxis={"title": data.currency, "tickformat": ",.0f"})
    return _layout(fig, height=max(320, 34 * len(rows) + 80))


def funding_by_kind_figure(data: FundingFigures) -> go.Figure:
    if not data.by_kind:
        return empty_figure("No funders for these years.")
    labels = [humanize(k.key) for k in data.by_kind]
    fig = go.Figure(
        [
            go.Bar(
                x=labels,
                y=[money(k.pledged) for k in data.by_kind],
                customdata=[k.key for k in data.by_kind],
                name="Pledged",
                marker_color=PLEDGED,
            ),
            go.Bar(
                x=labels,
                y=[money(k.received) for k in data.by_kind],
                customdata=[k.key for k in data.by_kind],
                name="Received",
                marker_color=RECEIVED,
            ),
        ]
    )
    fig.update_layout(barmode="group", yaxis={"title": data.currency, "tickformat": ",.0f"})
    return _layout(fig, height=320)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


def training_per_year_figure(
    data: TrainingFigures, *, by: str = "kind", measure: str = "events"
) -> go.Figure:
    rows = data.by_kind if by == "kind" else data.by_pillar
    if not rows:
        return empty_figure("No training events for these filters.")
    years = list(range(data.first_year, data.last_year + 1))
    keys = sorted({r.key for r in rows})
    values = {(r.year, r.key): plotted(getattr(r, measure)) for r in rows}
    fig = go.Figure(
        [
            go.Bar(
                x=years,
                y=[values.get((y, k), (0, "0"))[0] for y in years],
                name=humanize(k) if k.islower() else k,
                marker_color=PALETTE[i % len(PALETTE)],
                customdata=[values.get((y, k), (0, "0"))[1] for y in years],
                hovertemplate="%{x}: %{customdata}<extra>%{fullData.name}</extra>",
            )
            for i, k in enumerate(keys)
        ]
    )
    fig.update_layout(barmode="stack", yaxis={"title": measure})
    return _layout(fig, height=340)


def training_reach_figure(
    data: TrainingFigures, *, by: str = "country", top: int = 20
) -> go.Figure:
    rows = (data.by_country if by == "country" else data.by_hotline)[:top]
    if not rows:
        return empty_figure("No hotline took part in these trainings.")
    rows = rows[::-1]
    fig = go.Figure(
        go.Bar(
            y=[r.label for r in rows],
            x=[plotted(r.participants)[0] for r in rows],
            orientation="h",
            marker_color=PALETTE[0],
            customdata=[[r.events, plotted(r.participants)[1]] for r in rows],
            hovertemplate="%{y}: %{customdata[1]} participants in %{customdata[0]} events"
            "<extra></extra>",
        )
    )
    fig.update_layout(xaxis={"title": "participants"})
    return _layout(fig, height=max(300, 24 * len(rows) + 80), showlegend=False)


def training_feedback_figure(data: TrainingFigures) -> go.Figure:
    points = [f for f in data.feedback if f.average is not None]
    if not points:
        return empty_figure("No feedback scores recorded.")
    fig = go.Figure(
        go.Scatter(
            x=[f.year for f in points],
            y=[float(f.average) for f in points if f.average is not None],
            customdata=[f.responses for f in points],
            mode="lines+markers",
            line={"color": PALETTE[0], "width": 3},
            hovertemplate="%{x}: %{y:.2f} (%{customdata} scores)<extra></extra>",
        )
    )
    fig.update_layout(yaxis={"range": [1, 5], "title": "average score (1–5)"})
    return _layout(fig, height=300, showlegend=False)


# ---------------------------------------------------------------------------------------------
# Pillars
# ---------------------------------------------------------------------------------------------


def pillar_progress_figure(data: PillarFigures) -> go.Figure:
    """Actual as a share of target per indicator, with the expected share as a marker."""
    if data.is_empty:
        return empty_figure(f"No pillar targets set for {data.year}.")
    rows = list(data.rows)[::-1]
    labels = [f"{r.pillar_name} · {label(r.indicator)}" for r in rows]

    def pct(value: Decimal, target: Decimal) -> float:
        return float(value / target * 100) if target else 0.0

    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=labels,
            x=[min(pct(r.actual, r.target), 150) for r in rows],
            orientation="h",
            name="Actual (% of target)",
            marker_color=[ON_TRACK if r.on_track else BEHIND for r in rows],
            customdata=[[str(r.actual), str(r.target), str(r.expected)] for r in rows],
            hovertemplate="%{y}<br>actual %{customdata[0]} of target %{customdata[1]}"
            "<br>expected by now %{customdata[2]}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            y=labels,
            x=[pct(r.expected, r.target) for r in rows],
            mode="markers",
            name="Expected by now",
            marker={"symbol": "line-ns-open", "size": 22, "color": "#212529", "line": {"width": 3}},
            hoverinfo="skip",
        )
    )
    fig.add_vline(x=100, line_dash="dot", line_color="#6c757d")
    fig.update_layout(xaxis={"title": "% of the year's target", "range": [0, 155]})
    return _layout(fig, height=max(320, 38 * len(rows) + 90))


# ---------------------------------------------------------------------------------------------
# Hotline activity
# ---------------------------------------------------------------------------------------------


def activity_trend_figure(data: ActivityFigures) -> go.Figure:
    if data.is_empty or data.metric is None:
        return empty_figure("No statistics reported for these filters.")
    points = data.by_period if data.group_by == "network" else data.by_period_group
    groups: dict[str, list[Any]] = defaultdict(list)
    for p in points:
        groups[p.group].append(p)
    fig = go.Figure(
        [
            go.Scatter(
                x=[p.period_start for p in series],
                y=[plotted(p.value)[0] for p in series],
                name=name,
                mode="lines+markers",
                line={"color": PALETTE[i % len(PALETTE)]},
                customdata=[[p.version, p.hotlines, plotted(p.value)[1]] for p in series],
                hovertemplate="%{x|%Y Q%q}: %{customdata[2]}<br>definition v%{customdata[0]}, "
                "%{customdata[1]} hotline(s)<extra>%{fullData.name}</extra>",
            )
            for i, (name, series) in enumerate(groups.items())
        ]
    )
    fig.update_layout(yaxis={"title": data.metric.label})
    return _layout(fig, height=360)


def activity_groups_figure(data: ActivityFigures) -> go.Figure:
    if data.is_empty or data.metric is None:
        return empty_figure("No statistics reported for these filters.")
    rows = list(data.by_group)[::-1]
    fig = go.Figure(
        go.Bar(
            y=[r.group for r in rows],
            x=[plotted(r.value)[0] for r in rows],
            orientation="h",
            marker_color=PALETTE[0],
            customdata=[[r.hotlines, plotted(r.value)[1]] for r in rows],
            hovertemplate="%{y}: %{customdata[1]} (%{customdata[0]} hotline(s))<extra></extra>",
        )
    )
    what = "mean" if data.metric.unit.value == "percent" else "total"
    fig.update_layout(xaxis={"title": f"{what}, {data.first_year}–{data.last_year}"})
    return _layout(fig, height=max(300, 24 * len(rows) + 80), showlegend=False)
