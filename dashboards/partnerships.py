"""Partnerships: in force, renewals due, ended without a decision; agreements by status (on
today's date), type, pillar and partner kind; renewals due; new per year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Output, html

from coordapp.cache import cached
from coordapp.extensions import current_session
from coordapp.partners import agreements as partners_agreements
from coordapp.reporting import partnerships as partnership_report
from dashboards import exports, figures, params
from dashboards.filters import choice_filter, filter_bar, filter_callback
from dashboards.layout import (
    Page,
    chart_column,
    empty_state,
    kpi_tile,
    page_header,
)
from dashboards.responses import component_json

SLUG = "partnerships"
TITLE = "Partnerships"
STATUSES = tuple(s.value for s in partners_agreements.AgreementState)
RENEWALS_TITLE = (
    f"{partners_agreements.RENEWALS_DUE_LABEL} (renewal date within "
    f"{partners_agreements.RENEWAL_WINDOW_DAYS} days or overdue)"
)


@dataclass(frozen=True, slots=True)
class CountChart:
    """A chart of the agreements counted by one of the figures' breakdowns, and its download."""

    title: str
    graph_id: str
    key: str  # of its download
    breakdown: str  # the attribute of ``PartnershipFigures``: (label, count) pairs
    column: str  # the export's header of the labels


COUNT_CHARTS = (
    CountChart("By status", "p-status", "status", "by_status", "status"),
    CountChart("By type", "p-type", "type", "by_type", "type"),
    CountChart("By pillar", "p-pillar", "pillar", "by_pillar", "pillar"),
    CountChart("By partner kind", "p-kind", "kind", "by_kind", "partner_kind"),
)


@dataclass(frozen=True, slots=True)
class PartnershipFilters:
    status: str | None


def parse(values: dict[str, Any]) -> PartnershipFilters:
    return PartnershipFilters(status=params.choice(values.get("status"), STATUSES))


def _data(filters: PartnershipFilters) -> partnership_report.PartnershipFigures:
    return cached(
        current_session(),
        partnership_report.partnership_figures,
        on=date.today(),
        status=filters.status,
    )


