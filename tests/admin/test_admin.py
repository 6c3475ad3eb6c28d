"""The editors' side: a staff superuser working in the Django admin with the test client."""

from __future__ import annotations

import json
import re
import time
from datetime import timedelta
from html import unescape
from unittest import mock

from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import TestCase
from django.urls import reverse
from django.utils import formats, timezone
from taggit.models import Tag

from notes.models import Category, Note
from notes.rendering import render_markdown
from tests.factories import INLINE_MANAGEMENT, make_category, make_note

CHANGELIST = reverse("admin:notes_note_changelist")


def changelist_titles(response) -> list[str]:
    """Titles of the notes in the changelist's result rows, in order."""
    return [
        unescape(title)
        for title in re.findall(
            r'<th class="field-title"><a href="[^"]*">([^<]*)</a></th>', response.content.decode()
        )
    ]


def result_row(response, note: Note) -> str:
    """The HTML of the changelist row for ``note``."""
    change_url = reverse("admin:notes_note_change", args=[note.pk])
    rows = re.findall(r"<tr>.*?</tr>", response.content.decode(), re.DOTALL)
    matching = [row for row in rows if f'href="{change_url}"' in row]
    assert len(matching) == 1, f"expected one row for {note.title!r}, found {len(matching)}"
    return matching[0]


def cell(row: str, field: str) -> str:
    """The text of one column of a changelist row."""
    match = re.search(rf'<(?:td|th) class="field-{field}[^"]*">(.*?)</(?:td|th)>', row, re.DOTALL)
    assert match, f"no {field} column in the row"
    return unescape(re.sub(r"<[^>]+>", "", match.group(1))).strip()


def view_on_site_href(response) -> str:
    match = re.search(r'<a href="([^"]*)" class="viewsitelink"', response.content.decode())
    assert match, "the change form has no 'view on site' link"
    return unescape(match.group(1))


class AdminTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")

    def setUp(self) -> None:
        self.client.force_login(self.admin)


