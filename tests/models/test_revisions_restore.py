"""Revision history in the admin: any version restored in one click, a deleted note recovered."""

from __future__ import annotations

import json
import re

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from reversion.models import Version
from taggit.models import Tag

from notes.models import Note, NotePaper, Paper
from tests.factories import form_data, make_note
from tests.models.revisions import RevisionTestCase, changed_field_labels, papers_row


class RestoreTests(RevisionTestCase):
    def make_history(self) -> tuple[Note, dict]:
        note = self.add_note(
            title="LoRA",
            tags="PEFT, 微调",
            body="## Original heading\n\nThe original explanation.",
            papers=("LoRA: Low-Rank Adaptation",),
        )
        original = self.state(note)
        self.edit_note(
            note,
            title="LoRA rewritten",
            slug="lora-rewritten",
            tags="adapters",
            body="A rewrite without a heading.",
            delete_papers=True,
            add_paper="Another paper",
        )
        return note, original

    def test_restore_brings_back_the_old_body_title_tags_and_papers(self) -> None:
        note, original = self.make_history()
        response = self.restore(note, self.versions(note)[0])
        self.assertRedirects(response, reverse("admin:notes_note_change", args=[note.pk]))
        self.assertEqual(self.state(note), original)

    def test_restore_lands_on_the_change_page_saying_so(self) -> None:
        note, _ = self.make_history()
        version = self.versions(note)[0]
        url = reverse("admin:notes_note_restore", args=[note.pk, version.pk])
        response = self.client.post(url, follow=True)
        self.assertEqual(
            response.request["PATH_INFO"], reverse("admin:notes_note_change", args=[note.pk])
        )
        self.assertContains(response, "was restored from the version of")
        self.assertContains(response, 'value="LoRA"')

    def test_restore_renders_the_restored_body(self) -> None:
        note, _ = self.make_history()
        self.restore(note, self.versions(note)[0])
        note.refresh_from_db()
        self.assertIn("Original heading</h2>", note.body_html)
        self.assertNotIn("rewrite", note.body_html)
        self.assertEqual(note.excerpt, "The original explanation.")
        response = self.client.get(reverse("notes:preview", kwargs={"pk": note.pk}))
        self.assertContains(response, "The original explanation.")

    def test_restore_is_a_new_revision_so_it_can_be_undone(self) -> None:
        note, _ = self.make_history()
        original, rewrite = self.versions(note)
        self.restore(note, original)
        versions = self.versions(note)
        self.assertEqual(len(versions), 3)
        self.assertTrue(versions[-1].revision.comment.startswith("Restored version from "))
        self.assertEqual(versions[-1].revision.user, self.admin)
        # Undo: restore the version that was current before.
        self.restore(note, rewrite)
        self.assertEqual(
            self.state(note),
            {
                "title": "LoRA rewritten",
                "slug": "lora-rewritten",
                "body": "A rewrite without a heading.",
                "tags": ["adapters"],
                "papers": ["Another paper"],
            },
        )

    def test_restore_brings_back_a_tag_deleted_since(self) -> None:
        note, original = self.make_history()
        Tag.objects.filter(name="PEFT").delete()
        self.restore(note, self.versions(note)[0])
        self.assertEqual(self.state(note)["tags"], original["tags"])

    def test_restore_does_not_touch_tags_of_other_notes(self) -> None:
        note, _ = self.make_history()
        other = make_note("Other note", category=self.category, tags=["adapters"])
        self.restore(note, self.versions(note)[0])
        self.assertEqual(list(other.tags.names()), ["adapters"])

    def test_restore_updates_links_from_other_notes_to_the_old_title(self) -> None:
        note, _ = self.make_history()
        linking = make_note("Linking note", category=self.category, body="See [[LoRA]].")
        # "LoRA" is the note's old title: the link already finds it under its new name.
        self.assertIn('href="/notes/lora-rewritten/"', linking.body_html)
        self.restore(note, self.versions(note)[0])
        linking.refresh_from_db()
        self.assertIn('<a class="wikilink" href="/notes/lora/"', linking.body_html)

    def test_get_on_the_restore_url_changes_nothing(self) -> None:
        note, _ = self.make_history()
        before = self.state(note)
        response = self.client.get(
            reverse("admin:notes_note_restore", args=[note.pk, self.versions(note)[0].pk])
        )
        self.assertEqual(response.status_code, 405)
        self.assertEqual(self.state(note), before)
        self.assertEqual(len(self.versions(note)), 2)


