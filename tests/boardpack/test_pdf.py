"""/board-pack/pdf: the pack as the board receives it, read back as text (pypdf) and as pixels
(PDFium): the stamp on every page, the services' figures, both maps, nothing fetched."""

from __future__ import annotations

import io
import socket
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

import pypdfium2
import pytest
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy.orm import Session

from coordapp.boardpack.pdf import LocalOnlyFetcher, RefusedURL, render_pdf
from coordapp.network import coverage as network_coverage
from coordapp.partners import agreements as partners_agreements
from coordapp.reporting import funding as funding_report
from coordapp.reporting import training as training_report
from coordapp.reporting.coverage import STATUS_COLORS
from tests._demo import load_demo_cached

InApp = Callable[[], AbstractContextManager[Session]]


@pytest.fixture
def demo(in_app: InApp) -> None:
    with in_app() as s:
        load_demo_cached(s, today=date(2026, 11, 26))


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every outgoing Python socket connection is refused and recorded (the database drivers
    connect in C, before the test)."""
    attempts: list[Any] = []

    def refuse(self: socket.socket, address: Any) -> None:
        attempts.append(address)
        raise OSError("no network in the board pack")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    return attempts


def pages_text(data: bytes) -> list[str]:
    return [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(data)).pages]


def shown(value: Any) -> str:
    """A number as the pack prints it."""
    return f"{value:,}"


def test_anonymous_is_sent_to_sign_in(client: FlaskClient) -> None:
    response = client.get("/board-pack/pdf?year=2025")
    assert response.status_code == 302 and "/auth/sign-in" in response.headers["Location"]


def test_every_page_is_stamped_and_the_headlines_are_the_services_figures(
    signed_in: Callable[[str], FlaskClient],
    users: dict[str, str],
    in_app: InApp,
    demo: None,
    no_network: list[Any],
) -> None:
    today = date.today()
    year = today.year - 1
    response = signed_in("manager").get(f"/board-pack/pdf?year={year}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert f'filename="board-pack-{year}.pdf"' in response.headers["Content-Disposition"]
    pages = pages_text(response.data)
    assert len(pages) >= 4  # title, maps, tables
    for number, text in enumerate(pages, start=1):
        assert (
            f"Board pack {year} · figures as of {year}-12-31, compared with {year - 1}-12-31"
            in (text)
        )
        assert f"by {users['manager']}" in text and f"generated {today.isoformat()}" in text
        assert f"Page {number} of {len(pages)}" in text
    with in_app() as s:
        coverage = network_coverage.coverage_summary(s, on=date(year, 12, 31))
        in_force = partners_agreements.count_in_force(s, on=date(year, 12, 31))
        funding = funding_report.funding_figures(s, first_year=year, last_year=year, currency="EUR")
        training = training_report.training_figures(s, first_year=year, last_year=year)
    title = pages[0]
    for figure, value in (
        ("Member hotlines", coverage.member_hotlines),
        ("Countries covered", coverage.countries_covered),
        ("Territories covered", coverage.territories_covered),
        ("Countries in the pipeline", coverage.countries_in_pipeline),
        ("Partnerships in force", in_force),
        ("Pledged (EUR)", funding.by_year[0].pledged),
        ("Received (EUR)", funding.by_year[0].received),
        ("Training events", sum(t.events for t in training.by_kind)),
        ("Training participants", sum(t.participants for t in training.by_kind)),
    ):
        assert f"{figure} {shown(value)}" in title, figure
    assert coverage.countries_covered > 0 and funding.by_year[0].pledged > 0
    maps = pages[1]
    assert f"Coverage on 31 December {year}" in maps
    assert f"Coverage on 31 December {year - 1}" in maps
    assert (
        f"{coverage.countries_covered} countries and {coverage.territories_covered} territories "
        f"covered by {coverage.member_hotlines} member hotlines"
    ) in maps
    for legend in ("Full member", "Provisional member", "Expansion pipeline", "No hotline"):
        assert legend in maps
    tables = " ".join(pages[2:])
    for heading in ("Coverage", "Partnerships", "Funding", "Trainings", "Pillar targets"):
        assert heading in tables
    assert no_network == []


def test_a_viewer_gets_small_counts_hidden_and_says_so(
    signed_in: Callable[[str], FlaskClient], demo: None
) -> None:
    pages = pages_text(signed_in("viewer").get("/board-pack/pdf?year=2025").data)
    assert "Small counts" in pages[0]


@pytest.mark.parametrize("raw", ["abc", "1800", "%27;drop"])
def test_a_bad_year_gives_the_last_complete_years_pack_with_the_reason(
    signed_in: Callable[[str], FlaskClient], raw: str
) -> None:
    fallback = date.today().year - 1
    response = signed_in("viewer").get(f"/board-pack/pdf?year={raw}")
    assert response.status_code == 200
    assert f'filename="board-pack-{fallback}.pdf"' in response.headers["Content-Disposition"]
    title = pages_text(response.data)[0]
    assert f"Board pack {fallback}" in title and f"showing {fallback}" in title


def test_the_map_page_is_drawn_in_the_status_colours(
    signed_in: Callable[[str], FlaskClient], demo: None, tmp_path: Any
) -> None:
    year = date.today().year - 1
    data = signed_in("viewer").get(f"/board-pack/pdf?year={year}").data
    document = pypdfium2.PdfDocument(data)
    try:
        image = document[1].render(scale=1.5).to_pil().convert("RGB")
    finally:
        document.close()
    image.save(tmp_path / "maps.png")  # kept by pytest for a person to look at
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 20) or []}
    for status in (network_coverage.CoverageStatus.FULL, network_coverage.CoverageStatus.NONE):
        hex_colour = STATUS_COLORS[status].lstrip("#")
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (0, 2, 4))
        assert rgb in colours, status


def test_the_fetcher_refuses_every_url_but_data_and_rendering_goes_on(
    app: Any, no_network: list[Any]
) -> None:
    fetcher = LocalOnlyFetcher()
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8"
        "z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    html = f"""<html><head>
      <link rel="stylesheet" href="https://cdn.example.org/bootstrap.css">
      <style>@font-face {{ font-family: X; src: url(https://fonts.gstatic.com/x.woff2); }}
             body {{ font-family: X, sans-serif; }}</style></head>
      <body><p>Board pack</p><img src="http://tracker.example.org/p.gif">
      <img src="file:///etc/hostname"><img src="{pixel}"></body></html>"""
    data = render_pdf(html, fetcher=fetcher)
    assert data.startswith(b"%PDF") and "Board pack" in pages_text(data)[0]
    assert sorted(fetcher.refused) == sorted(
        [
            "https://cdn.example.org/bootstrap.css",
            "https://fonts.gstatic.com/x.woff2",
            "http://tracker.example.org/p.gif",
            "file:///etc/hostname",
        ]
    )
    assert no_network == []
    with pytest.raises(RefusedURL):
        fetcher.fetch("https://example.org/")
