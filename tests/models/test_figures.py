"""Figures: an editor uploads images through the note form's Figure inline and pastes the
Markdown snippet the admin shows into the body."""

from __future__ import annotations

import errno
import io
import os
import re
import shutil
import subprocess
import tempfile
from datetime import timedelta
from html import unescape
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase, override_settings
from django.urls import path, reverse
from django.utils import timezone
from django.views.static import serve as static_serve
from PIL import Image

from notes.models import Figure, Note
from notes.storage import MediaStorage
from site_config.urls import urlpatterns as site_urlpatterns
from tests.admin.test_lockout import settings_value
from tests.factories import make_category, make_note

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


class AcceptedUploadTests(TempMediaTestCase):
    def test_each_allowed_format_is_stored_under_the_note_with_a_random_name(self) -> None:
        formats = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}
        for image_format, extension in formats.items():
            with self.subTest(image_format):
                title = f"Figure as {image_format}"
                response = self.add_with_figure(
                    upload(f"figure.{extension}", image_bytes(image_format)), title=title
                )
                self.assertEqual(response.status_code, 302)
                figure = Figure.objects.get(note__title=title)
                self.assertRegex(
                    figure.image.name, rf"^figures/{figure.note_id}/[0-9a-f]{{32}}\.{extension}$"
                )
                self.assertTrue(Path(self.media_root, figure.image.name).is_file())

    def test_extension_follows_the_real_image_type_not_the_uploaded_name(self) -> None:
        self.add_with_figure(upload("photo.png", image_bytes("JPEG")))
        self.assertTrue(Figure.objects.get().image.name.endswith(".jpg"))

    def test_uploaded_file_name_never_reaches_the_disk(self) -> None:
        """A hostile name cannot choose the folder or the file name it is stored under."""
        before = set(media_files(self.media_root))
        self.add_with_figure(upload("../../evil name.png", image_bytes("PNG")))
        figure = Figure.objects.get()
        new_files = set(media_files(self.media_root)) - before
        self.assertEqual(len(new_files), 1)
        stored = new_files.pop().resolve()
        expected_folder = Path(self.media_root, "figures", str(figure.note_id)).resolve()
        self.assertEqual(stored.parent, expected_folder)
        self.assertNotIn("evil", figure.image.name)
        self.assertNotIn("evil", stored.name)
        self.assertFalse(Path(self.media_root).parent.joinpath("evil name.png").exists())

    def test_a_long_file_name_is_accepted(self) -> None:
        """Screenshots are often named by tools with long names; the name is never stored."""
        name = "Screenshot " + "截图" * 60 + ".png"
        response = self.add_with_figure(upload(name, image_bytes("PNG")))
        self.assertEqual(response.status_code, 302)
        self.assertRegex(Figure.objects.get().image.name, r"/[0-9a-f]{32}\.png$")

    def test_width_and_height_are_recorded(self) -> None:
        self.add_with_figure(upload("wide.png", image_bytes("PNG", size=(64, 48))))
        figure = Figure.objects.get()
        self.assertEqual((figure.width, figure.height), (64, 48))

    def test_the_form_states_the_configured_size_limit(self) -> None:
        with mock.patch("notes.figures.MAX_FIGURE_BYTES", 3 * 1_048_576):
            response = self.client.get(reverse("admin:notes_note_add"))
        self.assertContains(response, "PNG、JPEG、GIF 或 WebP，最大 3 MB。不接受 SVG。")

    def test_alt_text_is_required_for_an_upload(self) -> None:
        response = self.add_with_figure(upload("figure.png", image_bytes("PNG")), alt="")
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Figure.objects.exists())


