"""Partnerships: agreements by status, type, pillar and partner kind; renewals ahead; new per
year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from coordapp.extensions import current_session
from coordapp.partners.models import PartnershipStatus
from coordapp.reporting import service as reporting
from coordapp.reporting.cache import cached
from dashboards import exports, figures, params
from dashboards.layout import Page, chart_card, empty_state, fid, filter_bar, labelled, page_header

SLUG = "partnerships"
TITLE = "Partnerships"
STATUSES = tuple(s.value for s in PartnershipStatus)


@dataclass(frozen=True, slots=True)
class PartnershipFilters:
    status: str | None


def parse(values: dict[str, Any]) -> PartnershipFilters:
    return PartnershipFilters(status=params.choice(values.get("status"), STATUSES))


def _data(filters: PartnershipFilters) -> reporting.PartnershipFigures:
    return cached(
        current_session(), reporting.partnership_figures, on=date.today(), status=filters.status
    )


def layout(query: dict[str, str]) -> Any:
    filters = parse(query)
    return html.Div(
        [
            page_header(
                TITLE,
                "All unarchived agreements by status; by type, pillar and partner kind for the "
                "status chosen; renewals whose notice date falls in the next "
                f"{reporting.RENEWAL_WINDOW_DAYS} days.",
            ),
            filter_bar(
                labelled(
                    "Status (type, pillar, kind and per-year charts)",
                    dcc.Dropdown(
                        id=fid("status"),
                        options=[{"label": figures.humanize(s), "value": s} for s in STATUSES],
                        value=filters.status,
                        placeholder="All statuses",
                        style={"minWidth": "14rem"},
                    ),
                )
            ),
            html.Div(id="partnerships-empty"),
            dbc.Row(
                [
                    dbc.Col(chart_card("By status", "p-status", download="status"), lg=6),
                    dbc.Col(chart_card("By type", "p-type", download="type"), lg=6),
                    dbc.Col(chart_card("By pillar", "p-pillar", download="pillar"), lg=6),
                    dbc.Col(chart_card("By partner kind", "p-kind", download="kind"), lg=6),
                    dbc.Col(
                        chart_card(
                            "New agreements per year (by start date)",
                            "p-years",
                            download="per-year",
                        ),
                        lg=12,
                    ),
                    dbc.Col(
                        chart_card(
                            "Renewals ahead (notice date within "
                            f"{reporting.RENEWAL_WINDOW_DAYS} days)",
                            "p-renewals",
                            download="renewals",
                            body=html.Div(id="p-renewals"),
                        ),
                        lg=12,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


def renewals_table(data: reporting.PartnershipFigures) -> Any:
    if not data.renewals:
        return empty_state(
            f"No active agreement reaches its renewal notice date in the next "
            f"{reporting.RENEWAL_WINDOW_DAYS} days."
        )
    return dbc.Table(
        [
            html.Thead(
                html.Tr(
                    [
                        html.Th(h)
                        for h in ("Notice date", "Agreement", "Partner", "Type", "Ends", "Owner")
                    ]
                )
            ),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(r.notice_date.isoformat()),
                            html.Td(r.title),
                            html.Td(r.organization),
                            html.Td(figures.humanize(r.type.value)),
                            html.Td(f"{r.end_date.isoformat()} ({r.notice_days} days' notice)"),
                            html.Td(r.owner or "—"),
                        ]
                    )
                    for r in data.renewals
                ]
            ),
        ],
        size="sm",
        striped=True,
        responsive=True,
        className="small mb-0",
    )


def _stamp(
    filters: PartnershipFilters, data: reporting.PartnershipFigures
) -> list[tuple[str, Any]]:
    return [
        ("filters", params.to_search({"status": filters.status}) or "all statuses"),
        ("as of", data.on),
    ]


def _counts_download(chart: str, attribute: str, column: str) -> Any:
    def download(values: dict[str, Any], suppress: bool) -> exports.Export:
        filters = parse(values)
        data = _data(filters)
        text = exports.document(
            title=f"Partnerships by {column}",
            stamp=_stamp(filters, data),
            columns=[column, "partnerships"],
            rows=getattr(data, attribute),
        )
        return exports.Export(exports.filename(SLUG, chart, data.on, filters.status), text)

    return download


def download_per_year(values: dict[str, Any], suppress: bool) -> exports.Export:
    filters = parse(values)
    data = _data(filters)
    text = exports.document(
        title="New partnerships per year (by start date) and type",
        stamp=_stamp(filters, data),
        columns=["year", "type", "partnerships"],
        rows=data.new_per_year,
    )
    return exports.Export(exports.filename(SLUG, "per-year", data.on, filters.status), text)


def download_renewals(values: dict[str, Any], suppress: bool) -> exports.Export:
    filters = parse(values)
    data = _data(filters)
    text = exports.document(
        title=f"Renewals ahead (notice date within {reporting.RENEWAL_WINDOW_DAYS} days)",
        stamp=[("as of", data.on)],
        columns=["notice_date", "title", "partner", "type", "end_date", "notice_days", "owner"],
        rows=(
            [
                r.notice_date,
                r.title,
                r.organization,
                r.type.value,
                r.end_date,
                r.notice_days,
                r.owner,
            ]
            for r in data.renewals
        ),
    )
    return exports.Export(exports.filename(SLUG, "renewals", data.on), text)


def register(app: dash.Dash) -> None:
    @app.callback(
        Output("p-status", "figure"),
        Output("p-type", "figure"),
        Output("p-pillar", "figure"),
        Output("p-kind", "figure"),
        Output("p-years", "figure"),
        Output("p-renewals", "children"),
        Output("partnerships-empty", "children"),
        Input(fid("status"), "value"),
    )
    def update(status: Any) -> tuple[Any, ...]:
        data = _data(parse({"status": status}))
        none = "No partnerships recorded."
        return (
            figures.count_bars(data.by_status, empty=none),
            figures.count_bars(data.by_type, empty=none),
            figures.count_bars(
                data.by_pillar, empty="No partnerships tagged with a pillar.", horizontal=True
            ),
            figures.count_bars(data.by_kind, empty=none),
            figures.partnerships_per_year_figure(data),
            renewals_table(data),
            empty_state("No partnerships recorded yet.") if data.is_empty else None,
        )


PAGE = Page(
    slug=SLUG,
    title=TITLE,
    summary="Agreements by status, type, pillar and partner kind; renewals ahead; new per year.",
    layout=layout,
    register=register,
    downloads={
        "status": _counts_download("status", "by_status", "status"),
        "type": _counts_download("type", "by_type", "type"),
        "pillar": _counts_download("pillar", "by_pillar", "pillar"),
        "kind": _counts_download("kind", "by_kind", "partner_kind"),
        "per-year": download_per_year,
        "renewals": download_renewals,
    },
)
