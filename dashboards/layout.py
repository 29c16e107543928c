"""The dashboards' shell and building blocks: page registry, URL-kept filters, chart cards.

* Filter controls have ids ``{"type": "filter", "name": ...}`` and a ``value``: one callback
  writes them all into the URL's query string, so a link reproduces the view.
* Each chart card has a "Download data" button ``{"type": "download-btn", "key": ...}``: one
  callback asks the current page for that export, computed from the same filters.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, dcc, html
from flask_login import current_user

from coordapp import disclosure
from dashboards import params
from dashboards.exports import Export
from dashboards.geo import TOPOJSON_URL

PREFIX = "/dashboards/"
GRAPH_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "topojsonURL": TOPOJSON_URL,
    "modeBarButtonsToRemove": ["select2d", "lasso2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

Downloader = Callable[[dict[str, Any], bool], Export]


@dataclass(frozen=True)
class Page:
    slug: str
    title: str
    summary: str
    layout: Callable[[dict[str, str]], Any]
    register: Callable[[dash.Dash], None]
    downloads: Mapping[str, Downloader] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return PREFIX + self.slug


def fid(name: str) -> dict[str, str]:
    """The id of a filter control (kept in the URL under ``name``)."""
    return {"type": "filter", "name": name}


def viewer_suppression() -> bool:
    """Small counts are suppressed for everyone below manager (coordapp.disclosure)."""
    return not disclosure.current_user_sees_exact()


def graph(graph_id: str, *, filename: str, height: int | None = None) -> dcc.Graph:
    config = {
        **GRAPH_CONFIG,
        "toImageButtonOptions": {**GRAPH_CONFIG["toImageButtonOptions"], "filename": filename},
    }
    options: dict[str, Any] = {"id": graph_id, "config": config, "className": "coord-graph"}
    if height:
        options["style"] = {"height": f"{height}px"}
    return dcc.Graph(**options)


def _download_button(
    label: str, kind: str, download: str, as_what: str, title: str, margin: str = ""
) -> dbc.Button:
    return dbc.Button(
        label,
        id={"type": kind, "key": download},
        size="sm",
        color="secondary",
        outline=True,
        className=f"download-data text-nowrap {margin}".rstrip(),
        title=f"Download the numbers of “{title}” as {as_what}",
    )


def chart_card(
    title: str,
    graph_id: str,
    *,
    download: str,
    note_id: str | None = None,
    note: str | None = None,
    height: int | None = None,
    body: Any = None,
) -> dbc.Card:
    """A titled card with a chart (or ``body``), its note, and its "Download data" button."""
    header = html.Div(
        [
            html.H2(title, className="h6 mb-0"),
            html.Div(
                [
                    html.Span("Download data:", className="small text-body-secondary me-1"),
                    _download_button("CSV", "download-btn", download, "CSV", title),
                    _download_button(
                        "XLSX", "download-xlsx-btn", download, "an Excel workbook", title, "ms-1"
                    ),
                    dcc.Download(id={"type": "download", "key": download}),
                    dcc.Download(id={"type": "download-xlsx", "key": download}),
                ],
                # The buttons keep their line; a long title wraps instead.
                className="d-flex align-items-center flex-shrink-0 text-nowrap",
            ),
        ],
        className="d-flex justify-content-between align-items-center gap-2",
    )
    content = (
        body
        if body is not None
        else graph(graph_id, filename=f"coordapp-{download}", height=height)
    )
    return dbc.Card(
        dbc.CardBody(
            [
                header,
                html.Div(note or "", id=note_id, className="small text-body-secondary mt-1")
                if note_id or note
                else None,
                dcc.Loading(content, type="dot", delay_show=300),
            ]
        ),
        className="shadow-sm h-100",
    )


def page_header(title: str, summary: str, *, right: Any = None) -> html.Div:
    return html.Div(
        [
            html.Div(
                [
                    html.H1(title, className="h3 mb-1"),
                    html.P(summary, className="text-body-secondary mb-0 small"),
                ]
            ),
            right,
        ],
        className="d-flex justify-content-between align-items-end flex-wrap gap-2 mb-3",
    )


def empty_state(message: str, **kwargs: Any) -> dbc.Alert:
    classes = " ".join(("border text-body-secondary", kwargs.pop("className", ""))).strip()
    return dbc.Alert(message, color="light", className=classes, **kwargs)


def chart_column(title: str, graph_id: str, *, lg: int, **card: Any) -> dbc.Col:
    """A ``chart_card`` in a column of the page's grid, ``lg`` twelfths wide on a large screen."""
    return dbc.Col(chart_card(title, graph_id, **card), lg=lg)


def kpi_tile(
    label: str,
    value: str,
    *,
    detail: str = "",
    change: str = "",
    figure: str = "",
    exact: str | None = None,
) -> dbc.Col:
    """A headline tile; ``figure`` is the catalogue key (``coordapp.figures``), ``exact`` the
    unrounded value (money tiles print whole units)."""
    exact_value: dict[str, Any] = {"data-value": exact} if exact is not None else {}
    return dbc.Col(
        dbc.Card(
            dbc.CardBody(
                [
                    html.Div(label, className="text-body-secondary small"),
                    html.Div(
                        value,
                        className="fs-3 fw-semibold text-nowrap",
                        id=f"kpi-{figure}",
                        **exact_value,
                    ),
                    html.Div(change, className="small") if change else None,
                    html.Div(detail, className="small text-body-secondary") if detail else None,
                ]
            ),
            className="shadow-sm h-100",
        ),
        xs=12,
        sm=6,
        lg=3,
    )


