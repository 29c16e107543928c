"""Training: events and participants per year by kind and pillar, reach, feedback."""

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
from coordapp.reporting import disclosed
from coordapp.reporting import training as training_report
from coordapp.reporting.common import pillars
from coordapp.training.models import TrainingKind
from dashboards import exports, figures, params
from dashboards.filters import choice_filter, filter_bar, filter_callback, year_options, year_range
from dashboards.layout import Page, chart_column, empty_state, page_header, viewer_suppression

SLUG = "training"
TITLE = "Training"
FIRST_YEAR = 2000
KINDS = tuple(k.value for k in TrainingKind)


@dataclass(frozen=True, slots=True)
class TrainingFilters(params.YearRange):
    kind: str | None
    pillar: str | None

    def query(self) -> dict[str, Any]:
        return {**self.years_query(), "kind": self.kind, "pillar": self.pillar}


def parse(values: dict[str, Any], *, today: date | None = None) -> TrainingFilters:
    today = today or date.today()
    first, last = params.recent_years(values, today=today, lowest=FIRST_YEAR, back=9)
    pillar_codes = [code for code, _ in cached(current_session(), pillars)]
    return TrainingFilters(
        first,
        last,
        params.choice(values.get("kind"), KINDS),
        params.choice(values.get("pillar"), pillar_codes),
    )


def _data(filters: TrainingFilters, *, suppress: bool) -> training_report.TrainingFigures:
    data = cached(
        current_session(),
        training_report.training_figures,
        **filters.years(),
        kind=filters.kind,
        pillar=filters.pillar,
        until=date.today(),
    )
    return disclosed.training(data, viewer_can_see_exact=not suppress)


def layout(query: dict[str, str]) -> Any:
    today = date.today()
    filters = parse(query, today=today)
    years = year_options(FIRST_YEAR, today.year)
    pillar_options = [
        {"label": name, "value": code} for code, name in cached(current_session(), pillars)
    ]
    return html.Div(
        [
            page_header(
                TITLE,
                "Training events by start date. Participants count everyone sent (hotlines and "
                "other organizations); reach counts hotlines, by the hotline's home country. "
                "Feedback is the average score, weighted by participants.",
            ),
            filter_bar(
                *year_range(years, first=filters.first_year, last=filters.last_year),
                choice_filter(
                    "Kind",
                    "kind",
                    [{"label": figures.humanize(k), "value": k} for k in KINDS],
                    filters.kind,
                    all_label="All kinds",
                ),
                choice_filter(
                    "Pillar",
                    "pillar",
                    pillar_options,
                    filters.pillar,
                    all_label="All pillars",
                    min_width="14rem",
                ),
            ),
            html.Div(id="training-empty"),
            dbc.Row(
                [
                    chart_column("Events per year by kind", "t-events", download="events", lg=6),
                    chart_column(
                        "Participants per year by pillar",
                        "t-participants",
                        download="participants",
                        lg=6,
                    ),
                    chart_column(
                        "Reach by country (participants from its hotlines)",
                        "t-countries",
                        download="countries",
                        lg=6,
                    ),
                    chart_column(
                        "Reach by hotline (top 25)", "t-hotlines", download="hotlines", lg=6
                    ),
                    chart_column("Feedback per year", "t-feedback", download="feedback", lg=12),
                ],
                className="g-3",
            ),
        ]
    )


def _export(chart: str, title: str, columns: list[str], rows: Any) -> Any:
    def download(values: dict[str, Any], suppress: bool) -> exports.Export:
        filters = parse(values)
        data = _data(filters, suppress=suppress)
        text = exports.document(
            title=title + (f" ({disclosure.note()})" if suppress else ""),
            stamp=[("filters", params.to_search(filters.query())), ("as of", date.today())],
            columns=columns,
            rows=rows(data),
        )
        return exports.Export(
            exports.filename(SLUG, chart, filters.first_year, filters.last_year), text
        )

    return download


DOWNLOADS = {
    "events": _export(
        "events",
        "Training events and participants per year by kind",
        ["year", "kind", "events", "participants"],
        lambda d: ([r.year, r.key, r.events, r.participants] for r in d.by_kind),
    ),
    "participants": _export(
        "participants",
        "Training events and participants per year by pillar",
        ["year", "pillar", "events", "participants"],
        lambda d: ([r.year, r.key, r.events, r.participants] for r in d.by_pillar),
    ),
    "countries": _export(
        "countries",
        "Training reach by country of the participating hotline",
        ["alpha3", "country", "events", "participants"],
        lambda d: ([r.key, r.label, r.events, r.participants] for r in d.by_country),
    ),
    "hotlines": _export(
        "hotlines",
        "Training reach by hotline (top 25)",
        ["hotline_id", "hotline", "events", "participants"],
        lambda d: ([r.key, r.label, r.events, r.participants] for r in d.by_hotline),
    ),
    "feedback": _export(
        "feedback",
        "Training feedback per year (average score 1-5, weighted by participants)",
        ["year", "scores", "average"],
        lambda d: ([f.year, f.responses, f.average] for f in d.feedback),
    ),
}


def register(app: dash.Dash) -> None:
    @filter_callback(
        app,
        Output("t-events", "figure"),
        Output("t-participants", "figure"),
        Output("t-countries", "figure"),
        Output("t-hotlines", "figure"),
        Output("t-feedback", "figure"),
        Output("training-empty", "children"),
        filters=("from", "to", "kind", "pillar"),
    )
    def update(values: dict[str, Any]) -> tuple[Any, ...]:
        filters = parse(values)
        data = _data(filters, suppress=viewer_suppression())
        return (
            figures.training_per_year_figure(data, by="kind", measure="events"),
            figures.training_per_year_figure(data, by="pillar", measure="participants"),
            figures.training_reach_figure(data, by="country"),
            figures.training_reach_figure(data, by="hotline"),
            figures.training_feedback_figure(data),
            empty_state("No training events for these filters.") if data.is_empty else None,
        )


PAGE = Page(
    slug=SLUG,
    title=TITLE,
    summary="Events and participants per year by kind and pillar, reach by country and "
    "hotline, feedback.",
    layout=layout,
    register=register,
    downloads=DOWNLOADS,
)
