"""Search never shows what readers may not see and stays in step with every change, and
the index rebuilt and checked, on SQLite and PostgreSQL (this module runs on both)."""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from taggit.models import Tag

from notes.models import Note, SearchDocument, TagAlias
from notes.search.tokenizer import TOKENIZER_VERSION
from tests.factories import make_category, make_note
from tests.search.searching import DAY, SEARCH, found

# --- Visibility and staying in step -----------------------------------------------------


class VisibilityAndFreshnessTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("ML")
        cls.public = make_note("公开的扩散笔记", slug="public", category=cls.category)
        cls.draft = make_note("草稿扩散笔记", slug="draft", category=cls.category,
                              status=Note.Status.DRAFT)  # fmt: skip
        cls.scheduled = make_note("定时扩散笔记", slug="scheduled", category=cls.category,
                                  published_at=timezone.now() + DAY)  # fmt: skip

    def test_drafts_and_scheduled_notes_are_never_found(self) -> None:
        self.assertEqual(found("扩散"), ["public"])
        response = self.client.get(SEARCH, {"q": "扩散"})
        self.assertContains(response, "找到 1 篇笔记")
        self.assertNotContains(response, "草稿")
        self.assertNotContains(response, "定时")
        feed = self.client.get(reverse("notes:search-feed"), {"q": "扩散"}).content.decode()
        self.assertIn("公开的扩散笔记", feed)
        self.assertNotIn("草稿", feed)
        self.assertNotIn("定时", feed)

    def test_scheduled_note_is_found_when_its_time_comes_without_reindexing(self) -> None:
        Note.objects.filter(pk=self.scheduled.pk).update(published_at=timezone.now() - DAY)
        self.assertEqual(set(found("扩散")), {"public", "scheduled"})

    def test_deleted_and_unpublished_notes_disappear_at_once(self) -> None:
        self.public.delete()
        self.assertEqual(found("扩散"), [])
        self.assertFalse(SearchDocument.objects.filter(note_id=self.public.pk).exists())

    def test_unpublished_note_disappears(self) -> None:
        self.public.status = Note.Status.DRAFT
        self.public.save()
        self.assertEqual(found("扩散"), [])

    def test_edited_title_is_found_at_once(self) -> None:
        self.public.title = "公开的流匹配笔记"
        self.public.save()
        self.assertEqual(found("流匹配"), ["public"])

    def test_tag_added_renamed_and_aliased(self) -> None:
        self.public.tags.add("生成模型")
        self.assertEqual(found("生成模型"), ["public"])
        tag = Tag.objects.get(name="生成模型")
        tag.name = "生成式模型"
        tag.save()
        self.assertEqual(found("生成式"), ["public"])
        TagAlias.objects.create(tag=tag, name="generative")
        self.assertEqual(found("generative"), ["public"])
        self.public.tags.remove(tag)
        self.assertEqual(found("generative"), [])

    def test_category_rename_and_paper_edit(self) -> None:
        self.category.name = "三维视觉"
        self.category.save()
        self.assertEqual(found("三维"), ["public"])
        self.public.papers.create(title="Flow Straight and Fast", arxiv="2209.03003")
        self.assertEqual(found("2209.03003"), ["public"])

    def test_index_version_is_recorded(self) -> None:
        self.assertEqual(
            set(SearchDocument.objects.values_list("version", flat=True)), {TOKENIZER_VERSION}
        )


class RebuildAndCheckTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        note = make_note("重建索引的笔记", slug="rebuild", tags=["索引"])
        TagAlias.objects.create(tag=Tag.objects.get(name="索引"), name="index")
        note.papers.create(title="A paper", arxiv="2401.00001")

    def test_rebuild_writes_what_saving_writes(self) -> None:
        from io import StringIO

        from django.core.management import call_command

        saved = SearchDocument.objects.values().get()
        SearchDocument.objects.all().delete()
        call_command("rebuild_search_index", stdout=StringIO())
        self.assertEqual(SearchDocument.objects.values().get(), saved)
        self.assertEqual(found("index"), ["rebuild"])

    def test_rebuild_reusing_stored_text_equals_a_full_reparse(self) -> None:
        from io import StringIO

        from django.core.management import call_command

        SearchDocument.objects.update(version=0, title="")
        call_command("rebuild_search_index", stdout=StringIO())
        reused = SearchDocument.objects.values().get()
        call_command("rebuild_search_index", "--reparse", stdout=StringIO())
        self.assertEqual(SearchDocument.objects.values().get(), reused)
        self.assertEqual(reused["version"], TOKENIZER_VERSION)

    def test_check_reports_an_outdated_index(self) -> None:
        from notes.checks import search_index_is_current

        self.assertEqual(search_index_is_current(None), [])
        SearchDocument.objects.update(version=TOKENIZER_VERSION - 1)
        self.assertEqual([w.id for w in search_index_is_current(None)], ["notes.W001"])
