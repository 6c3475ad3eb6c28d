"""Uploaded figures: only real raster images of allowed types and sizes, stored under safe names."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import Storage
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

MAX_FIGURE_BYTES = settings.FIGURE_MAX_BYTES  # DJANGO_MAX_UPLOAD_MB
MAX_FIGURE_PIXELS = 40_000_000  # well above any figure, well below a decompression bomb
# Pillow's format name -> the file extension we store. SVG is absent on purpose: it can carry
# script, and Pillow cannot open it anyway.
ALLOWED_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}


def detect_format(file: File) -> str:
    """The Pillow format name of an uploaded file, after checking it is a whole, sane image."""
    position = file.tell() if hasattr(file, "tell") else 0
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format or ""
            width, height = image.size
            if width * height > MAX_FIGURE_PIXELS:
                raise ValidationError(
                    _(
                        "The image is %(width)d×%(height)d pixels; at most %(limit)d million "
                        "pixels are accepted."
                    )
                    % {"width": width, "height": height, "limit": MAX_FIGURE_PIXELS // 1_000_000}
                )
            image.verify()  # catches truncated and corrupt files
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            _("This file is not a PNG, JPEG, GIF or WebP image (SVG is not accepted).")
        ) from exc
    finally:
        file.seek(position)
    return image_format


def validate_figure(file: File) -> None:
    # A figure already in storage was checked when it was uploaded. Re-saving a note sends its
    # unchanged figures through model validation again, with a file Django has already read
    # for its dimensions and closed: reading it here crashed every re-save (ValueError, 500).
    if getattr(file, "_committed", False):
        return
    if file.size is not None and file.size > MAX_FIGURE_BYTES:
        raise ValidationError(
            _("The image is %(size).1f MB; at most %(limit)s MB are accepted.")
            % {"size": file.size / 1_048_576, "limit": f"{MAX_FIGURE_BYTES / 1_048_576:g}"}
        )
    image_format = detect_format(file)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            _("%(format)s images are not accepted: use PNG, JPEG, GIF or WebP.")
            % {"format": image_format or "?"}
        )


def figure_upload_to(instance, filename: str) -> str:
    """figures/<note id>/<random>.<real type>: the uploaded name never reaches the disk."""
    try:
        extension = ALLOWED_FORMATS.get(detect_format(instance.image.file), "bin")
    except ValidationError:
        extension = "bin"
    return f"figures/{instance.note_id}/{uuid.uuid4().hex}.{extension}"


class FigureNotStored(Exception):
    """The upload could not be written (a full disk, a read-only media folder): nothing of it
    was kept, and the admin shows ``message`` on the form instead of an error page."""

    message = gettext_lazy(
        "The image could not be stored: the server's media folder is full or read-only. "
        "Nothing was saved. Try again later, or tell the site's administrator."
    )


def help_text() -> str:
    """The upload field's help in the admin, with the limit this site is configured with."""
    return _("PNG, JPEG, GIF or WebP, at most %(limit)s MB. SVG is not accepted.") % {
        "limit": f"{MAX_FIGURE_BYTES / 1_048_576:g}"
    }


# Files Figure.save wrote inside ``discarded_on_failure``, with their storage.
_written: ContextVar[list[tuple[Storage, str]] | None] = ContextVar("figures_written", default=None)


def remember_written(storage: Storage, name: str) -> None:
    written = _written.get()
    if written is not None:
        written.append((storage, name))


@contextlib.contextmanager
def discarded_on_failure() -> Iterator[None]:
    """Figure files written in the block are deleted again if the block raises: the
    transaction that would have referred to them (the admin's save) has rolled back, so a
    form with two figures, the second of which fails, leaves neither file behind."""
    token = _written.set([])
    try:
        yield
    except BaseException:
        for storage, name in _written.get() or []:
            try:
                storage.delete(name)
            except OSError:
                logger.warning("Could not remove %s after a failed save", name, exc_info=True)
        raise
    finally:
        _written.reset(token)
