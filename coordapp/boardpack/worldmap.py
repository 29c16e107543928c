"""The coverage map as an SVG image, drawn on the server from the world shapes the app serves.

The board pack (its page and its PDF) carries the map as the board receives it: no browser, no
Plotly, nothing fetched. The shapes are the 1:110m topojson the dashboard's choropleth loads
(``coordapp/static/vendor/topojson``), projected with the Natural Earth projection (Šavrič et
al. 2015, the polynomial form d3-geo uses); each place takes its status from
``coordapp.reporting.coverage.coverage_map`` and its colour from ``STATUS_COLORS``, as on the
dashboard. Places too small for a shape at that scale are drawn as dots at their centre (the
dashboard's markers), unless they have no hotline.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from html import escape
from pathlib import Path

from coordapp.network.coverage import CoverageStatus
from coordapp.reporting.coverage import STATUS_COLORS, STATUS_LABELS, CoverageMap

TOPOJSON_DIR = Path(__file__).resolve().parent.parent / "static" / "vendor" / "topojson"
WIDTH = 960.0  # SVG user units; the PDF and the page scale it to their column
_MARGIN = 8.0
_TITLE_HEIGHT = 30.0
# Natural Earth's extent in projected units (longitude ±180°, latitude ±90°).
_X_MAX = math.pi * 0.8707
_Y_MAX = 1.4224
# Antarctica has no hotline and no people; at this projection it would take a sixth of the
# image, so the map stops at 60° south like most world maps in reports.
_SOUTH = -60.0
_LAND_STROKE = "#ffffff"
_SEA = "#f4f8fb"
_OTHER_LAND = "#eef0f2"  # shapes without an ISO code (Kosovo, N. Cyprus, Somaliland)

Ring = list[tuple[float, float]]  # (lon, lat) in degrees


@dataclass(frozen=True, slots=True)
class Shapes:
    polygons: dict[str, tuple[tuple[Ring, ...], ...]]  # alpha-3 -> polygons -> rings
    unnamed: tuple[tuple[Ring, ...], ...]  # polygons of shapes without an ISO code
    centroids: dict[str, tuple[float, float]]  # alpha-3 -> (lon, lat), places without a shape


def _decode_arcs(topology: dict[str, object]) -> list[Ring]:
    transform = topology["transform"]
    assert isinstance(transform, dict)
    (scale_x, scale_y), (shift_x, shift_y) = transform["scale"], transform["translate"]
    arcs: list[Ring] = []
    raw_arcs = topology["arcs"]
    assert isinstance(raw_arcs, list)
    for raw in raw_arcs:
        x = y = 0
        points: Ring = []
        for dx, dy in raw:  # delta-encoded, quantized positions
            x, y = x + dx, y + dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def _ring(arcs: list[Ring], indexes: Sequence[int]) -> Ring:
    points: Ring = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])  # consecutive arcs share an end point
    return points


@lru_cache(maxsize=1)
def world_shapes() -> Shapes:
    """The vendored shapes, read once."""
    topology = json.loads((TOPOJSON_DIR / "world_110m.json").read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    polygons: dict[str, tuple[tuple[Ring, ...], ...]] = {}
    unnamed: list[tuple[Ring, ...]] = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry["type"] == "Polygon":
            parts = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            parts = geometry["arcs"]
        else:
            continue
        shape = tuple(
            tuple(_ring(arcs, ring) for ring in polygon if ring) for polygon in parts if polygon
        )
        code = geometry.get("id")
        if code:
            polygons[str(code)] = shape
        else:
            unnamed.extend(shape)
    raw = json.loads((TOPOJSON_DIR / "centroids_50m.json").read_text(encoding="utf-8"))
    return Shapes(
        polygons=polygons,
        unnamed=tuple(unnamed),
        centroids={code: (float(lon), float(lat)) for code, (lon, lat) in raw.items()},
    )


def natural_earth(lon: float, lat: float) -> tuple[float, float]:
    """Natural Earth projection of a point in degrees, in radians-sized units (y up)."""
    lam, phi = math.radians(lon), math.radians(lat)
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (
        0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4))
    )
    y = phi * (
        1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4))
    )
    return x, y


_SCALE = (WIDTH - 2 * _MARGIN) / (2 * _X_MAX)
_Y_SOUTH = natural_earth(0.0, _SOUTH)[1]
MAP_HEIGHT = (_Y_MAX - _Y_SOUTH) * _SCALE


def _to_svg(lon: float, lat: float) -> tuple[float, float]:
    x, y = natural_earth(lon, lat)
    return _MARGIN + (x + _X_MAX) * _SCALE, _TITLE_HEIGHT + (_Y_MAX - y) * _SCALE


def _unwrapped(ring: Ring) -> Ring:
    """The ring without jumps of more than 180° in longitude (it crosses the antimeridian)."""
    out: Ring = []
    shift = 0.0
    for index, (lon, lat) in enumerate(ring):
        if index:
            jump = lon + shift - out[-1][0]
            if jump > 180:
                shift -= 360
            elif jump < -180:
                shift += 360
        out.append((lon + shift, lat))
    return out


def _clipped(ring: Ring, *, keep_east_of: float | None, keep_west_of: float | None) -> Ring:
    """Sutherland-Hodgman: the part of ``ring`` on one side of a meridian."""

    def inside(point: tuple[float, float]) -> bool:
        if keep_east_of is not None:
            return point[0] >= keep_east_of
        assert keep_west_of is not None
        return point[0] <= keep_west_of

    edge = keep_east_of if keep_east_of is not None else keep_west_of
    assert edge is not None
    out: Ring = []
    for index, current in enumerate(ring):
        previous = ring[index - 1]
        if inside(current) != inside(previous):
            share = (edge - previous[0]) / (current[0] - previous[0])
            out.append((edge, previous[1] + share * (current[1] - previous[1])))
        if inside(current):
            out.append(current)
    return out


def _antimeridian_pieces(ring: Ring) -> list[Ring]:
    """A ring that crosses ±180° (Russia's Chukotka) as its pieces on either side."""
    ring = _unwrapped(ring)
    west, east = min(lon for lon, _ in ring), max(lon for lon, _ in ring)
    if west >= -180 and east <= 180:
        return [ring]
    if east > 180:
        beyond = _clipped(ring, keep_east_of=180.0, keep_west_of=None)
        return [
            _clipped(ring, keep_east_of=None, keep_west_of=180.0),
            [(lon - 360, lat) for lon, lat in beyond],
        ]
    beyond = _clipped(ring, keep_east_of=None, keep_west_of=-180.0)
    return [
        _clipped(ring, keep_east_of=-180.0, keep_west_of=None),
        [(lon + 360, lat) for lon, lat in beyond],
    ]


def _path_data(polygons: Sequence[Sequence[Ring]]) -> str:
    parts: list[str] = []
    for polygon in polygons:
        for ring in (piece for whole in polygon for piece in _antimeridian_pieces(whole)):
            if len(ring) < 3 or all(lat < _SOUTH for _, lat in ring):
                continue
            points = [_to_svg(lon, max(lat, _SOUTH)) for lon, lat in ring]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in points) + "Z")
    return "".join(parts)


