"""The search algorithm, the same on every database; one module per engine says how to match.

Which notes match, in what order, and how many: a note ranks by the best field *tier* in which
the whole query matches (title, then tags and papers, then summary, then body), newest first
within a tier — the order readers expect of a research site, and the same on every database.
Candidates come as a QuerySet (``Note.objects.published()``, perhaps filtered by category or
tag), so visibility is decided where it always is and never stored in the index.

Every step reads a bounded number of rows whatever the number of notes: matches are counted
up to RESULT_WINDOW (beyond it the page says "more than 1,000", as Elasticsearch's
``track_total_hits`` does), and when there are more, each tier is counted and read newest
first only as far as the page reaches. An exact count of a common word at 100,000 notes would
read every matching note. A search is one statement when the matches are within the window
(counted, kept, and the page sorted from them) and two when there are more (the counts, then
the page's tiers), whatever the number of notes: no transaction, no statement of settings.

Adding an engine (OpenSearch, say) means one more module here with ``matches``, ``tier``,
``execute`` and ``MATERIALIZED``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import Literal, Protocol

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q, QuerySet, Value

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


# How a statement reads the index: ``few`` matches are read from the full-text index and
# sorted; ``many`` are found walking the notes newest first, testing each, and stopping as soon
# as the page is full; ``mixed``, a page that does both (few title matches, then a walk of the
# body's). Which is cheaper is known from a bounded count, not guessed.
Plan = Literal["few", "many", "mixed"]


class Backend(Protocol):
    # The keyword that makes a common table expression run once ("" where the engine lacks it).
    MATERIALIZED: str
    # Appended to a subquery so that all its rows are read before the query around it sorts
    # them, where a planner could instead walk the notes by date and stop early.
    READ_ALL: str

    def matches(self, query: Query, tier: Tier, *, only: bool = False, walk: bool = False) -> Q:
        """Notes matching the query within the tier's fields (``only``: and not in a lower
        tier's), as a filter on notes; ``walk``: tested note by note (Plan ``many``)."""

    def tier(self, query: Query, note_id: str) -> tuple[str, list[str]]:
        """SQL for the best tier (1 to 4) of the matching note whose id is ``note_id``."""

    def rows(self, connection: BaseDatabaseWrapper, plan: Plan, sql: str, params: Sequence) -> list:
        """The rows of one statement of a search, telling the planner how to read the index
        if it must be told, without a statement, a round trip or a transaction more."""


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
    """The ids of one page of matching candidates, best (or newest) first, and the count.

    One query when there are no more matches than the window, two when there are more."""
    if not query or candidates.query.is_empty():
        return SearchPage([], 0)
    search = _Search(backend_for(candidates), query, candidates.order_by())
    found, tiers, ids = search.first(order, offset, limit)
    total = min(found, RESULT_WINDOW)
    end = min(offset + limit, total)
    if offset >= end:
        ids = []
    elif found > RESULT_WINDOW:
        ids = search.page(search.pieces(order, tiers, offset, end))
    return SearchPage(ids, total, found > total)


@dataclass(frozen=True)
class _Piece:
    """``[start:stop]`` of one tier's matches, newest first (``tier`` BODY, not ``only``: all
    the matches)."""

    tier: Tier
    only: bool
    start: int
    stop: int
    walk: bool  # more than the window: walk the dates rather than read and sort them all


