"""Real-browser checks in headless Chromium: MathML layout, the admin live preview, phones.

The other tests read HTML; these look at what a reader's browser makes of it. They drive
Debian's ``chromium`` (installed by ``make browser-deps``) through Playwright against
pytest-django's live server. A missing browser is a failure, not a skip: a suite that quietly
stops checking the pages is worse than a red one.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Response,
    expect,
    sync_playwright,
)
from pytest_django.live_server_helper import LiveServer

from tests.factories import make_category, make_note

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", "/tmp"))
WAIT_MS = 5_000  # explicit waits: the page or the preview is broken if it takes longer

MATH_BODY = r"""A fraction $\frac{a}{b}$ inline, next to a plain $x$ in the same sentence.

$$\sum_{i=1}^{n} x_i^2$$

The identity matrix:

$$\begin{pmatrix}1&0\\0&1\end{pmatrix}$$
"""

WIDE_BODY = (
    "A table with many columns and a long line of code must scroll inside their blocks.\n\n"
    + "| "
    + " | ".join(f"Column {i}" for i in range(12))
    + " |\n| "
    + " | ".join("---" for _ in range(12))
    + " |\n| "
    + " | ".join(f"value-{i}-0.123456" for i in range(12))
    + " |\n\n```python\nresult = "
    + " + ".join(f"compute_something_long({i})" for i in range(12))
    + "\n```\n\n$$"
    + " + ".join(f"\\frac{{x_{{{i}}}}}{{y_{{{i}}}}}" for i in range(25))
    + "$$\n"
)


def _no_static_handler(app):
    return app


@pytest.fixture(scope="module")
def live_server(request, django_db_setup, collected_static) -> Iterator[LiveServer]:
    """pytest-django's live server, serving static files the production way.

    Its default static handler looks files up in the source folders, which knows nothing of
    the hashed names that the manifest storage puts in pages (``site.3f2a….css``): every
    stylesheet would 404. Here WhiteNoise, as in production, serves the collected files.
    """
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    server = LiveServer(addr, start=False)
    server.thread.static_handler = _no_static_handler
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the module; each test opens its own context."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium. "
            "Run `make browser-deps` (as root) to install it.",
            pytrace=False,
        )
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # Playwright's sync API keeps an event loop running in this thread; the tests' own
        # ORM calls (and the database flush after each test) are still synchronous code.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


def open_page(browser: Browser, **context_options) -> tuple[Page, list[str]]:
    """A page in a fresh context, and the list its JS errors and failed loads go into."""
    context = browser.new_context(**context_options)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on("console", lambda msg: _console_error(msg, errors))
    page.on("response", lambda response: _failed_response(response, errors))
    return page, errors


def _console_error(message: ConsoleMessage, errors: list[str]) -> None:
    # Failed loads are logged with their URL by _failed_response; the rest (CSP refusals,
    # console.error calls) are errors.
    if message.type == "error" and not message.text.startswith("Failed to load resource"):
        errors.append(f"console: {message.text}")


def _failed_response(response: Response, errors: list[str]) -> None:
    # /favicon.ico, which browsers ask for on their own, is served too: any failure counts.
    if response.status >= 400:
        errors.append(f"{response.status}: {response.url}")


def assert_stylesheets_load(page: Page) -> None:
    """Every stylesheet answers 200 with CSS, and the site's own rules are applied."""
    hrefs = page.eval_on_selector_all("link[rel=stylesheet]", "links => links.map(l => l.href)")
    assert any("/css/site." in href for href in hrefs), hrefs
    for href in hrefs:
        response = page.request.get(href)
        assert response.status == 200, f"{href} answered {response.status}"
        assert response.headers["content-type"].startswith("text/css"), href
    # .container { max-width: var(--measure) } from site.css; the default would be "none".
    assert page.eval_on_selector(".container", "el => getComputedStyle(el).maxWidth") != "none"


def box(page: Page, selector: str) -> dict[str, float]:
    return page.eval_on_selector(
        selector,
        "el => { const r = el.getBoundingClientRect();"
        " return {left: r.left, right: r.right, top: r.top, bottom: r.bottom,"
        " width: r.width, height: r.height}; }",
    )


def assert_stacked(page: Page, fraction: str) -> None:
    """MathML layout, not a run of text: the denominator sits under the numerator."""
    numerator = box(page, f"{fraction} > :first-child")
    denominator = box(page, f"{fraction} > :last-child")
    assert denominator["top"] >= numerator["bottom"] - 1, (numerator, denominator)
    assert denominator["left"] < numerator["right"], (numerator, denominator)


