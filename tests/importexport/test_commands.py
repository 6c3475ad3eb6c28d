"""The rerender_notes and load_demo commands, and what an import writes for a note's page."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import timezone

from notes.importexport import import_paths
from notes.models import Category, Note
from notes.rendering import render_markdown
from tests.importexport.helpers import LORA, SHANGHAI, note_file, write

pytestmark = pytest.mark.django_db

DEMO_DIR = Path(settings.BASE_DIR) / "demo" / "notes"


# --- rerender_notes -------------------------------------------------------------------


class RerenderNotesTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        category = Category.objects.create(name="Large Model")
        cls.note = Note.objects.create(
            title="Stale", category=category, body="Fresh **bold** text."
        )
        cls.edited = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=SHANGHAI)

    def setUp(self) -> None:
        # As if the note had been saved by an older pipeline, last edited long ago.
        Note.objects.filter(pk=self.note.pk).update(
            body_html="<p>old pipeline</p>", excerpt="old pipeline", updated_at=self.edited
        )
        call_command("rerender_notes", stdout=StringIO())
        self.note.refresh_from_db()

    def test_stored_html_matches_the_current_pipeline(self) -> None:
        self.assertEqual(self.note.body_html, render_markdown(self.note.body).html)

    def test_excerpt_is_refreshed(self) -> None:
        self.assertEqual(self.note.excerpt, "Fresh bold text.")

    def test_updated_at_is_not_touched(self) -> None:
        """A pipeline change is not an edit readers should see as 'updated'."""
        self.assertEqual(self.note.updated_at, self.edited)


# --- load_demo ------------------------------------------------------------------------


def demo_files() -> list[Path]:
    return [p for p in DEMO_DIR.rglob("*.md") if p.name != "_index.md"]


# Creating the demo superuser should not spend a second hashing a random password.
@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class LoadDemoTests(TestCase):
    """Runs against the real demo/notes folder, the one `make run` loads."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.output = StringIO()
        call_command("load_demo", stdout=cls.output)  # raises CommandError on any broken file

    def test_demo_folder_has_notes(self) -> None:
        self.assertGreaterEqual(len(demo_files()), 25)

    def test_every_demo_file_becomes_a_note(self) -> None:
        self.assertEqual(Note.objects.count(), len(demo_files()))

    def test_exactly_one_demo_note_is_a_draft(self) -> None:
        self.assertEqual(Note.objects.filter(status=Note.Status.DRAFT).count(), 1)

    def test_a_scheduled_demo_note_is_hidden_from_readers(self) -> None:
        scheduled = Note.objects.filter(
            status=Note.Status.PUBLISHED, published_at__gt=timezone.now()
        )
        self.assertTrue(scheduled.exists())
        self.assertFalse(Note.objects.published().filter(pk__in=scheduled).exists())

    def test_demo_notes_render_without_warnings(self) -> None:
        self.assertFalse(Note.objects.exclude(render_warnings=[]).exists())

    def test_admin_superuser_is_created(self) -> None:
        self.assertTrue(get_user_model().objects.get(username="admin").is_superuser)

    def test_second_run_keeps_the_data_without_duplicates(self) -> None:
        before = sorted(Note.objects.values_list("slug", "updated_at"))
        call_command("load_demo", stdout=StringIO())
        after = sorted(Note.objects.values_list("slug", "updated_at"))
        self.assertEqual((after, get_user_model().objects.count()), (before, 1))


@pytest.mark.django_db
def test_an_imported_notes_derived_data_is_written_once(tmp_path: Path) -> None:
    """Saved, tagged twice and given papers: one derive step (notes.derive) for the note, not
    one per change (an import of 10,000 notes pays for each)."""
    from unittest import mock

    from notes import derive

    text = note_file(tags="[PEFT, 微调]", paper="{title: LoRA, arxiv: '2106.09685'}")
    with mock.patch.object(derive, "_derive_notes", wraps=derive._derive_notes) as step:
        import_paths([write(tmp_path, "n.md", text)])
    assert step.call_count == 1
    note = Note.objects.get()
    assert [name for name, _slug in note.tag_data] == ["PEFT", "微调"]
    assert [paper["arxiv"] for paper in note.paper_data] == ["2106.09685"]


@pytest.mark.django_db
def test_an_imported_notes_page_shows_the_dates_of_its_file(tmp_path: Path, client) -> None:
    """Its page is rendered after the file's dates are restored: published and updated as
    the file says, not "updated today"."""
    import_paths([write(tmp_path, "lora.md", LORA)])
    note = Note.objects.get(slug="lora")
    html = client.get(note.get_absolute_url(), HTTP_HOST="testserver").content.decode()
    assert 'content="2026-02-01T00:00:00+08:00"' in html  # article:modified_time
    assert '<span class="updated">' in html
    assert timezone.localdate().isoformat() not in html.split('<span class="updated">')[1][:120]
