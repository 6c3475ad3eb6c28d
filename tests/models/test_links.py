"""[[Wiki links]] between stored notes: where they point, backlinks, and re-rendering when the
note they name appears, is renamed or is deleted."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from notes.models import Note
from tests.factories import INLINE_MANAGEMENT, make_category, make_note, settle

_ANCHOR = re.compile(r"<a\b([^>]*)>(.*?)</a>", re.S)
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')


def anchors(html: str) -> list[tuple[dict[str, str], str]]:
    """Each <a> in the HTML: its attributes and its text."""
    return [
        (
            {name: unescape(value) for name, value in _ATTRIBUTE.findall(attributes)},
            unescape(re.sub(r"<[^>]+>", "", text)),
        )
        for attributes, text in _ANCHOR.findall(html)
    ]


def wikilinks(note: Note) -> list[tuple[str, str]]:
    """(href, text) of each resolved wiki link in the note as stored now."""
    note.refresh_from_db()
    return [
        (attrs["href"], text)
        for attrs, text in anchors(note.body_html)
        if "wikilink" in attrs.get("class", "").split()
    ]


def missing_links(note: Note) -> list[str]:
    """Texts of the wiki links the stored note shows as missing."""
    note.refresh_from_db()
    return [
        unescape(text)
        for text in re.findall(
            r'<span\b[^>]*\bclass="wikilink-missing"[^>]*>(.*?)</span>', note.body_html
        )
    ]


def backlinks(response) -> list[tuple[dict[str, str], str]]:
    """The links listed under "Referenced by" on a note page ([] when the section is absent)."""
    match = re.search(
        r'<aside class="related backlinks".*?</aside>', response.content.decode(), re.S
    )
    return anchors(match.group(0)) if match else []


def backlink_titles(response) -> list[str]:
    return [text for _, text in backlinks(response)]


class WikiLinkTestCase(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("大模型 LLM")
        cls.target = make_note("Low-Rank Adaptation", slug="b-slug", category=cls.category)
        cls.linker = make_note(
            "Note A", category=cls.category, body="LoRA is described in [[b-slug]]."
        )

    def note(self, title: str, body: str, **fields) -> Note:
        return make_note(title, category=self.category, body=body, **fields)


class LinkResolutionTests(WikiLinkTestCase):
    def test_link_by_slug_points_at_the_target_note(self) -> None:
        self.assertEqual(
            wikilinks(self.linker), [(self.target.get_absolute_url(), "Low-Rank Adaptation")]
        )

    def test_link_by_title_ignores_case(self) -> None:
        note = self.note("Note C", "See [[low-rank ADAPTATION]].")
        self.assertEqual(wikilinks(note), [(self.target.get_absolute_url(), "Low-Rank Adaptation")])

    def test_link_with_escaped_pipe_in_a_table_cell_resolves(self) -> None:
        """Inside a table a bare "|" would end the cell, so the alias pipe is written "\\|"."""
        note = self.note("Note T", "| Method | Note |\n|---|---|\n| LoRA | [[b-slug\\|LoRA]] |")
        self.assertEqual(wikilinks(note), [(self.target.get_absolute_url(), "LoRA")])

    def test_link_by_a_slug_with_capitals_resolves(self) -> None:
        """Editors may keep capitals in a slug ("LoRA-v2"); the link as written must find it."""
        target = self.note("LoRA v2", "Body.", slug="LoRA-v2")
        note = self.note("Note S", "See [[LoRA-v2]].")
        self.assertEqual(wikilinks(note), [(target.get_absolute_url(), "LoRA v2")])

    def test_links_point_at_the_default_language_whatever_language_saves(self) -> None:
        """The body is stored once for both languages; an editor whose admin speaks English
        (or an import after an English page) must not write /en/ addresses into it."""
        with translation.override("en" if settings.LANGUAGE_CODE != "en" else "zh-hans"):
            note = self.note("Note E", "See [[b-slug]].")
        self.assertEqual(wikilinks(note), [(self.target.get_absolute_url(), "Low-Rank Adaptation")])

    def test_self_link_resolves_on_the_first_save(self) -> None:
        note = self.note("Self", "This very note: [[self-ref|here]].", slug="self-ref")
        self.assertEqual(
            (wikilinks(note), missing_links(note)), ([(note.get_absolute_url(), "here")], [])
        )

    def test_link_to_a_draft_warns_the_editor(self) -> None:
        draft = self.note("Unfinished", "Draft body.", slug="unfinished", status=Note.Status.DRAFT)
        note = self.note("Note D", "See [[unfinished]].")
        self.assertTrue(
            any(draft.slug in w and "cannot see" in w for w in note.render_warnings),
            note.render_warnings,
        )


class BacklinkTests(WikiLinkTestCase):
    def get_target_page(self):
        response = self.client.get(self.target.get_absolute_url())
        self.assertEqual(response.status_code, 200)
        return response

    def test_target_page_lists_the_linking_note_under_referenced_by(self) -> None:
        response = self.get_target_page()
        self.assertContains(response, "引用本文的笔记")
        self.assertEqual(backlink_titles(response), ["Note A"])

    def test_backlink_leads_to_the_linking_note(self) -> None:
        self.assertEqual(
            [attrs["href"] for attrs, _ in backlinks(self.get_target_page())],
            [self.linker.get_absolute_url()],
        )

    def test_draft_linking_note_is_not_listed(self) -> None:
        self.note("Secret draft", "Also see [[b-slug]].", status=Note.Status.DRAFT)
        self.assertEqual(backlink_titles(self.get_target_page()), ["Note A"])

    def test_scheduled_linking_note_is_not_listed(self) -> None:
        self.note(
            "Tomorrow's note",
            "Also see [[b-slug]].",
            published_at=timezone.now() + timedelta(days=1),
        )
        self.assertEqual(backlink_titles(self.get_target_page()), ["Note A"])

    def test_note_linking_to_itself_does_not_list_itself(self) -> None:
        note = self.note("Self reference", "Back to the top: [[self-reference]].")
        # On its first save a note cannot find itself yet (reported separately); once saved
        # again its self-link resolves, so this checks a real link is left out of backlinks.
        note.save()
        self.assertEqual(wikilinks(note), [(note.get_absolute_url(), "Self reference")])
        response = self.client.get(note.get_absolute_url())
        self.assertEqual(backlink_titles(response), [])
        self.assertNotContains(response, "引用本文的笔记")

    def test_query_count_is_the_same_for_1_and_20_backlinks(self) -> None:
        self.get_target_page()  # fill per-process caches (content types) before counting
        settle()
        with CaptureQueriesContext(connection) as one:
            response = self.get_target_page()
        self.assertEqual(len(backlink_titles(response)), 1)
        for number in range(19):
            self.note(f"Linker {number:02d}", "See [[b-slug]].")
        settle()
        self.get_target_page()  # the page's own kept parts drawn again, as before the first
        with CaptureQueriesContext(connection) as twenty:
            response = self.get_target_page()
        self.assertEqual(len(backlink_titles(response)), 20)
        self.assertEqual(len(one), len(twenty))


class RerenderTests(WikiLinkTestCase):
    """Saving, renaming or deleting a note re-renders the notes whose links name it."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.waiting = make_note(
            "Waiting note", category=cls.category, body="Later: [[新笔记]] will explain."
        )
        cls.by_title = make_note(
            "Note by title", category=cls.category, body="See [[Low-Rank Adaptation]]."
        )

    def test_creating_a_missing_target_turns_the_marker_into_a_link(self) -> None:
        self.assertEqual(missing_links(self.waiting), ["新笔记"])
        new = self.note("新笔记", "Now it exists.")
        self.assertEqual(wikilinks(self.waiting), [(new.get_absolute_url(), "新笔记")])
        self.assertEqual(missing_links(self.waiting), [])

    def test_creating_a_missing_target_clears_the_unresolved_warning(self) -> None:
        self.note("新笔记", "Now it exists.")
        self.waiting.refresh_from_db()
        self.assertFalse(
            any("Unresolved" in w for w in self.waiting.render_warnings),
            self.waiting.render_warnings,
        )

    def test_creating_a_missing_target_lists_the_waiting_note_as_a_backlink(self) -> None:
        new = self.note("新笔记", "Now it exists.")
        response = self.client.get(new.get_absolute_url())
        self.assertEqual(backlink_titles(response), ["Waiting note"])

    def test_rerendering_a_linking_note_keeps_its_updated_at(self) -> None:
        """The linking note's text did not change: readers should not see an "updated" date."""
        before = Note.objects.get(pk=self.waiting.pk).updated_at
        self.note("新笔记", "Now it exists.")
        self.waiting.refresh_from_db()
        self.assertEqual(missing_links(self.waiting), [])  # it was re-rendered...
        self.assertEqual(self.waiting.updated_at, before)  # ...without looking edited

    def test_renaming_the_slug_repoints_links_by_title(self) -> None:
        self.target.slug = "lora-renamed"
        self.target.save()
        self.assertEqual(
            wikilinks(self.by_title), [(self.target.get_absolute_url(), "Low-Rank Adaptation")]
        )
        self.assertEqual(self.target.get_absolute_url(), "/notes/lora-renamed/")

    def test_renaming_the_slug_leaves_no_link_to_the_old_address(self) -> None:
        old_url = self.target.get_absolute_url()
        self.target.slug = "lora-renamed"
        self.target.save()
        for note in (self.linker, self.by_title):
            note.refresh_from_db()
            self.assertNotIn(f'href="{old_url}"', note.body_html)

    def test_renaming_the_title_updates_the_text_of_links_by_slug(self) -> None:
        self.target.title = "Low-Rank Adaptation of Large Language Models"
        self.target.save()
        self.assertEqual(
            wikilinks(self.linker),
            [(self.target.get_absolute_url(), "Low-Rank Adaptation of Large Language Models")],
        )

    def test_renaming_the_title_resolves_links_naming_the_new_title(self) -> None:
        waiting = self.note("Waiting for LoRA", "See [[LoRA 低秩适配]].")
        self.target.title = "LoRA 低秩适配"
        self.target.save()
        self.assertEqual(wikilinks(waiting), [(self.target.get_absolute_url(), "LoRA 低秩适配")])

    def test_deleting_the_target_turns_links_back_into_missing_markers(self) -> None:
        self.target.delete()
        self.assertEqual(wikilinks(self.linker), [])
        self.assertEqual(missing_links(self.linker), ["b-slug"])

    def test_bulk_deleting_the_target_also_updates_links(self) -> None:
        """The admin's "delete selected" deletes a queryset, never calling Note.delete()."""
        Note.objects.filter(pk=self.target.pk).delete()
        self.assertEqual(missing_links(self.linker), ["b-slug"])


class AdminWarningTests(WikiLinkTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")

    def test_saving_a_note_with_unresolved_links_warns_the_editor(self) -> None:
        self.client.force_login(self.admin)
        published_at = timezone.localtime() - timedelta(hours=1)
        response = self.client.post(
            reverse("admin:notes_note_add"),
            {
                "title": "Linking note",
                "slug": "",
                "category": self.category.pk,
                "tags": "",
                "body": "See [[不存在的笔记]] and [[b-slug]].",
                "status": Note.Status.PUBLISHED,
                "published_at_0": published_at.strftime("%Y-%m-%d"),
                "published_at_1": published_at.strftime("%H:%M:%S"),
                "author": self.admin.pk,
                "summary": "",
                **INLINE_MANAGEMENT,
            },
            HTTP_ACCEPT_LANGUAGE="en",  # the admin in English: the message as written here
        )
        self.assertEqual(response.status_code, 302)
        warnings = [str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"]
        self.assertEqual(warnings, ["Linking note (line 1): Unresolved link: [[不存在的笔记]]"])
