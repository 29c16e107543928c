"""Pillars: each pillar's yearly targets against the actuals computed from the records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Output, html

from coordapp.cache import cached
from coordapp.extensions import current_session
from coordapp.labels import label
from coordapp.reporting import pillars as pillar_report
from dashboards import exports, figures, params
from dashboards.filters import choice_filter, filter_bar, filter_callback
from dashboards.layout import Page, chart_column, empty_state, page_header

SLUG = "pillars"
TITLE = "Pillars"


@dataclass(frozen=True, slots=True)
class PillarFilters:
    year: int


def parse(values: dict[str, Any], *, today: date | None = None) -> PillarFilters:
    today = today or date.today()
    years = cached(current_session(), pillar_report.target_years)
    default = today.year if (today.year in years or not years) else max(years)
    lowest = min(years, default=today.year)
    highest = max(max(years, default=today.year), today.year)
    return PillarFilters(
        year=params.year(values.get("year"), default=default, lowest=lowest, highest=highest)
    )


def _data(filters: PillarFilters) -> pillar_report.PillarFigures:
    return cached(
        current_session(), pillar_report.pillar_progress, year=filters.year, today=date.today()
    )


def _number(value: Decimal, unit: str) -> str:
    text = (
        f"{value:,.0f}"
        if value == value.to_integral_value() or unit != "count"
        else f"{value:,.2f}"
    )
    return f"EUR {text}" if unit == "EUR" else text


def _exact(figure: str, value: Decimal) -> dict[str, Any]:
    """The catalogue key and the unrounded value of a cell (``coordapp.figures``)."""
    return {"data-figure": figure, "data-value": str(value)}


def progress_table(data: pillar_report.PillarFigures) -> Any:
    if data.is_empty:
        return empty_state(f"No pillar targets set for {data.year}.")
    header = (
        "Pillar",
        "Indicator",
        "Type",
        "Start of year",
        "Target",
        "Expected by now",
        "Actual",
        "Signal",
    )
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in header])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(r.pillar_name),
                            html.Td(
                                [
                                    label(r.indicator),
                                    html.Div(r.description or "", className="text-body-secondary"),
                                ]
                            ),
                            html.Td(r.kind.value, className="indicator-kind"),
                            html.Td(_number(r.start, r.unit) if r.start is not None else "—"),
                            html.Td(_number(r.target, r.unit)),
                            html.Td(
                                _number(r.expected, r.unit),
                                **_exact(
                                    f"pillar_expected:{r.pillar_name}:{r.indicator}", r.expected
                                ),
                            ),
                            html.Td(
                                _number(r.actual, r.unit),
                                **_exact(f"pillar_actual:{r.pillar_name}:{r.indicator}", r.actual),
                            ),
                            html.Td(
                                dbc.Badge(
                                    "On track" if r.on_track else "Behind",
                                    color="success" if r.on_track else "danger",
                                    className="signal",
                                )
                            ),
                        ]
                    )
                    for r in data.rows
                ]
            ),
        ],
        size="sm",
        striped=True,
        responsive=True,
        className="small mb-0",
    )


def layout(query: dict[str, str]) -> Any:
    filters = parse(query)
    years = cached(current_session(), pillar_report.target_years)
    options = sorted(set(years) | {filters.year})
    return html.Div(
        [
            page_header(
                TITLE,
                "Targets against actuals computed from the records. On track: actual ≥ expected "
                "by now. A stock (a level such as member hotlines) is expected on the straight "
                "line from its value on 31 December of the year before to the target; a flow "
                "(a count over the year such as trainings held) at target × the share of the "
                "year elapsed; a past year at its whole target. Training and funding "
                "indicators count the target's pillar; the others measure the network.",
            ),
            filter_bar(
                choice_filter(
                    "Year",
                    "year",
                    [{"label": str(y), "value": y} for y in options],
                    filters.year,
                    min_width="7rem",
                ),
                dbc.Col(html.Div(id="pillars-note", className="small text-body-secondary")),
            ),
            dbc.Row(
                [
                    chart_column(
                        "Progress against target", "pl-progress", download="progress", lg=12
                    ),
                    chart_column(
                        "Targets and actuals",
                        "pl-table",
                        download="table",
                        body=html.Div(id="pl-table"),
                        lg=12,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


def download_progress(values: dict[str, Any], suppress: bool) -> exports.Export:
    filters = parse(values)
    data = _data(filters)
    stamp: list[tuple[str, Any]] = [
        ("filters", params.to_search({"year": filters.year})),
        ("as of", data.measured_on),
        ("share of the year elapsed", data.elapsed_share),
    ]
    if data.rates is not None:
        stamp.extend(exports.money_stamp(data.rates))
    text = exports.document(
        title=f"Pillar targets and actuals {data.year}",
        stamp=stamp,
        columns=[
            "pillar",
            "indicator",
            "type",
            "unit",
            "start_of_year",
            "target",
            "expected_by_now",
            "actual",
            "on_track",
        ],
        rows=(
            [
                r.pillar_name,
                r.indicator.value,
                r.kind.value,
                r.unit,
                r.start if r.start is not None else "",
                r.target,
                r.expected,
                r.actual,
                "yes" if r.on_track else "no",
            ]
            for r in data.rows
        ),
    )
    return exports.Export(exports.filename(SLUG, "progress", data.year, data.measured_on), text)


def register(app: dash.Dash) -> None:
    @filter_callback(
        app,
        Output("pl-progress", "figure"),
        Output("pl-table", "children"),
        Output("pillars-note", "children"),
        filters=("year",),
    )
    def update(values: dict[str, Any]) -> tuple[Any, Any, str]:
        data = _data(parse(values))
        share = f"{data.elapsed_share * 100:.0f} %"
        note = f"Measured on {data.measured_on.isoformat()}; {share} of the year elapsed."
        if data.rates is not None:
            note += f" Funding {data.rates.note}."
        return figures.pillar_progress_figure(data), progress_table(data), note


PAGE = Page(
    slug=SLUG,
    title=TITLE,
    summary="Yearly targets against actuals per pillar, with an on-track or behind signal.",
    layout=layout,
    register=register,
    downloads={"progress": download_progress, "table": download_progress},
)
