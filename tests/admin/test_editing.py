"""Editing without surprises: publish dates, old slugs and titles, short link text, language."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from notes.models import Note, OldName
from tests.factories import make_category, make_note


class PublishDateTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category()

    def draft(self, **fields) -> Note:
        return Note.objects.create(title="Draft", category=self.category, body="x", **fields)

    def test_a_new_draft_has_no_publish_date(self) -> None:
        self.assertIsNone(self.draft().published_at)

    def test_publishing_an_undated_draft_dates_it_now(self) -> None:
        """A draft written last month and published today is not backdated."""
        note = self.draft()
        Note.objects.filter(pk=note.pk).update(created_at=timezone.now() - timedelta(days=30))
        before = timezone.now()
        note.status = Note.Status.PUBLISHED
        note.save()
        self.assertGreaterEqual(note.published_at, before)
        self.assertTrue(Note.objects.published().filter(pk=note.pk).exists())

    def test_publishing_keeps_a_date_the_editor_chose(self) -> None:
        chosen = timezone.now() + timedelta(days=3)
        note = self.draft(published_at=chosen)
        note.status = Note.Status.PUBLISHED
        note.save()
        self.assertEqual(note.published_at, chosen)
        self.assertTrue(note.is_scheduled)

    def test_bulk_publish_dates_undated_drafts_now(self) -> None:
        editor = get_user_model().objects.create_superuser("ed", "", "pw")
        self.client.force_login(editor)
        note = self.draft()
        before = timezone.now()
        self.client.post(
            reverse("admin:notes_note_changelist"),
            {"action": "publish", "_selected_action": [note.pk]},
        )
        note.refresh_from_db()
        self.assertEqual(note.status, Note.Status.PUBLISHED)
        self.assertGreaterEqual(note.published_at, before)

    def test_undated_draft_preview_renders(self) -> None:
        editor = get_user_model().objects.create_superuser("ed", "", "pw")
        self.client.force_login(editor)
        note = self.draft()
        response = self.client.get(reverse("notes:preview", args=[note.pk]))
        self.assertEqual(response.status_code, 200)


class OldNameTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category()

    def test_old_slug_redirects_permanently_to_the_current_url(self) -> None:
        note = make_note("LoRA", slug="lora", category=self.category)
        note.slug = "lora-low-rank"
        note.save()
        response = self.client.get("/notes/lora/")
        self.assertEqual(response.status_code, 301)
        self.assertEqual(response["Location"], "/notes/lora-low-rank/")

    def test_old_slug_of_a_draft_stays_a_404(self) -> None:
        note = make_note("LoRA", slug="lora", category=self.category)
        note.slug = "lora-2"
        note.status = Note.Status.DRAFT
        note.save()
        self.assertEqual(self.client.get("/notes/lora/").status_code, 404)

    def test_unknown_slug_is_still_a_404(self) -> None:
        self.assertEqual(self.client.get("/notes/never-was/").status_code, 404)

    def test_a_new_note_may_take_an_old_slug(self) -> None:
        note = make_note("LoRA", slug="lora", category=self.category)
        note.slug = "lora-2"
        note.save()
        newcomer = make_note("Another LoRA", slug="lora", category=self.category)
        self.assertFalse(OldName.objects.filter(kind=OldName.Kind.SLUG, key="lora").exists())
        response = self.client.get("/notes/lora/")
        self.assertContains(response, f'<h1 class="note-title">{newcomer.title}</h1>', html=True)

    def test_links_by_old_slug_and_old_title_still_resolve(self) -> None:
        target = make_note("Old Title", slug="old-slug", category=self.category)
        target.title, target.slug = "New Title", "new-slug"
        target.save()
        linking = make_note(
            "Linking", category=self.category, body="See [[old-slug]] and [[Old Title]]."
        )
        self.assertEqual(linking.body_html.count('href="/notes/new-slug/"'), 2)
        self.assertNotIn("wikilink-missing", linking.body_html)

    def test_renaming_back_forgets_the_old_name(self) -> None:
        note = make_note("LoRA", slug="lora", category=self.category)
        note.slug = "lora-2"
        note.save()
        note.slug = "lora"
        note.save()
        self.assertEqual(
            list(OldName.objects.values_list("kind", "key")), [(OldName.Kind.SLUG, "lora-2")]
        )
        self.assertEqual(self.client.get("/notes/lora/").status_code, 200)


class LinkTextTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category()

    def test_link_shows_the_part_of_the_title_before_the_colon(self) -> None:
        make_note("DreamFusion：用 2D 扩散模型生成 3D", slug="dreamfusion", category=self.category)
        linking = make_note(
            "X", category=self.category, body="introduced by [[dreamfusion]], turns"
        )
        self.assertIn(
            '<a class="wikilink" href="/notes/dreamfusion/" '
            'title="DreamFusion：用 2D 扩散模型生成 3D">DreamFusion</a>',
            linking.body_html,
        )

    def test_short_title_set_by_the_editor_wins(self) -> None:
        make_note("Denoising Diffusion Probabilistic Models", slug="ddpm", short_title="DDPM",
                  category=self.category)  # fmt: skip
        linking = make_note("X", category=self.category, body="see [[ddpm]]")
        self.assertIn(">DDPM</a>", linking.body_html)

    def test_explicit_link_text_is_kept(self) -> None:
        make_note("BERT: Pre-training", slug="bert", category=self.category)
        linking = make_note("X", category=self.category, body="[[bert|the BERT paper]]")
        self.assertIn(">the BERT paper</a>", linking.body_html)

    def test_a_colon_inside_a_word_does_not_cut_the_title(self) -> None:
        note = make_note("Ratio 16:9 vision", category=self.category)
        self.assertEqual(note.link_text, "Ratio 16:9 vision")


class LanguageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category()

    def test_language_is_detected_when_left_blank(self) -> None:
        note = make_note("English", category=self.category, body="An English note about LoRA.")
        self.assertEqual(note.lang, "en")

    def test_editor_choice_wins_over_detection(self) -> None:
        note = make_note(
            "中文", category=self.category, body="An English body.", language="zh-Hans"
        )
        self.assertEqual(note.lang, "zh-Hans")

    def test_note_page_declares_the_note_language(self) -> None:
        note = make_note("English", category=self.category, body="An English note about LoRA.")
        html = self.client.get(note.get_absolute_url()).content.decode()
        self.assertIn('<article class="note" lang="en">', html)

    def test_an_excerpt_says_a_formula_as_text_in_any_language(self) -> None:
        note = make_note("E", category=self.category, body=r"The scale $\frac{1}{d}$ matters here.")
        self.assertEqual(note.excerpt, "The scale 1/d matters here.")
        self.assertIn("<mfrac>", note.excerpt_html)
