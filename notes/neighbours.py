"""The published notes around a note, for its page, in one SQL statement built by hand.

A note page shows its backlinks, notes on the same paper, its series, related notes and the
previous and next note. Each source is one index lookup; their ids are joined with UNION ALL
(an OR of subqueries has the database scan every note). The statement is written here rather
than composed with the ORM: composing eight subqueries cost more per page than running them.
The same SQL runs on SQLite and PostgreSQL; sliced parts are wrapped in a sub-select because
SQLite allows no LIMIT inside a compound SELECT.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import connection
from django.utils import timezone

from notes import related
from notes.models import Note, NoteLink, Paper

# Only what a note page shows of each note around it.
FIELDS = (
    "id", "title", "short_title", "slug", "published_at", "lang", "category_id", "series_id",
    "series_position", "created_at", "status",
)  # fmt: skip


def _placeholders(values: Iterable) -> str:
    return ", ".join("%s" for _ in values)


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
        parts.append(f"SELECT id FROM {notes} WHERE id IN ({_placeholders(candidates)})")
        params += candidates
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
            conditions.append(f"arxiv IN ({_placeholders(arxiv_ids)})")
            paper_params += sorted(arxiv_ids)
        if dois:
            conditions.append(f"doi IN ({_placeholders(dois)})")
            paper_params += sorted(dois)
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
    with connection.cursor() as cursor:
        cursor.execute(sql, [note.pk, note.pk, *paper_params, *params])
        rows = cursor.fetchall()
    converters = _converters()
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
    get_absolute_url = Note.get_absolute_url

    def __init__(self, **values) -> None:
        for name, value in values.items():
            setattr(self, name, value)

    @property
    def pk(self) -> int:
        return self.id


def _converters() -> list[list]:
    """The database's value converters for each column read, as the ORM applies them (SQLite
    returns dates as naive text or datetimes in UTC)."""
    table = Note._meta.db_table
    result = []
    for name in FIELDS:
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
