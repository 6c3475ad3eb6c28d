"""Images pasted or dropped into a note's body (notes/admin/pasting.py): a saved note's figure
endpoint, a new note's figures that wait for its first save, and hostile file names and alt
texts from the hostile corpus."""

from __future__ import annotations

import json
import re
from html import unescape
from unittest import mock

from bs4 import BeautifulSoup
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, SimpleTestCase
from django.urls import reverse
from django.utils import translation
from selectolax.lexbor import LexborHTMLParser

from notes import revisions
from notes.admin.pasting import (
    PENDING,
    alt_from_name,
    clean_alt,
    paste_messages,
    replace_pending,
)
from notes.models import Figure, Note
from notes.rendering import render_markdown
from tests.admin.test_admin_conflicts import form_data
from tests.factories import make_note
from tests.hostile_corpus import MARKER, PAYLOADS
from tests.models import test_figures
from tests.test_hostile import hostile, mark, scan_html

ADD = reverse("admin:notes_note_add")
CHECK = reverse("admin:notes_note_figure_check")
TOKEN = "0123456789abcdef0123456789abcdef"
# A file that is not one line of visible text, in the ways a file name or alt text can fail.
INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
INVALID_IMAGE = (
    "Upload a valid image. The file you uploaded was either not an image or a corrupted image."
)


def png(size: tuple[int, int] = (40, 30)) -> bytes:
    return test_figures.image_bytes("PNG", size)


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


class PasteTestCase(test_figures.TempMediaTestCase):
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
        self.assertEqual(test_figures.media_files(self.media_root), before)


class SavedNoteTests(PasteTestCase):
    def test_a_pasted_image_becomes_a_figure_of_the_note(self) -> None:
        before = set(test_figures.media_files(self.media_root))
        response = self.paste(upload("attention map.png", png()))
        self.assertEqual(response.status_code, 200)
        figure = self.note.figures.get()
        self.assertEqual(
            response.json(),
            {"markdown": figure.markdown, "url": figure.image.url, "alt": "attention map"},
        )
        # Stored under a random name in the note's folder, whatever the file was called.
        self.assertRegex(figure.image.name, rf"^figures/{self.note.pk}/[0-9a-f]{{32}}\.png$")
        new_files = set(test_figures.media_files(self.media_root)) - before
        self.assertEqual([path.name for path in new_files], [figure.image.name.rsplit("/")[-1]])
        self.assertEqual((figure.width, figure.height), (40, 30))

    def test_the_real_type_decides_the_stored_extension(self) -> None:
        self.paste(upload("photo.png", test_figures.image_bytes("JPEG")))
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


