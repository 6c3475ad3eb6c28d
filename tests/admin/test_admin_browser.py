"""The note form as an editor uses it, in headless Chromium: the preview looks like the
published page, the figures table fits the screen, and typed text survives a closed tab, a
failed save and an expired session."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import Page, expect

from notes.models import Figure, Note
from tests.factories import make_category, make_note
from tests.views.test_browser import (  # noqa: F401 (fixtures)
    SCREENSHOTS,
    browser,
    live_server,
    open_page,
)

pytestmark = pytest.mark.browser

PASSWORD = "correct-horse-42"
ADD = "/admin/notes/note/add/"
BODY = "## 方法 Method\n\n损失为 $\\mathcal{L}=\\lVert x\\rVert^2$。\n\n```python\nx = 1\n```\n"
# What a reader's page and the preview must agree on, for a heading and a paragraph.
STYLE_JS = """el => { const s = getComputedStyle(el); return [s.fontFamily, s.fontSize,
  s.fontWeight, s.color, s.backgroundColor, s.borderTopWidth, s.borderBottomWidth,
  s.marginTop, s.lineHeight, s.textTransform]; }"""


@pytest.fixture
def editor(transactional_db) -> None:
    get_user_model().objects.create_superuser("editor", "editor@example.com", PASSWORD)


def log_in(page: Page, url: str, live_server) -> None:  # noqa: F811
    page.goto(f"{live_server.url}/admin/login/?next={url}")
    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{url}")


def test_preview_looks_exactly_like_the_published_page(live_server, browser, editor) -> None:  # noqa: F811
    """The admin's CSS used to reach the preview: "##" headings came out as blue admin bars."""
    note = make_note("Published twin", category=make_category("ML"), body=BODY)
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000})
    page.goto(live_server.url + note.get_absolute_url())
    published = {
        selector: page.locator(f".note-body {selector}").first.evaluate(STYLE_JS)
        for selector in ("h2", "p", "pre")
    }
    log_in(page, ADD, live_server)
    page.fill("#id_title", "Published twin")
    page.fill("textarea.markdown-editor", BODY)
    page.locator("textarea.markdown-editor").dispatch_event("input")
    frame = page.frame_locator("section.markdown-preview iframe")
    frame.locator(".note-body h2").wait_for()
    frame.locator(".note-body math").first.wait_for()
    previewed = {
        selector: frame.locator(f".note-body {selector}").first.evaluate(STYLE_JS)
        for selector in ("h2", "p", "pre")
    }
    assert previewed == published
    expect(frame.locator(".note-title")).to_have_text("Published twin")
    # The math font of reader pages is loaded in the preview too.
    assert frame.locator("body").evaluate("() => document.fonts.check('16px \"Notes Math\"')")
    assert errors == []


def test_figure_snippet_is_on_screen_at_1400_px(live_server, browser, editor) -> None:  # noqa: F811
    note = make_note("With a figure", category=make_category("ML"), body="Intro.")
    png = io.BytesIO()
    Image.new("RGB", (640, 360), (90, 140, 200)).save(png, "PNG")
    figure = Figure(note=note, alt="前向加噪过程示意图", caption="图 1：前向过程逐步加入高斯噪声")
    figure.image = ContentFile(png.getvalue(), name="forward.png")
    figure.save()
    page, _ = open_page(browser, viewport={"width": 1400, "height": 900})
    log_in(page, f"/admin/notes/note/{note.pk}/change/", live_server)
    snippet = page.locator("input.figure-snippet")
    box = snippet.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1400, box
    assert box["width"] >= 120, box
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 1400
    assert snippet.input_value() == figure.markdown


def test_text_survives_a_closed_tab(live_server, browser, editor) -> None:  # noqa: F811
    make_category("ML")
    page, errors = open_page(browser, viewport={"width": 1400, "height": 900})
    log_in(page, ADD, live_server)
    page.fill("#id_title", "半成品")
    page.locator("textarea.markdown-editor").press_sequentially("写了一半的正文")
    page.wait_for_timeout(800)  # the autosave waits for a pause in typing
    context = page.context
    page.close()

    page = context.new_page()
    page.goto(live_server.url + ADD)
    banner = page.locator(".autosave-banner")
    expect(banner).to_be_visible()
    expect(page.locator("textarea.markdown-editor")).to_have_value("")
    page.click(".autosave-restore")
    expect(banner).to_have_count(0)
    expect(page.locator("#id_title")).to_have_value("半成品")
    expect(page.locator("textarea.markdown-editor")).to_have_value("写了一半的正文")
    # The restored text goes to the preview like typed text.
    frame = page.frame_locator("section.markdown-preview iframe")
    expect(frame.locator(".note-body")).to_contain_text("写了一半的正文")
    assert errors == []


def test_discarding_the_kept_text_forgets_it(live_server, browser, editor) -> None:  # noqa: F811
    make_category("ML")
    page, _ = open_page(browser, viewport={"width": 1400, "height": 900})
    log_in(page, ADD, live_server)
    page.locator("textarea.markdown-editor").press_sequentially("不要了")
    page.wait_for_timeout(800)
    page.goto("about:blank")
    page.goto(live_server.url + ADD)
    page.click(".autosave-discard")
    page.reload()
    expect(page.locator(".autosave-banner")).to_have_count(0)


