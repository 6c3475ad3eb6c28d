"""PostgreSQL: GIN-indexed tsvectors of the pre-tokenised document, ``simple`` configuration.

``notes_searchdocument`` has two generated columns (migration 0005): ``vector`` (title, meta,
summary and body, weighted A–D) and ``head_vector`` (title, meta and summary only). The models
only ever write the token strings.

Relevance in two steps, as on SQLite: notes matching in the title, tags or summary are ranked
with ts_rank over the small head vector (ranking over the whole vector re-reads every match's
large body); the notes that match only in the body follow, newest first.
"""

from __future__ import annotations

from django.db import connections, transaction
from django.db.models import Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from notes.search.backends import DOCUMENT_TABLE, SearchPage
from notes.search.query import Query, Term

# ts_rank weights for D (unused), C (summary), B (meta), A (title).
WEIGHTS = "{0.01, 0.1, 0.4, 1.0}"
_MATCHES = f"SELECT note_id FROM {DOCUMENT_TABLE} WHERE {{column}} @@ to_tsquery('simple', %s)"
_RANK = (
    f"SELECT ts_rank('{WEIGHTS}', d.head_vector, to_tsquery('simple', %s)) "
    f"FROM {DOCUMENT_TABLE} d WHERE d.note_id = notes_note.id"
)


def _term(term: Term) -> str:
    tokens = [f"'{token}'" for token in term.tokens]
    if term.prefix:
        tokens[-1] += ":*"
    return tokens[0] if len(tokens) == 1 else "(" + " <-> ".join(tokens) + ")"


def tsquery(query: Query, *, include_only: bool = False) -> str:
    expression = " & ".join(_term(term) for term in query.include)
    if not include_only:
        for term in query.exclude:
            expression += f" & !{_term(term)}"
    return expression


def search(query: Query, candidates: QuerySet, *, order: str, offset: int, limit: int):
    # The planner cannot see that a sequential or plain index scan unpacks every note's large
    # body vector (TOAST) to test it, and picks one for common words: 10-20 times slower than
    # a bitmap scan of the GIN index, which answers a plain word without reading the vectors.
    # For these queries only (SET LOCAL: this transaction), bitmap scans are the way in.
    with transaction.atomic(using=candidates.db), connections[candidates.db].cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        return _search(query, candidates, order=order, offset=offset, limit=limit)


def _search(query: Query, candidates: QuerySet, *, order: str, offset: int, limit: int):
    full, head = tsquery(query), tsquery(query, include_only=True)
    matching = candidates.order_by().filter(
        pk__in=RawSQL(_MATCHES.format(column="vector"), (full,))
    )
    in_head = Q(pk__in=RawSQL(_MATCHES.format(column="head_vector"), (head,)))
    counts = matching.aggregate(total=Count("pk"), head=Count("pk", filter=in_head))
    head_total = counts["head"] if order != "newest" else 0
    ids: list[int] = []
    if order != "newest":
        ranked = (
            matching.filter(in_head)
            .annotate(rank=RawSQL(_RANK, (head,)))
            .order_by("-rank", "-published_at", "-id")
        )
        ids = list(ranked.values_list("pk", flat=True)[offset : offset + limit])
    rest = matching.exclude(in_head) if order != "newest" else matching
    start = max(0, offset - head_total)
    ids += rest.order_by("-published_at", "-id").values_list("pk", flat=True)[
        start : start + limit - len(ids)
    ]
    return SearchPage(ids, counts["total"])
