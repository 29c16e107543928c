"""The watch every browser test relies on catches what it must: a request to another host is
recorded and never sent, a console error and an uncaught script error are recorded."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Watch

pytestmark = pytest.mark.browser


def test_the_watch_sees_requests_off_localhost_and_console_errors(
    browser: Any, server: str
) -> None:
    watch = Watch()
    context = browser.new_context()
    try:
        watch.attach(context)
        page = context.new_page()
        page.goto(server + "/auth/sign-in")
        watch.check()  # a clean page passes
        with page.expect_event("requestfailed", lambda r: "example.org" in r.url) as failed:
            page.evaluate(
                "() => { const img = new Image(); img.src = 'https://cdn.example.org/x.png'; }"
            )
        # Aborted, never sent: by the watch, or before it by the page's Content-Security-Policy.
        assert str(failed.value.failure) in ("net::ERR_BLOCKED_BY_CLIENT", "csp")
        page.evaluate("() => console.error('something broke')")
        page.evaluate("() => setTimeout(() => { throw new Error('uncaught'); })")
        page.wait_for_timeout(100)
    finally:
        context.close()
    assert watch.outside and all("cdn.example.org" in url for url in watch.outside)
    assert any("something broke" in e for e in watch.console_errors)
    assert any("uncaught" in e for e in watch.console_errors)
    with pytest.raises(AssertionError, match="requests left localhost"):
        watch.check()
