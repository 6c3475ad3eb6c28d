"""The text of rendered notes: excerpts, reading time and the language of the prose.

Pure functions over the HTML the pipeline stored, so descriptions, feeds and search read text
that holds no markup. Simple formulas keep their characters ("E=mc²", "x₁"); others are said
in Unicode or, where that would mislead, as their LaTeX between dollars
(notes.rendering.mathtext); display formulas are cut around so an excerpt reads as prose.
"""

from __future__ import annotations

import functools
import re
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser

from notes.rendering.mathtext import formula_text

CHINESE = "zh-Hans"
ENGLISH = "en"

# Left out of excerpts (prose only); annotations (LaTeX source) are always left out.
_EXCERPT_SKIPS = frozenset(
    {"pre", "table", "script", "style", "figure", "h1", "h2", "h3", "h4", "h5", "h6"}
)
_ALWAYS_SKIPPED = frozenset({"annotation", "script", "style"})
# Left out with ``skip_links``: the titles of linked notes, citations' numbers ("[1]").
_LINKED_CLASSES = frozenset({"wikilink", "wikilink-missing", "cite", "cite-group"})
_BLOCK_TAGS = {"p", "li", "blockquote", "dd", "dt", "div", "br", "ul", "ol", "dl"}
_VOID_TAGS = {"br", "hr", "img", "input", "meta", "link", "wbr"}
_DISPLAY_GAP = "\ue001"  # where a display formula stood
# Around a formula's LaTeX in the text search snippets are cut from (``marked_text``).
FORMULA_START, FORMULA_END = "\ue002", "\ue003"
_MARKED_FORMULA = re.compile(f"{FORMULA_START}(.*?){FORMULA_END}", re.S)
_INVISIBLE = re.compile("[\u2061-\u2064\u200b]")

