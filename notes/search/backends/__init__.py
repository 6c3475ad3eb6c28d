"""One search backend per database engine, chosen by the connection the notes live on.

A backend answers one question: which of these candidate notes match this query, in what
order, and how many are there. Candidates come as a QuerySet (``Note.objects.published()``,
perhaps filtered by category or tag), so visibility is decided where it always is and never
stored in the index. Adding an engine (OpenSearch, say) means one more module here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db import connections
from django.db.models import QuerySet

from notes.search.query import Query

Order = Literal["relevance", "newest"]
# The index table the models keep (notes.models.SearchDocument), one row per note.
DOCUMENT_TABLE = "notes_searchdocument"


@dataclass(frozen=True)
class SearchPage:
    ids: list[int]
    total: int


def search(query: Query, candidates: QuerySet, *, order: Order, offset: int, limit: int):
    """The ids of one page of matching candidates, best first, and how many match in all."""
    if not query:
        return SearchPage([], 0)
    vendor = connections[candidates.db].vendor
    if vendor == "postgresql":
        from notes.search.backends import postgres as backend
    elif vendor == "sqlite":
        from notes.search.backends import sqlite as backend
    else:  # pragma: no cover - the project runs on these two
        raise NotImplementedError(f"No search backend for {vendor}.")
    return backend.search(query, candidates, order=order, offset=offset, limit=limit)


def candidate_sql(candidates: QuerySet) -> tuple[str, tuple]:
    """The candidates as a subquery of note ids (and the note table's publish dates)."""
    sql, params = candidates.order_by().values("pk").query.sql_with_params()
    return sql, tuple(params)
