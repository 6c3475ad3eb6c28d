"""Figures on a full disk or a read-only media folder, and the storage backend from the
environment."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from notes.models import Figure, Note
from notes.storage import MediaStorage
from tests.admin.test_lockout import settings_value
from tests.factories import make_note
from tests.models.figures import (
    FillingDisk,
    TempMediaTestCase,
    figure_errors,
    image_bytes,
    management,
    media_files,
    noisy_png,
    textarea_value,
    upload,
)


def unwritable_folder() -> Path | None:
    """A fresh folder nothing can be written into, or None where this machine cannot make
    one. Root ignores permission bits (the suite runs as root in CI), so there the folder is
    also made immutable (``chattr +i``), which binds root too; a file system without that
    attribute, or a container without the right to set it, gives None."""
    folder = Path(tempfile.mkdtemp(prefix="research-notes-readonly-"))
    folder.chmod(0o555)
    if os.geteuid() == 0 and shutil.which("chattr"):
        subprocess.run(["chattr", "+i", str(folder)], capture_output=True, check=False)
    probe = folder / "probe"
    try:
        probe.write_bytes(b"")
    except OSError:
        return folder
    probe.unlink()
    release_folder(folder)
    return None


def release_folder(folder: Path) -> None:
    if shutil.which("chattr"):
        subprocess.run(["chattr", "-i", str(folder)], capture_output=True, check=False)
    folder.chmod(0o755)
    shutil.rmtree(folder, ignore_errors=True)


class DiskFullStorage(MediaStorage):
    """Stands in for a read-only folder where none can be made (see ``unwritable_folder``):
    the write fails as a full disk makes it fail."""

    def _save(self, name, content):
        raise OSError(errno.ENOSPC, "No space left on device")


class StorageFailureTests(TempMediaTestCase):
    """A full disk or a read-only media folder: the editor gets the form back with the reason
    on the image field (not an error page), and nothing of the save is kept: no note change,
    no figure row, no file, whole or partial."""

    STORAGE_ERROR = "图片无法保存：服务器的媒体文件夹已满或为只读。"

    def setUp(self) -> None:
        super().setUp()
        self.files_before = media_files(self.media_root)

    def assert_nothing_kept(self, response) -> None:
        self.assertEqual(response.status_code, 200)
        self.assertTrue(any(self.STORAGE_ERROR in error for error in figure_errors(response)))
        self.assertContains(response, self.STORAGE_ERROR)
        self.assertFalse(Figure.objects.exists())
        self.assertEqual(media_files(self.media_root), self.files_before)

    def test_read_only_media_folder_is_explained_on_the_form(self) -> None:
        folder = unwritable_folder()
        if folder is None:
            unwritable = override_settings(
                STORAGES={
                    **settings.STORAGES,
                    "default": {"BACKEND": f"{__name__}.DiskFullStorage"},
                }
            )
        else:
            self.addCleanup(release_folder, folder)
            unwritable = override_settings(MEDIA_ROOT=str(folder))
        with unwritable:
            response = self.add_with_figure(upload("figure.png", image_bytes("PNG")))
        self.assert_nothing_kept(response)
        self.assertFalse(Note.objects.exists())
        if folder is not None:
            self.assertEqual(list(folder.iterdir()), [])

    def test_disk_full_halfway_leaves_no_partial_file(self) -> None:
        content = noisy_png((1000, 1000))
        # Larger than Django keeps in memory: the upload is spooled to a temporary file.
        self.assertGreater(len(content), settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        disk = FillingDisk()
        with disk.patch():
            response = self.add_with_figure(upload("figure.png", content))
        self.assertGreater(disk.bytes_landed, 0)
        self.assert_nothing_kept(response)
        self.assertFalse(Note.objects.exists())

    def test_the_figure_written_before_the_failing_one_is_removed_too(self) -> None:
        disk = FillingDisk(fail_on=2)
        data = self.note_data(**management("figures", total=2))
        for index in range(2):
            data[f"figures-{index}-image"] = upload(f"f{index}.png", noisy_png((120, 120)))
            data[f"figures-{index}-alt"] = f"Figure {index}"
            data[f"figures-{index}-caption"] = ""
        with disk.patch():
            response = self.client.post(reverse("admin:notes_note_add"), data)
        self.assertEqual(disk.files, 2)  # the first was written whole
        self.assert_nothing_kept(response)

    def test_the_editors_text_comes_back_and_the_note_is_unchanged(self) -> None:
        note = make_note("Existing note", category=self.category, body="Old body.")
        typed = "New paragraph, 中文 & <angle>.\n\nSecond paragraph."
        with FillingDisk().patch():
            response = self.change(
                note,
                body=typed,
                **management("figures", total=1),
                **{
                    "figures-0-image": upload("figure.png", image_bytes("PNG")),
                    "figures-0-alt": "A figure",
                    "figures-0-caption": "",
                    "figures-0-note": str(note.pk),
                },
            )
        self.assert_nothing_kept(response)
        self.assertEqual(textarea_value(response, "body").replace("\r\n", "\n"), typed)
        note.refresh_from_db()
        self.assertEqual(note.body, "Old body.")


def test_the_storage_backend_and_the_limit_come_from_the_environment() -> None:
    expression = "(settings.STORAGES['default']['BACKEND'], settings.FIGURE_MAX_BYTES)"
    value = settings_value(
        expression, DJANGO_MEDIA_STORAGE="storages.backends.s3.S3Storage", DJANGO_MAX_UPLOAD_MB="2"
    )
    assert value == repr(("storages.backends.s3.S3Storage", 2 * 1024 * 1024))
