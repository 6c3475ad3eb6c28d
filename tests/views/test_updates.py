"""The update log: a substantive change marked by an editor reaches readers (the note, /updates/)
and subscribers (Atom <updated>, RSS), a typo fix does not, and drafts never show."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import feedparser
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from notes.importexport import import_paths
from notes.models import Note, NoteUpdate
from tests.admin.test_admin_conflicts import form_data
from tests.factories import make_category, make_note, settle

LINE = "修正了公式 (3) 的符号"


class UpdateLogTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.editor = get_user_model().objects.create_superuser("editor", "e@example.com")
        # Whole seconds, as the admin's date and time fields keep them.
        cls.published = (timezone.now() - timedelta(days=10)).replace(microsecond=0)
        cls.note = make_note(
            "LoRA 笔记",
            category=make_category("ML"),
            body="公式 $a=b$。",
            published_at=cls.published,
        )
        cls.url = reverse("admin:notes_note_change", args=[cls.note.pk])

    def setUp(self) -> None:
        self.admin = Client(HTTP_ACCEPT_LANGUAGE="en")
        self.admin.force_login(self.editor)

    def save(self, **changes: str):
        data = form_data(self.admin.get(self.url))
        return self.admin.post(self.url, {**data, **changes})

    def atom_entry(self, path: str = "/feed/atom/"):
        feed = feedparser.parse(Client().get(path).content)
        return next(entry for entry in feed.entries if entry.title == self.note.title)

    def test_a_substantive_change_reaches_the_note_the_log_and_both_feeds(self) -> None:
        response = self.save(body="公式 $a=-b$。", update_summary=LINE)
        self.assertEqual(response.status_code, 302)
        update = NoteUpdate.objects.get()
        self.assertEqual((update.note, update.summary), (self.note, LINE))
        # Addresses written out: the admin's English requests leave English active in this
        # thread, and reverse() would give the /en/ page.
        page = Client().get(f"/notes/{self.note.slug}/").content.decode()
        self.assertIn(f'<p id="update-{update.pk}"><strong>更新于', page)
        self.assertIn(f"：</strong>{LINE}</p>", page)
        listed = Client().get("/updates/").content.decode()
        self.assertIn(LINE, listed)
        self.assertIn(f'href="/notes/{quote(self.note.slug)}/#update-{update.pk}"', listed)
        entry = self.atom_entry()
        self.assertEqual(entry.updated_parsed[:6], update.made_at.utctimetuple()[:6])
        rss = feedparser.parse(Client().get("/feed/").content)
        (item,) = [item for item in rss.entries if item.title == self.note.title]
        self.assertTrue(item.summary.startswith(f"<p>更新于 {timezone.localdate():%Y-%m-%d}"))
        log = feedparser.parse(Client().get("/updates/feed/atom/").content)
        self.assertEqual([(e.title, e.summary) for e in log.entries], [(self.note.title, LINE)])
        self.assertTrue(log.entries[0].id.endswith(f"#update-{update.pk}"))

    def test_a_typo_fix_left_unmarked_changes_nothing_for_subscribers(self) -> None:
        before = self.atom_entry().updated
        self.assertEqual(self.save(body="公式 $a = b$。").status_code, 302)
        self.assertGreater(Note.objects.get(pk=self.note.pk).updated_at, self.published)
        self.assertEqual(self.atom_entry().updated, before)
        self.assertFalse(NoteUpdate.objects.exists())
        self.assertIn("还没有更新", Client().get("/updates/").content.decode())

    def test_a_draft_has_no_update_log(self) -> None:
        draft = make_note("草稿", status=Note.Status.DRAFT)
        url = reverse("admin:notes_note_change", args=[draft.pk])
        data = form_data(self.admin.get(url))
        # The field is on published notes' form only; sent anyway, it is not read.
        self.assertNotIn("update_summary", data)
        response = self.admin.post(url, {**data, "body": "新正文", "update_summary": LINE})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Note.objects.get(pk=draft.pk).body, "新正文")
        self.assertFalse(NoteUpdate.objects.exists())

    def test_unpublishing_while_logging_an_update_is_refused_at_the_field(self) -> None:
        response = self.save(status=Note.Status.DRAFT, update_summary=LINE)
        self.assertEqual(response.status_code, 200)
        self.assertIn("update_summary", response.context["adminform"].form.errors)
        self.assertFalse(NoteUpdate.objects.exists())

    def test_unpublishing_a_note_takes_its_updates_off_every_public_page(self) -> None:
        NoteUpdate.objects.create(note=self.note, summary=LINE)
        self.assertIn(LINE, Client().get("/updates/").content.decode())
        self.note.status = Note.Status.DRAFT
        self.note.save()
        self.assertNotIn(LINE, Client().get("/updates/").content.decode())
        self.assertNotIn(LINE, Client().get("/updates/feed/").content.decode())

    def test_the_log_page_runs_a_fixed_number_of_queries(self) -> None:
        for n in range(30):
            NoteUpdate.objects.create(note=self.note, summary=f"{LINE} {n}")
        settle()
        Client().get("/updates/")
        with self.assertNumQueries(3):
            Client().get("/updates/?page=2")

    def test_the_log_travels_through_export_and_import(self) -> None:
        made = [timezone.now() - timedelta(days=3), timezone.now() - timedelta(days=1)]
        for when, line in zip(made, ("第一次补充", LINE), strict=True):
            NoteUpdate.objects.create(note=self.note, made_at=when, summary=line)
        folder = Path(self.enterContext(__import__("tempfile").TemporaryDirectory()))
        call_command("export_notes", str(folder), verbosity=0)
        text = (folder / f"{self.note.slug}.md").read_text(encoding="utf-8")
        self.assertIn("updates:", text)
        Note.objects.all().delete()
        self.assertEqual(import_paths([folder]).errors, [])
        restored = Note.objects.get(slug=self.note.slug)
        self.assertEqual(
            [(u.made_at, u.summary) for u in restored.updates.order_by("made_at")],
            [(made[0], "第一次补充"), (made[1], LINE)],
        )

    def test_a_note_with_updates_stays_within_the_query_budget(self) -> None:
        for n in range(5):
            NoteUpdate.objects.create(note=self.note, summary=f"{LINE} {n}")
        settle()
        Client().get("/")  # per-process caches (content types), as a running server has them
        with self.assertNumQueries(4):  # the site state, the note, the notes around it, its log
            page = Client().get(f"/notes/{self.note.slug}/").content.decode()
        self.assertIn("更早的 4 次更新", page)
