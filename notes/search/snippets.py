"""The passage shown under a search result, every matched term in ``<mark>``, all escaped
but the formulas, which are shown typeset: the note's own sanitized MathML, whole, and marked
whole when the match is in their LaTeX.

Built from the stored marked text of the page's results only (PostgreSQL's ts_headline cannot
highlight pre-tokenised Chinese, and SQLite has nothing like it for external content).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache
from html import escape

from django.utils.safestring import SafeString, mark_safe

from notes.rendering.plaintext import FORMULA_END, FORMULA_START
from notes.search.query import Query
from notes.search.tokenizer import LATIN_WORD, WORD_CHARACTER, stem

SNIPPET_LENGTH = 160
# Combining marks: NFKC may fold them into the letter before, shifting positions.
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
LEAD = 40  # characters of context before the first match


def _normalized(text: str) -> tuple[str, list[int]]:
    """NFKC-lowered text and, for each of its characters, the index in ``text``."""
    folded = unicodedata.normalize("NFKC", text).lower()
    if len(folded) == len(text) and not _COMBINING.search(text):
        return folded, list(range(len(text)))  # one character for one: positions agree
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = unicodedata.normalize("NFKC", char).lower()
        out.append(folded)
        origin.extend([index] * len(folded))
    return "".join(out), origin


@lru_cache(maxsize=256)
def _word_starts(needles: tuple[str, ...]) -> re.Pattern[str]:
    """Words beginning with any of the needles: the regex engine skips all the others."""
    alternatives = "|".join(map(re.escape, sorted(needles, key=len, reverse=True)))
    return re.compile(f"(?<!{WORD_CHARACTER})(?:{alternatives}){WORD_CHARACTER}*")


def _word_matches(folded: str, query: Query, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Words matching the query's words or prefixes in ``folded[start:end]``, in order."""
    words, prefixes = set(query.words), query.prefixes
    if not words and not prefixes:
        return
    # A stem keeps its word's letters but for the last two at most ("dying" → "die"), so only
    # words beginning like a query word need stemming.
    needles = tuple(sorted({term[: max(1, len(term) - 2)] for term in (*words, *prefixes)}))
    for found in _word_starts(needles).finditer(folded, start, end):
        word = found.group(0)
        stemmed = stem(word)
        if stemmed in words or any(stemmed.startswith(p) or word.startswith(p) for p in prefixes):
            yield found.span()


def _spans(folded: str, query: Query, start: int, end: int) -> list[tuple[int, int]]:
    """Matches of the query's terms in ``folded[start:end]``, sorted, positions in ``folded``."""
    spans: list[tuple[int, int]] = []
    for term in query.cjk:
        position = folded.find(term, start, end)
        while position != -1:
            spans.append((position, position + len(term)))
            position = folded.find(term, position + 1, end)
    spans.extend(_word_matches(folded, query, start, end))
    spans.sort()
    return spans


def _merged(spans: list[tuple[int, int]], origin: list[int]) -> list[tuple[int, int]]:
    """Overlapping spans merged, and mapped back to positions in the original text."""
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [(origin[start], origin[end - 1] + 1) for start, end in merged if end > start]


def match_spans(text: str, query: Query) -> list[tuple[int, int]]:
    """Where the query's terms occur in ``text``, as merged (start, end) character ranges."""
    folded, origin = _normalized(text)
    return _merged(_spans(folded, query, 0, len(folded)), origin)


def _first_match(folded: str, query: Query) -> int | None:
    """Where the earliest match begins, reading no further than it."""
    found = [position for term in query.cjk if (position := folded.find(term)) != -1]
    # Words only need looking for before the earliest CJK match.
    word = next(_word_matches(folded, query, 0, min(found, default=len(folded))), None)
    if word is not None:
        found.append(word[0])
    return min(found, default=None)


