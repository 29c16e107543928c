"""How fast the coverage map draws in headless Chromium, and how many bytes its page costs.

``python -m bench.map_load --base-url http://127.0.0.1:5000 [--runs 5]`` against a running app
with the demo network (``make run``). Each run opens a fresh browser context, signs in as the
demo viewer, clears the browser cache, then:

* **cold**: opens the map with an empty cache;
* **warm**: opens it again in the same context (what a return visit costs).

Measured per load: the milliseconds from navigation start until the map is drawn (the plot's
SVG holds the choropleth's country paths), and the bytes transferred for the page and every
resource it loaded (Chromium's encoded length: compressed bodies plus headers; 0 for a file
served from the cache), counted until the network is idle. Prints the median of the runs and
which Plotly bundle the page asked for.
"""

from __future__ import annotations

import argparse
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, DEMO_PASSWORD, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, CDPSession

MAP_PATH = "/dashboards/map"
# The map is drawn: its SVG exists and the choropleth has painted its countries.
MAP_DRAWN = """() => document.querySelector('.js-plotly-plot .main-svg')
    && document.querySelectorAll('.js-plotly-plot .choroplethlayer path.choroplethlocation')
         .length > 0
    && performance.now()"""
FULL_PLOTLY = "plotly/package_data/plotly.min.js"


@dataclass
class Load:
    drawn_ms: float
    transferred: int
    requests: dict[str, int] = field(default_factory=dict)  # url -> bytes on the wire


class Transfers:
    """Bytes on the wire per request, from Chromium's own network events."""

    def __init__(self, cdp: CDPSession) -> None:
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        cdp.on("Network.requestWillBeSent", self._sent)
        cdp.on("Network.loadingFinished", self._finished)
        cdp.send("Network.enable")

    def _sent(self, event: dict[str, Any]) -> None:
        self.urls[event["requestId"]] = event["request"]["url"]

    def _finished(self, event: dict[str, Any]) -> None:
        url = self.urls.get(event["requestId"], event["requestId"])
        self.sizes[url] = self.sizes.get(url, 0) + int(event["encodedDataLength"])

    def reset(self) -> None:
        self.urls.clear()
        self.sizes.clear()


def load_map(context: BrowserContext, transfers: Transfers, base_url: str) -> Load:
    page = context.pages[0]
    transfers.reset()
    page.goto(base_url + MAP_PATH)
    drawn = page.wait_for_function(MAP_DRAWN, polling="raf", timeout=60_000).json_value()
    page.wait_for_load_state("networkidle")
    return Load(float(drawn), sum(transfers.sizes.values()), dict(transfers.sizes))


def one_run(browser: Any, base_url: str, email: str) -> tuple[Load, Load]:
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        transfers = Transfers(cdp)
        sign_in(page, base_url, email, DEMO_PASSWORD)
        page.goto("about:blank")
        cdp.send("Network.clearBrowserCache")
        cold = load_map(context, transfers, base_url)
        page.goto("about:blank")
        warm = load_map(context, transfers, base_url)
        return cold, warm
    finally:
        context.close()


def summarise(label: str, loads: list[Load]) -> str:
    drawn = statistics.median(load.drawn_ms for load in loads)
    transferred = statistics.median(load.transferred for load in loads)
    runs = ", ".join(f"{load.drawn_ms:.0f}" for load in loads)
    return (
        f"{label:5}  drawn after {drawn:6.0f} ms (runs: {runs})  "
        f"transferred {transferred / 1_000_000:.3f} MB"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:5000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--email", default="viewer@coordapp.example")
    args = parser.parse_args(argv)
    base_url = args.base_url.rstrip("/")

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            one_run(browser, base_url, args.email)  # the server's first-request work, untimed
            results = [one_run(browser, base_url, args.email) for _ in range(args.runs)]
        finally:
            browser.close()
    colds = [cold for cold, _ in results]
    warms = [warm for _, warm in results]
    print(f"{base_url}{MAP_PATH}, median of {args.runs} runs")
    print(summarise("cold", colds))
    print(summarise("warm", warms))
    largest = sorted(colds[-1].requests.items(), key=lambda item: -item[1])[:8]
    print("largest transfers of the last cold load:")
    for url, size in largest:
        print(f"  {size / 1000:8.1f} kB  {url.removeprefix(base_url)}")
    full = any(FULL_PLOTLY in url for load in colds for url in load.requests)
    print("Plotly's full bundle requested:", "yes" if full else "no")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
