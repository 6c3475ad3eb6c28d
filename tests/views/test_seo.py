"""Sitemap, robots.txt, canonical links, link previews and JSON-LD."""

from __future__ import annotations

import json
import re
from datetime import UTC, timedelta
from xml.etree import ElementTree

from bs4 import BeautifulSoup
from django.test import TestCase, override_settings
from django.utils import timezone

from notes.models import Note, Series
from tests.factories import make_category, make_note, settle

NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
HOSTILE = '</script><script>alert(1)</script><!-- "quoted" & <b>'


def sitemap_locations(client, path: str = "/sitemap.xml") -> list[str]:
    root = ElementTree.fromstring(client.get(path).content)
    locations = [el.text for el in root.iterfind(".//s:loc", NS)]
    if root.tag.endswith("sitemapindex"):
        return [loc for section in locations for loc in sitemap_locations(client, section)]
    return locations


def json_ld(html: str) -> list[dict]:
    soup = BeautifulSoup(html, "html.parser")
    return [json.loads(s.string) for s in soup.find_all("script", type="application/ld+json")]


@override_settings(SITE_URL="https://notes.example.org")
class SitemapTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        visible = make_category("Visible")
        hidden = make_category("Hidden")
        cls.series = Series.objects.create(title="Path", slug="path")
        cls.public = make_note("Public", slug="public", category=visible, tags=["shown"],
                               series=cls.series)  # fmt: skip
        hidden_series = Series.objects.create(title="Hid", slug="hid")
        make_note("Draft", slug="draft", category=hidden, tags=["secret"],
                  status=Note.Status.DRAFT, series=hidden_series)  # fmt: skip
        make_note("Soon", slug="soon", category=hidden, tags=["future"],
                  published_at=timezone.now() + timedelta(days=2))  # fmt: skip

    def test_sitemap_lists_only_what_readers_may_see(self) -> None:
        locations = sitemap_locations(self.client)
        self.assertIn("https://notes.example.org/notes/public/", locations)
        self.assertIn("https://notes.example.org/category/visible/", locations)
        self.assertIn("https://notes.example.org/tag/shown/", locations)
        self.assertIn("https://notes.example.org/series/path/", locations)
        self.assertIn("https://notes.example.org/archive/", locations)
        joined = " ".join(locations)
        for hidden in ("draft", "soon", "hidden", "secret", "future", "/series/hid/"):
            self.assertNotIn(hidden, joined)

    def test_sitemap_uses_the_configured_site_not_the_host_header(self) -> None:
        response = self.client.get("/sitemap.xml", HTTP_HOST="localhost")
        self.assertIn(b"https://notes.example.org/sitemap-notes.xml", response.content)
        self.assertNotIn(b"localhost", response.content)

    def test_notes_carry_lastmod(self) -> None:
        root = ElementTree.fromstring(self.client.get("/sitemap-notes.xml").content)
        self.assertEqual(root.find(".//s:lastmod", NS).text,
                         timezone.localtime(self.public.updated_at).date().isoformat())  # fmt: skip

    def test_robots_txt_names_the_configured_site_not_the_host_header(self) -> None:
        response = self.client.get("/robots.txt", HTTP_HOST="localhost")
        self.assertIn("Sitemap: https://notes.example.org/sitemap.xml", response.content.decode())

    def test_sitemap_sections_use_the_configured_site_not_the_host_header(self) -> None:
        response = self.client.get("/sitemap-notes.xml", HTTP_HOST="localhost")
        self.assertIn(b"https://notes.example.org/notes/public/", response.content)
        self.assertNotIn(b"localhost", response.content)

    def test_robots_txt_points_to_the_sitemap(self) -> None:
        response = self.client.get("/robots.txt")
        self.assertEqual(response["Content-Type"], "text/plain; charset=utf-8")
        self.assertIn("Sitemap: https://notes.example.org/sitemap.xml", response.content.decode())
        self.assertIn("Disallow: /admin/", response.content.decode())


