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
import re
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import unquote, urlencode, urlsplit

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.utils import timezone
from selectolax.lexbor import LexborHTMLParser
from taggit.models import Tag, TaggedItem

from notes.admin import FigureInline, NoteAdminForm, PaperForm
from notes.models import (
    Category,
    Figure,
    Note,
    NotePaper,
    NoteUpdate,
    Paper,
    Series,
    TagAlias,
    unique_slug,
)
from notes.papers import normalize_arxiv
from notes.rendering import normalize_source
from notes.rendering.math.markup import STYLE_CLASSES
from tests.factories import settle
from tests.hostile_corpus import MARKER, PAYLOADS

# --- What counts as executable ----------------------------------------------------------

# Elements no content may bring in; the site's own pages have none of them either.
FORBIDDEN_ELEMENTS = frozenset(
    {
        "animate", "annotation-xml", "applet", "base", "embed", "foreignobject", "frame",
        "frameset", "iframe", "isindex", "listing", "mglyph", "noembed", "noframes",
        "noscript", "object", "plaintext", "portal", "set", "style", "svg", "template",
        "xmp",
    }
)  # fmt: skip
# Form controls: the site's own search forms only, never from content.
FORM_ELEMENTS = frozenset({"form", "input", "button", "select", "textarea"})
URL_ATTRIBUTES = frozenset(
    {
        "action", "archive", "background", "cite", "classid", "codebase", "data", "dynsrc",
        "formaction", "href", "icon", "longdesc", "lowsrc", "manifest", "ping", "poster",
        "profile", "src", "srcset", "usemap", "xlink:href",
    }
)  # fmt: skip
_STRIPPED = re.compile(r"[\x00-\x20\x7f]+")
# The inline styles feeds carry for math (notes.rendering.math.markup.inline_styles), declaration by
# declaration; pages carry none at all (strict CSP).
FEED_STYLES = frozenset(STYLE_CLASSES) | {
    "text-align:right",
    "padding:0.1em 0 0 0",
    "padding:0 0 0.1em 0",
    "border-top:0.065em solid",
    "border-bottom:0.065em solid",
}
SITE_SCRIPT_PREFIXES = ("/static/",)
ADMIN_SCRIPT_PREFIXES = ("/static/", "/admin/jsi18n/")
SEARCH_ACTIONS = {"/search/", "/en/search/", "/papers/", "/en/papers/"}
# The corpus's payloads load their scripts, styles and images from here.
EVIL_HOST = "evil.example"


def dangerous_url(value: str) -> bool:
    """What a browser would run or navigate to as script: the scheme after it drops the
    whitespace and control characters it ignores."""
    scheme = _STRIPPED.sub("", value).lower()
    return scheme.startswith(("javascript:", "vbscript:", "data:"))


def loads_from_evil_host(value: str) -> bool:
    return any(
        urlsplit(_STRIPPED.sub("", part.split()[0] if part.split() else "")).hostname == EVIL_HOST
        for part in value.split(",")
    )


@dataclass
class Scan:
    """What one page holds: problems (executable markup) and every string a reader, a
    crawler or a feed reader gets from it (text, attribute values, JSON-LD values)."""

    where: str
    problems: list[str] = field(default_factory=list)
    strings: list[str] = field(default_factory=list)
    _joined: str | None = None

    @property
    def text(self) -> str:
        if self._joined is None:
            self._joined = "\n".join(self.strings)
        return self._joined


