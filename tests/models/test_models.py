"""Notes and categories: who may see a note, what its URL is, and what is stored on save."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape
from urllib.parse import unquote
from zoneinfo import ZoneInfo

from django.contrib.contenttypes.models import ContentType
from django.core.validators import validate_unicode_slug
from django.test import TestCase
from django.urls import resolve
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from notes.models import Category, Figure, Note, Series
from notes.rendering import render_markdown

SHANGHAI = ZoneInfo("Asia/Shanghai")


class PublishedVisibilityTests(TestCase):
    """``Note.objects.published()`` is the one rule every public page relies on."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = Category.objects.create(name="Large Model")
        now = timezone.now()
        cls.live = Note.objects.create(
            title="Live",
            category=cls.category,
            status=Note.Status.PUBLISHED,
            published_at=now - dt.timedelta(minutes=5),
        )
        cls.draft = Note.objects.create(
            title="Draft",
            category=cls.category,
            status=Note.Status.DRAFT,
            published_at=now - dt.timedelta(days=3),
        )
        cls.scheduled = Note.objects.create(
            title="Scheduled",
            category=cls.category,
            status=Note.Status.PUBLISHED,
            published_at=now + dt.timedelta(days=2),
        )

    def test_published_note_with_past_date_is_visible(self) -> None:
        self.assertIn(self.live, Note.objects.published())

    def test_draft_is_invisible_even_with_past_date(self) -> None:
        self.assertNotIn(self.draft, Note.objects.published())

    def test_scheduled_note_is_invisible_before_its_date(self) -> None:
        self.assertNotIn(self.scheduled, Note.objects.published())

    def test_scheduled_note_goes_live_once_the_clock_passes_its_date(self) -> None:
        """No cron job: the same query returns the note once ``now`` is past its date."""
        later = self.scheduled.published_at + dt.timedelta(seconds=1)
        self.assertIn(self.scheduled, Note.objects.published(now=later))

    def test_draft_stays_invisible_whatever_the_clock(self) -> None:
        far_future = timezone.now() + dt.timedelta(days=3650)
        self.assertNotIn(self.draft, Note.objects.published(now=far_future))


class WithTagTests(TestCase):
    """``Note.objects.with_tag()``, which tag pages and feeds list their notes by."""

    @classmethod
    def setUpTestData(cls) -> None:
        category = Category.objects.create(name="Tagged")
        cls.both = Note.objects.create(title="Both", category=category)
        cls.both.tags.add("扩散模型", "LoRA")
        cls.one = Note.objects.create(title="One", category=category)
        cls.one.tags.add("扩散模型")
        cls.other = Note.objects.create(title="Other", category=category)
        cls.other.tags.add("LoRA")
        cls.tag = Tag.objects.get(name="扩散模型")

    def test_lists_the_notes_that_have_the_tag(self) -> None:
        self.assertEqual(set(Note.objects.with_tag(self.tag)), {self.both, self.one})

    def test_ignores_other_models_tagged_under_the_same_id(self) -> None:
        TaggedItem.objects.create(
            tag=self.tag,
            content_type=ContentType.objects.get_for_model(Category),
            object_id=self.other.pk,
        )
        self.assertNotIn(self.other, Note.objects.with_tag(self.tag))


class NoteSlugTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = Category.objects.create(name="Large Model")

    def make_note(self, title: str) -> Note:
        return Note.objects.create(title=title, category=self.category)

    def test_chinese_title_gives_readable_slug_keeping_the_characters(self) -> None:
        """Full-width punctuation separates words instead of gluing them together."""
        note = self.make_note("LoRA：大模型的低秩适配")
        self.assertEqual(note.slug, "lora-大模型的低秩适配")

    def test_chinese_slug_url_resolves_back_to_the_note(self) -> None:
        note = self.make_note("扩散模型：去噪概率模型")
        match = resolve(unquote(note.get_absolute_url()))
        self.assertEqual(match.kwargs["slug"], note.slug)

    def test_duplicate_titles_get_unique_slugs(self) -> None:
        first = self.make_note("Attention Is All You Need")
        second = self.make_note("Attention Is All You Need")
        third = self.make_note("Attention Is All You Need")
        self.assertEqual((second.slug, third.slug), (f"{first.slug}-2", f"{first.slug}-3"))

    def test_punctuation_only_title_still_gets_a_usable_slug(self) -> None:
        note = self.make_note("？！……——")
        self.assertTrue(note.slug)
        validate_unicode_slug(note.slug)  # raises ValidationError if unusable
        self.assertEqual(resolve(unquote(note.get_absolute_url())).kwargs["slug"], note.slug)

    def test_two_punctuation_only_titles_do_not_collide(self) -> None:
        first = self.make_note("!!!")
        second = self.make_note("???")
        self.assertNotEqual(first.slug, second.slug)

    def test_explicit_slug_is_kept(self) -> None:
        note = Note.objects.create(title="Whatever", slug="my-slug", category=self.category)
        self.assertEqual(note.slug, "my-slug")

    def test_editing_the_title_keeps_the_slug(self) -> None:
        """A note's URL must not break when its title is reworded."""
        note = self.make_note("Original title")
        original = note.slug
        note.title = "A completely different title"
        note.save()
        note.refresh_from_db()
        self.assertEqual(note.slug, original)