class RefusedPasteTests(PasteTestCase):
    """The Figures inline's own checks, with its own words; nothing half-written."""

    def refused(self, file: SimpleUploadedFile | None, url: str | None = None) -> str:
        before = test_figures.media_files(self.media_root)
        response = self.paste(file, url)
        self.assertEqual(response.status_code, 400)
        self.assert_nothing_written(before)
        return response.json()["error"]

    def inline_errors(self, name: str, content: bytes, content_type: str) -> list[str]:
        """What the note form's Figures inline says of the same file."""
        response = self.client.post(
            self.change_url,
            {
                **form_data(self.client.get(self.change_url)),
                "figures-TOTAL_FORMS": "1",
                "figures-0-image": SimpleUploadedFile(name, content, content_type=content_type),
                "figures-0-alt": "A figure",
            },
        )
        return test_figures.figure_errors(response)

    def test_a_12_mb_file_is_refused_with_the_limit(self) -> None:
        error = self.refused(upload("huge.png", huge_png()))
        self.assertEqual(error, "The image is 12.0 MB; at most 10 MB are accepted.")
        self.assertEqual([error], self.inline_errors("huge.png", huge_png(), "image/png"))

    def test_an_svg_is_refused(self) -> None:
        error = self.refused(upload("diagram.svg", test_figures.SVG, "image/svg+xml"))
        self.assertEqual(error, INVALID_IMAGE)
        self.assertEqual(
            [error], self.inline_errors("diagram.svg", test_figures.SVG, "image/svg+xml")
        )

    def test_an_svg_named_png_is_refused(self) -> None:
        self.assertEqual(self.refused(upload("diagram.png", test_figures.SVG)), INVALID_IMAGE)

    def test_text_and_truncated_files_are_refused(self) -> None:
        self.assertEqual(self.refused(upload("notes.png", b"plain text\n" * 50)), INVALID_IMAGE)
        whole = test_figures.noisy_png((60, 60))
        self.assertEqual(self.refused(upload("cut.png", whole[: len(whole) // 2])), INVALID_IMAGE)

    def test_no_file_is_refused(self) -> None:
        self.assertEqual(self.refused(None), "No image file was received.")
        # A part named "image" that is no file (a script posting the wrong thing).
        before = test_figures.media_files(self.media_root)
        response = self.client.post(self.url, {"image": "not a file"})
        self.assertEqual(response.status_code, 400)
        self.assert_nothing_written(before)

    def test_a_full_disk_is_a_refusal_not_an_error_page(self) -> None:
        before = test_figures.media_files(self.media_root)
        with test_figures.FillingDisk().patch():
            response = self.paste(upload("figure.png", png()))
        self.assertEqual(response.status_code, 400)
        self.assertIn("could not be stored", response.json()["error"])
        self.assert_nothing_written(before)

    def test_a_missing_or_malformed_note_is_404(self) -> None:
        for note_id in ("999999", "abc", "1%2F..%2F2"):
            with self.subTest(note_id):
                response = self.paste(
                    upload("figure.png", png()), url=f"/admin/notes/note/{note_id}/figures/paste/"
                )
                self.assertEqual(response.status_code, 404)
                self.assertIn("error", response.json())
        self.assertFalse(Figure.objects.exists())

    def test_a_figure_goes_to_the_note_in_the_address_only(self) -> None:
        other = make_note("Other", category=self.category)
        self.paste(upload("figure.png", png()), url=self.url, note=str(other.pk))
        self.assertEqual(Figure.objects.get().note_id, self.note.pk)
        self.assertFalse(other.figures.exists())

    def test_only_post(self) -> None:
        self.assertEqual(self.client.get(self.url).status_code, 405)
        self.assertEqual(self.client.get(CHECK).status_code, 405)


class PastePermissionTests(PasteTestCase):
    def editor_with(self, *codenames: str):
        user = get_user_model().objects.create_user("limited", is_staff=True)
        user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
        client = Client(headers={"accept-language": "en"})
        client.force_login(user)
        return client

    def test_changing_the_note_and_adding_figures_is_needed(self) -> None:
        for codenames, status in (
            (("view_note", "change_note", "view_figure"), 403),
            (("view_note", "add_figure", "change_figure", "view_figure"), 403),
            (("view_note", "change_note", "add_figure", "change_figure", "view_figure"), 200),
        ):
            with self.subTest(codenames):
                get_user_model().objects.filter(username="limited").delete()
                self.client = self.editor_with(*codenames)
                response = self.paste(upload("figure.png", png()))
                self.assertEqual(response.status_code, status)
                self.assertEqual(self.note.figures.exists(), status == 200)

    def test_checking_a_new_notes_file_needs_adding_notes_and_figures(self) -> None:
        self.client = self.editor_with("view_note", "change_note", "add_figure")
        self.assertEqual(self.paste(upload("figure.png", png()), url=CHECK).status_code, 403)

    def test_someone_signed_out_is_sent_to_sign_in(self) -> None:
        self.client.logout()
        response = self.paste(upload("figure.png", png()))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])
        self.assertFalse(Figure.objects.exists())

    def test_the_csrf_token_is_required(self) -> None:
        client = Client(enforce_csrf_checks=True, headers={"accept-language": "en"})
        client.force_login(self.admin)
        refused = client.post(self.url, {"image": upload("figure.png", png())})
        self.assertEqual(refused.status_code, 403)
        self.assertFalse(Figure.objects.exists())
        # As note-paste.js sends it: the form's token in X-CSRFToken, with the cookie.
        page = client.get(self.change_url).content.decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        accepted = client.post(
            self.url, {"image": upload("figure.png", png())}, headers={"X-CSRFToken": token}
        )
        self.assertEqual(accepted.status_code, 200)


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
        before = test_figures.media_files(self.media_root)
        response = self.paste(upload("image.png", png()), url=CHECK, number="3")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json(), {"alt": "Figure 3"})
        response = self.paste(upload("loss curve.png", png()), url=CHECK)
        self.assertEqual(response.json(), {"alt": "loss curve"})
        self.assert_nothing_written(before)

    def test_the_check_refuses_what_the_upload_refuses(self) -> None:
        before = test_figures.media_files(self.media_root)
        for file, error in (
            (upload("huge.png", huge_png()), "The image is 12.0 MB; at most 10 MB are accepted."),
            (upload("diagram.svg", test_figures.SVG, "image/svg+xml"), INVALID_IMAGE),
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
        before = test_figures.media_files(self.media_root)
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
        [error] = test_figures.figure_errors(again)
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


class PastePageTests(PasteTestCase):
    def body_attrs(self, url: str) -> dict[str, str]:
        page = BeautifulSoup(self.client.get(url).content, "html.parser")
        return page.find("textarea", attrs={"name": "body"}).attrs

    def test_the_change_page_names_the_notes_endpoint(self) -> None:
        attrs = self.body_attrs(self.change_url)
        self.assertEqual(attrs["data-paste-url"], self.url)
        self.assertEqual(attrs["data-paste-mode"], "upload")
        self.assertEqual(json.loads(attrs["data-paste-messages"]), paste_messages())

    def test_the_add_page_names_the_check_and_waits_for_the_save(self) -> None:
        attrs = self.body_attrs(ADD)
        self.assertEqual(attrs["data-paste-url"], CHECK)
        self.assertEqual(attrs["data-paste-mode"], "pending")
        self.assertIn("pending-figure:", json.loads(attrs["data-paste-messages"])["pending_help"])

    def test_the_script_and_its_styles_are_static_files(self) -> None:
        html = self.client.get(ADD).content.decode()
        self.assertRegex(html, r'<script src="/static/admin/note-paste\.[0-9a-f]+\.js">')
        self.assertRegex(html, r'href="/static/admin/note-paste\.[0-9a-f]+\.css"')
        # The Figures rows carry the token field, hidden.
        page = BeautifulSoup(html, "html.parser")
        token = page.find("input", {"name": "figures-0-paste_token"})
        self.assertEqual((token["type"], token.get("value")), ("hidden", None))


class AltTextTests(SimpleTestCase):
    def test_a_file_name_gives_its_stem(self) -> None:
        cases = {
            "attention map.png": "attention map",
            "../../etc/passwd.png": "passwd",
            "C:\\Users\\me\\loss.curve.jpeg": "loss.curve",
            "no extension": "no extension",
            "a\x00b\tc\r\nd.png": "a b c d",
            "\u202egnp.exe.png": "gnp.exe",
            "x" * 1000 + ".png": "x" * 300,
        }
        for name, alt in cases.items():
            with self.subTest(name):
                self.assertEqual(alt_from_name(name, 1), alt)

    def test_names_that_say_nothing_give_the_figure_number(self) -> None:
        names = (
            "image.png",
            "IMAGE (12).PNG",
            "blob",
            "",
            ".png",
            "  .png",
            "Untitled-2.jpg",
            "..",
            "!?.png",
        )
        for name in names:
            with self.subTest(name):
                # In the editor's language: the admin's default is Chinese.
                self.assertEqual(alt_from_name(name, 7), "图 7")
                with translation.override("en"):
                    self.assertEqual(alt_from_name(name, 7), "Figure 7")

    def test_cleaning_keeps_visible_text_on_one_line(self) -> None:
        self.assertEqual(clean_alt(" 图\u200f 1\n\n（左）\x00 "), "图 1 （左）")

    def test_replacing_leaves_other_tokens_and_text_alone(self) -> None:
        figure = mock.Mock(markdown="![a](/m/a.png)", image=mock.Mock(url="/m/a.png"))
        body = f"x ![old]({PENDING}{TOKEN}) [l]({PENDING}{TOKEN}) ![b]({PENDING}{'1' * 32})"
        self.assertEqual(
            replace_pending(body, {TOKEN: figure}),
            f"x ![a](/m/a.png) [l](/m/a.png) ![b]({PENDING}{'1' * 32})",
        )


class HostilePasteTests(PasteTestCase):
    """Every payload of the hostile corpus as a pasted file's name and as the alt text sent
    with it: stored under a random name, one line of alt text, escaped in the Markdown, and
    no executable markup once rendered."""

    def check(self, index: int, figure: Figure, markdown: str) -> None:
        where = f"{PAYLOADS[index].name}: {figure.alt!r}"
        self.assertRegex(figure.image.name, rf"^figures/{self.note.pk}/[0-9a-f]{{32}}\.png$")
        self.assertNotRegex(figure.alt, INVISIBLE, where)
        self.assertEqual(figure.alt, clean_alt(figure.alt), where)
        self.assertTrue(0 < len(figure.alt) <= 300, where)
        self.assertEqual(markdown, figure.markdown, where)
        self.assertNotIn("\n", markdown, where)
        # The snippet is one image: its brackets hold the whole alt text.
        self.assertRegex(markdown, rf"^!\[[^\[\]\n]*\]\({re.escape(figure.image.url)}\)$", where)
        html = render_markdown(markdown, Note(pk=self.note.pk).render_context()).html
        scan = scan_html(html, where, document=False)
        self.assertEqual(scan.problems, [], where)
        [image] = images(html)
        self.assertEqual(image["src"], figure.image.url, where)

    def test_hostile_file_names(self) -> None:
        for index, payload in enumerate(PAYLOADS):
            name = f"{MARKER}{index:03d} {payload.text}.png"
            response = self.paste(upload(name, png()))
            self.assertEqual(response.status_code, 200, payload.name)
            figure = Figure.objects.get(image__endswith=response.json()["url"].rsplit("/")[-1])
            self.check(index, figure, response.json()["markdown"])
        self.assertEqual(self.note.figures.count(), len(PAYLOADS))

    def test_hostile_alt_texts(self) -> None:
        for index, payload in enumerate(PAYLOADS):
            alt = hostile("figure alt text", index)
            if "\x00" in payload.text:
                alt = f"{mark('figure alt text', index)} {payload.text} "
            response = self.paste(upload("image.png", png()), alt=alt)
            self.assertEqual(response.status_code, 200, payload.name)
            figure = Figure.objects.get(image__endswith=response.json()["url"].rsplit("/")[-1])
            self.assertEqual(figure.alt, clean_alt(alt), payload.name)
            self.check(index, figure, response.json()["markdown"])
            # What the editor sees of it, and screen readers hear: the text between the marks.
            rendered = unescape(
                images(render_markdown(figure.markdown, Note().render_context()).html)[0]["alt"]
                or ""
            )
            self.assertIn(mark("figure alt text", index), rendered, payload.name)

    def test_named_hostile_names(self) -> None:
        """The cases the corpus has no payload of its own for."""
        cases = {
            "../../../etc/passwd.png": "passwd",
            "..\\..\\boot.ini.png": "boot.ini",
            "[x](javascript:alert(1)).png": "[x](javascript:alert(1))",
            "\u202etxt.exe.png": "txt.exe",
            "a\x00b.png": "a b",
            "图 [1] \"引\" 'q' `c`.png": "图 [1] \"引\" 'q' `c`",
            "长" * 400 + ".png": None,
        }
        for name, alt in cases.items():
            with self.subTest(name):
                response = self.paste(upload(name, png()))
                self.assertEqual(response.status_code, 200)
                figure = Figure.objects.get(image__endswith=response.json()["url"].rsplit("/")[-1])
                if alt is not None:
                    self.assertEqual(figure.alt, alt)
                self.check(0, figure, response.json()["markdown"])
