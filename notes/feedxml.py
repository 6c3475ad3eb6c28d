"""The feeds' XML: Django's RSS and Atom generators with the full note, and each note's item
rendered once, on save.

A feed of 20 notes is some 300 KB of escaped HTML; asking Django's ``Feed`` for each item's
dozen attributes and writing it element by element cost more than everything else a feed
does. So a save stores, for each feed kind and language, the item's XML before and after its
content (``Note.feed_items``), and a feed joins those halves around the note's escaped HTML.
The halves come from the same generators below, so a stored item is exactly what Django would
have written.

Compressing a 300 KB feed per request cost more than joining it. So a save also stores the
note's escaped HTML compressed once (``Note.feed_gzip``): a raw deflate segment, byte-aligned and
without a final block, with the CRC-32 and length of its bytes. A client that accepts gzip gets
one gzip member built around those segments (``gzip_member``): only the channel and the item
halves, a few KB, are compressed per request, and the CRC of the whole is combined from the
segments' without reading their bytes.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from io import StringIO
from typing import Any, NamedTuple
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
    """A generator that writes stored items (``stored``: XML strings or ``StoredItem``s, newest
    first) when it has them, and dates the feed by them. Written into ``Pieces``, an item's
    stored segment is handed over compressed instead of its content being escaped."""

    stored: list[str | StoredItem] | None = None
    stored_latest: datetime | None = None
    _pieces: Pieces | None = None  # while write_gzip writes

    def write_items(self, handler) -> None:
        if self.stored is None:
            super().write_items(handler)
            return
        for item in self.stored:
            # Written as they are, already XML. The handler writes straight into _pieces, so
            # a segment lands between the halves.
            if isinstance(item, str):
                handler.ignorableWhitespace(item)
            elif self._pieces is not None and item.segment is not None:
                handler.ignorableWhitespace(item.before)
                self._pieces.add_segment(item.segment)
                handler.ignorableWhitespace(item.after)
            else:
                handler.ignorableWhitespace(item.xml())

    def write_gzip(self) -> bytes:
        """The document as one gzip member, around the items' stored segments."""
        self._pieces = pieces = Pieces()
        try:
            self.write(pieces, "utf-8")
        finally:
            self._pieces = None
        return gzip_member(pieces.done())

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
    item = stored_parts(note, kind, language)
    return None if item is None else item.xml()


@dataclass(slots=True)
class StoredItem:
    """A stored item: its XML before and after the content, the note's HTML (read only to
    write it uncompressed) and, for a gzipped feed, its content's stored segment."""

    before: str
    after: str
    note: Any
    segment: Segment | None = None

    def xml(self) -> str:
        return self.before + escape(self.note.feed_html) + self.after  # as the generators escape


def stored_parts(
    note: Any,
    kind: str,
    language: str,
    *,
    compressed: bool = False,
    builds: Builds | None = None,
) -> StoredItem | None:
    """The note's item as stored; ``compressed``, with its stored segment. None when it must
    be rendered again. A compressed item does not read ``feed_html`` (a gzipped feed leaves
    it unloaded): the segment stands for it. ``builds``: ``current_builds()``, read once
    for a whole feed."""
    builds = builds or current_builds()
    items = note.feed_items or {}
    if items.get("build") != builds.items or language not in items:
        return None
    segment = None
    if compressed:
        segment = stored_segment(note, builds.segment)
        if segment is None:
            return None
    elif not note.feed_html:
        return None
    before, after = items[language][kind]
    return StoredItem(before, after, note, segment)


# --- Compressed once, on save --------------------------------------------------------------

# Per request only the channel and the item halves are compressed, a few KB: fast. A stored
# segment is compressed once, so as small as zlib makes it.
REQUEST_LEVEL = 6
STORED_LEVEL = 9
# A gzip member's header: deflate, no name, no time (as Django's compress_string), unknown OS.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
# Before a stored segment: its build (see segment_build), then the CRC-32 and length of its
# uncompressed bytes and x^(8·length) modulo the CRC polynomial (what combines CRCs).
_SEGMENT_HEADER = struct.Struct("<IIII")
_CRC_POLYNOMIAL = 0xEDB88320  # bit-reflected, as zlib's


class Segment(NamedTuple):
    """A note's escaped content as raw deflate blocks that any gzip member can carry between
    two fully flushed parts: byte-aligned, no final block, no reference outside itself."""

    deflate: bytes | memoryview
    crc: int
    length: int
    shift: int


