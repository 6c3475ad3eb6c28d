"""What a public page costs: a fixed number of queries, a bounded weight of CSS and JavaScript."""

from __future__ import annotations

import re
from pathlib import Path

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notes import derive
from notes.models import Note
from tests.factories import make_category, make_note, make_notes
from tests.views.helpers import PER_PAGE, listed_titles

# --- Query counts -------------------------------------------------------------------


class QueryCountTests(TestCase):
    """Each page runs a fixed number of queries, however many notes and tags it shows.

    Every page is measured with 45 notes of 4 tags each, then with only 3 of them left
    published. The exact numbers are pinned too, so any added query shows up here.
    """

    # The site state (version, navigation, counts: notes.delivery.state), then the page's own: its
    # notes with their category.
    LIST_QUERIES = 2
    CATEGORY_QUERIES = 3  # the category, then as the list
    TAG_QUERIES = 4  # the tag with its count, its aliases, then as the list
    # the note with its category, author and series; every note around it (backlinks, same
    # paper, series, related, previous and next) in one query
    DETAIL_QUERIES = 3

    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("大模型 LLM")
        cls.notes = make_notes(
            45, category=cls.category, tags=["大模型", "微调", "PEFT", "LoRA"], prefix="Query"
        )
        cls.kept = cls.notes[10:13]
        cls.tag = cls.notes[0].tags.get(name="微调")

    def assert_constant_queries(self, url: str, expected: int, *, lists_notes: bool) -> None:
        """Measured on a second request, as a running server serves a page: the first may fill
        what a process keeps (content types, the shared page parts)."""
        self.client.get(url)
        with CaptureQueriesContext(connection) as with_many:
            response = self.client.get(url)
        if lists_notes:
            self.assertEqual(len(listed_titles(response)), PER_PAGE)
        Note.objects.exclude(pk__in=[n.pk for n in self.kept]).update(status=Note.Status.DRAFT)
        derive.changed()  # a queryset update skips the save signals that say so
        self.client.get(url)
        with CaptureQueriesContext(connection) as with_few:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        if lists_notes:
            self.assertEqual(len(listed_titles(response)), len(self.kept))
        self.assertEqual(len(with_many), len(with_few))
        self.assertEqual(len(with_few), expected)

    def test_list_page(self) -> None:
        self.assert_constant_queries(reverse("notes:list"), self.LIST_QUERIES, lists_notes=True)

    def test_category_page(self) -> None:
        self.assert_constant_queries(
            self.category.get_absolute_url(), self.CATEGORY_QUERIES, lists_notes=True
        )

    def test_tag_page(self) -> None:
        self.assert_constant_queries(
            reverse("notes:tag", args=[self.tag.slug]), self.TAG_QUERIES, lists_notes=True
        )

    def test_detail_page(self) -> None:
        """The detail page shows one note, but its neighbours come from all the others."""
        self.assert_constant_queries(
            self.kept[1].get_absolute_url(), self.DETAIL_QUERIES, lists_notes=False
        )


class PageWeightTests(TestCase):
    def test_a_note_pages_own_css_and_javascript_stay_under_100_kb(self) -> None:
        """Fonts aside: the stylesheets and scripts a note with math and code loads."""
        from django.contrib.staticfiles import finders

        note = make_note("Weighed", body="Energy $E=mc^2$.\n\n```python\nx = 1\n```")
        html = self.client.get(note.get_absolute_url()).content.decode()
        assets = re.findall(r'(?:href|src)="/static/([^"]+\.(?:css|js))"', html)
        self.assertGreaterEqual(len(assets), 5)  # site, pygments, math CSS; two scripts
        # Hashed names (site.1a2b3c.css) come from the same source files.
        sizes = {
            name: Path(finders.find(re.sub(r"\.[0-9a-f]{12}\.", ".", name))).stat().st_size
            for name in assets
        }
        self.assertLess(sum(sizes.values()), 100_000, sizes)
