"""Images pasted or dropped into a note's body (notes/admin/pasting.py): a saved note's
figure endpoint, and a new note's figures that wait for its first save."""

from __future__ import annotations

from bs4 import BeautifulSoup
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from notes import revisions
from notes.admin.pasting import PENDING, alt_from_name
from notes.models import Figure, Note
from tests.admin.paste import (
    ADD,
    CHECK,
    INVALID_IMAGE,
    TOKEN,
    PasteTestCase,
    huge_png,
    images,
    png,
    textarea,
    upload,
)
from tests.admin.test_admin_conflicts import form_data
from tests.models import figures


class SavedNoteTests(PasteTestCase):
    def test_a_pasted_image_becomes_a_figure_of_the_note(self) -> None:
        before = set(figures.media_files(self.media_root))
        response = self.paste(upload("attention map.png", png()))
        self.assertEqual(response.status_code, 200)
        figure = self.note.figures.get()
        self.assertEqual(
            response.json(),
            {"markdown": figure.markdown, "url": figure.image.url, "alt": "attention map"},
        )
        # Stored under a random name in the note's folder, whatever the file was called.
        self.assertRegex(figure.image.name, rf"^figures/{self.note.pk}/[0-9a-f]{{32}}\.png$")
        new_files = set(figures.media_files(self.media_root)) - before
        self.assertEqual([path.name for path in new_files], [figure.image.name.rsplit("/")[-1]])
        self.assertEqual((figure.width, figure.height), (40, 30))

    def test_the_real_type_decides_the_stored_extension(self) -> None:
        self.paste(upload("photo.png", figures.image_bytes("JPEG")))
        self.assertTrue(self.note.figures.get().image.name.endswith(".jpg"))

    def test_a_clipboard_image_is_called_figure_n(self) -> None:
        """Browsers name a pasted screenshot "image.png": the alt says which figure it is."""
        for name in ("image.png", "image (1).png", "blob.png", "Pasted Graphic.png"):
            self.paste(upload(name, png()))
        self.assertEqual(
            list(self.note.figures.values_list("alt", flat=True)),
            ["Figure 1", "Figure 2", "Figure 3", "Figure 4"],
        )

    def test_the_figure_number_speaks_the_admins_language(self) -> None:
        self.client = Client(headers={"accept-language": "zh-hans"})
        self.client.force_login(self.admin)
        response = self.paste(upload("image.png", png()))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["alt"], alt_from_name("image.png", 1))

    def test_an_alt_text_sent_with_the_file_is_kept(self) -> None:
        response = self.paste(upload("image.png", png()), alt="  损失曲线\n（训练集）  ")
        self.assertEqual(response.json()["alt"], "损失曲线 （训练集）")

    def test_saving_the_figure_leaves_the_note_as_it_is(self) -> None:
        """The body changes only with the editor's next save: the figure's own save renders
        nothing again and moves no version (notes/derive.py has no notes for a figure)."""
        before = Note.objects.values("body", "body_html", "updated_at").get(pk=self.note.pk)
        self.paste(upload("curve.png", png()))
        after = Note.objects.values("body", "body_html", "updated_at").get(pk=self.note.pk)
        self.assertEqual(after, before)

    def test_the_next_save_is_not_an_edit_conflict(self) -> None:
        """The form was opened before the upload; its version is still the note's."""
        form = form_data(self.client.get(self.change_url))
        markdown = self.paste(upload("curve.png", png())).json()["markdown"]
        body = f"第一段。\n\n{markdown}\n\n第二段。"
        response = self.client.post(self.change_url, {**form, "body": body})
        self.assertEqual(response.status_code, 302, getattr(response, "context", None))
        note = Note.objects.get(pk=self.note.pk)
        self.assertEqual(note.body, body)
        figure = note.figures.get()
        [image] = images(note.body_html)
        self.assertEqual(image["src"], figure.image.url)
        self.assertEqual((image["width"], image["height"]), ("40", "30"))
        # The saved revision holds the figure with the body that shows it.
        version = revisions.note_versions(note).last()
        self.assertIn(figure.image.url, version.field_dict["body"])
        self.assertTrue(
            version.revision.version_set.filter(
                content_type__model="figure", object_id=str(figure.pk)
            ).exists()
        )

    def test_the_upload_is_in_the_notes_history(self) -> None:
        self.paste(upload("curve.png", png()))
        from django.contrib.admin.models import LogEntry

        entry = LogEntry.objects.get(object_id=str(self.note.pk))
        self.assertIn("curve", entry.get_change_message())


