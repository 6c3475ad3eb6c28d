"""[[ completion in the note form, in headless Chromium under the admin's strict CSP: the list
opens by the caret, the keys and the mouse pick a title, an input method is left alone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from notes.models import Note
from tests.admin.test_admin_browser import CSP_WATCH, editor, log_in, refused  # noqa: F401
from tests.factories import make_category, make_note
from tests.views.test_accessibility import AXE_JS
from tests.views.test_browser import (  # noqa: F401 (fixtures)
    SCREENSHOTS,
    browser,
    live_server,
    open_page,
)

pytestmark = pytest.mark.browser

EDITOR = "textarea.markdown-editor"
POPUP = ".note-complete"
OPTIONS = "#note-complete-list [role=option]"


@pytest.fixture
def notes(editor) -> Note:  # noqa: F811
    """Two notes starting with 扩散 (the draft edited last, so listed first), a renamed one,
    and the note being edited."""
    category = make_category("生成模型")
    make_note("扩散模型 DDPM", category=category)
    make_note("扩散策略 Diffusion Policy", category=category, status=Note.Status.DRAFT)
    renamed = make_note("Denoising Score Matching", category=category)
    renamed.title = "分数匹配 Score Matching"
    renamed.save()
    return make_note("正在写的笔记", category=category, body="开头。")


def open_form(browser, live_server, note: Note) -> tuple[Page, list[str]]:  # noqa: F811
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000})
    page.context.add_init_script(CSP_WATCH)
    log_in(page, f"/admin/notes/note/{note.pk}/change/", live_server)
    return page, errors


def caret_to(page: Page, position: int | None = None) -> None:
    """The caret at ``position`` in the body (its end if None), the textarea focused."""
    page.locator(EDITOR).evaluate(
        """(el, at) => { el.focus(); const p = at === null ? el.value.length : at;
        el.setSelectionRange(p, p); }""",
        position,
    )


def selection(page: Page) -> list[int]:
    return page.locator(EDITOR).evaluate("el => [el.selectionStart, el.selectionEnd]")


def test_brackets_offer_titles_by_the_caret_and_enter_inserts_one(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    notes,
) -> None:
    page, errors = open_form(browser, live_server, notes)
    textarea = page.locator(EDITOR)
    caret_to(page)
    textarea.press_sequentially(" 见 [[扩散")
    options = page.locator(OPTIONS)
    expect(options).to_have_count(2)
    expect(options.nth(0)).to_contain_text("扩散策略 Diffusion Policy")
    expect(options.nth(1)).to_contain_text("扩散模型 DDPM")
    expect(options.nth(0)).to_have_attribute("aria-selected", "true")
    # No aria-expanded: ARIA does not allow it on a text box (axe: aria-allowed-attr).
    expect(textarea).not_to_have_attribute("aria-expanded", "true")
    expect(textarea).to_have_attribute("aria-activedescendant", "note-complete-option-0")
    expect(textarea).to_have_attribute("aria-controls", "note-complete-list")
    expect(page.locator("#note-complete-list")).to_have_attribute("role", "listbox")
    # Right under the caret's line: the body is one short line at the textarea's top.
    box, popup = textarea.bounding_box(), page.locator(POPUP).bounding_box()
    line = textarea.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)")
    assert box["y"] + line <= popup["y"] <= box["y"] + 3 * line, (box, popup)
    assert box["x"] + 40 < popup["x"] < box["x"] + box["width"] / 2, (box, popup)
    # Copied to docs/screenshots/issue-21/completion.png for the issue.
    page.screenshot(
        path=str(SCREENSHOTS / "admin-completion.png"),
        clip={"x": box["x"] - 20, "y": box["y"] - 60, "width": 720, "height": 260},
    )

    page.keyboard.press("ArrowDown")
    expect(options.nth(1)).to_have_attribute("aria-selected", "true")
    expect(options.nth(0)).to_have_attribute("aria-selected", "false")
    expect(textarea).to_have_attribute("aria-activedescendant", "note-complete-option-1")
    page.keyboard.press("Enter")
    expect(textarea).to_have_value("开头。 见 [[扩散模型 DDPM]]")
    assert selection(page) == [len("开头。 见 [[扩散模型 DDPM]]")] * 2
    expect(page.locator(POPUP)).to_be_hidden()
    expect(textarea).not_to_have_attribute("aria-activedescendant", "note-complete-option-1")
    # The input event reached the live preview (the link resolves) and the autosave.
    frame = page.frame_locator("section.markdown-preview iframe")
    expect(frame.locator(".note-body a.wikilink")).to_have_text("扩散模型 DDPM")
    page.wait_for_function(
        "() => Object.values(localStorage).some(v => v.includes('[[扩散模型 DDPM]]'))"
    )
    # Undo takes the insertion back as one step, as typing would.
    page.keyboard.press("Control+z")
    expect(textarea).to_have_value("开头。 见 [[扩散")
    assert refused(page) == []
    assert errors == []


def test_closing_brackets_already_there_are_not_doubled(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    notes,
) -> None:
    page, errors = open_form(browser, live_server, notes)
    textarea = page.locator(EDITOR)
    textarea.fill("参见 [[]] 一文。")
    caret_to(page, len("参见 [["))
    textarea.press_sequentially("扩散")
    expect(page.locator(OPTIONS)).to_have_count(2)
    page.keyboard.press("Tab")  # the first title
    expect(textarea).to_have_value("参见 [[扩散策略 Diffusion Policy]] 一文。")
    assert selection(page) == [len("参见 [[扩散策略 Diffusion Policy]]")] * 2
    # A target with an alias: the title replaces the target, the alias stays.
    textarea.fill("[[扩|模型]]")
    caret_to(page, len("[[扩"))
    textarea.press_sequentially("散")
    expect(page.locator(OPTIONS)).to_have_count(2)
    page.locator(OPTIONS).nth(1).click()
    expect(textarea).to_have_value("[[扩散模型 DDPM|模型]]")
    expect(textarea).to_be_focused()
    assert refused(page) == []
    assert errors == []


def test_an_old_title_inserts_the_current_one(live_server, browser, notes) -> None:  # noqa: F811
    page, errors = open_form(browser, live_server, notes)
    textarea = page.locator(EDITOR)
    textarea.fill("")
    textarea.press_sequentially("[[denois")
    option = page.locator(OPTIONS)
    expect(option).to_have_count(1)
    expect(option).to_contain_text("分数匹配 Score Matching")
    expect(option.locator(".note-complete-old")).to_contain_text("denoising score matching")
    option.click()
    expect(textarea).to_have_value("[[分数匹配 Score Matching]]")
    # Nothing found: the list says so, and Enter is a new line again.
    textarea.press_sequentially(" [[没有这样的标题")
    expect(page.locator(".note-complete-empty")).to_be_visible()
    expect(page.locator("#note-complete-list")).to_be_hidden()
    expect(textarea).not_to_have_attribute("aria-activedescendant", re.compile(".+"))
    page.keyboard.press("Enter")
    expect(textarea).to_have_value("[[分数匹配 Score Matching]] [[没有这样的标题\n")
    assert refused(page) == []
    assert errors == []


def test_escape_closes_the_list_until_asked_again(live_server, browser, notes) -> None:  # noqa: F811
    page, errors = open_form(browser, live_server, notes)
    textarea = page.locator(EDITOR)
    textarea.fill("")
    textarea.press_sequentially("[[扩散")
    expect(page.locator(OPTIONS)).to_have_count(2)
    page.keyboard.press("Escape")
    expect(page.locator(POPUP)).to_be_hidden()
    expect(textarea).not_to_have_attribute("aria-activedescendant", "note-complete-option-0")
    textarea.press_sequentially("模")  # the same link: it stays closed
    page.wait_for_timeout(400)
    expect(page.locator(POPUP)).to_be_hidden()
    page.keyboard.press("Enter")  # a new line, not a title
    expect(textarea).to_have_value("[[扩散模\n")
    textarea.press_sequentially("[[扩散模")  # a new link: it opens again
    expect(page.locator(OPTIONS)).to_have_count(1)
    page.keyboard.press("Escape")
    page.keyboard.press("Control+Space")
    expect(page.locator(OPTIONS)).to_have_count(1)
    page.keyboard.press("Enter")
    expect(textarea).to_have_value("[[扩散模\n[[扩散模型 DDPM]]")
    assert refused(page) == []
    assert errors == []


def test_an_input_method_composing_is_left_alone(live_server, browser, notes) -> None:  # noqa: F811
    """Pinyin typed into an input method: its keys (Enter commits the pinyin, arrows pick a
    candidate) are the input method's until it commits."""
    page, errors = open_form(browser, live_server, notes)
    textarea = page.locator(EDITOR)
    textarea.fill("")
    textarea.press_sequentially("[[")
    expect(page.locator(OPTIONS)).to_have_count(4)  # nothing typed: the notes edited last
    cdp = page.context.new_cdp_session(page)
    page.evaluate(
        """() => { window.__composition = [];
        for (const type of ["compositionstart", "compositionend"]) {
          document.querySelector("textarea.markdown-editor")
            .addEventListener(type, () => window.__composition.push(type));
        } }"""
    )
    cdp.send("Input.imeSetComposition", {"text": "kuo", "selectionStart": 3, "selectionEnd": 3})
    cdp.send("Input.imeSetComposition", {"text": "kuosan", "selectionStart": 6, "selectionEnd": 6})
    expect(textarea).to_have_value("[[kuosan")
    # The keys an input method uses while composing (keyCode 229, isComposing): not ours.
    for key in ("ArrowDown", "Enter", "Tab", "Escape"):
        textarea.evaluate(
            """(el, key) => el.dispatchEvent(new KeyboardEvent("keydown",
            {key, keyCode: 229, isComposing: true, bubbles: true, cancelable: true}))""",
            key,
        )
    page.wait_for_timeout(400)  # no request for "kuosan" was made meanwhile
    expect(textarea).to_have_value("[[kuosan")
    expect(page.locator(OPTIONS).nth(0)).to_have_attribute("aria-selected", "true")
    cdp.send("Input.insertText", {"text": "扩散"})  # the editor picks 扩散: committed
    assert page.evaluate("() => window.__composition") == ["compositionstart", "compositionend"]
    expect(textarea).to_have_value("[[扩散")
    expect(page.locator(OPTIONS)).to_have_count(2)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(textarea).to_have_value("[[扩散模型 DDPM]]")
    assert refused(page) == []
    assert errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_list_passes_axe(live_server, browser, notes, scheme: str) -> None:  # noqa: F811
    """The listbox and its options (roles, names, contrast of the status and old-title text)
    in the admin's light and dark colours."""
    if not AXE_JS.exists():
        pytest.fail("axe-core is missing: run `make checker-deps`.", pytrace=False)
    # axe is injected as an inline script: the policy is lifted for this page only.
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    page.emulate_media(color_scheme=scheme)
    log_in(page, f"/admin/notes/note/{notes.pk}/change/", live_server)
    textarea = page.locator(EDITOR)
    textarea.fill("")
    textarea.press_sequentially("[[d")  # an old title, a draft and a published note
    expect(page.locator(".note-complete-old")).to_have_count(1)
    expect(page.locator(".note-complete-status[data-status=draft]")).to_have_count(1)
    page.add_script_tag(content=AXE_JS.read_text())
    violations = page.evaluate(
        "() => axe.run({include: [['.note-complete']]}, {resultTypes: ['violations']})"
        ".then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target).join(', ')))"
    )
    assert violations == []
    assert errors == []
