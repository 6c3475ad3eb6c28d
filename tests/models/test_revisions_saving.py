"""Revision history in the admin: every save is kept, holding what the editor wrote."""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from django.urls import reverse
from reversion.models import Version

from notes.importexport import import_paths
from notes.models import Note
from notes.revisions import NOTE_FIELDS
from tests.factories import make_note
from tests.models.revisions import CHANGELIST, RevisionTestCase


class SavingKeepsRevisionsTests(RevisionTestCase):
    def test_every_admin_save_keeps_a_revision_with_the_editor_and_the_body(self) -> None:
        note = self.add_note(body="First draft.")
        self.edit_note(note, body="Second draft.")
        versions = self.versions(note)
        self.assertEqual(
            [v.field_dict["body"] for v in versions], ["First draft.", "Second draft."]
        )
        self.assertEqual({v.revision.user for v in versions}, {self.admin})

    def test_history_page_lists_each_version_with_who_and_when(self) -> None:
        note = self.add_note()
        self.edit_note(note, title="LoRA, revised")
        html = self.client.get(reverse("admin:notes_note_history", args=[note.pk])).content.decode()
        rows = re.findall(r'<tr class="revision-row[^"]*">(.*?)</tr>', html, re.DOTALL)
        self.assertEqual(len(rows), 2)
        self.assertTrue(all("editor" in row for row in rows))
        # Newest first; every version but the current one can be restored.
        self.assertIn("current", rows[0])
        self.assertEqual([("Restore this version" in row) for row in rows], [False, True])

    def test_bulk_publish_keeps_a_revision_of_each_note(self) -> None:
        drafts = [make_note(f"Draft {n}", category=self.category, status="draft") for n in (1, 2)]
        self.client.post(
            CHANGELIST, {"action": "publish", "_selected_action": [d.pk for d in drafts]}
        )
        for draft in drafts:
            [version] = self.versions(draft)
            self.assertEqual(version.revision.comment, "Published via bulk action")
            self.assertEqual(version.revision.user, self.admin)
            self.assertEqual(version.field_dict["status"], Note.Status.PUBLISHED)

    def test_restoring_one_note_after_a_bulk_action_leaves_the_others_alone(self) -> None:
        first = self.add_note(title="First", slug="first", status="draft")
        second = self.add_note(title="Second", slug="second", status="draft")
        self.client.post(
            CHANGELIST, {"action": "publish", "_selected_action": [first.pk, second.pk]}
        )
        self.edit_note(first, body="Edited after publishing.")
        self.edit_note(second, body="Also edited after publishing.")
        published_version = self.versions(first)[1]
        self.restore(first, published_version)
        self.assertEqual(self.state(second)["body"], "Also edited after publishing.")
        self.assertEqual(self.state(first)["body"], published_version.field_dict["body"])

    def test_import_keeps_a_revision_naming_the_file(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "qlora.md"
            path.write_text(
                "---\ntitle: QLoRA\ncategory: 大模型 LLM\ntags: [PEFT]\n"
                "paper:\n  title: 'QLoRA: Efficient Finetuning'\n---\n\nQuantised adapters.\n",
                encoding="utf-8",
            )
            import_paths([path])
        note = Note.objects.get(slug="qlora")
        [version] = self.versions(note)
        self.assertEqual(version.revision.comment, "Imported from qlora.md")
        # The imported tags and paper are in the revision: the compare page lists them.
        html = self.client.get(self.compare_url(note, None, version)).content.decode()
        self.assertIn("QLoRA: Efficient Finetuning", html)
        self.assertRegex(html, r"<ins>PEFT</ins>")
        # Each row the revision keeps is the row written: restoring it finds the same rows.
        kept = {(v.content_type.model, v.object_id) for v in version.revision.version_set.all()}
        written = {
            ("note", str(note.pk)),
            *(("notepaper", str(link.pk)) for link in note.paper_links.all()),
            *(("taggeditem", str(item.pk)) for item in note.tagged_items.all()),
        }
        self.assertEqual(kept, written)


class WhatARevisionHoldsTests(RevisionTestCase):
    """A revision keeps what the editor wrote; everything derived from it is made again."""

    DERIVED = (*Note.RENDERED_FIELDS, "tag_data", "paper_data", "related_data")

    def serialized_fields(self, version: Version) -> dict:
        return json.loads(version.serialized_data)[0]["fields"]

    def rendering(self, note: Note) -> dict:
        note.refresh_from_db()
        return {name: getattr(note, name) for name in Note.RENDERED_FIELDS}

    def test_a_revision_holds_the_body_but_not_its_rendering(self) -> None:
        note = self.add_note(body="## Heading\n\nText with $x^2$ math.", summary="")
        [version] = self.versions(note)
        fields = self.serialized_fields(version)
        self.assertEqual(fields["body"], "## Heading\n\nText with $x^2$ math.")
        self.assertEqual(set(fields), set(NOTE_FIELDS))
        self.assertFalse(set(self.DERIVED) & set(fields))
        # MathML is the rendering's, made again on restore: never stored in a revision.
        self.assertIn("<math", note.body_html)
        self.assertNotIn("<math", version.serialized_data)

    def test_restoring_gives_the_old_body_its_rendering_again(self) -> None:
        note = self.add_note(body="## Old heading\n\nOld text with $x^2$.")
        old_rendering = self.rendering(note)
        self.edit_note(note, body="New text, no math and no heading.")
        self.assertFalse(self.rendering(note)["has_math"])
        self.restore(note, self.versions(note)[0])
        self.assertEqual(self.rendering(note), old_rendering)
        self.assertIn("Old heading</h2>", note.body_html)
        self.assertIn("Old text", note.excerpt)

    def test_reverting_through_the_revision_form_renders_the_old_body(self) -> None:
        """Reversion's own revert form (the history's version links) derives the rest too."""
        note = self.add_note(body="## Form heading\n\nForm text.")
        old_rendering = self.rendering(note)
        self.edit_note(note, body="Replaced.")
        url = reverse("admin:notes_note_revision", args=[note.pk, self.versions(note)[0].pk])
        self.assertEqual(self.submit(url, {}).status_code, 302)
        self.assertEqual(self.rendering(note), old_rendering)
        self.assertEqual(note.body, "## Form heading\n\nForm text.")

    def test_restoring_away_a_shared_tag_takes_the_note_off_the_other_notes_related_list(
        self,
    ) -> None:
        other = make_note("Other note on PEFT", category=self.category, tags=["PEFT"])
        note = self.add_note(tags="adapters", status="published")
        self.edit_note(note, tags="PEFT")
        self.assertEqual([pk for pk, _score in note.related_data], [other.pk])
        # Sharing a tag, each lists the other: set by hand, as notes.related means to keep it.
        Note.objects.filter(pk=other.pk).update(related_data=[[note.pk, 0.63]])
        self.restore(note, self.versions(note)[0])
        other.refresh_from_db()
        self.assertNotIn(note.pk, [pk for pk, _score in other.related_data])
        note.refresh_from_db()
        self.assertEqual(note.tag_data, [["adapters", "adapters"]])
