"""Uploaded figures: only real raster images of allowed types and sizes, stored under safe names."""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.core.files import File
from PIL import Image, UnidentifiedImageError

MAX_FIGURE_BYTES = 10 * 1024 * 1024
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
                    f"The image is {width}×{height} pixels; at most "
                    f"{MAX_FIGURE_PIXELS // 1_000_000} million pixels are accepted."
                )
            image.verify()  # catches truncated and corrupt files
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationError(
            "This file is not a PNG, JPEG, GIF or WebP image (SVG is not accepted)."
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
            f"The image is {file.size / 1_048_576:.1f} MB; at most "
            f"{MAX_FIGURE_BYTES // 1_048_576} MB are accepted."
        )
    image_format = detect_format(file)
    if image_format not in ALLOWED_FORMATS:
        raise ValidationError(
            f"{image_format or 'This'} images are not accepted: use PNG, JPEG, GIF or WebP."
        )


def figure_upload_to(instance, filename: str) -> str:
    """figures/<note id>/<random>.<real type>: the uploaded name never reaches the disk."""
    try:
        extension = ALLOWED_FORMATS.get(detect_format(instance.image.file), "bin")
    except ValidationError:
        extension = "bin"
    return f"figures/{instance.note_id}/{uuid.uuid4().hex}.{extension}"
