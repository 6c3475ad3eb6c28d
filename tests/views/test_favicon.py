"""The site's icon: /favicon.ico where browsers ask for it unasked, and a <link rel="icon"> on
the readers' pages and on every admin page."""

from __future__ import annotations

import io
import re
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, TestCase
from django.urls import reverse
from PIL import Image

from tests.factories import make_category, make_note

ICO = Path(settings.BASE_DIR) / "static" / "favicon.ico"


class FaviconTests(TestCase):
    def test_the_ico_is_served_and_cacheable(self) -> None:
        response = self.client.get("/favicon.ico")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/x-icon")
        self.assertEqual(response.content, ICO.read_bytes())
        control = response["Cache-Control"]
        self.assertIn("public", control)
        self.assertGreaterEqual(int(re.search(r"max-age=(\d+)", control).group(1)), 3600)
        self.assertTrue(response["ETag"])

    def test_a_kept_copy_is_confirmed_with_a_304(self) -> None:
        first = self.client.get("/favicon.ico")
        again = self.client.get("/favicon.ico", HTTP_IF_NONE_MATCH=first["ETag"])
        self.assertEqual(again.status_code, 304)
        self.assertEqual(again.content, b"")

    def test_it_is_a_real_icon_in_the_usual_sizes(self) -> None:
        icon = Image.open(io.BytesIO(self.client.get("/favicon.ico").content))
        self.assertEqual(icon.format, "ICO")
        self.assertEqual(set(icon.ico.sizes()), {(16, 16), (32, 32), (48, 48)})
        # The SVG's blue square, not an empty or black picture.
        icon.size = (32, 32)
        pixel = icon.convert("RGBA").getpixel((16, 4))
        self.assertEqual(pixel[3], 255)
        self.assertGreater(pixel[2], 150)
        self.assertLess(pixel[0], 60)

    def test_only_get_and_head(self) -> None:
        self.assertEqual(self.client.head("/favicon.ico").status_code, 200)
        response = Client(enforce_csrf_checks=True).post("/favicon.ico")
        self.assertEqual(response.status_code, 405)
        self.assertEqual(response["Allow"], "GET, HEAD, OPTIONS")

    def test_no_session_and_no_cookie(self) -> None:
        response = self.client.get("/favicon.ico")
        self.assertEqual(response.cookies, {})
        self.assertNotIn("Cookie", response.get("Vary", ""))

    def test_the_address_is_the_sites_root(self) -> None:
        self.assertEqual(reverse("notes:favicon"), "/favicon.ico")

    def test_readers_pages_link_the_svg(self) -> None:
        note = make_note("有图标的页面", category=make_category("图标"))
        html = self.client.get(note.get_absolute_url()).content.decode()
        self.assertRegex(html, r'<link rel="icon" href="/static/favicon\.[0-9a-f]+\.svg"')


class AdminIconTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.editor = get_user_model().objects.create_superuser("editor", "editor@example.com")
        cls.note = make_note("图标", category=make_category("管理"))

    def test_every_admin_page_has_the_icon_and_keeps_its_branding(self) -> None:
        anonymous = Client().get("/admin/login/").content.decode()
        self.client.force_login(self.editor)
        pages = [anonymous] + [
            self.client.get(url).content.decode()
            for url in (
                "/admin/",
                "/admin/notes/note/",
                "/admin/notes/note/add/",
                f"/admin/notes/note/{self.note.pk}/change/",
                f"/admin/notes/note/{self.note.pk}/history/",
                f"/admin/notes/note/{self.note.pk}/delete/",
                "/admin/notes/category/",
                "/admin/notes/paper/",
                "/admin/password_change/",
            )
        ]
        for html in pages:
            title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
            with self.subTest(title=title.strip()):
                self.assertRegex(html, r'<link rel="icon" href="/static/favicon\.[0-9a-f]+\.svg"')
                self.assertRegex(html, r'<link rel="icon" href="/static/favicon\.[0-9a-f]+\.ico"')
                # The admin's own branding: the site's name in the header and the title.
                self.assertIn(f"{settings.SITE_NAME} · ", html)
                self.assertIn(settings.SITE_NAME, title)
