"""The passage shown under a search result, every matched term in ``<mark>``, all escaped.

Built from the stored plain text of the page's results only (PostgreSQL's ts_headline cannot
highlight pre-tokenised Chinese, and SQLite has nothing like it for external content).
"""

from __future__ import annotations

import re
import unicodedata
from html import escape

from django.utils.safestring import SafeString, mark_safe

from notes.search.query import Query
from notes.search.tokenizer import LATIN_WORD, stem

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


def match_spans(text: str, query: Query) -> list[tuple[int, int]]:
    """Where the query's terms occur in ``text``, as merged (start, end) character ranges."""
    folded, origin = _normalized(text)
    spans: list[tuple[int, int]] = []
    for term in query.cjk:
        for found in re.finditer(re.escape(term), folded):
            spans.append((found.start(), found.end()))
    words, prefixes = set(query.words), query.prefixes
    for found in LATIN_WORD.finditer(folded) if words or prefixes else ():
        word = found.group(0)
        stemmed = stem(word)
        if stemmed in words or any(stemmed.startswith(p) or word.startswith(p) for p in prefixes):
            spans.append(found.span())
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    # Back to positions in the original text.
    return [(origin[start], origin[end - 1] + 1) for start, end in merged if end > start]


def highlight(text: str, spans: list[tuple[int, int]]) -> str:
    out: list[str] = []
    position = 0
    for start, end in spans:
        out.append(escape(text[position:start]))
        out.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    out.append(escape(text[position:]))
    return "".join(out)


def snippet(text: str, query: Query, *, fallback: str = "") -> SafeString:
    """About SNIPPET_LENGTH characters around the first match, with the matches marked; the
    fallback (the note's excerpt) when the text itself has none (a title or tag match)."""
    spans = match_spans(text, query)
    if not spans:
        return mark_safe(highlight(fallback, match_spans(fallback, query)))
    start = max(0, spans[0][0] - LEAD)
    end = min(len(text), start + SNIPPET_LENGTH)
    # Never cut inside a highlighted term.
    for span_start, span_end in spans:
        if span_start < end < span_end:
            end = span_end
    window = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    html = highlight(text[start:end], window)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(f"{prefix}{html}{suffix}")
