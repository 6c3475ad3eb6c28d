"""The search page on SQLite and PostgreSQL (this module runs on both): results counted
and highlighted, filters, hostile queries, query counts, the search feed."""

from __future__ import annotations

import re
from unittest import mock

from django.test import TestCase
from django.urls import reverse

from notes.search import parse
from notes.search.snippets import snippet
from tests.factories import make_category, make_note, settle
from tests.search.searching import SEARCH


class SearchPageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.ml = make_category("ML")
        cls.other = make_category("Other")
        for index in range(25):
            make_note(
                f"注意力笔记 {index}",
                slug=f"attention-{index}",
                body=f"第 {index} 篇讲 <b>注意力</b> 与 x<y & z 的关系。" + "填充。" * 40,
                category=cls.ml if index % 2 else cls.other,
                tags=["注意力"] if index % 5 == 0 else [],
            )

    def test_results_page_counts_paginates_and_highlights(self) -> None:
        response = self.client.get(SEARCH, {"q": "注意力"})
        html = response.content.decode()
        self.assertContains(response, "找到 25 篇笔记")
        self.assertEqual(html.count('class="note-item search-result"'), 20)
        self.assertIn("<mark>注意力</mark>", html)
        # The page links keep the query.
        self.assertIn("?q=%E6%B3%A8%E6%84%8F%E5%8A%9B&amp;page=2", html)
        page2 = self.client.get(SEARCH, {"q": "注意力", "page": 2}).content.decode()
        self.assertEqual(page2.count('class="note-item search-result"'), 5)

    def test_note_html_and_the_query_are_escaped_in_snippets(self) -> None:
        html = self.client.get(SEARCH, {"q": "注意力 <script>"}).content.decode()
        self.assertNotIn("<script>", html.split("<main", 1)[1])
        text = snippet("a <b>注意力</b> & c", parse("注意力"))
        self.assertEqual(str(text), "a &lt;b&gt;<mark>注意力</mark>&lt;/b&gt; &amp; c")

    def test_filters_keep_the_query(self) -> None:
        response = self.client.get(SEARCH, {"q": "注意力", "category": self.ml.slug})
        self.assertContains(response, "找到 12 篇笔记")
        response = self.client.get(SEARCH, {"q": "注意力", "tag": "注意力"})
        self.assertContains(response, "找到 5 篇笔记")

    def test_empty_query_shows_a_hint(self) -> None:
        response = self.client.get(SEARCH)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "输入中文或英文词语")

    def test_hostile_queries_never_fail(self) -> None:
        for query in [
            "' OR 1=1; DROP TABLE notes_note; --",
            '" * : & | ! ( ) NEAR AND OR',
            "\x00\x1f\u202e",
            "模型" * 5000,
            "a" * 10_000,
            '"unclosed phrase',
            "-",
        ]:
            with self.subTest(query=query[:30]):
                self.assertEqual(self.client.get(SEARCH, {"q": query}).status_code, 200)
                feed = self.client.get(reverse("notes:search-feed"), {"q": query})
                self.assertIn(feed.status_code, {200, 404})

    def test_invalid_utf8_and_bad_pages(self) -> None:
        self.assertEqual(self.client.get(SEARCH + "?q=%ff%fe").status_code, 200)
        self.assertEqual(self.client.get(SEARCH, {"q": "注意力", "page": "x"}).status_code, 404)
        self.assertEqual(self.client.get(SEARCH, {"q": "注意力", "page": 9}).status_code, 404)
        self.assertEqual(
            self.client.get(SEARCH, {"q": "注意力", "category": "nope"}).status_code, 404
        )

    def test_long_query_is_cut_with_a_message(self) -> None:
        response = self.client.get(SEARCH, {"q": "注意力 " * 100})
        self.assertContains(response, "查询过长")

    # The site state; the search, one statement (the matches up to the window, counted, and
    # the page sorted from them); the notes' stored cards and texts. The same on both
    # databases, with no transaction or planner settings of their own around the search.
    SEARCH_QUERIES = 3

    def test_search_page_runs_a_fixed_number_of_queries(self) -> None:
        settle()
        with self.assertNumQueries(self.SEARCH_QUERIES):
            self.client.get(SEARCH, {"q": "注意力"})
        for index in range(10):
            make_note(f"更多注意力 {index}", category=self.ml, tags=["注意力", f"t{index}"])
        settle()
        with self.assertNumQueries(self.SEARCH_QUERIES):
            self.client.get(SEARCH, {"q": "注意力"})
        # More matches than the window: the tiers are counted in the same statement, and the
        # page is one more.
        with (
            mock.patch("notes.search.backends.RESULT_WINDOW", 5),
            self.assertNumQueries(self.SEARCH_QUERIES + 1),
        ):
            self.assertContains(self.client.get(SEARCH, {"q": "注意力"}), "找到超过 5 篇笔记")

    def test_search_feed_runs_a_fixed_number_of_queries(self) -> None:
        """The site state, the search, the notes."""
        feed = reverse("notes:search-feed")
        settle()
        with self.assertNumQueries(3):
            self.client.get(feed, {"q": "注意力"})
        for index in range(10):
            make_note(f"更多注意力 {index}", category=self.ml, tags=[f"t{index}"])
        settle()
        with self.assertNumQueries(3):
            self.client.get(feed, {"q": "注意力"})
        with mock.patch("notes.search.backends.RESULT_WINDOW", 5), self.assertNumQueries(4):
            self.client.get(feed, {"q": "注意力"})

    def test_search_feed_is_linked_from_the_results_page(self) -> None:
        html = self.client.get(SEARCH, {"q": "注意力"}).content.decode()
        self.assertRegex(html, r'<link rel="alternate" type="application/rss\+xml"[^>]*'
                               r'href="/search/feed/\?q=%E6%B3%A8')  # fmt: skip

    def test_every_page_has_the_search_box_and_opensearch(self) -> None:
        html = self.client.get("/").content.decode()
        self.assertTrue(
            re.search(r'<form class="site-search" role="search" action="/search/"', html)
        )
        self.assertIn('rel="search" type="application/opensearchdescription+xml"', html)
        opensearch = self.client.get(reverse("notes:opensearch"))
        self.assertIn("/search/?q={searchTerms}", opensearch.content.decode())
