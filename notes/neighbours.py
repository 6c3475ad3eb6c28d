"""A note page's own reads, in SQL written by hand: the note itself (``page_note``), and the
published notes around it in one statement (``around``).

A note page shows its backlinks, notes on the same paper, its series, related notes and the
previous and next note. Each source is one index lookup; their ids are joined with UNION ALL
(an OR of subqueries has the database scan every note). The statement is written here rather
than composed with the ORM: composing eight subqueries cost more per page than running them.
The same SQL runs on SQLite and PostgreSQL; sliced parts are wrapped in a sub-select because
SQLite allows no LIMIT inside a compound SELECT.
"""

from __future__ import annotations

import functools
import weakref
from datetime import datetime
from urllib.parse import quote

import psycopg
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.urls import get_script_prefix, reverse
from django.urls.resolvers import RFC3986_SUBDELIMS
from django.utils import timezone
from django.utils.translation import get_language

from notes import related
from notes.models import Note, NoteLink, Paper, Series

# Only what a note page shows of each note around it.
FIELDS = (
    "id", "title", "short_title", "slug", "published_at", "lang", "category_id", "series_id",
    "series_position", "created_at", "status",
)  # fmt: skip


# What the note page reads of its note (its body and stored parts, what finds the notes
# around it); the series' title and slug come with it.
PAGE_FIELDS = (
    "id", "title", "slug", "lang", "excerpt", "toc_html", "body_html", "page", "related_data",
    "paper_data", "tag_data", "category_id", "series_id", "series_position", "published_at",
    "status", "created_at", "short_title",
)  # fmt: skip


def page_note(slug: str) -> Note | None:
    """The note readers may see at this slug, or None: one indexed lookup, without the
    ORM composing the same statement on every request. Whether readers may see it is the
    model's own rule (``Note.is_public``, the one ``NoteQuerySet.published()`` applies)."""
    q = connection.ops.quote_name
    # In the model's order, as Model.from_db() takes the values of a partial row.
    fields = [field for field in Note._meta.concrete_fields if field.attname in PAGE_FIELDS]
    columns = ", ".join(f"n.{q(field.column)}" for field in fields)
    sql = (
        f"SELECT {columns}, s.{q('title')}, s.{q('slug')}"
        f" FROM {q(Note._meta.db_table)} n"
        f" LEFT OUTER JOIN {q(Series._meta.db_table)} s ON s.{q('id')} = n.{q('series_id')}"
        f" WHERE n.{q('slug')} = %s"
    )
    with _preparing_cursor() as cursor:
        cursor.execute(sql, [slug])
        row = cursor.fetchone()
    if row is None:
        return None
    values = _convert(row[: len(fields)], _converters(tuple(field.attname for field in fields)))
    note = Note.from_db(connection.alias, [field.attname for field in fields], values)
    if not note.is_public:
        return None
    if note.series_id is not None:
        title, series_slug = row[len(fields) :]
        note.series = Series.from_db(
            connection.alias, ["id", "title", "slug"], [note.series_id, title, series_slug]
        )
    return note


def _one_of(values: list, params: list) -> str:
    """``IN (…)`` of these values; on PostgreSQL ``= ANY(%s)`` of one array, so the
    statement's text is the same whatever the number of values (see _preparing_cursor)."""
    if connection.vendor == "postgresql":
        params.append(list(values))
        return "= ANY(%s)"
    params.extend(values)
    return f"IN ({', '.join('%s' for _ in values)})"


