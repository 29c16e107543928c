"""Pure figure builders: service results in, Plotly figures out (no database, no request).

Money arrives as ``Decimal`` and becomes ``float`` only here, for plotting.

A figure is the plain dict Plotly's JSON is made of (``{"data": [...], "layout": {...}}``), which
``dcc.Graph`` takes as it is: building ``go.Figure`` objects validated every property on every
call (``update_layout`` alone ~4 ms a figure, the map ~20 ms), and serialising them walked
every node again. The dicts are exactly what those figures serialised to (traces with their
``type``, titles as ``{"text": …}``, the template's JSON built once at import); the tests check
that Plotly validates each builder's output to the same dict.
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
from coordapp.reporting.coverage import STATUS_COLORS, STATUS_LABELS, CoverageMap
from coordapp.reporting.funding import CashByQuarter, FundingFigures
from coordapp.reporting.growth import GrowthPoint
from coordapp.reporting.partnerships import PartnershipFigures
from coordapp.reporting.pillars import PillarFigures
from coordapp.reporting.training import TrainingFigures
from dashboards.geo import WorldShapes
from dashboards.plotly_bundle import plotly_bundle

FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
PALETTE = ("#1d4e89", "#f4a259", "#5fa8d3", "#7a9e7e", "#b56576", "#6d597a", "#e9c46a", "#8d99ae")
PLEDGED, RECEIVED = "#8d99ae", "#1d4e89"
# Pledged against received money: (attribute, name, colour) of each side's bars.
PLEDGED_AND_RECEIVED = (("pledged", "Pledged", PLEDGED), ("received", "Received", RECEIVED))
# Instalments expected against money received, per quarter.
EXPECTED_AND_RECEIVED = (
    ("expected", "Expected (instalments)", PLEDGED),
    ("received", "Received", RECEIVED),
)
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


Figure = dict[str, Any]


def _template() -> go.layout.Template:
    """Plotly's "plotly_white" with trace defaults for the trace types the browser's bundle
    draws only: the whole template is 7 kB of every figure's JSON, for two dozen trace types,
    and validating it took most of the time of building a figure."""
    white = pio.templates["plotly_white"]
    return go.layout.Template(
        layout=white.layout,
        data={trace: white.data[trace] for trace in sorted(plotly_bundle().trace_types)},
    )


# Every figure's template as JSON, built once, at import (one thread: plotly loads its templates
# lazily and not thread-safely, and a new worker's threads building it at once made the map's
# first callback fail in a load test). Shared by every figure: never modified.
TEMPLATE: dict[str, Any] = _template().to_plotly_json()


def _figure(data: list[dict[str, Any]], *, height: int = 360, **layout: Any) -> Figure:
    """A figure of ``data`` (traces as dicts, each with its ``type``) with the house layout;
    ``layout`` adds to it or replaces its top-level keys."""
    return {
        "data": data,
        "layout": {
            "template": TEMPLATE,
            "font": {"family": FONT, "size": 13},
            "margin": {"l": 10, "r": 10, "t": 30, "b": 10},
            "height": height,
            "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
            "separators": ".,",
            **layout,
        },
    }


def _bar(**trace: Any) -> dict[str, Any]:
    return {"type": "bar", **trace}


def _plotted_hbar(
    labels: list[Any], values: list[Any], counts: list[Any], hovertemplate: str
) -> dict[str, Any]:
    """Horizontal bars of possibly hidden small values (``plotted``: the bar's length, and its
    text in ``customdata[1]``), with a count per bar in ``customdata[0]``."""
    shown = [plotted(v) for v in values]
    return _bar(
        y=labels,
        x=[length for length, _ in shown],
        orientation="h",
        marker={"color": PALETTE[0]},
        customdata=[[count, text] for count, (_, text) in zip(counts, shown, strict=True)],
        hovertemplate=hovertemplate,
    )


def _title(text: str, **axis: Any) -> dict[str, Any]:
    return {"title": {"text": text}, **axis}


def empty_figure(message: str, *, height: int = 300) -> Figure:
    """A blank chart that says why it is blank."""
    return _figure(
        [],
        height=height,
        annotations=[
            {
                "text": message,
                "showarrow": False,
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "font": {"size": 15, "color": "#6c757d"},
            }
        ],
        xaxis={"visible": False},
        yaxis={"visible": False},
    )


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


_MAP_ORDER = (
    CoverageStatus.NONE,
    CoverageStatus.PIPELINE,
    CoverageStatus.PROVISIONAL,
    CoverageStatus.FULL,
)


def coverage_map_figure(data: CoverageMap, shapes: WorldShapes) -> Figure:
    """One choropleth trace per coverage status (so the legend names them); countries too small
    for the 1:110m shapes are markers at their centre. Points carry the alpha-2 code.

    The trace columns are filled in one pass over the countries (at 100x the network its
    ~250 hover texts and their columns were most of the map's Python)."""
    # Per status: locations, codes, hover texts of the shapes; then of the small markers.
    shaped: dict[CoverageStatus, tuple[list[str], list[str], list[str]]] = {
        status: ([], [], []) for status in _MAP_ORDER
    }
    small: dict[CoverageStatus, list[tuple[Any, str]]] = defaultdict(list)
    has_shape, centroids = shapes.has_shape, shapes.centroids
    for country in data.countries:
        if has_shape(country.alpha3):
            locations, codes, hovers = shaped[country.status]
            locations.append(country.alpha3)
            codes.append(country.code)
            hovers.append(_hover(country))
        elif country.alpha3 in centroids and country.status is not CoverageStatus.NONE:
            small[country.status].append((country, _hover(country)))
    traces: list[dict[str, Any]] = []
    for status in _MAP_ORDER:
        locations, codes, hovers = shaped[status]
        color = STATUS_COLORS[status]
        traces.append(
            {
                "type": "choropleth",
                "name": STATUS_LABELS[status],
                "locations": locations,
                "locationmode": "ISO-3",
                "z": [1] * len(locations),
                "zmin": 0,
                "zmax": 1,
                "colorscale": [[0, color], [1, color]],
                "showscale": False,
                "showlegend": True,
                "marker": {"line": {"color": "#ffffff", "width": 0.5}},
                "customdata": codes,
                "hovertext": hovers,
                "hovertemplate": "%{hovertext}<extra></extra>",
            }
        )
    markers = [pair for status in small for pair in small[status]]
    if markers:
        traces.append(
            {
                "type": "scattergeo",
                "name": "Small countries",
                "lon": [centroids[c.alpha3][0] for c, _ in markers],
                "lat": [centroids[c.alpha3][1] for c, _ in markers],
                "mode": "markers",
                "marker": {
                    "size": 9,
                    "color": [STATUS_COLORS[c.status] for c, _ in markers],
                    "line": {"color": "#212529", "width": 1},
                },
                "customdata": [c.code for c, _ in markers],
                "hovertext": [hover for _, hover in markers],
                "hovertemplate": "%{hovertext}<extra></extra>",
                "showlegend": False,
            }
        )
    # Plotly's fitbounds cannot zoom to Europe (Russia crosses 180°, France's shape includes
    # French Guiana): each region has its own window; the world leaves Antarctica out.
    lon, lat = REGION_VIEWS.get(data.region or "", ((-180, 180), (-58, 85)))
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
        "lonaxis": {"range": list(lon)},
        "lataxis": {"range": list(lat)},
    }
    return _figure(
        traces,
        height=480,
        geo=geo,
        uirevision=data.region or "world",
        clickmode="event",
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


def growth_figure(growth: Sequence[GrowthPoint]) -> Figure:
    if not any(p.member_hotlines for p in growth):
        return empty_figure("No member hotlines recorded yet.")
    years = [p.year for p in growth]
    traces = [
        _bar(
            x=years,
            y=[p.full_hotlines for p in growth],
            name="Full member hotlines",
            marker={"color": STATUS_COLORS[CoverageStatus.FULL]},
        ),
        _bar(
            x=years,
            y=[p.provisional_hotlines for p in growth],
            name="Provisional member hotlines",
            marker={"color": STATUS_COLORS[CoverageStatus.PROVISIONAL]},
        ),
        {
            "type": "scatter",
            "x": years,
            "y": [p.countries_covered for p in growth],
            "name": COUNTRIES_COVERED_LABEL,
            "mode": "lines+markers",
            "line": {"color": "#f4a259", "width": 3},
        },
        {
            "type": "scatter",
            "x": years,
            "y": [p.territories_covered for p in growth],
            "name": TERRITORIES_COVERED_LABEL,
            "mode": "lines+markers",
            "line": {"color": "#8c6d46", "width": 2, "dash": "dot"},
        },
    ]
    return _figure(
        traces, height=380, barmode="stack", xaxis={"dtick": 2}, yaxis=_title("at year end")
    )


# ---------------------------------------------------------------------------------------------
# Partnerships
# ---------------------------------------------------------------------------------------------


def count_bars(
    pairs: Sequence[tuple[str, int]],
    *,
    empty: str,
    horizontal: bool = False,
    color: str = PALETTE[0],
) -> Figure:
    if not pairs:
        return empty_figure(empty)
    labels = [humanize(k) if k.islower() else k for k, _ in pairs]
    counts = [n for _, n in pairs]
    if horizontal:
        bar = _bar(y=labels[::-1], x=counts[::-1], orientation="h")
    else:
        bar = _bar(x=labels, y=counts)
    bar.update(marker={"color": color}, hovertemplate="%{label}: %{value}<extra></extra>")
    return _figure([bar], height=300, showlegend=False)


def partnerships_per_year_figure(data: PartnershipFigures) -> Figure:
    if not data.new_per_year:
        return empty_figure("No partnership with a start date yet.")
    years = sorted({y for y, _, _ in data.new_per_year})
    types = sorted({t for _, t, _ in data.new_per_year})
    counts = {(y, t): n for y, t, n in data.new_per_year}
    traces = [
        _bar(
            x=years,
            y=[counts.get((y, t), 0) for y in years],
            name=humanize(t),
            marker={"color": PALETTE[i % len(PALETTE)]},
        )
        for i, t in enumerate(types)
    ]
    return _figure(traces, height=320, barmode="stack", yaxis=_title("new agreements", dtick=1))


# ---------------------------------------------------------------------------------------------
# Funding
# ---------------------------------------------------------------------------------------------


def _money_axis(currency: str) -> dict[str, Any]:
    return _title(currency, tickformat=",.0f")


def funding_by_year_figure(data: FundingFigures) -> Figure:
    if data.is_empty:
        return empty_figure("No funding recorded for these years.")
    return _paired_money_bars(data.by_year, "year", PLEDGED_AND_RECEIVED, currency=data.currency)


def _paired_money_bars(
    items: Sequence[Any], x: str, measures: tuple[tuple[str, str, str], ...], *, currency: str
) -> Figure:
    """Money bars side by side per ``x`` (an attribute of ``items``): one trace per
    (attribute, name, colour) of ``measures``."""
    hover = "%{x}: %{y:,.0f} " + currency + "<extra>%{fullData.name}</extra>"
    traces = [
        _bar(
            x=[getattr(item, x) for item in items],
            y=[money(getattr(item, measure)) for item in items],
            name=name,
            marker={"color": color},
            hovertemplate=hover,
        )
        for measure, name, color in measures
    ]
    return _figure(traces, barmode="group", yaxis=_money_axis(currency))


def cash_by_quarter_figure(data: CashByQuarter) -> Figure:
    """Instalments expected against money received per quarter (bars side by side)."""
    if data.is_empty:
        return empty_figure("No instalments expected and no money received in these years.")
    return _paired_money_bars(data.quarters, "label", EXPECTED_AND_RECEIVED, currency=data.currency)


def funding_by_pillar_figure(data: FundingFigures, *, measure: str = "pledged") -> Figure:
    if not data.by_pillar:
        return empty_figure("No funding allocated to pillars for these years.")
    years = list(range(data.first_year, data.last_year + 1))
    names = sorted({p.pillar for p in data.by_pillar})
    values = {(p.year, p.pillar): getattr(p, measure) for p in data.by_pillar}
    traces = [
        _bar(
            x=years,
            y=[money(values.get((y, name), Decimal(0))) for y in years],
            name=name,
            marker={"color": PALETTE[i % len(PALETTE)]},
        )
        for i, name in enumerate(names)
    ]
    return _figure(traces, barmode="stack", yaxis=_money_axis(data.currency))


def funding_by_funder_figure(data: FundingFigures, *, top: int = 15) -> Figure:
    if not data.by_funder:
        return empty_figure("No funders for these years.")
    rows = list(data.by_funder[:top])[::-1]
    labels = [f"{name} ({humanize(kind)})" for name, kind, _, _ in rows]
    amounts = {"pledged": [p for _, _, p, _ in rows], "received": [r for _, _, _, r in rows]}
    traces = [
        _bar(
            y=labels,
            x=[money(amount) for amount in amounts[measure]],
            name=name,
            orientation="h",
            marker={"color": color},
        )
        for measure, name, color in PLEDGED_AND_RECEIVED
    ]
    return _figure(
        traces,
        height=max(320, 34 * len(rows) + 80),
        barmode="group",
        xaxis=_money_axis(data.currency),
    )


def funding_by_kind_figure(data: FundingFigures) -> Figure:
    if not data.by_kind:
        return empty_figure("No funders for these years.")
    labels = [humanize(k.key) for k in data.by_kind]
    keys = [k.key for k in data.by_kind]
    traces = [
        _bar(
            x=labels,
            y=[money(getattr(k, measure)) for k in data.by_kind],
            customdata=keys,
            name=name,
            marker={"color": color},
        )
        for measure, name, color in PLEDGED_AND_RECEIVED
    ]
    return _figure(traces, height=320, barmode="group", yaxis=_money_axis(data.currency))


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


def training_per_year_figure(
    data: TrainingFigures, *, by: str = "kind", measure: str = "events"
) -> Figure:
    rows = data.by_kind if by == "kind" else data.by_pillar
    if not rows:
        return empty_figure("No training events for these filters.")
    years = list(range(data.first_year, data.last_year + 1))
    keys = sorted({r.key for r in rows})
    values = {(r.year, r.key): plotted(getattr(r, measure)) for r in rows}
    traces = [
        _bar(
            x=years,
            y=[values.get((y, k), (0, "0"))[0] for y in years],
            name=humanize(k) if k.islower() else k,
            marker={"color": PALETTE[i % len(PALETTE)]},
            customdata=[values.get((y, k), (0, "0"))[1] for y in years],
            hovertemplate="%{x}: %{customdata}<extra>%{fullData.name}</extra>",
        )
        for i, k in enumerate(keys)
    ]
    return _figure(traces, height=340, barmode="stack", yaxis=_title(measure))


def training_reach_figure(data: TrainingFigures, *, by: str = "country", top: int = 20) -> Figure:
    rows = (data.by_country if by == "country" else data.by_hotline)[:top]
    if not rows:
        return empty_figure("No hotline took part in these trainings.")
    rows = rows[::-1]
    bar = _plotted_hbar(
        [r.label for r in rows],
        [r.participants for r in rows],
        [r.events for r in rows],
        "%{y}: %{customdata[1]} participants in %{customdata[0]} events<extra></extra>",
    )
    return _figure(
        [bar],
        height=max(300, 24 * len(rows) + 80),
        showlegend=False,
        xaxis=_title("participants"),
    )


def training_feedback_figure(data: TrainingFigures) -> Figure:
    points = [f for f in data.feedback if f.average is not None]
    if not points:
        return empty_figure("No feedback scores recorded.")
    line = {
        "type": "scatter",
        "x": [f.year for f in points],
        "y": [float(f.average) for f in points if f.average is not None],
        "customdata": [f.responses for f in points],
        "mode": "lines+markers",
        "line": {"color": PALETTE[0], "width": 3},
        "hovertemplate": "%{x}: %{y:.2f} (%{customdata} scores)<extra></extra>",
    }
    return _figure(
        [line], height=300, showlegend=False, yaxis=_title("average score (1–5)", range=[1, 5])
    )


# ---------------------------------------------------------------------------------------------
# Pillars
# ---------------------------------------------------------------------------------------------


def pillar_progress_figure(data: PillarFigures) -> Figure:
    """Actual as a share of target per indicator, with the expected share as a marker."""
    if data.is_empty:
        return empty_figure(f"No pillar targets set for {data.year}.")
    rows = list(data.rows)[::-1]
    labels = [f"{r.pillar_name} · {label(r.indicator)}" for r in rows]

    def pct(value: Decimal, target: Decimal) -> float:
        return float(value / target * 100) if target else 0.0

    actual = _bar(
        y=labels,
        x=[min(pct(r.actual, r.target), 150) for r in rows],
        orientation="h",
        name="Actual (% of target)",
        marker={"color": [ON_TRACK if r.on_track else BEHIND for r in rows]},
        customdata=[[str(r.actual), str(r.target), str(r.expected)] for r in rows],
        hovertemplate="%{y}<br>actual %{customdata[0]} of target %{customdata[1]}"
        "<br>expected by now %{customdata[2]}<extra></extra>",
    )
    expected = {
        "type": "scatter",
        "y": labels,
        "x": [pct(r.expected, r.target) for r in rows],
        "mode": "markers",
        "name": "Expected by now",
        "marker": {"symbol": "line-ns-open", "size": 22, "color": "#212529", "line": {"width": 3}},
        "hoverinfo": "skip",
    }
    target_line = {
        "type": "line",
        "x0": 100,
        "x1": 100,
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
        "line": {"dash": "dot", "color": "#6c757d"},
    }
    return _figure(
        [actual, expected],
        height=max(320, 38 * len(rows) + 90),
        shapes=[target_line],
        xaxis=_title("% of the year's target", range=[0, 155]),
    )
