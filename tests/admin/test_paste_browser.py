"""Images pasted and dropped into the note body, in headless Chromium under the admin's strict
CSP: a saved note's figures are uploaded at once and their Markdown lands where the cursor or
the drop was; a new note's wait for its first save."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Page, expect

from notes.models import Figure, Note
from tests.admin.media import media  # noqa: F401 (fixture)
from tests.admin.test_admin_browser import (  # noqa: F401 (fixtures)
    ADD,
    CSP_WATCH,
    editor,
    log_in,
    refused,
)
from tests.factories import make_category, make_note
from tests.views.test_browser import (  # noqa: F401 (fixtures)
    SCREENSHOTS,
    browser,
    live_server,
    open_page,
)

pytestmark = pytest.mark.browser

EDITOR = "textarea.markdown-editor"
BODY = "第一段。\n\n第二段。\n\n第三段。"
SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    '<script>alert(1)</script><rect width="10" height="10"/></svg>'
)
INVALID_IMAGE = (
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
)

# A File made in the page from base64 bytes (and zero padding), as a clipboard or a drag holds it.
MAKE_FILES = """(specs) => specs.map(([data, name, type, pad]) => {
  const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
  return new File(pad ? [bytes, new Uint8Array(pad)] : [bytes], name, {type});
})"""
PASTE = f"""(specs) => {{
  const files = ({MAKE_FILES})(specs);
  const data = new DataTransfer();
  files.forEach((file) => data.items.add(file));
  const textarea = document.querySelector("{EDITOR}");
  textarea.focus();
  textarea.dispatchEvent(new ClipboardEvent("paste",
    {{clipboardData: data, bubbles: true, cancelable: true}}));
}}"""
# A spreadsheet's copy: its cells as text, and a picture of them. Whether the page took it.
PASTE_CELLS = f"""(specs) => {{
  const data = new DataTransfer();
  ({MAKE_FILES})(specs).forEach((file) => data.items.add(file));
  data.setData("text/plain", "loss\\t0.12\\nacc\\t0.98");
  const event = new ClipboardEvent("paste",
    {{clipboardData: data, bubbles: true, cancelable: true}});
  document.querySelector("{EDITOR}").dispatchEvent(event);
  return event.defaultPrevented;
}}"""
# Dropped on the first character of a line of the editor (lines counted from 0, no wrapping).
DROP = f"""([specs, line]) => {{
  const files = ({MAKE_FILES})(specs);
  const data = new DataTransfer();
  files.forEach((file) => data.items.add(file));
  const textarea = document.querySelector("{EDITOR}");
  textarea.scrollTop = 0;
  const style = getComputedStyle(textarea);
  const box = textarea.getBoundingClientRect();
  const x = box.left + parseFloat(style.borderLeftWidth) + parseFloat(style.paddingLeft) + 1;
  const y = box.top + parseFloat(style.borderTopWidth) + parseFloat(style.paddingTop)
    + parseFloat(style.lineHeight) * (line + 0.5);
  const init = {{dataTransfer: data, clientX: x, clientY: y, bubbles: true, cancelable: true}};
  textarea.dispatchEvent(new DragEvent("dragover", init));
  textarea.dispatchEvent(new DragEvent("drop", init));
}}"""
# The image once loaded: decode() fails if it cannot be.
LOADED_WIDTH = "img => img.decode().then(() => img.naturalWidth)"


def chart(width: int = 480, height: int = 270, colour: str = "#2f6db5") -> bytes:
    """A small line chart, like a figure an editor would paste."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width - 1, height - 1), outline="#999999")
    points = [
        (20 + i * (width - 40) // 9, height - 30 - (i * i * 2) % (height - 60)) for i in range(10)
    ]
    draw.line(points, fill=colour, width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def spec(content: bytes, name: str, kind: str = "image/png", pad: int = 0) -> list:
    return [base64.b64encode(content).decode(), name, kind, pad]


def media_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*") if path.is_file())


def wait_until_settled(page: Page) -> None:
    """No upload placeholder left in the editor."""
    page.wait_for_function(
        f"() => !document.querySelector('{EDITOR}').value.includes('](uploading:')"
    )


def page_errors(errors: list[str]) -> list[str]:
    # A refused file is a 400 answer the page expects and shows.
    return [error for error in errors if not (error.startswith("400:") and "/figures/" in error)]


def test_pasted_and_dropped_images_become_figures_where_they_were_put(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    editor,  # noqa: F811
    media,  # noqa: F811
) -> None:
    note = make_note("带图的笔记", category=make_category("ML"), body=BODY)
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000}, locale="en-US")
    page.context.add_init_script(CSP_WATCH)
    change = f"/admin/notes/note/{note.pk}/change/"
    log_in(page, change, live_server)
    textarea = page.locator(EDITOR)
    expect(page.locator(".paste-help")).to_contain_text("Paste or drop images here")

    # Two files dropped on the start of "第三段。" (line 4).
    page.evaluate(
        DROP, [[spec(chart(), "loss curve.png"), spec(chart(colour="#c0392b"), "注意力.png")], 4]
    )
    wait_until_settled(page)
    # A screenshot pasted after "第一段。", the upload held back to show its placeholder.
    held = []
    page.route("**/figures/paste/", lambda route: held.append(route))
    textarea.evaluate("el => { el.focus(); el.setSelectionRange(4, 4); }")
    page.evaluate(PASTE, [spec(chart(colour="#27ae60"), "image.png")])
    page.wait_for_function(
        f"() => document.querySelector('{EDITOR}').value.includes('](uploading:3)')"
    )
    assert textarea.input_value().startswith(
        "第一段。\n\n![Uploading… image.png](uploading:3)\n\n第二段。"
    )
    expect(page.locator(".paste-status")).to_have_text("Uploading… image.png")
    page.locator(".paste-bar").scroll_into_view_if_needed()
    # Copied to docs/screenshots/issue-21/paste-uploading.png for the issue.
    page.screenshot(path=str(SCREENSHOTS / "paste-uploading.png"))
    assert len(held) == 1
    held[0].continue_()
    page.unroute("**/figures/paste/")
    wait_until_settled(page)

    dropped_a, dropped_b, pasted = Figure.objects.filter(note=note).order_by("pk")
    assert [dropped_a.alt, dropped_b.alt, pasted.alt] == ["loss curve", "注意力", "Figure 3"]
    expected = (
        f"第一段。\n\n{pasted.markdown}\n\n第二段。\n\n"
        f"{dropped_a.markdown}\n\n{dropped_b.markdown}\n\n第三段。"
    )
    expect(textarea).to_have_value(expected)
    expect(page.locator(".paste-status")).to_have_text("image.png uploaded.")
    # Kept in the browser like typed text (note-autosave.js waits for a pause).
    page.wait_for_function(
        """([key, expected]) => {
          const kept = JSON.parse(localStorage.getItem(key) || "null");
          return kept !== null && kept.fields.body === expected;
        }""",
        arg=[f"research-notes:autosave:{change}", expected],
    )

    # The preview shows the three images, loaded from the media folder.
    frame = page.frame_locator("section.markdown-preview iframe")
    expect(frame.locator(".note-body img")).to_have_count(3)
    widths = [image.evaluate(LOADED_WIDTH) for image in frame.locator(".note-body img").all()]
    assert widths == [480, 480, 480]
    page.screenshot(path=str(SCREENSHOTS / "paste-done.png"))  # docs/screenshots/issue-21/

    # Refused: a 12 MB image and an SVG, with the reasons; no placeholder stays, nothing stored.
    files_before = media_files(media)
    page.evaluate(PASTE, [spec(chart(), "huge.png", pad=12 * 1024 * 1024)])
    wait_until_settled(page)
    page.evaluate(PASTE, [spec(SVG.encode(), "diagram.svg", "image/svg+xml")])
    wait_until_settled(page)
    problems = page.locator(".paste-errors li")
    expect(problems).to_have_text([f"diagram.svg was not added: {INVALID_IMAGE}"])
    expect(page.locator(".paste-errors")).to_be_visible()
    expect(textarea).to_have_value(expected)
    page.evaluate(PASTE, [spec(chart(), "huge.png", pad=12 * 1024 * 1024)])
    wait_until_settled(page)
    expect(problems).to_have_text(
        ["huge.png was not added: The image is 12.0 MB; at most 10 MB are accepted."]
    )
    page.locator(".paste-bar").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "paste-refused.png"))  # docs/screenshots/issue-21/
    expect(textarea).to_have_value(expected)
    assert Figure.objects.filter(note=note).count() == 3
    assert media_files(media) == files_before

    # The form was opened before the uploads: saving it is not an edit conflict.
    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(page.locator(".edit-conflict")).to_have_count(0)
    note.refresh_from_db()
    assert note.body == expected
    assert note.body_html.count("<img") == 3

    # The session expired meanwhile: the editor is told, the text is as it was. (Once the
    # reloaded form's preview frame is in: asked for without a session, it would be the
    # sign-in page, which refuses to be framed.)
    page.frame_locator("section.markdown-preview iframe").locator(".note-body").wait_for()
    page.context.clear_cookies(name="sessionid")
    page.evaluate(PASTE, [spec(chart(), "late.png")])
    wait_until_settled(page)
    expect(page.locator(".paste-errors li")).to_have_text(
        [re.compile(r"^late\.png was not added: .*signed out\?")]
    )
    expect(textarea).to_have_value(expected)
    assert refused(page) == []
    assert page_errors(errors) == []


