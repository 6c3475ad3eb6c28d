"""Revision history in the admin: two versions of a note compared."""

from __future__ import annotations

import re
from html import unescape

from django.urls import reverse

from notes.models import Note, Paper
from tests.models.revisions import RevisionTestCase, changed_field_labels, papers_row, rows_of


class CompareTests(RevisionTestCase):
    def test_compare_shows_the_removed_and_added_body_lines(self) -> None:
        note = self.add_note(body="Intro.\nOld claim about rank.\nOutro.")
        self.edit_note(note, body="Intro.\nNew claim about rank 8.\nOutro.")
        html = self.client.get(self.compare_url(note, *self.versions(note))).content.decode()
        self.assertEqual(rows_of(html, "diff-removed"), ["2 − Old claim about rank."])
        self.assertEqual(rows_of(html, "diff-added"), ["2 + New claim about rank 8."])
        self.assertEqual(rows_of(html, "diff-context"), ["1 1 Intro.", "3 3 Outro."])

    def test_history_links_each_version_to_its_changes_from_the_one_before(self) -> None:
        note = self.add_note(body="One.")
        self.edit_note(note, body="Two.")
        history = self.client.get(reverse("admin:notes_note_history", args=[note.pk]))
        links = re.findall(r'<a href="([^"]*)" class="revision-compare-link">', history.text)
        self.assertEqual(len(links), 1)
        html = self.client.get(unescape(links[0])).content.decode()
        self.assertEqual(rows_of(html, "diff-removed"), ["1 − One."])
        self.assertEqual(rows_of(html, "diff-added"), ["1 + Two."])

    def test_compare_lists_only_the_changed_details_title_and_tags(self) -> None:
        note = self.add_note(title="LoRA", tags="PEFT")
        self.edit_note(note, title="LoRA: low-rank adaptation", tags="PEFT, 微调")
        html = self.client.get(self.compare_url(note, *self.versions(note))).content.decode()
        self.assertEqual(changed_field_labels(html), ["Title", "Tags"])
        self.assertIn("<del>LoRA</del>", html)
        self.assertIn("<ins>LoRA: low-rank adaptation</ins>", html)
        self.assertIn("<ins>PEFT, 微调</ins>", html)

    def test_compare_lists_changed_papers_status_and_summary(self) -> None:
        note = self.add_note(papers=("LoRA: Low-Rank Adaptation",))
        self.edit_note(note, add_paper="QLoRA", status="published", summary="Adapters, briefly.")
        html = self.client.get(self.compare_url(note, *self.versions(note))).content.decode()
        # Publishing an undated draft dates it: the publish date changes too.
        self.assertEqual(
            changed_field_labels(html), ["Status", "Publish date", "Summary", "Papers"]
        )
        self.assertIn("<ins>LoRA: Low-Rank Adaptation\nQLoRA</ins>", html)

    def test_compare_lists_papers_in_the_notes_order_at_the_forms_position(self) -> None:
        """Papers added without touching their position (0, as the form offers) are listed
        in the order they were added, on the note's page and on the compare page alike."""
        alpha, beta = Paper.objects.create(title="Alpha"), Paper.objects.create(title="Beta")
        changes = {"papers-TOTAL_FORMS": "2", "title": "Two papers", "slug": "two"}
        for index, paper in enumerate((alpha, beta)):
            changes[f"papers-{index}-paper"] = str(paper.pk)
            changes[f"papers-{index}-position"] = "0"
        response = self.submit(
            reverse("admin:notes_note_add"), {**changes, "category": str(self.category.pk)}
        )
        self.assertEqual(response.status_code, 302)
        note = Note.objects.get(slug="two")
        self.assertEqual(self.state(note)["papers"], ["Alpha", "Beta"])
        html = self.client.get(self.compare_url(note, None, self.versions(note)[0])).content
        self.assertEqual(papers_row(html.decode())[1], "<ins>Alpha\nBeta</ins>")

    def test_compare_any_two_versions_reads_older_to_newer(self) -> None:
        note = self.add_note(body="A")
        self.edit_note(note, body="B")
        self.edit_note(note, body="C")
        first, _, last = self.versions(note)
        # Picked in either order, the diff reads from the older version to the newer.
        html = self.client.get(self.compare_url(note, last, first)).content.decode()
        self.assertEqual(rows_of(html, "diff-removed"), ["1 − A"])
        self.assertEqual(rows_of(html, "diff-added"), ["1 + C"])

    def test_compare_escapes_markup_in_the_body(self) -> None:
        note = self.add_note(body="Plain.")
        self.edit_note(note, body='Plain.\n<script>alert("x")</script>')
        html = self.client.get(self.compare_url(note, *self.versions(note))).content.decode()
        self.assertNotIn('<script>alert("x")</script>', html)
        self.assertIn("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;", html)

    def test_compare_refuses_a_version_of_another_note(self) -> None:
        note = self.add_note()
        other = self.add_note(title="Other", slug="other")
        [version] = self.versions(other)
        response = self.client.get(self.compare_url(note, None, version))
        self.assertEqual(response.status_code, 404)