def _preparing_cursor(*, binary_rows: bool = False):
    """Django's cursor; on PostgreSQL one whose statements the server prepares, once per
    connection: the note page's statement of eight parts took longer to plan (0.45 ms) than
    to run (0.2 ms), on every page. Still Django's wrapper, so the query is counted and
    logged as any other."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    connection.ensure_connection()
    raw = _PreparedCursor(connection.connection)
    raw.binary_rows = binary_rows
    if connection.queries_logged:
        return connection.make_debug_cursor(raw)
    return connection.make_cursor(raw)


class _PreparedCursor(psycopg.Cursor):
    """Server-side parameters, and the statement prepared at its first run. Rows come in
    binary where asked (``around``: some forty dates a page, read without parsing text);
    not where JSON is read, which Django decodes from text itself."""

    binary_rows = False

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=self.binary_rows)


def around(note: Note, arxiv_ids: set[str], dois: set[str]) -> list[Note]:
    """The public notes around ``note`` (the note itself too, as a part of its series),
    newest first, each marked ``is_backlink``, ``is_linked_to`` and ``on_same_paper``."""
    q = connection.ops.quote_name
    notes, links, papers = (q(m._meta.db_table) for m in (Note, NoteLink, Paper))
    published = Note.Status.PUBLISHED.value
    now = timezone.now()

    def when(value: datetime) -> object:
        return connection.ops.adapt_datetimefield_value(value)

    parts: list[str] = []
    params: list = []
    candidates = [pk for pk, _score in note.related_data]
    if candidates:
        parts.append(f"SELECT id FROM {notes} WHERE id {_one_of(candidates, params)}")
    parts.append(f"SELECT source_id FROM {links} WHERE target_id = %s")
    params.append(note.pk)
    parts.append(f"SELECT target_id FROM {links} WHERE source_id = %s AND target_id IS NOT NULL")
    params.append(note.pk)
    parts.append(
        f"SELECT id FROM (SELECT id FROM {notes} WHERE category_id = %s AND status = %s"
        f" AND published_at <= %s AND id <> %s ORDER BY published_at DESC, id DESC"
        f" LIMIT {int(related.LIMIT)}) newest"
    )
    params += [note.category_id, published, when(now), note.pk]
    if note.series_id is not None:
        parts.append(f"SELECT id FROM {notes} WHERE series_id = %s")
        params.append(note.series_id)
    paper_match = ""
    paper_params: list = []
    if arxiv_ids or dois:
        conditions = []
        if arxiv_ids:
            conditions.append(f"arxiv {_one_of(sorted(arxiv_ids), paper_params)}")
        if dois:
            conditions.append(f"doi {_one_of(sorted(dois), paper_params)}")
        paper_match = " OR ".join(conditions)
        parts.append(f"SELECT note_id FROM {papers} WHERE {paper_match}")
        params += paper_params
    if note.published_at is not None:
        at = when(note.published_at)
        # Older than a public note is public by date: a second upper bound (now) would have
        # the database walk down from now rather than from the note. The plain range on
        # published_at lets it start its index walk at this note.
        parts.append(
            f"SELECT id FROM (SELECT id FROM {notes} WHERE status = %s AND published_at <= %s"
            f" AND (published_at < %s OR id < %s) ORDER BY published_at DESC, id DESC LIMIT 1)"
            f" older"
        )
        params += [published, at, at, note.pk]
        parts.append(
            f"SELECT id FROM (SELECT id FROM {notes} WHERE status = %s AND published_at <= %s"
            f" AND published_at >= %s AND (published_at > %s OR id > %s)"
            f" ORDER BY published_at, id LIMIT 1) newer"
        )
        params += [published, when(now), at, at, note.pk]
    same_paper = (
        f"EXISTS(SELECT 1 FROM {papers} p WHERE p.note_id = n.id AND ({paper_match}))"
        if paper_match
        else "1 = 0"
    )
    columns = ", ".join(f"n.{q(name)}" for name in FIELDS)
    sql = (
        f"SELECT {columns},"
        f" EXISTS(SELECT 1 FROM {links} l WHERE l.source_id = n.id AND l.target_id = %s)"
        f" AS is_backlink,"
        f" EXISTS(SELECT 1 FROM {links} l WHERE l.source_id = %s AND l.target_id = n.id)"
        f" AS is_linked_to,"
        f" {same_paper} AS on_same_paper"
        f" FROM {notes} n WHERE n.id IN ({' UNION ALL '.join(parts)})"
    )
    with _preparing_cursor(binary_rows=True) as cursor:
        cursor.execute(sql, [note.pk, note.pk, *paper_params, *params])
        rows = cursor.fetchall()
    converters = _converters(FIELDS)
    found = []
    for row in rows:
        values = dict(zip(FIELDS, _convert(row[: len(FIELDS)], converters), strict=True))
        # Not filtered by visibility in SQL: with that range in the same WHERE, databases
        # walk every published note; the few rows found are checked here by the same rule
        # as NoteQuerySet.published().
        if values["status"] != published or not values["published_at"]:
            continue
        if values["published_at"] > now:
            continue
        backlink, linked_to, same = row[len(FIELDS) :]
        found.append(
            Neighbour(
                **values, is_backlink=bool(backlink), is_linked_to=bool(linked_to),
                on_same_paper=bool(same),
            )
        )  # fmt: skip
    return sorted(found, key=lambda other: (other.published_at, other.pk), reverse=True)


class Neighbour:
    """A note around the page's note: only what the page shows of it. Plain attributes
    rather than a model instance: a page has some forty of them."""

    __slots__ = (*FIELDS, "is_backlink", "is_linked_to", "on_same_paper", "related_score")
    link_text = Note.link_text

    def get_absolute_url(self) -> str:
        """As ``Note.get_absolute_url``, with the URL pattern reversed once per language and
        path prefix: the slug is quoted as reverse() quotes it."""
        before, after = _detail_url(get_language(), get_script_prefix())
        return before + quote(self.slug, safe=RFC3986_SUBDELIMS + "/~:@") + after

    def __init__(self, **values) -> None:
        for name, value in values.items():
            setattr(self, name, value)

    @property
    def pk(self) -> int:
        return self.id


@functools.lru_cache(maxsize=16)
def _detail_url(language: str, script_prefix: str) -> tuple[str, str]:
    before, _slug, after = reverse("notes:detail", kwargs={"slug": "slug"}).rpartition("/slug/")
    return before + "/", "/" + after


# Worked out once per database connection (each thread has its own) and columns read.
_CONVERTERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _converters(names: tuple[str, ...]) -> list[list]:
    """The database's value converters for each column read, as the ORM applies them (SQLite
    returns dates as naive text or datetimes in UTC; JSON arrives as text)."""
    known = _CONVERTERS.setdefault(connections[DEFAULT_DB_ALIAS], {})
    if names not in known:
        known[names] = _find_converters(names)
    return known[names]


def _find_converters(names: tuple[str, ...]) -> list[list]:
    table = Note._meta.db_table
    result = []
    for name in names:
        field = Note._meta.get_field(name)
        column = field.get_col(table)
        result.append(
            [
                (converter, column)
                for converter in connection.ops.get_db_converters(column)
                + field.get_db_converters(connection)
            ]
        )
    return result


def _convert(values: tuple, converters: list[list]) -> list:
    converted = []
    for value, column_converters in zip(values, converters, strict=True):
        for converter, column in column_converters:
            value = converter(value, column, connection)
        converted.append(value)
    return converted