def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    position = 0
    for start, end in spans:
        out.append(escape(text[position:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    out.append(escape(text[position:]))
    return "".join(out)


def _in_word(text: str, index: int) -> bool:
    """Whether a character belongs to a word of letters or digits (CJK runs have no words)."""
    return LATIN_WORD.match(text, index) is not None


_MARKED_FORMULA = re.compile(f"{FORMULA_START}(.*?){FORMULA_END}", re.S)
_MATH = re.compile(r"<math\b([^>]*)>(.*?</math>)", re.S)


def formulas_of(rendered_html: str) -> list[str]:
    """The MathML of each formula of a rendered note, in order, all as inline formulas."""
    return [
        ('<math class="ms-short">' if "ms-short" in attributes else "<math>") + inner
        for attributes, inner in _MATH.findall(rendered_html)
    ]


def _whole_formulas(text: str, start: int, end: int) -> tuple[int, int]:
    """The window widened so that it cuts no formula."""
    if text.rfind(FORMULA_START, 0, start) > text.rfind(FORMULA_END, 0, start):
        start = text.rfind(FORMULA_START, 0, start)
    if text.rfind(FORMULA_START, 0, end) > text.rfind(FORMULA_END, 0, end):
        closing = text.find(FORMULA_END, end)
        end = len(text) if closing == -1 else closing + 1
    return start, end


def _highlighted(
    text: str, start: int, end: int, spans: list[tuple[int, int]], formulas: list[str]
) -> str:
    """``text[start:end]`` as HTML: prose escaped with its matches marked, formulas typeset."""

    def prose(begin: int, stop: int) -> str:
        inside = [(max(s, begin) - begin, min(e, stop) - begin) for s, e in spans]
        return highlight(text[begin:stop], [(s, e) for s, e in inside if s < e])

    out: list[str] = []
    position = start
    index = text.count(FORMULA_START, 0, start)
    for found in _MARKED_FORMULA.finditer(text, start, end):
        out.append(prose(position, found.start()))
        math = (
            formulas[index]
            if index < len(formulas)
            else f"<code>{escape('$' + found.group(1) + '$')}</code>"
        )
        if any(s < found.end() and e > found.start() for s, e in spans):
            math = f'<mark class="formula-match">{math}</mark>'
        out.append(math)
        index += 1
        position = found.end()
    out.append(prose(position, end))
    return "".join(out)


def snippet(
    text: str,
    query: Query,
    *,
    fallback: str = "",
    fallback_html: str = "",
    formulas: list[str] | None = None,
) -> SafeString:
    """About SNIPPET_LENGTH characters around the first match, with the matches marked and
    the formulas typeset (``formulas``: the note's, from ``formulas_of``); the note's excerpt
    (``fallback_html``, else the plain ``fallback``) when the text has no match (a title or
    tag match).

    Only the passage shown is searched for matches after the first: a note's text runs to
    thousands of words, a page shows twenty of them.
    """
    folded, origin = _normalized(text)
    first = _first_match(folded, query)
    if first is None:
        if fallback_html:
            return mark_safe(fallback_html)  # sanitized at save (notes.rendering.excerpt)
        return mark_safe(highlight(fallback, match_spans(fallback, query)))
    start = max(0, first - LEAD)
    # Whole words at both edges of the window, so a cut word is not taken for a prefix.
    while start > 0 and _in_word(folded, start - 1) and _in_word(folded, start):
        start -= 1
    end = min(len(folded), start + SNIPPET_LENGTH)
    while end < len(folded) and _in_word(folded, end - 1) and _in_word(folded, end):
        end += 1
    # A term that runs past the window's end is marked whole.
    longest = max(map(len, (*query.cjk, *query.words, *query.prefixes)), default=0)
    spans = [span for span in _spans(folded, query, start, end + longest) if span[0] < end]
    spans = _merged(spans, origin)
    start, end = (
        origin[start] if start < len(origin) else len(text),
        (origin[end - 1] + 1 if end > 0 else 0),
    )
    end = max([end, *(span_end for _, span_end in spans)])
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    start, end = _whole_formulas(text, start, end)
    html = _highlighted(text, start, end, spans, formulas or [])
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(f"{prefix}{html}{suffix}")
