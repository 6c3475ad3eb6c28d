"""Shared by the revision-history tests (test_revisions_*.py): an editor in the admin.

The forms are filled in the way a browser would: the page is fetched, every field's current
value read from the HTML, a few values changed, and the form posted back.
"""

from __future__ import annotations

import re
from html import unescape

from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from reversion.models import Version

from notes.models import Note, Paper
from tests.factories import form_data, make_category

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
        # (tests/admin/test_admin_language_*.py check every string has its translation).
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