class NewNoteTests(PasteTestCase):
    """A new note: the file is checked at once, waits in the Figures inline, and the first
    save puts the figure's address where the placeholder was."""

    def add_form(self, **overrides) -> dict:
        data = form_data(self.client.get(ADD))
        data.update({"title": "带图的新笔记", "category": str(self.category.pk)})
        data.update(overrides)
        return data

    def pasted(self, body: str, file: SimpleUploadedFile | None, token: str = TOKEN, **extra):
        fields = {"figures-0-alt": "Figure 1", "figures-0-paste_token": token, **extra}
        if file is not None:
            fields["figures-0-image"] = file
        return self.client.post(ADD, self.add_form(body=body, **fields))

    def new_note(self) -> Note:
        return Note.objects.get(title="带图的新笔记")

    def test_the_check_stores_nothing_and_answers_the_alt_text(self) -> None:
        before = figures.media_files(self.media_root)
        response = self.paste(upload("image.png", png()), url=CHECK, number="3")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"alt": "Figure 3"})
        response = self.paste(upload("loss curve.png", png()), url=CHECK)
        self.assertEqual(response.json(), {"alt": "loss curve"})
        self.assert_nothing_written(before)

    def test_the_check_refuses_what_the_upload_refuses(self) -> None:
        before = figures.media_files(self.media_root)
        for file, error in (
            (upload("huge.png", huge_png()), "The image is 12.0 MB; at most 10 MB are accepted."),
            (upload("diagram.svg", figures.SVG, "image/svg+xml"), INVALID_IMAGE),
            (None, "No image file was received."),
        ):
            response = self.paste(file, url=CHECK, number="²")
            self.assertEqual(response.status_code, 400)
            self.assertEqual(response.json(), {"error": error})
        self.assert_nothing_written(before)

    def test_the_first_save_puts_the_figure_in_place(self) -> None:
        body = f"前言。\n\n![Figure 1]({PENDING}{TOKEN})\n\n后文。"
        response = self.pasted(body, upload("image.png", png()))
        self.assertEqual(response.status_code, 302)
        note = self.new_note()
        figure = note.figures.get()
        self.assertEqual(note.body, f"前言。\n\n{figure.markdown}\n\n后文。")
        self.assertNotIn(PENDING, note.body)
        [image] = images(note.body_html)
        self.assertEqual(
            (image["src"], image["alt"], image["width"]), (figure.image.url, "Figure 1", "40")
        )
        # The revision of this save holds the body with the figure's address.
        self.assertEqual(revisions.note_versions(note).last().field_dict["body"], note.body)
        self.assertFalse(list(get_messages(response.wsgi_request))[1:])

    def test_an_edited_placeholder_and_a_link_to_it_get_the_address_too(self) -> None:
        body = (
            f"![编辑改过的说明]({PENDING}{TOKEN})\n\n[原图]({PENDING}{TOKEN})\n\n"
            f"![second]({PENDING}{'f' * 32})"
        )
        response = self.pasted(body, upload("image.png", png()))
        self.assertEqual(response.status_code, 302)
        note = self.new_note()
        figure = note.figures.get()
        url = figure.image.url
        self.assertEqual(
            note.body, f"{figure.markdown}\n\n[原图]({url})\n\n![second]({PENDING}{'f' * 32})"
        )
        # The one whose file never came is left for the editor, who is told.
        warnings = [str(message) for message in get_messages(response.wsgi_request)]
        self.assertTrue(any("1 image placeholder" in text for text in warnings), warnings)

    def test_a_form_back_with_errors_keeps_the_placeholder_and_asks_for_the_file(self) -> None:
        before = figures.media_files(self.media_root)
        body = f"前言。\n\n![Figure 1]({PENDING}{TOKEN})\n"
        response = self.pasted(body, upload("image.png", png()), category="")
        self.assertEqual(response.status_code, 200)
        self.assert_nothing_written(before)
        html = response.content.decode()
        self.assertEqual(textarea(html), body)
        # The row comes back with its token and alt text (note-paste.js highlights it).
        page = BeautifulSoup(html, "html.parser")
        self.assertEqual(page.find("input", {"name": "figures-0-paste_token"})["value"], TOKEN)
        self.assertEqual(page.find("input", {"name": "figures-0-alt"})["value"], "Figure 1")

        # Saved again without choosing the file: the row says what to do, nothing is saved.
        again = self.pasted(body, None)
        self.assertEqual(again.status_code, 200)
        [error] = figures.figure_errors(again)
        self.assertIn("choose the file again", error)
        self.assertFalse(Note.objects.filter(title="带图的新笔记").exists())

        # With the file chosen again: saved, and the placeholder replaced.
        done = self.pasted(body, upload("image.png", png()))
        self.assertEqual(done.status_code, 302)
        note = self.new_note()
        self.assertIn(note.figures.get().image.url, note.body)

    def test_a_token_the_script_could_not_have_made_is_not_a_paste(self) -> None:
        for token in ("../../etc/passwd", "<script>alert(1)</script>", TOKEN.upper(), "0" * 64):
            with self.subTest(token):
                Note.objects.filter(title="带图的新笔记").delete()
                body = f"![x]({PENDING}{token})"
                response = self.pasted(body, upload("image.png", png()), token=token)
                self.assertEqual(response.status_code, 302)
                note = self.new_note()
                self.assertEqual(note.body, body)
                self.assertTrue(note.figures.exists())

    def test_an_unfinished_upload_is_pointed_out_on_save(self) -> None:
        body = "![Uploading… image.png](uploading:1)"
        response = self.client.post(ADD, self.add_form(body=body))
        self.assertEqual(response.status_code, 302)
        warnings = [str(message) for message in get_messages(response.wsgi_request)]
        self.assertTrue(any("1 image placeholder" in text for text in warnings), warnings)

    def test_a_figure_added_by_hand_is_saved_as_before(self) -> None:
        response = self.client.post(
            ADD,
            self.add_form(
                body="正文。",
                **{"figures-0-image": upload("a.png", png()), "figures-0-alt": "手动上传"},
            ),
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.new_note().body, "正文。")
        self.assertEqual(Figure.objects.get().alt, "手动上传")