_SUPERSCRIPTS = dict(zip("0123456789+-−=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁻⁼⁽⁾ⁿⁱ", strict=True))
_SUBSCRIPTS = dict(
    zip("0123456789+-−=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
# Wrappers whose text is their children's; "semantics" shows its first child only.
_MATH_ROWS = frozenset({"math", "mrow", "mstyle", "mpadded", "semantics", "mphantom"})
_MATH_TOKENS = frozenset({"mi", "mn", "mo", "mtext", "ms"})


@dataclass
class _MathNode:
    tag: str
    children: list[_MathNode | str] = field(default_factory=list)
    tex: str = ""  # the formula's LaTeX, from its annotation (on the <math> node)


def _scripted(text: str | None, table: dict[str, str]) -> str | None:
    if text is None or not text or len(text) > 6:
        return None
    if all(char in "′″‴" for char in text):  # f′, f″: primes are already raised
        return text
    out = [table.get(char) for char in text]
    return None if None in out else "".join(out)  # type: ignore[arg-type]


def _math_text(node: _MathNode | str) -> str | None:
    """A formula as plain characters, or None when flattening it would mislead (½ as "1 2")."""
    if isinstance(node, str):
        return _INVISIBLE.sub("", node)
    children = [child for child in node.children if not (
        isinstance(child, _MathNode) and child.tag == "annotation")]  # fmt: skip
    if node.tag in _MATH_ROWS or node.tag in _MATH_TOKENS:
        parts = [_math_text(child) for child in children]
        return None if None in parts else "".join(parts)  # type: ignore[arg-type]
    if node.tag == "mspace":
        return ""
    if node.tag in {"msub", "msup", "msubsup"} and len(children) == (
        3 if node.tag == "msubsup" else 2
    ):
        base = _math_text(children[0])
        if base is None:
            return None
        if node.tag == "msub":
            script = _scripted(_math_text(children[1]), _SUBSCRIPTS)
            return None if script is None else base + script
        if node.tag == "msup":
            script = _scripted(_math_text(children[1]), _SUPERSCRIPTS)
            return None if script is None else base + script
        sub = _scripted(_math_text(children[1]), _SUBSCRIPTS)
        sup = _scripted(_math_text(children[2]), _SUPERSCRIPTS)
        return None if sub is None or sup is None else base + sub + sup
    return None


_GLUED = re.compile(r"[，。、；：！？）」』”’》〉,.;:!?)]{1,3}")


def _glued_punctuation(node: _MathNode) -> str:
    """The closing punctuation the pipeline put in a formula's last row, if any."""
    current: _MathNode | str = node
    while isinstance(current, _MathNode):
        children = [c for c in current.children if not (
            isinstance(c, _MathNode) and c.tag == "annotation")]  # fmt: skip
        if not children:
            return ""
        last = children[-1]
        if isinstance(last, _MathNode) and last.tag == "mtext":
            text = "".join(c for c in last.children if isinstance(c, str))
            return text if _GLUED.fullmatch(text) else ""
        current = last
    return ""


# (prose_only, skip_links, marked): the ways the text of rendered HTML is read.
_Way = tuple[bool, bool, bool]
_WAYS: tuple[_Way, ...] = (
    (True, False, False),  # excerpts
    (False, False, False),  # reading time
    (True, True, False),  # language
    (False, False, True),  # search snippets
)


class _Reading:
    """The text of rendered HTML read one way: with ``prose_only``, leaving out code, tables,
    headings, display math (marking where it stood), footnotes, the reference list and broken
    formulas; with ``skip_links`` also the text of links to other notes (their titles are not
    the prose) and of citations;
    with ``marked``, each formula as its LaTeX between FORMULA_START and FORMULA_END and
    table cells kept apart ("a | b / c | d"), for search snippets."""

    def __init__(self, prose_only: bool, skip_links: bool, marked: bool) -> None:
        self.prose_only = prose_only
        self.skip_links = skip_links
        self.marked = marked
        self.parts: list[str] = []
        self._math: list[_MathNode] = []  # the inline formula being read, as a tree
        self._annotation: list[str] | None = None  # the LaTeX of the formula being read
        self._skip_depth = 0
        self._stack: list[tuple[str, bool]] = []
        self._cells = self._rows = 0

    def start(self, tag: str, display_math: bool, prose_skip: bool, link_skip: bool) -> None:
        """A start tag other than a void one; the flags say what kind of element it opens."""
        if tag == "annotation" and self._math:
            self._annotation = []
        if self.marked and not self._skip_depth:
            if tag == "table":
                self._rows = 0
            elif tag == "tr":
                self._cells = 0
                self._rows += 1
                if self._rows > 1:
                    self.parts.append(" / ")
            elif tag in ("td", "th"):
                self._cells += 1
                if self._cells > 1:
                    self.parts.append(" | ")
        skip = (
            tag in _ALWAYS_SKIPPED
            or (self.prose_only and prose_skip)
            or (self.skip_links and link_skip)
        )
        if display_math and self.prose_only and not self._skip_depth:
            self.parts.append(_DISPLAY_GAP)
        self._stack.append((tag, skip))
        if skip:
            self._skip_depth += 1
        elif self._skip_depth:
            pass
        elif tag == "math" or self._math:
            node = _MathNode(tag)
            if self._math:
                self._math[-1].children.append(node)
            self._math.append(node)
        if tag in _BLOCK_TAGS and not self._math:
            self.parts.append(" ")

    def end(self, tag: str) -> None:
        # Pop up to the matching tag so stray end tags cannot unbalance the skip counter.
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index][0] == tag:
                for _, skip in self._stack[index:]:
                    if skip:
                        self._skip_depth -= 1
                del self._stack[index:]
                break
        if tag == "annotation" and self._annotation is not None:
            if self._math:
                self._math[0].tex = "".join(self._annotation).strip()
            self._annotation = None
        if self._math and self._math[-1].tag == tag and not self._skip_depth:
            node = self._math.pop()
            if not self._math:
                self.parts.append(self._formula(node))
        if tag in _BLOCK_TAGS and not self._math:
            self.parts.append(" ")

    def _formula(self, node: _MathNode) -> str:
        if self.marked:
            return f"{FORMULA_START}{node.tex}{FORMULA_END}"
        text = _math_text(node)
        if text is not None:
            return text
        if not node.tex:
            return ""
        # Punctuation after a formula that may wrap is kept in its MathML (its LaTeX lacks it).
        return formula_text(node.tex) + _glued_punctuation(node)

    def data(self, data: str) -> None:
        if self._annotation is not None:
            self._annotation.append(data)
        if self._skip_depth:
            return
        if self._math:
            self._math[-1].children.append(data)
        else:
            self.parts.append(data)


class _TextExtractor(HTMLParser):
    """Reads the text of rendered HTML in each of ``ways`` (see ``_Reading``) in one parse."""

    def __init__(self, ways: tuple[_Way, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.ways = ways
        self.readings = [_Reading(*way) for way in ways]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_TAGS:
            if tag == "br":
                for reading in self.readings:
                    reading.parts.append(" ")
            return
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        display_math = "math-display" in classes or (
            tag == "math" and attributes.get("display") == "block"
        )
        prose_skip = (
            tag in _EXCERPT_SKIPS
            or display_math
            or "math-error" in classes
            # Footnote markers and the footnote list ("footnote", "footnote-ref").
            or any(c.startswith("footnote") for c in classes)
            # The reference list (notes.rendering.references).
            or (tag == "section" and "references" in classes)
        )
        link_skip = not _LINKED_CLASSES.isdisjoint(classes)
        for reading in self.readings:
            reading.start(tag, display_math, prose_skip, link_skip)

    def handle_endtag(self, tag: str) -> None:
        for reading in self.readings:
            reading.end(tag)

    def handle_data(self, data: str) -> None:
        for reading in self.readings:
            reading.data(data)

    def texts(self) -> dict[_Way, str]:
        """Each way's text, whitespace collapsed."""
        return {
            way: " ".join("".join(reading.parts).split())
            for way, reading in zip(self.ways, self.readings, strict=True)
        }


# A save reads the same body several ways (excerpt, reading time, language, search): the
# pipeline reads it every way in one parse, kept for the calls that follow.
_EVERY_WAY: dict[str, dict[_Way, str]] = {}
_EVERY_WAY_KEPT = 16
_EVERY_WAY_LOCK = threading.Lock()


def read_every_way(rendered_html: str) -> None:
    """Read a rendered body every way at once, ahead of the calls that will ask for it."""
    if rendered_html in _EVERY_WAY:
        return
    extractor = _TextExtractor(_WAYS)
    extractor.feed(rendered_html)
    extractor.close()
    with _EVERY_WAY_LOCK:
        _EVERY_WAY[rendered_html] = extractor.texts()
        while len(_EVERY_WAY) > _EVERY_WAY_KEPT:
            del _EVERY_WAY[next(iter(_EVERY_WAY))]


# Anything else (a heading, a caption, a body rendered in another process) is read only the
# way asked.
@functools.lru_cache(maxsize=64)
def _extract_one(rendered_html: str, way: _Way) -> str:
    extractor = _TextExtractor((way,))
    extractor.feed(rendered_html)
    extractor.close()
    return extractor.texts()[way]


def _extract(
    rendered_html: str, *, prose_only: bool, skip_links: bool = False, marked: bool = False
) -> str:
    way = (prose_only, skip_links, marked)
    texts = _EVERY_WAY.get(rendered_html)
    return texts[way] if texts is not None else _extract_one(rendered_html, way)


def plain_text(rendered_html: str, *, prose_only: bool = True) -> str:
    """The readable text of rendered HTML, whitespace collapsed, formulas as Unicode text."""
    return " ".join(
        _extract(rendered_html, prose_only=prose_only).replace(_DISPLAY_GAP, " ").split()
    )


def marked_text(rendered_html: str) -> str:
    """All the text of rendered HTML with each formula's LaTeX between FORMULA_START and
    FORMULA_END (the n-th marked formula is the n-th <math> of the HTML) and table cells kept
    apart: what search snippets are cut from."""
    return _extract(rendered_html, prose_only=False, marked=True)


def unmarked(text: str) -> str:
    """Marked text (``marked_text``) as plain text: each formula as Unicode text."""
    return _MARKED_FORMULA.sub(lambda found: formula_text(found.group(1)), text)


# Chinese readers take about 400 characters a minute of technical prose; English readers about
# 220 words. Each CJK character counts on its own; each run of Latin letters/digits is a word.
CJK_CHAR = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]")
_LATIN_WORD = re.compile(r"[A-Za-z0-9\u00c0-\u024f]+(?:['’-][A-Za-z0-9\u00c0-\u024f]+)*")
CJK_CHARS_PER_MINUTE = 400
WORDS_PER_MINUTE = 220


def reading_minutes(rendered_html: str) -> int:
    """Minutes to read a note: Chinese counted by characters, English by words; at least 1."""
    text = plain_text(rendered_html, prose_only=False)
    minutes = (
        len(CJK_CHAR.findall(text)) / CJK_CHARS_PER_MINUTE
        + len(_LATIN_WORD.findall(text)) / WORDS_PER_MINUTE
    )
    return max(1, round(minutes))


def detect_language(rendered_html: str) -> str:
    """The language of a note's prose (BCP 47).

    Only the prose counts: not code, math, tables, headings or the titles of linked notes (a
    Chinese title linked from an English note must not make it Chinese). A Chinese character
    carries about as much as an English word over two, so Chinese wins when it has at least
    half as many characters as English has words (technical Chinese is full of English terms).
    """
    text = _extract(rendered_html, prose_only=True, skip_links=True)
    cjk = len(CJK_CHAR.findall(text))
    words = len(_LATIN_WORD.findall(text))
    if not cjk and not words:
        return CHINESE
    return CHINESE if cjk * 2 >= words else ENGLISH


def _is_word_char(char: str) -> bool:
    # ASCII letters and digits form words that must not be cut; each CJK character is a
    # word of its own, so a cut next to one is always on a boundary.
    return char.isascii() and (char.isalnum() or char in "'-_")


_SENTENCE_END = re.compile(r"[。！？!?](?=\s|$)|[。！？]|\.(?=\s|$)")


def truncate_text(text: str, limit: int = 180, minimum: int = 120) -> str:
    """Shorten text to at most ``limit`` characters.

    Prefers the end of a sentence between ``minimum`` and ``limit`` (ending with the sentence's
    own punctuation, never ".…"); otherwise cuts on a character boundary for Chinese and on a
    word boundary for English, and adds an ellipsis.
    """
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    window = text[:limit]
    sentence_end = max(
        (m.end() for m in _SENTENCE_END.finditer(window) if m.end() >= minimum), default=0
    )
    if sentence_end:
        return window[:sentence_end].rstrip()
    cut = limit
    while cut > 0 and _is_word_char(text[cut - 1]) and _is_word_char(text[cut]):
        cut -= 1
    if cut == 0:  # one enormous token (a URL, say): a hard cut is the only option
        cut = limit
    return text[:cut].rstrip(" ,;:，、；：（(").rstrip() + "…"


def _sentence_prefix(text: str) -> str:
    """Text up to its last sentence end ("" when it has none): what stays of the prose that
    led into a display formula ("最优判别器为" goes, so does "…有简单形式：")."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    return text[: ends[-1]].rstrip() if ends else ""


def _after_first_sentence(text: str) -> str:
    """Text after the end of its first sentence: a sentence a display formula interrupted
    ("代回目标函数后，得到……。") does not read on its own."""
    found = _SENTENCE_END.search(text)
    return text[found.end() :].lstrip() if found else ""


def prose_around_display_math(text: str) -> str:
    """Join the prose between display formulas so it reads as sentences, not fragments."""
    pieces = text.split(_DISPLAY_GAP)
    kept: list[str] = []
    interrupted = False
    for index, piece in enumerate(pieces):
        piece = piece.strip()
        if interrupted:
            # A lower-case English continuation or a Chinese one without a sentence start.
            piece = _after_first_sentence(piece)
        interrupted = False
        if index < len(pieces) - 1:  # a formula follows
            complete = _sentence_prefix(piece)
            # "…形式：" introduces the formula and ends there; "最优判别器为" runs on after it.
            interrupted = complete != piece and not piece.endswith(("：", ":"))
            piece = complete
        if piece:
            kept.append(piece)
    return " ".join(kept)


def make_excerpt(rendered_html: str, limit: int = 180, minimum: int = 120) -> str:
    """Plain-text excerpt of a rendered note, for places that take no markup (descriptions,
    feed summaries): formulas as Unicode text, never a placeholder."""
    text = _extract(rendered_html, prose_only=True)
    return truncate_text(prose_around_display_math(text), limit=limit, minimum=minimum)
