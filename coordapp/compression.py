"""Compressed and cacheable responses: brotli or gzip (Flask-Compress), and cache headers.

Why Flask-Compress: it negotiates ``Accept-Encoding`` per request (brotli, gzip), sets
``Vary``, keeps ETags valid and handles streamed files, for every response of the one server —
the Flask pages, the Dash callbacks' JSON and the JavaScript (the dashboards' partial Plotly
bundle is 1.4 MB raw, 0.44 MB with brotli). Dash itself uses the same library for ``compress=True``.

Assets never change while the process runs (Dash fingerprints its bundles and serves them with
a one-year ``Cache-Control``), so their compressed bodies are computed once per process and
kept. A response whose body is bytes kept elsewhere (a dashboard answer from the response cache)
says so with ``keep_compressed_body``: its compressed forms are kept too, the last
``KEPT_BODIES`` of them. Everything else is compressed per response.

Caching: Dash's fingerprinted bundles (``…/plotly.v3_1_0m1700000000.min.js``) change URL when
they change, so they are ``public, max-age`` one year, ``immutable``. Files under ``/static/``
keep their URL across releases, so browsers keep them an hour and then revalidate with the ETag.
Compression turns an asset's ETag ``"x"`` into ``"x:br"``; a revalidation with that tag is read
as ``"x"`` so it is answered with a 304 instead of the whole file again (static files and
Dash's unfingerprinted bundles, which ``dashboards`` lets browsers keep for an hour).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from flask import Flask, Request, Response, g, request
from flask_compress import Compress

DASH_BUNDLES = "/dashboards/_dash-component-suites/"
STATIC_PREFIXES = ("/static/", "/bootstrap/static/")
ASSET_PREFIXES = (DASH_BUNDLES, *STATIC_PREFIXES)
ONE_YEAR = 365 * 24 * 3600
STATIC_MAX_AGE = 3600
_ENCODING_SUFFIX = re.compile(r':(?:br|gzip|deflate|zstd)"')
_NOT_CACHED = "-"
_ASSET = "asset:"
_BODY = "body:"
KEPT_BODIES = 512
compress = Compress()


def keep_compressed_body(key: str) -> None:
    """The response being made has the same body whenever ``key`` is the same (say, a digest
    of it): keep its compressed forms and reuse them instead of compressing it again."""
    g.compressed_body_key = key


def compressed_body_key(request: Request) -> str:
    if request.method == "GET" and request.path.startswith(ASSET_PREFIXES):
        return _ASSET + request.full_path
    kept = g.get("compressed_body_key")
    return _BODY + kept if kept else _NOT_CACHED


def _kept_body(key: str) -> bool:
    return key.partition(";")[2].startswith(_BODY)


class CompressedBodies:
    """Keeps compressed asset bodies, and the last ``KEPT_BODIES`` compressed bodies of
    responses that asked for it (``keep_compressed_body``); ignores every other response.
    Keys are ``<algorithm>;<compressed_body_key>``."""

    def __init__(self) -> None:
        self._assets: dict[str, bytes] = {}
        self._bodies: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        found = self._assets.get(key)
        if found is None and _kept_body(key):
            with self._lock:
                found = self._bodies.get(key)
                if found is not None:
                    self._bodies.move_to_end(key)
        return found

    def set(self, key: str, value: bytes) -> None:
        if key.endswith(";" + _NOT_CACHED):
            return
        with self._lock:
            if not _kept_body(key):
                self._assets[key] = value
                return
            self._bodies[key] = value
            while len(self._bodies) > KEPT_BODIES:
                self._bodies.popitem(last=False)


def init_compression(app: Flask) -> None:
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    # Quality 5: Plotly's bundle 4.8 MB -> 1.29 MB in 0.15 s (4: 1.41 MB; 9: 1.23 MB in 0.9 s).
    app.config.setdefault("COMPRESS_BR_LEVEL", 5)
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "deflate"])
    app.config.setdefault(
        "COMPRESS_MIMETYPES",
        [
            "text/html",
            "text/css",
            "text/csv",
            "text/plain",
            "text/javascript",
            "application/javascript",
            "application/json",
            "image/svg+xml",
        ],
    )
    app.config.setdefault("COMPRESS_CACHE_BACKEND", CompressedBodies)
    app.config.setdefault("COMPRESS_CACHE_KEY", compressed_body_key)
    compress.init_app(app)
    init_asset_caching(app)


def init_asset_caching(app: Flask) -> None:
    app.config.setdefault("STATIC_MAX_AGE", STATIC_MAX_AGE)

    @app.before_request
    def revalidate_compressed_etag() -> None:
        tags = request.environ.get("HTTP_IF_NONE_MATCH")
        if tags and request.path.startswith(ASSET_PREFIXES):
            request.environ["HTTP_IF_NONE_MATCH"] = _ENCODING_SUFFIX.sub('"', tags)

    @app.after_request
    def asset_cache_headers(response: Response) -> Response:
        path = request.path
        if request.method not in ("GET", "HEAD") or response.status_code not in (200, 304):
            return response
        if path.startswith(DASH_BUNDLES):
            if (response.cache_control.max_age or 0) >= ONE_YEAR:  # Dash saw a fingerprint
                response.cache_control.public = True
                response.cache_control.immutable = True
        elif path.startswith(STATIC_PREFIXES):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = app.config["STATIC_MAX_AGE"]
        return response