def test_a_screenshot_pasted_into_a_new_note_is_uploaded_by_its_first_save(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    editor,  # noqa: F811
    media,  # noqa: F811
) -> None:
    category = make_category("ML")
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000}, locale="en-US")
    page.context.add_init_script(CSP_WATCH)
    log_in(page, ADD, live_server)
    expect(page.locator(".paste-help")).to_contain_text("uploaded when you save the note")
    page.fill("#id_title", "截图笔记")
    page.select_option("#id_category", str(category.pk))
    textarea = page.locator(EDITOR)
    textarea.fill("截图如下：")
    textarea.evaluate(
        "el => { el.focus(); el.setSelectionRange(el.value.length, el.value.length); }"
    )

    # Refused at once, as on a saved note: nothing waits for the save.
    page.evaluate(PASTE, [spec(SVG.encode(), "diagram.svg", "image/svg+xml")])
    wait_until_settled(page)
    expect(page.locator(".paste-errors li")).to_have_text(
        [f"diagram.svg was not added: {INVALID_IMAGE}"]
    )
    expect(textarea).to_have_value("截图如下：")

    # Cells copied from a spreadsheet come with a picture of them: they stay text.
    assert page.evaluate(PASTE_CELLS, [spec(chart(), "image.png")]) is False
    expect(textarea).to_have_value("截图如下：")

    page.evaluate(PASTE, [spec(chart(), "image.png")])
    wait_until_settled(page)
    expect(page.locator(".paste-status")).to_have_text(
        "image.png will be uploaded when you save the note."
    )
    value = textarea.input_value()
    assert value.startswith("截图如下：\n\n![Figure 1](pending-figure:"), value
    # The file waits in a row of the Figures inline, with its alt text.
    row = page.locator("#figures-group tr.paste-row")
    expect(row).to_have_count(1)
    assert row.locator("input[type=file]").evaluate("el => el.files.length") == 1
    expect(row.locator("input[name$='-alt']")).to_have_value("Figure 1")
    assert media_files(media) == []
    page.locator(".paste-bar").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "paste-new-note.png"))  # docs/screenshots/issue-21/

    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    note = Note.objects.get(title="截图笔记")
    figure = note.figures.get()
    assert note.body == f"截图如下：\n\n{figure.markdown}"  # the trailing newline trimmed
    assert f'src="{figure.image.url}"' in note.body_html
    assert (media / figure.image.name).is_file()
    assert refused(page) == []
    assert page_errors(errors) == []


