"""The hotline-activity figures (dashboards/activity.py): a metric's quarters per group and unit,
with the quarters awaiting approval shaded and the unit changes marked, the totals per group and
the share of member hotlines that submitted each quarter (on time). Plain dicts, built like the
rest in ``dashboards.figures``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from coordapp.disclosure import plotted
from coordapp.reporting.activity import ActivityFigures, QuarterRates
from dashboards.figures import (
    PALETTE,
    Figure,
    _figure,
    _plotted_hbar,
    _title,
    empty_figure,
)


def _provisional_band(start: date) -> dict[str, Any]:
    """A quarter with figures awaiting approval, shaded (its points count approved ones only)."""
    return {
        "type": "rect",
        "x0": start,
        "x1": start + timedelta(days=91),
        "xref": "x",
        "y0": 0,
        "y1": 1,
        "yref": "y domain",
        "fillcolor": "#adb5bd",
        "opacity": 0.18,
        "line": {"width": 0},
    }


def _provisional_note(start: date) -> dict[str, Any]:
    return {
        "x": start,
        "xref": "x",
        "y": 1,
        "yref": "y domain",
        "text": "provisional",
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "top",
        "font": {"size": 10},
    }


def activity_trend_figure(data: ActivityFigures) -> Figure:
    """A line per group, and per unit where the metric's unit changed (figures of different
    units are never joined into one line), with the change marked where it happens."""
    if data.is_empty or data.metric is None:
        return empty_figure("No statistics reported for these filters.")
    points = data.by_period if data.group_by == "network" else data.by_period_group
    starts = [change.starts for change in data.unit_changes]
    groups: dict[str, list[Any]] = defaultdict(list)
    for p in points:
        span = sum(1 for day in starts if p.period_start >= day)
        unit = f" · {data.unit_changes[span - 1].unit.label}" if span else ""
        if starts and not span:
            unit = f" · {data.first_unit_label}"
        groups[f"{p.group}{unit}"].append(p)
    traces = [
        {
            "type": "scatter",
            "x": [p.period_start for p in series],
            "y": [plotted(p.value)[0] for p in series],
            "name": name,
            "mode": "lines+markers",
            "line": {"color": PALETTE[i % len(PALETTE)]},
            "customdata": [[p.version, p.hotlines, plotted(p.value)[1]] for p in series],
            "hovertemplate": "%{x|%Y Q%q}: %{customdata[2]}<br>definition v%{customdata[0]}, "
            "%{customdata[1]} hotline(s)<extra>%{fullData.name}</extra>",
        }
        for i, (name, series) in enumerate(groups.items())
    ]
    title = data.metric.label if not data.unit_changes else f"{data.metric.name} (units differ)"
    changes = [
        (
            {
                "type": "line",
                "x0": change.starts,
                "x1": change.starts,
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "y domain",
                "line": {"color": "#6c757d", "dash": "dash"},
            },
            {
                "x": change.starts,
                "y": 1,
                "yref": "paper",
                "text": f"Unit changes {change.label}",
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
                "font": {"size": 11},
            },
        )
        for change in data.unit_changes
    ]
    return _figure(
        traces,
        height=360,
        yaxis=_title(title),
        shapes=[*map(_provisional_band, data.provisional), *(line for line, _ in changes)],
        annotations=[*map(_provisional_note, data.provisional), *(note for _, note in changes)],
    )


def reporting_rates_figure(rates: Sequence[QuarterRates]) -> Figure:
    """Per quarter, the share of member hotlines that submitted it, and by the deadline."""
    if not rates:
        return empty_figure("No ended quarter in these years.")
    x = [r.label for r in rates]

    def line(name: str, values: list[float | None], color: str) -> dict[str, Any]:
        return {
            "type": "scatter",
            "x": x,
            "y": [None if v is None else round(100 * v, 1) for v in values],
            "name": name,
            "mode": "lines+markers",
            "line": {"color": color},
            "customdata": [[r.submitted, r.on_time, r.members] for r in rates],
            "hovertemplate": "%{x}: %{y} %<br>%{customdata[0]} submitted, %{customdata[1]} on "
            "time, of %{customdata[2]} member hotlines<extra>%{fullData.name}</extra>",
        }

    return _figure(
        [
            line("Submitted", [r.completeness for r in rates], PALETTE[0]),
            line("Submitted by the deadline", [r.timeliness for r in rates], PALETTE[1]),
        ],
        height=300,
        yaxis=_title("% of member hotlines", range=[0, 105]),
    )


def activity_groups_figure(data: ActivityFigures) -> Figure:
    if data.is_empty or data.metric is None:
        return empty_figure("No statistics reported for these filters.")
    rows = list(data.by_group)[::-1]
    bar = _plotted_hbar(
        [r.group for r in rows],
        [r.value for r in rows],
        [r.hotlines for r in rows],
        "%{y}: %{customdata[1]} (%{customdata[0]} hotline(s))<extra></extra>",
    )
    unit = data.group_unit or data.metric.unit
    what = "total" if unit.is_count else "mean"
    only = f" (only {unit.label}: the unit changed)" if data.unit_changes else ""
    return _figure(
        [bar],
        height=max(300, 24 * len(rows) + 80),
        showlegend=False,
        xaxis=_title(f"{what} {unit.label}, {data.first_year}–{data.last_year}{only}"),
    )
