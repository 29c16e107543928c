"""The one Dash app, mounted under /dashboards/ on the Flask server, behind the same sign-in."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask import Flask, abort, render_template, request

DASH_PREFIX = "/dashboards/"
# The same local assets as the Flask pages (bootstrap-flask serves them; no CDN).
STYLESHEETS = ["/bootstrap/static/css/bootstrap.min.css", "/static/css/coordapp.css"]
SCRIPTS = ["/bootstrap/static/umd/popper.min.js", "/bootstrap/static/js/bootstrap.min.js"]


class CoordDash(dash.Dash):
    """Dash with the Flask navbar rendered into its index page, so both look the same."""

    def interpolate_index(self, **kwargs: Any) -> str:  # type: ignore[override]
        kwargs["app_entry"] = render_template("_navbar.html") + kwargs["app_entry"]
        return super().interpolate_index(**kwargs)


def _same_origin_post() -> None:
    """Dash callbacks are POSTs: accept them only from our own pages (CSRF defence)."""
    if request.method != "POST" or not request.path.startswith(DASH_PREFIX):
        return
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or urlsplit(source).netloc != request.host:
        abort(403, description="Cross-site request refused.")


def layout() -> Any:
    return dbc.Container(
        [
            html.H1("Dashboards", className="h3 mt-4"),
            html.P(
                "Leadership dashboards (coverage map, overview, partnerships, funding, training, "
                "pillars, hotline activity) are being built. The home page figures are live.",
                className="text-body-secondary",
            ),
            html.A("Back to the home page", href="/", className="btn btn-outline-primary"),
        ],
        className="py-3",
    )


def init_dashboards(server: Flask) -> dash.Dash:
    from coordapp.extensions import csrf

    app = CoordDash(
        __name__,
        server=server,  # type: ignore[arg-type]
        url_base_pathname=DASH_PREFIX,
        external_stylesheets=STYLESHEETS,
        external_scripts=SCRIPTS,
        serve_locally=True,
        title="coordapp · dashboards",
        suppress_callback_exceptions=True,
        update_title=None,  # type: ignore[arg-type]
    )
    app.layout = layout
    for endpoint, view in list(server.view_functions.items()):
        if endpoint.startswith(DASH_PREFIX):
            csrf.exempt(view)
    server.before_request(_same_origin_post)
    return app
