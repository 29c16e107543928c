"""Browser tests: Debian's /usr/bin/chromium through Playwright (never a downloaded browser),
against the app served on its own SQLite database with the demo network.

Skipped with a reason when Chromium is absent, except under CI=true, where that fails.

Every page a test opens (``open_page``) is watched: a request to any host but 127.0.0.1 /
localhost is aborted and fails the test, and so does a console error or an uncaught script
error. ``shots`` keeps a PNG per step in $BROWSER_ARTIFACTS (default tests/browser/artifacts/).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

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
DEMO_PASSWORD = "coordapp-demo"
VIEWER = ("viewer@coordapp.example", DEMO_PASSWORD)
ROOT = Path(__file__).resolve().parents[2]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# Schemes that never touch the network.
LOCAL_SCHEMES = {"data", "blob", "about"}


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


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """One xdist worker runs every browser test (``--dist loadgroup``): one server with the
    demo network and one Chromium for them all, as in a single-process run."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.xdist_group("browser"))


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


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


@pytest.fixture(scope="session")
def browser(server: str) -> Iterator[Browser]:
    """One Chromium for the session; each test gets its own context (cookies, storage)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Watch:
    """What a test's pages did that they must not: leave localhost, log errors."""

    outside: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        def refuse(route: Any) -> None:
            self.outside.append(route.request.url)
            route.abort("blockedbyclient")

        # Every URL is seen here: a request elsewhere is recorded and never reaches the network.
        context.route(lambda url: not is_local(url), refuse)
        context.on(
            "request",
            lambda request: None if is_local(request.url) else self.outside.append(request.url),
        )
        context.on("page", self.watch_page)

    def watch_page(self, page: Page) -> None:
        page.on(
            "console",
            lambda message: (
                self.console_errors.append(f"{page.url}: {message.text} {message.location}")
                if message.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda error: self.console_errors.append(f"{page.url}: {error}"))

    def check(self) -> None:
        assert not self.outside, f"requests left localhost: {sorted(set(self.outside))}"
        assert not self.console_errors, f"console errors: {self.console_errors}"


class Shots:
    """Numbered PNGs of a test's steps, kept in $BROWSER_ARTIFACTS/<test name>/."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.taken: list[Path] = []

    def __call__(self, page: Page, step: str, *, full_page: bool = True) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.directory / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        self.taken.append(path)
        return path


def artifacts_root() -> Path:
    configured = os.environ.get("BROWSER_ARTIFACTS")
    return Path(configured) if configured else ROOT / "tests" / "browser" / "artifacts"


def _test_dir_name(request: pytest.FixtureRequest) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    directory = artifacts_root() / _test_dir_name(request)
    for old in directory.glob("*.png"):
        old.unlink()
    return Shots(directory)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, browser: Browser, server: str
) -> Iterator[Callable[..., Page]]:
    """``open_page(role)`` → a page signed in as the demo user of that role (or anonymous
    with ``role=None``), watched for requests off localhost and console errors. When the test
    fails, the last state of each of its pages is kept as ``failure-N.png``."""
    watch = Watch()
    contexts: list[BrowserContext] = []

    def open_(role: str | None = "viewer", **options: Any) -> Page:
        context = browser.new_context(
            viewport={"width": 1366, "height": 768}, accept_downloads=True, **options
        )
        context.set_default_timeout(15_000)
        watch.attach(context)
        contexts.append(context)
        page = context.new_page()
        if role is not None:
            sign_in(page, server, f"{role}@coordapp.example")
        return page

    yield open_
    if request.node.stash.get(_CALL_FAILED, False):
        directory = artifacts_root() / _test_dir_name(request)
        directory.mkdir(parents=True, exist_ok=True)
        pages = [page for context in contexts for page in context.pages]
        for number, page in enumerate(pages, start=1):
            page.screenshot(path=str(directory / f"failure-{number}.png"), full_page=True)
    for context in contexts:
        context.close()
    watch.check()


def sign_in(page: Page, server: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(server + "/auth/sign-in")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("[type=submit]")
    page.wait_for_url(server + "/")
