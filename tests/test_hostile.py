"""Hostile content in every field an editor fills, read back from every place it shows.

Each payload of tests/hostile_corpus.py goes into every editor-controlled field (note title,
short title, summary, body; category, tag, alias and series names and descriptions; paper
fields; figure alt text and caption) between two harmless markers. The data is built once;
each page, feed, sitemap and admin screen is fetched once and parsed as a browser (Lexbor,
the WHATWG algorithm) or an XML feed reader would read it. Every page must hold no executable
markup that the site did not write itself, and the markers around each payload must still
be there. Fields that refuse a payload (the slug, the arXiv id, URLs) must refuse it with a
form error.

Each check is recorded as (payload, field, place); the class prints how many it made.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ElementTree
from urllib.parse import unquote, urlencode, urlsplit

from django.contrib import admin
from django.utils import timezone
from selectolax.lexbor import LexborHTMLParser

from notes.admin import FigureInline, NoteAdminForm, PaperForm
from notes.models import Figure, Note
from notes.papers import normalize_arxiv
from tests.hostile_corpus import MARKER, PAYLOADS
from tests.hostile_scan import Scan, _json_strings, dangerous_url, scan_html
from tests.hostile_site import CHECKS, REFUSALS, HostileSite, mark


class HostileContent(HostileSite):
    """Every page, feed and admin screen of a batch's site (tests.hostile_site), read back."""

    __test__ = False

    @classmethod
    def tearDownClass(cls) -> None:
        super().tearDownClass()
        if cls.batch.stop < len(PAYLOADS):
            return
        places = {place for _, _, place in CHECKS}
        fields_checked = {name for _, name, _ in CHECKS}
        sys.stderr.write(
            f"\nhostile content: {len(PAYLOADS)} payloads × {len(fields_checked)} fields × "
            f"{len(places)} places: {len(CHECKS)} checks made, {len(REFUSALS)} refusals\n"
        )

    # --- Lists, indexes and archives -----------------------------------------------------

    def test_home_list_in_both_languages(self) -> None:
        for prefix, place in (("/", "home list"), ("/en/", "home list, English")):
            for scan in self.pages_of(prefix):
                self.cards(scan, place)

    def test_every_page_lists_every_category_in_its_navigation(self) -> None:
        scan = self.page("/")
        self.expect(scan, "site navigation", "category name", self.indices)

    def test_category_index(self) -> None:
        scan = self.page("/category/")
        self.expect(scan, "category index", "category name", self.indices)
        self.expect(scan, "category index", "category description", self.indices)

    def test_category_pages(self) -> None:
        for index in self.indices:
            scan = self.page(self.notes[index].category.get_absolute_url())
            self.expect(scan, "category page", "category name", [index])
            self.expect(scan, "category page", "category description", [index])
            self.cards(scan, "category page")

    def test_tag_index(self) -> None:
        scan = self.page("/tag/")
        self.expect(scan, "tag index", "tag name", self.indices)
        self.expect(scan, "tag index", "tag alias", self.indices)

    def test_tag_pages(self) -> None:
        for index in self.indices:
            tag = self.notes[index].tags.get()
            scan = self.page(f"/tag/{tag.slug}/")
            self.expect(scan, "tag page", "tag name", [index])
            self.expect(scan, "tag page", "tag alias", [index])
            self.cards(scan, "tag page")

    def test_series_index(self) -> None:
        scan = self.page("/series/")
        self.expect(scan, "series index", "series title", self.indices)
        self.expect(scan, "series index", "series description", self.indices)

    def test_series_pages(self) -> None:
        for index in self.indices:
            scan = self.page(self.notes[index].series.get_absolute_url())
            self.expect(scan, "series page", "series title", [index])
            self.expect(scan, "series page", "series description", [index])
            self.cards(scan, "series page")

    def test_archive(self) -> None:
        self.page("/archive/")
        months = {
            (note.published_at.astimezone(timezone.get_current_timezone()).year,
             note.published_at.astimezone(timezone.get_current_timezone()).month)
            for note in self.notes.values()
        }  # fmt: skip
        for year, month in sorted(months):
            for scan in self.pages_of(f"/archive/{year:04d}/{month:02d}/"):
                self.cards(scan, "archive")

    # --- A note's own page ---------------------------------------------------------------

    def check_note_page(self, scan: Scan, index: int, place: str) -> None:
        for name in (
            "note title", "note summary", "note body", "note body, inline", "category name",
            "tag name", "series title", "paper title", "paper authors", "paper venue",
            "paper DOI", "figure alt text", "figure caption", "update summary",
        ):  # fmt: skip
            sides = (0,) if name == "note summary" else (0, 1)
            self.expect(scan, place, name, [index], sides=sides)

    def test_note_pages(self) -> None:
        for index in self.indices:
            scan = self.page(self.notes[index].get_absolute_url())
            self.check_note_page(scan, index, "note page")
            second = self.page(self.excerpt_notes[index].get_absolute_url())
            self.expect(second, "note page", "note body, excerpt", [index])
            # The series box names each part by its short title.
            self.expect(second, "note page, series box", "note short title", [index])

    def test_note_page_head(self) -> None:
        """<title>, the meta description, OpenGraph and JSON-LD each carry the fields whole."""
        for index in self.indices:
            note = self.notes[index]
            html = self.fetch(note.get_absolute_url()).decode()
            tree = LexborHTMLParser(html)
            head = Scan("head", strings=[tree.css_first("head > title").text()])
            self.expect(head, "<title>", "note title", [index])
            metas = {
                (meta.attributes.get("property") or meta.attributes.get("name")): (
                    meta.attributes.get("content") or ""
                )
                for meta in tree.css("meta")
            }
            for key, name, place in (
                ("og:title", "note title", "OpenGraph"),
                ("description", "note summary", "meta description"),
                ("og:description", "note summary", "OpenGraph"),
                ("article:section", "category name", "OpenGraph"),
                ("article:tag", "tag name", "OpenGraph"),
                ("citation_title", "note title", "Highwire citation tags"),
            ):
                sides = (0,) if name == "note summary" else (0, 1)
                self.expect(Scan(key, strings=[metas.get(key, "")]), place, name, [index], sides)
            blocks = [
                json.loads(script.text())
                for script in tree.css('script[type="application/ld+json"]')
            ]
            posting, breadcrumbs = blocks
            self.assertEqual(posting["headline"], note.title)
            self.assertEqual(breadcrumbs["itemListElement"][-1]["name"], note.title)
            self.assertEqual(posting["articleSection"], note.category.name)
            self.assertEqual(posting["keywords"], [note.tags.get().name])
            self.assertEqual(posting["isPartOf"]["name"], note.series.title)
            paper = note.papers.get()
            self.assertEqual(posting["citation"][0]["name"], paper.title)
            self.assertFalse(dangerous_url(posting["citation"][0].get("url", "")))
            ld = Scan("JSON-LD", strings=list(_json_strings(blocks)))
            for name in ("note title", "category name", "tag name", "series title",
                         "paper title", "paper authors"):  # fmt: skip
                self.expect(ld, "JSON-LD", name, [index])
            self.expect(ld, "JSON-LD", "note summary", [index], sides=(0,))

    def test_staff_preview(self) -> None:
        self.client.force_login(self.admin)
        for index in self.indices:
            scan = self.page(f"/preview/{self.notes[index].pk}/")
            self.check_note_page(scan, index, "staff preview")

    # --- Search ----------------------------------------------------------------------------

    def test_search_results_and_snippets(self) -> None:
        for index in self.indices:
            query = mark("note body", index)
            scan = self.page(f"/search/?{urlencode({'q': query})}")
            self.assertEqual([i for i, _ in self.listed(scan)], [index], query)
            self.expect(scan, "search results", "note title", [index])
            self.expect(scan, "search results", "category name", [index])
            self.expect(scan, "search snippet", "note body", [index], sides=(0,))

    def test_search_echoes_a_hostile_query_as_text(self) -> None:
        """The query is the reader's, not the editor's: it shows in the title, the search
        box and the feed links of the results page."""
        for payload in (PAYLOADS[index] for index in self.indices):
            query = f"{MARKER}q {payload.text}"[:200]
            self.page(f"/search/?{urlencode({'q': query})}")

    def test_search_feeds(self) -> None:
        for index in self.indices:
            query = urlencode({"q": mark("note body", index)})
            for kind in ("", "atom/"):
                scan = self.feed(f"/search/feed/{kind}?{query}")
                self.check_feed_items(scan, [index], "search feed")

    # --- Feeds and the sitemap -------------------------------------------------------------

    def check_feed_items(self, scan: Scan, indices: list[int], place: str) -> None:
        self.expect(scan, place, "note title", indices)
        self.expect(scan, place, "note summary", indices, sides=(0,))
        self.expect(scan, place, "note body", indices)
        self.expect(scan, place, "note body, inline", indices)
        self.expect(scan, place, "category name", indices)
        self.expect(scan, place, "tag name", indices)
        self.expect(scan, place, "figure alt text", indices)
        self.expect(scan, place, "figure caption", indices)
        self.expect(scan, place, "update summary", indices)

    def test_update_log_and_its_feeds(self) -> None:
        scans = self.pages_of("/updates/")
        listed = Scan("/updates/", strings=[text for scan in scans for text in scan.strings])
        self.expect(listed, "update log", "note title", self.indices)
        self.expect(listed, "update log", "update summary", self.indices)
        for url in ("/updates/feed/", "/updates/feed/atom/"):
            scan = self.feed(url)
            shown = [i for i, _note in self.listed(scan)]
            self.assertTrue(shown)
            self.expect(scan, "update log feed", "update summary", shown)

    def test_latest_feeds(self) -> None:
        for url in ("/feed/", "/feed/atom/"):
            scan = self.feed(url)
            shown = [i for i, note in self.listed(scan) if note.summary]
            self.assertTrue(shown)
            self.check_feed_items(scan, shown, "latest feed")

    def test_category_feeds(self) -> None:
        for index in self.indices:
            url = self.notes[index].category.get_absolute_url()
            for kind in ("feed/", "feed/atom/"):
                scan = self.feed(url + kind)
                self.expect(scan, "category feed", "category description", [index])
                self.expect(scan, "category feed", "note body, excerpt", [index])
                self.check_feed_items(scan, [index], "category feed")

    def test_tag_feeds(self) -> None:
        for index in self.indices:
            slug = self.notes[index].tags.get().slug
            for kind in ("feed/", "feed/atom/"):
                scan = self.feed(f"/tag/{slug}/{kind}")
                self.check_feed_items(scan, [index], "tag feed")

    def test_series_feeds(self) -> None:
        for index in self.indices:
            url = self.notes[index].series.get_absolute_url()
            for kind in ("feed/", "feed/atom/"):
                scan = self.feed(url + kind)
                self.expect(scan, "series feed", "series title", [index])
                self.expect(scan, "series feed", "series description", [index])
                self.check_feed_items(scan, [index], "series feed")

    def test_sitemap(self) -> None:
        index = ElementTree.fromstring(self.fetch("/sitemap.xml"))
        locations = []
        for section in index.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
            root = ElementTree.fromstring(self.fetch(urlsplit(section.text).path))
            for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc"):
                locations.append(unquote(loc.text))
        self.assertTrue(all(urlsplit(loc).scheme in {"http", "https"} for loc in locations))
        scan = Scan("sitemap", strings=locations)
        # Slugs are made from the names; what a slug keeps of its name is the marker.
        for name in ("note title", "category name", "tag name", "series title"):
            self.expect(scan, "sitemap", name, self.indices, sides=(0,))

    # --- The admin -------------------------------------------------------------------------

    def test_admin_change_lists(self) -> None:
        self.client.force_login(self.admin)
        for url, names in (
            ("/admin/notes/note/", ("note title", "category name", "tag name")),
            ("/admin/notes/category/", ("category name",)),
            ("/admin/notes/series/", ("series title",)),
            ("/admin/taggit/tag/", ("tag name", "tag alias")),
        ):
            scans = self.pages_of(url, parameter="p", admin=True)
            scan = Scan(url, strings=[s for page in scans for s in page.strings])
            for name in names:
                self.expect(scan, "admin change list", name, self.indices)

    def test_admin_note_form(self) -> None:
        """The form shows every field back as typed. Django's widgets escape what they show;
        one note per batch is read whole (an admin form is costly), the figure rows' own
        markup (notes.admin.FigureInline) for every payload below."""
        self.client.force_login(self.admin)
        index = self.indices[0]
        scan = self.page(f"/admin/notes/note/{self.notes[index].pk}/change/", admin=True)
        for name in (
            "note title", "note short title", "note summary", "note body", "paper title",
            "figure alt text", "figure caption",
        ):  # fmt: skip
            self.expect(scan, "admin note form", name, [index])

    def test_admin_paper_form(self) -> None:
        """A paper is edited on its own form (the note form chooses it): every field back."""
        self.client.force_login(self.admin)
        index = self.indices[0]
        paper = self.notes[index].papers.get()
        scan = self.page(f"/admin/notes/paper/{paper.pk}/change/", admin=True)
        for name in ("paper title", "paper authors", "paper venue", "paper DOI"):
            self.expect(scan, "admin paper form", name, [index])

    def test_paper_pages(self) -> None:
        """Each paper's page and the papers index carry its fields whole, as text."""
        for index in self.indices:
            paper = self.notes[index].papers.get()
            scan = self.page(f"/papers/{paper.ident}/")
            for name in ("paper title", "paper authors", "paper venue", "paper DOI", "note title"):
                self.expect(scan, "paper page", name, [index])
        scans = self.pages_of("/papers/")
        index_scan = Scan("papers index", strings=[text for scan in scans for text in scan.strings])
        self.expect(index_scan, "papers index", "paper title", list(self.indices))

    def test_admin_figure_rows(self) -> None:
        """The thumbnail (alt text) and the copy-ready snippet of each figure."""
        inline = FigureInline(Note, admin.site)
        for index in self.indices:
            figure = Figure.objects.get(note=self.notes[index])
            markup = f"{inline.thumbnail(figure)}{inline.snippet(figure)}"
            scan = self.clean(scan_html(markup, "figure row", document=False, admin=True))
            self.expect(scan, "admin figure row", "figure alt text", [index])
            self.expect(scan, "admin figure row", "figure caption", [index])

    def test_admin_live_preview(self) -> None:
        self.client.force_login(self.admin)
        for index in self.indices:
            response = self.client.post(
                "/admin/notes/note/preview/", {"body": self.notes[index].body}
            )
            data = response.json()
            scan = self.clean(scan_html(data["html"] + data["toc_html"], "preview", document=False))
            for name in ("note body", "note body, inline", "figure alt text", "figure caption"):
                self.expect(scan, "admin live preview", name, [index])

    # --- Fields that refuse what they cannot hold -------------------------------------------

    def test_slug_refuses_every_payload(self) -> None:
        for index in self.indices:
            payload = PAYLOADS[index]
            form = NoteAdminForm(data={"title": "x", "slug": payload.text})
            form.is_valid()
            self.assertIn("slug", form.errors, payload.name)
            REFUSALS.add((index, "note slug"))

    def test_paper_form_refuses_hostile_identifiers_and_addresses(self) -> None:
        for index in self.indices:
            payload = PAYLOADS[index]
            form = PaperForm(
                data={
                    "title": "x",
                    "arxiv": payload.text,
                    "url": f"javascript:{payload.text}",
                    "pdf_url": f"javascript:{payload.text}",
                    "code_url": "vbscript:msgbox(1)",
                    # A citation key with braces would break the BibTeX it keys.
                    "key": f"{{{payload.text}}}",
                    "doi": f"javascript:{payload.text}",
                }
            )
            form.is_valid()
            self.assertTrue(
                {"arxiv", "url", "pdf_url", "code_url", "key", "doi"} <= set(form.errors),
                payload.name,
            )
            REFUSALS.update({(index, "paper arXiv id"), (index, "paper URL")})
            # What Paper.save() stores of an arXiv id that got past the form.
            self.assertEqual(normalize_arxiv(payload.text), "", payload.name)


BATCH = 40


def _batches() -> None:
    """HostileContentBatch1, 2, …: the test classes, one per batch of payloads."""
    for number, start in enumerate(range(0, len(PAYLOADS), BATCH), start=1):
        name = f"HostileContentBatch{number}"
        globals()[name] = type(
            name,
            (HostileContent,),
            {"__test__": True, "batch": range(start, min(start + BATCH, len(PAYLOADS)))},
        )


_batches()
