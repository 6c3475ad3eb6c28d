"""The editors' forms speak the admin's language (zh-hans) consistently."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

PO_FILE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# One-line entries: msgid "…" followed by msgstr "…".
_ENTRY = re.compile(r'^msgid "(.+)"\nmsgstr "(.*)"$', re.MULTILINE)


def _entries() -> list[tuple[str, str]]:
    return [
        (msgid.replace('\\"', '"'), msgstr.replace('\\"', '"'))
        for msgid, msgstr in _ENTRY.findall(PO_FILE.read_text(encoding="utf-8"))
    ]


def test_every_string_is_translated() -> None:
    assert len(_entries()) > 50
    assert [msgid for msgid, msgstr in _entries() if not msgstr] == []


def test_compiled_catalogue_matches_the_po_file() -> None:
    """The .mo is committed; a .po edited without `make messages` would not show."""
    with translation.override("zh-hans"):
        stale = [msgid for msgid, msgstr in _entries() if translation.gettext(msgid) != msgstr]
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
