"""The note form's paste hooks and the alt text a pasted file's name gives
(notes/admin/pasting.py)."""

from __future__ import annotations

import json
from unittest import mock

from bs4 import BeautifulSoup
from django.test import SimpleTestCase
from django.utils import translation

from notes.admin.pasting import PENDING, alt_from_name, clean_alt, paste_messages, replace_pending
from tests.admin.paste import ADD, CHECK, TOKEN, PasteTestCase


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
