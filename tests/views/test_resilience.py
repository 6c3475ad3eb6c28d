"""Pages that need little: readers never write to the database, the 500 page needs none."""

from __future__ import annotations

from datetime import timedelta

from django.template.loader import render_to_string
from django.test import TestCase
from django.utils import timezone

from tests.factories import RICH_BODY, make_category, make_note, make_notes, writes_refused
from tests.views.helpers import PER_PAGE

# --- Server errors ------------------------------------------------------------------


class ServerErrorPageTests(TestCase):
    def test_500_page_renders_without_a_request_or_database(self) -> None:
        """Django renders 500.html with no context processors; it must not need them."""
        with self.assertNumQueries(0):
            html = render_to_string("500.html")
        self.assertIn("Something went wrong", html)
        self.assertIn('<a href="/">', html)


class ReadersOnlyReadTests(TestCase):
    """No public request writes to the database, so readers can be served from a read-only
    replica and a read never waits on an editor's write: every kind of public page and feed,
    in both languages, with writes refused."""

    @classmethod
    def setUpTestData(cls) -> None:
        from notes.models import Series

        category = make_category("只读")
        series = Series.objects.create(title="只读系列", slug="read-only-series")
        cls.note = make_note(
            "只读的笔记",
            category=category,
            tags=["只读"],
            body=RICH_BODY,
            series=series,
            series_position=1,
        )
        cls.note.papers.create(title="LoRA", arxiv="2106.09685", year=2022)
        make_note("另一篇", category=category, tags=["只读"], body="[[只读的笔记]]")
        # A scheduled note whose time comes while readers read: counted in without a write.
        make_note("定时", category=category, tags=["只读"], published_at=timezone.now())
        # Enough for a second page of every list.
        make_notes(PER_PAGE, category=category, tags=["只读"], prefix="只读")
        # A draft's preview, opened by a link an editor shared (notes.views.sharing).
        from notes.models import PreviewLink

        draft = make_note("只读草稿", category=category, status="draft", body="[[只读的笔记]]")
        cls.shared = PreviewLink.objects.create(
            note=draft, expires_at=timezone.now() + timedelta(days=1)
        ).get_absolute_url()

    def test_readers_only_read(self) -> None:
        paper = self.note.papers.get()
        published = timezone.localtime(self.note.published_at)
        paths = [
            "/", "/?page=1", "/?page=2", "/category/", "/category/只读/", "/category/只读/?page=2",
            "/tag/", "/tag/只读/", "/tag/只读/?page=2", "/archive/", f"/archive/{published.year}/",
            f"/archive/{published.year}/{published.month:02d}/", "/series/",
            "/series/read-only-series/", self.note.get_absolute_url(),
            f"/papers/{paper.ident}/", f"/papers/{paper.ident}/cite.bib", "/papers/",
            "/search/?q=只读",
            "/search/?q=只读&page=2", "/feed/", "/feed/atom/", "/category/只读/feed/",
            "/tag/只读/feed/", "/series/read-only-series/feed/", "/search/feed/?q=只读",
            "/sitemap.xml", "/sitemap-notes.xml", "/sitemap-papers.xml", "/robots.txt",
            "/opensearch.xml", "/notes/no-such-note/", "/updates/", self.shared, "/favicon.ico",
        ]  # fmt: skip
        paths += ["/en" + path for path in paths if not path.startswith(("/sitemap", "/robots"))]

        with writes_refused():
            for path in paths:
                with self.subTest(path=path):
                    response = self.client.get(path)
                    self.assertIn(response.status_code, (200, 404), path)
                    if path.endswith("no-such-note/"):
                        self.assertEqual(response.status_code, 404)
                    else:
                        self.assertEqual(response.status_code, 200)