def test_text_survives_a_failed_save(live_server, browser, editor) -> None:  # noqa: F811
    """A form sent back with errors keeps its text, and so does the browser's copy."""
    page, _ = open_page(browser, viewport={"width": 1400, "height": 900})
    log_in(page, ADD, live_server)
    page.fill("#id_title", "没有分类的笔记")
    page.fill("textarea.markdown-editor", "正文很重要。")
    page.click("input[name=_save]")  # no category: the admin refuses the form
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("textarea.markdown-editor")).to_have_value("正文很重要。")

    page.goto(live_server.url + ADD)
    expect(page.locator(".autosave-banner")).to_be_visible()
    page.click(".autosave-restore")
    expect(page.locator("textarea.markdown-editor")).to_have_value("正文很重要。")


def test_text_survives_an_expired_session(live_server, browser, editor) -> None:  # noqa: F811
    category = make_category("ML")
    page, _ = open_page(browser, viewport={"width": 1400, "height": 900})
    log_in(page, ADD, live_server)
    page.fill("#id_title", "会话过期时写的")
    page.select_option("#id_category", str(category.pk))
    page.fill("textarea.markdown-editor", "一大段不能丢的文字。")
    page.context.clear_cookies(name="sessionid")  # the session expired while writing
    page.click("input[name=_save]")
    page.wait_for_url("**/admin/login/**")
    assert not Note.objects.exists()

    page.fill("#id_username", "editor")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"**{ADD}")
    page.click(".autosave-restore")
    expect(page.locator("#id_title")).to_have_value("会话过期时写的")
    expect(page.locator("textarea.markdown-editor")).to_have_value("一大段不能丢的文字。")


def test_a_saved_note_leaves_nothing_to_restore(live_server, browser, editor) -> None:  # noqa: F811
    category = make_category("ML")
    page, _ = open_page(browser, viewport={"width": 1400, "height": 900})
    log_in(page, ADD, live_server)
    page.fill("#id_title", "保存成功")
    page.select_option("#id_category", str(category.pk))
    page.fill("textarea.markdown-editor", "正文。")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_be_visible()
    assert Note.objects.get().body == "正文。"

    page.goto(live_server.url + ADD)
    page.wait_for_selector("section.markdown-preview iframe")
    expect(page.locator(".autosave-banner")).to_have_count(0)
    kept = page.evaluate("() => Object.keys(localStorage)")
    assert [key for key in kept if key.startswith("research-notes:")] == []


def test_leaving_with_unsaved_changes_asks_first(live_server, browser, editor) -> None:  # noqa: F811
    make_category("ML")
    page, _ = open_page(browser, viewport={"width": 1400, "height": 900})
    log_in(page, ADD, live_server)
    page.locator("textarea.markdown-editor").press_sequentially("未保存")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))
    page.close(run_before_unload=True)
    page.wait_for_timeout(300)
    assert asked == ["beforeunload"]


# Collects what the page's Content-Security-Policy refused, in every document and frame.
CSP_WATCH = """window.__refused = [];
document.addEventListener("securitypolicyviolation",
  (event) => window.__refused.push(`${event.violatedDirective} ${event.blockedURI}`));"""


def refused(page: Page) -> list[str]:
    return [item for frame in page.frames for item in frame.evaluate("() => window.__refused")]


def test_the_admin_works_under_its_strict_policy(live_server, browser, editor) -> None:  # noqa: F811
    """The admin had no CSP; now `script-src 'self'; style-src 'self'`: nothing it needs may
    be refused, from sign-in to the note form's preview and date widgets and the history."""
    note = make_note("Under the policy", category=make_category("ML"), body=BODY)
    page, errors = open_page(browser, viewport={"width": 1400, "height": 1000})
    page.context.add_init_script(CSP_WATCH)
    log_in(page, "/admin/", live_server)
    seen = refused(page)
    for url in ("/admin/notes/note/", "/admin/notes/category/", "/admin/taggit/tag/",
                f"/admin/notes/note/{note.pk}/history/", "/admin/axes/accessattempt/",
                "/admin/auth/user/"):  # fmt: skip
        response = page.goto(live_server.url + url)
        assert "script-src 'self';" in response.headers["content-security-policy"], url
        seen += refused(page)
    page.goto(f"{live_server.url}/admin/notes/note/{note.pk}/change/")
    page.locator("textarea.markdown-editor").press_sequentially(" 新的一句。")
    frame = page.frame_locator("section.markdown-preview iframe")
    expect(frame.locator(".note-body")).to_contain_text("新的一句")
    frame.locator(".note-body math").first.wait_for()
    page.click("#id_published_at_0 ~ .datetimeshortcuts a:first-child")  # "Today"
    page.click(".datetimeshortcuts .clock-icon, .datetimeshortcuts [id^=clocklink]")
    expect(page.locator(".clockbox").first).to_be_visible()
    seen += refused(page)
    assert seen == []
    assert errors == []


def test_the_lockout_page_looks_like_the_sign_in_page(live_server, browser, editor) -> None:  # noqa: F811
    page, errors = open_page(browser, viewport={"width": 1000, "height": 800})
    page.context.add_init_script(CSP_WATCH)
    page.goto(f"{live_server.url}/admin/login/")
    for _ in range(5):  # the fifth wrong password already gets the lockout page
        page.fill("#id_username", "editor")
        page.fill("#id_password", "not-the-password")
        page.click("input[type=submit]")
        page.wait_for_load_state()
    expect(page.locator("#content-main h1")).to_have_text("Sign-in paused")
    expect(page.locator("#site-name")).to_be_visible()  # the admin's header, styled
    # The admin's sign-in stylesheet applies: a narrow centred box, not a bare page.
    assert page.locator("#container").evaluate("el => el.getBoundingClientRect().width") < 600
    page.screenshot(path=str(SCREENSHOTS / "browser-admin-lockout.png"))
    assert refused(page) == []
    assert [error for error in errors if not error.startswith("429:")] == []
