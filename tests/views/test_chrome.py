"""The shared page parts (notes.chrome) and the note page around them."""

from __future__ import annotations

from datetime import timedelta

from django.test import TestCase
from django.utils import timezone

from notes.models import Series
from tests.factories import RICH_BODY, make_category, make_note


class NotePageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        now = timezone.now()
        cls.category = make_category("大模型 LLM")
        series = Series.objects.create(title="注意力系列", slug="attention-series")
        cls.first = make_note(
            "Part one",
            category=cls.category,
            tags=["注意力"],
            published_at=now - timedelta(days=6),
            series=series,
            series_position=1,
        )
        cls.note = make_note(
            "注意力机制",
            category=cls.category,
            tags=["注意力", "Transformer"],
            body=RICH_BODY + "\n\nSee [[Part one]].",
            published_at=now - timedelta(days=5),
            series=series,
            series_position=2,
        )
        cls.citing = make_note(
            "A note that cites it",
            category=cls.category,
            tags=["Transformer"],
            body="Builds on [[注意力机制]].",
            published_at=now - timedelta(days=4),
        )

    def test_the_page_shows_what_depends_on_other_notes(self) -> None:
        html = self.client.get(self.note.get_absolute_url()).content.decode()
        self.assertIn('class="series-box"', html)
        self.assertIn("A note that cites it", html)  # a backlink, and the next note
        self.assertIn('rel="prev"', html)
        self.assertIn("<!DOCTYPE html>", html)

    def test_a_new_category_shows_in_the_navigation_without_saving_the_note(self) -> None:
        """The header's categories come from the site state, not from the note."""
        make_note("In a new category", category=make_category("新类别 Fresh"))
        html = self.client.get(self.note.get_absolute_url()).content.decode()
        self.assertIn("新类别 Fresh", html)

    def test_a_title_that_spells_a_comment_is_shown_as_text(self) -> None:
        note = make_note("<!--rn:nav--> and <!--rn:body-->", category=self.category)
        html = self.client.get(note.get_absolute_url()).content.decode()
        self.assertIn("&lt;!--rn:nav--&gt; and &lt;!--rn:body--&gt;", html)
        self.assertEqual(html.count('class="note-body prose"'), 1)

    def test_the_detail_page_runs_three_queries(self) -> None:
        self.client.get(self.note.get_absolute_url())
        with self.assertNumQueries(3):
            self.client.get(self.note.get_absolute_url())
