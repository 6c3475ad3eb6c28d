"""arXiv ids, DOIs and web addresses: normalized, validated, and the same-paper rules."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.test import SimpleTestCase, TestCase
from django.utils import translation

from notes.forms import PaperForm
from notes.importexport import NoteFileError, to_paper
from notes.models import Paper
from notes.papers import (
    normalize_arxiv,
    normalize_doi,
    validate_arxiv,
    validate_doi,
    validate_web_url,
)

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
