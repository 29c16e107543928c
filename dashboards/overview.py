"""Overview: KPI tiles against last year, and the network's growth since 1999."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Output, html

from coordapp import disclosure
from coordapp.cache import cached
from coordapp.extensions import current_session
from coordapp.reporting import disclosed
from coordapp.reporting import growth as growth_report
from dashboards import exports, figures, params
from dashboards.filters import filter_callback
from dashboards.layout import (
    Page,
    chart_card,
    empty_state,
    fid,
    kpi_tile,
    page_header,
    viewer_suppression,
)

SLUG = "overview"
TITLE = "Overview"


@dataclass(frozen=True, slots=True)
class OverviewFilters:
    currency: str


def parse(values: dict[str, Any]) -> OverviewFilters:
    return OverviewFilters(
        currency=params.choice(values.get("currency"), params.CURRENCIES, "EUR") or "EUR"
    )


def _data(filters: OverviewFilters, *, suppress: bool) -> growth_report.Overview:
    data = cached(
        current_session(), growth_report.overview, today=date.today(), currency=filters.currency
    )
    return disclosed.overview(data, viewer_can_see_exact=not suppress)


def format_value(value: Decimal, unit: str) -> str:
    if disclosure.is_hidden(value):
        return str(value)
    if unit == "count":
        return f"{value:,.0f}"
    return f"{unit} {value:,.0f}"


def change_text(kpi: growth_report.Kpi) -> str:
    """``+3 (+6 %)``: the change against the same day last year, and its percentage."""
    if disclosure.is_hidden(kpi.value) or disclosure.is_hidden(kpi.previous):
        return f"change not shown ({disclosure.marker()} people)"
    change = kpi.change
    sign = "+" if change > 0 else ("−" if change < 0 else "±")
    amount = format_value(abs(change), kpi.unit)
    pct = ""
    if kpi.previous:
        pct = f" ({change / kpi.previous * 100:+.0f} %)"
    return f"{sign}{amount}{pct}"


def format_change(kpi: growth_report.Kpi) -> str:
    return f"{change_text(kpi)} vs same day last year"


def kpi_table(data: growth_report.Overview) -> dbc.Table:
    """The tiles' figures side by side with last year's, for reading across (and for screen
    readers, which the tile grid serves less well)."""
    head = html.Thead(
        html.Tr(
            [
                html.Th("Figure", scope="col"),
                html.Th(f"On {data.today.isoformat()}", scope="col", className="text-end"),
                html.Th(f"On {data.compared_with.isoformat()}", scope="col", className="text-end"),
                html.Th("Change", scope="col", className="text-end"),
                html.Th("What it counts", scope="col"),
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(k.label, scope="row", className="fw-normal"),
                    html.Td(format_value(k.value, k.unit), className="text-end text-nowrap"),
                    html.Td(format_value(k.previous, k.unit), className="text-end text-nowrap"),
                    html.Td(change_text(k), className="text-end text-nowrap"),
                    html.Td(k.note, className="small text-body-secondary"),
                ]
            )
            for k in data.kpis
        ]
    )
    return dbc.Table([head, body], size="sm", hover=True, className="mb-0 small", id="kpi-table")


def tiles(data: growth_report.Overview) -> list[Any]:
    return [
        kpi_tile(
            k.label,
            format_value(k.value, k.unit),
            change=format_change(k),
            detail=k.note,
            figure=k.key,
            exact=None if k.unit == "count" else str(k.value),
        )
        for k in data.kpis
    ]


def layout(query: dict[str, str]) -> Any:
    filters = parse(query)
    return html.Div(
        [
            page_header(
                TITLE,
                "The network today against the same day last year (this year's figures run "
                "from 1 January to today), and its growth since 1999.",
                right=dbc.RadioItems(
                    id=fid("currency"),
                    options=[{"label": c, "value": c} for c in params.CURRENCIES],
                    value=filters.currency,
                    inline=True,
                    className="small",
                ),
            ),
            html.Div(id="overview-empty"),
            dbc.Row(id="overview-tiles", className="g-3 mb-2"),
            html.Div(id="overview-rates", className="small text-body-secondary mb-3"),
            chart_card(
                "Growth of the network: member hotlines, countries covered and territories covered "
                "at each year end",
                "overview-growth",
                download="growth",
            ),
            html.Div(
                chart_card(
                    "KPI table: the figures of the tiles, against the same day last year",
                    "overview-kpis-unused",
                    download="kpis",
                    body=html.Div(id="overview-kpi-table", className="table-responsive"),
                ),
                className="mt-3",
            ),
        ]
    )


def download_growth(values: dict[str, Any], suppress: bool) -> exports.Export:
    data = _data(parse(values), suppress=suppress)
    text = exports.document(
        title="Growth of the network (at year end; today for the current year)",
        stamp=[("as of", data.today)],
        columns=[
            "year",
            "as_of",
            "member_hotlines",
            "full",
            "provisional",
            "countries_covered",
            "territories_covered",
        ],
        rows=(
            [
                p.year,
                p.on,
                p.member_hotlines,
                p.full_hotlines,
                p.provisional_hotlines,
                p.countries_covered,
                p.territories_covered,
            ]
            for p in data.growth
        ),
    )
    return exports.Export(exports.filename(SLUG, "growth", data.today), text)


def download_kpis(values: dict[str, Any], suppress: bool) -> exports.Export:
    filters = parse(values)
    data = _data(filters, suppress=suppress)
    text = exports.document(
        title="Overview KPIs",
        stamp=[
            ("filters", params.to_search({"currency": filters.currency})),
            ("as of", data.today),
            ("compared with", data.compared_with),
            *exports.money_stamp(data.rates),
        ],
        columns=["kpi", "label", "value", "same_day_last_year", "unit", "note"],
        rows=([k.key, k.label, k.value, k.previous, k.unit, k.note] for k in data.kpis),
    )
    return exports.Export(exports.filename(SLUG, "kpis", data.today, filters.currency), text)


def register(app: dash.Dash) -> None:
    @filter_callback(
        app,
        Output("overview-tiles", "children"),
        Output("overview-rates", "children"),
        Output("overview-growth", "figure"),
        Output("overview-empty", "children"),
        Output("overview-kpi-table", "children"),
        filters=("currency",),
    )
    def update(values: dict[str, Any]) -> tuple[Any, str, Any, Any, Any]:
        data = _data(parse(values), suppress=viewer_suppression())
        empty = (
            empty_state("No records yet: the figures below are all zero until data is entered.")
            if data.is_empty
            else None
        )
        rates = (
            f"As of {data.today.isoformat()}, compared with {data.compared_with.isoformat()}. "
            f"Money {data.rates.note}."
        )
        return tiles(data), rates, figures.growth_figure(data.growth), empty, kpi_table(data)


PAGE = Page(
    slug=SLUG,
    title=TITLE,
    summary="KPI tiles against last year and the network's growth since 1999.",
    layout=layout,
    register=register,
    downloads={"growth": download_growth, "kpis": download_kpis},
)
