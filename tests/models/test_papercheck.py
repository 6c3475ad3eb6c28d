"""check_papers on recorded arXiv and Crossref answers: what it queues, that running it twice
queues nothing twice, and what readers see once an editor accepts a finding."""

from __future__ import annotations

from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase

from notes import papercheck
from notes.models import Note, NoteUpdate, Paper, PaperFinding
from tests.factories import make_category, make_note, settle
from tests.recorded import network_down, replaying

ARXIV = {"export.arxiv.org": "arxiv-1111.2011v2.xml"}
CROSSREF = {"api.crossref.org": "crossref-10.1371-journal.ppat.1008184.json"}


def check_papers() -> str:
    out = StringIO()
    call_command("check_papers", stdout=out, stderr=out)
    return out.getvalue()


class CheckPapersTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("Physics")
        # Written on v1 of an arXiv paper since published in Phys. Rev. B (the recorded
        # answer says v2, with a DOI and a journal reference).
        cls.paper = Paper.objects.create(
            title="Quantum Criticality for Extended Nodes on a Bethe Lattice",
            arxiv="1111.2011",
            arxiv_version=1,
            year=2011,
        )
        cls.note = make_note("贝特格子上的量子临界", category=cls.category)
        cls.note.papers.add(cls.paper)
        cls.draft = make_note("草稿", category=cls.category, status=Note.Status.DRAFT)
        cls.draft.papers.add(cls.paper)
        settle()

    def test_a_new_version_and_the_published_version_are_queued(self) -> None:
        with replaying(ARXIV) as requests:
            output = check_papers()
        self.assertEqual(len(requests), 1)
        findings = {f.kind: f for f in PaperFinding.objects.all()}
        self.assertEqual(set(findings), {"new_version", "published"})
        self.assertEqual(findings["new_version"].value, "v2")
        self.assertEqual(findings["published"].detail["doi"], "10.1103/physrevb.85.115117")
        self.assertEqual(findings["published"].detail["venue"], "Phys. Rev. B 85, 115117 (2012)")
        self.assertTrue(all(f.status == "pending" for f in findings.values()))
        self.assertIn("1 checked, 2 new findings", output)
        # Readers see nothing until an editor accepts.
        self.assertNotIn("v2", self.client.get(f"/notes/{self.note.slug}/").content.decode())

    def test_running_it_twice_changes_nothing(self) -> None:
        with replaying(ARXIV):
            check_papers()
            before = list(PaperFinding.objects.values_list("pk", "kind", "value", "status"))
            output = check_papers()
        self.assertEqual(list(PaperFinding.objects.values_list("pk", "kind", "value", "status")),
                         before)  # fmt: skip
        self.assertIn("0 new findings", output)

    def test_a_dismissed_finding_is_not_queued_again(self) -> None:
        with replaying(ARXIV):
            check_papers()
            for finding in PaperFinding.objects.all():
                papercheck.dismiss(finding)
            check_papers()
        self.assertEqual(set(PaperFinding.objects.values_list("status", flat=True)), {"dismissed"})

    def test_an_accepted_new_version_shows_on_the_note_and_joins_its_update_log(self) -> None:
        with replaying(ARXIV):
            check_papers()
        papercheck.accept(PaperFinding.objects.get(kind="new_version"))
        settle()
        page = self.client.get(f"/notes/{self.note.slug}/").content.decode()
        self.assertIn("基于 v1 撰写，v2 已发布", page)
        (update,) = NoteUpdate.objects.filter(note=self.note)
        self.assertIn("基于 v1 撰写，v2 已发布", update.summary)
        self.assertFalse(NoteUpdate.objects.filter(note=self.draft).exists())
        self.assertIn("基于 v1 撰写，v2 已发布", self.client.get("/updates/").content.decode())
        paper_page = self.client.get("/papers/1111.2011/").content.decode()
        self.assertIn("基于 v1 撰写，v2 已发布", paper_page)
        english = self.client.get(f"/en/notes/{self.note.slug}/").content.decode()
        self.assertIn("Written on v1; v2 is out.", english)

    def test_an_accepted_published_version_fills_the_papers_doi_and_venue(self) -> None:
        with replaying(ARXIV):
            check_papers()
        papercheck.accept(PaperFinding.objects.get(kind="published"))
        self.paper.refresh_from_db()
        self.assertEqual(self.paper.doi, "10.1103/physrevb.85.115117")
        self.assertEqual(self.paper.venue, "Phys. Rev. B 85, 115117 (2012)")

    def test_a_paper_seen_first_only_records_its_version(self) -> None:
        Paper.objects.filter(pk=self.paper.pk).update(arxiv_version=None)
        with replaying(ARXIV):
            check_papers()
        self.paper.refresh_from_db()
        self.assertEqual(self.paper.arxiv_version, 2)
        self.assertEqual(list(PaperFinding.objects.values_list("kind", flat=True)), ["published"])

    def test_crossrefs_updated_by_is_queued_as_an_update(self) -> None:
        paper = Paper.objects.create(title="A PLOS paper", doi="10.1371/journal.ppat.1008184")
        self.note.papers.add(paper)
        with replaying(CROSSREF):
            call_command("check_papers", "--paper", paper.doi, stdout=StringIO())
        finding = PaperFinding.objects.get(paper=paper)
        self.assertEqual(finding.kind, "update")
        self.assertEqual(finding.detail["label"], "New version")
        papercheck.accept(finding)
        settle()
        page = self.client.get(f"/papers/{paper.ident}/").content.decode()
        self.assertIn("这篇论文有更新：New version（2020-01-30）", page)

    def test_a_retraction_is_queued_and_once_accepted_shown_on_note_and_paper(self) -> None:
        paper = Paper.objects.create(
            title="Ileal-lymphoid-nodular hyperplasia", doi="10.1016/S0140-6736(97)11096-0"
        )
        self.note.papers.add(paper)
        with replaying({"api.crossref.org": "crossref-10.1016-s0140-6736-97-11096-0.json"}):
            call_command("check_papers", "--paper", paper.doi, stdout=StringIO())
        findings = {f.kind: f for f in PaperFinding.objects.filter(paper=paper)}
        self.assertEqual(set(findings), {"update", "retraction"})
        self.assertEqual(findings["retraction"].detail["date"], "2010-02-06")
        papercheck.accept(findings["retraction"])
        settle()
        notice = "这篇论文已被撤稿（Retraction，2010-02-06）"
        self.assertIn(notice, self.client.get(f"/notes/{self.note.slug}/").content.decode())
        self.assertIn(notice, self.client.get(f"/papers/{paper.ident}/").content.decode())

    def test_a_publishers_correction_is_an_update(self) -> None:
        paper = Paper.objects.create(title="Methylphenidate", doi="10.1371/journal.pone.0033693")
        with replaying({"api.crossref.org": "crossref-10.1371-journal.pone.0033693.json"}):
            call_command("check_papers", "--paper", paper.doi, stdout=StringIO())
        finding = PaperFinding.objects.get(paper=paper)
        self.assertEqual((finding.kind, finding.detail["label"]), ("update", "Correction"))

    def test_an_unreachable_service_is_reported_and_queues_nothing(self) -> None:
        with replaying({"export.arxiv.org": network_down}):
            output = check_papers()
        self.assertIn("could not be reached", output)
        self.assertIn("1 could not be checked", output)
        self.assertFalse(PaperFinding.objects.exists())