def assert_no_horizontal_overflow(page: Page) -> None:
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    assert sizes["scroll"] <= sizes["client"], f"the page scrolls sideways: {sizes}"


def assert_scrolls_inside(page: Page, selector: str) -> None:
    """The block is wider inside than on screen, scrolls sideways, and stays in the viewport."""
    info = page.eval_on_selector(
        selector,
        "el => ({scroll: el.scrollWidth, client: el.clientWidth,"
        " right: el.getBoundingClientRect().right, overflow: getComputedStyle(el).overflowX,"
        " viewport: document.documentElement.clientWidth})",
    )
    assert info["scroll"] > info["client"], f"{selector} is not wider than its box: {info}"
    assert info["overflow"] in {"auto", "scroll"}, f"{selector} cannot scroll: {info}"
    assert info["right"] <= info["viewport"], f"{selector} sticks out of the page: {info}"


def test_math_is_laid_out_as_mathml(live_server, browser) -> None:
    note = make_note("Math rendering check", body=MATH_BODY)
    assert note.body_html.count("<math") == 4, note.body_html
    page, errors = open_page(browser, viewport={"width": 1280, "height": 900})
    page.goto(live_server.url + note.get_absolute_url())
    page.wait_for_selector(".note-body math", state="attached")
    assert_stylesheets_load(page)

    maths = page.eval_on_selector_all(
        ".note-body math",
        "els => els.map(m => { const r = m.getBoundingClientRect();"
        " return {display: m.getAttribute('display'), css: getComputedStyle(m).display,"
        " width: r.width, height: r.height}; })",
    )
    assert len(maths) == 4
    for math in maths:
        assert math["width"] > 0 and math["height"] > 0, maths

    # A fraction is a stack: taller than a lone letter, the denominator under the numerator.
    fraction = box(page, ".note-body p math mfrac")
    letter = box(page, ".note-body p math:nth-of-type(2) mi")
    assert fraction["height"] > 1.5 * letter["height"], (fraction, letter)
    assert_stacked(page, ".note-body p math mfrac")
    # Limits sit under the sum sign; the matrix rows are stacked.
    sigma = box(page, ".note-body munderover > :first-child")
    lower = box(page, ".note-body munderover > :nth-child(2)")
    assert lower["top"] >= sigma["bottom"] - 2, (sigma, lower)
    rows = page.eval_on_selector_all(
        ".note-body mtable mtr", "rs => rs.map(r => r.getBoundingClientRect().top)"
    )
    assert len(rows) == 2 and rows[1] > rows[0], rows

    # Display math is a block of its own across the column, not a run inside a line.
    column = box(page, ".note-body")
    inline_width = max(m["width"] for m in maths if m["display"] != "block")
    for math in (m for m in maths if m["display"] == "block"):
        assert "block" in math["css"], math
        assert math["width"] >= 0.9 * column["width"], (math, column)
        assert math["width"] > inline_width, (math, inline_width)

    # The LaTeX source rides along for copy and assistive tech but is never shown.
    hidden = page.eval_on_selector_all(
        ".note-body annotation",
        "els => els.map(a => !a.checkVisibility() && a.getBoundingClientRect().width === 0)",
    )
    assert hidden and all(hidden), hidden
    assert "\\frac" not in page.inner_text(".note-body")

    page.screenshot(path=str(SCREENSHOTS / "browser-note.png"), full_page=True)
    assert errors == []


def test_admin_live_preview_renders_math_and_code(live_server, browser) -> None:
    get_user_model().objects.create_superuser("editor", "editor@example.com", "correct-horse-42")
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000})
    page.goto(live_server.url + "/admin/login/?next=/admin/notes/note/add/")
    page.fill("#id_username", "editor")
    page.fill("#id_password", "correct-horse-42")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/notes/note/add/")

    editor = page.locator("textarea.markdown-editor")
    page.wait_for_selector("section.markdown-preview iframe")
    editor.click()
    editor.press_sequentially(
        "Attention: $\\frac{QK^T}{\\sqrt{d}}$\n\n```python\ndef f(x):\n    return x\n```\n"
    )
    frame = page.frame_locator("section.markdown-preview iframe")
    frame.locator(".note-body math mfrac").wait_for()
    frame.locator(".note-body .highlight pre code span.k").first.wait_for()
    # "Preview · 10:42:07" once rendered ("预览 · …" for a Chinese browser: the admin follows
    # the editor's language); "Preview unavailable (…)" when the request failed.
    expect(page.locator(".markdown-preview-status")).to_have_text(re.compile(r"^(Preview|预览) · "))

    math = frame.locator(".note-body math").bounding_box()
    assert math["width"] > 0 and math["height"] > 0, math
    numerator, denominator = (
        frame.locator(f".note-body math mfrac > :nth-child({n})").bounding_box() for n in (1, 2)
    )
    assert numerator["y"] + numerator["height"] <= denominator["y"] + 1
    # Highlighting means coloured tokens: pygments.css is loaded and its classes apply.
    keyword, plain = frame.locator(".note-body .highlight pre code").evaluate(
        "code => [getComputedStyle(code.querySelector('span.k')).color,"
        " getComputedStyle(code).color]",
    )
    assert keyword != plain, (keyword, plain)

    page.screenshot(path=str(SCREENSHOTS / "browser-admin.png"), full_page=True)
    assert errors == []


