"""Shared by the figure tests (test_figures_*.py): images, the note form, throwaway media."""

from __future__ import annotations

import errno
import io
import os
import re
import shutil
import tempfile
from html import unescape
from pathlib import Path
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from notes.models import Note
from tests.factories import make_category

SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<script>alert(1)</script><rect width="10" height="10"/></svg>'
)


def image_bytes(image_format: str, size: tuple[int, int] = (40, 30)) -> bytes:
    """A small real image in the given Pillow format, made in memory."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(buffer, format=image_format)
    return buffer.getvalue()


def noisy_png(size: tuple[int, int]) -> bytes:
    """A PNG of random pixels: it does not compress, so its byte size is predictable."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)).save(buffer, format="PNG")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def management(prefix: str, total: int = 0, initial: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def media_files(root: str) -> list[Path]:
    return sorted(path for path in Path(root).rglob("*") if path.is_file())


def figure_errors(response) -> list[str]:
    """The errors the re-displayed form shows for the figure inline's image field."""
    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "figures"
    )
    return [str(error) for form in formset.forms for error in form.errors.get("image", [])]


def textarea_value(response, name: str) -> str:
    html = response.content.decode()
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', html, re.DOTALL)
    assert match, f"no {name} textarea in the page"
    return unescape(match.group(1)).removeprefix("\n")


class TempMediaTestCase(TestCase):
    """Uploads go to a throwaway MEDIA_ROOT, removed after the class."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.media_root = tempfile.mkdtemp(prefix="research-notes-media-")
        cls.addClassCleanup(shutil.rmtree, cls.media_root, ignore_errors=True)
        media_override = override_settings(MEDIA_ROOT=cls.media_root)
        media_override.enable()
        cls.addClassCleanup(media_override.disable)
        super().setUpClass()

    @classmethod
    def setUpTestData(cls) -> None:
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")
        cls.category = make_category("机器学习 ML")

    def setUp(self) -> None:
        self.client.force_login(self.admin)

    def note_data(self, note: Note | None = None, **overrides) -> dict:
        """The note form as the browser submits it, with empty inlines unless overridden."""
        published_at = timezone.localtime(note.published_at if note else None)
        data = {
            "title": note.title if note else "Attention figures",
            "slug": note.slug if note else "",
            "category": self.category.pk,
            "tags": "",
            "body": note.body if note else "Some text.",
            "status": note.status if note else Note.Status.DRAFT,
            "published_at_0": published_at.strftime("%Y-%m-%d"),
            "published_at_1": published_at.strftime("%H:%M:%S"),
            "author": self.admin.pk,
            "summary": "",
            **management("papers"),
            **management("figures"),
            **management("updates"),
        }
        data.update(overrides)
        return data

    def add_with_figure(self, file, *, alt="Attention heat map", caption="", **overrides):
        data = self.note_data(
            **management("figures", total=1),
            **{"figures-0-image": file, "figures-0-alt": alt, "figures-0-caption": caption},
            **overrides,
        )
        return self.client.post(reverse("admin:notes_note_add"), data)

    def change(self, note: Note, **overrides):
        return self.client.post(
            reverse("admin:notes_note_change", args=[note.pk]), self.note_data(note, **overrides)
        )


class FillingDisk:
    """``os.write`` on a disk that fills up while the ``fail_on``-th file is written: half of
    that write lands, then ENOSPC. Files before it are written whole."""

    def __init__(self, fail_on: int = 1) -> None:
        self.fail_on, self.files, self.bytes_landed = fail_on, 0, 0
        self.write = os.write

    def __call__(self, descriptor: int, data) -> int:
        if os.lseek(descriptor, 0, os.SEEK_CUR) == 0:
            self.files += 1
        if self.files < self.fail_on:
            return self.write(descriptor, data)
        self.bytes_landed += self.write(descriptor, bytes(data)[: max(1, len(data) // 2)])
        raise OSError(errno.ENOSPC, "No space left on device")

    def patch(self):
        return mock.patch("notes.storage.os.write", self)
