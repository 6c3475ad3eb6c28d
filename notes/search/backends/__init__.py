"""The search algorithm, the same on every database; one module per engine says how to match.

Which notes match, in what order, and how many: a note ranks by the best field *tier* in which
the whole query matches (title, then tags and papers, then summary, then body), newest first
within a tier — the order readers expect of a research site, and the same on every database.
Candidates come as a QuerySet (``Note.objects.published()``, perhaps filtered by category or
tag), so visibility is decided where it always is and never stored in the index.

Every step reads a bounded number of rows whatever the number of notes: each tier is read
newest first up to the page, and matches are counted up to RESULT_WINDOW (beyond it the page
says "more than 1,000", as Elasticsearch's ``track_total_hits`` does). An exact count of a
common word at 100,000 notes would read every matching note.

Adding an engine (OpenSearch, say) means one more module here with ``matches`` and
``session``.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal, Protocol

from django.db import connections
from django.db.models import Q, QuerySet

from notes.search.query import Query

Order = Literal["relevance", "newest"]
# The index table the models keep (notes.models.SearchDocument), one row per note.
DOCUMENT_TABLE = "notes_searchdocument"
# Matches are counted, and can be paged through, up to this many.
RESULT_WINDOW = 1000
NEWEST = ("-published_at", "-id")


class Tier(IntEnum):
    """Where the whole query matches; each tier includes the fields of those before it."""

    TITLE = 1
    META = 2  # tags and their aliases, category, papers (titles, authors, venue, ids)
    SUMMARY = 3
    BODY = 4  # the body's text and LaTeX: anywhere at all


class Plan(Protocol):
    """How the next queries read the index: ``few`` matches are read from the full-text index
    and sorted; ``many`` are found walking the notes newest first, testing each, and stopping
    as soon as the page is full. Which is cheaper is known from a bounded count, not guessed."""

    def few(self) -> None: ...

    def many(self) -> None: ...


class Backend(Protocol):
    def matches(self, query: Query, tier: Tier, *, only: bool = False, walk: bool = False) -> Q:
        """Notes matching the query within the tier's fields (``only``: and not in a lower
        tier's), as a filter on notes; ``walk``: tested note by note (Plan.many)."""

    def session(self, using: str) -> AbstractContextManager[Plan]:
        """Wraps the queries of one search (a transaction for planner settings)."""


@dataclass(frozen=True)
class SearchPage:
    ids: list[int]
    # How many notes match, counted up to RESULT_WINDOW; ``more`` when there are more.
    total: int
    more: bool = False


def backend_for(candidates: QuerySet) -> Backend:
    vendor = connections[candidates.db].vendor
    if vendor == "postgresql":
        from notes.search.backends import postgres as backend
    elif vendor == "sqlite":
        from notes.search.backends import sqlite as backend
    else:  # pragma: no cover - the project runs on these two
        raise NotImplementedError(f"No search backend for {vendor}.")
    return backend


def search(
    query: Query, candidates: QuerySet, *, order: Order, offset: int, limit: int
) -> SearchPage:
    """The ids of one page of matching candidates, best (or newest) first, and the count."""
    if not query:
        return SearchPage([], 0)
    search = _Search(backend_for(candidates), query, candidates.order_by())
    with search.backend.session(search.candidates.db) as search.plan:
        found = search.count(Tier.BODY, only=False)
        total = min(found, RESULT_WINDOW)
        end = min(offset + limit, total)
        if offset >= end:
            ids = []
        elif order == "newest":
            ids = search.newest(Tier.BODY, False, found, offset, end)
        else:
            ids = search.by_tier(found, offset, end)
    return SearchPage(ids, total, found > total)


@dataclass
class _Search:
    backend: Backend
    query: Query
    candidates: QuerySet
    plan: Plan | None = None

    def _matching(self, tier: Tier, only: bool, *, walk: bool = False) -> QuerySet:
        condition = self.backend.matches(self.query, tier, only=only, walk=walk)
        return self.candidates.filter(condition)

    def count(self, tier: Tier, only: bool) -> int:
        """How many match, up to one past the window: a bounded read of the full-text index."""
        self.plan.few()
        return self._matching(tier, only)[: RESULT_WINDOW + 1].count()

    def newest(self, tier: Tier, only: bool, found: int, start: int, end: int) -> list[int]:
        """One tier's matches newest first, ``[start:end]``; ``found`` says how many there are
        (up to one past the window), and so whether to read them all or walk the dates."""
        many = found > RESULT_WINDOW
        self.plan.many() if many else self.plan.few()
        matching = self._matching(tier, only, walk=many).order_by(*NEWEST)
        return list(matching.values_list("pk", flat=True)[start:end])

    def by_tier(self, found: int, offset: int, end: int) -> list[int]:
        ids: list[int] = []
        skip = offset  # results still to pass over before the page begins
        before = 0  # matches in the tiers above this one (each counted up to the window)
        for tier in Tier:
            if len(ids) >= end - offset:
                break
            only = tier != Tier.TITLE
            if found <= RESULT_WINDOW and not skip:
                count = found  # few matches in all: every tier has few
            elif tier == Tier.BODY and found <= RESULT_WINDOW:
                # The tiers share out the matches, so the body's are what the others left:
                # the costliest count, unpacking body vectors, is not needed.
                count = found - before
            elif tier == Tier.BODY and before < found // 2:
                # More than the window in all and most of them in the body: more than the
                # count can say (it stopped at the window), so walk the dates.
                count = RESULT_WINDOW + 1
            else:
                count = self.count(tier, only)
            before += count
            if count == 0 or (skip and count <= skip):
                skip -= min(count, skip)
                continue
            ids += self.newest(tier, only, count, skip, skip + end - offset - len(ids))
            skip = 0
        return ids
