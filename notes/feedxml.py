"""The feeds' XML: Django's RSS and Atom generators extended with each note's full HTML, and
the pure helpers that make a note's HTML and names fit to carry in a feed."""

from __future__ import annotations

import re
from io import StringIO, TextIOBase

from django.conf import settings
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed

# Root-relative links and images (/notes/..., /media/...) mean nothing inside a feed reader.
_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')
# What XML 1.0 cannot carry (Django's generator refuses it rather than writing it).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def absolutize(html: str, base: str) -> str:
    return _ROOT_RELATIVE.sub(rf"\1{base}/", html)


def xml_text(text: str) -> str:
    """Plain text as XML 1.0 can carry it: without C0 control characters, which a title
    pasted from a PDF may hold (Django's generator would refuse the whole feed)."""
    return _CONTROL.sub("", text)


def feed_content(html: str) -> str:
    """A note's HTML as feeds carry it: its links and images absolute on DJANGO_SITE_URL,
    without what XML cannot carry."""
    return _CONTROL.sub("", absolutize(html, settings.SITE_URL))


class WholeWriteMixin:
    """Hands the document to the response in one write: Django's generator writes each XML
    token to it on its own (some 1,000 writes for a feed of 20 notes)."""

    def write(self, outfile, encoding) -> None:
        buffer = StringIO()
        super().write(buffer, encoding)
        text = buffer.getvalue()
        if isinstance(outfile, TextIOBase):  # writeString()
            outfile.write(text)
        else:  # encoded as Django's writer does: what it cannot carry, as character references
            outfile.write(text.encode(encoding, "xmlcharrefreplace"))


class ContentRssFeed(WholeWriteMixin, Rss201rev2Feed):
    """RSS 2.0 with each item's full HTML in ``content:encoded`` (an item's ``content``)."""

    def rss_attributes(self) -> dict:
        return {
            **super().rss_attributes(),
            "xmlns:content": "http://purl.org/rss/1.0/modules/content/",
        }

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content:encoded", item["content"])


class ContentAtomFeed(WholeWriteMixin, Atom1Feed):
    """Atom with each entry's full HTML in ``<content type="html">`` and its own language."""

    def item_attributes(self, item) -> dict:
        # An English note in a Chinese site's feed says so; RSS has no per-item language, so
        # RSS channels keep the site's.
        attributes = super().item_attributes(item)
        if item.get("lang"):
            attributes["xml:lang"] = item["lang"]
        return attributes

    def add_item_elements(self, handler, item) -> None:
        super().add_item_elements(handler, item)
        if item.get("content"):
            handler.addQuickElement("content", item["content"], {"type": "html"})
