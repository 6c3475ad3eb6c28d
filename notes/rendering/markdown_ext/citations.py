"""Citations ``[@key]``, ``[@a; @b, p. 3]``: numbered links to the note's reference list."""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from django.utils.translation import gettext_noop
from markdown import Extension, Markdown, util
from markdown.inlinepatterns import InlineProcessor
from markdown.treeprocessors import Treeprocessor

from notes.rendering.context import CitedWork, RenderContext, RenderState

# A key as Pandoc reads one: a letter, digit or "_", then those and internal punctuation,
# ending in a letter or digit ("hu2022lora", "arxiv:2106.09685", "doi:10.1038/nature14236");
# or anything without brackets or braces between braces ("@{doi:10.1002/(SICI)…}").
_KEY = r"(?:\w[\w:.#$%&+?<>~/-]*)?[^\W_]"
_BRACED_KEY = "\\{[^{}\\[\\]\\n\x02\x03]+\\}"
# After a comma, a locator ("p. 3"): no brackets, no semicolon, no text Markdown set aside.
_LOCATOR = "[^;\\[\\]\\n\x02\x03]*"
_ITEM = rf"@(?:{_KEY}|{_BRACED_KEY})(?:,{_LOCATOR}|\s*)"
_ITEM_RE = re.compile(rf"@({_KEY}|{_BRACED_KEY})(?:,({_LOCATOR}))?")
# Not followed by "(" or "[": "[@x](url)" and "[@x][ref]" stay links.
CITATION_RE = rf"\[[ \t]*{_ITEM}(?:;\s*{_ITEM})*\](?![(\[])"

# The element a citation is until the whole tree is there to number it in reading order.
_PENDING = "citation-pending"
_SHOWN_KEY = 80
_CONTROL = re.compile("[\x00-\x1f\x7f]")
_SHOWN_TITLE = 300


def _items(citation: str) -> list[tuple[str, str]]:
    """Each cited key (braces removed) and its locator ("" when none), in order."""
    items = []
    for found in _ITEM_RE.finditer(citation):
        key = found.group(1)
        if key.startswith("{"):
            key = key[1:-1].strip()
        items.append((key, " ".join((found.group(2) or "").split())))
    return items


def find_citation_keys(source: str) -> list[str]:
    """The citation keys a Markdown source mentions, as written after "@", so a caller can
    look them all up at once (keys in code or math are included: a superset)."""
    keys = (key for found in re.finditer(CITATION_RE, source) for key, _ in _items(found[0]))
    return list(dict.fromkeys(keys))


def _written(key: str) -> re.Pattern[str]:
    """Where "@key" is written in a citation, braced or not (and not as the start of a longer
    key)."""
    escaped = re.escape(key)
    return re.compile(rf"@(?:\{{\s*{escaped}\s*\}}|{escaped}(?![\w:.#$%&+?<>~/-]*[^\W_]))")


def _shown(key: str) -> str:
    return key if len(key) <= _SHOWN_KEY else key[: _SHOWN_KEY - 1] + "…"


class CitationProcessor(InlineProcessor):
    """Sets each citation aside as a pending element; ``CitationTreeprocessor`` numbers them."""

    def __init__(self, md: Markdown) -> None:
        super().__init__(CITATION_RE, md)
        self.citations: list[tuple[str, list[tuple[str, str]]]] = []

    def handleMatch(self, m: re.Match[str], data: str):
        element = etree.Element(_PENDING, {"index": str(len(self.citations))})
        self.citations.append((m.group(0), _items(m.group(0))))
        # The text as written: what an image's alt text or a link's text keeps of it.
        element.text = util.AtomicString(m.group(0))
        return element, m.start(0), m.end(0)


