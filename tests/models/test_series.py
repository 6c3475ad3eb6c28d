"""Series: reading paths in the editor's order, numbered as readers see them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import feedparser
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from notes.importexport import export_notes, import_paths
from notes.models import Note, Series
from tests.factories import make_category, make_note, settle

DAY = timedelta(days=1)


class SeriesTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.series = Series.objects.create(title="视频动作识别", description="TSN → TRN → TSM")
        category = make_category("Video")
        now = timezone.now()
        # Made out of order; positions decide. TRN is a draft, Future is scheduled.
        cls.tsm = make_note("TSM", category=category, series=cls.series, series_position=4,
                            published_at=now - 1 * DAY)  # fmt: skip
        cls.tsn = make_note("TSN", category=category, series=cls.series, series_position=1,
                            published_at=now - 9 * DAY)  # fmt: skip
        cls.trn = make_note("TRN", category=category, series=cls.series, series_position=2,
                            status=Note.Status.DRAFT)  # fmt: skip
        cls.i3d = make_note("I3D", category=category, series=cls.series, series_position=3,
                            published_at=now - 5 * DAY)  # fmt: skip
        cls.future = make_note("Future", category=category, series=cls.series,
                               published_at=now + 3 * DAY)  # fmt: skip

    def test_series_page_lists_published_parts_in_order(self) -> None:
        response = self.client.get(self.series.get_absolute_url())
        self.assertEqual([n.title for n in response.context["notes"]], ["TSN", "I3D", "TSM"])
        self.assertContains(response, "TSN → TRN → TSM")
        self.assertNotContains(response, "Future")

    def test_note_shows_its_part_among_visible_parts(self) -> None:
        html = self.client.get(self.i3d.get_absolute_url()).content.decode()
        # The draft is skipped: I3D is part 2 of 3, between TSN and TSM.
        self.assertIn("第 2 篇，共 3 篇", html)
        self.assertIn(f'href="{self.tsn.get_absolute_url()}">‹ 上一篇：TSN', html)
        self.assertIn(f'href="{self.tsm.get_absolute_url()}">下一篇：TSM', html)
        self.assertNotIn("TRN", html)

    def test_first_and_last_parts_have_one_neighbour(self) -> None:
        first = self.client.get(self.tsn.get_absolute_url()).content.decode()
        self.assertIn("第 1 篇，共 3 篇", first)
        self.assertNotIn("上一篇：", first)
        last = self.client.get(self.tsm.get_absolute_url()).content.decode()
        self.assertNotIn("下一篇：", last)

    def test_series_index_counts_published_parts_and_hides_empty_series(self) -> None:
        Series.objects.create(title="Only drafts").notes.add(self.trn)
        response = self.client.get(reverse("notes:series-list"))
        self.assertEqual([(s.title, s.note_count) for s in response.context["series_list"]],
                         [("视频动作识别", 3)])  # fmt: skip
        empty = Series.objects.get(title="Only drafts")
        self.assertEqual(self.client.get(empty.get_absolute_url()).status_code, 404)
        feed = reverse("notes:series-feed", kwargs={"slug": empty.slug})
        self.assertEqual(self.client.get(feed).status_code, 404)

    def test_series_feeds_carry_published_parts(self) -> None:
        for name in ("notes:series-feed", "notes:series-feed-atom"):
            response = self.client.get(reverse(name, kwargs={"slug": self.series.slug}))
            parsed = feedparser.parse(response.content)
            self.assertFalse(parsed.bozo, name)
            self.assertEqual({e.title for e in parsed.entries}, {"TSN", "I3D", "TSM"})

    def test_series_pages_run_a_fixed_number_of_queries(self) -> None:
        """The site state, the series, its parts' cards; the list: the state, the series."""
        for index in range(2):
            settle()
            with self.assertNumQueries(3):
                self.client.get(self.series.get_absolute_url())
            with self.assertNumQueries(2):
                self.client.get(reverse("notes:series-list"))
            make_note(f"More {index}", series=self.series)

    def test_unknown_series_is_404(self) -> None:
        self.assertEqual(self.client.get("/series/nope/").status_code, 404)


class SeriesImportExportTests(TestCase):
    def test_front_matter_and_series_file_round_trip(self) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            source = Path(tmp) / "in"
            source.mkdir()
            (source / "_series.yml").write_text(
                "- title: 扩散模型入门\n  slug: diffusion\n  description: 从 DDPM 开始。\n",
                encoding="utf-8",
            )
            for position, slug in ((2, "ddim"), (1, "ddpm")):
                (source / f"{slug}.md").write_text(
                    f"---\ntitle: {slug.upper()}\ncategory: GM\nseries: diffusion\n"
                    f"series_position: {position}\n---\n\nBody.\n",
                    encoding="utf-8",
                )
            (source / "extra.md").write_text(
                "---\ntitle: Extra\ncategory: GM\nseries: 新系列\n---\n\nBody.\n", encoding="utf-8"
            )
            report = import_paths([source])
            self.assertEqual(report.errors, [])
            series = Series.objects.get(slug="diffusion")
            self.assertEqual(series.description, "从 DDPM 开始。")
            self.assertEqual(
                [n.slug for n in series.notes.all().in_series_order()], ["ddpm", "ddim"]
            )
            self.assertEqual(Note.objects.get(slug="extra").series.title, "新系列")
            first, second = Path(tmp) / "out1", Path(tmp) / "out2"
            export_notes(first)
            for note in Note.objects.all():
                note.delete()
            Series.objects.all().delete()
            self.assertEqual(import_paths([first]).errors, [])
            export_notes(second)
            for path in sorted(first.iterdir()):
                self.assertEqual(path.read_bytes(), (second / path.name).read_bytes(), path.name)

    def test_bad_position_is_reported(self) -> None:
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bad.md"
            path.write_text("---\ntitle: Bad\nseries: s\nseries_position: first\n---\nx\n",
                            encoding="utf-8")  # fmt: skip
            report = import_paths([path])
            self.assertIn("series_position", report.errors[0][1])


class SeriesMigrationTests(TestCase):
    def test_series_kept_as_unknown_front_matter_becomes_a_series(self) -> None:
        """Notes imported before series existed carry ``series:`` in their kept extras."""
        import importlib

        from django.apps import apps

        migration = importlib.import_module("notes.migrations.0006_series")
        slug_note = make_note("A", extra_front_matter={"series": "PEFT 系列", "series_position": 2})
        odd_note = make_note("B", extra_front_matter={"series": {"name": "x", "part": 1}})
        migration.adopt_series_front_matter(apps, None)
        slug_note.refresh_from_db()
        odd_note.refresh_from_db()
        self.assertEqual((slug_note.series.title, slug_note.series_position), ("PEFT 系列", 2))
        self.assertEqual(slug_note.extra_front_matter, {})
        self.assertIsNone(odd_note.series)
        self.assertEqual(odd_note.extra_front_matter, {"legacy_series": {"name": "x", "part": 1}})
