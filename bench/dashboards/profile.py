"""Each dashboard's callbacks timed in-process, uncached and cached, in wall and CPU time.

    python -m bench.dashboards.profile --database-url URL [--rounds 7] [--only partnerships]
                                       [--cprofile uncached|cached] [--dump DIR]

For working on the callbacks: the database at ``URL`` must hold a generated network and a
signed-in-able account (``--email`` / ``--password``); nothing is written but the data version
(bumped before each uncached round, as a write does). Requests go through the Flask test client
exactly as ``callbacks.py`` sends them over HTTP (the same bodies, ``Accept-Encoding: br``), so
the times are the server's alone. CPU time (``time.process_time``) is steadier than wall time
on a shared machine. ``--cprofile`` prints the costliest functions of the chosen path per
dashboard; ``--dump`` writes every callback's response (JSON) to compare two branches.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import pstats
import statistics
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import brotli
import sqlalchemy as sa

from bench import load
from bench.dashboards.callbacks import DASHBOARDS, PANEL, busiest_country, page_callbacks
from coordapp.data_version import bump_data_version


class _Transport(load.FlaskTransport):
    """The test client asking for brotli, as browsers do (so the compression is timed too)."""

    def request(
        self,
        method: str,
        path: str,
        *,
        data: Mapping[str, Any] | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> load.Reply:
        response = self.client.open(
            path,
            method=method,
            data=data,
            json=json_body,
            headers={**(headers or {}), "Accept-Encoding": "br"},
        )
        body = response.get_data()
        if response.headers.get("Content-Encoding") == "br":
            body = brotli.decompress(body)
        return load.Reply(response.status_code, body.decode(), response.headers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.dashboards.profile")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--email", default="prof@bench.example")
    parser.add_argument("--password", default="correct horse battery staple")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", default="", help="comma-separated dashboard names")
    parser.add_argument("--cprofile", choices=("uncached", "cached"))
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="cumulative", help="a pstats sort key (tottime)")
    parser.add_argument("--dump", type=Path)
    args = parser.parse_args(argv)

    from coordapp import create_app
    from coordapp.extensions import db

    app = create_app({"COORDAPP_ENV": "development", "DATABASE_URL": args.database_url})
    # As a gunicorn worker does once the app is loaded (coordapp.gunicorn_conf.post_worker_init):
    # unfrozen, the collector's full passes over the ~300,000 objects of the app, Dash and
    # Plotly (100-250 ms each) land in whichever call allocates many rows, e.g. an Enum's result
    # processor, and both times and --cprofile blame it.
    gc.collect()
    gc.freeze()
    bump_engine = sa.create_engine(args.database_url, isolation_level="AUTOCOMMIT")
    with app.app_context():
        country = busiest_country(db.session())
        db.session.remove()
    client = app.test_client()
    browser = load.Browser(_Transport(client), load.Recorder())
    if not load.sign_in(browser, args.email, args.password):
        raise SystemExit(f"sign-in failed: {browser.recorder.errors[:3]}")
    dependencies = load.dash_dependencies(browser)
    only = {n.strip() for n in args.only.split(",") if n.strip()}
    print(f"{'dashboard':<13} {'uncached wall / cpu p50':>24} {'cached wall / cpu p50':>22}")
    for d in (*DASHBOARDS, PANEL):
        name = "map panel" if d is PANEL else d.page
        if only and name not in only:
            continue
        page = load.DashPage(browser, dependencies)
        if not page.load(load.DASH + d.page, full_page=False):
            raise SystemExit(f"{name}: {browser.recorder.errors[-3:]}")
        callbacks = page_callbacks(page, d, country)
        times: dict[str, list[tuple[float, float]]] = {"uncached": [], "cached": []}
        profiler = cProfile.Profile() if args.cprofile else None
        for round_no in range(args.rounds + 1):  # the first round warms up
            for kind in ("uncached", "cached"):
                if kind == "uncached":
                    with bump_engine.connect() as conn:
                        bump_data_version(conn)
                profiling = profiler is not None and kind == args.cprofile and round_no > 0
                wall, cpu = time.perf_counter(), time.process_time()
                if profiling:
                    profiler.enable()  # type: ignore[union-attr]
                for callback in callbacks:
                    if not page._fire(name, callback, changed=[]):  # noqa: SLF001
                        raise SystemExit(f"{name}: {browser.recorder.errors[-1:]}")
                if profiling:
                    profiler.disable()  # type: ignore[union-attr]
                if round_no:
                    times[kind].append(
                        ((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000)
                    )
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            answers = [
                page._post(  # noqa: SLF001
                    name,
                    output=c["output"],
                    inputs=page._values(c["inputs"]),  # noqa: SLF001
                    state=page._values(c["state"]),  # noqa: SLF001
                    changed=[],
                )
                for c in callbacks
            ]
            (args.dump / f"{name.replace(' ', '-')}.json").write_text(
                json.dumps(answers, indent=1, sort_keys=True)
            )

        def p50(kind: str, i: int) -> float:
            return statistics.median(t[i] for t in times[kind])  # noqa: B023

        print(
            f"{name:<13} {p50('uncached', 0):10.1f} / {p50('uncached', 1):6.1f} ms"
            f"   {p50('cached', 0):8.1f} / {p50('cached', 1):6.1f} ms   ({len(callbacks)} cb)",
            flush=True,
        )
        if profiler is not None:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())
    bump_engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
