"""PostgreSQL: a GIN-indexed tsvector of the pre-tokenised document, ``simple`` configuration.

``notes_searchdocument.vector`` is a generated column (migration 0005): title, meta, summary
and body weighted A–D, so the models only ever write the token strings.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import QuerySet

from notes.search.backends import DOCUMENT_TABLE, SearchPage, candidate_sql
from notes.search.query import Query, Term

# ts_rank weights for D (body), C (summary), B (meta), A (title): far apart, so a title match
# ranks above any number of body matches.
WEIGHTS = "{0.001, 0.01, 0.1, 1.0}"


def _term(term: Term) -> str:
    tokens = [f"'{token}'" for token in term.tokens]
    if term.prefix:
        tokens[-1] += ":*"
    return tokens[0] if len(tokens) == 1 else "(" + " <-> ".join(tokens) + ")"


def tsquery(query: Query) -> str:
    expression = " & ".join(_term(term) for term in query.include)
    for term in query.exclude:
        expression += f" & !{_term(term)}"
    return expression


def search(query: Query, candidates: QuerySet, *, order: str, offset: int, limit: int):
    subquery, params = candidate_sql(candidates)
    order_by = (
        "n.published_at DESC, n.id DESC"
        if order == "newest"
        else f"ts_rank('{WEIGHTS}', d.vector, q) DESC, n.published_at DESC, n.id DESC"
    )
    with connections[candidates.db].cursor() as cursor:
        cursor.execute(
            f"SELECT d.note_id, count(*) OVER () FROM {DOCUMENT_TABLE} d "
            "JOIN notes_note n ON n.id = d.note_id, to_tsquery('simple', %s) q "
            f"WHERE d.vector @@ q AND d.note_id IN ({subquery}) "
            f"ORDER BY {order_by} LIMIT %s OFFSET %s",
            (tsquery(query), *params, limit, offset),
        )
        rows = cursor.fetchall()
        if rows or offset == 0:
            return SearchPage([row[0] for row in rows], rows[0][1] if rows else 0)
        cursor.execute(
            f"SELECT count(*) FROM {DOCUMENT_TABLE} d, to_tsquery('simple', %s) q "
            f"WHERE d.vector @@ q AND d.note_id IN ({subquery})",
            (tsquery(query), *params),
        )
        return SearchPage([], cursor.fetchone()[0])
