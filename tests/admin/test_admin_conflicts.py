"""Two editors saving the same note (notes/locking.py): the second save is refused with both
texts shown, and nothing anyone typed is lost."""

from __future__ import annotations

from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.test import Client, TestCase
from django.urls import reverse

from notes.models import Note
from tests.factories import make_category, make_note


def form_data(response) -> dict[str, str]:
    """What a browser would send from the note form as loaded: every field's current value."""
    form = BeautifulSoup(response.content, "html.parser").find("form", id="note_form")
    data: dict[str, str] = {}
    for field in form.find_all(["input", "textarea", "select"]):
        name = field.get("name")
        kind = field.get("type", "")
        if not name or kind in ("submit", "file") or field.has_attr("disabled"):
            continue
        if kind == "checkbox" and not field.has_attr("checked"):
            continue
        if field.name == "textarea":
            # html.parser keeps the newline Django writes after <textarea>; browsers drop it.
            data[name] = field.text.removeprefix("\n")
        elif field.name == "select":
            chosen = field.find("option", selected=True)
            data[name] = chosen["value"] if chosen else ""
        else:
            data[name] = field.get("value", "")
    return data


class TwoEditorsTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        users = get_user_model().objects
        cls.alice = users.create_superuser("alice", "alice@example.com", first_name="Alice")
        cls.bob = users.create_superuser("bob", "bob@example.com", first_name="Bob")
        cls.note = make_note(
            "LoRA", category=make_category("ML"), body="## 方法\n\n原来的第一段。", tags=["PEFT"]
        )
        cls.url = reverse("admin:notes_note_change", args=[cls.note.pk])

    def setUp(self) -> None:
        # Two browsers, with the admin in English.
        self.client_a = Client(HTTP_ACCEPT_LANGUAGE="en")
        self.client_b = Client(HTTP_ACCEPT_LANGUAGE="en")
        self.client_a.force_login(self.alice)
        self.client_b.force_login(self.bob)
        # Both open the form before either saves.
        self.form_a = form_data(self.client_a.get(self.url))
        self.form_b = form_data(self.client_b.get(self.url))

    def save(self, client: Client, data: dict[str, str], **changes: str):
        return client.post(self.url, {**data, **changes})

    def save_both(self):
        saved = self.save(self.client_a, self.form_a, body="## 方法\n\nAlice 改写的段落。")
        self.assertEqual(saved.status_code, 302)
        return self.save(
            self.client_b, self.form_b, title="LoRA (Bob)", body="## 方法\n\nBob 补充的段落。"
        )

    def test_the_form_carries_the_exact_version_it_was_opened_at(self) -> None:
        self.note.refresh_from_db()
        self.assertEqual(self.form_a["edit_version"], self.note.updated_at.isoformat())
        self.assertRegex(self.form_a["edit_version"], r"\.\d{6}\+00:00$")

    def test_one_editor_saving_twice_in_a_row_is_not_a_conflict(self) -> None:
        first = self.save(self.client_a, self.form_a, body="第一次保存。")
        again = form_data(self.client_a.get(self.url))
        second = self.save(self.client_a, again, body="第二次保存。")
        self.assertEqual((first.status_code, second.status_code), (302, 302))
        self.note.refresh_from_db()
        self.assertEqual(self.note.body, "第二次保存。")

    def test_the_second_save_does_not_overwrite_the_first(self) -> None:
        self.save_both()
        self.note.refresh_from_db()
        self.assertEqual(self.note.title, "LoRA")
        self.assertEqual(self.note.body, "## 方法\n\nAlice 改写的段落。")

    def test_the_second_editor_is_told_who_saved_and_when(self) -> None:
        response = self.save_both()
        self.assertEqual(response.status_code, 200)
        errors = response.context["adminform"].form.non_field_errors()
        self.assertEqual(len(errors), 1)
        self.assertIn("Alice saved this note at", errors[0])
        self.assertContains(response, "Alice saved this note at")

    def test_the_conflict_shows_the_saved_text_and_keeps_the_editors_own(self) -> None:
        response = self.save_both()
        panel = BeautifulSoup(response.content, "html.parser").find(
            "section", class_="edit-conflict"
        )
        self.assertIn("Alice 改写的段落。", panel.find("textarea").text)
        self.assertEqual(panel.find(class_="edit-conflict-title").text, "LoRA")
        history = reverse("admin:notes_note_history", args=[self.note.pk])
        self.assertIsNotNone(panel.find("a", href=history))
        kept = form_data(response)
        self.assertEqual(kept["title"], "LoRA (Bob)")
        self.assertEqual(kept["body"], "## 方法\n\nBob 补充的段落。")

    def test_the_conflict_shows_how_the_bodies_differ(self) -> None:
        page = BeautifulSoup(self.save_both().content, "html.parser")
        diff = page.find("section", class_="edit-conflict").find("table", class_="revision-diff")
        self.assertEqual(diff.find("del").text, "Alice 改写的段落。")
        self.assertEqual(diff.find("ins").text, "Bob 补充的段落。")

    def test_saving_again_after_the_conflict_replaces_the_note(self) -> None:
        """The refused form carries the version it was shown with: the second editor has
        seen the other text, and a new save is a decision, not an accident."""
        retry = form_data(self.save_both())
        self.note.refresh_from_db()
        self.assertEqual(retry["edit_version"], self.note.updated_at.isoformat())
        response = self.save(self.client_b, retry, body="## 方法\n\n合并后的段落。")
        self.assertEqual(response.status_code, 302)
        self.note.refresh_from_db()
        self.assertEqual(
            (self.note.title, self.note.body), ("LoRA (Bob)", "## 方法\n\n合并后的段落。")
        )

    def test_a_save_by_anything_else_in_between_is_a_conflict_too(self) -> None:
        """The bulk actions, an import or a restore change updated_at as an edit does."""
        Note.objects.get(pk=self.note.pk).save()
        response = self.save(self.client_b, self.form_b, body="Bob.")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["adminform"].form.conflict)

    def test_rerendering_is_not_a_conflict(self) -> None:
        """Re-rendering (links, figures, rerender_notes) leaves updated_at alone."""
        Note.objects.get(pk=self.note.pk).rerender()
        self.assertEqual(self.save(self.client_b, self.form_b, body="Bob.").status_code, 302)

    def test_the_message_speaks_the_editors_language(self) -> None:
        chinese = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        chinese.force_login(self.bob)
        form = form_data(chinese.get(self.url))
        self.save(self.client_a, self.form_a, body="Alice.")
        response = self.save(chinese, form, body="Bob.")
        self.assertContains(response, "Alice 在 ")
        self.assertContains(response, "笔记当前保存的版本")

    def test_a_form_without_a_version_is_saved_as_before(self) -> None:
        """An old tab (opened before this check existed) or a script posting the form."""
        self.save(self.client_a, self.form_a, body="Alice.")
        data = {key: value for key, value in self.form_b.items() if key != "edit_version"}
        self.assertEqual(self.save(self.client_b, data, body="Bob.").status_code, 302)
