"""Shared by the pasted-image tests (test_paste_*.py): uploads, page readers, a test case."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser

from notes.models import Figure
from tests.factories import make_note
from tests.models import figures

ADD = reverse("admin:notes_note_add")
CHECK = reverse("admin:notes_note_figure_check")
TOKEN = "0123456789abcdef0123456789abcdef"
# A file that is not one line of visible text, in the ways a file name or alt text can fail.
INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
INVALID_IMAGE = (
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
)


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    return figures.image_bytes("PNG", size)


def huge_png() -> bytes:
    """A real PNG of 12 MB: a small image, then padding Pillow reads past (after IEND)."""
    return png() + bytes(12 * 1024 * 1024)


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    # As a browser sends a file name in multipart form data (HTML's rule): ", CR and LF
    # percent-encoded, everything else as it is.
    sent = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    file = SimpleUploadedFile(sent, content, content_type=content_type)
    file.original_name = name
    return file


def textarea(html: str, name: str = "body") -> str:
    field = BeautifulSoup(html, "html.parser").find("textarea", attrs={"name": name})
    return field.text.removeprefix("\n").replace("\r\n", "\n")


def images(html: str) -> list[dict[str, str | None]]:
    return [dict(node.attributes) for node in LexborHTMLParser(html).css("img")]


class PasteTestCase(figures.TempMediaTestCase):
    """An editor with the admin in English, a saved note, and uploads in a throwaway folder."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.note = make_note("Attention", category=cls.category, body="第一段。\n\n第二段。")
        cls.url = reverse("admin:notes_note_figure_paste", args=[cls.note.pk])
        cls.change_url = reverse("admin:notes_note_change", args=[cls.note.pk])

    def setUp(self) -> None:
        self.client = Client(headers={"accept-language": "en"})
        self.client.force_login(self.admin)

    def paste(self, file: SimpleUploadedFile | None, url: str | None = None, **data: str):
        """Post a file as note-paste.js does: the file, and its name as a field of its own."""
        if file is not None:
            data = {"image": file, "name": getattr(file, "original_name", ""), **data}
        return self.client.post(url or self.url, data)

    def assert_nothing_written(self, before: list) -> None:
        self.assertFalse(Figure.objects.exists())
        self.assertEqual(figures.media_files(self.media_root), before)