class PaperListRestoreTests(RevisionTestCase):
    """A note's version keeps which papers it lists, in order; each paper is a record of its
    own, shared with other notes, whose fields have their own history (the papers admin)."""

    def rename_paper(self, paper: Paper, title: str) -> None:
        """Edit the paper on the papers admin, as an editor would."""
        url = reverse("admin:notes_paper_change", args=[paper.pk])
        self.assertEqual(self.submit(url, {"title": title}, "paper_form").status_code, 302)

    def test_restore_brings_back_the_list_but_not_the_papers_old_fields(self) -> None:
        note = self.add_note(papers=("LoRA", "Intrinsic dimensionality"))
        lora = Paper.objects.get(title="LoRA")
        self.edit_note(note, delete_papers=True, add_paper="QLoRA")
        self.assertEqual(self.state(note)["papers"], ["QLoRA"])
        # Since then, LoRA's record was corrected, for every note that lists it.
        self.rename_paper(lora, "LoRA: Low-Rank Adaptation")
        self.restore(note, self.versions(note)[0])
        # LoRA, unlinked since, is listed again, in its place; as its record is now.
        self.assertEqual(
            self.state(note)["papers"], ["LoRA: Low-Rank Adaptation", "Intrinsic dimensionality"]
        )
        note.refresh_from_db()
        self.assertEqual(
            [paper["title"] for paper in note.paper_data],
            ["LoRA: Low-Rank Adaptation", "Intrinsic dimensionality"],
        )
        # QLoRA is no longer listed, but its record stays (another note may list it).
        self.assertTrue(Paper.objects.filter(title="QLoRA").exists())
        self.assertEqual(Paper.objects.count(), 3)
        # The paper's own history holds its edit, apart from the note's.
        self.assertEqual(len(Version.objects.get_for_object(lora)), 1)

    def test_restore_brings_back_the_order_of_the_papers(self) -> None:
        note = self.add_note(papers=("LoRA", "QLoRA", "DoRA"))
        url = reverse("admin:notes_note_change", args=[note.pk])
        page = form_data(self.client.get(url).content.decode())
        # The editor puts DoRA first.
        positions = {"LoRA": 1, "QLoRA": 2, "DoRA": 0}
        for index in range(3):
            title = Paper.objects.get(pk=page[f"papers-{index}-paper"][0]).title
            page[f"papers-{index}-position"] = [str(positions[title])]
        self.assertEqual(self.client.post(url, page).status_code, 302)
        self.assertEqual(self.state(note)["papers"], ["DoRA", "LoRA", "QLoRA"])
        self.restore(note, self.versions(note)[0])
        self.assertEqual(self.state(note)["papers"], ["LoRA", "QLoRA", "DoRA"])

    def test_restoring_one_note_leaves_the_other_notes_on_its_papers_alone(self) -> None:
        note = self.add_note(papers=("LoRA",))
        other = self.add_note(title="Other", slug="other", papers=("LoRA", "QLoRA"))
        self.edit_note(note, delete_papers=True, add_paper="QLoRA")
        self.restore(note, self.versions(note)[0])
        self.assertEqual(self.state(note)["papers"], ["LoRA"])
        self.assertEqual(self.state(other)["papers"], ["LoRA", "QLoRA"])
        self.assertEqual(Paper.objects.count(), 2)

    def test_compare_lists_the_papers_as_their_records_are_now(self) -> None:
        """A paper's edit is not the note's: it is not a change between the note's versions."""
        note = self.add_note(papers=("LoRA",))
        self.edit_note(note, body="Edited.")
        self.rename_paper(Paper.objects.get(title="LoRA"), "LoRA: Low-Rank Adaptation")
        html = self.client.get(self.compare_url(note, *self.versions(note))).content.decode()
        self.assertEqual(changed_field_labels(html), [])
        html = self.client.get(self.compare_url(note, None, self.versions(note)[0])).content
        self.assertIn("<ins>LoRA: Low-Rank Adaptation</ins>", html.decode())


