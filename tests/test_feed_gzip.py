"""Feeds compressed once, on save (notes.feedxml): a gzipped feed is one gzip member spliced
from each note's stored deflate segment and the halves compressed per request, and reads as
exactly the feed a client without gzip gets."""

from __future__ import annotations

import gzip
import os
import random
import zlib
from datetime import timedelta
from xml.dom import minidom

from django.core.cache import cache
from django.test import SimpleTestCase, TestCase, override_settings
from django.urls import reverse
from django.utils import timezone, translation

from notes import feedxml, state
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


class SegmentTests(SimpleTestCase):
    """The format itself: CRCs combined, segments spliced between fully flushed text."""

    def test_crc_combine_is_zlibs(self) -> None:
        rng = random.Random(3)
        for size_a, size_b in ((0, 5), (1, 1), (7, 300), (5000, 20_000), (100_000, 3)):
            a, b = rng.randbytes(size_a), rng.randbytes(size_b)
            zeros = bytes(size_b)
            shift = zlib.crc32(zeros, 0x80000000) ^ zlib.crc32(zeros)
            self.assertEqual(
                feedxml.crc_combine(zlib.crc32(a), zlib.crc32(b), shift), zlib.crc32(a + b)
            )

    def test_a_stored_segment_says_its_crc_and_length(self) -> None:
        html = RICH_BODY + "<p>a < b & “c”</p>"
        data = feedxml.escape(html).encode()
        stored = feedxml.content_segment(html)

        class Stored:
            feed_gzip = stored

        segment = feedxml.stored_segment(Stored)
        self.assertEqual((segment.crc, segment.length), (zlib.crc32(data), len(data)))
        reader = zlib.decompressobj(wbits=-15)
        self.assertEqual(reader.decompress(segment.deflate), data)
        self.assertFalse(reader.eof)  # no final block: a member goes on after it
        self.assertEqual(feedxml.content_segment(""), b"")

    def test_text_and_segments_in_any_order_make_one_member(self) -> None:
        rng = random.Random(5)
        texts = ["<?xml?><rss>", "</item><item>" * 30, "é中文 & more " * 200, "", "</rss>"]
        contents = ["<p>x</p>" * 500, os.urandom(3000).hex(), "中文段落。" * 900, "a"]

        class Stored:
            feed_gzip = b""

        for _ in range(30):
            pieces: list = []
            expected = ""
            for _ in range(rng.randrange(0, 8)):
                if rng.random() < 0.5:
                    text = rng.choice(texts)
                    pieces.append(text)
                    expected += text
                else:
                    html = rng.choice(contents)
                    Stored.feed_gzip = feedxml.content_segment(html)
                    pieces.append(feedxml.stored_segment(Stored))
                    expected += feedxml.escape(html)
            with self.subTest(pieces=[type(p).__name__ for p in pieces]):
                self.assertEqual(gunzip(self, feedxml.gzip_member(pieces)), expected.encode())

    @override_settings(SITE_URL="http://one.example")
    def test_a_segment_of_another_build_is_not_used(self) -> None:
        class Stored:
            feed_gzip = feedxml.content_segment("<p>x</p>")

        self.assertIsNotNone(feedxml.stored_segment(Stored))
        with override_settings(SITE_URL="http://two.example"):
            self.assertIsNone(feedxml.stored_segment(Stored))
        Stored.feed_gzip = b"\x00" * 10
        self.assertIsNone(feedxml.stored_segment(Stored))


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

    def test_the_stored_segments_are_what_is_sent(self) -> None:
        """Not the content compressed again per request: a segment made of other HTML shows."""
        note = self.notes[0]
        Note.objects.filter(pk=note.pk).update(
            feed_gzip=feedxml.content_segment("<p>from the segment</p>")
        )
        packed = self.client.get(reverse("notes:feed"), HTTP_ACCEPT_ENCODING="gzip")
        self.assertIn(b"&lt;p&gt;from the segment&lt;/p&gt;", gunzip(self, packed.content))
        plain = self.client.get(reverse("notes:feed"))
        self.assertNotIn(b"from the segment", plain.content)

    def test_a_stale_segment_is_made_again_and_kept(self) -> None:
        note = self.notes[1]
        for stale in (b"", b"\x00" * 40, b"\x01\x02\x03\x04" + note.feed_gzip[4:]):
            with self.subTest(stale=stale[:8]):
                Note.objects.filter(pk=note.pk).update(feed_gzip=stale)
                self.assert_same_feed(reverse("notes:feed-atom"))
                note.refresh_from_db()
                self.assertIsNotNone(feedxml.stored_segment(note))

    def test_another_site_address_makes_segments_again(self) -> None:
        with override_settings(SITE_URL="https://notes.example.org"):
            content = self.assert_same_feed(reverse("notes:feed"))
            self.assertIn(b"https://notes.example.org/media/a.png", content)
            self.assertNotIn(b"http://testserver/media/", content)
            self.assertIsNotNone(feedxml.stored_segment(Note.objects.get(pk=self.notes[2].pk)))

    def test_a_note_without_stored_halves_is_in_the_gzipped_feed(self) -> None:
        make_note("@@research-notes-item-content@@", category=self.category)
        content = self.assert_same_feed(reverse("notes:feed"))
        self.assertIn(b"<title>@@research-notes-item-content@@</title>", content)

    def test_a_draft_stores_no_segment_until_dated(self) -> None:
        draft = make_note("草稿", category=self.category, status=Note.Status.DRAFT)
        Note.objects.filter(pk=draft.pk).update(published_at=None)
        draft.refresh_from_db()
        draft.save()
        self.assertEqual(bytes(Note.objects.get(pk=draft.pk).feed_gzip), b"")
        draft.status = Note.Status.PUBLISHED
        draft.save()
        self.assertIsNotNone(feedxml.stored_segment(Note.objects.get(pk=draft.pk)))

    def test_an_edit_stores_a_new_segment(self) -> None:
        note = self.notes[0]
        note.body = "改过的正文 <b>粗</b>。"
        note.save()
        content = self.assert_same_feed(reverse("notes:feed"))
        self.assertIn("改过的正文".encode(), content)

    def test_gzip_costs_no_more_queries(self) -> None:
        url = reverse("notes:feed")
        self.client.get(url, HTTP_ACCEPT_ENCODING="gzip")  # any stale segment made again
        settle()
        with self.assertNumQueries(2):
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

    def test_a_cached_gzipped_feed_is_served_to_every_client(self) -> None:
        url = reverse("notes:feed")
        for first in ("gzip", "identity"):
            with self.subTest(first=first):
                cache.clear()
                state.changed()
                fresh = self.client.get(url, HTTP_ACCEPT_ENCODING=first)
                with self.assertNumQueries(1):  # the site state: the feed is not rendered
                    packed = self.client.get(url, HTTP_ACCEPT_ENCODING="gzip")
                plain = self.client.get(url, HTTP_ACCEPT_ENCODING="identity")
                expected = gunzip(self, fresh.content) if first == "gzip" else fresh.content
                self.assertEqual(gunzip(self, packed.content), expected)
                self.assertEqual(plain.content, expected)
                self.assertNotIn("Content-Encoding", plain)
                self.assertEqual(packed["Content-Encoding"], "gzip")
                self.assertEqual(int(packed["Content-Length"]), len(packed.content))
                self.assertIn("Accept-Encoding", packed["Vary"])
                self.assertIn("Accept-Encoding", plain["Vary"])
                self.assertTrue(packed["ETag"].startswith("W/"))
                self.assertEqual(packed["ETag"].removeprefix("W/"), plain["ETag"])
                if first == "gzip":
                    self.assertEqual(fresh["ETag"], packed["ETag"])

    def test_a_gzipped_feed_polled_again_is_a_304(self) -> None:
        url = reverse("notes:feed-atom")
        first = self.client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        self.assertEqual(first["Content-Encoding"], "gzip")
        again = self.client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")
