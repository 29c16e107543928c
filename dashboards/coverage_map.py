"""Coverage map: the world by coverage status on a date, replayed year by year since 1999."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, dcc, html

from coordapp.cache import cached
from coordapp.config import PIPELINE_STAGE_MAX_MONTHS, PIPELINE_STAGE_MIN_MONTHS
from coordapp.extensions import current_session
from coordapp.network import coverage as network_coverage
from coordapp.network.pipeline import PipelineTarget
from coordapp.reporting import coverage as coverage_report
from coordapp.reporting import disclosed
from coordapp.reporting.common import FIRST_YEAR, country_codes, period_end, regions
from dashboards import compliance_colour, exports, figures, params
from dashboards.filters import choice_filter, filter_callback, radio_filter
from dashboards.geo import world_shapes
from dashboards.layout import (
    Page,
    chart_column,
    empty_state,
    fid,
    kpi_tile,
    page_header,
    viewer_suppression,
)
from dashboards.responses import component_json

SLUG = "map"
TITLE = "Coverage map"
PLAY_INTERVAL_MS = 900


@dataclass(frozen=True, slots=True)
class MapFilters:
    year: int
    region: str | None
    country: str | None
    colour: str = compliance_colour.COVERAGE

    def on(self, today: date) -> date:
        return period_end(self.year, today=today)


def parse(values: dict[str, Any], *, today: date | None = None) -> MapFilters:
    today = today or date.today()
    session = current_session()
    region_choices = cached(session, regions)
    country = params.country_code(values.get("country"), cached(session, country_codes))
    return MapFilters(
        year=params.year(
            values.get("year"),
            default=today.year,
            lowest=FIRST_YEAR,
            highest=today.year,
        ),
        region=params.choice(values.get("region"), region_choices),
        country=country,
        colour=params.choice(values.get("colour"), compliance_colour.MODES)
        or compliance_colour.COVERAGE,
    )


def _slider_marks(first: int, last: int) -> dict[int, str]:
    marks = {y: str(y) for y in range(first, last + 1) if (y - first) % 3 == 0}
    marks[last] = str(last)
    return marks


def play_label(*, playing: bool) -> list[Any]:
    """The play button's icon (Bootstrap Icons, served locally) and word."""
    icon = "bi-pause-fill" if playing else "bi-play-fill"
    decorative: dict[str, Any] = {"aria-hidden": "true"}  # the word names the button
    return [
        html.I(className=f"bi {icon} me-1", **decorative),
        "Pause" if playing else "Play",
    ]


