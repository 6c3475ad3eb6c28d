"""The sanitizer every rendering ends with: bleach with an explicit allowlist of HTML and
MathML tags, attributes and URL schemes; links marked, scripts and styles dropped whole."""

from __future__ import annotations

import re
import threading
from urllib.parse import urlsplit

import bleach
from bleach import html5lib_shim
from bleach.linkifier import LinkifyFilter

from notes.rendering.math import MATHML_TAGS, allowed_math_attribute

# A code block's language as the highlighter names it ("python", "c++", "objective-c").
CODE_LANGUAGE = re.compile(r"[a-z0-9][a-z0-9+#._-]{0,29}")

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "dd", "del", "details",
        "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5",
        "h6", "hr", "i", "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s",
        "samp", "section", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip

ALLOWED_ATTRIBUTES: dict[str, list[str]] = {
    "a": ["href", "title", "class", "id", "rel", "target", "aria-label"],
    "abbr": ["title"],
    "img": ["src", "alt", "title", "width", "height", "loading"],
    "code": ["class"],
    "div": ["class"],
    "span": ["class"],
    "pre": ["class"],
    "section": ["class"],
    "sup": ["id", "class"],
    "li": ["id"],
    "ol": ["start"],
    "td": ["align", "colspan", "rowspan"],
    "th": ["align", "colspan", "rowspan"],
    "h1": ["id"],
    "h2": ["id"],
    "h3": ["id"],
    "h4": ["id"],
    "h5": ["id"],
    "h6": ["id"],
}
ALLOWED_ATTRIBUTES["span"] = ["class", "title"]
ALLOWED_ATTRIBUTES["div"] = ["class", "title"]
ALLOWED_TAGS = ALLOWED_TAGS | MATHML_TAGS


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    """The sanitizer's attribute rule: the lists above for HTML; for MathML, exactly what
    notes.rendering.math emits, values checked (classes styled by math.css, colours, no href
    or style).
    Equation anchors (ids "eq-…"), the focusable display-math box and the reference list's
    label (its heading, notes.rendering.references) are allowed by value."""
    if tag in MATHML_TAGS:
        return allowed_math_attribute(tag, name, value)
    if name in ALLOWED_ATTRIBUTES.get(tag, ()):
        return True
    if tag in {"div", "span"} and name == "id":
        return value.startswith("eq-") and len(value) <= 120
    if tag == "div" and name == "data-lang":
        return CODE_LANGUAGE.fullmatch(value) is not None
    if tag == "section" and name == "aria-labelledby":
        return _REFERENCES_HEADING.fullmatch(value) is not None
    # Boxes that scroll sideways (display math, code, tables) take keyboard focus.
    return tag in {"div", "span", "pre", "table"} and name == "tabindex" and value == "0"


# The id of a reference list's heading: "references", or "references-2" when that is taken.
_REFERENCES_HEADING = re.compile(r"references(?:-[0-9]{1,6})?")

ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})


def _mark_external_links(attrs: dict, new: bool = False) -> dict:
    """External links open in a new tab without handing the opener to the target page."""
    href = attrs.get((None, "href"), "")
    parts = urlsplit(href)
    # A protocol-relative link (//example.org/x) has no scheme but is just as external.
    if parts.scheme in {"", "http", "https"} and parts.netloc:
        attrs[(None, "target")] = "_blank"
        attrs[(None, "rel")] = "noopener noreferrer"
    else:
        attrs.pop((None, "target"), None)
    return attrs


