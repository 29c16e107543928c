"""Security headers on every response: Flask pages, Dash pages, static files, the API, errors.

The Content-Security-Policy allows the app's own origin only. Two exceptions, each the least
that works:

- ``script-src`` also lists the SHA-256 hashes of Dash's inline scripts (``Dash.csp_hashes()``:
  the one line that starts its renderer, plus any clientside callback). Every other script is a
  file the app serves; no ``'unsafe-inline'``, no ``'unsafe-eval'``.
- ``img-src`` also allows ``data:`` and ``blob:`` images: Bootstrap draws its select arrows,
  check marks and close buttons as ``data:image/svg+xml`` backgrounds in its CSS, and Plotly's
  "download plot as PNG" draws the chart's SVG into a canvas through a ``blob:`` image made by
  the page itself. Neither kind of image can run code, nor load anything from elsewhere.

``style-src`` is ``'self'`` alone on the Flask pages: the templates keep their styles in
coordapp.css (no ``<style>``, no ``style=""``); what scripts set through the CSSOM
(``element.style.width = …``) is not restricted by CSP.

The Dash pages (under /dashboards/) need one more exception: Dash 4's component bundles inject
their CSS as ``<style>`` elements when they load (webpack's style-loader, a dozen blocks per
page, some with a source map appended at run time), and Plotly adds its chart rules to a
``<style>`` element of its own. Their contents are fixed by the installed versions but cannot be
computed from Python, and style-loader sets no nonce. So on those pages only,
``style-src-elem`` adds ``'unsafe-inline'``: ``<style>`` elements may be inline there. Plotly
also sets ``style`` attributes with setAttribute while the map is replayed and hovered (seen in
Chromium: blocked under ``style-src-attr 'none'``), so ``style-src-attr`` allows inline style
attributes there too. Styles cannot run code; scripts stay hash-only on every page.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Flask, Response, request

# Features an internal records app never uses; the browser refuses them to any script.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
    )
)


DASH_PREFIX = "/dashboards/"
# Only the app's own static files and Dash's bundles may be kept by browsers and proxies
# (coordapp/compression.py sets their lifetimes). Every other response — pages, Dash layouts and
# callbacks, exports, the board pack, the API — is "no-store": after signing out, or on a shared
# computer, nothing a signed-in user saw can come back from a cache or the back button.
CACHEABLE_PREFIXES = ("/static/", "/bootstrap/static/", DASH_PREFIX + "_dash-component-suites/")


def content_security_policy(script_hashes: Iterable[str] = (), *, dash: bool = False) -> str:
    """The policy for a Flask page, or with ``dash=True`` for a Dash page (see above)."""
    styles: dict[str, list[str]] = {"style-src": ["'self'"]}
    if dash:
        styles["style-src-elem"] = ["'self'", "'unsafe-inline'"]
        styles["style-src-attr"] = ["'unsafe-inline'"]
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        **styles,
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def security_headers(csp: str, *, https: bool = False) -> dict[str, str]:
    headers = {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        # For browsers that predate frame-ancestors.
        "X-Frame-Options": "DENY",
        "Permissions-Policy": PERMISSIONS_POLICY,
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if https:
        # Production serves over HTTPS only (its session cookie is Secure); browsers ignore the
        # header on plain HTTP, so a production-mode run on http://localhost is not harmed.
        headers["Strict-Transport-Security"] = "max-age=31536000"
    return headers


def init_security_headers(app: Flask) -> None:
    """Call after the dashboards are registered: their inline scripts' hashes go in the CSP."""
    dash_app = app.extensions.get("coordapp_dash")
    hashes = list(dash_app.csp_hashes()) if dash_app is not None else []
    https = app.config["COORDAPP_ENV"] == "production"
    flask_headers = security_headers(content_security_policy(hashes), https=https)
    dash_headers = security_headers(content_security_policy(hashes, dash=True), https=https)
    app.extensions["coordapp_security_headers"] = {"flask": flask_headers, "dash": dash_headers}

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        headers = dash_headers if request.path.startswith(DASH_PREFIX) else flask_headers
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith(CACHEABLE_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
        return response
