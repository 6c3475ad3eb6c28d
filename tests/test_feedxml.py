"""Feed items rendered on save (notes.feedxml): the same XML Django's generators write, kept
current when the note, its category, its author or the site's address change."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.feedgenerator import rfc3339_date

from notes import feedxml, state
from notes.models import Note
from tests.factories import RICH_BODY, make_category, make_note, settle


def whole_item(note: Note, kind: str) -> str:
    """The item as Django's generator writes it from scratch, content included."""
    fields = feedxml.item_fields(
        note,
        category_name=note.category.name,
        tag_names=[name for name, _slug in note.tag_data],
        author=note.author_name,
    )
    return feedxml.render_item(kind, fields, note.feed_html)


@override_settings(SITE_URL="http://testserver")
class StoredItemTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.author = get_user_model().objects.create_user("lin", first_name="Lin", last_name="Wu")
        cls.category = make_category("生成模型 & <GAN>")
        cls.note = make_note(
            "扩散模型 <精读> & “引号”",
            category=cls.category,
            tags=["扩散", "A&B"],
            body=RICH_BODY + "\n\n[站内链接](/notes/other/) ![图](/media/figures/a.png)\n",
            author=cls.author,
        )

    def setUp(self) -> None:
        self.note.refresh_from_db()

    def test_a_stored_item_is_what_djangos_generator_writes(self) -> None:
        for language in ("zh-hans", "en"):
            for kind in ("rss", "atom"):
                with self.subTest(language=language, kind=kind), translation.override(language):
                    self.assertEqual(
                        feedxml.stored_item(self.note, kind, language), whole_item(self.note, kind)
                    )

    def test_the_feed_serves_the_stored_items(self) -> None:
        self.note.feed_items["zh-hans"]["rss"][0] = self.note.feed_items["zh-hans"]["rss"][
            0
        ].replace("<item>", '<item data-stored="yes">')
        Note.objects.filter(pk=self.note.pk).update(feed_items=self.note.feed_items)
        settle()
        response = self.client.get(reverse("notes:feed"))
        self.assertContains(response, '<item data-stored="yes">')

    def test_items_of_another_site_address_are_rendered_again_and_kept(self) -> None:
        with override_settings(SITE_URL="https://notes.example.org"):
            response = self.client.get(reverse("notes:feed-atom"))
            self.note.refresh_from_db()
            self.assertEqual(self.note.feed_items["build"], feedxml.build())
        self.assertContains(response, "https://notes.example.org/notes/")
        self.assertNotContains(response, "http://testserver/notes/")

    def test_an_author_rename_reaches_the_feed(self) -> None:
        self.author.first_name = "琳"
        self.author.save()
        response = self.client.get(reverse("notes:feed"))
        self.assertContains(response, "琳 Wu")

    def test_a_login_does_not_rerender_the_authors_items(self) -> None:
        before = Note.objects.get(pk=self.note.pk).feed_items
        Note.objects.filter(pk=self.note.pk).update(feed_items={"build": "kept"})
        self.author.save(update_fields=["last_login"])
        self.assertEqual(Note.objects.get(pk=self.note.pk).feed_items, {"build": "kept"})
        Note.objects.filter(pk=self.note.pk).update(feed_items=before)

    def test_a_title_holding_the_marker_is_still_in_the_feed(self) -> None:
        odd = make_note("@@research-notes-item-content@@", category=self.category)
        self.assertNotIn("zh-hans", odd.feed_items)
        response = self.client.get(reverse("notes:feed"))
        self.assertContains(response, "<title>@@research-notes-item-content@@</title>")

    def test_the_feed_is_dated_by_its_newest_item(self) -> None:
        """Not by the time of the request: an unchanged feed stays byte for byte the same."""
        past = timezone.now() - timedelta(days=2)
        Note.objects.filter(pk=self.note.pk).update(updated_at=past, published_at=past)
        self.note.refresh_from_db()
        self.note.refresh_feed_items()
        state.changed()
        response = self.client.get(reverse("notes:feed-atom"))
        newest = max(self.note.updated_at, self.note.published_at)
        channel = response.content.decode().split("<entry", 1)[0]
        self.assertIn(f"<updated>{rfc3339_date(newest)}</updated>", channel)