@override_settings(SITE_URL="https://notes.example.org")
class StructuredDataTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        cls.category = make_category("Large Model")
        cls.series = Series.objects.create(title="PEFT 系列", slug="peft")
        cls.note = make_note(
            "LoRA：大模型的低秩适配", slug="lora", category=cls.category, tags=["PEFT", "微调"],
            series=cls.series, body="正文。\n\n![结构图](/media/figures/lora.png)",
        )  # fmt: skip
        cls.note.papers.create(title="LoRA: Low-Rank Adaptation", year=2021,
                             authors="Edward J. Hu\nYelong Shen", arxiv="2106.09685")  # fmt: skip

    def test_blog_posting_with_citation_series_and_breadcrumbs(self) -> None:
        posting, breadcrumbs = json_ld(self.client.get("/notes/lora/").content.decode())
        self.assertEqual(posting["@type"], "BlogPosting")
        self.assertEqual(posting["headline"], "LoRA：大模型的低秩适配")
        self.assertEqual(posting["url"], "https://notes.example.org/notes/lora/")
        self.assertEqual(posting["articleSection"], "Large Model")
        self.assertEqual(sorted(posting["keywords"]), ["PEFT", "微调"])
        self.assertEqual(posting["inLanguage"], "zh-Hans")
        self.assertEqual(posting["isPartOf"]["name"], "PEFT 系列")
        citation = posting["citation"][0]
        self.assertEqual(citation["@type"], "ScholarlyArticle")
        self.assertEqual(citation["identifier"], "arXiv:2106.09685")
        self.assertEqual([a["name"] for a in citation["author"]], ["Edward J. Hu", "Yelong Shen"])
        self.assertEqual(citation["url"], "https://arxiv.org/abs/2106.09685")
        self.assertIn("datePublished", posting)
        self.assertEqual([item["name"] for item in breadcrumbs["itemListElement"]],
                         ["Research Notes", "Large Model", "LoRA：大模型的低秩适配"])  # fmt: skip

    def test_dates_are_in_the_site_time_zone_however_the_note_was_saved(self) -> None:
        """A note saved with a UTC date (an import, a script) and one saved with a local date
        (the admin's form) give the same JSON-LD, as their meta tags do."""
        moment = timezone.now().replace(microsecond=0) - timedelta(days=2)
        for saved_with in (moment.astimezone(UTC), timezone.localtime(moment)):
            with self.subTest(saved_with=saved_with.tzinfo):
                note = Note.objects.get(slug="lora")
                note.published_at = saved_with
                note.save()
                posting = json_ld(self.client.get("/notes/lora/").content.decode())[0]
                self.assertEqual(posting["datePublished"], timezone.localtime(moment).isoformat())

    def test_link_preview_tags(self) -> None:
        soup = BeautifulSoup(self.client.get("/notes/lora/").content, "html.parser")
        meta = {m.get("property") or m.get("name"): m["content"] for m in soup.find_all("meta")
                if m.get("content") is not None}  # fmt: skip
        self.assertEqual(meta["og:title"], "LoRA：大模型的低秩适配")
        self.assertEqual(meta["og:type"], "article")
        self.assertEqual(meta["og:url"], "https://notes.example.org/notes/lora/")
        self.assertEqual(meta["og:image"], "https://notes.example.org/media/figures/lora.png")
        self.assertEqual(meta["twitter:card"], "summary_large_image")
        self.assertTrue(meta["description"].startswith("正文"))
        canonical = soup.find("link", rel="canonical")["href"]
        self.assertEqual(canonical, "https://notes.example.org/notes/lora/")

    def test_another_host_header_changes_no_address_in_the_page(self) -> None:
        """Canonical link, OpenGraph, JSON-LD and hreflang alternates: one site address."""
        page = self.client.get("/notes/lora/", HTTP_HOST="localhost").content.decode()
        self.assertEqual(page, self.client.get("/notes/lora/").content.decode())
        self.assertIn('<link rel="canonical" href="https://notes.example.org/notes/lora/">', page)
        self.assertEqual(json_ld(page)[0]["url"], "https://notes.example.org/notes/lora/")
        self.assertNotIn("localhost", page)
        self.assertNotIn("testserver", page)

    def test_opensearch_description_names_the_configured_site(self) -> None:
        response = self.client.get("/opensearch.xml", HTTP_HOST="localhost")
        self.assertIn(b"https://notes.example.org/search/", response.content)
        self.assertNotIn(b"localhost", response.content)

    def test_every_page_has_a_canonical_link_with_its_page_number(self) -> None:
        for path, expected in (("/", "https://notes.example.org/"),
                               ("/tag/", "https://notes.example.org/tag/"),
                               ("/archive/", "https://notes.example.org/archive/")):  # fmt: skip
            soup = BeautifulSoup(self.client.get(path).content, "html.parser")
            self.assertEqual(soup.find("link", rel="canonical")["href"], expected, path)

    def test_hostile_fields_cannot_break_out_of_json_ld_or_meta_tags(self) -> None:
        note = make_note(HOSTILE, slug="hostile", category=make_category(HOSTILE),
                         tags=[HOSTILE[:50]], summary=HOSTILE, body=HOSTILE)  # fmt: skip
        note.papers.create(title=HOSTILE, authors=HOSTILE)
        note.series = Series.objects.create(title=HOSTILE, slug="x")
        note.save()
        html = self.client.get("/notes/hostile/").content.decode()
        head = html.split("</head>", 1)[0]
        # The only scripts without a src are the JSON-LD blocks, and they parse back exactly.
        self.assertEqual(len(re.findall(r"<script(?![^>]*\ssrc=)", head)), 2)
        posting, _ = json_ld(html)
        self.assertEqual(posting["headline"], HOSTILE)
        self.assertEqual(posting["citation"][0]["name"], HOSTILE)
        self.assertEqual(posting["isPartOf"]["name"], HOSTILE)
        self.assertNotIn("alert(1)</script>", head.replace("\\u003C", "<").split("ld+json")[0])
        soup = BeautifulSoup(html, "html.parser")
        self.assertEqual(soup.find("meta", property="og:title")["content"], HOSTILE)
        inline = [tag for tag in soup.find_all("script") if not tag.get("src")]
        self.assertEqual([tag["type"] for tag in inline], ["application/ld+json"] * 2)


@override_settings(SITE_URL="https://notes.example.org")
class SitemapPagingTests(TestCase):
    def test_index_lists_every_page_of_the_notes_section_and_stays_cheap(self) -> None:
        """Pages of NoteSitemap.limit notes, each listed in every language."""
        from unittest import mock

        for index in range(5):
            make_note(f"Paged {index}", slug=f"paged-{index}")
        settle()
        with mock.patch("notes.sitemaps.NoteSitemap.limit", 2):
            with self.assertNumQueries(1):  # the site state: its last change, its notes
                index = self.client.get("/sitemap.xml").content.decode()
            self.assertIn("sitemap-notes.xml?p=3", index)
            self.assertNotIn("sitemap-notes.xml?p=4", index)
            page = ElementTree.fromstring(self.client.get("/sitemap-notes.xml?p=3").content)
        # One note on the last page, listed in both languages.
        self.assertEqual(len(page.findall("s:url", NS)), 2)