# ---------------------------------------------------------------------------------------------
# The shell: navigation between pages, routing, URL sync, downloads
# ---------------------------------------------------------------------------------------------


def _subnav(pages: Sequence[Page], active: str | None) -> dbc.Nav:
    return dbc.Nav(
        [
            dbc.NavItem(dbc.NavLink(page.title, href=page.path, active=page.slug == active))
            for page in pages
        ],
        pills=True,
        className="mb-3 flex-wrap small",
    )


def index_layout(pages: Sequence[Page]) -> Any:
    return html.Div(
        [
            page_header(
                "Dashboards",
                "The network's figures for leadership. Filters are kept in the address, so a "
                "link reproduces a view; every chart can download the numbers behind it.",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            dbc.CardBody(
                                [
                                    html.H2(
                                        dcc.Link(page.title, href=page.path),
                                        className="h5",
                                    ),
                                    html.P(page.summary, className="small mb-0"),
                                ]
                            ),
                            className="shadow-sm h-100",
                        ),
                        md=6,
                        lg=4,
                    )
                    for page in pages
                ],
                className="g-3",
            ),
        ]
    )


def shell() -> html.Div:
    return html.Div(
        [
            dcc.Location(id="url", refresh=False),
            dcc.Store(id="current-path"),
            dbc.Container(
                [html.Div(id="dash-subnav"), html.Div(id="page-content")],
                className="py-3",
                fluid="xl",
            ),
        ]
    )


def page_for(pages: Sequence[Page], pathname: object) -> Page | None:
    # A request can send any JSON for the pathname; only text can name a page.
    slug = (pathname if isinstance(pathname, str) else "").removeprefix(PREFIX).strip("/")
    return next((p for p in pages if p.slug == slug), None)


def _filters_from(values: object, ids: object) -> dict[str, Any]:
    if not isinstance(values, list) or not isinstance(ids, list):
        return {}
    return {
        i["name"]: v
        for i, v in zip(ids, values, strict=False)
        if isinstance(i, Mapping) and isinstance(i.get("name"), str)
    }


def register_shell(app: dash.Dash, pages: Sequence[Page]) -> None:
    @app.callback(
        Output("page-content", "children"),
        Output("dash-subnav", "children"),
        Output("current-path", "data"),
        Input("url", "pathname"),
        State("url", "search"),
        State("current-path", "data"),
    )
    def route(pathname: str | None, search: str | None, shown: str | None) -> tuple[Any, ...]:
        # Writing the filters into the query string sets the pathname again: the page that
        # is already shown stays (re-rendering it would reset its controls, and loop).
        if shown is not None and pathname == shown:
            raise dash.exceptions.PreventUpdate
        page = page_for(pages, pathname)
        if page is None:
            return index_layout(pages), _subnav(pages, None), pathname
        return page.layout(params.query_dict(search)), _subnav(pages, page.slug), pathname

    @app.callback(
        Output("url", "search"),
        Input(fid(ALL), "value"),  # type: ignore[arg-type]
        State(fid(ALL), "id"),  # type: ignore[arg-type]
        prevent_initial_call=True,
    )
    def keep_filters_in_url(values: list[Any], ids: list[dict[str, str]]) -> str:
        return params.to_search(_filters_from(values, ids))

    def requested_export(
        n_clicks: int | None, values: list[Any], ids: list[dict[str, str]], pathname: str
    ) -> Export | None:
        """The export of the chart whose button was clicked, computed from the page's filters."""
        page = page_for(pages, pathname)
        trigger = dash.ctx.triggered_id
        key = str(trigger["key"]) if isinstance(trigger, dict) else ""
        if not n_clicks or page is None or key not in page.downloads:
            return None
        export = page.downloads[key](_filters_from(values, ids), viewer_suppression())
        # Like the record lists' exports: who took the numbers, and when.
        taken = (
            ("exported by", getattr(current_user, "email", "")),
            ("exported at", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        )
        return dataclasses.replace(
            export,
            document=dataclasses.replace(export.document, stamp=export.document.stamp + taken),
        )

    def download_callback(kind: str, send: Callable[[Any], Any]) -> None:
        """The callback of every ``kind`` button: the current page's export, sent by ``send``."""

        @app.callback(
            Output({"type": kind, "key": MATCH}, "data"),
            Input({"type": f"{kind}-btn", "key": MATCH}, "n_clicks"),
            State(fid(ALL), "value"),  # type: ignore[arg-type]
            State(fid(ALL), "id"),  # type: ignore[arg-type]
            State("url", "pathname"),
            prevent_initial_call=True,
        )
        def download(
            n_clicks: int | None, values: list[Any], ids: list[dict[str, str]], pathname: str
        ) -> Any:
            export = requested_export(n_clicks, values, ids, pathname)
            return dash.no_update if export is None else send(export)

    download_callback(
        "download", lambda export: dcc.send_string(export.text, export.filename, type="text/csv")
    )
    download_callback(
        "download-xlsx",
        lambda export: dcc.send_bytes(export.document.xlsx(), export.xlsx_filename),
    )
