"""The shared page parts (notes.chrome) and the note page around them."""

from __future__ import annotations

import copy
from datetime import timedelta
from unittest import mock

from django.conf import settings
from django.test import TestCase, override_settings
from django.utils import timezone

from notes.delivery import caching
from notes.models import Series
from tests.factories import RICH_BODY, make_category, make_note, writes_refused


def templates_with(overrides: dict[str, str]) -> list[dict]:
    """The site's template settings with some templates replaced, as a deploy would."""
    templates = copy.deepcopy(settings.TEMPLATES)
    engine = templates[0]
    engine["APP_DIRS"] = False
    engine["OPTIONS"]["loaders"] = [
        ("django.template.loaders.locmem.Loader", overrides),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    return templates


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

    def test_a_category_renamed_shows_its_new_name_on_the_note_and_its_cards(self) -> None:
        pages = [self.note.get_absolute_url(), "/", "/en/", "/en" + self.note.get_absolute_url()]
        for path in pages:
            self.assertContains(self.client.get(path), "大模型 LLM")
        self.category.name = "语言模型 LM"
        self.category.save()
        with writes_refused():
            for path in pages:
                with self.subTest(path=path):
                    response = self.client.get(path)
                    self.assertContains(response, "语言模型 LM")
                    self.assertNotContains(response, "大模型 LLM")

    def test_a_deploy_that_changes_a_template_shows_it_without_stored_data(self) -> None:
        """Cards and a note page's own parts are drawn from templates; what is kept of them is
        kept for one release, so the next release's templates show at once, with no note
        saved again and nothing written on the way."""
        paths = ["/", self.note.get_absolute_url()]
        for path in paths:
            self.assertNotContains(self.client.get(path), "data-release")
        card_head = (settings.BASE_DIR / "templates/includes/note_card_head.html").read_text()
        page_header = (settings.BASE_DIR / "templates/includes/note_page_header.html").read_text()
        changed = {
            "includes/note_card_head.html": card_head.replace(
                '<h2 class="note-item-title"', '<h2 data-release="next" class="note-item-title"'
            ),
            "includes/note_page_header.html": page_header.replace(
                '<h1 class="note-title"', '<h1 data-release="next" class="note-title"'
            ),
        }
        with (
            override_settings(TEMPLATES=templates_with(changed)),
            mock.patch.object(caching, "release", return_value="next"),
            writes_refused(),
        ):
            home = self.client.get("/")
            self.assertContains(home, '<h2 data-release="next" class="note-item-title"', count=3)
            page = self.client.get(self.note.get_absolute_url())
            self.assertContains(page, '<h1 data-release="next" class="note-title"', count=1)