class RenderOnSaveTests(TestCase):
    """Pages and feeds only read stored HTML; rendering happens when the note is saved."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = Category.objects.create(name="Large Model")
        cls.note = Note.objects.create(
            title="Rendered",
            category=cls.category,
            body="Some **bold** prose about attention.\n\n```python\nSECRET = 1\n```",
        )

    def stored(self, pk: int) -> dict:
        return Note.objects.filter(pk=pk).values("body", "summary", "body_html", "excerpt").get()

    def test_body_html_is_stored_on_save(self) -> None:
        self.assertIn("<strong>bold</strong>", self.stored(self.note.pk)["body_html"])

    def test_excerpt_is_stored_on_save_as_plain_text(self) -> None:
        excerpt = self.stored(self.note.pk)["excerpt"]
        self.assertEqual(excerpt, "Some bold prose about attention.")

    def test_editing_the_body_re_renders_on_save(self) -> None:
        note = Note.objects.get(pk=self.note.pk)
        note.body = "Now *italic* instead."
        note.save()
        self.assertIn("<em>italic</em>", self.stored(note.pk)["body_html"])

    def test_save_with_update_fields_still_stores_the_new_html(self) -> None:
        """``save(update_fields=["body"])`` must not leave stale HTML behind."""
        note = Note.objects.get(pk=self.note.pk)
        note.body = "Changed to ~~nothing~~ a `code` span."
        note.save(update_fields=["body"])
        self.assertIn("<code>code</code>", self.stored(note.pk)["body_html"])

    def test_summary_when_given_becomes_the_excerpt(self) -> None:
        note = Note.objects.create(
            title="With summary",
            category=self.category,
            summary="A hand-written summary.",
            body="The body says something else entirely.",
        )
        self.assertEqual(self.stored(note.pk)["excerpt"], "A hand-written summary.")

    def test_long_summary_is_shortened_for_the_excerpt(self) -> None:
        summary = "冻结原始权重，只训练一对低秩矩阵" * 30
        note = Note.objects.create(title="Long", category=self.category, summary=summary)
        excerpt = self.stored(note.pk)["excerpt"]
        self.assertLessEqual(len(excerpt), 181)
        self.assertTrue(excerpt.endswith("…"))

    def test_crlf_from_the_admin_textarea_is_normalised(self) -> None:
        note = Note.objects.create(
            title="CRLF",
            category=self.category,
            body="line one\r\nline two\r\n\r\nsecond paragraph",
            summary="summary\r\nwith CRLF",
        )
        stored = self.stored(note.pk)
        self.assertEqual(
            (stored["body"], stored["summary"]),
            ("line one\nline two\n\nsecond paragraph", "summary\nwith CRLF"),
        )

    def test_body_with_nul_byte_can_be_saved(self) -> None:
        """PostgreSQL refuses NUL in text; an imported file may contain one."""
        note = Note.objects.create(title="NUL", category=self.category, body="a\x00b")
        self.assertEqual(self.stored(note.pk)["body"], "ab")

    def test_body_with_lone_surrogate_can_be_saved(self) -> None:
        """A lone surrogate cannot be encoded as UTF-8 by any database driver."""
        note = Note.objects.create(title="Surrogate", category=self.category, body="a\ud800b")
        self.assertEqual(self.stored(note.pk)["body"], "a\ufffdb")


class CategoryTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.late = Category.objects.create(name="Alpha", order=2)
        cls.zeta = Category.objects.create(name="Zeta", order=1)
        cls.mid = Category.objects.create(name="Middle", order=1)

    def test_slug_is_generated_from_the_name(self) -> None:
        category = Category.objects.create(name="Reinforcement Learning")
        self.assertEqual(category.slug, "reinforcement-learning")

    def test_chinese_name_keeps_its_characters_in_the_slug(self) -> None:
        category = Category.objects.create(name="三维视觉")
        self.assertEqual(category.slug, "三维视觉")

    def test_names_with_the_same_slug_get_unique_slugs(self) -> None:
        first = Category.objects.create(name="Large Model")
        second = Category.objects.create(name="Large-Model")
        self.assertNotEqual(first.slug, second.slug)

    def test_categories_are_ordered_by_order_then_name(self) -> None:
        self.assertEqual(list(Category.objects.all()), [self.mid, self.zeta, self.late])


class LongNameSlugTests(TestCase):
    """A slug made from a long name fits its column: PostgreSQL refused a series titled with
    200 characters (its slug holds 100), and the admin answered with a server error."""

    def test_a_long_series_title_makes_a_slug_that_fits(self) -> None:
        series = Series.objects.create(title="Reading path " * 15)
        self.assertLessEqual(len(series.slug), Series._meta.get_field("slug").max_length)

    def test_long_titles_sharing_a_start_still_get_unique_slugs_that_fit(self) -> None:
        first = Series.objects.create(title="x" * 150 + " a")
        second = Series.objects.create(title="x" * 150 + " b")
        self.assertNotEqual(first.slug, second.slug)
        self.assertLessEqual(len(second.slug), 100)


class FigureSnippetTests(TestCase):
    """The snippet the admin offers for a figure is one Markdown image, whatever its alt text
    and caption hold."""

    def rendered(self, alt: str, caption: str = "") -> dict[str, str]:
        """The image's alt text and caption as a browser reads them, and the whole HTML."""
        figure = Figure(alt=alt, caption=caption, image="figures/1/x.png", width=4, height=3)
        html = render_markdown(figure.markdown).html
        shown_alt = re.search(r'<img alt="([^"]*)"', html)
        shown_caption = re.search(r"<figcaption>(.*?)</figcaption>", html)
        return {
            "html": html,
            "alt": unescape(shown_alt.group(1)) if shown_alt else "",
            "caption": unescape(shown_caption.group(1)) if shown_caption else "",
        }

    def test_line_breaks_in_the_alt_text_stay_inside_the_image(self) -> None:
        shown = self.rendered("Loss\n\n*[Loss]: injected")
        self.assertEqual(shown["alt"], "Loss *[Loss]: injected")
        self.assertNotIn("<abbr", shown["html"])

    def test_brackets_and_backslashes_in_the_alt_text_are_kept(self) -> None:
        self.assertEqual(self.rendered("a [b] \\[c\\] d\\")["alt"], "a [b] \\[c\\] d\\")

    def test_quotes_and_backslashes_in_the_caption_are_kept(self) -> None:
        shown = self.rendered("x", 'the "best" run \\(a\\)\\')
        self.assertEqual(shown["caption"], 'the "best" run \\(a\\)\\')


class WasUpdatedTests(TestCase):
    """Readers see an 'updated' date only when the edit happened on a later (local) day."""

    @classmethod
    def setUpTestData(cls) -> None:
        category = Category.objects.create(name="Large Model")
        # 07:00 in Shanghai is still the previous day in UTC.
        cls.note = Note.objects.create(
            title="Dated",
            category=category,
            published_at=dt.datetime(2026, 1, 14, 7, 0, tzinfo=SHANGHAI),
        )

    def note_updated_at(self, when: dt.datetime) -> Note:
        Note.objects.filter(pk=self.note.pk).update(updated_at=when)
        return Note.objects.get(pk=self.note.pk)

    def test_edit_later_the_same_local_day_is_not_an_update(self) -> None:
        """20:00 Shanghai is the next day in UTC, but readers live in the site time zone."""
        note = self.note_updated_at(dt.datetime(2026, 1, 14, 20, 0, tzinfo=SHANGHAI))
        self.assertFalse(note.was_updated)

    def test_edit_on_a_later_local_day_is_an_update(self) -> None:
        note = self.note_updated_at(dt.datetime(2026, 1, 15, 0, 30, tzinfo=SHANGHAI))
        self.assertTrue(note.was_updated)