def layout(query: dict[str, str]) -> Any:
    today = date.today()
    filters = parse(query, today=today)
    region_choices = cached(current_session(), regions)
    controls = dbc.Card(
        dbc.CardBody(
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Button(
                            play_label(playing=False),
                            id="map-play",
                            color="primary",
                            size="sm",
                            className="text-nowrap",
                            title="Replay the network's growth year by year",
                        ),
                        width="auto",
                    ),
                    dbc.Col(
                        [
                            html.Label(
                                "Year (coverage at year end; today for this year)",
                                className="form-label small text-body-secondary mb-1",
                            ),
                            dcc.Slider(
                                id=fid("year"),
                                min=FIRST_YEAR,
                                max=today.year,
                                step=1,
                                value=filters.year,
                                marks=_slider_marks(FIRST_YEAR, today.year),
                                tooltip={"placement": "bottom", "always_visible": False},
                                included=True,
                                updatemode="mouseup",
                            ),
                        ],
                        className="flex-grow-1",
                    ),
                    choice_filter(
                        "Region (UN M49)",
                        "region",
                        [{"label": r, "value": r} for r in region_choices],
                        filters.region,
                        all_label="All regions",
                        min_width="12rem",
                    ),
                    radio_filter(
                        "Colour by", "colour", compliance_colour.MODE_OPTIONS, filters.colour
                    ),
                ],
                className="g-3 align-items-end",
            )
        ),
        className="shadow-sm mb-3",
    )
    return html.Div(
        [
            page_header(
                TITLE,
                "Full members, provisional members and the expansion pipeline, country by "
                "country. Drag the slider or press play to replay the network's growth since "
                "1999; click a country to see its hotlines and expansion work.",
            ),
            controls,
            dcc.Interval(id="map-interval", interval=PLAY_INTERVAL_MS, disabled=True),
            dcc.Store(id="map-play-clicks", data=0),  # clicks on play / pause acted on so far
            dcc.Input(id=fid("country"), type="hidden", value=filters.country or ""),
            dbc.Row(id="map-headline", className="g-3 mb-3"),
            dbc.Row(
                [
                    chart_column(
                        "Coverage", "map-graph", download="coverage", note_id="map-note", lg=8
                    ),
                    dbc.Col(
                        [
                            html.Div(id="map-panel", className="mb-3"),
                            html.Div(id="map-small"),
                        ],
                        lg=4,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


def headline(data: coverage_report.CoverageMap) -> list[Any]:
    where = f" in {data.region}" if data.region else ""
    return [
        kpi_tile(
            f"Member hotlines{where}",
            str(data.member_hotlines),
            detail=f"{data.full_hotlines} full · {data.provisional_hotlines} provisional",
            figure="member_hotlines",
        ),
        kpi_tile(
            f"{network_coverage.COUNTRIES_COVERED_LABEL}{where}",
            str(data.countries_covered),
            detail=f"{data.summary.countries_full} by full · "
            f"{data.summary.countries_provisional} by provisional members only",
            figure="countries_covered",
        ),
        kpi_tile(
            f"{network_coverage.TERRITORIES_COVERED_LABEL}{where}",
            str(data.territories_covered),
            detail="dependent territories, drawn on the map, counted apart",
            figure="territories_covered",
        ),
        kpi_tile(
            "In the expansion pipeline",
            str(data.summary.countries_in_pipeline),
            detail="countries without a member hotline yet",
            figure="countries_in_pipeline",
        ),
        kpi_tile(
            "As of",
            data.on.isoformat(),
            detail="today" if data.on == date.today() else "end of the chosen year",
            figure="as-of",
        ),
    ]


def small_list(data: coverage_report.CoverageMap) -> Any:
    """The covered countries too small for the map's shapes, as buttons. Written as the JSON
    their components serialise to (``component_json``): at 100x the network the list holds
    some hundred buttons, and building each as a Dash component was most of the answer's
    Python."""
    small = figures.small_covered_countries(data, world_shapes())
    if not small:
        return None
    colors = figures.STATUS_COLORS
    return component_json(
        dbc.Card,
        component_json(
            dbc.CardBody,
            [
                component_json(html.H2, "Too small for the map's shapes", className="h6"),
                component_json(
                    html.P,
                    "Shown as dots on the map; click a name for its panel.",
                    className="small text-body-secondary mb-2",
                ),
                component_json(
                    html.Div,
                    [
                        component_json(
                            dbc.Button,
                            c.name,
                            id={"type": "small-country", "code": c.code},
                            size="sm",
                            color="light",
                            className="me-1 mb-1 border",
                            style={"borderLeft": f"4px solid {colors[c.status]}"},
                        )
                        for c in small
                    ],
                ),
            ],
        ),
        className="shadow-sm",
    )


def _history_list(items: list[Any]) -> Any:
    return html.Ul(items, className="small mb-2 ps-3")


def _stage_open(target: PipelineTarget | None) -> Any:
    """How long the current stage has been open, against the 6–12-month benchmark."""
    if target is None:
        return html.Div("Not in the expansion pipeline on this date.", id="map-panel-stage-open")
    months = target.months_in_stage
    text = (
        f"In this stage since {target.stage_since.isoformat()} ({months} month"
        f"{'' if months == 1 else 's'}; benchmark {PIPELINE_STAGE_MIN_MONTHS}–"
        f"{PIPELINE_STAGE_MAX_MONTHS} months)"
    )
    flag = (
        [" ", dbc.Badge(f"open over {PIPELINE_STAGE_MAX_MONTHS} months", color="warning")]
        if target.stalled
        else []
    )
    return html.Div([text, *flag], id="map-panel-stage-open")


def panel(data: coverage_report.CountryPanel | None) -> Any:
    if data is None:
        return empty_state(
            "Click a country on the map to see its hotlines, membership history, expansion "
            "stage, partners and trainings.",
            id="map-panel-empty",
        )
    status = figures.STATUS_LABELS[data.status]
    blocks: list[Any] = [
        html.H2(data.name, className="h5 mb-0", id="map-panel-title"),
        html.Div(
            f"{data.sub_region or data.region or ''} · {status} on {data.on.isoformat()}"
            + (f" · member since {data.member_since.isoformat()}" if data.member_since else ""),
            className="small text-body-secondary mb-2",
        ),
    ]
    blocks.append(html.H3("Hotlines", className="h6 mt-2"))
    if data.hotlines:
        for hotline in data.hotlines:
            now = figures.humanize(hotline.status.value) if hotline.status else "—"
            blocks.append(
                html.Div(
                    [
                        html.Div(
                            [html.Strong(hotline.name), f" ({hotline.home_country}) · {now}"],
                            className="small",
                        ),
                        _history_list(
                            [
                                html.Li(
                                    f"{step.on.isoformat()} {figures.humanize(step.status.value)}"
                                    + (f" — {step.note}" if step.note else "")
                                )
                                for step in hotline.history
                            ]
                        ),
                    ]
                )
            )
    else:
        blocks.append(html.P("No hotline accepts reports for this country.", className="small"))
    blocks.append(html.H3("Expansion", className="h6 mt-2"))
    if data.expansion is not None:
        exp = data.expansion
        stage = figures.humanize(exp.stage.value) if exp.stage else "not started by then"
        blocks.append(
            html.Div(
                [
                    html.Div(
                        f"Stage: {stage} · priority {exp.priority} · owner {exp.owner or '—'}"
                    ),
                    html.Div(
                        f"Next step: {exp.next_step or '—'}"
                        + (f" (due {exp.next_step_due.isoformat()})" if exp.next_step_due else "")
                    ),
                    _stage_open(exp.pipeline),
                    _history_list(
                        [
                            html.Li(f"{day.isoformat()} {figures.humanize(s.value)}")
                            for day, s in exp.history
                        ]
                    ),
                ],
                className="small",
            )
        )
    else:
        blocks.append(html.P("No expansion target for this country.", className="small"))
    blocks.append(html.H3("Partners based here", className="h6 mt-2"))
    blocks.append(
        _history_list(
            [
                html.Li(f"{name} · {figures.humanize(str(kind))} · {status_}")
                for name, kind, status_ in data.partners
            ]
        )
        if data.partners
        else html.P("None recorded.", className="small")
    )
    blocks.append(html.H3("Trainings attended", className="h6 mt-2"))
    if data.trainings_attended:
        blocks.append(
            html.Div(
                f"{data.trainings_attended} events, {data.participants_trained} participants "
                "from hotlines based here (latest first):",
                className="small",
            )
        )
        blocks.append(
            _history_list(
                [
                    html.Li(f"{t.start_date.isoformat()} {t.title} — {t.participants}")
                    for t in data.trainings
                ]
            )
        )
    else:
        blocks.append(html.P("None up to this date.", className="small"))
    return dbc.Card(dbc.CardBody(blocks), className="shadow-sm", id="map-panel-card")


def download_coverage(values: dict[str, Any], suppress: bool) -> exports.Export:
    today = date.today()
    filters = parse(values, today=today)
    on = filters.on(today)
    data = cached(current_session(), coverage_report.coverage_map, on=on, region=filters.region)
    text = exports.document(
        title="Coverage by country",
        stamp=[
            ("filters", params.to_search({"year": filters.year, "region": filters.region})),
            ("as of", on),
            ("member hotlines", data.member_hotlines),
            ("countries covered", data.countries_covered),
            ("territories covered", data.territories_covered),
        ],
        columns=[
            "alpha2",
            "alpha3",
            "country",
            "kind",
            "region",
            "status",
            "hotlines",
            "member_since",
            "pipeline_stage",
        ],
        rows=(
            [
                c.code,
                c.alpha3,
                c.name,
                "country" if c.is_sovereign else "territory",
                c.region,
                c.status.value,
                "; ".join(c.hotlines),
                c.member_since,
                c.pipeline_stage.value if c.pipeline_stage else "",
            ]
            for c in data.countries
        ),
    )
    return exports.Export(exports.filename(SLUG, "coverage", on, filters.region), text)


def register(app: dash.Dash) -> None:
    @filter_callback(
        app,
        Output("map-graph", "figure"),
        Output("map-headline", "children"),
        Output("map-small", "children"),
        Output("map-note", "children"),
        filters=("year", "region", "colour"),
    )
    def update_map(values: dict[str, Any]) -> tuple[Any, Any, Any, str]:
        today = date.today()
        filters = parse(values, today=today)
        data = cached(
            current_session(),
            coverage_report.coverage_map,
            on=filters.on(today),
            region=filters.region,
        )
        note = (
            f"Coverage on {data.on.isoformat()}: a country is covered when a provisional or full "
            "member hotline accepts reports for it."
        )
        if data.is_empty:
            note = f"No country was covered or in the expansion pipeline on {data.on.isoformat()}."
        if filters.colour == compliance_colour.COMPLIANCE:
            shares = coverage_report.compliance_shares(current_session(), today=today)
            figure = compliance_colour.compliance_map_figure(data, shares, world_shapes())
            note = compliance_colour.NOTE
        else:
            figure = figures.coverage_map_figure(data, world_shapes())
        return (
            figure,
            headline(data),
            small_list(data),
            note,
        )

    @app.callback(
        Output(fid("year"), "value"),
        Output("map-interval", "disabled"),
        Output("map-play", "children"),
        Output("map-play-clicks", "data"),
        Input("map-play", "n_clicks"),
        Input("map-interval", "n_intervals"),
        State(fid("year"), "value"),
        State("map-interval", "disabled"),
        State("map-play-clicks", "data"),
        prevent_initial_call=True,
    )
    def play(
        clicks: Any, _ticks: Any, year: Any, stopped: bool, acted_on: Any
    ) -> tuple[Any, bool, Any, int]:
        """Play / pause on a click, one year further on each tick while playing.

        A click is known by the count of clicks, not by what triggered the call: Dash drops a
        call still running when the same callback is called again, so when a tick follows a
        click on pause at once, the tick's call is the one that must pause."""
        last = date.today().year
        current = params.year(year, default=last, lowest=FIRST_YEAR, highest=last)
        clicks = params.count(clicks)
        if (clicks - params.count(acted_on)) % 2:  # a click not acted on yet: play or pause
            if not stopped:
                return dash.no_update, True, play_label(playing=False), clicks
            start = FIRST_YEAR if current >= last else current
            return start, False, play_label(playing=True), clicks
        if stopped:
            return dash.no_update, True, play_label(playing=False), clicks
        following = min(current + 1, last)
        done = following >= last
        return following, done, play_label(playing=not done), clicks

    @app.callback(
        Output(fid("country"), "value"),
        Input("map-graph", "clickData"),
        Input({"type": "small-country", "code": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def choose_country(click: Any, _small: Any) -> Any:
        trigger = dash.ctx.triggered_id
        if isinstance(trigger, dict):
            clicked = dash.ctx.triggered[0].get("value")
            return trigger.get("code", "") if clicked else dash.no_update
        try:
            return str(click["points"][0]["customdata"])
        except (KeyError, IndexError, TypeError):
            return dash.no_update

    @filter_callback(app, Output("map-panel", "children"), filters=("country", "year"))
    def show_panel(values: dict[str, Any]) -> Any:
        today = date.today()
        filters = parse(values, today=today)
        if filters.country is None:
            return panel(None)
        session = current_session()
        data = cached(
            session, coverage_report.country_panel, code=filters.country, on=filters.on(today)
        )
        if data is not None:
            data = disclosed.country_panel(
                session, data, viewer_can_see_exact=not viewer_suppression()
            )
        return panel(data)


PAGE = Page(
    slug=SLUG,
    title=TITLE,
    summary="The world by coverage status since 1999, with a play button, region filter and "
    "a panel per country.",
    layout=layout,
    register=register,
    downloads={"coverage": download_coverage},
)
