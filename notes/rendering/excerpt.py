"""Excerpts as HTML: the opening prose of a rendered note with its inline math, code and emphasis
kept, cut at a sentence or word and never inside a formula or a tag (cards and search snippets).
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

from notes.rendering.plaintext import CJK_CHAR, ENGLISH
from notes.rendering.sanitize import sanitize_html

# Kept as they are: inline markup whose meaning a card should keep.
_KEPT = frozenset({"em", "strong", "b", "i", "code", "sub", "sup", "mark", "del", "s", "kbd"})
# Left out with everything inside: not the opening prose of a note.
_SKIPPED = frozenset(
    {"pre", "script", "style", "figure", "img", "h1", "h2", "h3", "h4", "h5", "h6", "nav", "hr"}
)
_SKIPPED_CLASSES = ("footnote", "math-error", "toc")
_BREAKS = frozenset({"p", "li", "blockquote", "dd", "dt", "div", "br", "ul", "ol", "dl", "tr"})
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "col", "area"})
TABLE_NAMES = {"zh-Hans": "（表格）", ENGLISH: "(table)"}
# A display formula this short (its LaTeX) reads inline in a card; a longer one ends the excerpt.
SHORT_DISPLAY_TEX = 48
_MULTILINE_TEX = re.compile(r"\\\\|\\begin\b|\\tag\b")
_LATIN_WORD_START = re.compile(r"(?<![A-Za-z0-9\u00c0-\u024f'’-])[A-Za-z0-9\u00c0-\u024f]")
_SENTENCE_END = re.compile(r"[。！？]|[.!?](?=\s)")
_ANNOTATION = re.compile(r"<annotation[^>]*>(.*?)</annotation>", re.S)


def _is_reference_list(tag: str, classes: list[str]) -> bool:
    """The list of works a note cites (notes.rendering.references): not its opening prose."""
    return tag == "section" and "references" in classes


def text_units(text: str) -> int:
    """Length as a reader feels it: a CJK character is one unit, an English word two (so 120
    units are about 120 characters of Chinese or 60 English words)."""
    return len(CJK_CHAR.findall(text)) + 2 * len(_LATIN_WORD_START.findall(text))


def _formula_units(math_html: str) -> int:
    found = _ANNOTATION.search(math_html)
    return max(2, len(found.group(1)) // 4) if found else 4


class _Finished(Exception):
    """Raised at the first event after the excerpt is done: the rest cannot change it."""


class _ExcerptBuilder(HTMLParser):
    def __init__(self, *, limit: int, minimum: int, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.limit = limit
        self.minimum = minimum
        self.language = language
        self.out: list[str] = []
        self.open: list[str] = []  # tags open in the output
        self.stack: list[tuple[str, str]] = []  # every open source tag: (tag, role)
        self.units = 0
        self.skip = 0
        self.math: list[str] | None = None  # the formula being copied, raw
        self.math_depth = 0
        self.display = False
        self.done = False
        self.cut = False
        # Where a sentence ended: (len(out), open tags, units); the excerpt may end there.
        self.sentence_ends: list[tuple[int, tuple[str, ...], int]] = []
        self.pending_space = False

    # --- output -------------------------------------------------------------------------
    def _space(self) -> None:
        if self.out:
            self.pending_space = True

    def _emit(self, html: str) -> None:
        if self.pending_space:
            self.out.append(" ")
            self.pending_space = False
        self.out.append(html)

    def _finish(self, *, cut: bool) -> None:
        self.done = True
        self.cut = cut

    # --- parsing ------------------------------------------------------------------------
    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            raise _Finished
        if self.math is not None:
            self.math.append(self.get_starttag_text() or "")
            if tag not in _VOID:
                self.math_depth += 1
            return
        classes = (dict(attrs).get("class") or "").split()
        if tag in _VOID:
            if tag == "br" and not self.skip:
                self._space()
            return
        if self.skip:
            self.stack.append((tag, "skip"))
            self.skip += 1
            return
        if (
            tag in _SKIPPED
            or any(c.startswith(_SKIPPED_CLASSES) for c in classes)
            or _is_reference_list(tag, classes)
        ):
            self.stack.append((tag, "skip"))
            self.skip += 1
            return
        if tag == "table":
            self._space()
            self._emit(f'<span class="excerpt-table">{TABLE_NAMES[self.language]}</span>')
            self.units += 2
            self._space()
            self.stack.append((tag, "skip"))
            self.skip += 1
            return
        if "math-display" in classes:
            self.display = True
            self.stack.append((tag, "display"))
            return
        if tag == "math":
            self.math = [self.get_starttag_text() or "<math>"]
            self.math_depth = 1
            return
        if tag in _BREAKS:
            self._space()
            self.stack.append((tag, "break"))
            return
        if tag in _KEPT or (tag == "span" and "math-inline" in classes):
            # A formula's wrapper keeps it on one line with the punctuation after it.
            self._emit('<span class="math-inline">' if tag == "span" else f"<{tag}>")
            self.open.append(tag)
            self.stack.append((tag, "kept"))
            return
        self.stack.append((tag, "unwrapped"))  # a, span and the like: their text only

    def handle_endtag(self, tag: str) -> None:
        if self.done:
            raise _Finished
        if self.math is not None:
            self.math.append(f"</{tag}>")
            self.math_depth -= 1
            if self.math_depth == 0:
                self._formula("".join(self.math))
                self.math = None
            return
        # Pop up to the matching tag, so stray end tags cannot unbalance the counts.
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                for _, role in reversed(self.stack[index:]):
                    if role == "skip":
                        self.skip -= 1
                    elif role == "kept" and self.open:
                        self._emit(f"</{self.open.pop()}>")
                    elif role == "break":
                        self._space()
                    elif role == "display":
                        self.display = False
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if self.done:
            raise _Finished
        if self.math is not None:
            self.math.append(escape(data, quote=False))
            return
        if self.skip or self.display:
            return
        text = " ".join(data.split())
        if data[:1].isspace() and text:
            self._space()
        if text:
            self._text(text)
        if data[-1:].isspace() and text:
            self._space()

    # --- what goes in ---------------------------------------------------------------------
    def _text(self, text: str) -> None:
        start = 0
        for found in _SENTENCE_END.finditer(text):
            if not self._piece(text[start : found.end()]):
                return
            start = found.end()
            self.sentence_ends.append((len(self.out), tuple(self.open), self.units))
        if start < len(text):
            self._piece(text[start:])

    def _piece(self, piece: str) -> bool:
        units = text_units(piece)
        if self.units + units <= self.limit:
            self._emit(escape(piece, quote=False))
            self.units += units
            return True
        if self._end_at_sentence():
            return False
        # Cut on a character for Chinese, at a word's start for English.
        taken = 0
        cut = 0
        for index, char in enumerate(piece):
            cost = 1 if CJK_CHAR.match(char) else 0
            if _LATIN_WORD_START.match(piece, index):
                cost = 2
            if self.units + taken + cost > self.limit:
                break
            taken += cost
            cut = index + 1
        while 0 < cut < len(piece) and piece[cut - 1].isascii() and piece[cut - 1].isalnum():
            cut -= 1  # never half a word
        kept = piece[:cut].rstrip(" ,;:，、；：（(")
        if kept:
            self._emit(escape(kept, quote=False))
        self._finish(cut=True)
        return False

    def _end_at_sentence(self) -> bool:
        """End at the last sentence end past the minimum, if there is one."""
        for position, open_tags, units in reversed(self.sentence_ends):
            if units >= self.minimum:
                del self.out[position:]
                self.open = list(open_tags)
                self.units = units
                self._finish(cut=False)
                return True
        return False

    def _formula(self, math_html: str) -> None:
        if self.display:
            found = _ANNOTATION.search(math_html)
            tex = found.group(1) if found else ""
            if len(tex) > SHORT_DISPLAY_TEX or _MULTILINE_TEX.search(tex) or not found:
                # Too long for a card: end before it (or, with nothing said yet, pass it).
                if self.units >= self.minimum // 3:
                    self._end_at_sentence() or self._finish(cut=True)
                return
            math_html = re.sub(r"^<math[^>]*>", "<math>", math_html, count=1)
            self._space()
        units = _formula_units(math_html)
        if self.units + units > self.limit:
            self._end_at_sentence() or self._finish(cut=True)
            return
        self._emit(math_html)
        self.units += units
        if self.display:
            self._space()

    def result(self) -> str:
        html = "".join(self.out).rstrip()
        html += "".join(f"</{tag}>" for tag in reversed(self.open))
        if self.cut:
            html += "…"
        return html


def excerpt_html(rendered_html: str, *, language: str, limit: int = 120, minimum: int = 80) -> str:
    """The opening prose of a note as safe HTML: inline formulas as the page's MathML, short
    display formulas inline, code and emphasis kept, tables named; about ``limit`` units long
    (see ``text_units``), ending at a sentence past ``minimum`` when one is there."""
    builder = _ExcerptBuilder(limit=limit, minimum=minimum, language=language)
    try:
        builder.feed(rendered_html)
        builder.close()
    except _Finished:
        pass
    return sanitize_html(builder.result())
