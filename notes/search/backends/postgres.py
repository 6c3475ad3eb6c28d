"""PostgreSQL: GIN-indexed tsvectors of the pre-tokenised document, ``simple`` configuration.

``notes_searchdocument`` has two generated columns (migration 0005): ``vector`` (title, meta,
summary and body, weighted A–D) and ``head_vector`` (title, meta and summary only: small, kept
in the row). A tier below the body is a weight restriction on the head vector (``'lora':AB``),
so only a body match reads the large body vector (TOAST).
"""

from __future__ import annotations

from collections.abc import Sequence

import psycopg
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL

from notes.search.backends import DOCUMENT_TABLE, Plan, Tier
from notes.search.query import Query, Term

MATERIALIZED = "MATERIALIZED"
# A subquery with an OFFSET is planned on its own, for all its rows: never a walk by date.
READ_ALL = " OFFSET 0"
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


def tier(query: Query, note_id: str) -> tuple[str, list[str]]:
    """From the head vector alone (kept in the row): a note that matches nowhere above the
    body is a body match."""
    above = (Tier.TITLE, Tier.META, Tier.SUMMARY)
    cases = " ".join(f"WHEN head_vector @@ to_tsquery('simple', %s) THEN {int(t)}" for t in above)
    sql = f"SELECT CASE {cases} ELSE {int(Tier.BODY)} END FROM {DOCUMENT_TABLE} d"
    params = [tsquery(query, t, exclude=False) for t in above]
    return f"({sql} WHERE d.note_id = {note_id})", params


# The planner cannot tell these apart by itself: its estimates ignore weights (a tag match is
# costed like a body match) and multiply a phrase's tokens into "one row", and it does not see
# that testing a note against its body vector unpacks ~12 kB of TOAST. Each search is already
# told by a bounded count which way is cheaper, and says so. A page that does both (few title
# matches, then a walk of the body's) leaves the choice to the planner, on estimates of the
# head vector only: both its ways then test the small vector kept in the row.
_SETTINGS = {
    "few": ("enable_seqscan = off", "enable_indexscan = off", "enable_bitmapscan = on"),
    "many": ("enable_seqscan = off", "enable_indexscan = on", "enable_bitmapscan = off"),
    "mixed": ("enable_seqscan = off",),
}


def rows(connection: BaseDatabaseWrapper, plan: Plan, sql: str, params: Sequence) -> list:
    """``SET LOCAL …; SELECT …`` as one simple query: its statements are one transaction (in
    autocommit, its own), so the settings end with it, and it is one round trip. Inside a
    transaction they last to its end, as SET LOCAL does (harmless: they only choose plans)."""
    settings = "; ".join(f"SET LOCAL {setting}" for setting in _SETTINGS[plan])
    with connection.cursor() as cursor:  # checked, opened and logged as Django does
        if not isinstance(cursor.cursor, psycopg.ClientCursor):
            # Parameters bound on the server (settings: DJANGO_DB_PREPARED_STATEMENTS) allow
            # one statement per round trip: this one binds them on the client, as by default.
            cursor = type(cursor)(psycopg.ClientCursor(connection.connection), connection)
        with cursor:
            cursor.execute(f"{settings}; {sql}", params)
            # psycopg stands on the first statement's result: move on to the query's.
            while cursor.description is None and cursor.nextset():
                pass
            return cursor.fetchall()
