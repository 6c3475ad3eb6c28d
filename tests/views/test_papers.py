"""/papers/ and /papers/<id>/: what readers may see of the papers, in a fixed number of
queries however many papers and notes there are."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

from django.test import Client, TestCase
from django.utils import timezone

from notes.delivery import state
from notes.models import Note, Paper, PaperFinding
from tests.factories import make_category, make_note, settle, writes_refused


class PaperPagesTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        category = make_category("Large Model")
        cls.lora = Paper.objects.create(
            title="LoRA", authors="Edward J. Hu", year=2021, venue="ICLR", arxiv="2106.09685",
            abstract="We propose Low-Rank Adaptation.",
        )  # fmt: skip
        for index in range(12):
            paper = Paper.objects.create(title=f"Paper {index}", year=2000 + index % 4,
                                         venue=f"Venue {index % 3}")  # fmt: skip
            note = make_note(f"Note {index}", category=category, body="[@arxiv:2106.09685]")
            note.papers.add(paper, cls.lora)
        cls.hidden = Paper.objects.create(title="Only on a draft", arxiv="2401.00001")
        make_note("Draft", category=category, status=Note.Status.DRAFT).papers.add(cls.hidden)
        PaperFinding.objects.create(
            paper=cls.lora, kind="new_version", value="v3", detail={"written": 1, "latest": 3},
            status="accepted",
        )  # fmt: skip
        settle()

    def test_the_index_groups_by_year_and_venue_and_hides_draft_only_papers(self) -> None:
        page = self.client.get("/papers/").content.decode()
        self.assertIn("LoRA", page)
        self.assertIn('<h2 id="year-1">2021</h2>', page)
        self.assertIn("Venue 2", page)
        self.assertNotIn("Only on a draft", page)

    def test_the_finder_filters_by_any_word(self) -> None:
        page = self.client.get("/papers/?q=hu+iclr").content.decode()
        self.assertIn("LoRA", page)
        self.assertNotIn("Paper 1<", page)
        self.assertIn('content="noindex, follow"', page)

    def test_the_paper_page(self) -> None:
        page = self.client.get("/papers/2106.09685/").content.decode()
        for text in ("We propose Low-Rank Adaptation.", "Note 11", "hu2021lora",
                     "基于 v1 撰写，v3 已发布"):  # fmt: skip
            self.assertIn(text, page)
        self.assertEqual(self.client.get("/papers/2401.00001/").status_code, 404)
        self.assertEqual(self.client.get("/papers/2401.00001/cite.bib").status_code, 404)

    def test_each_note_page_links_to_its_papers_pages(self) -> None:
        page = self.client.get(Note.objects.get(title="Note 3").get_absolute_url()).content
        self.assertIn(b'href="/papers/2106.09685/"', page)
        self.assertIn(b'href="/papers/', page)

    def test_pages_run_a_fixed_number_of_queries(self) -> None:
        Client().get("/papers/")
        # The site state (which counts the papers) and the page of papers.
        with self.assertNumQueries(2):
            Client().get("/papers/?page=1")
        with self.assertNumQueries(3):  # a search of the index counts its matches
            Client().get("/papers/?q=venue")
        Client().get("/papers/2106.09685/")
        # The site state, the paper, its notes (listing or citing it), its accepted findings.
        with self.assertNumQueries(4):
            Client().get("/papers/2106.09685/?x=1")

    def test_the_index_counts_what_it_lists(self) -> None:
        """Its page count comes from the site state: a paper brought in or taken away by a
        note, or deleted, changes it at once."""
        listed = len(Paper.objects.discussed())
        self.assertEqual(state.current().papers_count(), listed)
        self.assertEqual(listed, 13)
        make_note("Another", category=make_category("More")).papers.add(self.hidden)
        self.assertEqual(state.current().papers_count(), 14)
        Paper.objects.get(title="Paper 3").delete()
        self.assertEqual(state.current().papers_count(), 13)
        self.assertEqual(self.client.get("/papers/").context["paginator"].count, 13)


class ScheduledPaperTests(TestCase):
    def test_a_scheduled_notes_paper_is_counted_at_its_time_without_a_write(self) -> None:
        category = make_category("定时")
        make_note("已发布", category=category).papers.add(
            Paper.objects.create(title="On the site", arxiv="2106.00001")
        )
        soon = timezone.now() + timedelta(minutes=5)
        scheduled = make_note("定时的", category=category, published_at=soon)
        new = Paper.objects.create(title="Brought by the scheduled note", arxiv="2106.00002")
        scheduled.papers.add(new, Paper.objects.get(arxiv="2106.00001"))
        page = self.client.get("/papers/")
        self.assertEqual(page.context["paginator"].count, 1)
        self.assertNotContains(page, "Brought by the scheduled note")

        later = soon + timedelta(seconds=1)
        with (
            mock.patch("django.utils.timezone.now", return_value=later),
            writes_refused(),
        ):
            page = self.client.get("/papers/")
        self.assertEqual(page.context["paginator"].count, 2)
        self.assertContains(page, "Brought by the scheduled note")
