"""The note editor in headless Chromium, under the admin's strict CSP: a preview warning selects
the line it is about, and the preview follows the caret through a long note."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.admin.test_admin_browser import ADD, CSP_WATCH, editor, log_in, refused  # noqa: F401
from tests.factories import make_category
from tests.views.test_browser import browser, live_server, open_page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

TEXTAREA = "textarea.markdown-editor"
FRAME = "section.markdown-preview iframe"
# Short lines (none wraps), with an unresolved link on line 45 and an unknown citation on
# line 52.
LINES = [f"Line {number} of the body." for number in range(1, 61)]
LINES[44] = "See [[a note nobody wrote]] here."
LINES[51] = "As shown before [@nobody2024]."
BODY = "\n".join(LINES)

# The caret's text in the preview: whether the paragraph holding it is inside the frame's view.
IN_FRAME_VIEW = """(text) => {
  const frame = document.querySelector("section.markdown-preview iframe");
  const win = frame.contentWindow;
  const paragraph = Array.from(frame.contentDocument.querySelectorAll(".note-body p"))
    .find((p) => p.textContent.includes(text));
  if (!paragraph) return false;
  const box = paragraph.getBoundingClientRect();
  return box.top >= 0 && box.bottom <= win.innerHeight;
}"""
FRAME_SCROLL = "() => document.querySelector('iframe.markdown-preview-frame').contentWindow.scrollY"


def line_range(text: str, line: int) -> tuple[int, int]:
    start = sum(len(row) + 1 for row in text.split("\n")[: line - 1])
    return start, start + len(text.split("\n")[line - 1])


def selection(page: Page) -> dict:
    return page.locator(TEXTAREA).evaluate(
        """el => {
          const style = getComputedStyle(el);
          return {start: el.selectionStart, end: el.selectionEnd,
                  focused: document.activeElement === el, scrollTop: el.scrollTop,
                  clientHeight: el.clientHeight, lineHeight: parseFloat(style.lineHeight),
                  paddingTop: parseFloat(style.paddingTop)};
        }"""
    )


def open_editor(page: Page, body: str, live_server) -> None:  # noqa: F811
    page.context.add_init_script(CSP_WATCH)
    log_in(page, ADD, live_server)
    page.fill("#id_title", "Editor test")
    page.fill(TEXTAREA, body)


def test_clicking_a_warning_selects_its_line(live_server, browser, editor) -> None:  # noqa: F811
    make_category("ML")
    page, errors = open_page(browser, viewport={"width": 1400, "height": 900})
    open_editor(page, BODY, live_server)
    buttons = page.locator(".markdown-preview-warnings button.markdown-preview-warning-line")
    expect(buttons).to_have_count(2)
    expect(buttons.nth(0)).to_have_text(
        "Line 45: Unresolved link: [[a note nobody wrote]]", use_inner_text=True
    )
    expect(buttons.nth(1)).to_have_text(
        "Line 52: Unknown citation: @nobody2024", use_inner_text=True
    )
    page.locator(TEXTAREA).evaluate("el => { el.blur(); el.scrollTop = 0; }")

    buttons.nth(0).click()
    state = selection(page)
    assert (state["start"], state["end"]) == line_range(BODY, 45)
    assert state["focused"]
    # The line is scrolled into the textarea's view.
    top = state["paddingTop"] + 44 * state["lineHeight"]
    assert state["scrollTop"] > 0
    assert state["scrollTop"] <= top
    assert top + state["lineHeight"] <= state["scrollTop"] + state["clientHeight"]

    # From the keyboard: the next warning's button, then Enter.
    buttons.nth(1).focus()
    page.keyboard.press("Enter")
    state = selection(page)
    assert (state["start"], state["end"]) == line_range(BODY, 52)
    assert state["focused"]
    assert refused(page) == []
    assert errors == []


def test_the_preview_follows_the_caret(live_server, browser, editor) -> None:  # noqa: F811
    make_category("ML")
    paragraphs = [
        f"Paragraph {number} talks about topic{number} in some detail, enough for a line."
        for number in range(1, 81)
    ]
    body = "\n\n".join(paragraphs)
    page, errors = open_page(browser, viewport={"width": 1400, "height": 900})
    open_editor(page, body, live_server)
    frame = page.frame_locator(FRAME)
    expect(frame.locator(".note-body p")).to_have_count(80)
    # Filling left the caret at the end; at the top, the preview shows its start.
    page.locator(TEXTAREA).focus()
    page.keyboard.press("Control+Home")
    page.wait_for_function(f"() => ({FRAME_SCROLL})() === 0")

    # The caret at the end: the last paragraph comes into the frame's view.
    page.keyboard.press("Control+End")
    page.wait_for_function(f"() => ({FRAME_SCROLL})() > 0")
    page.wait_for_function(IN_FRAME_VIEW, arg="Paragraph 80 talks")
    assert selection(page)["focused"]  # the frame never takes the focus

    # The caret in the middle, moved by the keyboard.
    middle = body.index("Paragraph 40 talks") + 5
    page.locator(TEXTAREA).evaluate(f"el => el.setSelectionRange({middle}, {middle})")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(IN_FRAME_VIEW, arg="Paragraph 40 talks")
    in_the_middle = page.evaluate(FRAME_SCROLL)
    assert in_the_middle > 0

    # Back to the top.
    page.keyboard.press("Control+Home")
    page.wait_for_function(IN_FRAME_VIEW, arg="Paragraph 1 talks")
    assert page.evaluate(FRAME_SCROLL) < in_the_middle
    assert selection(page)["focused"]
    assert refused(page) == []
    assert errors == []


def test_typing_a_new_paragraph_keeps_it_in_view(live_server, browser, editor) -> None:  # noqa: F811
    make_category("ML")
    body = "\n\n".join(f"Paragraph {number} says something of its own." for number in range(1, 81))
    page, errors = open_page(browser, viewport={"width": 1400, "height": 900})
    open_editor(page, body, live_server)
    frame = page.frame_locator(FRAME)
    expect(frame.locator(".note-body p")).to_have_count(80)
    page.locator(TEXTAREA).focus()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\nA brand new closing paragraph.")
    expect(frame.locator(".note-body p")).to_have_count(81)
    page.wait_for_function(IN_FRAME_VIEW, arg="A brand new closing paragraph.")
    assert refused(page) == []
    assert errors == []
