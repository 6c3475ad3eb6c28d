"""SQLite: an FTS5 table over the search documents, ranked with weighted bm25.

The FTS5 table (``notes_search_fts``) takes its text from ``notes_searchdocument`` through
triggers (created by migration 0005), so the models only ever write the document row.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import QuerySet

from notes.search.backends import SearchPage, candidate_sql
from notes.search.query import Query, Term

FTS_TABLE = "notes_search_fts"
# bm25 weights of title, meta (tags, aliases, category, papers), summary, body: far enough
# apart that a title match ranks above any number of body matches.
WEIGHTS = (1000.0, 100.0, 10.0, 1.0)


def _term(term: Term) -> str:
    phrase = '"' + " ".join(term.tokens) + '"'
    return f"{phrase} *" if term.prefix else phrase


def match_expression(query: Query) -> str:
    expression = " AND ".join(_term(term) for term in query.include)
    for term in query.exclude:
        expression += f" NOT {_term(term)}"
    return expression


def search(query: Query, candidates: QuerySet, *, order: str, offset: int, limit: int):
    subquery, params = candidate_sql(candidates)
    # bm25() only works in the query that runs MATCH: score there, filter and sort outside.
    matches = (
        f"SELECT rowid AS id, bm25({FTS_TABLE}, {', '.join(map(str, WEIGHTS))}) AS score "
        f"FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"
    )
    order_by = "n.published_at DESC, n.id DESC"
    if order != "newest":
        order_by = "m.score, " + order_by
    with connections[candidates.db].cursor() as cursor:
        cursor.execute(
            f"SELECT m.id, count(*) OVER () FROM ({matches}) m "
            f"JOIN notes_note n ON n.id = m.id WHERE m.id IN ({subquery}) "
            f"ORDER BY {order_by} LIMIT %s OFFSET %s",
            (match_expression(query), *params, limit, offset),
        )
        rows = cursor.fetchall()
        if rows or offset == 0:
            return SearchPage([row[0] for row in rows], rows[0][1] if rows else 0)
        # Past the last page: the count still tells the view how many pages there are.
        cursor.execute(
            f"SELECT count(*) FROM ({matches}) m WHERE m.id IN ({subquery})",
            (match_expression(query), *params),
        )
        return SearchPage([], cursor.fetchone()[0])