def segment_build(items_build: str | None = None) -> int:
    """What a stored segment depends on: its own format and the site (``feed_html`` is
    absolute on DJANGO_SITE_URL)."""
    return zlib.crc32(f"segment 1|{items_build or build()}".encode())


class Builds(NamedTuple):
    items: str
    segment: int


def current_builds() -> Builds:
    """The builds stored items and segments must be of."""
    items = build()
    return Builds(items, segment_build(items))


def content_segment(html: str) -> bytes:
    """``Note.feed_gzip``: the note's feed HTML escaped as its items carry it, compressed as
    one stored segment after a small header. Empty for empty HTML."""
    data = escape(html).encode("utf-8", "xmlcharrefreplace")
    if not data or len(data) >= 1 << 32:
        return b""
    compressor = zlib.compressobj(STORED_LEVEL, zlib.DEFLATED, -15)
    # A sync flush ends the blocks on a byte without marking the last: the member goes on.
    deflate = compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)
    zeros = bytes(len(data))
    # CRC-32 over zeros from a register of r is r·x^(8n) ^ (the same from 0): so the shift
    # x^(8n) is the difference from a register holding 1 (0x80000000, bit-reflected).
    shift = zlib.crc32(zeros, 0x80000000) ^ zlib.crc32(zeros)
    header = _SEGMENT_HEADER.pack(segment_build(), zlib.crc32(data), len(data), shift)
    return header + deflate


def stored_segment(note: Any, expected_build: int | None = None) -> Segment | None:
    """The note's stored segment, or None when it has none or one of another build."""
    data = note.feed_gzip  # bytes on SQLite, a memoryview on PostgreSQL
    if not data or len(data) <= _SEGMENT_HEADER.size:
        return None
    stored_build, crc, length, shift = _SEGMENT_HEADER.unpack_from(data)
    if stored_build != (expected_build if expected_build is not None else segment_build()):
        return None
    return Segment(memoryview(data)[_SEGMENT_HEADER.size :], crc, length, shift)


def _times_mod_p(a: int, b: int) -> int:
    """a·b modulo the CRC-32 polynomial, bit-reflected (zlib's multmodp)."""
    if not a:
        return 0
    m = 0x80000000
    product = 0
    while True:
        if a & m:
            product ^= b
            if not a & (m - 1):
                return product
        m >>= 1
        b = (b >> 1) ^ _CRC_POLYNOMIAL if b & 1 else b >> 1


def crc_combine(crc_a: int, crc_b: int, shift_b: int) -> int:
    """CRC-32 of A then B from the CRCs of each and B's shift (zlib's crc32_combine)."""
    return _times_mod_p(shift_b, crc_a) ^ crc_b


class Pieces(StringIO):
    """Where a gzipped feed is written: its text, cut where stored segments go between."""

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str | Segment] = []

    def add_segment(self, segment: Segment) -> None:
        self.pieces.append(self.getvalue())
        self.seek(0)
        self.truncate()
        self.pieces.append(segment)

    def done(self) -> list[str | Segment]:
        self.pieces.append(self.getvalue())
        return self.pieces


def gzip_member(pieces: Iterable[str | Segment]) -> bytes:
    """One gzip member of text and stored segments, as if the whole had been compressed: a
    client (or ``gzip.decompress``) reads the same bytes as the feed uncompressed."""
    compressor = zlib.compressobj(REQUEST_LEVEL, zlib.DEFLATED, -15)
    out: list[bytes | memoryview] = [GZIP_HEADER]
    crc = size = 0
    pending = False  # text given to the compressor since its last flush
    for piece in pieces:
        if isinstance(piece, Segment):
            if pending:
                # A full flush: byte-aligned, and nothing after it refers back to text
                # before it (a segment comes in between, the distances would be wrong).
                out.append(compressor.flush(zlib.Z_FULL_FLUSH))
                pending = False
            out.append(piece.deflate)
            crc = crc_combine(crc, piece.crc, piece.shift)
            size += piece.length
        elif piece:
            # As the response's writer encodes what Django's generators write.
            data = piece.encode("utf-8", "xmlcharrefreplace")
            out.append(compressor.compress(data))
            pending = True
            crc = zlib.crc32(data, crc)
            size += len(data)
    out.append(compressor.flush(zlib.Z_FINISH))  # an empty final block, if nothing was left
    out.append(struct.pack("<II", crc, size & 0xFFFFFFFF))
    return b"".join(out)