class RefusedUploadTests(TempMediaTestCase):
    def assert_refused(self, file) -> None:
        """Status 200, the image error shown in the page, and nothing saved (rows or files)."""
        before = media_files(self.media_root)
        response = self.add_with_figure(file)
        self.assertEqual(response.status_code, 200)
        errors = figure_errors(response)
        self.assertTrue(errors, "the image field shows no error")
        html = unescape(response.content.decode())
        for error in errors:
            self.assertIn(error, html)
        self.assertFalse(Note.objects.exists())
        self.assertFalse(Figure.objects.exists())
        self.assertEqual(media_files(self.media_root), before)

    def test_svg_is_refused(self) -> None:
        self.assert_refused(upload("diagram.svg", SVG, "image/svg+xml"))

    def test_svg_renamed_png_is_refused(self) -> None:
        self.assert_refused(upload("diagram.png", SVG))

    def test_text_file_named_png_is_refused(self) -> None:
        self.assert_refused(upload("notes.png", b"This is plain text, not an image.\n" * 20))

    def test_truncated_png_is_refused(self) -> None:
        whole = noisy_png((60, 60))
        self.assert_refused(upload("cut.png", whole[: len(whole) // 2]))

    def test_too_large_file_is_refused_with_the_limit_in_the_message(self) -> None:
        content = noisy_png((700, 600))  # about 1.2 MB
        self.assertGreater(len(content), 1_048_576)
        with mock.patch("notes.figures.MAX_FIGURE_BYTES", 1_048_576):
            self.assert_refused(upload("big.png", content))
            response = self.add_with_figure(upload("big.png", content))
        # The limit, in the admin's language: "最大接受 1 MB" (at most 1 MB are accepted).
        self.assertTrue(any("最大接受 1 MB" in error for error in figure_errors(response)))

    def test_image_with_too_many_pixels_is_refused(self) -> None:
        """A small file can still decode to a huge bitmap (a decompression bomb)."""
        with mock.patch("notes.figures.MAX_FIGURE_PIXELS", 1000):
            self.assert_refused(upload("wide.png", image_bytes("PNG", size=(40, 30))))

    def test_refused_upload_keeps_the_typed_body_in_the_form(self) -> None:
        """The editor's unsaved text comes back in the editor, not only in the database."""
        note = make_note("Existing note", category=self.category, body="Old body.")
        typed = "New paragraph with <angle> & ampersand, 中文.\n\nSecond paragraph."
        response = self.change(
            note,
            body=typed,
            **management("figures", total=1),
            **{
                "figures-0-image": upload("fake.png", b"not an image"),
                "figures-0-alt": "A figure",
                "figures-0-caption": "",
                "figures-0-note": str(note.pk),
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(figure_errors(response))
        self.assertEqual(textarea_value(response, "body").replace("\r\n", "\n"), typed)
        note.refresh_from_db()
        self.assertEqual(note.body, "Old body.")


class SavedFigureTests(TempMediaTestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.note = make_note(
            "Transformer figures",
            category=cls.category,
            published_at=timezone.now() - timedelta(days=1),
            body="Intro.",
        )

    def upload_figure(self, *, alt="Attention heat map", caption="Heads attend to syntax"):
        response = self.change(
            self.note,
            **management("figures", total=1),
            **{
                "figures-0-image": upload("heat.png", image_bytes("PNG", size=(120, 80))),
                "figures-0-alt": alt,
                "figures-0-caption": caption,
                "figures-0-note": str(self.note.pk),
            },
        )
        self.assertEqual(response.status_code, 302)
        return Figure.objects.get(note=self.note)

    def change_page(self) -> str:
        url = reverse("admin:notes_note_change", args=[self.note.pk])
        return self.client.get(url).content.decode()

    def test_change_page_shows_a_thumbnail(self) -> None:
        figure = self.upload_figure()
        html = self.change_page()
        self.assertRegex(html, rf'<img class="figure-thumb" src="{re.escape(figure.image.url)}"')

    def test_change_page_shows_the_markdown_snippet(self) -> None:
        figure = self.upload_figure()
        values = re.findall(
            r'<input class="figure-snippet"[^>]*value="([^"]*)"', self.change_page()
        )
        self.assertEqual(
            [unescape(value) for value in values],
            [f'![Attention heat map]({figure.image.url} "Heads attend to syntax")'],
        )
        self.assertTrue(figure.image.url.startswith("/media/figures/"))

    def keep_figure(self, figure: Figure) -> dict[str, str]:
        """The figure inline as re-submitted when the editor leaves the figure alone."""
        return {
            **management("figures", total=1, initial=1),
            "figures-0-id": str(figure.pk),
            "figures-0-note": str(self.note.pk),
            "figures-0-alt": figure.alt,
            "figures-0-caption": figure.caption,
        }

    def test_note_with_a_figure_can_be_saved_again(self) -> None:
        """Editing the text of a note that already has a figure must not fail on the figure."""
        figure = self.upload_figure()
        response = self.change(self.note, body="Edited text.", **self.keep_figure(figure))
        self.assertEqual(response.status_code, 302)
        self.note.refresh_from_db()
        self.assertEqual(self.note.body, "Edited text.")
        self.assertEqual(Figure.objects.get().image.name, figure.image.name)

    def test_pasted_snippet_renders_a_sized_lazy_figure_with_caption(self) -> None:
        figure = self.upload_figure()
        body = f"Intro.\n\n{figure.markdown}\n\nMore text."
        response = self.change(
            self.note,
            body=body,
            **self.keep_figure(figure),
        )
        self.assertEqual(response.status_code, 302)
        page = self.client.get(self.note.get_absolute_url())
        self.assertContains(
            page,
            f'<figure><img alt="Attention heat map" src="{figure.image.url}" loading="lazy" '
            'width="120" height="80"><figcaption>Heads attend to syntax</figcaption></figure>',
            html=True,
        )

    def test_missing_alt_text_in_the_body_is_warned_about(self) -> None:
        figure = self.upload_figure()
        self.client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        response = self.change(
            self.note,
            body=f"Intro.\n\n![]({figure.image.url})",
            **self.keep_figure(figure),
        )
        messages = [str(message) for message in get_messages(response.wsgi_request)]
        self.assertIn(
            f"{self.note.title} (line 3): Image without alt text (describe it for screen "
            f"readers): {figure.image.url}",
            messages,
        )

    def test_no_alt_warning_when_every_image_has_alt_text(self) -> None:
        figure = self.upload_figure()
        response = self.change(
            self.note,
            body=figure.markdown,
            **self.keep_figure(figure),
        )
        messages = [str(message) for message in get_messages(response.wsgi_request)]
        self.assertFalse([message for message in messages if "alt text" in message])


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


def serve_media(request, path):
    """MEDIA_URL as Django serves it in development (site_config/urls.py, DEBUG only)."""
    return static_serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [*site_urlpatterns, path("media/<path:path>", serve_media)]


@override_settings(ROOT_URLCONF=__name__)
class MediaServingTests(TempMediaTestCase):
    """Stored under the extension of its real type, a figure is served with that type, and
    the browser is told not to guess another one."""

    def test_a_figure_is_served_as_the_image_type_pillow_found(self) -> None:
        self.add_with_figure(upload("photo.png", image_bytes("WEBP")))
        response = self.client.get(Figure.objects.get().image.url)
        self.assertEqual(response["Content-Type"], "image/webp")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")

    def test_feed_readers_elsewhere_may_show_it(self) -> None:
        self.add_with_figure(upload("figure.png", image_bytes("PNG")))
        response = self.client.get(Figure.objects.get().image.url)
        self.assertEqual(response["Cross-Origin-Resource-Policy"], "cross-origin")


def test_the_storage_backend_and_the_limit_come_from_the_environment() -> None:
    expression = "(settings.STORAGES['default']['BACKEND'], settings.FIGURE_MAX_BYTES)"
    value = settings_value(
        expression, DJANGO_MEDIA_STORAGE="storages.backends.s3.S3Storage", DJANGO_MAX_UPLOAD_MB="2"
    )
    assert value == repr(("storages.backends.s3.S3Storage", 2 * 1024 * 1024))