class FindingQueueTests(TestCase):
    """The editors' queue in the admin: accept or dismiss."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")
        cls.paper = Paper.objects.create(title="P", arxiv="1111.2011", arxiv_version=1)
        cls.note = make_note("N", category=make_category("C"))
        cls.note.papers.add(cls.paper)
        cls.finding = PaperFinding.objects.create(
            paper=cls.paper, kind="new_version", value="v2", detail={"written": 1, "latest": 2}
        )

    def setUp(self) -> None:
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        self.client.force_login(self.admin)

    def test_the_queue_lists_pending_findings_with_what_readers_would_see(self) -> None:
        page = self.client.get("/admin/notes/paperfinding/?status__exact=pending").content.decode()
        self.assertIn("Written on v1; v2 is out.", page)

    def test_accepting_from_the_queue(self) -> None:
        response = self.client.post(
            "/admin/notes/paperfinding/",
            {"action": "accept", "_selected_action": [self.finding.pk]},
        )
        self.assertEqual(response.status_code, 302)
        self.finding.refresh_from_db()
        self.assertEqual(self.finding.status, "accepted")
        self.assertEqual(NoteUpdate.objects.filter(note=self.note).count(), 1)

    def test_dismissing_from_the_queue_shows_readers_nothing(self) -> None:
        self.client.post(
            "/admin/notes/paperfinding/",
            {"action": "dismiss", "_selected_action": [self.finding.pk]},
        )
        settle()
        self.finding.refresh_from_db()
        self.assertEqual(self.finding.status, "dismissed")
        self.assertNotIn(
            "v2 is out", self.client.get(f"/en/notes/{self.note.slug}/").content.decode()
        )
