"""Browser tests: Debian's /usr/bin/chromium through Playwright (never a downloaded browser),
against the app served on its own SQLite database with the demo network.

Skipped with a reason when Chromium is absent, except under CI=true, where that fails.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWER = ("viewer@coordapp.example", "coordapp-demo")
ROOT = Path(__file__).resolve().parents[2]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + " and CI=true: the browser tests must run in CI.")
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    _require_chromium()
    if (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"):
        pytest.skip("runs in the SQLite pass: the browser test serves its own SQLite database")
    with tempfile.TemporaryDirectory(prefix="coordapp-browser-") as tmp:
        port = _free_port()
        log = open(Path(tmp) / "server.log", "w")  # noqa: SIM115  (closed below)
        process = subprocess.Popen(  # noqa: S603  (our own module, fixed arguments)
            [
                sys.executable,
                "-m",
                "tests.browser.serve",
                str(Path(tmp) / "app.sqlite3"),
                str(port),
            ],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "COORDAPP_ENV": "testing"},
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    with urllib.request.urlopen(base + "/health", timeout=2) as response:  # noqa: S310
                        if response.status == 200:
                            break
                except OSError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.flush()
                    pytest.fail(
                        "the app did not start:\n" + (Path(tmp) / "server.log").read_text()[-3000:]
                    )
                time.sleep(0.3)
            yield base
        finally:
            process.terminate()
            process.wait(timeout=20)
            log.close()
