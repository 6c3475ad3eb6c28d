"""The HTTP layer readers' clients see: compression and conditional requests."""

from __future__ import annotations

import gzip

from django.test import TestCase
from django.urls import reverse

from tests.factories import make_category, make_note


class CompressionAndRevalidationTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("ML")
        for index in range(5):
            make_note(f"Note {index}", category=category, body="注意力。" * 200)

    def test_feed_and_pages_are_compressed_when_the_client_asks(self) -> None:
        for url in (reverse("notes:feed"), reverse("notes:list")):
            plain = self.client.get(url)
            packed = self.client.get(url, HTTP_ACCEPT_ENCODING="gzip")
            self.assertEqual(packed["Content-Encoding"], "gzip", url)
            self.assertIn("Accept-Encoding", packed["Vary"])
            self.assertEqual(gzip.decompress(packed.content), plain.content)
            self.assertLess(len(packed.content), len(plain.content) / 3, url)
            self.assertNotIn("Content-Encoding", plain)

    def test_an_unchanged_feed_polled_again_is_a_small_304(self) -> None:
        url = reverse("notes:feed")
        first = self.client.get(url, HTTP_ACCEPT_ENCODING="gzip")
        again = self.client.get(url, HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")

    def test_a_changed_feed_is_sent_again(self) -> None:
        url = reverse("notes:feed")
        first = self.client.get(url)
        make_note("Fresh news", category=make_category("New"))
        again = self.client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 200)
        self.assertIn(b"Fresh news", again.content)

    def test_pages_answer_304_to_their_own_etag(self) -> None:
        url = reverse("notes:list")
        first = self.client.get(url)
        self.assertEqual(self.client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code, 304)
