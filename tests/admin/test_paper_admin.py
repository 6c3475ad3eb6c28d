"""The papers admin: a paper filled in from its identifier (recorded answers), the editor's
own text kept, failures answered on the form with nothing lost, and papers chosen on notes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.test import TestCase

from notes.models import Note, Paper
from tests.factories import INLINE_MANAGEMENT, make_category, make_note
from tests.recorded import network_down, replaying

ADD = "/admin/notes/paper/add/"
FIELDS = (
    "arxiv", "arxiv_version", "doi", "title", "authors", "venue", "year", "published", "url",
    "pdf_url", "code_url", "abstract", "key",
)  # fmt: skip
# The form's fields, empty, and its findings inline's management form (no rows), as sent.
EMPTY = {
    **dict.fromkeys(FIELDS, ""),
    "findings-TOTAL_FORMS": "0", "findings-INITIAL_FORMS": "0",
    "findings-MIN_NUM_FORMS": "0", "findings-MAX_NUM_FORMS": "1000",
}  # fmt: skip


class FetchDetailsTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")

    def setUp(self) -> None:
        # The admin in English (its Chinese is checked by tests/test_translations.py).
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.client.force_login(self.admin)

    def fetch(self, **fields):
        return self.client.post(ADD, {**EMPTY, **fields, "_fetch": "1"})

    def messages(self, response) -> list[str]:
        return [str(message) for message in get_messages(response.wsgi_request)]

    def test_the_form_offers_the_button(self) -> None:
        page = self.client.get(ADD).content.decode()
        self.assertIn('name="_fetch"', page)

    def test_an_arxiv_id_fills_the_empty_fields_and_saves_nothing_yet(self) -> None:
        with replaying({"export.arxiv.org": "arxiv-1605.08386.json"}) as requests:
            response = self.fetch(arxiv="https://arxiv.org/abs/1605.08386v1")
        self.assertEqual(len(requests), 1)
        self.assertEqual(response.status_code, 200)
        form = response.context["adminform"].form
        self.assertEqual(form["title"].value(), "Heat-bath random walks with Markov bases")
        self.assertEqual(form["authors"].value(), "Caprice Stanley\nTobias Windisch")
        self.assertEqual(form["year"].value(), "2016")
        self.assertEqual(form["published"].value(), "2016-05-26")
        self.assertEqual(form["url"].value(), "https://arxiv.org/abs/1605.08386")
        self.assertTrue(form["abstract"].value().startswith("Graphs on lattice points"))
        page = response.content.decode()
        self.assertIn("Not saved yet", page)
        self.assertNotIn("This field is required", page)
        self.assertEqual(
            self.messages(response),
            [
                "Filled in: Title, Authors, Year, Published, Paper URL, PDF URL, ArXiv version, "
                "Abstract."
            ],
        )
        self.assertFalse(Paper.objects.exists())
        # Saving what the form shows stores the paper.
        data = {**EMPTY, **{name: form[name].value() or "" for name in FIELDS}}
        saved = self.client.post(ADD, data)
        self.assertEqual(saved.status_code, 302)
        paper = Paper.objects.get()
        self.assertEqual(
            (paper.arxiv, paper.year, paper.key), ("1605.08386", 2016, "stanley2016heatbath")
        )

    def test_the_editors_own_text_is_kept_and_the_fetched_one_shown(self) -> None:
        with replaying({"export.arxiv.org": "arxiv-1605.08386.json"}):
            response = self.fetch(arxiv="1605.08386", title="Heat-bath walks (my title)")
        form = response.context["adminform"].form
        self.assertEqual(form["title"].value(), "Heat-bath walks (my title)")
        self.assertEqual(form["authors"].value(), "Caprice Stanley\nTobias Windisch")
        warnings = [m for m in self.messages(response) if "kept as you wrote it" in m]
        self.assertEqual(len(warnings), 1)
        self.assertIn("Heat-bath random walks with Markov bases", warnings[0])

    def test_a_doi_is_asked_of_crossref(self) -> None:
        with replaying({"api.crossref.org": "crossref-10.7554-elife.01567.json"}) as requests:
            response = self.fetch(doi="https://doi.org/10.7554/eLife.01567")
        self.assertIn("10.7554/elife.01567", str(requests[0].url).lower())
        form = response.context["adminform"].form
        self.assertTrue(form["title"].value())
        self.assertEqual(form["venue"].value(), "eLife")

    def test_network_down_says_so_and_keeps_what_was_typed(self) -> None:
        with replaying({"export.arxiv.org": network_down}):
            response = self.fetch(arxiv="1605.08386", title="Typed by hand", venue="Somewhere")
        page = response.content.decode()
        self.assertIn("Details could not be fetched", page)
        form = response.context["adminform"].form
        self.assertEqual(form["title"].value(), "Typed by hand")
        self.assertEqual(form["venue"].value(), "Somewhere")
        self.assertFalse(Paper.objects.exists())
        # The form still saves as typed.
        data = {**EMPTY, "arxiv": "1605.08386", "title": "Typed by hand", "venue": "Somewhere"}
        self.assertEqual(self.client.post(ADD, data).status_code, 302)

    def test_an_unknown_id_is_not_found(self) -> None:
        with replaying({"export.arxiv.org": "arxiv-empty-0000.0000.json"}):
            response = self.fetch(arxiv="2401.00001")
        self.assertIn("Details could not be fetched", response.content.decode())
        self.assertFalse(Paper.objects.exists())

    def test_fetching_without_an_identifier_asks_for_one(self) -> None:
        with replaying({}) as requests:
            response = self.fetch(title="Only a title")
        self.assertEqual(requests, [])
        self.assertIn("Paste an arXiv id or URL, or a DOI", response.content.decode())

    def test_a_paper_already_on_the_site_is_named(self) -> None:
        Paper.objects.create(title="Heat-bath random walks", arxiv="1605.08386")
        response = self.client.post(ADD, {**EMPTY, "arxiv": "1605.08386", "title": "Again"})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Paper.objects.count(), 1)


class NotePaperChoiceTests(TestCase):
    """A note chooses shared papers; two notes choosing one paper share its record."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")
        cls.category = make_category("Large Model")
        cls.paper = Paper.objects.create(title="LoRA", arxiv="2106.09685", authors="Edward J. Hu")

    def setUp(self) -> None:
        self.client.force_login(self.admin)

    def test_two_notes_choose_the_same_paper(self) -> None:
        for title in ("LoRA 笔记", "LoRA 再读"):
            note = make_note(title, category=self.category)
            data = {
                **INLINE_MANAGEMENT,
                "title": note.title, "slug": note.slug, "category": self.category.pk,
                "status": Note.Status.PUBLISHED, "body": note.body, "language": "",
                "tags": "", "summary": "", "short_title": "", "series_position": "",
                "published_at_0": "2026-01-01", "published_at_1": "10:00:00",
                "papers-TOTAL_FORMS": "1", "papers-0-paper": self.paper.pk,
                "papers-0-position": "0",
            }  # fmt: skip
            response = self.client.post(f"/admin/notes/note/{note.pk}/change/", data)
            self.assertEqual(response.status_code, 302, response.content.decode()[:2000])
        self.assertEqual(Paper.objects.count(), 1)
        self.assertEqual(
            sorted(self.paper.notes.values_list("title", flat=True)), ["LoRA 再读", "LoRA 笔记"]
        )
        page = self.client.get("/papers/2106.09685/").content.decode()
        self.assertIn("LoRA 笔记", page)
        self.assertIn("LoRA 再读", page)

    def test_the_paper_field_looks_papers_up_by_id(self) -> None:
        response = self.client.get(
            "/admin/autocomplete/",
            {"term": "2106.09685", "app_label": "notes", "model_name": "notepaper",
             "field_name": "paper"},
        )  # fmt: skip
        self.assertEqual([r["text"] for r in response.json()["results"]], ["LoRA"])
