"""The partial Plotly bundle the dashboards draw with, instead of Plotly's full one.

Plotly's full bundle (plotly.min.js of the plotly package, which dcc.Graph loads on demand when
``window.Plotly`` is not defined) is 4.8 MB of JavaScript: Chromium took about 3 s to parse it
on each visit of the map, cached or not. The dashboards draw four trace types, so the app serves
plotly.js's core with those traces only (``coordapp/static/vendor/plotly/``, built by its
``build.sh``), of the same plotly.js version as the plotly package.
``coordapp/static/js/dash-plotly.js``, loaded before Dash's bundles, starts loading it
asynchronously (it compiles while Dash starts and asks for the charts' data) and sets
``window.Plotly`` to a promise of it meanwhile: dcc.Graph waits for that and never asks for the
full bundle.

The bundle's ``package.json`` is the one list of what it holds (``coordapp.traces``) and of its
plotly.js version; the build and the tests read it from there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent.parent / "coordapp" / "static" / "vendor" / "plotly"
VENDOR_URL = "/static/vendor/plotly/"


@dataclass(frozen=True, slots=True)
class PlotlyBundle:
    url: str
    path: Path
    plotly_js_version: str
    trace_types: frozenset[str]


@lru_cache(maxsize=1)
def plotly_bundle() -> PlotlyBundle:
    manifest = json.loads((VENDOR_DIR / "package.json").read_text(encoding="utf-8"))
    name = manifest["coordapp"]["bundle"]
    return PlotlyBundle(
        url=VENDOR_URL + name,
        path=VENDOR_DIR / name,
        plotly_js_version=manifest["devDependencies"]["plotly.js"],
        trace_types=frozenset(manifest["coordapp"]["traces"]),
    )
