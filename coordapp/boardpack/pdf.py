"""The board pack as a PDF (WeasyPrint), made from the same HTML rows as the page.

Nothing is fetched while it renders: the maps are inline SVG, the styles are inline, the fonts
are the machine's own (fontconfig: DejaVu Sans / Liberation Sans), and the URL fetcher refuses
every URL but ``data:`` ones, so a stray link in a template can never reach the network.
"""

from __future__ import annotations

from typing import Any

from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

PDF_MIMETYPE = "application/pdf"


class RefusedURL(ValueError):
    """The PDF asked for a resource outside itself."""


class LocalOnlyFetcher(URLFetcher):
    """WeasyPrint's fetcher for ``data:`` URLs only; every other URL is refused (and kept in
    ``refused``) before any connection is tried. WeasyPrint logs a refusal and renders on."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("data",), allow_redirects=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            raise RefusedURL(f"the board pack PDF fetches nothing: {url[:80]}")
        return super().fetch(url, headers)


def render_pdf(html: str, *, fetcher: LocalOnlyFetcher | None = None) -> bytes:
    """The PDF of a complete HTML document (its styles inline)."""
    document = HTML(string=html, url_fetcher=fetcher or LocalOnlyFetcher())
    return bytes(document.write_pdf())
