"""Text to search tokens, the same for documents and queries on every database.

NFKC and lower case first, so full-width "ＬｏＲＡ" is "lora". A run of CJK characters becomes its
overlapping pairs (the document's running text, where phrases are matched) and each of its
characters (kept apart, so a one-character query matches); this is Lucene's CJK bigram
analysis, with no dictionary that could cut a word differently from the reader. Any other word
is stemmed with Snowball's English stemmer, as PostgreSQL's ``english`` configuration does.

The token strings are handed to the database's own full-text engine (FTS5, tsvector), whose
simple tokenizers split them on spaces only: every token is letters and digits.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

# Bump when the tokens a text produces change: `manage.py check` then asks for a rebuild.
TOKENIZER_VERSION = 1

_CJK = (
    "\u3040-\u30ff"  # kana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs and compatibility ideographs
    "\uac00-\ud7af"  # Hangul syllables
    "\U00020000-\U0003134f"  # CJK extensions B–H
)
CJK_RUN = re.compile(f"[{_CJK}]+")
WORD_CHARACTER = f"[^\\W_{_CJK}]"  # a letter or digit outside CJK runs
LATIN_WORD = re.compile(f"{WORD_CHARACTER}+")
# A CJK run, or a word of other letters and digits ("lora", "2106", "gpt4").
_PIECE = re.compile(f"([{_CJK}]+)|([^\\W_{_CJK}]+)")
_STEMMER = snowballstemmer.stemmer("english")


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower()


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """A word's stem; digits and words with digits stay as written."""
    if not word.isalpha() or not word.isascii():
        return word
    return _STEMMER.stemWord(word)


def bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


@dataclass(frozen=True)
class Piece:
    """One run of a text: a CJK run or a word, with the text it came from."""

    text: str
    cjk: bool


def pieces(text: str) -> list[Piece]:
    return [
        Piece(match.group(0), cjk=match.group(1) is not None)
        for match in _PIECE.finditer(normalize(text))
    ]


# PostgreSQL numbers tsvector positions up to 16,383: past that, consecutive tokens could not
# be told apart, so a phrase could be missed. Beyond this many running tokens, the rest of a
# long text is indexed as distinct tokens: still found by every word, not by phrases.
MAX_RUNNING_TOKENS = 16_000


def document_tokens(text: str) -> str:
    """The token string of a document field: running tokens, then each CJK character once.

    Running tokens keep their order (pairs for CJK, stems for words), so a phrase matches
    consecutive tokens; single characters come after them, each once, for one-character queries.
    """
    running: list[str] = []
    characters: dict[str, None] = {}
    for piece in pieces(text):
        if piece.cjk:
            running.extend(bigrams(piece.text))
            characters.update(dict.fromkeys(piece.text))
        else:
            running.append(stem(piece.text))
    rest = dict.fromkeys(running[MAX_RUNNING_TOKENS:])
    return " ".join([*running[:MAX_RUNNING_TOKENS], *rest, *characters])
