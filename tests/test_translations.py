"""The editors' forms speak the admin's language (zh-hans) consistently."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone, translation

PO_FILE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def _unquote(lines: list[str]) -> str:
    return "".join(json.loads(line) for line in lines)


def po_entries(path: Path = PO_FILE) -> list[dict]:
    """Every entry of a .po file: context, msgid, translations, flags (obsolete ones left out)."""
    entries = []
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fields: dict[str, list[str]] = {}
        current = None
        for line in lines:
            if line.startswith('"') and current:
                fields[current].append(line)
            elif not line.startswith("#") and " " in line:
                current, value = line.split(" ", 1)
                fields[current] = [value]
        if "msgid" not in fields or not _unquote(fields["msgid"]):
            continue
        entries.append(
            {
                "context": _unquote(fields["msgctxt"]) if "msgctxt" in fields else None,
                "msgid": _unquote(fields["msgid"]),
                "plural": "msgid_plural" in fields,
                "translations": [_unquote(v) for k, v in fields.items() if k.startswith("msgstr")],
                "fuzzy": any(line.startswith("#,") and "fuzzy" in line for line in lines),
            }
        )
    return entries


def test_every_string_is_translated() -> None:
    entries = po_entries()
    assert len(entries) > 100
    missing = [e["msgid"] for e in entries if e["fuzzy"] or not all(e["translations"])]
    assert missing == []


def test_the_catalogue_has_every_string_of_the_code_and_templates(tmp_path: Path) -> None:
    """A string added to a template or to Python without `make messages` fails here: the
    catalogue is extracted again from a copy of the sources and compared."""
    for folder in ("notes", "templates", "site_config", "locale"):
        shutil.copytree(Path(settings.BASE_DIR) / folder, tmp_path / folder)
    previous = os.getcwd()
    os.chdir(tmp_path)
    try:
        call_command("makemessages", locale=["zh_Hans"], verbosity=0, no_obsolete=True)
    finally:
        os.chdir(previous)
    extracted = {
        (e["context"], e["msgid"])
        for e in po_entries(tmp_path / PO_FILE.relative_to(settings.BASE_DIR))
    }
    committed = {(e["context"], e["msgid"]) for e in po_entries()}
    assert sorted(extracted - committed, key=str) == []


def test_compiled_catalogue_matches_the_po_file() -> None:
    """The .mo is committed; a .po edited without `make messages` would not show."""
    stale = []
    with translation.override("zh-hans"):
        for entry in po_entries():
            if entry["plural"]:
                shown = (
                    translation.npgettext(entry["context"], entry["msgid"], entry["msgid"], 1)
                    if entry["context"]
                    else translation.ngettext(entry["msgid"], entry["msgid"], 1)
                )
            elif entry["context"]:
                shown = translation.pgettext(entry["context"], entry["msgid"])
            else:
                shown = translation.gettext(entry["msgid"])
            if shown != entry["translations"][0]:
                stale.append(entry["msgid"])
    assert stale == []


class NoteFormLanguageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.editor = get_user_model().objects.create_superuser("editor", "e@example.com")

    def setUp(self) -> None:
        self.client.force_login(self.editor)

    def test_note_form_labels_are_all_in_chinese(self) -> None:
        html = self.client.get(reverse("admin:notes_note_add")).content.decode()
        labels = re.findall(r"<label[^>]*for=\"id_[a-z_]+\"[^>]*>([^<]+)</label>", html)
        assert len(labels) >= 10
        assert [label for label in labels if re.search(r"[A-Za-z]{3,}", label)] == []

    def test_inline_headings_and_fieldsets_are_in_chinese(self) -> None:
        html = self.client.get(reverse("admin:notes_note_add")).content.decode()
        for heading in ("发布", "论文", "图片", "粘贴到正文的 Markdown", "短标题"):
            assert heading in html
        for english in (">Publishing<", ">Papers<", ">Figures<", "Short title"):
            assert english not in html


class InterfaceLanguageTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.editor = get_user_model().objects.create_superuser("editor2", "e2@example.com")

    def test_admin_follows_the_editors_browser_language(self) -> None:
        self.client.force_login(self.editor)
        english = self.client.get(reverse("admin:notes_note_add"), HTTP_ACCEPT_LANGUAGE="en")
        self.assertContains(english, ">Publishing<")
        self.assertNotContains(english, ">发布<")
        chinese = self.client.get(reverse("admin:notes_note_add"), HTTP_ACCEPT_LANGUAGE="zh-CN")
        self.assertContains(chinese, ">发布<")

    def test_each_address_serves_one_language_whatever_the_browser_asks(self) -> None:
        chinese = self.client.get("/archive/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        english = self.client.get("/en/archive/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
        self.assertIn(">归档</h1>", chinese)
        self.assertIn(">Archive</h1>", english)
        self.assertIn('<html lang="zh-Hans">', chinese)
        self.assertIn('<html lang="en">', english)

    def test_pages_link_their_other_language(self) -> None:
        html = self.client.get("/archive/").content.decode()
        self.assertIn(
            '<link rel="alternate" hreflang="en" href="http://testserver/en/archive/">', html
        )
        self.assertIn(
            '<link rel="alternate" hreflang="x-default" href="http://testserver/archive/">', html
        )
        # The switcher is a plain link: no JavaScript, no form.
        self.assertIn('<a href="/en/archive/" hreflang="en" lang="en">English</a>', html)
        english = self.client.get("/en/archive/").content.decode()
        self.assertIn('<a href="/archive/" hreflang="zh-Hans" lang="zh-Hans">简体中文</a>', english)

    def test_dates_follow_the_language(self) -> None:
        from tests.factories import make_note

        make_note("Dated", slug="dated", published_at=timezone.make_aware(datetime(2026, 3, 5, 12)))
        self.assertContains(self.client.get("/notes/dated/"), "2026年3月5日")
        self.assertContains(self.client.get("/en/notes/dated/"), "March 5, 2026")
