"""Three people use the site from end to end, in headless Chromium against the live server:
a reader (browse, page 2, a note's math on a phone, a Chinese search, the language and theme
switches), an editor (sign in, write a note with math and a figure, preview it, publish it,
edit it, restore the earlier revision) and a subscriber (find the feed from the home page,
read it with feedparser).

The browser, the live server and the page helpers are those of tests/views/test_browser.py.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from PIL import Image
from playwright.sync_api import Page, expect

from notes.importexport import import_paths
from notes.models import Note
from tests.admin.media import media  # noqa: F401 (fixture)
from tests.factories import make_category, make_note
from tests.recorded import replaying
from tests.views.test_browser import (  # noqa: F401 (fixtures)
    SCREENSHOTS,
    assert_no_horizontal_overflow,
    browser,
    live_server,
    open_page,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = Path(settings.BASE_DIR) / "demo" / "notes"
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
PASSWORD = "correct-horse-42"
BODY = (
    "质能方程 $E=mc^2$ 把质量和能量联系起来。第一版的说明。\n\n"
    "$$\\int_0^1 x^2\\,dx = \\frac{1}{3}$$\n"
)


# An image's width once it has loaded (decode() waits for it, and fails if it cannot load).
# The image's width once loaded. Scrolled into view first (a lazy image off screen never
# loads), and given up after ten seconds: a promise that never settles would hang the test.
LOADED_WIDTH = """img => {
  img.scrollIntoView();
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error("the image did not load in 10 s")), 10000));
  return Promise.race([img.decode().then(() => img.naturalWidth), timeout]);
}"""


def png(width: int = 160, height: int = 90) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 110, 190)).save(out, "PNG")
    return out.getvalue()


def math_boxes(page: Page) -> list[dict]:
    """Each formula of the note: its box, and the box of the block it scrolls in."""
    return page.eval_on_selector_all(
        ".note-body math",
        "els => els.map(m => { const r = m.getBoundingClientRect();"
        " const box = (m.closest('.math-display') || m).getBoundingClientRect();"
        " return {width: r.width, height: r.height, left: box.left, right: box.right,"
        " display: m.getAttribute('display')}; })",
    )


def background(page: Page) -> str:
    return page.evaluate("() => getComputedStyle(document.body).backgroundColor")


def test_a_reader_browses_reads_math_on_a_phone_searches_and_switches(live_server, browser) -> None:  # noqa: F811
    assert import_paths([DEMO]).errors == []
    page, errors = open_page(browser, **PHONE)

    page.goto(live_server.url + "/")
    first_page = page.locator(".note-item-title").all_inner_texts()
    assert len(first_page) == 20, first_page
    page.click(".pagination a[rel=next]")
    page.wait_for_url("**/?page=2")
    expect(page.locator(".pagination [aria-current=page]")).to_have_text("2")
    second_page = page.locator(".note-item-title").all_inner_texts()
    assert second_page and not set(second_page) & set(first_page), second_page

    # A note with math, from page 2: real MathML on screen, inside the phone's width.
    page.locator(".note-item-title a").first.click()
    page.wait_for_selector(".note-body math")
    boxes = math_boxes(page)
    assert boxes, "the note shows no formula"
    for box in boxes:
        assert box["width"] > 0 and box["height"] > 0, box
        assert box["left"] >= 0 and box["right"] <= 390, box
    assert "\\frac" not in page.inner_text(".note-body")  # the LaTeX source stays hidden
    assert_no_horizontal_overflow(page)
    page.locator(".note-body math").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "e2e-reader-math.png"))

    # A Chinese search from the header finds notes and marks the word.
    page.fill("header input[type=search]", "扩散")
    page.press("header input[type=search]", "Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    expect(page.locator(".search-count")).to_contain_text("找到")
    assert page.locator(".search-result").count() > 0
    expect(page.locator(".search-snippet mark").first).to_contain_text("扩散")

    # English and back: the same results page in the other interface language.
    page.click(".language-switcher a[hreflang=en]")
    page.wait_for_url(re.compile(r"/en/search/\?q="))
    expect(page.locator(".search-count")).to_contain_text("found")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click(".language-switcher a[hreflang=zh-Hans]")
    page.wait_for_url(re.compile(r"^[^?]*//[^/]+/search/\?q="))
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"

    # The dark theme: the page's background really changes, and stays on the next page.
    light = background(page)
    page.click(".theme-toggle")
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    dark = background(page)
    assert dark != light, (light, dark)
    assert dark == "rgb(21, 23, 26)", dark  # --bg of the dark theme
    page.goto(live_server.url + "/")
    assert background(page) == dark
    assert errors == []


def sign_in(page: Page, live_server, next_url: str) -> None:  # noqa: F811
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{next_url}")


def reload_public(page: Page, url: str) -> None:
    """A public page as it is now: pages say ``Cache-Control: public, max-age=0``, so the
    browser asks again with the ETag each time and the site answers with the changed page."""
    page.goto(url)


def test_an_editor_writes_publishes_edits_and_restores_a_note(live_server, browser, media) -> None:  # noqa: F811
    get_user_model().objects.create_superuser("editor", "editor@example.com", PASSWORD)
    category = make_category("物理")
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000})
    sign_in(page, live_server, "/admin/notes/note/add/")

    # Write: title, category, a body with inline and display math, and a figure to upload.
    page.fill("#id_title", "质能方程笔记")
    page.select_option("#id_category", str(category.pk))
    page.fill("textarea.markdown-editor", BODY)
    page.locator("textarea.markdown-editor").dispatch_event("input")
    page.set_input_files(
        "#id_figures-0-image",
        files=[{"name": "curve.png", "mimeType": "image/png", "buffer": png()}],
    )
    page.fill("#id_figures-0-alt", "一条上升的曲线")
    page.fill("#id_figures-0-caption", "图 1：能量随质量增长")
    # The live preview renders the math as the published page will.
    frame = page.frame_locator("section.markdown-preview iframe")
    expect(frame.locator(".note-body math")).to_have_count(2)
    expect(frame.locator(".note-body math[display=block]")).to_have_count(1)
    page.click("input[name=_continue]")  # saved as a draft, the form again
    expect(page.locator(".messagelist .success")).to_be_visible()
    note = Note.objects.get(title="质能方程笔记")
    assert note.status == Note.Status.DRAFT

    # The saved figure offers its Markdown; pasted into the body, the preview shows it.
    snippet = page.locator("input.figure-snippet").input_value()
    assert snippet.startswith("![一条上升的曲线](/media/figures/"), snippet
    editor = page.locator("textarea.markdown-editor")
    editor.fill(BODY + "\n" + snippet + "\n")
    editor.dispatch_event("input")
    preview_image = frame.locator(".note-body figure img")
    expect(preview_image).to_be_visible()
    expect(frame.locator(".note-body figcaption")).to_have_text("图 1：能量随质量增长")
    assert preview_image.evaluate(LOADED_WIDTH) == 160

    # Publish it; readers see the math and the figure.
    page.select_option("#id_status", Note.Status.PUBLISHED)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    note.refresh_from_db()
    assert note.status == Note.Status.PUBLISHED and note.published_at is not None
    public = live_server.url + note.get_absolute_url()
    page.goto(public)
    expect(page.locator("h1.note-title")).to_have_text("质能方程笔记")
    expect(page.locator(".note-body")).to_contain_text("第一版的说明")
    expect(page.locator(".note-body math")).to_have_count(2)
    figure = page.locator(".note-body figure img")
    expect(figure).to_be_visible()
    assert figure.evaluate(LOADED_WIDTH) == 160
    page.goto(live_server.url + "/")
    expect(page.locator(".note-item-title").first).to_have_text("质能方程笔记")

    # Edit the text; the public page follows.
    page.goto(f"{live_server.url}/admin/notes/note/{note.pk}/change/")
    edited = page.locator("textarea.markdown-editor").input_value().replace("第一版", "第二版")
    page.fill("textarea.markdown-editor", edited)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    reload_public(page, public)
    expect(page.locator(".note-body")).to_contain_text("第二版的说明")

    # History: restore the version before the edit (newest first: the edit, then it).
    page.goto(f"{live_server.url}/admin/notes/note/{note.pk}/history/")
    rows = page.locator("tr.revision-row")
    expect(rows).to_have_count(3)  # the draft, the publication, the edit
    rows.nth(1).locator("button", has_text="Restore this version's content").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was restored")
    reload_public(page, public)
    expect(page.locator(".note-body")).to_contain_text("第一版的说明")
    expect(page.locator(".note-body")).not_to_contain_text("第二版")
    expect(page.locator(".note-body math")).to_have_count(2)
    expect(page.locator(".note-body figure img")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "e2e-editor-restored.png"), full_page=True)
    assert errors == []


def test_a_subscriber_finds_the_feed_on_the_home_page_and_reads_the_new_note(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    settings,
) -> None:
    # The live server is the site's public address: the feed's links lead back to it.
    settings.SITE_URL = live_server.url
    category = make_category("物理")
    make_note("旧笔记", category=category, body="没有公式。")
    note = make_note("质能方程笔记", category=category, body=BODY)
    page, errors = open_page(browser, viewport={"width": 1280, "height": 900})

    page.goto(live_server.url + "/")
    feed_link = page.locator('head link[rel=alternate][type="application/rss+xml"]')
    expect(feed_link).to_have_count(1)
    address = feed_link.evaluate("link => link.href")  # resolved as a feed reader would
    response = page.request.get(address)
    assert response.ok and response.headers["content-type"].startswith("application/rss+xml")

    feed = feedparser.parse(response.body())
    assert not feed.bozo, feed.get("bozo_exception")
    newest = feed.entries[0]
    assert newest.title == "质能方程笔记"
    content = newest.content[0].value
    assert content.count("<math") == 2 and 'display="block"' in content, content
    assert "E=mc^2" in content  # the LaTeX source rides along in the annotation
    assert newest.link == live_server.url + note.get_absolute_url()
    page.goto(newest.link)
    expect(page.locator("h1.note-title")).to_have_text("质能方程笔记")
    assert errors == []


def test_an_editor_fetches_a_paper_cites_it_and_readers_and_zotero_find_it(
    live_server,  # noqa: F811
    browser,  # noqa: F811
) -> None:
    """Paste an identifier, fetch (a recorded arXiv answer), save; cite it in a note, see the
    reference list in the preview, publish; the note page has its references and Zotero's
    citation tags, and the paper's page lists the note."""
    get_user_model().objects.create_superuser("editor", "editor@example.com", PASSWORD)
    category = make_category("数学")
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000})
    sign_in(page, live_server, "/admin/notes/paper/add/")
    with replaying({"export.arxiv.org": "arxiv-1605.08386.json"}) as requests:
        page.fill("#id_arxiv", "https://arxiv.org/abs/1605.08386v1")
        page.click("button[name=_fetch]")
        expect(page.locator("#id_title")).to_have_value("Heat-bath random walks with Markov bases")
    assert len(requests) == 1
    expect(page.locator("#id_authors")).to_have_value("Caprice Stanley\nTobias Windisch")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()

    page.goto(live_server.url + "/admin/notes/note/add/")
    page.fill("#id_title", "热浴随机游走")
    page.select_option("#id_category", str(category.pk))
    editor = page.locator("textarea.markdown-editor")
    editor.fill("马尔可夫基上的热浴随机游走 [@arxiv:1605.08386] 是扩张图。\n")
    editor.dispatch_event("input")
    frame = page.frame_locator("section.markdown-preview iframe")
    expect(frame.locator(".note-body a.cite")).to_have_text("[1]")
    expect(frame.locator(".note-body .references li")).to_contain_text("Heat-bath random walks")
    page.select_option("#id_status", Note.Status.PUBLISHED)
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()

    note = Note.objects.get(title="热浴随机游走")
    page.goto(live_server.url + f"/notes/{note.slug}/")
    expect(page.locator(".references h2")).to_contain_text("参考文献")
    page.click("a.cite")
    expect(page.locator("li#ref-1")).to_be_in_viewport()
    # Zotero's embedded-metadata translator reads Highwire tags.
    assert page.locator('meta[name="citation_title"]').get_attribute("content") == "热浴随机游走"
    page.goto(live_server.url + "/papers/1605.08386/")
    expect(page.locator("h1")).to_have_text("Heat-bath random walks with Markov bases")
    expect(page.locator("#notes-citing + ul")).to_contain_text("热浴随机游走")
    assert errors == []


