"""The feeds' XML: Django's RSS and Atom generators with the full note, and each note's item
rendered once, on save.

A feed of 20 notes is some 300 KB of escaped HTML; asking Django's ``Feed`` for each item's
dozen attributes and writing it element by element cost more than everything else a feed
does. So a save stores, for each feed kind and language, the item's XML before and after its
content (``Note.feed_items``), and a feed joins those halves around the note's escaped HTML.
The halves come from the same generators below, so a stored item is exactly what Django would
have written.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from io import StringIO
from typing import Any
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import translation
from django.utils.encoding import iri_to_uri
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape as html_escape
from django.utils.xmlutils import SimplerXMLGenerator

# Root-relative links and images (/notes/..., /media/...) mean nothing inside a feed reader.
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
# What XML 1.0 cannot carry (Django's generator refuses it rather than writing it).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Stands for the content while an item is rendered; it escapes to itself.
_CONTENT = "@@research-notes-item-content@@"


def absolutize(html: str, base: str) -> str:
    return _ROOT_RELATIVE.sub(rf"\1{base}/", html)


def xml_text(text: str) -> str:
    """Plain text as XML 1.0 can carry it: without C0 control characters, which a title
    pasted from a PDF may hold (Django's generator would refuse the whole feed)."""
    return _CONTROL.sub("", text)


def feed_content(html: str) -> str:
    """A note's HTML as feeds carry it (``Note.feed_html``), made on save: its links and
    images absolute on DJANGO_SITE_URL, without what XML cannot carry."""
    return _CONTROL.sub("", absolutize(html, settings.SITE_URL))


class StoredItemsMixin:
    """A generator that writes stored items (``stored``: XML strings, newest first) when it
    has them, and dates the feed by them."""

    stored: list[str] | None = None
    stored_latest: datetime | None = None

    def write_items(self, handler) -> None:
        if self.stored is None:
            super().write_items(handler)
            return
        for xml in self.stored:
            handler.ignorableWhitespace(xml)  # written as it is, already XML

    def latest_post_date(self) -> datetime:
        if self.stored is not None and self.stored_latest is not None:
            return self.stored_latest
        return super().latest_post_date()


class ContentRssFeed(StoredItemsMixin, Rss201rev2Feed):
    def rss_attributes(self) -> dict:
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class ContentAtomFeed(StoredItemsMixin, Atom1Feed):
    def item_attributes(self, item) -> dict:
        # Each entry says its own language (an English note in a Chinese site's feed); RSS
        # has no per-item language, so RSS channels keep the site's.
        attributes = super().item_attributes(item)
        if item.get("lang"):
            attributes["xml:lang"] = item["lang"]
        return attributes

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})


GENERATORS = {"rss": ContentRssFeed, "atom": ContentAtomFeed}


def item_fields(note: Any, *, category_name: str, tag_names: list[str], author: str) -> dict:
    """What a feed says of a note, in the active language (its link has the language's
    prefix)."""
    link = iri_to_uri(settings.SITE_URL + note.get_absolute_url())
    published = note.published_at.astimezone(UTC) if note.published_at else None
    updated = max(note.updated_at, note.published_at) if note.published_at else note.updated_at
    return {
        "title": xml_text(note.title),
        "link": link,
        # An RSS description and an Atom summary (type="html") are HTML to a feed reader;
        # the excerpt is plain text, so it is escaped: a "<script>" typed in a summary shows
        # as text and never runs.
        "description": html_escape(xml_text(note.excerpt)),
        "unique_id": link,
        "pubdate": published,
        "updateddate": updated.astimezone(UTC) if updated else None,
        "author_name": xml_text(author or settings.SITE_NAME),
        "categories": [xml_text(name) for name in (category_name, *tag_names)],
        "lang": note.lang,
    }


def render_item(kind: str, fields: dict, content: str) -> str:
    """One item (RSS) or entry (Atom) as Django's generator writes it."""
    generator = GENERATORS[kind](title="", link="", description="")
    generator.add_item(**fields, content=content)
    out = StringIO()
    generator.write_items(SimplerXMLGenerator(out, "utf-8", short_empty_elements=True))
    return out.getvalue()


def render_items(note: Any, *, category_name: str, tag_names: list[str], author: str) -> dict:
    """Each kind's item in each language, split where the content goes."""
    items: dict[str, Any] = {"build": build()}
    if note.published_at is None:
        return items  # an undated draft is in no feed
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            fields = item_fields(
                note, category_name=category_name, tag_names=tag_names, author=author
            )
        halves = {}
        for kind in GENERATORS:
            xml = render_item(kind, fields, _CONTENT)
            before, found, after = xml.partition(_CONTENT)
            if not found or _CONTENT in after:
                return {}  # the note's own text holds the marker: render it per request
            halves[kind] = [before, after]
        items[code] = halves
    return items


def build() -> str:
    """What stored items (and ``Note.feed_html``) depend on besides the note: the site's
    address and name."""
    # 2: descriptions escaped as HTML, control characters dropped.
    return f"2|{settings.SITE_URL}|{settings.SITE_NAME}"


def stored_item(note: Any, kind: str, language: str) -> str | None:
    """The note's item from what it stores, or None when it must be rendered again."""
    items = note.feed_items or {}
    if items.get("build") != build() or language not in items or not note.feed_html:
        return None
    before, after = items[language][kind]
    return before + escape(note.feed_html) + after  # escaped as the generators escape