class LegacyVersionRestoreTests(RevisionTestCase):
    """Versions made before papers were shared hold the note's own copy of each paper (with
    its note and position), not links. Restoring one links the note to the shared record
    again, and leaves the record's fields alone: other notes list it too."""

    def make_legacy(self, version: Version, copies: list[tuple[int, dict]]) -> None:
        """Rewrite the version's paper links as copies, as the site stored them then: at
        position 0, as the old admin saved them (the note listed them by id)."""
        revision = version.revision
        link_type = ContentType.objects.get_for_model(NotePaper)
        paper_type = ContentType.objects.get_for_model(Paper)
        revision.version_set.filter(content_type=link_type).delete()
        for pk, fields in copies:
            empty = dict.fromkeys(("authors", "venue", "url", "doi", "arxiv", "code_url"), "")
            copy = {"note": version.object_id, "position": 0, "year": None, **empty}
            copy.update(fields)
            Version.objects.create(
                revision=revision,
                object_id=str(pk),
                content_type=paper_type,
                db="default",
                format="json",
                serialized_data=json.dumps([{"model": "notes.paper", "pk": pk, "fields": copy}]),
                object_repr=fields["title"],
            )

    def test_a_version_from_before_papers_were_shared_restores_the_list_only(self) -> None:
        lora = Paper.objects.create(
            title="LoRA: Low-Rank Adaptation", arxiv="2106.09685", abstract="We propose LoRA."
        )
        key = lora.key
        note = self.add_note(papers=("LoRA: Low-Rank Adaptation",))
        # The note's old copies: LoRA's is the record now (its id); the second copy was
        # merged into the QLoRA record another note's copy became (another id, same arXiv id).
        qlora = Paper.objects.create(title="QLoRA", arxiv="2305.14314", key="qlora")
        self.make_legacy(
            self.versions(note)[0],
            [
                (lora.pk, {"title": "LoRA (old copy)", "arxiv": "2106.09685"}),
                (qlora.pk + 100, {"title": "QLoRA (old copy)", "arxiv": "2305.14314"}),
            ],
        )
        self.edit_note(note, delete_papers=True, add_paper="Another paper")
        # The compare page reads the old version's copies, in the note's order.
        html = self.client.get(self.compare_url(note, *self.versions(note))).content.decode()
        self.assertEqual(
            papers_row(html)[0],
            "<del>LoRA (old copy) · arXiv:2106.09685\nQLoRA (old copy) · arXiv:2305.14314</del>",
        )
        response = self.restore(note, self.versions(note)[0])
        self.assertRedirects(response, reverse("admin:notes_note_change", args=[note.pk]))
        self.assertEqual(self.state(note)["papers"], ["LoRA: Low-Rank Adaptation", "QLoRA"])
        lora.refresh_from_db()
        self.assertEqual(
            (lora.title, lora.key, lora.abstract),
            ("LoRA: Low-Rank Adaptation", key, "We propose LoRA."),
        )
        self.assertEqual(Paper.objects.filter(arxiv="2305.14314").get(), qlora)
        self.assertEqual(Paper.objects.count(), 3)


