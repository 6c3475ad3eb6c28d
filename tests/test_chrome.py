"""The shared page parts (notes.chrome) and the note page drawn from its stored shell."""

from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

from django.test import TestCase
from django.utils import timezone

from notes import fragments, state
from notes.models import Note, Series
from tests.factories import RICH_BODY, make_category, make_note


def _normal(html: str) -> str:
    """The page with runs of whitespace between and inside tags made one: the two ways of
    drawing it indent differently, and nothing else may differ."""
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", html)).strip()


class StoredShellTests(TestCase):
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

    def whole(self, path: str) -> str:
        """The page drawn whole by its template, as for a note stored by an older build."""
        with mock.patch.object(fragments, "stored_shell", return_value=None):
            return self.client.get(path).content.decode()

    def test_page_from_the_shell_is_the_page_drawn_whole(self) -> None:
        for path in (self.note.get_absolute_url(), "/en" + self.note.get_absolute_url()):
            with self.subTest(path=path):
                shelled = self.client.get(path).content.decode()
                self.assertEqual(_normal(shelled), _normal(self.whole(path)))

    def test_page_from_the_shell_shows_what_depends_on_other_notes(self) -> None:
        html = self.client.get(self.note.get_absolute_url()).content.decode()
        self.assertIn('class="series-box"', html)
        self.assertIn("A note that cites it", html)  # a backlink, and the next note
        self.assertIn('rel="prev"', html)
        self.assertIn("<!DOCTYPE html>", html)
        self.assertNotIn("<!--rn:", html)

    def test_a_new_category_shows_in_the_navigation_without_saving_the_note(self) -> None:
        """The header's categories are filled per request from the site state, not kept in
        the note's stored page."""
        stored = Note.objects.get(pk=self.note.pk).page
        make_note("In a new category", category=make_category("新类别 Fresh"))
        self.assertEqual(Note.objects.get(pk=self.note.pk).page, stored)
        html = self.client.get(self.note.get_absolute_url()).content.decode()
        self.assertIn("新类别 Fresh", html)

    def test_a_shell_of_an_older_build_is_drawn_whole_and_stored_again(self) -> None:
        page = dict(self.note.page, build="older")
        Note.objects.filter(pk=self.note.pk).update(page=page)
        state.changed()
        response = self.client.get(self.note.get_absolute_url())
        self.assertContains(response, "注意力机制")
        stored = Note.objects.get(pk=self.note.pk).page
        self.assertEqual(stored["build"], fragments.BUILD)
        self.assertIsNotNone(fragments.stored_shell(stored, "zh-hans"))

    def test_a_title_that_spells_a_mark_is_shown_as_text(self) -> None:
        note = make_note("<!--rn:nav--> and <!--rn:body-->", category=self.category)
        self.assertIsNotNone(fragments.stored_shell(note.page, "zh-hans"))
        html = self.client.get(note.get_absolute_url()).content.decode()
        self.assertIn("&lt;!--rn:nav--&gt; and &lt;!--rn:body--&gt;", html)
        self.assertEqual(html.count('class="note-body prose"'), 1)

    def test_the_detail_page_runs_three_queries(self) -> None:
        self.client.get(self.note.get_absolute_url())
        with self.assertNumQueries(3):
            self.client.get(self.note.get_absolute_url())
