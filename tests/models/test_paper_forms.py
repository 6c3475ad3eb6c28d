"""The admin's paper form and the note's list of papers."""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from notes.models import NotePaper, Paper
from tests.factories import form_data, make_note
from tests.models.paper_helpers import (
    LORA,
    QLORA,
    paper_cards,
    text,
)

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
