"""Ctrl+S / Cmd+S in the note form (static/admin/note-shortcuts.js): saves and continues
editing, in headless Chromium, under the admin's strict Content-Security-Policy."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from notes.models import Note
from tests.admin.test_admin_browser import CSP_WATCH, editor, log_in, refused  # noqa: F401
from tests.factories import make_category, make_note
from tests.views.test_browser import browser, live_server, open_page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("modifier", ["Control", "Meta"])
def test_ctrl_s_saves_and_stays_on_the_form(live_server, browser, editor, modifier) -> None:  # noqa: F811
    note = make_note(
        "快捷键", category=make_category("ML"), status=Note.Status.DRAFT, body="旧的正文。"
    )
    change = f"/admin/notes/note/{note.pk}/change/"
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000})
    page.context.add_init_script(CSP_WATCH)
    log_in(page, change, live_server)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    # The form names the shortcut, and the button it presses says so to assistive technology.
    expect(page.locator(".note-shortcut-help")).to_be_visible()
    button = page.locator("input[name=_continue]")
    assert "Control+S" in button.get_attribute("aria-keyshortcuts")

    body = page.locator("textarea.markdown-editor")
    body.fill("用快捷键保存的正文。")
    with page.expect_navigation():
        body.press(f"{modifier}+s")
    page.wait_for_load_state()

    note.refresh_from_db()
    assert note.body == "用快捷键保存的正文。"
    # The change form again, with the admin's success message, not the list.
    assert page.url.endswith(change)
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator("textarea.markdown-editor")).to_have_value("用快捷键保存的正文。")
    # No "leave the page?" prompt: the shortcut is a form submission like the button's.
    assert dialogs == []
    assert refused(page) == []
    assert errors == []


def test_the_shortcut_saves_once_and_only_on_the_note_form(live_server, browser, editor) -> None:  # noqa: F811
    note = make_note("只保存一次", category=make_category("ML"), status=Note.Status.DRAFT)
    change = f"/admin/notes/note/{note.pk}/change/"
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000})
    page.context.add_init_script(CSP_WATCH)
    log_in(page, change, live_server)
    posts: list[str] = []
    page.on("request", lambda request: request.method == "POST" and posts.append(request.url))
    page.locator("#id_title").fill("改过的标题")
    with page.expect_navigation():
        page.keyboard.press("Control+s")
        page.keyboard.press("Control+s")  # before the answer comes: not a second save
    page.wait_for_load_state()
    assert [url for url in posts if url.endswith(change)] == [live_server.url + change]
    note.refresh_from_db()
    assert note.title == "改过的标题"

    # Elsewhere in the admin the browser keeps its own Ctrl+S: the script does nothing there.
    page.goto(live_server.url + "/admin/notes/note/")  # the script is loaded here too
    prevented = page.evaluate(
        """() => { const event = new KeyboardEvent("keydown", {key: "s", code: "KeyS",
          ctrlKey: true, bubbles: true, cancelable: true});
          document.body.dispatchEvent(event); return event.defaultPrevented; }"""
    )
    assert prevented is False
    assert refused(page) == []
    assert errors == []