class RecoverTests(RevisionTestCase):
    def test_deleted_note_comes_back_with_its_tags_papers_and_html(self) -> None:
        note = self.add_note(
            tags="PEFT, 微调",
            body="## Kept heading\n\nKept text.",
            papers=("LoRA: Low-Rank Adaptation",),
        )
        original = self.state(note)
        delete_url = reverse("admin:notes_note_delete", args=[note.pk])
        self.assertEqual(self.client.post(delete_url, {"post": "yes"}).status_code, 302)
        self.assertFalse(Note.objects.filter(pk=note.pk).exists())

        recover_list = self.client.get(reverse("admin:notes_note_recoverlist")).content.decode()
        [recover_url] = re.findall(r'<a href="(/admin/notes/note/recover/\d+/)">', recover_list)
        response = self.submit(recover_url, {})
        self.assertEqual(response.status_code, 302)

        recovered = Note.objects.get(slug="lora")
        self.assertEqual(self.state(recovered), original)
        self.assertIn("Kept heading</h2>", recovered.body_html)
        self.assertEqual(recovered.excerpt, "Kept text.")


class PermissionTests(RevisionTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        users = get_user_model().objects
        cls.reader = users.create_user("reader", "reader@example.com")
        cls.viewer = users.create_user("viewer", "viewer@example.com", is_staff=True)
        cls.viewer.user_permissions.add(Permission.objects.get(codename="view_note"))

    def make_history(self) -> tuple[Note, Version]:
        note = self.add_note(body="Old.")
        self.edit_note(note, body="New.")
        return note, self.versions(note)[0]

    def test_non_staff_user_cannot_compare_or_restore(self) -> None:
        note, old = self.make_history()
        self.client.force_login(self.reader)
        compare = self.client.get(self.compare_url(note, None, old))
        restore = self.restore(note, old)
        self.assertEqual([compare.status_code, restore.status_code], [302, 302])
        self.assertIn("/admin/login/", restore["Location"])
        self.assertEqual(self.state(note)["body"], "New.")

    def test_staff_without_change_permission_cannot_compare_or_restore(self) -> None:
        note, old = self.make_history()
        self.client.force_login(self.viewer)
        compare = self.client.get(self.compare_url(note, None, old))
        restore = self.restore(note, old)
        self.assertEqual([compare.status_code, restore.status_code], [403, 403])
        self.assertEqual(self.state(note)["body"], "New.")


class RestorePublicationTests(RevisionTestCase):
    """Restoring an old draft version must not unpublish a live note behind the editor's back."""

    def make_published_history(self) -> Note:
        note = self.add_note(title="Draft title", status="draft")
        self.edit_note(note, title="Live title", status="published")
        return note

    def test_restore_keeps_the_note_published(self) -> None:
        note = self.make_published_history()
        self.restore(note, self.versions(note)[0])
        note.refresh_from_db()
        self.assertEqual(note.title, "Draft title")
        self.assertEqual(note.status, Note.Status.PUBLISHED)
        self.assertEqual(self.client.get(note.get_absolute_url()).status_code, 200)

    def test_restore_can_bring_back_the_publication_state_when_asked(self) -> None:
        note = self.make_published_history()
        version = self.versions(note)[0]
        url = reverse("admin:notes_note_restore", args=[note.pk, version.pk])
        response = self.client.post(url, {"publication": "1"}, follow=True)
        note.refresh_from_db()
        self.assertEqual(note.status, Note.Status.DRAFT)
        self.assertContains(response, "Its publication state was restored too: Draft.")

    def test_success_message_says_the_publication_state_is_unchanged(self) -> None:
        note = self.make_published_history()
        response = self.restore(note, self.versions(note)[0])
        response = self.client.get(response["Location"])
        self.assertContains(response, "Its publication state is unchanged: Published.")

    def test_history_offers_the_publication_state_only_where_it_differs(self) -> None:
        note = self.make_published_history()
        html = self.client.get(reverse("admin:notes_note_history", args=[note.pk])).content
        self.assertContains(
            self.client.get(reverse("admin:notes_note_history", args=[note.pk])),
            "Also restore its publication state: Published → Draft",
            count=1,
        )
        self.assertIn(b"Restore this version", html)
