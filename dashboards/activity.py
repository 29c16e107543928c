"""Hotline activity: the aggregate statistics per quarter, by hotline, country or region."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Output, html

from coordapp import disclosure
from coordapp.cache import cached
from coordapp.extensions import current_session
from coordapp.reporting import activity as activity_report
from coordapp.reporting import disclosed
from coordapp.reporting.common import regions
from coordapp.stats import quarters
from dashboards import activity_figures, exports, params
from dashboards.filters import (
    choice_filter,
    dropdown,
    filter_bar,
    filter_callback,
    labelled,
    radio_filter,
    year_options,
)
from dashboards.layout import Page, chart_column, empty_state, page_header, viewer_suppression

SLUG = "activity"
TITLE = "Hotline activity"
FIRST_YEAR = 2000
GROUP_LABELS = {
    "network": "Network",
    "region": "Region",
    "country": "Country",
    "hotline": "Hotline",
}


@dataclass(frozen=True, slots=True)
class ActivityFilters(params.YearRange):
    metric: str | None
    group_by: str
    region: str | None

    def query(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "by": self.group_by,
            "region": self.region,
            **self.years_query(),
        }


def parse(values: dict[str, Any], *, today: date | None = None) -> ActivityFilters:
    today = today or date.today()
    session = current_session()
    metric_codes = [m.code for m in cached(session, activity_report.metrics)]
    first, last = params.recent_years(values, today=today, lowest=FIRST_YEAR, back=7)
    return ActivityFilters(
        metric=params.choice(
            values.get("metric"), metric_codes, metric_codes[0] if metric_codes else None
        ),
        group_by=params.choice(values.get("by"), activity_report.GROUPINGS, "region") or "region",
        region=params.choice(values.get("region"), cached(session, regions)),
        first_year=first,
        last_year=last,
    )


def _data(filters: ActivityFilters, *, suppress: bool) -> activity_report.ActivityFigures:
    data = cached(
        current_session(),
        activity_report.hotline_activity,
        metric_code=filters.metric or "",
        group_by=filters.group_by,
        **filters.years(),
        region=filters.region,
        small_below=disclosure.threshold(),
    )
    return disclosed.activity(data, viewer_can_see_exact=not suppress)


def _is_count(data: activity_report.ActivityFigures) -> bool:
    return data.metric is not None and data.metric.unit.is_count


def layout(query: dict[str, str]) -> Any:
    today = date.today()
    filters = parse(query, today=today)
    session = current_session()
    years = year_options(FIRST_YEAR, today.year)
    return html.Div(
        [
            page_header(
                TITLE,
                "Aggregate statistics the member hotlines report per quarter — counts only, "
                "never report contents. Counts are summed, percentages averaged over hotlines; "
                "each value is labelled with the version of the metric's definition.",
            ),
            filter_bar(
                choice_filter(
                    "Metric",
                    "metric",
                    [
                        {"label": m.name, "value": m.code}
                        for m in cached(session, activity_report.metrics)
                    ],
                    filters.metric,
                    min_width="16rem",
                ),
                radio_filter(
                    "By",
                    "by",
                    [{"label": v, "value": k} for k, v in GROUP_LABELS.items()],
                    filters.group_by,
                ),
                choice_filter(
                    "Region",
                    "region",
                    [{"label": r, "value": r} for r in cached(session, regions)],
                    filters.region,
                    all_label="All regions",
                ),
                labelled(
                    "Years",
                    html.Div(
                        [
                            dropdown("from", years, filters.first_year, min_width="6.5rem"),
                            html.Span("–", className="align-self-center"),
                            dropdown("to", years, filters.last_year, min_width="6.5rem"),
                        ],
                        className="d-flex gap-1",
                    ),
                ),
            ),
            html.Div(id="activity-definition", className="small text-body-secondary mb-3"),
            dbc.Row(
                [
                    chart_column("Per quarter", "a-trend", download="quarters", lg=12),
                    chart_column(
                        "By group over the years chosen", "a-groups", download="groups", lg=12
                    ),
                    chart_column(
                        "Quarters submitted, and by the deadline",
                        "a-rates",
                        download="rates",
                        note_id="a-rates-note",
                        note="Of the hotlines that were provisional or full members on the "
                        "quarter's last day; on time: submitted within "
                        f"{quarters.deadline_days()} days of its end (first submission).",
                        lg=12,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


def _stamp(
    filters: ActivityFilters, data: activity_report.ActivityFigures
) -> list[tuple[str, Any]]:
    metric = data.metric
    return [
        ("filters", params.to_search(filters.query())),
        ("as of", date.today()),
        ("metric", f"{metric.code}: {metric.name}" if metric else "none"),
        (exports.METRIC_VERSION, ", ".join(f"v{v}" for v in data.versions) or "—"),
        ("unit changes", "; ".join(c.label for c in data.unit_changes) or "none"),
        ("definition", metric.definition if metric else "—"),
        ("counted", "approved quarters only"),
        ("provisional", ", ".join(d.isoformat() for d in data.provisional) or "none"),
        (
            "aggregation",
            "sum" if metric and metric.unit.is_count else "mean over hotlines",
        ),
    ]


def _rows(points: Any) -> Any:
    for p in points:
        yield [p.period_start, p.group, f"v{p.version}", p.value, p.hotlines]


def _title(title: str, data: activity_report.ActivityFigures, *, suppress: bool) -> str:
    return title + (f" ({disclosure.note()})" if suppress and _is_count(data) else "")


def download_quarters(values: dict[str, Any], suppress: bool) -> exports.Export:
    filters = parse(values)
    data = _data(filters, suppress=suppress)
    points = data.by_period if data.group_by == "network" else data.by_period_group
    text = exports.document(
        title=_title("Hotline statistics per quarter", data, suppress=suppress),
        stamp=_stamp(filters, data),
        columns=["quarter_start", "group", "metric_version", "value", "hotlines"],
        rows=_rows(points),
    )
    return exports.Export(
        exports.filename(
            SLUG,
            "quarters",
            filters.metric,
            filters.group_by,
            filters.first_year,
            filters.last_year,
        ),
        text,
    )


def download_groups(values: dict[str, Any], suppress: bool) -> exports.Export:
    filters = parse(values)
    data = _data(filters, suppress=suppress)
    text = exports.document(
        title=_title("Hotline statistics by group", data, suppress=suppress),
        stamp=_stamp(filters, data),
        columns=["from", "group", "metric_version", "value", "hotlines"],
        rows=_rows(data.by_group),
    )
    return exports.Export(
        exports.filename(
            SLUG, "groups", filters.metric, filters.group_by, filters.first_year, filters.last_year
        ),
        text,
    )


def _hidden_note() -> str:
    return f"{disclosure.note()} A sum that includes one is hidden too (not drawn)."


def register(app: dash.Dash) -> None:
    @filter_callback(
        app,
        Output("a-trend", "figure"),
        Output("a-groups", "figure"),
        Output("activity-definition", "children"),
        Output("a-rates", "figure"),
        filters=("metric", "by", "region", "from", "to"),
    )
    def update(values: dict[str, Any]) -> tuple[Any, ...]:
        filters = parse(values)
        suppress = viewer_suppression()
        data = _data(filters, suppress=suppress)
        if data.metric is None:
            note: Any = empty_state("No metric definitions: run `flask seed`.")
        else:
            versions = ", ".join(f"v{v}" for v in data.versions) or f"v{data.metric.version}"
            note = [
                html.Strong(data.metric.name),
                f" — definition {versions}: {data.metric.definition}",
            ]
            if data.unit_changes:
                changes = "; ".join(c.label for c in data.unit_changes)
                note = [
                    *note,
                    html.Div(
                        f"The unit changes ({changes}): each unit is its own line, never added "
                        "to another; the totals by group count the latest unit only.",
                        className="mt-1 text-warning-emphasis",
                        id="activity-unit-change",
                    ),
                ]
            if suppress and _is_count(data):
                note = [*note, html.Div(_hidden_note(), className="mt-1")]
            if data.is_empty:
                note = [
                    *note,
                    empty_state("No statistics reported for these filters.", className="mt-2"),
                ]
            if data.provisional:
                note = [*note, html.Div(_provisional_note(data), className="mt-1")]
        return (
            activity_figures.activity_trend_figure(data),
            activity_figures.activity_groups_figure(data),
            note,
            activity_figures.reporting_rates_figure(_rates(filters)),
        )


def _provisional_note(data: activity_report.ActivityFigures) -> str:
    quarters_text = ", ".join(f"Q{(d.month - 1) // 3 + 1} {d.year}" for d in data.provisional)
    return (
        f"Provisional (shaded): {quarters_text} — figures of some hotlines await approval and "
        "are not counted yet. Only approved quarters count."
    )


def _rates(filters: ActivityFilters) -> Any:
    return cached(
        current_session(),
        activity_report.reporting_rates,
        **filters.years(),
        today=date.today(),
        region=filters.region,
    )


def download_rates(values: dict[str, Any], suppress: bool) -> exports.Export:
    filters = parse(values)
    text = exports.document(
        title="Quarters submitted, and by the deadline",
        stamp=[
            ("filters", params.to_search(filters.query())),
            ("as of", date.today()),
            ("deadline", f"{quarters.deadline_days()} days after the quarter's end"),
        ],
        columns=["quarter", "deadline", "member_hotlines", "submitted", "on_time", "undated"],
        rows=(
            [r.label, r.deadline, r.members, r.submitted, r.on_time, r.undated]
            for r in _rates(filters)
        ),
    )
    return exports.Export(
        exports.filename(SLUG, "rates", filters.first_year, filters.last_year, filters.region),
        text,
    )


PAGE = Page(
    slug=SLUG,
    title=TITLE,
    summary="Quarterly aggregate statistics by hotline, country and region, labelled with the "
    "metric definition's version.",
    layout=layout,
    register=register,
    downloads={"quarters": download_quarters, "groups": download_groups, "rates": download_rates},
)