JUPYTER_BLOCK = (
    "\\begin{align}\n"
    "s_\\theta(x) &= \\nabla_x \\log p(x) \\label{eq:score}\\\\\n"
    "\\mathcal{L} &= \\mathbb{E}\\left[\\lVert s_\\theta(x) - \\nabla_x \\log p(x)"
    "\\rVert^2\\right]\n"
    "\\end{align}\n"
)


def test_an_editor_pastes_latex_and_a_screenshot_links_by_completion_and_shares_a_preview(
    live_server,  # noqa: F811
    browser,  # noqa: F811
    media,  # noqa: F811
) -> None:
    """Issue 21's "done when": a Jupyter cell's \\begin{align} block and a screenshot pasted
    into a new note, another note linked through [[ completion, each warning at its line,
    nothing raw or lost; then the draft shown to someone without an account."""
    from tests.admin.test_admin_browser import CSP_WATCH, refused
    from tests.admin.test_paste_browser import PASTE, chart, spec

    category = make_category("生成模型")
    make_note("扩散模型 DDPM", category=category, body="前向加噪。")
    get_user_model().objects.create_superuser("editor", "editor@example.com", PASSWORD)
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000})
    page.context.add_init_script(CSP_WATCH)
    sign_in(page, live_server, "/admin/notes/note/add/")
    page.fill("#id_title", "分数匹配的推导")
    page.select_option("#id_category", str(category.pk))
    textarea = page.locator("textarea.markdown-editor")
    textarea.click()
    page.keyboard.insert_text("推导如下：\n\n")
    page.keyboard.insert_text(JUPYTER_BLOCK)  # as pasted: no $$ around it
    page.keyboard.insert_text("\n由 \\eqref{eq:score} 与 \\eqref{eq:loss} 可得。\n\n")
    page.evaluate(PASTE, [spec(chart(), "image.png")])
    page.wait_for_function(
        "() => document.querySelector('textarea.markdown-editor').value.includes('pending-figure:')"
    )
    textarea.press("End")
    textarea.press_sequentially("\n\n另见 [[扩散")
    options = page.locator("#note-complete-list [role=option]")
    expect(options).to_have_count(1)
    page.screenshot(path=str(SCREENSHOTS / "issue21-1-completion.png"))
    page.keyboard.press("Enter")
    assert textarea.input_value().endswith("另见 [[扩散模型 DDPM]]")

    # The preview typesets the block, numbered; the link resolves; one warning, at its line.
    frame = page.frame_locator("section.markdown-preview iframe")
    expect(frame.locator(".note-body .math-display math")).to_have_count(1)
    expect(frame.locator(".note-body a.wikilink")).to_have_text("扩散模型 DDPM")
    assert "\\begin{align}" not in frame.locator(".note-body").inner_text()
    warning = page.locator(".markdown-preview-warnings li")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("eq:loss")
    warning.locator("button").click()
    line = textarea.evaluate("el => el.value.slice(el.selectionStart, el.selectionEnd)")
    assert line == "由 \\eqref{eq:score} 与 \\eqref{eq:loss} 可得。"
    page.screenshot(path=str(SCREENSHOTS / "issue21-2-warning-line.png"))

    page.click("input[name=_continue]")
    expect(page.locator(".messagelist .warning")).to_contain_text("eq:loss")
    note = Note.objects.get(title="分数匹配的推导")
    figure = note.figures.get()
    assert figure.markdown in note.body and "pending-figure:" not in note.body
    assert JUPYTER_BLOCK.strip() in note.body  # nothing of the paste lost
    assert re.search(r'<a class="eqref" href="#eq-score">\(1\)</a>', note.body_html)

    # A link for the paper's authors, who have no account.
    page.select_option("select[name=preview_links-0-lifetime]", "7")
    page.click("input[name=_continue]")
    address = page.locator("input.preview-link-address").first.input_value()
    page.screenshot(path=str(SCREENSHOTS / "issue21-3-share-link.png"), full_page=True)
    assert refused(page) == []
    reader, reader_errors = open_page(browser, viewport={"width": 390, "height": 844})
    # The address names the site as configured (SITE_URL); here it is the live server.
    answer = reader.goto(live_server.url + urlsplit(address).path)
    assert answer.status == 200
    assert answer.headers["cache-control"] == "private, no-store"
    assert "noindex" in answer.headers["x-robots-tag"]
    expect(reader.locator(".shared-preview-banner")).to_be_visible()
    expect(reader.locator(".note-body .math-display")).to_have_count(1)
    assert (
        reader.locator(".note-body figure img").evaluate(
            "img => img.decode().then(() => img.naturalWidth)"
        )
        == 480
    )
    reader.screenshot(path=str(SCREENSHOTS / "issue21-4-shared-preview-phone.png"), full_page=True)
    assert errors == [] and reader_errors == []
