"""The published notes around a note on its page, in one statement: backlinks, notes on the
same paper, its series, related-note candidates and the previous and next note.

Each source is one index lookup; their ids are joined with UNION ALL, and ``Note.objects.raw``
builds the notes from the rows. Raw SQL: the ORM can build the same plan (a union of
querysets, visibility as a per-row EXISTS), but building it costs more than the rest of a note
page together.
"""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.utils import timezone

from notes import related
from notes.models import Note, NoteLink, NotePaper

# Only what a note page shows of each note around it.
FIELDS = (
    "id", "title", "short_title", "slug", "published_at", "lang", "category_id", "series_id",
    "series_position", "created_at", "status",
)  # fmt: skip


def _one_of(values: list, params: list) -> str:
    params.extend(values)
    return f"IN ({', '.join('%s' for _ in values)})"


def around(note: Note, paper_ids: set[int]) -> list[Note]:
    """The public notes around ``note`` (the note itself too, as a part of its series),
    newest first, each marked ``is_backlink``, ``is_linked_to`` and ``on_same_paper``."""
    q = connection.ops.quote_name
    notes, links, papers = (q(m._meta.db_table) for m in (Note, NoteLink, NotePaper))
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
    if paper_ids:
        paper_match = f"paper_id {_one_of(sorted(paper_ids), paper_params)}"
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
    found = []
    for other in Note.objects.raw(sql, [note.pk, note.pk, *paper_params, *params]):
        # Not filtered by visibility in SQL: with that range in the same WHERE, databases
        # walk every published note; the few rows found are checked by the model's rule.
        if not other.is_public:
            continue
        other.is_backlink = bool(other.is_backlink)
        other.is_linked_to = bool(other.is_linked_to)
        other.on_same_paper = bool(other.on_same_paper)
        found.append(other)
    return sorted(found, key=lambda other: (other.published_at, other.pk), reverse=True)
