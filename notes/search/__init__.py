"""Full-text search over notes, the same matching on SQLite and PostgreSQL.

- ``tokenizer``: text to tokens (CJK pairs and characters, stemmed English), for both sides.
- ``query``: what a reader types, parsed into terms (AND, phrases, exclusions, a prefix).
- ``index``: a note's fields as the token strings stored in its search document.
- ``snippets``: the highlighted passage shown under a result.
- ``backends``: one module per database engine, behind ``search()``.
"""

from notes.search.backends import SearchPage, search
from notes.search.query import MAX_QUERY_LENGTH, Query, parse
from notes.search.tokenizer import TOKENIZER_VERSION

__all__ = ["MAX_QUERY_LENGTH", "TOKENIZER_VERSION", "Query", "SearchPage", "parse", "search"]
