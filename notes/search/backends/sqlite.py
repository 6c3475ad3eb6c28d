"""SQLite: an FTS5 table over the search documents, one column per field.

The FTS5 table (``notes_search_fts``) takes its text from ``notes_searchdocument`` through
triggers (migration 0005), so the models only ever write the document row. A tier is a column
filter (``{title meta}: …``). Matches are filtered as ``id IN (SELECT rowid … MATCH …)`` on
the candidates' own query: SQLite builds that list once, where a join would run the full-text
query again for every row, then walks the notes newest first.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, Func, Q
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In

from notes.search.backends import Plan, Tier
from notes.search.query import Query, Term

FTS_TABLE = "notes_search_fts"
# SQLite 3.35 added the keyword; before it a table expression may be run where it is used.
MATERIALIZED = "MATERIALIZED" if sqlite3.sqlite_version_info >= (3, 35) else ""
# SQLite walks the notes by date, testing each against a match list it builds once, either way.
READ_ALL = ""
COLUMNS = {
    Tier.TITLE: "{title}",
    Tier.META: "{title meta}",
    Tier.SUMMARY: "{title meta summary}",
    Tier.BODY: "",
}
_MATCHES = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"


def _term(term: Term) -> str:
    phrase = '"' + " ".join(term.tokens) + '"'
    return f"{phrase} *" if term.prefix else phrase


def match_expression(query: Query, tier: Tier = Tier.BODY) -> str:
    """FTS5 syntax: every included term within the tier's columns, no excluded term anywhere."""
    column = f"{COLUMNS[tier]} : " if COLUMNS[tier] else ""
    expression = "(" + " AND ".join(f"{column}{_term(term)}" for term in query.include) + ")"
    for term in query.exclude:
        expression += f" NOT {_term(term)}"
    return expression


def matches(query: Query, tier: Tier, *, only: bool = False, walk: bool = False) -> Q:
    expression = match_expression(query, tier)
    if only and tier > Tier.TITLE:
        expression = f"({expression}) NOT ({match_expression(query, Tier(tier - 1))})"
    found = RawSQL(_MATCHES, (expression,))
    if walk:
        # "+id": the id cannot drive the query, so SQLite walks the notes by date and stops
        # at the page. With planner statistics (ANALYZE, as import_notes runs) it would
        # otherwise read every match and sort them: 22 ms against 300 at 100,000 notes.
        return Q(In(Func(F("pk"), template="+%(expressions)s"), found))
    return Q(pk__in=found)


def tier(query: Query, note_id: str) -> tuple[str, list[str]]:
    """Each tier's match list is built once, when a note first needs it (a note that matches
    the title is never looked up in the others)."""
    above = (Tier.TITLE, Tier.META, Tier.SUMMARY)
    cases = " ".join(f"WHEN {note_id} IN ({_MATCHES}) THEN {int(t)}" for t in above)
    return f"CASE {cases} ELSE {int(Tier.BODY)} END", [match_expression(query, t) for t in above]


def rows(connection: BaseDatabaseWrapper, plan: Plan, sql: str, params: Sequence) -> list:
    """SQLite reads a match list once per query and walks the notes' date index itself."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
