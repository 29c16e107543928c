"""The board pack's coverage map: one shape per place, in the colour of the status the map
dashboard's service gives it on that day."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date

import pytest
from sqlalchemy.orm import Session

from coordapp.boardpack import service
from coordapp.boardpack.worldmap import coverage_svg, natural_earth, world_shapes
from coordapp.network.coverage import CoverageStatus
from coordapp.reporting.coverage import STATUS_COLORS, STATUS_LABELS, coverage_map
from tests._demo import load_demo_cached


@pytest.fixture
def demo(session: Session) -> Session:
    load_demo_cached(session, today=date(2026, 11, 26))
    return session


def drawn(svg: str, tag: str) -> dict[str, ET.Element]:
    root = ET.fromstring(svg)  # noqa: S314 (the app's own drawing, parsed to check it is well formed)
    found: dict[str, ET.Element] = {}
    for element in root.iter(tag):
        code = element.get("data-code")
        if code:
            assert code not in found, f"{code} drawn twice"
            found[code] = element
    return found


@pytest.mark.parametrize("on", [date(2025, 12, 31), date(2010, 12, 31)])
def test_every_place_is_drawn_once_in_its_status_colour(demo: Session, on: date) -> None:
    places = coverage_map(demo, on=on)
    svg = coverage_svg(places)
    paths, dots = drawn(svg, "path"), drawn(svg, "circle")
    shapes = world_shapes()
    for place in places.countries:
        polygons = shapes.polygons.get(place.alpha3)
        south_of_map = polygons is not None and all(
            lat < -60 for polygon in polygons for ring in polygon for _, lat in ring
        )
        if polygons is not None and not south_of_map:
            element = paths[place.alpha3]
        elif place.alpha3 in shapes.centroids and place.status is not CoverageStatus.NONE:
            element = dots[place.alpha3]
        else:
            assert place.alpha3 not in paths and place.alpha3 not in dots
            continue
        assert element.get("fill") == STATUS_COLORS[place.status], place.alpha3
        assert element.get("data-status") == place.status.value
    covered = {
        c.alpha3
        for c in places.countries
        if c.status in (CoverageStatus.FULL, CoverageStatus.PROVISIONAL)
    }
    too_small = covered - set(paths) - set(dots)  # no shape, no centre: named under the map
    assert covered and too_small < covered
    for place in places.countries:
        if place.alpha3 in too_small:
            assert f"{place.name} ({STATUS_LABELS[place.status].lower()})" in svg
    assert set(paths) <= {c.alpha3 for c in places.countries}  # nothing drawn the map lacks
    for label in STATUS_LABELS.values():
        assert f">{label}</text>" in svg
    assert f"Coverage on 31 December {on.year}" in svg and f">{on.year}</text>" in svg
    assert "http" not in svg


def test_the_packs_maps_are_its_two_dates_and_agree_with_its_coverage_figures(
    demo: Session,
) -> None:
    pack = service.board_pack(demo, year=2025, today=date(2026, 11, 26))
    maps = service.board_maps(demo, pack=pack)
    assert (maps.now.on, maps.before.on) == (pack.measured_on, pack.previous_on)
    assert maps.now.summary == pack.coverage and maps.before.summary == pack.coverage_before
    svg = coverage_svg(maps.now)
    assert (
        f"{pack.coverage.countries_covered} countries and {pack.coverage.territories_covered} "
        f"territories covered by {pack.coverage.member_hotlines} member hotlines"
    ) in svg


def test_place_names_are_escaped(demo: Session) -> None:
    places = coverage_map(demo, on=date(2025, 12, 31))
    first = places.countries[0]
    hostile = type(first)(
        code=first.code,
        alpha3=first.alpha3,
        name='<script>alert("x")</script> & Co',
        region=first.region,
        status=first.status,
        hotlines=first.hotlines,
        member_since=first.member_since,
        pipeline_stage=first.pipeline_stage,
    )
    svg = coverage_svg(type(places)(places.on, None, (hostile,), places.summary))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&amp; Co" in svg


def test_natural_earth_keeps_the_equator_and_the_meridian_and_narrows_the_poles() -> None:
    assert natural_earth(0, 0) == (0, 0)
    east, _ = natural_earth(180, 0)
    pole_east, pole_north = natural_earth(180, 90)
    assert east == pytest.approx(2.7354, abs=1e-3) and pole_north == pytest.approx(1.4224, abs=1e-3)
    assert 0 < pole_east < east