def test_a_new_note_back_with_errors_asks_for_its_pasted_file_again(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    editor,  # noqa: F811
    media,  # noqa: F811
    tmp_path,
) -> None:
    """A browser cannot send a chosen file twice: the placeholder stays in the text, the row
    keeps its alt text and token, and the editor is told to pick the file again."""
    category = make_category("ML")
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000}, locale="en-US")
    page.context.add_init_script(CSP_WATCH)
    log_in(page, ADD, live_server)
    page.fill("#id_title", "忘了选分类")
    page.locator(EDITOR).fill("正文。")
    page.locator(EDITOR).evaluate("el => el.setSelectionRange(3, 3)")
    page.evaluate(PASTE, [spec(chart(), "image.png")])
    wait_until_settled(page)
    typed = page.locator(EDITOR).input_value()
    assert "](pending-figure:" in typed

    page.click("input[name=_save]")  # no category: the form comes back
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(EDITOR)).to_have_value(typed)
    expect(page.locator(".paste-lost")).to_be_visible()
    row = page.locator("#figures-group tr.paste-refill")
    expect(row).to_have_count(1)
    expect(row.locator("input[name$='-alt']")).to_have_value("Figure 1")
    assert not Figure.objects.exists() and media_files(media) == []

    picked = tmp_path / "picked" / "screenshot.png"
    picked.parent.mkdir()
    picked.write_bytes(chart())
    row.locator("input[type=file]").set_input_files(str(picked))
    expect(page.locator("#figures-group tr.paste-refill")).to_have_count(0)
    page.select_option("#id_category", str(category.pk))
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    note = Note.objects.get(title="忘了选分类")
    assert note.body == f"正文。\n\n{note.figures.get().markdown}"
    assert refused(page) == []
    assert page_errors(errors) == []