def layout(query: dict[str, str]) -> Any:
    filters = parse(query)
    return html.Div(
        [
            page_header(
                TITLE,
                "All unarchived agreements by their status today (an active agreement past its "
                "end date is expired, not in force); by type, pillar and partner kind for the "
                "status chosen; agreements in force whose renewal date (end date minus notice) "
                f"falls in the next {partners_agreements.RENEWAL_WINDOW_DAYS} days or has passed.",
            ),
            filter_bar(
                choice_filter(
                    "Status today (type, pillar, kind and per-year charts)",
                    "status",
                    [
                        {"label": partners_agreements.agreement_state_label(s), "value": s.value}
                        for s in partners_agreements.AgreementState
                    ],
                    filters.status,
                    all_label="All statuses",
                    min_width="14rem",
                )
            ),
            html.Div(id="partnerships-empty"),
            dbc.Row(id="p-tiles", className="g-3 mb-3"),
            dbc.Row(
                [
                    *(
                        chart_column(chart.title, chart.graph_id, download=chart.key, lg=6)
                        for chart in COUNT_CHARTS
                    ),
                    chart_column(
                        "New agreements per year (by start date)",
                        "p-years",
                        download="per-year",
                        lg=12,
                    ),
                    chart_column(
                        RENEWALS_TITLE,
                        "p-renewals",
                        download="renewals",
                        body=html.Div(id="p-renewals"),
                        lg=12,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


def tiles(data: partnership_report.PartnershipFigures) -> list[Any]:
    """The three headline figures, each from its one definition in ``coordapp.partners``."""
    return [
        kpi_tile(
            partners_agreements.IN_FORCE_LABEL,
            f"{data.in_force:,}",
            detail="active agreements, started and not past their end date",
            figure="partnerships_in_force",
        ),
        kpi_tile(
            partners_agreements.RENEWALS_DUE_LABEL,
            f"{len(data.renewals):,}",
            detail=(
                f"renewal date within {partners_agreements.RENEWAL_WINDOW_DAYS} days: "
                f"{sum(r.overdue(data.on) for r in data.renewals)} overdue"
            ),
            figure="renewals_due",
        ),
        kpi_tile(
            partners_agreements.EXPIRED_LABEL,
            f"{data.expired:,}",
            detail="still recorded as active, end date passed",
            figure="partnerships_expired",
        ),
    ]


def status_pairs(data: partnership_report.PartnershipFigures) -> list[tuple[str, int]]:
    """The by-status counts with their labels ("Active (in force)", "Expired (end date …)")."""
    return [
        (partners_agreements.agreement_state_label(partners_agreements.AgreementState(key)), count)
        for key, count in data.by_status
    ]


def renewals_table(data: partnership_report.PartnershipFigures) -> Any:
    """The renewals due as a table. Its cells are written as the JSON their components
    serialise to (``component_json``): at 100x the network a callback's answer holds some 300
    of them, and building each as a Dash component cost more than its SQL."""
    if not data.renewals:
        return empty_state(
            f"No agreement in force reaches its renewal date in the next "
            f"{partners_agreements.RENEWAL_WINDOW_DAYS} days, and none is overdue."
        )
    header = ("Renewal date", "Agreement", "Partner", "Type", "Ends", "Owner")
    return component_json(
        dbc.Table,
        [
            component_json(
                html.Thead,
                component_json(html.Tr, [component_json(html.Th, h) for h in header]),
            ),
            component_json(
                html.Tbody,
                [
                    component_json(
                        html.Tr,
                        [
                            component_json(html.Td, cell)
                            for cell in (
                                r.notice_date.isoformat()
                                + (" (overdue)" if r.overdue(data.on) else ""),
                                r.title,
                                r.organization,
                                figures.humanize(r.type.value),
                                f"{r.end_date.isoformat()} ({r.notice_days} days' notice)",
                                r.owner or "—",
                            )
                        ],
                    )
                    for r in data.renewals
                ],
            ),
        ],
        size="sm",
        striped=True,
        responsive=True,
        className="small mb-0",
    )


def _stamp(
    filters: PartnershipFilters, data: partnership_report.PartnershipFigures
) -> list[tuple[str, Any]]:
    return [
        ("filters", params.to_search({"status": filters.status}) or "all statuses"),
        ("as of", data.on),
    ]


def _counts_download(chart: CountChart) -> Any:
    def download(values: dict[str, Any], suppress: bool) -> exports.Export:
        filters = parse(values)
        data = _data(filters)
        text = exports.document(
            title=f"Partnerships by {chart.column}",
            stamp=_stamp(filters, data),
            columns=[chart.column, "partnerships"],
            rows=getattr(data, chart.breakdown),
        )
        return exports.Export(exports.filename(SLUG, chart.key, data.on, filters.status), text)

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
        title=RENEWALS_TITLE,
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
    @filter_callback(
        app,
        Output("p-tiles", "children"),
        *(Output(chart.graph_id, "figure") for chart in COUNT_CHARTS),
        Output("p-years", "figure"),
        Output("p-renewals", "children"),
        Output("partnerships-empty", "children"),
        filters=("status",),
    )
    def update(values: dict[str, Any]) -> tuple[Any, ...]:
        data = _data(parse(values))
        none = "No partnerships recorded."
        return (
            tiles(data),
            # the COUNT_CHARTS, in their order
            figures.count_bars(status_pairs(data), empty=none),
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
    summary=(
        "Partnerships in force; agreements by status today, type, pillar and partner kind; "
        "renewals due; new per year."
    ),
    layout=layout,
    register=register,
    downloads={
        **{chart.key: _counts_download(chart) for chart in COUNT_CHARTS},
        "per-year": download_per_year,
        "renewals": download_renewals,
    },
)
