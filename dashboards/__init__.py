"""The one Dash app, mounted under /dashboards/ on the Flask server, behind the same sign-in.

A page per topic (``dashboards/<page>.py``: layout, callbacks, exports), pure figure builders
in ``dashboards/figures.py``, the shell (routing, filters kept in the URL, downloads) in
``dashboards/layout.py``. Callbacks call ``coordapp.reporting`` services only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import dash
from flask import Flask, Response, abort, render_template, request

from coordapp.read_only import register_read_only_path
from dashboards.guard import UPDATE_PATH, guard_callback_requests
from dashboards.layout import PREFIX as DASH_PREFIX
from dashboards.layout import Page, register_shell, shell
from dashboards.plotly_bundle import plotly_bundle
from dashboards.responses import cache_responses

# The same local assets as the Flask pages (bootstrap-flask serves them; no CDN).
STYLESHEETS = [
    "/bootstrap/static/css/bootstrap.min.css",
    # Bootstrap Icons, as a font: glyphs such as ⏸ are missing from the fonts of a plain Debian
    # desktop, these are not. Only the icons the dashboards show (coordapp/static/vendor/
    # bootstrap-icons/): the whole font that bootstrap-flask serves is 134 kB.
    "/static/vendor/bootstrap-icons/bootstrap-icons-subset.css",
    "/static/css/coordapp.css",
]
SCRIPTS: list[str | dict[str, Any]] = [
    # Before Dash's own bundles: starts loading the partial plotly.js and sets window.Plotly,
    # so dcc.Graph never loads Plotly's full 4.8 MB bundle (dashboards/plotly_bundle.py).
    {"src": "/static/js/dash-plotly.js", "data-plotly": plotly_bundle().url},
    "/bootstrap/static/umd/popper.min.js",
    "/bootstrap/static/js/bootstrap.min.js",
    "/static/js/dash-labels.js",
    "/static/js/dash-controls.js",
]


def pages() -> tuple[Page, ...]:
    from dashboards import (
        activity,
        coverage_map,
        funding,
        overview,
        partnerships,
        pillars,
        training,
    )

    return (
        coverage_map.PAGE,
        overview.PAGE,
        partnerships.PAGE,
        funding.PAGE,
        training.PAGE,
        pillars.PAGE,
        activity.PAGE,
    )


class CoordDash(dash.Dash):
    """Dash with the Flask navbar and favicon rendered into its index page, so both look the
    same (and the page does not fetch Dash's own 32 kB favicon.ico)."""

    def interpolate_index(self, **kwargs: Any) -> str:  # type: ignore[override]
        kwargs["app_entry"] = render_template("_navbar.html") + kwargs["app_entry"]
        kwargs["favicon"] = render_template("_favicon.html")
        return super().interpolate_index(**kwargs)


def _same_origin_post() -> None:
    """Dash callbacks are POSTs: accept them only from our own pages (CSRF defence)."""
    if request.method != "POST" or not request.path.startswith(DASH_PREFIX):
        return
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or urlsplit(source).netloc != request.host:
        abort(403, description="Cross-site request refused.")


def _unknown_bundle(_error: Exception) -> Any:
    """A script or stylesheet Dash does not serve (an unknown package or path) is not found."""
    from flask import current_app
    from werkzeug.exceptions import NotFound

    return current_app.handle_user_exception(NotFound())


def _cache_unversioned_bundles(response: Response) -> Response:
    """Dash gives fingerprinted bundles a one-year max-age; the ones it loads on demand without
    a fingerprint (dcc's chunks; Plotly's full bundle, which no page asks for) only an ETag.
    Let browsers keep those for an hour before they revalidate (a 304 after that)."""
    if (
        request.method == "GET"
        and request.path.startswith(DASH_PREFIX + "_dash-component-suites/")
        and response.status_code == 200
        and "Cache-Control" not in response.headers
    ):
        response.headers["Cache-Control"] = "private, max-age=3600"
    return response


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
    from dashboards.geo import world_shapes

    world_shapes()  # read the served topojson's country ids once, at start-up
    app.layout = shell()
    all_pages = pages()
    register_shell(app, all_pages)
    for page in all_pages:
        page.register(app)
    menu = [(page.title, page.path) for page in all_pages]

    @server.context_processor
    def dashboard_menu() -> dict[str, Any]:
        return {"dashboard_pages": menu}

    cache_responses(app, server, UPDATE_PATH)
    # No callback writes: each answers from the data (coordapp.read_only).
    register_read_only_path(server, UPDATE_PATH)
    for endpoint, view in list(server.view_functions.items()):
        if endpoint.startswith(DASH_PREFIX):
            csrf.exempt(view)
    server.before_request(_same_origin_post)
    server.register_error_handler(dash.exceptions.DependencyException, _unknown_bundle)
    server.before_request(guard_callback_requests(app))
    server.after_request(_cache_unversioned_bundles)
    server.extensions["coordapp_dash"] = app
    return app