class NoteChangelistTests(AdminTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        now = timezone.now()
        cls.llm = make_category("大模型 LLM")
        cls.vision = make_category("三维视觉 3D Vision")
        cls.published = make_note(
            "LoRA 低秩适配",
            category=cls.llm,
            tags=["微调", "PEFT"],
            published_at=now - timedelta(days=2),
        )
        cls.draft = make_note(
            "Gaussian Splatting draft",
            category=cls.vision,
            tags=["三维重建"],
            status=Note.Status.DRAFT,
            body="Splatting replaces ray marching with rasterised anisotropic Gaussians.",
        )
        cls.scheduled = make_note(
            "Scheduled RLHF note", category=cls.llm, published_at=now + timedelta(days=3)
        )

    def test_shows_title_category_status_publish_date_and_tags_columns(self) -> None:
        html = self.client.get(CHANGELIST).content.decode()
        header_classes = re.findall(r'<th scope="col" class="([^"]*)">', html)
        columns = [
            name.removeprefix("column-")
            for classes in header_classes
            for name in classes.split()
            if name.startswith("column-")
        ]
        self.assertEqual(columns, ["title", "category", "status_label", "published_at", "tag_list"])

    def test_row_shows_the_notes_values(self) -> None:
        row = result_row(self.client.get(CHANGELIST), self.published)
        self.assertEqual(cell(row, "title"), self.published.title)
        self.assertEqual(cell(row, "category"), self.llm.name)
        self.assertEqual(cell(row, "status_label"), "已发布")
        self.assertEqual(sorted(cell(row, "tag_list").split(", ")), ["PEFT", "微调"])

    def test_publish_date_column_shows_the_local_date_and_time(self) -> None:
        row = result_row(self.client.get(CHANGELIST), self.published)
        expected = formats.localize(timezone.localtime(self.published.published_at))
        self.assertEqual(cell(row, "published_at"), expected)

    def test_scheduled_note_shows_as_scheduled(self) -> None:
        row = result_row(self.client.get(CHANGELIST), self.scheduled)
        publish_at = timezone.localtime(self.scheduled.published_at)
        self.assertEqual(cell(row, "status_label"), f"定时发布（{publish_at:%Y-%m-%d %H:%M}）")

    def test_filter_by_status(self) -> None:
        response = self.client.get(CHANGELIST, {"status__exact": "draft"})
        self.assertEqual(changelist_titles(response), [self.draft.title])

    def test_filter_by_category(self) -> None:
        response = self.client.get(CHANGELIST, {"category__id__exact": self.llm.pk})
        self.assertEqual(
            sorted(changelist_titles(response)),
            sorted([self.published.title, self.scheduled.title]),
        )

    def test_filter_by_tag(self) -> None:
        tag = Tag.objects.get(name="微调")
        response = self.client.get(CHANGELIST, {"tags__id__exact": tag.pk})
        self.assertEqual(changelist_titles(response), [self.published.title])

    def test_search_finds_words_in_the_body(self) -> None:
        response = self.client.get(CHANGELIST, {"q": "anisotropic"})
        self.assertEqual(changelist_titles(response), [self.draft.title])

    def test_search_finds_chinese_words_in_the_title(self) -> None:
        response = self.client.get(CHANGELIST, {"q": "低秩"})
        self.assertEqual(changelist_titles(response), [self.published.title])


class NoteEditingTests(AdminTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.category = make_category("大模型 LLM")

    def add_note(self, **overrides):
        published_at = timezone.localtime() - timedelta(hours=1)
        data = {
            "title": "QLoRA：量化低秩适配",
            "slug": "",
            "category": self.category.pk,
            "tags": "微调, PEFT",
            # Browsers submit textareas with CRLF line endings.
            "body": "## 方法\r\n\r\nFirst line\r\nsecond line.\r\n\r\n```python\r\nx = 1\r\n```",
            "status": Note.Status.DRAFT,
            "published_at_0": published_at.strftime("%Y-%m-%d"),
            "published_at_1": published_at.strftime("%H:%M:%S"),
            "author": self.admin.pk,
            "summary": "",
            # The paper and figure inlines' management forms, empty.
            **INLINE_MANAGEMENT,
            **overrides,
        }
        return self.client.post(reverse("admin:notes_note_add"), data)

    def test_add_form_creates_a_draft(self) -> None:
        response = self.add_note()
        self.assertRedirects(response, CHANGELIST)
        note = Note.objects.get()
        self.assertEqual(note.title, "QLoRA：量化低秩适配")
        self.assertEqual(note.status, Note.Status.DRAFT)
        self.assertFalse(note.is_public)

    def test_add_form_starts_as_a_draft(self) -> None:
        """An editor who saves without touching the status does not publish by accident."""
        html = self.client.get(reverse("admin:notes_note_add")).content.decode()
        select = re.search(r'<select name="status".*?</select>', html, re.DOTALL).group(0)
        self.assertEqual(re.findall(r'<option value="([^"]*)" selected>', select), ["draft"])

    def test_a_save_writes_the_notes_derived_data_twice_not_once_per_tag(self) -> None:
        """Once with the note, once more when its tags are in: not again for each tag."""
        from unittest import mock

        from notes import derive

        with mock.patch.object(derive, "_derive_notes", wraps=derive._derive_notes) as step:
            self.add_note(tags="微调, PEFT, 量化, 低秩")
        self.assertEqual(step.call_count, 2)
        self.assertIn(["量化", "量化"], Note.objects.get().tag_data)

    def test_add_form_gives_a_chinese_slug_from_the_title(self) -> None:
        self.add_note()
        self.assertEqual(Note.objects.get().slug, "qlora-量化低秩适配")

    def test_add_form_saves_chinese_tags(self) -> None:
        self.add_note()
        self.assertEqual(sorted(Note.objects.get().tags.names()), ["PEFT", "微调"])

    def test_add_form_stores_crlf_body_with_plain_newlines_and_renders_it(self) -> None:
        self.add_note()
        note = Note.objects.get()
        self.assertNotIn("\r", note.body)
        self.assertIn('<h2 id="方法">方法</h2>', note.body_html)
        self.assertIn('<div class="highlight" data-lang="python">', note.body_html)

    def test_body_is_a_markdown_editor_textarea(self) -> None:
        html = self.client.get(reverse("admin:notes_note_add")).content.decode()
        match = re.search(r'<textarea[^>]*name="body"[^>]*>', html)
        self.assertIsNotNone(match)
        classes = re.search(r'class="([^"]*)"', match.group(0)).group(1).split()
        self.assertIn("markdown-editor", classes)

    def test_draft_view_on_site_points_at_the_preview(self) -> None:
        draft = make_note(category=self.category, status=Note.Status.DRAFT)
        response = self.client.get(reverse("admin:notes_note_change", args=[draft.pk]))
        self.assertEqual(view_on_site_href(response), reverse("notes:preview", args=[draft.pk]))

    def test_preview_of_a_draft_renders_for_the_editor(self) -> None:
        draft = make_note("Draft to preview", category=self.category, status=Note.Status.DRAFT)
        response = self.client.get(reverse("notes:preview", args=[draft.pk]))
        self.assertContains(response, '<h1 class="note-title">Draft to preview</h1>', html=True)

    def test_published_view_on_site_is_the_public_page(self) -> None:
        note = make_note(category=self.category)
        response = self.client.get(reverse("admin:notes_note_change", args=[note.pk]))
        self.assertEqual(view_on_site_href(response), note.get_absolute_url())

    def test_scheduled_view_on_site_points_at_the_preview(self) -> None:
        """Its public URL would be a 404 until the date comes."""
        note = make_note(category=self.category, published_at=timezone.now() + timedelta(days=1))
        response = self.client.get(reverse("admin:notes_note_change", args=[note.pk]))
        self.assertEqual(view_on_site_href(response), reverse("notes:preview", args=[note.pk]))


class NoteActionTests(AdminTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        category = make_category()
        cls.drafts = [
            make_note(f"Draft {n}", category=category, status=Note.Status.DRAFT) for n in (1, 2)
        ]
        cls.published = make_note("Published one", category=category)

    def run_action(self, action: str, notes: list[Note]):
        return self.client.post(
            CHANGELIST, {"action": action, "_selected_action": [note.pk for note in notes]}
        )

    def statuses(self) -> dict[str, str]:
        return dict(Note.objects.values_list("title", "status"))

    def test_publish_action_publishes_the_selected_drafts(self) -> None:
        response = self.run_action("publish", self.drafts[:1])
        self.assertRedirects(response, CHANGELIST)
        self.assertEqual(
            self.statuses(),
            {"Draft 1": "published", "Draft 2": "draft", "Published one": "published"},
        )

    def test_published_drafts_appear_on_the_site(self) -> None:
        self.run_action("publish", self.drafts)
        self.client.logout()
        response = self.client.get(self.drafts[0].get_absolute_url())
        self.assertEqual(response.status_code, 200)

    def test_unpublish_action_moves_notes_back_to_draft(self) -> None:
        response = self.run_action("unpublish", [self.published])
        self.assertRedirects(response, CHANGELIST)
        self.assertEqual(
            self.statuses(), {"Draft 1": "draft", "Draft 2": "draft", "Published one": "draft"}
        )

    def test_publish_action_reports_how_many_notes_changed(self) -> None:
        """Already published notes in the selection are not counted."""
        response = self.run_action("publish", [*self.drafts, self.published])
        messages = [str(m) for m in get_messages(response.wsgi_request)]
        self.assertEqual(messages, ["已发布 2 篇笔记。"])


class CategoryAdminTests(AdminTestCase):
    ADD_URL = reverse("admin:notes_category_add")

    def test_add_form_prepopulates_the_slug_from_the_name(self) -> None:
        """The admin's JavaScript fills the slug as the name is typed, keeping Chinese."""
        html = self.client.get(self.ADD_URL).content.decode()
        self.assertIn('id="id_slug"', html)
        match = re.search(r'data-prepopulated-fields="([^"]*)"', html)
        self.assertIsNotNone(match)
        prepopulated = {field["id"]: field for field in json.loads(unescape(match.group(1)))}
        self.assertEqual(prepopulated["#id_slug"]["dependency_ids"], ["#id_name"])
        self.assertTrue(prepopulated["#id_slug"]["allowUnicode"])

    def test_add_form_creates_a_category(self) -> None:
        response = self.client.post(
            self.ADD_URL,
            {"name": "扩散模型", "slug": "扩散模型", "description": "DDPM 与其后继。", "order": 3},
        )
        self.assertRedirects(response, reverse("admin:notes_category_changelist"))
        category = Category.objects.get()
        self.assertEqual(
            (category.name, category.slug, category.order), ("扩散模型", "扩散模型", 3)
        )

    def test_new_category_page_is_public(self) -> None:
        self.client.post(self.ADD_URL, {"name": "扩散模型", "slug": "扩散模型", "order": 0})
        self.client.logout()
        response = self.client.get(reverse("notes:category", args=["扩散模型"]))
        self.assertContains(response, '<h1 class="page-title">扩散模型</h1>', html=True)

    def test_changelist_counts_each_categorys_notes(self) -> None:
        category = make_category("大模型 LLM")
        for _ in range(3):
            make_note(category=category)
        response = self.client.get(reverse("admin:notes_category_changelist"))
        rows = re.findall(r"<tr>.*?</tr>", response.content.decode(), re.DOTALL)
        row = next(row for row in rows if "大模型 LLM" in row)
        self.assertEqual(cell(row, "note_count"), "3")


class BodyLimitTests(AdminTestCase):
    """A body too long, too deeply nested or too slow to render is refused by the form with a
    message in the admin's language, and the form gives back what the editor typed."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.category = make_category("大模型 LLM")

    def add_note(self, body: str, **headers):
        data = {
            "title": "Pathological",
            # The admin's script fills the slug in from the title, as here; a blank one is made
            # on save, and the body is then rendered again with it.
            "slug": "pathological",
            "category": self.category.pk,
            "tags": "",
            "body": body,
            "status": Note.Status.DRAFT,
            "author": self.admin.pk,
            "summary": "",
            **INLINE_MANAGEMENT,
        }
        return self.client.post(reverse("admin:notes_note_add"), data, **headers)

    def assert_refused(self, response, body: str, message: str) -> None:
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Note.objects.exists())
        errors = response.context["adminform"].form.errors["body"]
        self.assertIn(message, " ".join(errors))
        typed = re.search(
            r'<textarea name="body"[^>]*>(.*?)</textarea>', response.content.decode(), re.S
        )
        self.assertEqual(unescape(typed.group(1)).removeprefix("\n"), body)

    def test_a_body_over_the_size_limit_is_refused(self) -> None:
        with self.settings(NOTE_BODY_MAX_CHARS=1_000):
            body = "长文本。" * 400
            self.assert_refused(
                self.add_note(body), body, "正文有 1,600 个字符，一篇笔记最多 1,000 个"
            )

    def test_lists_nested_too_deeply_are_refused(self) -> None:
        body = "".join("    " * level + "- 层\n" for level in range(40))
        self.assert_refused(self.add_note(body), body, "嵌套了 40 层（第 40 行）")

    def test_a_body_too_slow_to_render_is_refused_in_time(self) -> None:
        """Thousands of "[" that never close: Markdown reads each to the end of the text."""
        body = "[" * 10_000 + " 安全文本"
        with self.settings(NOTE_RENDER_SECONDS=1.0):
            started = time.monotonic()
            response = self.add_note(body)
            self.assertLess(time.monotonic() - started, 5)
        self.assert_refused(response, body, "正文排版超过了 1 秒")

    def test_the_message_follows_the_editors_language(self) -> None:
        body = "".join("> " * level + "quote\n" for level in range(1, 41))
        response = self.add_note(body, HTTP_ACCEPT_LANGUAGE="en")
        self.assert_refused(response, body, "nested 40 levels deep (line 40)")

    def test_a_body_within_the_limits_is_rendered_once_per_save(self) -> None:
        """The form's check renders the body; the save uses that rendering."""
        with mock.patch(
            "notes.models.rendered.render_markdown", wraps=render_markdown
        ) as rendering:
            response = self.add_note("## 方法\n\n正文 $x^2$。")
        self.assertRedirects(response, CHANGELIST)
        self.assertEqual(rendering.call_count, 1)
        self.assertIn("<math", Note.objects.get().body_html)