def _json_strings(data) -> Iterable[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _json_strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _json_strings(value)


def scan_html(
    markup: str,
    where: str,
    *,
    document: bool = True,
    admin: bool = False,
    styles: frozenset[str] = frozenset(),
) -> Scan:
    """Parse as a browser does (Lexbor, the WHATWG algorithm) and list everything
    executable the site did not write.

    ``document``: a whole page (its own scripts, links and search forms are allowed);
    otherwise a fragment of content, where none of them may appear. ``admin``: Django's
    admin pages, whose forms, icons and inline styles are Django's own. ``styles``: the
    inline style declarations allowed (math in feeds)."""
    scan = Scan(where)
    tree = LexborHTMLParser(markup if document else f"<!DOCTYPE html><body>{markup}")
    scripts = ADMIN_SCRIPT_PREFIXES if admin else SITE_SCRIPT_PREFIXES
    titles = 0
    for node in tree.root.traverse(include_text=True):
        name = node.tag.lower()
        if name == "-text":
            if node.parent is not None and node.parent.tag not in {"script", "style"}:
                scan.strings.append(node.text_content or "")
            continue
        if name == "-comment":
            continue
        problem = f"{where}: <{name}>"
        if name in FORBIDDEN_ELEMENTS and not (admin and name == "svg"):  # Django's icons
            scan.problems.append(problem)
        elif name == "script":
            kind = node.attributes.get("type") or ""
            source = node.attributes.get("src") or ""
            body = node.text() or ""
            if source and document and source.startswith(scripts) and not body.strip():
                pass
            elif kind in {"application/ld+json", "application/json"} and document:
                try:
                    scan.strings.extend(_json_strings(json.loads(body)))
                except ValueError:
                    scan.problems.append(f"{problem} with JSON that does not parse: {body[:80]}")
            else:
                scan.problems.append(f"{problem} {source or body[:60]!r}")
        elif name in FORM_ELEMENTS and not document and not admin:
            scan.problems.append(problem)
        elif name == "form" and not admin and node.attributes.get("action") not in SEARCH_ACTIONS:
            scan.problems.append(f"{problem} action={node.attributes.get('action')!r}")
        elif name == "meta" and "http-equiv" in node.attributes:
            scan.problems.append(f"{problem} http-equiv")
        elif name in {"link", "meta", "title"} and not document:
            scan.problems.append(problem)
        elif name == "title" and node.parent is not None and node.parent.tag == "head":
            titles += 1
        for attribute, value in node.attributes.items():
            value = value or ""
            key = attribute.lower()
            local = key.rsplit(":", 1)[-1]
            if local.startswith("on") or (key in {"srcdoc", "formaction"} and not admin):
                scan.problems.append(f"{where}: <{name} {key}={value[:60]!r}>")
            elif key == "style" and not admin:
                declarations = {re.sub(r"\s*:\s*", ":", d.strip()) for d in value.split(";")}
                if not name.startswith("m") or not declarations - {""} <= styles:
                    scan.problems.append(f"{where}: <{name} style={value[:60]!r}>")
            elif (key in URL_ATTRIBUTES or local == "href") and dangerous_url(value):
                scan.problems.append(f"{where}: <{name} {key}={value[:60]!r}>")
            elif key in URL_ATTRIBUTES and name != "a" and loads_from_evil_host(value):
                scan.problems.append(f"{where}: <{name} {key}={value[:60]!r}> loads it")
            scan.strings.append(value)
    if document and titles != 1:
        scan.problems.append(f"{where}: {titles} <title> elements in <head>")
    return scan


_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"


def scan_feed(xml: bytes, where: str) -> Scan:
    """An RSS or Atom feed as a feed reader reads it: elements that carry HTML (RSS item
    descriptions, content:encoded, Atom text constructs of type "html") are parsed as HTML;
    every other element is plain text."""
    scan = Scan(where)
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as error:
        scan.problems.append(f"{where}: not well-formed XML ({error})")
        return scan
    item_descriptions = {
        id(description) for item in root.iter("item") for description in item.iter("description")
    }
    for element in root.iter():
        text = element.text or ""
        carries_html = (
            id(element) in item_descriptions
            or element.tag == _CONTENT
            or (element.tag.startswith(_ATOM) and element.get("type") in {"html", "xhtml"})
        )
        if carries_html:
            inner = scan_html(text, where, document=False, styles=FEED_STYLES)
            scan.problems.extend(inner.problems)
            scan.strings.extend(inner.strings)
        else:
            scan.strings.append(text)
        for name, value in element.attrib.items():
            if name in {"href", "src"} and dangerous_url(value):
                scan.problems.append(f"{where}: <{element.tag} {name}={value!r}>")
            scan.strings.append(value)
        if element.tag in {"link", f"{_ATOM}id", "guid", "comments"} and dangerous_url(text):
            scan.problems.append(f"{where}: <{element.tag}>{text}")
    return scan


# --- The data -----------------------------------------------------------------------------

# Each field, its code in the markers and the most characters the field holds (None: text).
FIELDS: dict[str, tuple[str, int | None]] = {
    "note title": ("t", 300),
    "note short title": ("h", 100),
    "note summary": ("u", None),
    "note body": ("b", None),
    "note body, inline": ("i", None),
    "note body, excerpt": ("x", None),
    "category name": ("c", 100),
    "category description": ("d", None),
    "tag name": ("g", 100),
    "tag alias": ("a", 100),
    "series title": ("s", 200),
    "series description": ("e", None),
    "paper title": ("p", 500),
    "paper authors": ("w", None),
    "paper venue": ("v", 200),
    "paper DOI": ("o", 200),
    "figure alt text": ("l", 300),
    "figure caption": ("k", 300),
    "update summary": ("z", 200),
}


def mark(field_name: str, index: int, side: int = 0) -> str:
    """The harmless word before (side 0) or after (side 1) a payload: "安全文本t017甲"."""
    return f"{MARKER}{FIELDS[field_name][0]}{index:03d}{'甲乙'[side]}"


def hostile(field_name: str, index: int) -> str:
    """The payload between its two markers; only the markers when the field is too short
    for it (the admin form refuses more than max_length, so the payload cannot get in)."""
    value = f"{mark(field_name, index)} {PAYLOADS[index].text} {mark(field_name, index, 1)}"
    if not fits(field_name, index):
        return f"{mark(field_name, index)} {mark(field_name, index, 1)}"
    return value


def fits(field_name: str, index: int) -> bool:
    """Whether the admin form would accept this payload in this field: within max_length
    and without NUL (Django's form fields refuse it; PostgreSQL cannot store it)."""
    limit = FIELDS[field_name][1]
    value = f"{mark(field_name, index)} {PAYLOADS[index].text} {mark(field_name, index, 1)}"
    return "\x00" not in value and (limit is None or len(value.strip()) <= limit)


def body_of(index: int) -> str:
    """The payload as a block between paragraphs, then inline in a sentence."""
    payload = PAYLOADS[index].text
    return (
        f"{mark('note body', index)}\n\n{payload}\n\n{mark('note body', index, 1)}\n\n"
        f"{mark('note body, inline', index)} {payload} {mark('note body, inline', index, 1)}\n"
    )


def excerpt_body_of(index: int) -> str:
    """A sentence, then the payload: an excerpt keeps whole sentences before display math."""
    payload = PAYLOADS[index].text
    before, after = mark("note body, excerpt", index), mark("note body, excerpt", index, 1)
    return f"{before}。\n\n{payload}\n\n{after}"


# (payload index, field, place) of every check made, for the figure this module reports.
CHECKS: set[tuple[int, str, str]] = set()
REFUSALS: set[tuple[int, str]] = set()


class HostileContent(TestCase):
    """One note per payload with every field hostile, a second one without a summary (its
    excerpt comes from the body), each in its own category, tag and series.

    The payloads are split into batches, a site each: every page lists every category in
    its header, so one site of all payloads would make each page as long as the corpus and
    the module quadratic in it."""

    __test__ = False
    batch: range = range(0)

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

    @classmethod
    def setUpTestData(cls) -> None:
        """Rows are bulk-created (no per-row signal re-indexes a note) and each note is then
        saved once, through Note.save(), so it is rendered and indexed as in production."""
        cls.admin = get_user_model().objects.create_superuser("editor", "editor@example.com")
        now = timezone.now()
        batch = list(cls.batch)

        def named(model, **fields):
            text = fields.get("name") or fields.get("title")
            fallback = model.__name__.lower()
            return model(slug=unique_slug(model, text, fallback=fallback), **fields)

        categories = Category.objects.bulk_create(
            named(
                Category,
                name=hostile("category name", i),
                description=hostile("category description", i),
            )
            for i in batch
        )
        series = Series.objects.bulk_create(
            named(
                Series,
                title=hostile("series title", i),
                description=hostile("series description", i),
            )
            for i in batch
        )
        tags = Tag.objects.bulk_create(
            Tag(name=hostile("tag name", i), slug=Tag().slugify(hostile("tag name", i)))
            for i in batch
        )
        TagAlias.objects.bulk_create(
            TagAlias(tag=tag, name=hostile("tag alias", i))
            for i, tag in zip(batch, tags, strict=True)
        )
        notes = Note.objects.bulk_create(
            named(
                Note,
                title=hostile("note title", i),
                short_title=hostile("note short title", i),
                summary=hostile("note summary", i),
                body=normalize_source(body_of(i)),  # as Note.save() stores it
                category=category,
                series=part_of,
                series_position=1,
                status=Note.Status.PUBLISHED,
                published_at=now - timedelta(hours=2 * i + 1),
                author=cls.admin,
            )
            for i, category, part_of in zip(batch, categories, series, strict=True)
        )
        seconds = Note.objects.bulk_create(
            named(
                Note,
                title=f"{MARKER}{i:03d}-2",
                body=normalize_source(excerpt_body_of(i)),
                category=category,
                series=part_of,
                series_position=2,
                status=Note.Status.PUBLISHED,
                published_at=now - timedelta(hours=2 * i + 2),
            )
            for i, category, part_of in zip(batch, categories, series, strict=True)
        )
        papers = Paper.objects.bulk_create(
            Paper(
                key=f"hostile{i}",
                title=hostile("paper title", i),
                authors=hostile("paper authors", i),
                venue=hostile("paper venue", i),
                year=2024,
                doi=f"10.1234/{hostile('paper DOI', i)}",
                # Stored past the form (which refuses it), as a data migration or the shell
                # could: the page must still never link it.
                url="javascript:alert(1)",
                code_url=f"https://example.org/{normalize_source(PAYLOADS[i].text)}"[:500],
            )
            for i in batch
        )
        NotePaper.objects.bulk_create(
            NotePaper(note=note, paper=paper) for note, paper in zip(notes, papers, strict=True)
        )
        # Only the image's address and size matter here: no file is written.
        figures = Figure.objects.bulk_create(
            Figure(
                note=note,
                image=f"figures/{note.pk}/hostile.png",
                width=4,
                height=3,
                alt=hostile("figure alt text", i),
                caption=hostile("figure caption", i),
            )
            for i, note in zip(batch, notes, strict=True)
        )
        TaggedItem.objects.bulk_create(
            TaggedItem(content_object=note, tag=tag)
            for note_list in (notes, seconds)
            for note, tag in zip(note_list, tags, strict=True)
        )
        NoteUpdate.objects.bulk_create(
            NoteUpdate(note=note, summary=hostile("update summary", i), made_at=now)
            for i, note in zip(batch, notes, strict=True)
        )
        cls._fetched: dict[str, bytes] = {}
        cls.notes: dict[int, Note] = {}
        cls.excerpt_notes: dict[int, Note] = {}
        for i, note, second, figure in zip(batch, notes, seconds, figures, strict=True):
            # The editor pastes the figure's snippet, as the admin offers it.
            note.body = f"{note.body}\n{figure.markdown}\n"
            note.save()
            second.save()
            cls.notes[i], cls.excerpt_notes[i] = note, second
        settle()

    def setUp(self) -> None:
        self.fetched = type(self)._fetched
        self.by_slug = {note.slug: (i, note) for i, note in self.notes.items()}
        self.by_slug.update({note.slug: (i, note) for i, note in self.excerpt_notes.items()})

    # --- helpers --------------------------------------------------------------------------

    def fetch(self, url: str, **kwargs) -> bytes:
        """The page at ``url``; a reader's page is fetched once per class, whichever test
        asks first (the data does not change between tests)."""
        cached = self.fetched.get(url) if not kwargs and not url.startswith("/admin/") else None
        if cached is not None:
            return cached
        response = self.client.get(url, **kwargs)
        self.assertEqual(response.status_code, 200, url)
        if not kwargs and not url.startswith(("/admin/", "/preview/")):
            self.fetched[url] = response.content
        return response.content

    def page(self, url: str, **kwargs) -> Scan:
        return self.clean(scan_html(self.fetch(url).decode(), url, **kwargs))

    def feed(self, url: str) -> Scan:
        return self.clean(scan_feed(self.fetch(url), url))

    def clean(self, scan: Scan) -> Scan:
        self.assertEqual(scan.problems, [], f"executable markup in {scan.where}")
        return scan

    def expect(
        self, scan: Scan, place: str, field_name: str, indices: Iterable[int], sides=(0, 1)
    ) -> None:
        """The markers around each payload of this field show in this place."""
        missing = [
            mark(field_name, index, side)
            for index in indices
            for side in sides
            if mark(field_name, index, side) not in scan.text
        ]
        self.assertEqual(missing, [], f"{field_name} lost its text in {scan.where}")
        for index in indices:
            if field_name not in FIELDS or fits(field_name, index):
                CHECKS.add((index, field_name, place))

    def cards(self, scan: Scan, place: str) -> None:
        """What a list item shows of each note on a list page: title, category, tags, the
        first paper's venue and title, and the excerpt (the summary, or the body's start)."""
        shown = self.listed(scan)
        self.assertTrue(shown, f"no notes listed on {scan.where}")
        first = [i for i, note in shown if note.summary]
        second = [i for i, note in shown if not note.summary]
        indices = sorted({i for i, _ in shown})
        self.expect(scan, place, "note title", first)
        self.expect(scan, place, "category name", indices)
        self.expect(scan, place, "tag name", indices)
        self.expect(scan, place, "paper venue", first)
        self.expect(scan, place, "paper title", first)
        self.expect(scan, place, "note summary", first, sides=(0,))
        self.expect(scan, place, "note body, excerpt", second, sides=(0,))

    def listed(self, scan: Scan) -> list[tuple[int, Note]]:
        slugs = re.findall(r"/notes/([^/\s\"']+)/", scan.text)
        found = {}
        for slug in slugs:
            entry = self.by_slug.get(unquote(slug))
            if entry:
                found[entry[1].pk] = entry
        return list(found.values())

    def pages_of(self, url: str, *, parameter: str = "page", **kwargs) -> list[Scan]:
        """Every page of a paginated list."""
        scans, number = [], 1
        while True:
            sep = "&" if "?" in url else "?"
            address = url if number == 1 else f"{url}{sep}{parameter}={number}"
            scans.append(self.page(address, **kwargs))
            if f"{parameter}={number + 1}" not in scans[-1].text:
                return scans
            number += 1

    @property
    def indices(self) -> range:
        return self.batch

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
