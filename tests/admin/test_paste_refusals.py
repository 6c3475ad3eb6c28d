"""Images pasted into a note's body (notes/admin/pasting.py): what is refused, who may
paste, and hostile file names and alt texts from the hostile corpus."""

from __future__ import annotations

import re
from html import unescape

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from notes.admin.pasting import clean_alt
from notes.models import Figure, Note
from notes.rendering import render_markdown
from tests.admin.paste import (
    CHECK,
    INVALID_IMAGE,
    INVISIBLE,
    PasteTestCase,
    huge_png,
    images,
    png,
    upload,
)
from tests.admin.test_admin_conflicts import form_data
from tests.factories import make_note
from tests.hostile_corpus import MARKER, PAYLOADS
from tests.hostile_scan import scan_html
from tests.hostile_site import hostile, mark
from tests.models import figures


class RefusedPasteTests(PasteTestCase):
    """The Figures inline's own checks, with its own words; nothing half-written."""

    def refused(self, file: SimpleUploadedFile | None, url: str | None = None) -> str:
        before = figures.media_files(self.media_root)
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
        return figures.figure_errors(response)

    def test_a_12_mb_file_is_refused_with_the_limit(self) -> None:
        error = self.refused(upload("huge.png", huge_png()))
        self.assertEqual(error, "The image is 12.0 MB; at most 10 MB are accepted.")
        self.assertEqual([error], self.inline_errors("huge.png", huge_png(), "image/png"))

    def test_an_svg_is_refused(self) -> None:
        error = self.refused(upload("diagram.svg", figures.SVG, "image/svg+xml"))
        self.assertEqual(error, INVALID_IMAGE)
        self.assertEqual([error], self.inline_errors("diagram.svg", figures.SVG, "image/svg+xml"))

    def test_an_svg_named_png_is_refused(self) -> None:
        self.assertEqual(self.refused(upload("diagram.png", figures.SVG)), INVALID_IMAGE)

    def test_text_and_truncated_files_are_refused(self) -> None:
        self.assertEqual(self.refused(upload("notes.png", b"plain text\n" * 50)), INVALID_IMAGE)
        whole = figures.noisy_png((60, 60))
        self.assertEqual(self.refused(upload("cut.png", whole[: len(whole) // 2])), INVALID_IMAGE)

    def test_no_file_is_refused(self) -> None:
        self.assertEqual(self.refused(None), "No image file was received.")
        # A part named "image" that is no file (a script posting the wrong thing).
        before = figures.media_files(self.media_root)
        response = self.client.post(self.url, {"image": "not a file"})
        self.assertEqual(response.status_code, 400)
        self.assert_nothing_written(before)

    def test_a_full_disk_is_a_refusal_not_an_error_page(self) -> None:
        before = figures.media_files(self.media_root)
        with figures.FillingDisk().patch():
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