def _sphere_outline() -> str:
    """The map's edge (the 180th meridian on both sides, 60° south below), as a path."""
    lats = [90.0 - step for step in range(0, int(90 - _SOUTH) + 1, 5)]
    east = [_to_svg(180.0, lat) for lat in lats]
    west = [_to_svg(-180.0, lat) for lat in reversed(lats)]
    return "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in east + west) + "Z"


_SPHERE = _sphere_outline()


def _legend(top: float) -> Iterator[str]:
    x = _MARGIN
    for status in (
        CoverageStatus.FULL,
        CoverageStatus.PROVISIONAL,
        CoverageStatus.PIPELINE,
        CoverageStatus.NONE,
    ):
        yield (
            f'<rect x="{x:.0f}" y="{top:.0f}" width="18" height="14" '
            f'fill="{STATUS_COLORS[status]}" stroke="#9aa1a9" stroke-width="0.5"/>'
            f'<text x="{x + 24:.0f}" y="{top + 12:.0f}">{escape(STATUS_LABELS[status])}</text>'
        )
        x += 24 + 9.5 * len(STATUS_LABELS[status]) + 28


def long_date(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def _places(coverage: CoverageMap) -> tuple[list[str], list[str], list[str]]:
    """(shapes, dots, names of places with a status that neither can show)."""
    shapes = world_shapes()
    paths: list[str] = []
    dots: list[str] = []
    unseen: list[str] = []
    for place in coverage.countries:
        colour = STATUS_COLORS[place.status]
        label = f"{place.name}: {STATUS_LABELS[place.status]}"
        polygons = shapes.polygons.get(place.alpha3)
        data = _path_data(polygons) if polygons is not None else ""
        if data:
            paths.append(
                f'<path class="country" data-code="{escape(place.alpha3)}" '
                f'data-status="{place.status.value}" fill="{colour}" d="{data}">'
                f"<title>{escape(label)}</title></path>"
            )
        elif place.status is CoverageStatus.NONE:
            continue
        elif place.alpha3 in shapes.centroids:
            x, y = _to_svg(*shapes.centroids[place.alpha3])
            dots.append(
                f'<circle class="place" data-code="{escape(place.alpha3)}" '
                f'data-status="{place.status.value}" cx="{x:.1f}" cy="{y:.1f}" r="3.5" '
                f'fill="{colour}" stroke="#ffffff" stroke-width="0.8">'
                f"<title>{escape(label)}</title></circle>"
            )
        else:
            unseen.append(f"{place.name} ({STATUS_LABELS[place.status].lower()})")
    return paths, dots, unseen


def _wrapped(text: str, *, width: int = 118) -> list[str]:
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def coverage_svg(coverage: CoverageMap) -> str:
    """The map of ``coverage`` as an ``<svg>`` element for an HTML page (the HTML parser gives
    it its namespace, so it names no URL at all): one ``<path>`` per place with a shape
    (``data-code`` its alpha-3, ``fill`` its status colour), dots for the small places with a
    hotline or in the pipeline, the names of those too small for either, a legend, the date
    and the covered counts (``coverage.summary``)."""
    summary = coverage.summary
    title = f"Coverage on {long_date(coverage.on)}"
    caption = (
        f"{summary.countries_covered} countries and {summary.territories_covered} territories "
        f"covered by {summary.member_hotlines} member hotlines"
    )
    paths, dots, unseen = _places(coverage)
    notes = [caption]
    if unseen:
        notes += _wrapped("Too small for this map: " + ", ".join(unseen) + ".")
    legend_top = _TITLE_HEIGHT + MAP_HEIGHT + 10
    height = legend_top + 24 + 19 * len(notes)
    out = [
        f'<svg viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
        f'class="coverage-map" role="img" font-family="DejaVu Sans, Liberation Sans, sans-serif" '
        f'font-size="15" fill="#212529">',
        f"<title>{escape(title)}: {escape(caption)}</title>",
        f'<text x="{_MARGIN:.0f}" y="21" font-size="19" font-weight="bold">{escape(title)}</text>',
        f'<text x="{WIDTH - _MARGIN:.0f}" y="21" font-size="19" font-weight="bold" '
        f'text-anchor="end">{coverage.on.year}</text>',
        f'<g stroke="{_LAND_STROKE}" stroke-width="0.4" stroke-linejoin="round" '
        f'fill-rule="evenodd">',
        f'<path class="sphere" fill="{_SEA}" stroke="#d0d7de" d="{_SPHERE}"/>',
        f'<path class="land" fill="{_OTHER_LAND}" d="{_path_data(world_shapes().unnamed)}"/>',
        *paths,
        "</g>",
        *dots,
        *_legend(legend_top),
    ]
    for line, note in enumerate(notes):
        out.append(
            f'<text x="{_MARGIN:.0f}" y="{legend_top + 38 + 19 * line:.0f}" font-size="14" '
            f'fill="#495057">{escape(note)}</text>'
        )
    out.append("</svg>")
    return "".join(out)
