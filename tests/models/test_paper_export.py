"""Papers in exported front matter, and an export that imports back unchanged."""

from __future__ import annotations

import shutil
import tempfile
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import yaml
from django.core.management import call_command
from django.test import TestCase
from django.utils import timezone
from taggit.models import Tag

from notes.importexport import import_paths
from notes.models import Category, Note, NotePaper, Paper
from tests.factories import make_category, make_note
from tests.models.paper_helpers import (
    LORA,
    QLORA,
    add_papers,
)

# --- Export -------------------------------------------------------------------------------


class PaperExportTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("ML")
        published_at = timezone.now() - timedelta(days=3)
        cls.one = make_note("One paper", slug="one", category=category, published_at=published_at)
        add_papers(cls.one, LORA)
        cls.two = make_note("Two papers", slug="two", category=category, published_at=published_at)
        add_papers(cls.two, QLORA, {"title": "Untitled venue", "url": "https://example.org/p"})
        cls.none = make_note("No paper", slug="none", category=category, published_at=published_at)
        # A note on a paper "one" lists too, with a chosen key, a date, a PDF and an abstract.
        cls.shared = make_note(
            "Shared paper", slug="shared", category=category, published_at=published_at
        )
        attention = Paper.objects.create(
            title="Attention Is All You Need",
            authors="Ashish Vaswani\nNoam Shazeer",
            year=2017,
            venue="NeurIPS",
            published=date(2017, 6, 12),
            arxiv="1706.03762",
            pdf_url="https://example.org/attention.pdf",
            abstract="The dominant sequence transduction models…\nSecond line: 注意力.",
            key="transformer",
        )
        NotePaper.objects.create(note=cls.shared, paper=attention, position=0)
        NotePaper.objects.create(note=cls.shared, paper=cls.one.papers.get(), position=1)

    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="research-notes-export-"))
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)

    def export(self, name: str) -> Path:
        call_command("export_notes", str(self.folder / name), stdout=StringIO())
        return self.folder / name

    def front_matter(self, slug: str) -> dict:
        text = (self.export("out") / f"{slug}.md").read_text(encoding="utf-8")
        return yaml.safe_load(text.split("---\n")[1])

    def test_one_paper_is_written_as_a_paper_mapping(self) -> None:
        meta = self.front_matter("one")
        self.assertNotIn("papers", meta)
        self.assertEqual(
            meta["paper"],
            {
                "title": LORA["title"],
                "authors": ["Edward J. Hu", "Yelong Shen", "Phillip Wallis"],
                "venue": "ICLR",
                "year": 2022,
                "arxiv": "2106.09685",
                "code": LORA["code_url"],
            },
        )

    def test_two_papers_are_written_as_a_papers_list(self) -> None:
        meta = self.front_matter("two")
        self.assertNotIn("paper", meta)
        self.assertEqual(
            [paper["title"] for paper in meta["papers"]], [QLORA["title"], "Untitled venue"]
        )

    def test_note_without_paper_has_no_paper_key(self) -> None:
        meta = self.front_matter("none")
        self.assertNotIn("paper", meta)
        self.assertNotIn("papers", meta)

    def test_a_chosen_key_a_date_a_pdf_and_an_abstract_are_written(self) -> None:
        """A key made from the authors, year and title is not written (the import makes it
        again); one an editor chose is."""
        attention, lora = self.front_matter("shared")["papers"]
        self.assertEqual(
            attention,
            {
                "title": "Attention Is All You Need",
                "authors": ["Ashish Vaswani", "Noam Shazeer"],
                "venue": "NeurIPS",
                "year": 2017,
                "published": date(2017, 6, 12),
                "pdf": "https://example.org/attention.pdf",
                "arxiv": "1706.03762",
                "key": "transformer",
                "abstract": "The dominant sequence transduction models…\nSecond line: 注意力.",
            },
        )
        self.assertEqual(lora, self.front_matter("one")["paper"])
        self.assertNotIn("key", lora)

    def test_export_import_export_keeps_papers_identical(self) -> None:
        first = self.export("a")
        Note.objects.all().delete()
        Category.objects.all().delete()
        Tag.objects.all().delete()
        Paper.objects.all().delete()  # records of their own: an empty site has none
        report = import_paths([first])
        self.assertEqual(report.errors, [])
        # LoRA, listed by two notes, is one record again, with both its notes.
        self.assertEqual(Paper.objects.count(), 4)
        self.assertEqual(
            sorted(Paper.objects.get(arxiv="2106.09685").notes.values_list("slug", flat=True)),
            ["one", "shared"],
        )
        self.assertEqual(Paper.objects.get(arxiv="1706.03762").key, "transformer")
        second = self.export("b")
        files = sorted(path.name for path in first.iterdir())
        self.assertEqual(sorted(path.name for path in second.iterdir()), files)
        for name in files:
            with self.subTest(name):
                self.assertEqual((second / name).read_bytes(), (first / name).read_bytes())
