"""What a reader types, as terms every backend can match.

Words are ANDed, ``"a phrase"`` matches consecutive tokens, ``-word`` excludes, and the last
word of the query also matches as a prefix (``transf`` finds Transformer) unless the reader
ended with a space. Everything else a search engine might read as an operator (``* : & | ! ( )
NEAR AND OR``) is text: tokens hold only letters, digits and CJK characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from notes.search.tokenizer import bigrams, pieces, stem

MAX_QUERY_LENGTH = 200
# Prefixes shorter than this would match most of the index.
MIN_PREFIX_LENGTH = 3
_CHUNK = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")


@dataclass(frozen=True)
class Term:
    """Tokens that must appear in this order (one token for a word), or a token prefix."""

    tokens: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    text: str
    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()
    # What to highlight in snippets: CJK strings and word stems or prefixes.
    cjk: tuple[str, ...] = ()
    words: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    truncated: bool = False

    def __bool__(self) -> bool:
        return bool(self.include)


def clean(raw: str) -> tuple[str, bool]:
    """The query as searched: control characters gone, spaces collapsed, at most
    MAX_QUERY_LENGTH characters (and whether it had to be cut)."""
    text = " ".join(_CONTROL.sub(" ", raw).split())
    if len(text) > MAX_QUERY_LENGTH:
        return text[:MAX_QUERY_LENGTH].rstrip(), True
    return text, False


def _terms_of(text: str, *, phrase: bool) -> list[Term]:
    if phrase:
        tokens: list[str] = []
        for piece in pieces(text):
            tokens.extend(_piece_tokens(piece.text) if piece.cjk else [stem(piece.text)])
        return [Term(tuple(tokens))] if tokens else []
    # Words joined by punctuation are one phrase: "2106.09685", "Low-Rank", "10.1038/x".
    terms: list[Term] = []
    joined: list[str] = []
    for piece in pieces(text):
        if piece.cjk:
            if joined:
                terms.append(Term(tuple(joined)))
                joined = []
            terms.append(Term(tuple(_piece_tokens(piece.text))))
        else:
            joined.append(stem(piece.text))
    if joined:
        terms.append(Term(tuple(joined)))
    return terms


def _piece_tokens(run: str) -> list[str]:
    """A CJK run: one character is its own token; longer runs are their overlapping pairs."""
    return [run] if len(run) == 1 else bigrams(run)


def parse(raw: str) -> Query:
    text, truncated = clean(raw)
    include: list[Term] = []
    exclude: list[Term] = []
    cjk: list[str] = []
    words: list[str] = []
    prefixes: list[str] = []
    chunks = list(_CHUNK.finditer(text))
    for index, chunk in enumerate(chunks):
        quoted = chunk.group(2) is not None
        negated = bool(chunk.group(1) or chunk.group(3))
        body = chunk.group(2) if quoted else chunk.group(4)
        terms = _terms_of(body, phrase=quoted)
        (exclude if negated else include).extend(terms)
        if negated:
            continue
        for piece in pieces(body):
            (cjk if piece.cjk else words).append(piece.text if piece.cjk else stem(piece.text))
        last_piece = pieces(body)[-1] if pieces(body) else None
        if (
            index == len(chunks) - 1
            and not quoted
            and not raw.endswith((" ", "\u3000"))
            and last_piece is not None
            and not last_piece.cjk
            and include[-1].tokens == (stem(last_piece.text),)
            and last_piece.text.isalpha()
            and len(last_piece.text) >= MIN_PREFIX_LENGTH
        ):
            # The reader may still be typing the word: "transf" finds "Transformer". The stem
            # of what was typed is the prefix, so a whole word still matches its other forms.
            include[-1] = Term((stem(last_piece.text),), prefix=True)
            prefixes.append(stem(last_piece.text))
    return Query(
        text=text,
        include=tuple(include),
        exclude=tuple(exclude),
        cjk=tuple(dict.fromkeys(cjk)),
        words=tuple(dict.fromkeys(words)),
        prefixes=tuple(prefixes),
        truncated=truncated,
    )
