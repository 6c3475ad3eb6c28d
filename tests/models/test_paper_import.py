"""Papers in imported front matter: created, matched to existing records, or refused."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from django.test import TestCase

from notes.importexport import import_paths
from notes.models import Note, NotePaper, Paper

# --- Import -------------------------------------------------------------------------------


def note_text(slug: str, papers_yaml: str = "") -> str:
    return (
        f"---\ntitle: Note {slug}\nslug: {slug}\ndate: 2026-01-14\ncategory: ML\n{papers_yaml}"
        f"---\nBody of {slug}.\n"
    )


class PaperImportTests(TestCase):
    def setUp(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="research-notes-import-"))
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)

    def write(self, name: str, content: str) -> Path:
        path = self.folder / name
        path.write_text(content, encoding="utf-8")
        return path

    def papers_of(self, slug: str, *fields: str) -> list[dict]:
        """The papers the note lists, in its order."""
        fields = fields or ("title", "authors", "venue", "year", "arxiv", "url", "code_url", "doi")
        return list(
            Paper.objects.filter(note_links__note__slug=slug)
            .order_by("note_links__position", "note_links__id")
            .values(*fields)
        )

    def test_paper_mapping_creates_one_paper(self) -> None:
        path = self.write(
            "lora.md",
            note_text(
                "lora",
                (
                    "paper:\n"
                    "  title: 'LoRA: Low-Rank Adaptation'\n"
                    "  authors: [Edward J. Hu, Yelong Shen]\n"
                    "  venue: ICLR\n"
                    "  year: 2022\n"
                    "  arxiv: 'arXiv:2106.09685v2'\n"
                    "  code: https://github.com/microsoft/LoRA\n"
                    "  doi: https://doi.org/10.48550/arXiv.2106.09685\n"
                ),
            ),
        )
        report = import_paths([path])
        self.assertEqual(report.errors, [])
        self.assertEqual(
            self.papers_of("lora"),
            [
                {
                    "title": "LoRA: Low-Rank Adaptation",
                    "authors": "Edward J. Hu\nYelong Shen",
                    "venue": "ICLR",
                    "year": 2022,
                    "arxiv": "2106.09685",
                    "url": "",
                    "code_url": "https://github.com/microsoft/LoRA",
                    "doi": "10.48550/arxiv.2106.09685",
                }
            ],
        )

    def test_papers_list_creates_papers_in_order(self) -> None:
        path = self.write(
            "laws.md",
            note_text(
                "laws",
                (
                    "papers:\n"
                    "  - {title: Scaling Laws, arxiv: '2001.08361'}\n"
                    "  - {title: Chinchilla, venue: NeurIPS, year: 2022}\n"
                    "  - {title: Another one}\n"
                ),
            ),
        )
        import_paths([path])
        titles = [paper["title"] for paper in self.papers_of("laws")]
        self.assertEqual(titles, ["Scaling Laws", "Chinchilla", "Another one"])

    def test_arxiv_url_alone_gives_the_imported_paper_its_arxiv_id(self) -> None:
        """So the imported note links to other notes on the paper, as one saved in the admin."""
        path = self.write(
            "lora.md",
            note_text("lora", ("paper:\n  title: LoRA\n  url: https://arxiv.org/abs/2106.09685\n")),
        )
        import_paths([path])
        self.assertEqual(self.papers_of("lora")[0]["arxiv"], "2106.09685")

    # --- One record per paper ---

    def test_two_notes_on_the_same_arxiv_paper_share_one_record(self) -> None:
        """The second file names the paper otherwise and differs: the record keeps what it
        has, and only its empty fields are filled from the second file."""
        first = self.write(
            "lora.md",
            note_text(
                "lora",
                "paper:\n  title: 'LoRA: Low-Rank Adaptation'\n  authors: [Edward J. Hu]\n"
                "  year: 2022\n  arxiv: '2106.09685'\n",
            ),
        )
        second = self.write(
            "lora-practice.md",
            note_text(
                "lora-practice",
                "paper:\n  title: LoRA (v2)\n  authors: [E. Hu, Y. Shen]\n  year: 2021\n"
                "  venue: ICLR\n  arxiv: 'arXiv:2106.09685v2'\n"
                "  code: https://github.com/microsoft/LoRA\n  abstract: We propose LoRA.\n",
            ),
        )
        report = import_paths([first, second])
        self.assertEqual(report.errors, [])
        (paper,) = Paper.objects.all()
        self.assertEqual(
            sorted(paper.notes.values_list("slug", flat=True)), ["lora", "lora-practice"]
        )
        self.assertEqual(
            (paper.title, paper.authors, paper.year, paper.arxiv, paper.key),
            ("LoRA: Low-Rank Adaptation", "Edward J. Hu", 2022, "2106.09685", "hu2022lora"),
        )
        self.assertEqual(
            (paper.venue, paper.code_url, paper.abstract),
            ("ICLR", "https://github.com/microsoft/LoRA", "We propose LoRA."),
        )
        # Both notes show the record as it is: the same card on both pages.
        for slug in ("lora", "lora-practice"):
            self.assertEqual(
                [fields["title"] for fields in Note.objects.get(slug=slug).paper_data],
                ["LoRA: Low-Rank Adaptation"],
            )

    def test_papers_are_matched_by_arxiv_id_doi_key_then_title_and_year(self) -> None:
        on_site = {
            "arxiv": Paper.objects.create(title="LoRA", arxiv="2106.09685"),
            "doi": Paper.objects.create(title="DQN", doi="10.1038/nature14236"),
            "key": Paper.objects.create(title="Chinchilla", year=2022, key="chinchilla"),
            "title": Paper.objects.create(title="Scaling Laws", year=2020),
        }
        path = self.write(
            "many.md",
            note_text(
                "many",
                "papers:\n"
                "  - {title: LoRA again, arxiv: 'https://arxiv.org/abs/2106.09685v2'}\n"
                "  - {title: DQN again, doi: 'https://doi.org/10.1038/Nature14236'}\n"
                "  - {title: Chinchilla again, key: chinchilla}\n"
                "  - {title: Scaling Laws, year: 2020}\n"
                "  - {title: Scaling Laws, year: 2021}\n",
            ),
        )
        self.assertEqual(import_paths([path]).errors, [])
        listed = list(Note.objects.get(slug="many").papers.order_by("note_links__position"))
        self.assertEqual(listed[:4], list(on_site.values()))
        self.assertNotIn(listed[4], on_site.values())  # another year: another paper
        self.assertEqual(Paper.objects.count(), 5)

    def test_a_file_listing_one_paper_twice_lists_it_once(self) -> None:
        path = self.write(
            "twice.md",
            note_text(
                "twice",
                "papers:\n"
                "  - {title: LoRA, arxiv: '2106.09685'}\n"
                "  - {title: QLoRA, arxiv: '2305.14314'}\n"
                "  - {title: LoRA again, arxiv: 'arXiv:2106.09685v2'}\n",
            ),
        )
        self.assertEqual(import_paths([path]).errors, [])
        self.assertEqual([p["title"] for p in self.papers_of("twice")], ["LoRA", "QLoRA"])

    def test_reimporting_a_note_does_not_duplicate_its_papers(self) -> None:
        papers = (
            "papers:\n"
            "  - {title: Scaling Laws, arxiv: '2001.08361'}\n"
            "  - {title: Chinchilla, venue: NeurIPS, year: 2022}\n"
            "  - {title: Another one}\n"
        )
        path = self.write("laws.md", note_text("laws", papers))
        self.assertEqual(import_paths([path]).errors, [])
        records = set(Paper.objects.values_list("pk", flat=True))
        self.assertEqual(import_paths([path]).errors, [])
        self.assertEqual(set(Paper.objects.values_list("pk", flat=True)), records)
        self.assertEqual(NotePaper.objects.count(), 3)
        # The file's order wins on a re-import; the records stay the same.
        path.write_text(
            note_text("laws", "papers:\n" + "".join(reversed(papers.splitlines(True)[1:]))),
            encoding="utf-8",
        )
        self.assertEqual(import_paths([path]).errors, [])
        self.assertEqual(
            [p["title"] for p in self.papers_of("laws")],
            ["Another one", "Chinchilla", "Scaling Laws"],
        )
        self.assertEqual(set(Paper.objects.values_list("pk", flat=True)), records)
        self.assertEqual(NotePaper.objects.count(), 3)

    def test_a_paper_dropped_from_the_file_is_no_longer_listed_but_kept(self) -> None:
        """It may be another note's paper too: the record stays on the site."""
        both = (
            "papers:\n"
            "  - {title: LoRA, arxiv: '2106.09685'}\n"
            "  - {title: QLoRA, arxiv: '2305.14314'}\n"
        )
        path = self.write("peft.md", note_text("peft", both))
        import_paths([path])
        path.write_text(note_text("peft", "paper: {title: LoRA, arxiv: '2106.09685'}\n"))
        self.assertEqual(import_paths([path]).errors, [])
        self.assertEqual([p["title"] for p in self.papers_of("peft")], ["LoRA"])
        self.assertTrue(Paper.objects.filter(arxiv="2305.14314").exists())

    def test_invalid_paper_data_fails_that_file_only(self) -> None:
        cases = {
            "unknown key": ("paper:\n  title: X\n  journal: Nature\n", "journal"),
            "missing title": ("paper:\n  venue: ICLR\n", "title"),
            "bad year": ("paper:\n  title: X\n  year: twenty\n", "year"),
            "bad arxiv": ("paper:\n  title: X\n  arxiv: not-an-id\n", "arxiv"),
            "non-http url": ("paper:\n  title: X\n  url: ftp://example.org/x.pdf\n", "url"),
            "paper and papers": ("paper:\n  title: X\npapers:\n  - title: Y\n", "papers"),
        }
        for number, (case, (papers_yaml, word)) in enumerate(cases.items()):
            with self.subTest(case):
                bad = self.write(f"bad-{number}.md", note_text(f"bad-{number}", papers_yaml))
                good = self.write(f"good-{number}.md", note_text(f"good-{number}"))
                report = import_paths([bad, good])
                self.assertEqual([path for path, _ in report.errors], [bad])
                self.assertIn(word, report.errors[0][1])
                self.assertEqual(report.created, [f"good-{number}"])
                self.assertFalse(Note.objects.filter(slug=f"bad-{number}").exists())

    def test_unquoted_arxiv_id_that_lost_a_zero_is_an_error_with_a_hint(self) -> None:
        """YAML reads `arxiv: 2106.09680` as a number and drops the zero: never a wrong id."""
        path = self.write("zero.md", note_text("zero", "paper:\n  title: X\n  arxiv: 2106.09680\n"))
        report = import_paths([path])
        self.assertEqual(len(report.errors), 1)
        self.assertIn("quote", report.errors[0][1])
        self.assertFalse(Paper.objects.exists())
