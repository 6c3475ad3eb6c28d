"""Where uploaded figures are written: MEDIA_ROOT, whole files or nothing.

Django's FileSystemStorage streams an upload straight into its final name, so a disk that
fills up halfway leaves a truncated image there (and a large upload, spooled to /tmp, is
copied across file systems the same way). Here the upload is written to a hidden temporary
file in the destination folder first and renamed into place once complete: a full disk or a
read-only folder raises ``OSError`` with nothing left behind, and the figure's row is never
written (see ``notes.models.Figure.save``).

Another backend (S3-compatible object storage through django-storages, for instance) is
chosen with DJANGO_MEDIA_STORAGE; object stores make an object visible only once complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile

from django.core.files import File
from django.core.files.storage import FileSystemStorage


class _WrittenFile(File):
    """A file already on disk: Django's storage moves it into place instead of copying."""

    def temporary_file_path(self) -> str:
        return self.name


class MediaStorage(FileSystemStorage):
    def _save(self, name: str, content: File) -> str:
        directory = os.path.dirname(self.path(name))
        os.makedirs(directory, self.directory_permissions_mode or 0o777, exist_ok=True)
        descriptor, partial = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
        try:
            try:
                # mkstemp makes the file private; the web server serving MEDIA_ROOT reads it.
                os.fchmod(descriptor, self.file_permissions_mode or 0o644)
                content.seek(0)
                for chunk in content.chunks():
                    _write_all(descriptor, chunk if isinstance(chunk, bytes) else chunk.encode())
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            # Same folder, so this is a rename (atomic); Django picks another name if taken.
            return super()._save(name, _WrittenFile(None, name=partial))
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(partial)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]
