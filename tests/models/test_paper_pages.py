"""Saving a paper, and how notes show it: citation cards, list venues, notes on the same paper."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from django.test import TestCase
from django.urls import reverse

from notes.importexport import import_paths
from notes.models import Note, Paper
from tests.factories import make_category, make_note
from tests.models.paper_helpers import (
    LORA,
    QLORA,
    add_papers,
    links,
    paper_cards,
    parse_bibtex,
    text,
)

# --- Model --------------------------------------------------------------------------------


class PaperSaveTests(TestCase):
    def test_save_stores_the_bare_arxiv_id(self) -> None:
        paper = Paper.objects.create(title="LoRA", arxiv="arXiv:2106.09685v2")
        paper.refresh_from_db()
        self.assertEqual(paper.arxiv, "2106.09685")

    def test_save_takes_the_arxiv_id_from_an_arxiv_url(self) -> None:
        paper = Paper.objects.create(title="LoRA", url="https://arxiv.org/pdf/2106.09685v3.pdf")
        paper.refresh_from_db()
        self.assertEqual(paper.arxiv, "2106.09685")

    def test_save_leaves_the_arxiv_id_empty_for_other_urls(self) -> None:
        paper = Paper.objects.create(title="X", url="https://example.org/x.pdf")
        paper.refresh_from_db()
        self.assertEqual(paper.arxiv, "")

    def test_a_paper_without_a_key_gets_one_made_from_author_year_and_title(self) -> None:
        paper = Paper.objects.create(**LORA)
        paper.refresh_from_db()
        self.assertEqual(paper.key, "hu2022lora")

    def test_a_key_taken_by_another_paper_gets_a_letter(self) -> None:
        keys = [
            Paper.objects.create(title=f"LoRA {n}", authors="Edward J. Hu", year=2022).key
            for n in range(3)
        ]
        self.assertEqual(keys, ["hu2022lora", "hu2022lora-b", "hu2022lora-c"])

    def test_a_key_the_editor_chose_is_kept(self) -> None:
        paper = Paper.objects.create(**LORA, key="lora")
        paper.title = "LoRA, renamed"
        paper.save()
        paper.refresh_from_db()
        self.assertEqual(paper.key, "lora")

    def test_a_paper_is_found_and_addressed_by_its_arxiv_id_else_its_key(self) -> None:
        lora = Paper.objects.create(**LORA)
        dqn = Paper.objects.create(
            title="Human-level control",
            authors="Volodymyr Mnih",
            year=2015,
            doi="10.1038/nature14236",
        )
        self.assertEqual(lora.get_absolute_url(), "/papers/2106.09685/")
        self.assertEqual(lora.get_bibtex_url(), "/papers/2106.09685/cite.bib")
        self.assertEqual(dqn.get_absolute_url(), "/papers/mnih2015humanlevel/")
        for ident, paper in (
            ("2106.09685", lora),
            ("arXiv:2106.09685v2", lora),
            ("hu2022lora", lora),
            ("10.1038/Nature14236", dqn),
            ("mnih2015humanlevel", dqn),
        ):
            with self.subTest(ident):
                self.assertEqual(Paper.objects.find(ident), paper)
        self.assertIsNone(Paper.objects.find("2305.14314"))


# --- Pages --------------------------------------------------------------------------------


class CitationCardTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.note = make_note("LoRA 与 QLoRA")
        cls.lora, cls.qlora = add_papers(cls.note, LORA, QLORA)
        cls.draft = make_note("Draft on LoRA and DPO", status=Note.Status.DRAFT)
        # The draft lists LoRA too (the same record) and a paper no published note lists.
        cls.draft.papers.add(cls.lora)
        (cls.draft_paper,) = add_papers(
            cls.draft, {"title": "Direct Preference Optimization", "arxiv": "2305.18290"}
        )

    def cards(self) -> list[str]:
        return paper_cards(self.client.get(self.note.get_absolute_url()).content.decode())

    def test_detail_page_has_one_card_per_paper_in_order(self) -> None:
        titles = [
            text(re.search(r'<p class="paper-title">(.*?)</p>', card).group(1))
            for card in self.cards()
        ]
        self.assertEqual(titles, [LORA["title"], QLORA["title"]])

    def test_card_lists_the_authors(self) -> None:
        self.assertIn("Edward J. Hu, Yelong Shen, Phillip Wallis", text(self.cards()[0]))

    def test_card_shows_venue_and_year(self) -> None:
        venue = re.search(r'<span class="paper-venue">(.*?)</span>', self.cards()[0]).group(1)
        self.assertEqual(text(venue), "ICLR 2022")

    def test_paper_title_links_to_the_papers_page_on_this_site(self) -> None:
        self.assertEqual(links(self.cards()[0])[LORA["title"]], "/papers/2106.09685/")
        page = self.client.get("/papers/2106.09685/")
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, f'<h1 class="page-title">{LORA["title"]}</h1>', html=True)
        # The paper's page lists the published note on it, not the draft.
        self.assertContains(page, self.note.get_absolute_url())
        self.assertNotContains(page, self.draft.title)

    def test_card_links_to_the_arxiv_abstract(self) -> None:
        self.assertEqual(
            links(self.cards()[0])["arXiv:2106.09685"], "https://arxiv.org/abs/2106.09685"
        )

    def test_card_links_to_the_code(self) -> None:
        self.assertEqual(links(self.cards()[0])["代码"], LORA["code_url"])

    def test_card_without_code_has_no_code_link(self) -> None:
        self.assertNotIn("代码", links(self.cards()[1]))

    def test_bibtex_link_downloads_the_entry(self) -> None:
        href = links(self.cards()[0])["BibTeX"]
        self.assertEqual(href, "/papers/2106.09685/cite.bib")
        response = self.client.get(href)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"].split(";")[0], "application/x-bibtex")
        self.assertEqual(response["Content-Disposition"], 'attachment; filename="hu2022lora.bib"')
        self.assertEqual(response.content.decode(), self.lora.bibtex())
        self.assertEqual(parse_bibtex(response.content.decode())[1], "hu2022lora")

    def test_a_stored_script_address_is_never_a_link(self) -> None:
        """The form refuses javascript: and other schemes; a paper stored past it (the shell,
        a data migration) must still not become a link that runs script."""
        note = make_note("Stored past the form")
        add_papers(
            note,
            {"title": "Hostile", "url": " JavaScript:alert(1)", "code_url": "vbscript:x"},
            {"title": "Hostile with DOI", "url": "javascript:alert(1)", "doi": "10.1/x"},
        )
        note.refresh_from_db()
        cards = paper_cards(self.client.get(note.get_absolute_url()).content.decode())
        for card in cards:
            hrefs = list(links(card).values())
            self.assertFalse([href for href in hrefs if "script:" in href.lower()], hrefs)
        # The title is the paper's page here; no link to the paper's own (hostile) address
        # nor to its code.
        self.assertTrue(links(cards[0])["Hostile"].startswith("/papers/"))
        self.assertNotIn("论文", links(cards[0]))
        self.assertNotIn("代码", links(cards[0]))
        self.assertEqual(links(cards[1])["DOI"], "https://doi.org/10.1/x")

    def test_a_paper_known_only_by_its_address_links_to_it(self) -> None:
        note = make_note("On a web paper")
        add_papers(note, {"title": "Web only", "url": "https://example.org/paper"})
        (card,) = paper_cards(self.client.get(note.get_absolute_url()).content.decode())
        self.assertEqual(links(card)["论文"], "https://example.org/paper")
        self.assertTrue(links(card)["Web only"].startswith("/papers/"))

    def test_a_paper_only_a_draft_lists_has_no_page_and_no_bibtex(self) -> None:
        for url in (
            self.draft_paper.get_absolute_url(),
            self.draft_paper.get_bibtex_url(),
            "/papers/2305.18290/",
            "/papers/2305.18290/cite.bib",
        ):
            with self.subTest(url):
                self.assertEqual(self.client.get(url).status_code, 404)

    def test_a_paper_a_draft_and_a_published_note_list_has_its_page(self) -> None:
        for url in (self.lora.get_absolute_url(), self.lora.get_bibtex_url()):
            with self.subTest(url):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_the_old_bibtex_address_moved_for_good_to_the_papers(self) -> None:
        old = reverse("notes:bibtex", kwargs={"slug": self.note.slug, "pk": self.lora.pk})
        self.assertTrue(old.endswith(f"/papers/{self.lora.pk}.bib"), old)
        response = self.client.get(old)
        self.assertRedirects(
            response, "/papers/2106.09685/cite.bib", status_code=301, fetch_redirect_response=False
        )
        self.assertEqual(self.client.get(response["Location"]).content.decode(), self.lora.bibtex())

    def test_the_old_bibtex_address_of_a_paper_only_a_draft_lists_is_not_found(self) -> None:
        url = reverse("notes:bibtex", kwargs={"slug": self.note.slug, "pk": self.draft_paper.pk})
        self.assertEqual(self.client.get(url).status_code, 404)


class ListVenueTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("大模型 LLM")
        cls.with_paper = make_note("Note with paper", category=cls.category)
        add_papers(cls.with_paper, LORA, QLORA)
        cls.without_paper = make_note("Note without paper", category=cls.category)

    def meta_line(self, note: Note) -> str:
        html = self.client.get(reverse("notes:list")).content.decode()
        items = re.findall(r'<article class="note-item">.*?</article>', html, re.DOTALL)
        (item,) = [item for item in items if f'href="{note.get_absolute_url()}"' in item]
        return re.search(r'<p class="note-meta">(.*?)</p>', item, re.DOTALL).group(1)

    def test_venue_and_year_of_the_first_paper_follow_the_category(self) -> None:
        meta = self.meta_line(self.with_paper)
        self.assertRegex(
            meta,
            r'class="category-label"[^>]*>大模型 LLM</a>\s*<span class="paper-venue"[^>]*>'
            r"ICLR 2022</span>",
        )

    def test_note_without_paper_shows_no_venue(self) -> None:
        self.assertNotIn("paper-venue", self.meta_line(self.without_paper))


class SamePaperTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.first = make_note("LoRA explained")
        (cls.lora,) = add_papers(cls.first, {"title": "LoRA", "arxiv": "2106.09685"})
        # Notes on the same paper list the same record.
        cls.second = make_note("LoRA in practice")
        cls.second.papers.add(cls.lora)
        cls.draft = make_note("LoRA draft", status=Note.Status.DRAFT)
        cls.draft.papers.add(cls.lora)
        cls.other = make_note("Attention is all you need")
        add_papers(cls.other, {"title": "Transformer", "arxiv": "1706.03762"})

    def related(self, note: Note) -> list[str]:
        """Titles under 'Other notes on this paper' on the note's page."""
        html = self.client.get(note.get_absolute_url()).content.decode()
        match = re.search(
            r'<aside class="related" aria-labelledby="same-paper-title">(.*?)</aside>',
            html,
            re.DOTALL,
        )
        if not match:
            return []
        return [text(title) for title in re.findall(r"<li>(.*?)</li>", match.group(1))]

    def test_notes_on_the_same_arxiv_paper_link_to_each_other(self) -> None:
        self.assertIn("LoRA in practice", self.related(self.first))
        self.assertIn("LoRA explained", self.related(self.second))

    def test_an_imported_note_naming_the_paper_otherwise_is_on_the_same_paper(self) -> None:
        """Its file wrote the id differently (arXiv:2106.09685v2, or only an arxiv.org
        address): the same record, so the notes link to each other."""
        for number, paper in enumerate(
            (
                "{title: LoRA (v2), arxiv: 'arXiv:2106.09685v2'}",
                "{title: LoRA, url: 'https://arxiv.org/abs/2106.09685'}",
            )
        ):
            with self.subTest(paper), tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"imported-{number}.md"
                path.write_text(
                    f"---\ntitle: Imported on LoRA {number}\ndate: 2026-01-14\ncategory: ML\n"
                    f"paper: {paper}\n---\nBody.\n",
                    encoding="utf-8",
                )
                self.assertEqual(import_paths([path]).errors, [])
                imported = Note.objects.get(slug=f"imported-{number}")
                self.assertEqual(list(imported.papers.all()), [self.lora])
                self.assertIn(f"Imported on LoRA {number}", self.related(self.first))
                self.assertIn("LoRA explained", self.related(imported))
        self.assertEqual(Paper.objects.filter(arxiv="2106.09685").count(), 1)

    def test_draft_on_the_same_paper_is_not_linked(self) -> None:
        self.assertEqual(self.related(self.first), ["LoRA in practice"])
        self.assertEqual(self.related(self.second), ["LoRA explained"])

    def test_section_has_its_heading(self) -> None:
        html = self.client.get(self.first.get_absolute_url()).content.decode()
        self.assertIn("同一篇论文的其他笔记", html)

    def test_note_on_another_paper_has_no_such_section(self) -> None:
        self.assertEqual(self.related(self.other), [])
