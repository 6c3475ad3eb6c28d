"""Gzipped feeds: a client that accepts gzip gets the feed compressed (by GZipMiddleware, the
one place that compresses), and it reads as exactly the feed a client without gzip gets, from
the page cache too."""

from __future__ import annotations

import gzip
import zlib
from datetime import timedelta
from xml.dom import minidom

from django.core.cache import cache
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from notes.delivery import state
from notes.models import Note, Series
from tests.factories import RICH_BODY, make_category, make_note, settle

TAG = "扩散"


def gunzip(test: SimpleTestCase, body: bytes) -> bytes:
    """The body read as gzip by Python's gzip module and by zlib, which must agree; zlib also
    proves it is a single member, with nothing after it."""
    whole = gzip.decompress(body)
    reader = zlib.decompressobj(wbits=31)
    streamed = reader.decompress(body) + reader.flush()
    test.assertTrue(reader.eof, "the member does not end")
    test.assertEqual(reader.unused_data, b"", "more than one member")
    test.assertEqual(streamed, whole)
    return whole


@override_settings(SITE_URL="http://testserver")
class GzippedFeedTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("生成模型 & <GAN>")
        cls.series = Series.objects.create(title="扩散系列", slug="diffusion-series")
        now = timezone.now()
        cls.notes = [
            make_note(
                f"扩散模型 {index} <精读> & “引号”",
                category=cls.category,
                tags=[TAG, "A&B"],
                body=RICH_BODY + f"\n\n第 {index} 篇。[站内](/notes/x/) ![图](/media/a.png)\n",
                published_at=now - timedelta(hours=index),
                series=cls.series,
                series_position=index + 1,
            )
            for index in range(4)
        ]
        cls.english = make_note(
            "An English note", category=cls.category, tags=[TAG], body="Adapters, *briefly*."
        )

    def urls(self) -> list[str]:
        slug = self.category.slug
        urls = []
        for language in ("zh-hans", "en"):
            with translation.override(language):
                urls += [
                    reverse("notes:feed"),
                    reverse("notes:feed-atom"),
                    reverse("notes:category-feed", args=[slug]),
                    reverse("notes:category-feed-atom", args=[slug]),
                    reverse("notes:tag-feed", args=[TAG]),
                    reverse("notes:tag-feed-atom", args=[TAG]),
                    reverse("notes:series-feed", args=[self.series.slug]),
                    reverse("notes:search-feed-atom") + "?q=扩散",
                ]
        return urls

    def assert_same_feed(self, url: str) -> bytes:
        plain = self.client.get(url)
        packed = self.client.get(url, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
        self.assertEqual(plain.status_code, 200)
        self.assertNotIn("Content-Encoding", plain)
        self.assertEqual(packed["Content-Encoding"], "gzip")
        self.assertIn("Accept-Encoding", packed["Vary"])
        self.assertIn("Accept-Encoding", plain["Vary"])
        self.assertEqual(int(packed["Content-Length"]), len(packed.content))
        self.assertEqual(packed["Content-Type"], plain["Content-Type"])
        self.assertEqual(packed["ETag"], "W/" + plain["ETag"])
        self.assertEqual(gunzip(self, packed.content), plain.content)
        minidom.parseString(plain.content)  # still well-formed XML
        return plain.content

    def test_every_feed_gzipped_reads_as_the_feed(self) -> None:
        for url in self.urls():
            with self.subTest(url=url):
                content = self.assert_same_feed(url)
                self.assertIn(b"&lt;p&gt;", content)

    def test_an_edit_reaches_the_gzipped_feed(self) -> None:
        note = self.notes[0]
        note.body = "改过的正文 <b>粗</b>。"
        note.save()
        content = self.assert_same_feed(reverse("notes:feed"))
        self.assertIn("改过的正文".encode(), content)
        self.assertIn(b"&lt;b&gt;", content)

    def test_another_site_address_is_used_at_once(self) -> None:
        with override_settings(SITE_URL="https://notes.example.org"):
            content = self.assert_same_feed(reverse("notes:feed"))
        self.assertIn(b"https://notes.example.org/media/a.png", content)
        self.assertNotIn(b"http://testserver/", content)

    def test_a_title_of_any_text_is_in_the_gzipped_feed(self) -> None:
        make_note("@@research-notes-item-content@@", category=self.category)
        content = self.assert_same_feed(reverse("notes:feed"))
        self.assertIn(b"<title>@@research-notes-item-content@@</title>", content)

    def test_a_draft_is_in_no_gzipped_feed_until_published(self) -> None:
        draft = make_note("草稿笔记", category=self.category, status=Note.Status.DRAFT)
        Note.objects.filter(pk=draft.pk).update(published_at=None)
        draft.refresh_from_db()
        draft.save()
        self.assertNotIn("草稿笔记".encode(), self.assert_same_feed(reverse("notes:feed")))
        draft.status = Note.Status.PUBLISHED
        draft.save()
        self.assertIn("草稿笔记".encode(), self.assert_same_feed(reverse("notes:feed")))

    def test_gzip_costs_no_more_queries(self) -> None:
        url = reverse("notes:feed")
        settle()
        with self.assertNumQueries(2):  # the site state, the notes with category and author
            self.client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        with self.assertNumQueries(2):
            self.client.get(url)


@override_settings(SITE_URL="http://testserver")
class GzippedFeedCacheTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("缓存")
        for index in range(3):
            make_note(f"缓存的笔记 {index}", category=category, body=RICH_BODY)

    def setUp(self) -> None:
        # On for these tests only (tests/conftest.py turns it off for the others).
        enabled = override_settings(PAGE_CACHE=True)
        enabled.enable()
        self.addCleanup(enabled.disable)
        cache.clear()
        self.addCleanup(cache.clear)

    def test_a_kept_feed_is_served_to_every_client_as_it_asks(self) -> None:
        url = reverse("notes:feed")
        plain = self.client.get(url, HTTP_ACCEPT_ENCODING="identity").content
        for first, second in (("gzip", "identity"), ("identity", "gzip")):
            with self.subTest(first=first):
                cache.clear()
                state.changed()
                fresh = self.client.get(url, HTTP_ACCEPT_ENCODING=first)
                with self.assertNumQueries(1):  # the site state: the feed is not rendered
                    kept = self.client.get(url, HTTP_ACCEPT_ENCODING=first)
                other = self.client.get(url, HTTP_ACCEPT_ENCODING=second)
                packed, unpacked = (kept, other) if first == "gzip" else (other, kept)
                self.assertEqual(kept.content, fresh.content)
                self.assertEqual(kept["ETag"], fresh["ETag"])
                self.assertEqual(gunzip(self, packed.content), plain)
                self.assertEqual(unpacked.content, plain)
                self.assertNotIn("Content-Encoding", unpacked)
                self.assertEqual(packed["Content-Encoding"], "gzip")
                self.assertEqual(int(packed["Content-Length"]), len(packed.content))
                self.assertIn("Accept-Encoding", packed["Vary"])
                self.assertIn("Accept-Encoding", unpacked["Vary"])
                self.assertTrue(packed["ETag"].startswith("W/"))
                self.assertEqual(packed["ETag"].removeprefix("W/"), unpacked["ETag"])

    def test_a_gzipped_feed_polled_again_is_a_304(self) -> None:
        url = reverse("notes:feed-atom")
        first = self.client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        self.assertEqual(first["Content-Encoding"], "gzip")
        again = self.client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")