class CitationTreeprocessor(Treeprocessor):
    """Numbers citations in reading order (inline patterns see the tree in another order):
    a work's number is the order of its first citation, and each place citing it gets an id
    its entry in the reference list links back to."""

    def __init__(
        self,
        md: Markdown,
        state: RenderState,
        context: RenderContext,
        citations: list[tuple[str, list[tuple[str, str]]]],
    ) -> None:
        super().__init__(md)
        self.state = state
        self.context = context
        self.citations = citations
        self.works: dict[str, CitedWork | None] = {}
        self.numbers: dict[str, int] = {}

    def run(self, root: etree.Element) -> None:
        pending = list(root.iter(_PENDING))
        if not pending:
            return
        # A citation inside a link's text stays text: a link cannot hold another.
        in_links = {id(found) for link in root.iter("a") for found in link.iter(_PENDING)}
        for element in pending:
            self.state.check()
            source, items = self.citations[int(element.get("index", "0"))]
            element.attrib.clear()
            if id(element) in in_links:
                element.tag = "span"
                continue
            self._cite(element, source, [(key, locator, self._work(key)) for key, locator in items])

    def _work(self, key: str) -> CitedWork | None:
        if key not in self.works:
            work = self.context.resolve_citation(key)
            self.works[key] = work
            self.state.citations[key] = work.key if work is not None else None
            if work is None:
                self.state.warn(
                    gettext_noop("Unknown citation: @%(key)s"),
                    {"key": _shown(key)},
                    source=_written(key),
                )
        return self.works[key]

    def _place(self, work: CitedWork) -> tuple[int, str]:
        """The work's number and a new id for this place citing it."""
        if work.key not in self.numbers:
            self.numbers[work.key] = len(self.state.references)
            self.state.references.append((work, []))
        index = self.numbers[work.key]
        places = self.state.references[index][1]
        place = f"cite-{index + 1}" if not places else f"cite-{index + 1}-{len(places) + 1}"
        places.append(place)
        return index + 1, place

    def _cite(
        self, element: etree.Element, source: str, items: list[tuple[str, str, CitedWork | None]]
    ) -> None:
        missing = [key for key, _, work in items if work is None]
        if len(missing) == len(items):
            # Nothing resolves: the text as written, marked.
            element.tag = "span"
            element.set("class", "cite cite-missing")
            element.set("title", _missing_title(missing))
            return
        if len(items) == 1:
            ((_, locator, work),) = items
            number, place = self._place(work)
            element.tag = "a"
            self._link(element, work, number, place)
            element.text = f"[{number}, {locator}]" if locator else f"[{number}]"
            return
        # A group: one link per work, "[1, 3]"; "; " between them when a locator would blur
        # which number it belongs to ("[1; 2, p. 3]").
        element.tag = "span"
        element.set("class", "cite-group")
        element.text = "["
        separator = "; " if any(locator for _, locator, _ in items) else ", "
        last = None
        for key, locator, work in items:
            if last is not None:
                last.tail = (last.tail or "") + separator
            if work is None:
                last = etree.SubElement(element, "span", {"class": "cite cite-missing"})
                last.set("title", _missing_title([key]))
                last.text = util.AtomicString(f"@{key}")
            else:
                number, place = self._place(work)
                last = etree.SubElement(element, "a")
                self._link(last, work, number, place)
                last.text = str(number)
            if locator:
                last.tail = f", {locator}"
        last.tail = (last.tail or "") + "]"

    @staticmethod
    def _link(element: etree.Element, work: CitedWork, number: int, place: str) -> None:
        element.set("class", "cite")
        element.set("id", place)
        element.set("href", f"#ref-{number}")
        title = work.csl.get("title") if hasattr(work.csl, "get") else None
        if isinstance(title, str) and title.strip():
            # Control characters could pose as Markdown's placeholders (STX … ETX).
            title = " ".join(_CONTROL.sub(" ", title).split())
            shown = title if len(title) <= _SHOWN_TITLE else title[: _SHOWN_TITLE - 1] + "…"
            element.set("title", shown)


def _missing_title(keys: list[str]) -> str:
    shown = ", ".join(f"“{_shown(key)}”" for key in keys)
    return f"No paper with the key {shown}" if len(keys) == 1 else f"No papers with keys {shown}"


class CitationExtension(Extension):
    def __init__(self, state: RenderState, context: RenderContext, **kwargs) -> None:
        self.state = state
        self.context = context
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        processor = CitationProcessor(md)
        # Below escapes (180), code spans (190), math (184-188) and wiki links (175), so those
        # are set aside first; above reference links (170) and links (160), which would read
        # "[@key]" as a reference.
        md.inlinePatterns.register(processor, "citation", 174)
        # After inline patterns (20), so the whole tree is there; before the TOC (5) so a
        # heading's contents entry reads "[1]", not the pending element's text.
        treeprocessor = CitationTreeprocessor(md, self.state, self.context, processor.citations)
        md.treeprocessors.register(treeprocessor, "citation", 12)
