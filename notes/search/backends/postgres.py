"""PostgreSQL: GIN-indexed tsvectors of the pre-tokenised document, ``simple`` configuration.

``notes_searchdocument`` has two generated columns (migration 0005): ``vector`` (title, meta,
summary and body, weighted A–D) and ``head_vector`` (title, meta and summary only: small, kept
in the row). A tier below the body is a weight restriction on the head vector (``'lora':AB``),
so only a body match reads the large body vector (TOAST).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connections, transaction
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from notes.search.backends import DOCUMENT_TABLE, Tier
from notes.search.query import Query, Term

WEIGHTS = {Tier.TITLE: "A", Tier.META: "AB", Tier.SUMMARY: "ABC", Tier.BODY: ""}


def _term(term: Term, weights: str = "") -> str:
    labels = f":{weights}" if weights else ""
    tokens = [f"'{token}'{labels}" for token in term.tokens]
    if term.prefix:
        tokens[-1] = f"'{term.tokens[-1]}':*{weights}"
    return tokens[0] if len(tokens) == 1 else "(" + " <-> ".join(tokens) + ")"


def tsquery(query: Query, tier: Tier = Tier.BODY, *, exclude: bool = True) -> str:
    """Every included term within the tier's weights (and, with ``exclude``, no excluded
    term: only meaningful on the whole vector)."""
    expression = " & ".join(_term(term, WEIGHTS[tier]) for term in query.include)
    if exclude:
        for term in query.exclude:
            expression += f" & !{_term(term)}"
    return expression


def _condition(query: Query, tier: Tier) -> tuple[str, list[str]]:
    if tier == Tier.BODY:
        return "vector @@ to_tsquery('simple', %s)", [tsquery(query)]
    sql, params = "head_vector @@ to_tsquery('simple', %s)", [tsquery(query, tier, exclude=False)]
    if query.exclude:
        excluded = " | ".join(_term(term) for term in query.exclude)
        sql += " AND NOT vector @@ to_tsquery('simple', %s)"
        params.append(excluded)
    return sql, params


def matches(query: Query, tier: Tier, *, only: bool = False, walk: bool = False) -> Q:
    sql, params = _condition(query, tier)
    if only and tier > Tier.TITLE:
        sql += " AND NOT head_vector @@ to_tsquery('simple', %s)"
        params.append(tsquery(query, Tier(tier - 1), exclude=False))
    if walk:
        # A subquery per note that the planner cannot turn into a join: the walk is driven by
        # the notes' date index, whatever it estimates for the tsquery.
        test = f"(SELECT {sql} FROM {DOCUMENT_TABLE} d WHERE d.note_id = notes_note.id)"
        return Q(RawSQL(test, params, output_field=BooleanField()))
    return Q(pk__in=RawSQL(f"SELECT note_id FROM {DOCUMENT_TABLE} WHERE {sql}", params))


# The planner cannot tell these apart by itself: its estimates ignore weights (a tag match is
# costed like a body match) and multiply a phrase's tokens into "one row", and it does not see
# that testing a note against its body vector unpacks ~12 kB of TOAST. Each search is already
# told by a bounded count which way is cheaper, and says so (SET LOCAL: this transaction only).
_SETTINGS = {
    "few": ("enable_seqscan = off", "enable_indexscan = off", "enable_bitmapscan = on"),
    "many": ("enable_seqscan = off", "enable_indexscan = on", "enable_bitmapscan = off"),
}


class _Plan:
    def __init__(self, cursor) -> None:
        self.cursor = cursor
        self.current = ""

    def _use(self, name: str) -> None:
        if name != self.current:
            self.cursor.execute("SET LOCAL " + "; SET LOCAL ".join(_SETTINGS[name]))
            self.current = name

    def few(self) -> None:
        """A bitmap scan of the GIN index: reads the matches only, then sorts them."""
        self._use("few")

    def many(self) -> None:
        """Walk the notes' (status, date) index newest first, testing each note's vector."""
        self._use("many")


@contextmanager
def session(using: str) -> Iterator[_Plan]:
    with transaction.atomic(using=using), connections[using].cursor() as cursor:
        yield _Plan(cursor)
