"""Keyboard only, in real Chromium: sign in, reach and use the navbar with Tab / Enter / arrows
with a visible focus ring, and fill and submit a new organization without touching the mouse.

Every step leaves a PNG in the artifacts; pages are watched as everywhere in the browser suite.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import DEMO_PASSWORD, Shots

pytestmark = pytest.mark.browser
MAX_TABS = 60
# What the focused element looks like: an outline or a box-shadow ring drawn by :focus-visible.
FOCUS = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    name: (['input', 'select', 'textarea'].includes(el.tagName.toLowerCase())
           ? el.name : (el.getAttribute('aria-label') || el.innerText || el.id || '')
          ).trim().slice(0, 60),
    id: el.id,
    visible: el.matches(':focus-visible'),
    ring: (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
          || style.boxShadow !== 'none',
    expanded: el.getAttribute('aria-expanded'),
    outline: style.outlineStyle + ' ' + style.outlineWidth + ' ' + style.outlineColor,
  };
}"""


def focused(page: Any) -> dict[str, Any]:
    return dict(page.evaluate(FOCUS))


def tab_to(page: Any, name: str, *, key: str = "Tab", exact: bool = True) -> dict[str, Any]:
    """Press ``key`` until the focused element is called ``name``; its focus must show."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        now = focused(page)
        seen.append(now["name"] or now["id"])
        if (now["name"] == name) if exact else (name in now["name"]):
            assert now["visible"] and now["ring"], f"no visible focus on {name!r}: {now}"
            return now
    raise AssertionError(f"{name!r} not reached with {key}; focus went through {seen}")


def test_sign_in_and_the_navbar_by_keyboard(
    server: str, open_page: Callable[..., Any], shots: Shots
) -> None:
    page = open_page(None)
    page.goto(server + "/auth/sign-in")
    tab_to(page, "email")
    page.keyboard.type("manager@coordapp.example")
    tab_to(page, "password")
    page.keyboard.type(DEMO_PASSWORD)
    shots(page, "sign in by keyboard")
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/")

    # The skip link comes first and takes the focus past the navbar.
    page.keyboard.press("Tab")
    skip = focused(page)
    assert skip["name"] == "Skip to content" and skip["visible"], skip
    shots(page, "skip link focused", full_page=False)

    # Into the navbar: the Network menu opens with Enter, its items are reached with arrows.
    toggle = tab_to(page, "Network")
    assert toggle["expanded"] == "false"
    # On the dark navbar the ring is a white outline (Bootstrap's blue glow is not seen there).
    assert toggle["outline"] == "solid 2px rgb(255, 255, 255)", toggle
    shots(page, "navbar network focused", full_page=False)
    page.keyboard.press("Enter")
    assert focused(page)["expanded"] == "true"
    tab_to(page, "Expansion pipeline", key="ArrowDown")
    shots(page, "navbar network menu open", full_page=False)
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/expansion/")
    assert page.get_by_role("heading", name="Expansion pipeline").is_visible()

    # Escape closes an open menu and gives the focus back to its toggle.
    tab_to(page, "Funding")
    page.keyboard.press("Enter")
    assert page.locator(".dropdown-menu.show").count() == 1
    page.keyboard.press("Escape")
    assert page.locator(".dropdown-menu.show").count() == 0
    assert focused(page)["name"] == "Funding"

    # The user's menu at the end of the navbar: the dashboards are one Enter away, too.
    page.goto(server + "/")
    tab_to(page, "Dashboards")
    page.keyboard.press("Enter")
    tab_to(page, "Board pack", key="ArrowDown")
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/board-pack/")
    shots(page, "board pack reached by keyboard", full_page=False)


def test_a_new_organization_by_keyboard_only(
    server: str, open_page: Callable[..., Any], shots: Shots
) -> None:
    from playwright.sync_api import expect

    page = open_page("manager")
    page.goto(server + "/organizations/")
    tab_to(page, "New organization", exact=False)
    page.keyboard.press("Enter")
    page.wait_for_url(server + "/organizations/new")

    tab_to(page, "name")
    page.keyboard.type("Aurora Search Ltd")
    # Selects answer to typing while they have the focus (no list opened, no mouse).
    tab_to(page, "kind")
    page.keyboard.type("Industry")
    tab_to(page, "status")
    page.keyboard.type("Active")
    tab_to(page, "hq_country_code")
    page.keyboard.type("Ireland")
    tab_to(page, "website")
    page.keyboard.type("https://aurora-search.example.org")
    tab_to(page, "tags")
    page.keyboard.type("search, classifiers")
    tab_to(page, "notes")
    page.keyboard.type("Met at the autumn industry roundtable.")
    shots(page, "organization form filled by keyboard")
    tab_to(page, "Save")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Aurora Search Ltd")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("The organization was created.")
    expect(main).to_contain_text("Industry")
    expect(main).to_contain_text("Active")
    expect(main).to_contain_text("Ireland")
    expect(main).to_contain_text("aurora-search.example.org")
    shots(page, "organization saved")
