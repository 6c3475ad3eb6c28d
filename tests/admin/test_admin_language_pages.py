"""Every page of the notes admin, as a Chinese-speaking editor gets it: no English left."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import reversion
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from lxml import html as lxml_html

from notes import revisions
from notes.models import Paper, PaperFinding, PreviewLink, Series, TagAlias
from tests.admin.language import english_words
from tests.factories import make_category, make_note
from tests.test_translations import po_entries

# --- The pages ---------------------------------------------------------------------------

# What Django's admin and django-taggit leave in English in Chinese (not ours to change):
# the search box's icon, the app index's column headings for screen readers, and taggit's
# merge action (taggit marks none of its admin's strings).
DJANGO_ENGLISH = {
    ("img", "alt", "Search"),
    ("th", "", "Model name"),
    ("th", "", "Add link"),
    ("th", "", "Change or view list link"),
    ("option", "", "Merge selected tags"),
    # Django 6's admin, newer than its own Chinese catalogue: the filter's heading for screen
    # readers and the empty choice of a select.
    ("option", "", "- Select an option -"),
}
DJANGO_ENGLISH_PATTERNS = [("span", "", re.compile(r"Filter by \S.*"))]


def _djangos_own(tag: str, attribute: str, text: str) -> bool:
    return (tag, attribute, text) in DJANGO_ENGLISH or any(
        (tag, attribute) == (pattern_tag, pattern_attribute) and pattern.fullmatch(text)
        for pattern_tag, pattern_attribute, pattern in DJANGO_ENGLISH_PATTERNS
    )


# Shown by the browser only when asked for (display: none), or never shown.
HIDDEN_CLASSES = {"hidden", "empty-form"}
SKIPPED_TAGS = {"script", "style", "textarea", "code", "pre", "template"}


def visible_texts(html: str) -> list[tuple[str, str]]:
    """(where, text) of every piece of text an editor sees or hears on an admin page: text,
    the title, buttons' labels, and title/alt/placeholder/aria-label attributes. Not the
    admin's sidebar (other apps' names), not text areas, code or hidden rows."""
    document = lxml_html.fromstring(html)
    found: list[tuple[str, str]] = []

    def skipped(element) -> bool:
        if not isinstance(element.tag, str) or element.tag in SKIPPED_TAGS:
            return True
        if element.get("id") == "nav-sidebar" or element.get("hidden") is not None:
            return True
        return bool(HIDDEN_CLASSES & set((element.get("class") or "").split()))

    def walk(element) -> None:
        if skipped(element):
            return
        if element.text and element.text.strip():
            found.append((element.tag, element.text.strip()))
        for name in ("title", "alt", "placeholder", "aria-label"):
            if element.get(name):
                found.append((f"{element.tag}@{name}", element.get(name)))
        if element.tag == "input" and element.get("type") in ("submit", "button", "reset"):
            found.append(("input@value", element.get("value") or ""))
        for child in element:
            walk(child)
            if child.tail and child.tail.strip():
                found.append((element.tag, child.tail.strip()))

    walk(document)
    return found


def catalogue() -> dict[str, bool]:
    """The catalogue's msgids, each with whether it is translated."""
    return {
        entry["msgid"]: bool(entry["translations"] and all(entry["translations"]))
        and not entry["fuzzy"]
        for entry in po_entries()
    }


def _msgid_pattern(msgid: str) -> re.Pattern[str]:
    parts = re.split(r"%\(\w+\)[sd]|%[sd]|\{\{\s*\w+\s*\}\}", msgid)
    return re.compile(r"\s*" + ".+?".join(re.escape(" ".join(p.split())) for p in parts) + r"\s*")


def explain(text: str, known: dict[str, bool]) -> str:
    """Whether the catalogue has this text: marked but not translated yet, or unknown to it
    (not marked, or marked since the catalogue was last made)."""
    flat = " ".join(text.split())
    for msgid, translated in known.items():
        if english_words(msgid) and _msgid_pattern(msgid).fullmatch(flat):
            if translated:
                return "the catalogue translates it: the code shows it without gettext"
            return "marked, not translated yet"
    return "not in the catalogue: not marked, or marked since `make messages`"


