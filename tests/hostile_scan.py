"""What a browser or a feed reader would run of a page: the scanner of tests/test_hostile.py."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from notes.rendering.math.markup import STYLE_CLASSES

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
