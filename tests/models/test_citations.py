"""Citations in a note's text, with the site's papers: numbered, listed under References,
kept in step when a paper is added, renamed or edited, and shown on the paper's page."""

from __future__ import annotations

from django.test import TestCase

from notes.models import Note, Paper
from tests.factories import make_category, make_note, settle


class CitationTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("Large Model")
        cls.lora = Paper.objects.create(
            title="LoRA: Low-Rank Adaptation of Large Language Models",
            authors="Edward J. Hu\nYelong Shen",
            year=2021,
            arxiv="2106.09685",
        )

    def cite(self, body: str, **fields) -> Note:
        note = make_note("QLoRA 笔记", category=self.category, body=body, **fields)
        settle()
        note.refresh_from_db()
        return note

    def test_a_citation_by_arxiv_id_is_numbered_and_listed(self) -> None:
        note = self.cite("量化之后再用 LoRA [@arxiv:2106.09685]，显存大减。")
        self.assertIn('<a class="cite" href="#ref-1" id="cite-1"', note.body_html)
        self.assertIn('<section class="references" aria-labelledby="references">', note.body_html)
        self.assertIn("参考文献", note.body_html)
        self.assertIn("LoRA: Low-Rank Adaptation", note.body_html)
        self.assertEqual(list(note.cites.all()), [self.lora])
        self.assertEqual(note.render_warnings, [])

    def test_key_and_id_spellings_are_one_reference(self) -> None:
        note = self.cite(f"见 [@{self.lora.key}]，又见 [@arXiv:2106.09685v2, p. 3]。")
        self.assertEqual(note.body_html.count('<li id="ref-'), 1)
        self.assertIn("[1, p. 3]", note.body_html)

    def test_an_unknown_key_warns_and_is_marked(self) -> None:
        note = self.cite("见 [@nosuch2020paper]。")
        self.assertIn("cite-missing", note.body_html)
        self.assertIn("Unknown citation: @nosuch2020paper", note.render_warnings)

    def test_a_paper_added_later_resolves_the_citation(self) -> None:
        note = self.cite("见 [@doi:10.1038/nature14236]。")
        self.assertIn("cite-missing", note.body_html)
        paper = Paper.objects.create(
            title="Human-level control through deep reinforcement learning",
            authors="Volodymyr Mnih",
            year=2015,
            venue="Nature",
            doi="10.1038/NATURE14236",
        )
        settle()
        note.refresh_from_db()
        self.assertNotIn("cite-missing", note.body_html)
        self.assertIn("Human-level control", note.body_html)
        self.assertEqual(list(note.cites.all()), [paper])

    def test_editing_the_paper_updates_the_reference_list(self) -> None:
        note = self.cite("见 [@arxiv:2106.09685]。")
        self.lora.title = "LoRA (revised title)"
        self.lora.save()
        settle()
        note.refresh_from_db()
        self.assertIn("LoRA (revised title)", note.body_html)

    def test_a_renamed_key_leaves_the_old_citation_unresolved_with_a_warning(self) -> None:
        note = self.cite(f"见 [@{self.lora.key}]。")
        self.lora.key = "lora"
        self.lora.save()
        settle()
        note.refresh_from_db()
        self.assertIn("cite-missing", note.body_html)
        self.assertEqual(list(note.cites.all()), [])

    def test_english_notes_use_the_english_style_and_heading(self) -> None:
        note = self.cite("Low-rank updates [@arxiv:2106.09685] fine-tune large models cheaply.")
        self.assertIn(">References</h2>", note.body_html)
        self.assertIn("E. J. Hu and Y. Shen, “", note.body_html)

    def test_the_paper_page_lists_the_notes_citing_it_only_when_public(self) -> None:
        self.cite("见 [@arxiv:2106.09685]。")
        draft = make_note(
            "草稿", category=self.category, body="[@arxiv:2106.09685]", status=Note.Status.DRAFT
        )
        settle()
        page = self.client.get("/papers/2106.09685/").content.decode()
        self.assertIn("QLoRA 笔记", page)
        self.assertNotIn(draft.title, page)

    def test_a_paper_only_cited_by_a_draft_has_no_page(self) -> None:
        make_note("草稿", category=self.category, body="[@arxiv:2106.09685]",
                  status=Note.Status.DRAFT)  # fmt: skip
        settle()
        self.assertEqual(self.client.get("/papers/2106.09685/").status_code, 404)
        self.assertNotIn("2106.09685", self.client.get("/papers/").content.decode())

    def test_the_feed_carries_the_citations_and_references(self) -> None:
        self.cite("见 [@arxiv:2106.09685]。")
        feed = self.client.get("/feed/atom/").content.decode()
        self.assertIn("参考文献", feed)
        self.assertIn("LoRA: Low-Rank Adaptation", feed)


class ReferencesFileTests(TestCase):
    """/notes/<slug>/references.bib: every paper a note cites, read back by a BibTeX parser."""

    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("Large Model")
        Paper.objects.create(title="LoRA: {Low-Rank} Adaptation", authors="Edward J. Hu",
                             year=2021, arxiv="2106.09685")  # fmt: skip
        Paper.objects.create(title="QLoRA & friends", authors="Tim Dettmers", year=2023,
                             venue="NeurIPS", arxiv="2305.14314")  # fmt: skip
        body = "[@arxiv:2106.09685; @arxiv:2305.14314] and [@nosuch]."
        cls.note = make_note("引用两篇", category=category, body=body)
        cls.draft = make_note("草稿", category=category, body=body, status=Note.Status.DRAFT)
        cls.plain = make_note("不引用", category=category, body="No citations.")
        settle()

    def test_the_file_holds_each_cited_paper_once(self) -> None:
        import bibtexparser
        from bibtexparser.middlewares import LatexDecodingMiddleware

        response = self.client.get(f"/notes/{self.note.slug}/references.bib")
        self.assertEqual(response["Content-Type"], "application/x-bibtex; charset=utf-8")
        library = bibtexparser.parse_string(
            response.content.decode(), append_middleware=[LatexDecodingMiddleware()]
        )
        self.assertEqual(library.failed_blocks, [])
        entries = {entry.key: entry for entry in library.entries}
        self.assertEqual(sorted(entries), ["dettmers2023qlora", "hu2021lora"])
        self.assertEqual(entries["dettmers2023qlora"]["title"], "QLoRA & friends")

    def test_the_note_page_links_to_it_only_when_the_note_cites(self) -> None:
        link = f"{self.note.get_absolute_url()}references.bib"
        self.assertIn(link, self.client.get(f"/notes/{self.note.slug}/").content.decode())
        page = self.client.get(f"/notes/{self.plain.slug}/").content.decode()
        self.assertNotIn("references.bib", page)

    def test_drafts_and_notes_without_citations_have_none(self) -> None:
        for note in (self.draft, self.plain):
            with self.subTest(note=note.title):
                response = self.client.get(f"/notes/{note.slug}/references.bib")
                self.assertEqual(response.status_code, 404)
