"""A note's searchable fields as token strings, grouped by how much a match there counts."""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import unescape

from notes.search.tokenizer import TOKENIZER_VERSION, document_tokens

_ANNOTATION = re.compile(r'<annotation encoding="application/x-tex">(.*?)</annotation>', re.DOTALL)


def latex_sources(rendered_html: str) -> list[str]:
    """The LaTeX of every formula (kept in MathML's annotation), searchable as text."""
    return [unescape(source) for source in _ANNOTATION.findall(rendered_html)]


def document_fields(
    *,
    title: str,
    meta: Iterable[str],
    summary: str,
    body_text: str,
    latex: Iterable[str] = (),
) -> dict[str, str | int]:
    """The columns of a search document: title (weighs most), then tags, aliases, category
    and papers, then the summary, then the body's text and the formulas' LaTeX."""
    body = document_tokens(" ".join([body_text, *latex]))
    return {
        "title": document_tokens(title),
        "meta": document_tokens(" ".join(meta)),
        "summary": document_tokens(summary),
        "body": body,
        "version": TOKENIZER_VERSION,
    }