def test_phone_pages_do_not_scroll_sideways(live_server, browser) -> None:
    category = make_category("Machine Learning")
    for number in range(3):
        make_note(f"Ordinary note {number}", category=category, tags=["attention", "注意力"])
    wide = make_note("Wide table and long code", category=category, body=WIDE_BODY)
    phone = {
        "viewport": {"width": 390, "height": 844},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    }
    page, errors = open_page(browser, **phone)

    page.goto(live_server.url + "/")
    page.wait_for_selector(".note-item")
    assert_stylesheets_load(page)
    assert page.evaluate("() => document.documentElement.clientWidth") == 390
    assert_no_horizontal_overflow(page)
    page.screenshot(path=str(SCREENSHOTS / "browser-phone-list.png"), full_page=True)

    page.goto(live_server.url + wide.get_absolute_url())
    page.wait_for_selector(".note-body table")
    assert_no_horizontal_overflow(page)
    assert_scrolls_inside(page, ".note-body table")
    assert_scrolls_inside(page, ".note-body pre")
    assert_scrolls_inside(page, ".note-body .math-display")
    page.screenshot(path=str(SCREENSHOTS / "browser-phone.png"), full_page=True)
    assert errors == []


def test_the_cite_box_and_update_log_fit_a_320_px_phone_and_copy(live_server, browser) -> None:
    """Opened, the BibTeX scrolls inside its box; the update log and its earlier lines stay in
    the column; the copy button puts the entry on the clipboard."""
    from notes.models import NoteUpdate

    note = make_note(
        "LoRA：大模型的低秩适配，一个很长的标题让引用行在窄屏上换行",
        slug="lora-with-a-rather-long-address-for-the-citation",
        category=make_category("Large Model"),
    )
    for line in ("补充了 QLoRA 的 4-bit 量化对比表", "修正了公式 (3) 的符号：ΔW = BA 而非 AB"):
        NoteUpdate.objects.create(note=note, summary=line)
    page, errors = open_page(
        browser, viewport={"width": 320, "height": 700}, is_mobile=True, has_touch=True
    )
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(live_server.url + note.get_absolute_url())
    page.click(".update-log summary")
    page.click(".cite-box summary")
    page.wait_for_selector(".cite-box pre", state="visible")
    assert_no_horizontal_overflow(page)
    assert_scrolls_inside(page, ".cite-box pre")
    for selector in (".update-log", ".update-log ol", ".cite-box", ".cite-text"):
        assert box(page, selector)["right"] <= 320, selector
    page.click(".cite-box .copy-button")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("@online{") and note.get_absolute_url() in copied
    page.screenshot(path=str(SCREENSHOTS / "browser-phone-cite.png"), full_page=True)
    assert errors == []


def test_search_from_the_header_finds_highlights_and_opens_a_note(live_server, browser) -> None:
    category = make_category("生成模型")
    make_note("流匹配：从噪声到数据的直线", category=category, body="流匹配学习一个速度场。")
    make_note("无关笔记", category=category, body="强化学习。")
    page, errors = open_page(browser, viewport={"width": 390, "height": 800})
    page.goto(live_server.url + "/")
    page.fill("header input[type=search]", "速度场")
    page.press("header input[type=search]", "Enter")
    page.wait_for_url("**/search/?q=*")
    expect(page.locator(".search-count")).to_contain_text("找到 1 篇笔记")
    mark = page.locator(".search-snippet mark").first
    expect(mark).to_have_text("速度场")
    # The highlight is visible: a background unlike the page's.
    assert mark.evaluate("m => getComputedStyle(m).backgroundColor") != page.evaluate(
        "() => getComputedStyle(document.body).backgroundColor"
    )
    assert_no_horizontal_overflow(page)
    page.click(".search-result h2 a")
    expect(page.locator("h1.note-title")).to_have_text("流匹配：从噪声到数据的直线")
    assert errors == []