class _LinearTreeWalker(html5lib_shim.getTreeWalker("etree")):
    """html5lib's tree walker, but each element remembers its index in its parent.

    The stock walker looks that index up (``list(parent).index(child)``, after asserting it
    occurs once) every time it climbs back to a parent, so a parent with many children makes
    sanitizing quadratic. The walk is the same; only the lookup is gone.
    """

    def getFirstChild(self, node):
        if isinstance(node, tuple):
            element, key, parents, flag = node
        else:
            element, key, parents, flag = node, None, [], None
        if flag in ("text", "tail"):
            return None
        if element.text:
            return element, key, parents, "text"
        if len(element):
            parents.append((element, key))
            return element[0], 0, parents, None
        return None

    def getNextSibling(self, node):
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            if len(element):
                parents.append((element, key))
                return element[0], 0, parents, None
            return None
        if element.tail and flag != "tail":
            return element, key, parents, "tail"
        if key < len(parents[-1][0]) - 1:
            return parents[-1][0][key + 1], key + 1, parents, None
        return None

    def getParentNode(self, node):
        if not isinstance(node, tuple):
            return None
        element, key, parents, flag = node
        if flag == "text":
            return (element, key, parents, None) if parents else element
        parent, parent_key = parents.pop()
        return (parent, parent_key, parents, None) if parents else parent


_per_thread = threading.local()


def _cleaner() -> bleach.Cleaner:
    # Reused, as bleach advises (building one costs a parser and its tables); a Cleaner is
    # not thread-safe, so each thread keeps its own.
    cleaner = getattr(_per_thread, "cleaner", None)
    if cleaner is not None:
        return cleaner
    cleaner = bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=_allowed_attribute,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[
            lambda source: LinkifyFilter(
                source,
                callbacks=[_mark_external_links],
                skip_tags={"pre", "code", "math", "annotation"},
                parse_email=False,
            )
        ],
    )
    cleaner.walker = _LinearTreeWalker
    _per_thread.cleaner = cleaner
    return cleaner


# bleach strips a disallowed tag but keeps its text, so without this the code inside a
# <script> or the rules inside a <style> an editor pasted would show up as prose on the page.
# Escaped text (code blocks, code spans) never matches; bleach still does the sanitizing.
# Only closed elements are removed, so a stray "<script" can never swallow the rest of a note.
_SCRIPT_OR_STYLE_OPEN = re.compile(r"<(script|style)\b[^>]*>", re.I)


def _drop_script_and_style(raw_html: str) -> str:
    """Each closed <script> or <style> element, with its content, removed.

    In linear time: a pattern that looks for each opening's closing tag would read to the end
    of the note for every unclosed "<script", quadratic in a body of such openings."""
    lowered = raw_html.lower()
    kept: list[str] = []
    position = 0
    no_closing_after = {"script": len(raw_html) + 1, "style": len(raw_html) + 1}
    for opening in _SCRIPT_OR_STYLE_OPEN.finditer(raw_html, 0):
        if opening.start() < position:
            continue  # inside an element already removed
        name = opening.group(1).lower()
        end = None
        if opening.end() < no_closing_after[name]:
            closing = lowered.find(f"</{name}", opening.end())
            while closing != -1:
                end = _CLOSING_TAG_END.match(lowered, closing + len(name) + 2)
                if end is not None:
                    break
                closing = lowered.find(f"</{name}", closing + 1)
        if end is None:  # none after this opening, so none after any later one either
            no_closing_after[name] = min(no_closing_after[name], opening.end())
            continue
        kept.append(raw_html[position : opening.start()])
        position = end.end()
    kept.append(raw_html[position:])
    return "".join(kept)


_CLOSING_TAG_END = re.compile(r"\s*>")


def sanitize_html(raw_html: str) -> str:
    """The last step of every rendering: only allowlisted tags, attributes and URL schemes."""
    return _cleaner().clean(_drop_script_and_style(raw_html))


_SCROLL_BOX = re.compile(r"<(pre|table)(?![^>]*\btabindex=)(?=[\s>])")


def focusable_scroll_boxes(safe_html: str) -> str:
    """Code blocks and tables scroll sideways on narrow screens: keyboard users must be able
    to focus them to scroll (WCAG 2.1.1). Applied to sanitized HTML; the attribute added is
    itself on the allowlist, so the result stays a fixed point of the sanitizer."""
    return _SCROLL_BOX.sub(r'<\1 tabindex="0"', safe_html)
