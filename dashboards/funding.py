"""Funding: pledged against received per year, by pillar, funder and funder kind, converted
with dated exchange rates."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import dash
import dash_bootstrap_components as dbc
from dash import Output, html

from coordapp.cache import cached
from coordapp.extensions import current_session
from coordapp.reporting import funding as funding_report
from dashboards import exports, figures, params
from dashboards.filters import (
    choice_filter,
    filter_bar,
    filter_callback,
    radio_filter,
    year_options,
    year_range,
)
from dashboards.layout import Page, chart_column, empty_state, page_header

SLUG = "funding"
TITLE = "Funding"
T = TypeVar("T")
FIRST_YEAR = 2000


@dataclass(frozen=True, slots=True)
class FundingFilters(params.YearRange):
    currency: str
    constant_on: date | None = None  # None: each row at its own date's rate

    def query(self) -> dict[str, Any]:
        query: dict[str, Any] = {**self.years_query(), "currency": self.currency}
        if self.constant_on is not None:
            query["rates"] = self.constant_on.isoformat()
        return query


ROW_RATES = "row"


def rate_options(first_year: int, last_year: int, *, today: date) -> list[dict[str, str]]:
    """Each row at its own date (the default), or every row at the rates of one year end."""
    options = [{"label": "Each row at its own date", "value": ROW_RATES}]
    for year in range(last_year, first_year - 1, -1):
        day = min(date(year, 12, 31), today)
        options.append({"label": f"Constant: rates of {day.isoformat()}", "value": day.isoformat()})
    return options


def _constant_on(value: Any, *, today: date) -> date | None:
    """A constant rate date from the address, or None (each row at its own date)."""
    if not isinstance(value, str) or value == ROW_RATES:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if date(FIRST_YEAR, 1, 1) <= day <= today else None


def parse(values: dict[str, Any], *, today: date | None = None) -> FundingFilters:
    today = today or date.today()
    first, last = params.recent_years(values, today=today, lowest=FIRST_YEAR, back=9)
    currency = params.choice(values.get("currency"), params.CURRENCIES, "EUR") or "EUR"
    return FundingFilters(first, last, currency, _constant_on(values.get("rates"), today=today))


def _report(report: Callable[..., T], filters: FundingFilters, **more: Any) -> T:
    """``report`` of the filters' years, currency and rates, through the report cache."""
    return cached(
        current_session(),
        report,
        **filters.years(),
        currency=filters.currency,
        constant_on=filters.constant_on,
        **more,
    )


def _data(filters: FundingFilters) -> funding_report.FundingFigures:
    return _report(funding_report.funding_figures, filters, until=date.today())


def layout(query: dict[str, str]) -> Any:
    today = date.today()
    filters = parse(query, today=today)
    years = year_options(FIRST_YEAR, today.year)
    return html.Div(
        [
            page_header(
                TITLE,
                "Pledged (commitments not cancelled, by pledge date) against received (by date "
                "received), converted with dated exchange rates. Received money by pillar splits "
                "each receipt by its commitment's pillar allocations (pro rata).",
            ),
            filter_bar(
                *year_range(years, first=filters.first_year, last=filters.last_year),
                radio_filter(
                    "Currency",
                    "currency",
                    [{"label": c, "value": c} for c in params.CURRENCIES],
                    filters.currency,
                ),
                choice_filter(
                    "Exchange rates",
                    "rates",
                    rate_options(filters.first_year, filters.last_year, today=today),
                    filters.constant_on.isoformat() if filters.constant_on else ROW_RATES,
                    min_width="16rem",
                ),
                dbc.Col(html.Div(id="funding-rates", className="small text-body-secondary")),
            ),
            html.Div(id="funding-empty"),
            dbc.Row(
                [
                    chart_column(
                        "Pledged and received per year", "f-years", download="years", lg=12
                    ),
                    chart_column(
                        "Pledged by pillar (allocations)",
                        "f-pillar-pledged",
                        download="pillars",
                        lg=6,
                    ),
                    chart_column(
                        "Received by pillar (pro rata to allocations)",
                        "f-pillar-received",
                        download="pillars-received",
                        lg=6,
                    ),
                    chart_column(
                        "Expected against received cash per quarter",
                        "f-cash",
                        download="cash",
                        note_id="f-cash-rates",
                        lg=12,
                    ),
                    chart_column("Top funders", "f-funders", download="funders", lg=7),
                    chart_column("By funder kind", "f-kinds", download="kinds", lg=5),
                ],
                className="g-3",
            ),
        ]
    )


