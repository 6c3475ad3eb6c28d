"""Figures: an editor uploads images through the note form's Figure inline; which are
accepted, which refused."""

from __future__ import annotations

from html import unescape
from pathlib import Path
from unittest import mock

from django.urls import reverse

from notes.models import Figure, Note
from tests.factories import make_note
from tests.models.figures import (
    SVG,
    TempMediaTestCase,
    figure_errors,
    image_bytes,
    management,
    media_files,
    noisy_png,
    textarea_value,
    upload,
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
