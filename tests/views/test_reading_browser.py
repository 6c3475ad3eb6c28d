"""Reading in a real browser: every demo note on small phones, the language and theme
switches, a series followed part by part, and the site by keyboard alone."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from notes.importexport import import_paths
from notes.models import Note
from tests.views.test_browser import (  # noqa: F401 - fixtures are used by name
    SCREENSHOTS,
    assert_no_horizontal_overflow,
    browser,
    live_server,
    open_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
DEMO = Path(settings.BASE_DIR) / "demo" / "notes"


@pytest.fixture
def demo() -> list[Note]:
    report = import_paths([DEMO])
    assert report.errors == []
    return list(Note.objects.published())


@pytest.mark.parametrize("width", [320, 390])
def test_no_demo_note_scrolls_sideways_on_a_phone(live_server, browser, demo, width) -> None:  # noqa: F811
    page, errors = open_page(
        browser, viewport={"width": width, "height": 800}, is_mobile=True, has_touch=True
    )
    wide = []
    for note in demo:
        page.goto(live_server.url + note.get_absolute_url())
        sizes = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if sizes[0] > sizes[1]:
            wide.append((note.slug, sizes))
    assert errors == []
    assert wide == []


def test_language_and_theme_switches(live_server, browser, demo) -> None:  # noqa: F811
    page, errors = open_page(browser, viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_have_text("最新更新")
    page.click(".language-switcher a[hreflang=en]")
    page.wait_for_url("**/en/")
    expect(page.locator("h1")).to_have_text("Latest updates")
    assert page.evaluate("document.documentElement.lang") == "en"

    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    toggle = page.locator(".theme-toggle")
    expect(toggle).to_be_visible()
    toggle.click()
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert dark != light
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    # Remembered on the next page, in the other language too.
    page.click(".language-switcher a[hreflang=zh-Hans]")
    page.wait_for_url(live_server.url + "/")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == dark
    page.screenshot(path=str(SCREENSHOTS / "browser-dark.png"))
    assert errors == []


def test_follow_a_series_part_by_part(live_server, browser, demo) -> None:  # noqa: F811
    page, errors = open_page(browser, viewport={"width": 390, "height": 844})
    page.goto(live_server.url + "/series/diffusion-basics/")
    page.click(".series-list li:first-child h2 a")
    expect(page.locator(".series-kicker")).to_contain_text("第 1 篇，共 5 篇")
    for part in range(2, 6):
        page.click(".series-steps a:has-text('下一篇')")
        expect(page.locator(".series-kicker")).to_contain_text(f"第 {part} 篇，共 5 篇")
    expect(page.locator(".series-steps a:has-text('下一篇')")).to_have_count(0)
    assert_no_horizontal_overflow(page)
    assert errors == []


def test_keyboard_alone_reaches_a_note(live_server, browser, demo) -> None:  # noqa: F811
    page, errors = open_page(browser, viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + "/")
    # The first Tab shows the skip link; following it lands on the content.
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    assert page.evaluate("getComputedStyle(document.activeElement).left") != "-999px", (
        "the skip link stays off screen when focused"
    )
    page.keyboard.press("Enter")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("!!document.activeElement.closest('.note-item-title')"):
            break
    else:
        pytest.fail("no note title reachable by Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is visible"
    title = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    expect(page.locator("h1.note-title")).to_have_text(title)
    assert errors == []
