"""SQLite: an FTS5 table over the search documents.

The FTS5 table (``notes_search_fts``) takes its text from ``notes_searchdocument`` through
triggers (migration 0005), so the models only ever write the document row.

Relevance in two steps, so common words stay fast: notes matching in the title, tags or
summary are ranked with weighted bm25 (a small set); the notes that match only in the body come
after them, newest first, read from the date index until the page is full. Matches are
filtered as ``id IN (SELECT rowid … MATCH …)`` on the candidates' own query: SQLite builds that
list once, where a join would run the full-text query again for every row.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from notes.search.backends import SearchPage
from notes.search.query import Query, Term

FTS_TABLE = "notes_search_fts"
HEAD_COLUMNS = "{title meta summary}"
# bm25 weights of title, meta (tags, aliases, category, papers), summary, body.
WEIGHTS = "1000.0, 100.0, 10.0, 1.0"
_MATCHES = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"


def _term(term: Term) -> str:
    phrase = '"' + " ".join(term.tokens) + '"'
    return f"{phrase} *" if term.prefix else phrase


def match_expression(query: Query, *, head: bool = False) -> str:
    """FTS5 syntax; ``head`` asks every included term to match in the title, tags or summary."""
    column = f"{HEAD_COLUMNS} : " if head else ""
    expression = " AND ".join(f"{column}{_term(term)}" for term in query.include)
    for term in query.exclude:
        expression += f" NOT {_term(term)}"
    return expression


def search(query: Query, candidates: QuerySet, *, order: str, offset: int, limit: int):
    full, head = match_expression(query), match_expression(query, head=True)
    matching = candidates.order_by().filter(pk__in=RawSQL(_MATCHES, (full,)))
    in_head = Q(pk__in=RawSQL(_MATCHES, (head,)))
    counts = matching.aggregate(total=Count("pk"), head=Count("pk", filter=in_head))
    head_total = counts["head"] if order != "newest" else 0
    ids: list[int] = []
    if order != "newest":
        # bm25 of every head match at once (one pass over a small index), ordered here: a
        # per-row score would run the full-text query again for each note.
        with connections[candidates.db].cursor() as cursor:
            cursor.execute(
                f"SELECT rowid, bm25({FTS_TABLE}, {WEIGHTS}) FROM {FTS_TABLE} "
                f"WHERE {FTS_TABLE} MATCH %s",
                (head,),
            )
            scores = dict(cursor.fetchall())
        heads = matching.filter(in_head).values_list("pk", "published_at")
        ranked = sorted(heads, key=lambda row: (scores.get(row[0], 0.0), *_newest(row)))
        ids = [pk for pk, _ in ranked[offset : offset + limit]]
    rest = matching.exclude(in_head) if order != "newest" else matching
    start = max(0, offset - head_total)
    ids += rest.order_by("-published_at", "-id").values_list("pk", flat=True)[
        start : start + limit - len(ids)
    ]
    return SearchPage(ids, counts["total"])


def _newest(row: tuple[int, datetime]) -> tuple[float, int]:
    return (-row[1].timestamp(), -row[0])