class RenderedPagesTests(TestCase):
    """Every page of the notes admin, as a Chinese-speaking editor gets it."""

    @classmethod
    def setUpTestData(cls) -> None:
        # Everything the test writes is Chinese, so English on a page is the interface's.
        cls.editor = get_user_model().objects.create_superuser("编辑甲", "editor@example.com")
        cls.category = make_category("分类甲", slug="分类甲")
        cls.series = Series.objects.create(title="系列甲", slug="系列甲")
        cls.paper = Paper.objects.create(
            title="论文甲", arxiv="2106.09685", year=2022, key="甲2022"
        )
        cls.note = make_note(
            "笔记甲", slug="笔记甲", category=cls.category, series=cls.series,
            series_position=1, tags=["标签甲"], body="正文一。",
        )  # fmt: skip
        cls.note.papers.add(cls.paper)
        cls.draft = make_note("草稿甲", slug="草稿甲", category=cls.category, status="draft",
                              body="[[笔记甲]]")  # fmt: skip
        cls.finding = PaperFinding.objects.create(
            paper=cls.paper, kind=PaperFinding.Kind.NEW_VERSION, value="v2", detail={"latest": 2}
        )
        PreviewLink.objects.create(
            note=cls.note, created_by=cls.editor, expires_at=timezone.now() + timedelta(days=7)
        )
        from taggit.models import Tag

        cls.tag = Tag.objects.get(name="标签甲")
        TagAlias.objects.create(tag=cls.tag, name="别名甲")
        # Three versions that differ in the body and in the details the compare page lists.
        for title, body, status in (("笔记甲", "正文一。", "published"),
                                    ("笔记甲二", "正文二。\n新的一行。", "draft"),
                                    ("笔记甲", "正文三。", "published")):  # fmt: skip
            with reversion.create_revision():
                cls.note.title, cls.note.body, cls.note.status = title, body, status
                cls.note.save()
                revisions.add_note_to_revision(cls.note)
                reversion.set_user(cls.editor)
                reversion.set_comment("第一次修改")
        cls.versions = list(revisions.note_versions(cls.note))
        cls.data = {json.dumps(cls.finding.detail), cls.paper.key}

    def setUp(self) -> None:
        self.client.force_login(self.editor)

    def pages(self) -> list[str]:
        note, paper = self.note.pk, self.paper.pk
        first, last = self.versions[0].pk, self.versions[-1].pk
        return [
            "/admin/notes/note/", "/admin/notes/note/?status__exact=draft",
            "/admin/notes/note/add/", f"/admin/notes/note/{note}/change/",
            f"/admin/notes/note/{self.draft.pk}/change/",
            f"/admin/notes/note/{note}/history/",
            f"/admin/notes/note/{note}/history/compare/?from={first}&to={last}",
            f"/admin/notes/note/{note}/history/compare/?to={self.versions[1].pk}",
            f"/admin/notes/note/{note}/history/{first}/",
            f"/admin/notes/note/{note}/delete/", "/admin/notes/note/recover/",
            "/admin/notes/paper/", "/admin/notes/paper/add/", f"/admin/notes/paper/{paper}/change/",
            f"/admin/notes/paper/{paper}/history/",
            "/admin/notes/category/", "/admin/notes/category/add/",
            f"/admin/notes/category/{self.category.pk}/change/",
            "/admin/notes/series/", "/admin/notes/series/add/",
            f"/admin/notes/series/{self.series.pk}/change/",
            "/admin/notes/paperfinding/", f"/admin/notes/paperfinding/{self.finding.pk}/change/",
            "/admin/taggit/tag/", f"/admin/taggit/tag/{self.tag.pk}/change/",
            "/admin/notes/",
        ]  # fmt: skip

    def english_on(self, html: str) -> list[tuple[str, str]]:
        return [
            (where, text)
            for where, text in visible_texts(html)
            if english_words(text)
            and text not in self.data
            and not _djangos_own(where.split("@")[0], where.partition("@")[2], text)
        ]

    def assert_no_english(self, found: dict[str, list[tuple[str, str]]]) -> None:
        known = catalogue()
        report = [
            f"{page} <{where}> {text[:120]!r} — {explain(text, known)}"
            for page, texts in found.items()
            for where, text in dict.fromkeys(texts)
        ]
        self.assertEqual(report, [], "\n" + "\n".join(report))

    def test_no_english_on_any_page(self) -> None:
        found = {}
        for url in self.pages():
            response = self.client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            self.assertEqual(response.status_code, 200, url)
            self.assertEqual(response["Content-Language"], "zh-hans", url)
            if english := self.english_on(response.content.decode()):
                found[url] = english
        self.assert_no_english(found)

    def test_no_english_in_messages_after_actions(self) -> None:
        """What the bulk actions and a restore say, on the page they lead to."""
        found = {}
        changelist = reverse("admin:notes_note_changelist")
        for action in ("publish", "unpublish"):
            response = self.client.post(
                changelist,
                {"action": action, "_selected_action": [self.note.pk, self.draft.pk]},
                follow=True,
                HTTP_ACCEPT_LANGUAGE="zh-hans",
            )
            if english := self.english_on(response.content.decode()):
                found[f"action {action}"] = english
        restore = reverse("admin:notes_note_restore", args=[self.note.pk, self.versions[0].pk])
        response = self.client.post(restore, follow=True, HTTP_ACCEPT_LANGUAGE="zh-hans")
        if english := self.english_on(response.content.decode()):
            found["restore"] = english
        history = self.client.get(
            reverse("admin:notes_note_history", args=[self.note.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        )
        if english := self.english_on(history.content.decode()):
            found["history after the actions"] = english
        self.assert_no_english(found)

    def test_the_scripts_words_are_chinese(self) -> None:
        """The words the note form hands its scripts (data-*messages), in the admin's language."""
        html = self.client.get(
            reverse("admin:notes_note_change", args=[self.note.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans"
        ).content.decode()
        document = lxml_html.fromstring(html)
        found = {}
        attributes = 0
        for element in document.iter():
            for name, value in element.attrib.items():
                if name.startswith("data-") and name.endswith("messages"):
                    attributes += 1
                    for key, text in json.loads(value).items():
                        if english_words(text):
                            found.setdefault(name, []).append((key, text))
        self.assertGreater(attributes, 0)
        self.assert_no_english(found)
