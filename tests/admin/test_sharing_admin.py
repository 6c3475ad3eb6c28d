"""Preview links in the note form (notes.admin.sharing): made for 1, 7 or 30 days, listed with
their address, expiry and maker, revoked by deleting them."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from django.contrib.auth import get_user_model
from django.test import Client, TestCase
from django.urls import reverse
from django.utils import timezone

from notes.models import Note, PreviewLink
from tests.admin.test_editors_group import ensure_group
from tests.factories import INLINE_MANAGEMENT, form_data, make_category, make_note

PREFIX = "preview_links"


class PreviewLinkAdminTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.editor = get_user_model().objects.create_superuser(
            "editor", "editor@example.com", first_name="Ada", last_name="Editor"
        )
        cls.category = make_category("分享")
        cls.note = make_note(
            "给作者看的草稿", category=cls.category, status=Note.Status.DRAFT, body="DRAFT-TEXT"
        )

    def setUp(self) -> None:
        self.client.force_login(self.editor)
        self.url = reverse("admin:notes_note_change", args=[self.note.pk])

    def page(self) -> str:
        return self.client.get(self.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    def post(self, changes: dict, data: dict | None = None):
        """The form as the browser sends it, with the editor's changes."""
        data = data if data is not None else form_data(self.page())
        return self.client.post(self.url, {**data, **changes}, HTTP_ACCEPT_LANGUAGE="en")

    def create(self, days: int) -> PreviewLink:
        data = form_data(self.page())
        index = int(data[f"{PREFIX}-INITIAL_FORMS"][0])  # the blank row after the listed ones
        before = set(PreviewLink.objects.values_list("pk", flat=True))
        response = self.post({f"{PREFIX}-{index}-lifetime": str(days)}, data)
        self.assertEqual(response.status_code, 302, "the note form did not save")
        return PreviewLink.objects.exclude(pk__in=before).get()

    def listed_addresses(self) -> list[str]:
        return [
            unescape(url)
            for url in re.findall(r'class="preview-link-address"[^>]*value="([^"]+)"',
                                  self.page())
        ]  # fmt: skip

    def test_the_form_offers_1_7_or_30_days(self) -> None:
        html = self.page()
        self.assertIn(f'name="{PREFIX}-TOTAL_FORMS"', html)
        select = re.search(rf'<select name="{PREFIX}-0-lifetime"[^>]*>(.*?)</select>', html, re.S)
        self.assertIsNotNone(select)
        options = re.findall(r'<option value="([^"]*)"', select.group(1))
        self.assertEqual(options, ["", "1", "7", "30"])
        self.assertIn("1 day", select.group(1))
        self.assertIn("30 days", select.group(1))

    def test_saving_the_form_as_it_is_makes_no_link(self) -> None:
        self.assertEqual(self.post({}).status_code, 302)
        self.assertFalse(PreviewLink.objects.exists())

    def test_create_list_and_open(self) -> None:
        before = timezone.now()
        link = self.create(7)
        self.assertEqual(link.note, self.note)
        self.assertEqual(link.created_by, self.editor)
        self.assertAlmostEqual(
            link.expires_at, before + timedelta(days=7), delta=timedelta(seconds=30)
        )
        # Listed with its whole address, its expiry and who made it.
        address = f"http://testserver{link.get_absolute_url()}"
        self.assertEqual(self.listed_addresses(), [address])
        html = self.page()
        self.assertIn(timezone.localtime(link.expires_at).strftime("%Y-%m-%d %H:%M"), html)
        self.assertIn("Ada Editor", html)
        # Whoever has it, with no account, sees the draft.
        response = Client().get(link.get_absolute_url())
        self.assertContains(response, "DRAFT-TEXT")

    def test_a_link_made_with_a_new_note(self) -> None:
        add = reverse("admin:notes_note_add")
        data = form_data(self.client.get(add).content.decode())
        changes = {"title": "新草稿", "slug": "new-draft", "category": str(self.category.pk),
                   "body": "NEW-DRAFT", f"{PREFIX}-0-lifetime": "1"}  # fmt: skip
        self.assertEqual(self.client.post(add, {**data, **changes}).status_code, 302)
        link = PreviewLink.objects.get(note__slug="new-draft")
        self.assertEqual(link.created_by, self.editor)
        self.assertContains(Client().get(link.get_absolute_url()), "NEW-DRAFT")

    def test_each_lifetime(self) -> None:
        for days in (1, 30):
            with self.subTest(days=days):
                link = self.create(days)
                left = link.expires_at - link.created_at
                self.assertAlmostEqual(left, timedelta(days=days), delta=timedelta(seconds=30))

    def test_revoke_by_deleting(self) -> None:
        keep, revoke = self.create(7), self.create(1)
        self.assertEqual(len(self.listed_addresses()), 2)
        url = revoke.get_absolute_url()
        self.assertEqual(Client().get(url).status_code, 200)
        data = form_data(self.page())
        # Newest first: the 1-day link is the first row.
        self.assertEqual(data[f"{PREFIX}-0-id"], [str(revoke.pk)])
        response = self.post({f"{PREFIX}-0-DELETE": "on"}, data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(list(PreviewLink.objects.all()), [keep])
        self.assertEqual(Client().get(url).status_code, 404)
        self.assertEqual(Client().get(keep.get_absolute_url()).status_code, 200)

    def test_a_saved_link_cannot_be_lengthened(self) -> None:
        link = self.create(1)
        data = form_data(self.page())
        self.assertNotIn(f"{PREFIX}-0-lifetime", data)  # no field for it on the page
        self.assertEqual(self.post({f"{PREFIX}-0-lifetime": "30"}, data).status_code, 302)
        self.assertEqual(PreviewLink.objects.get().expires_at, link.expires_at)

    def test_expired_links_are_not_listed_and_go_at_the_next_save(self) -> None:
        old = timezone.now() - timedelta(days=10)
        expired = PreviewLink.objects.create(
            note=self.note, created_at=old, expires_at=old + timedelta(days=1)
        )
        other_note = make_note("别的笔记", category=self.category, status=Note.Status.DRAFT)
        elsewhere = PreviewLink.objects.create(
            note=other_note, created_at=old, expires_at=old + timedelta(days=1)
        )
        self.assertEqual(self.listed_addresses(), [])
        self.assertEqual(self.post({}).status_code, 302)
        self.assertFalse(PreviewLink.objects.filter(pk=expired.pk).exists())
        # Another note's links wait for that note's form.
        self.assertTrue(PreviewLink.objects.filter(pk=elsewhere.pk).exists())

    def test_a_form_without_the_section_saves_and_changes_no_link(self) -> None:
        """A note form opened before the section existed (or a script's post) still saves."""
        link = self.create(7)
        data = {
            name: values
            for name, values in form_data(self.page()).items()
            if not name.startswith(f"{PREFIX}-")
        }
        response = self.post({"title": "新标题"}, data)
        self.assertEqual(response.status_code, 302)
        self.note.refresh_from_db()
        self.assertEqual(self.note.title, "新标题")
        self.assertEqual(list(PreviewLink.objects.all()), [link])

    def test_the_shared_post_helper_still_saves(self) -> None:
        """tests/factories.INLINE_MANAGEMENT, which other tests post the note form with."""
        data = {
            "title": "Posted", "slug": "posted", "category": self.category.pk, "body": "x",
            "status": "draft", **INLINE_MANAGEMENT,
        }  # fmt: skip
        response = self.client.post(reverse("admin:notes_note_add"), data)
        self.assertEqual(response.status_code, 302)

    def test_an_editor_in_the_editors_group_may_share(self) -> None:
        user = get_user_model().objects.create_user("writer", is_staff=True)
        user.groups.add(ensure_group())
        self.client.force_login(user)
        link = self.create(7)
        self.assertEqual(link.created_by, user)

    def test_the_admin_log_names_the_link(self) -> None:
        from django.contrib.admin.models import LogEntry

        self.create(7)
        entry = LogEntry.objects.filter(object_id=str(self.note.pk)).latest("action_time")
        self.assertIn("preview link", entry.get_change_message())
