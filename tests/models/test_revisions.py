"""Revision history in the admin: every save is kept, two versions can be compared, any one
restored in one click, and a deleted note recovered.

The forms are filled in the way a browser would: the page is fetched, every field's current
value read from the HTML, a few values changed, and the form posted back.
"""

from __future__ import annotations

import json
import re
import tempfile
from html import unescape
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.test import TestCase
from django.urls import reverse
from reversion.models import Version
from taggit.models import Tag

from notes.importexport import import_paths
from notes.models import Note, NotePaper, Paper
from notes.revisions import NOTE_FIELDS
from tests.factories import form_data, make_category, make_note

CHANGELIST = reverse("admin:notes_note_changelist")


def rows_of(html: str, css_class: str) -> list[str]:
    """The text of each diff row with this class, tags stripped."""
    rows = re.findall(rf'<tr class="{css_class}">(.*?)</tr>', html, re.DOTALL)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", row)).split()) for row in rows]


def papers_row(html: str) -> list[str]:
    """The compare page's papers, before and after."""
    row = re.search(r'<th scope="row">Papers</th>(.*?)</tr>', html, re.DOTALL)
    return re.findall(r'<td class="revision-value[^"]*">(.*?)</td>', row.group(1), re.DOTALL)


def changed_field_labels(html: str) -> list[str]:
    table = re.search(r'<table class="revision-fields">(.*?)</table>', html, re.DOTALL)
    return re.findall(r'<th scope="row">([^<]*)</th>', table.group(1)) if table else []


class RevisionTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")
        cls.category = make_category("大模型 LLM")

    def setUp(self) -> None:
        self.client.force_login(self.admin)
        # The admin speaks Chinese by default; these tests read its English wording
        # (tests/admin/test_admin_language.py checks every string has its translation).
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    # --- Editing as an editor would -------------------------------------------------------

    def submit(self, url: str, changes: dict, form_id: str = "note_form"):
        data = form_data(self.client.get(url).content.decode(), form_id)
        return self.client.post(url, {**data, **changes})

    @staticmethod
    def paper(title: str) -> Paper:
        """The site's record of this paper (made in the papers admin), chosen in the note form
        by its id."""
        return Paper.objects.filter(title=title).first() or Paper.objects.create(title=title)

    def add_note(self, *, papers: tuple[str, ...] = (), **fields) -> Note:
        changes = {
            "title": "LoRA 低秩适配",
            "slug": "lora",
            "category": str(self.category.pk),
            "tags": "PEFT, 微调",
            "body": "## 方法\n\nFirst line.\nSecond line.\nThird line.",
            **fields,
            "papers-TOTAL_FORMS": str(len(papers)),
        }
        for index, title in enumerate(papers):
            changes[f"papers-{index}-paper"] = str(self.paper(title).pk)
            changes[f"papers-{index}-position"] = str(index)
        response = self.submit(reverse("admin:notes_note_add"), changes)
        self.assertEqual(response.status_code, 302, "the add form did not save")
        note = Note.objects.get(slug=changes["slug"])
        self.assertEqual(self.state(note)["papers"], list(papers))
        return note

    def edit_note(self, note: Note, *, add_paper: str = "", delete_papers: bool = False, **fields):
        url = reverse("admin:notes_note_change", args=[note.pk])
        page = form_data(self.client.get(url).content.decode())
        changes: dict = dict(fields)
        listed = int(page["papers-INITIAL_FORMS"][0])
        if delete_papers:
            for index in range(listed):
                changes[f"papers-{index}-DELETE"] = "on"
        if add_paper:
            # The blank row the form offers after the papers listed.
            index = listed
            changes["papers-TOTAL_FORMS"] = str(max(int(page["papers-TOTAL_FORMS"][0]), index + 1))
            changes[f"papers-{index}-paper"] = str(self.paper(add_paper).pk)
            changes[f"papers-{index}-position"] = str(index)
        response = self.client.post(url, {**page, **changes})
        self.assertEqual(response.status_code, 302, "the change form did not save")
        note.refresh_from_db()
        return note

    def versions(self, note: Note) -> list[Version]:
        """The note's versions, oldest first."""
        return list(Version.objects.get_for_object(note).order_by("pk"))

    def compare_url(self, note: Note, older: Version | None, newer: Version) -> str:
        url = reverse("admin:notes_note_compare", args=[note.pk])
        return f"{url}?from={older.pk}&to={newer.pk}" if older else f"{url}?to={newer.pk}"

    def restore(self, note: Note, version: Version):
        return self.client.post(reverse("admin:notes_note_restore", args=[note.pk, version.pk]))

    def state(self, note: Note) -> dict:
        note.refresh_from_db()
        return {
            "title": note.title,
            "slug": note.slug,
            "body": note.body,
            "tags": sorted(note.tags.names()),
            # In the note's order.
            "papers": [link.paper.title for link in note.paper_links.select_related("paper")],
        }


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
