"""The "Editors" group (notes/migrations/0008_editors_group.py): a staff member in it writes
and curates notes in the admin, and cannot touch users, groups or login records."""

from __future__ import annotations

import importlib
from datetime import timedelta

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from notes.models import Category, Note
from tests.factories import INLINE_MANAGEMENT, make_category

migration = importlib.import_module("notes.migrations.0008_editors_group")

EDITOR_PERMISSIONS = {
    f"{app_label}.{action}_{model}"
    for app_label, model in (
        ("notes", "note"),
        ("notes", "category"),
        ("notes", "series"),
        ("notes", "paper"),
        ("notes", "figure"),
        ("notes", "tagalias"),
        ("taggit", "tag"),
    )
    for action in ("add", "change", "delete", "view")
}


def group_permissions() -> set[str]:
    group = Group.objects.get(name="Editors")
    return {
        f"{permission.content_type.app_label}.{permission.codename}"
        for permission in group.permissions.select_related("content_type")
    }


def ensure_group() -> Group:
    """The migration made the group; a test that flushed the database (a browser test) lost
    it, so it is made again the same way (the migration is idempotent)."""
    migration.create_editors_group(apps, None)
    return Group.objects.get(name="Editors")


class EditorsGroupPermissionTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        ensure_group()

    def test_group_holds_exactly_the_editing_permissions(self) -> None:
        self.assertEqual(group_permissions(), EDITOR_PERMISSIONS)

    def test_nothing_about_users_groups_sessions_or_login_attempts(self) -> None:
        apps_in_group = {name.split(".")[0] for name in group_permissions()}
        self.assertEqual(apps_in_group, {"notes", "taggit"})

    def test_running_the_migration_again_changes_nothing(self) -> None:
        migration.create_editors_group(apps, None)
        self.assertEqual(Group.objects.filter(name="Editors").count(), 1)
        self.assertEqual(group_permissions(), EDITOR_PERMISSIONS)

    def test_reversing_the_migration_removes_the_group(self) -> None:
        migration.remove_editors_group(apps, None)
        self.assertFalse(Group.objects.filter(name="Editors").exists())
        migration.create_editors_group(apps, None)
        self.assertEqual(group_permissions(), EDITOR_PERMISSIONS)


class EditorWorkflowTests(TestCase):
    """What an editor does in the admin, as a staff user whose only rights come from the group."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.editor = get_user_model().objects.create_user("writer", is_staff=True)
        cls.editor.groups.add(ensure_group())
        cls.category = make_category("大模型 LLM")

    def setUp(self) -> None:
        self.client.force_login(self.editor)

    def add_note(self, title: str = "QLoRA：量化低秩适配", body: str = "First version."):
        published_at = timezone.localtime() - timedelta(hours=1)
        data = {
            "title": title,
            "slug": "",
            "category": self.category.pk,
            "tags": "微调",
            "body": body,
            "status": Note.Status.DRAFT,
            "published_at_0": published_at.strftime("%Y-%m-%d"),
            "published_at_1": published_at.strftime("%H:%M:%S"),
            "author": self.editor.pk,
            "summary": "",
            **INLINE_MANAGEMENT,
        }
        return self.client.post(reverse("admin:notes_note_add"), data), data

    def test_editor_adds_a_note(self) -> None:
        response, _data = self.add_note()
        self.assertRedirects(response, reverse("admin:notes_note_changelist"))
        self.assertEqual(Note.objects.get().title, "QLoRA：量化低秩适配")

    def test_editor_edits_a_category(self) -> None:
        response = self.client.post(
            reverse("admin:notes_category_change", args=[self.category.pk]),
            {"name": "大模型", "slug": self.category.slug, "description": "", "order": 1},
        )
        self.assertRedirects(response, reverse("admin:notes_category_changelist"))
        self.assertEqual(Category.objects.get().name, "大模型")

    def test_editor_restores_an_earlier_revision(self) -> None:
        _response, data = self.add_note(body="First version.")
        note = Note.objects.get()
        data.update(slug=note.slug, body="Second version.")
        self.client.post(reverse("admin:notes_note_change", args=[note.pk]), data)
        first = Version.objects.get_for_object(note).order_by("pk").first()
        response = self.client.post(reverse("admin:notes_note_restore", args=[note.pk, first.pk]))
        self.assertEqual(response.status_code, 302)
        note.refresh_from_db()
        self.assertEqual(note.body, "First version.")

    def test_editor_is_refused_the_user_and_group_admin(self) -> None:
        for name in ("admin:auth_user_changelist", "admin:auth_group_changelist"):
            with self.subTest(name):
                self.assertEqual(self.client.get(reverse(name)).status_code, 403)

    def test_editor_cannot_make_themselves_a_superuser(self) -> None:
        url = reverse("admin:auth_user_change", args=[self.editor.pk])
        self.assertEqual(self.client.get(url).status_code, 403)

    def test_editor_is_refused_the_login_attempts(self) -> None:
        response = self.client.get(reverse("admin:axes_accessattempt_changelist"))
        self.assertEqual(response.status_code, 403)


class ViewOnlyStaffTests(TestCase):
    """A reviewer with only "view" on notes reads the note form, read-only (it was a 500)."""

    def test_the_note_form_shows_read_only(self) -> None:
        from django.contrib.auth.models import Permission

        from tests.factories import make_note

        note = make_note("只读笔记", category=make_category("ML"), body="正文 $x$。")
        reviewer = get_user_model().objects.create_user("reviewer", password="pw", is_staff=True)
        reviewer.user_permissions.add(Permission.objects.get(codename="view_note"))
        self.client.force_login(reviewer)
        response = self.client.get(reverse("admin:notes_note_change", args=[note.pk]))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "正文")
        self.assertNotContains(response, 'name="body"')


def test_a_published_note_not_yet_dated_is_neither_public_nor_scheduled() -> None:
    """A form shown again with errors holds such a note (it is dated on save)."""
    note = Note(status=Note.Status.PUBLISHED, published_at=None)
    assert not note.is_public and not note.is_scheduled
