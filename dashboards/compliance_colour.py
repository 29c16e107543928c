"""The coverage map's compliance colouring: each country by the share of the full-membership
requirements its member hotlines satisfy today (``coordapp.network.compliance``), on the same
map as the coverage colouring (same shapes, view and click-through)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import plotly.colors

from coordapp.reporting.coverage import CoverageMap
from dashboards.figures import Figure, coverage_map_figure
from dashboards.geo import WorldShapes

COVERAGE = "coverage"
COMPLIANCE = "compliance"
MODES = (COVERAGE, COMPLIANCE)
MODE_OPTIONS = [
    {"label": "Coverage", "value": COVERAGE},
    {"label": "Compliance", "value": COMPLIANCE},
]
NOTE = (
    "Compliance today: the share of the requirements needed for full membership that the "
    "provisional and full member hotlines based in each country satisfy (met or waived, not "
    "expired). Grey: no member hotline based there."
)


def _scale(colors: Sequence[str]) -> list[list[Any]]:
    """A named Plotly colour scale as the explicit stops Plotly.js needs."""
    return [[n / (len(colors) - 1), color] for n, color in enumerate(colors)]


MET_SCALE = _scale(plotly.colors.diverging.RdYlGn)


def compliance_map_figure(
    data: CoverageMap, shares: Mapping[str, float], shapes: WorldShapes
) -> Figure:
    """The map of ``data`` (its view and layout) with one trace of countries coloured by their
    share (0-100 %, red to green) and one of the rest in grey. Points carry the alpha-2 code."""
    fig = coverage_map_figure(data, shapes)
    drawn = [c for c in data.countries if shapes.has_shape(c.alpha3)]
    rated = [c for c in drawn if c.code in shares]
    rest = [c for c in drawn if c.code not in shares]
    outline = {"line": {"color": "#ffffff", "width": 0.5}}
    fig["data"] = [
        {
            "type": "choropleth",
            "name": "No member hotline based here",
            "locations": [c.alpha3 for c in rest],
            "locationmode": "ISO-3",
            "z": [0] * len(rest),
            "colorscale": [[0, "#dee2e6"], [1, "#dee2e6"]],
            "showscale": False,
            "showlegend": True,
            "marker": outline,
            "customdata": [c.code for c in rest],
            "hovertext": [c.name for c in rest],
            "hovertemplate": "%{hovertext}<extra></extra>",
        },
        {
            "type": "choropleth",
            "name": "Requirements met (%)",
            "locations": [c.alpha3 for c in rated],
            "locationmode": "ISO-3",
            "z": [round(shares[c.code] * 100, 1) for c in rated],
            "zmin": 0,
            "zmax": 100,
            "colorscale": MET_SCALE,
            "colorbar": {"title": {"text": "% met"}, "len": 0.6},
            "marker": outline,
            "customdata": [c.code for c in rated],
            "hovertext": [c.name for c in rated],
            "hovertemplate": "%{hovertext}: %{z:.0f} % of the requirements met<extra></extra>",
        },
    ]
    return fig