def _stamp(filters: FundingFilters, data: Any) -> list[tuple[str, Any]]:
    return [
        ("filters", params.to_search(filters.query())),
        ("as of", date.today()),
        ("currency", data.currency),
        *exports.money_stamp(data.rates),
    ]


def _export(chart: str, title: str, columns: list[str], rows: Any, load: Any = None) -> Any:
    def download(values: dict[str, Any], suppress: bool) -> exports.Export:
        filters = parse(values)
        data = (load or _data)(filters)
        text = exports.document(
            title=title, stamp=_stamp(filters, data), columns=columns, rows=rows(data)
        )
        return exports.Export(
            exports.filename(SLUG, chart, filters.first_year, filters.last_year, filters.currency),
            text,
        )

    return download


def _cash(filters: FundingFilters) -> funding_report.CashByQuarter:
    return _report(funding_report.cash_by_quarter, filters)


CASH_NOTE = (
    "Expected: the instalment schedules of commitments not cancelled, by expected date. "
    "Received: every receipt by date received, the received figure of the chart above. "
)


DOWNLOADS = {
    "cash": _export(
        "cash",
        "Funding expected (instalments) and received per quarter",
        ["year", "quarter", "expected", "received"],
        lambda d: ([q.year, q.quarter, q.expected, q.received] for q in d.quarters),
        load=_cash,
    ),
    "years": _export(
        "years",
        "Funding pledged and received per year",
        ["year", "pledged", "received"],
        lambda d: ([y.year, y.pledged, y.received] for y in d.by_year),
    ),
    "pillars": _export(
        "pillars",
        "Funding by pillar per year (pledged: allocations; received: pro rata)",
        ["year", "pillar", "pledged", "received"],
        lambda d: ([p.year, p.pillar, p.pledged, p.received] for p in d.by_pillar),
    ),
    "funders": _export(
        "funders",
        "Funding by funder",
        ["funder", "kind", "pledged", "received"],
        lambda d: d.by_funder,
    ),
    "kinds": _export(
        "kinds",
        "Funding by funder kind",
        ["kind", "pledged", "received"],
        lambda d: ([k.key, k.pledged, k.received] for k in d.by_kind),
    ),
}
# The pledged and the received pillar charts draw two columns of one table: both download it.
DOWNLOADS["pillars-received"] = DOWNLOADS["pillars"]


def register(app: dash.Dash) -> None:
    # One callback for every chart of the page: a change of the filters is one request, and its
    # cached answer one response read (each request costs its sign-in, data-version read and
    # commit, whatever it answers).
    @filter_callback(
        app,
        Output("f-years", "figure"),
        Output("f-pillar-pledged", "figure"),
        Output("f-pillar-received", "figure"),
        Output("f-funders", "figure"),
        Output("f-kinds", "figure"),
        Output("funding-rates", "children"),
        Output("funding-empty", "children"),
        Output("f-cash", "figure"),
        Output("f-cash-rates", "children"),
        filters=("from", "to", "currency", "rates"),
    )
    def update(values: dict[str, Any]) -> tuple[Any, ...]:
        filters = parse(values)
        data = _data(filters)
        cash = _cash(filters)
        rates = f"Amounts {data.rates.note}."
        empty = (
            empty_state(f"No funding recorded for {data.first_year}–{data.last_year}.")
            if data.is_empty
            else None
        )
        return (
            figures.funding_by_year_figure(data),
            figures.funding_by_pillar_figure(data, measure="pledged"),
            figures.funding_by_pillar_figure(data, measure="received"),
            figures.funding_by_funder_figure(data),
            figures.funding_by_kind_figure(data),
            rates,
            empty,
            figures.cash_by_quarter_figure(cash),
            f"{CASH_NOTE}Amounts {cash.rates.note}.",
        )


PAGE = Page(
    slug=SLUG,
    title=TITLE,
    summary="Pledged against received per year, by pillar, funder and funder kind, in EUR or "
    "USD, each row at its own date's rate or at constant rates.",
    layout=layout,
    register=register,
    downloads=DOWNLOADS,
)