@dataclass
class _Search:
    backend: Backend
    query: Query
    candidates: QuerySet

    def _matching(self, tier: Tier, only: bool, *, walk: bool = False) -> QuerySet:
        condition = self.backend.matches(self.query, tier, only=only, walk=walk)
        return self.candidates.filter(condition)

    def _sql(self, queryset: QuerySet) -> tuple[str, tuple]:
        return queryset.query.get_compiler(using=queryset.db).as_sql()

    def _rows(self, plan: Plan, sql: str, params: Sequence) -> list[tuple]:
        return self.backend.rows(connections[self.candidates.db], plan, sql, params)

    def first(self, order: Order, offset: int, limit: int) -> tuple[int, list[int], list[int]]:
        """One statement: the matches, up to one past the window, are read from the full-text
        index and kept (``m``); their count; if that is within the window, the page, sorted
        from what was kept; if more, for relevance, how many match in the title, meta and
        summary tiers alone, each only if the page goes past the tiers above it, and the
        body's only if it is reached and the tiers above hold half the window or more (else
        its matches are walked by date, uncounted) — what ``pieces`` needs.

        Each count is a subquery in a CASE of a chain of run-once table expressions: an
        engine runs it only when its branch is taken, that is when the counts before it say
        it is needed, as the tier-by-tier queries this replaces did."""
        window = RESULT_WINDOW
        materialized = self.backend.MATERIALIZED
        reach = min(offset + limit, window) if order == "relevance" else 0
        if offset >= reach:
            reach = 0
        sql, params = self._sql(
            self._matching(Tier.BODY, False).values_list("pk", "published_at")[: window + 1]
        )
        steps = [
            f"m (id, published_at) AS {materialized} ({sql})",
            f"c0 (n) AS {materialized} (SELECT COUNT(*) FROM m)",
        ]
        params = list(params)
        columns = ["n"]
        for tier in Tier:
            count = "0"  # newest first, or past the window: never needed
            if reach:
                sql, tier_params = self._sql(
                    self._matching(tier, tier != Tier.TITLE).values("pk")[: window + 1]
                )
                before = " + ".join(columns[1:]) or "0"
                needed = f"n > {window} AND {before} < %s"
                params.append(reach)
                if tier == Tier.BODY:
                    needed += f" AND {before} >= %s"
                    params.append((window + 1) // 2)
                params += tier_params
                count = f"CASE WHEN {needed} THEN (SELECT COUNT(*) FROM ({sql}) matches) ELSE 0 END"
            steps.append(
                f"c{tier} ({', '.join(columns)}, t{tier}) AS {materialized} "
                f"(SELECT {', '.join(columns)}, {count} FROM c{tier - 1})"
            )
            columns.append(f"t{tier}")
        ranking = "0"  # newest first: one tier
        if order == "relevance":
            ranking, tier_params = self.backend.tier(self.query, "m.id")
            params += tier_params
        page = (
            f"SELECT id, published_at, {ranking} AS tier FROM m "
            f"WHERE (SELECT n FROM c0) <= {window} "
            "ORDER BY 3, 2 DESC, 1 DESC LIMIT %s OFFSET %s"
        )
        # Past the window there is no page (and a reader's page number can be any size).
        params += [min(limit, window), min(offset, window)]
        # The counts, with each of the page's ids (or none: one row).
        statement = (
            f"WITH {', '.join(steps)} SELECT c{Tier.BODY}.*, page.id FROM c{Tier.BODY} "
            f"LEFT JOIN ({page}) page ON 1 = 1 "
            "ORDER BY page.tier, page.published_at DESC, page.id DESC"
        )
        rows = self._rows("few", statement, params)
        found, *tiers = rows[0][:-1]
        return found, tiers, [row[-1] for row in rows if row[-1] is not None]

    def pieces(self, order: Order, counts: list[int], offset: int, end: int) -> list[_Piece]:
        """More matches than the window: newest first, walk the dates; by relevance, each
        tier the page reaches, ``[start:stop]`` of it, read from the full-text index if it
        has few matches (its count says), walking the dates if many."""
        window = RESULT_WINDOW
        if order == "newest":
            return [_Piece(Tier.BODY, False, offset, end, walk=True)]
        pieces = []
        position = 0  # where the tier begins in the ranking
        for tier, count in zip(Tier, counts, strict=True):
            if position >= end:
                break
            if tier == Tier.BODY and position < (window + 1) // 2:
                # Most of the matches are in the body, more than the count could say (it
                # stopped at the window): walk the dates.
                count = window + 1
            start, stop = max(offset - position, 0), min(end - position, count)
            position += count
            if start < stop:
                pieces.append(_Piece(tier, tier != Tier.TITLE, start, stop, count > window))
        return pieces

    def page(self, pieces: list[_Piece]) -> list[int]:
        """The pieces' ids in one statement, tier by tier, newest first within each."""
        if not pieces:
            return []
        parts, params = [], []
        for index, piece in enumerate(pieces):
            matching = self._matching(piece.tier, piece.only, walk=piece.walk)
            matching = matching.annotate(search_tier=Value(int(piece.tier))).values_list(
                "pk", "published_at", "search_tier"
            )
            if piece.walk:
                matching = matching.order_by(*NEWEST)[piece.start : piece.stop]
                sql, piece_params = self._sql(matching)
            else:
                # Read all the tier's few matches, then sort: (pk, published_at, tier).
                sql, piece_params = self._sql(matching)
                size = piece.stop - piece.start
                sql = (
                    f"SELECT * FROM ({sql}{self.backend.READ_ALL}) matches "
                    f"ORDER BY 2 DESC, 1 DESC LIMIT {size} OFFSET {piece.start}"
                )
            parts.append(f"SELECT * FROM ({sql}) tier{index}")
            params += piece_params
        walks = {piece.walk for piece in pieces}
        plan: Plan = "mixed" if len(walks) > 1 else "many" if True in walks else "few"
        # Tier, then newest first: (pk, published_at, tier) columns.
        union = " UNION ALL ".join(parts) + " ORDER BY 3, 2 DESC, 1 DESC"
        return [pk for pk, _, _ in self._rows(plan, union, params)]
