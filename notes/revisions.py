"""Revision history for notes, kept by django-reversion.

Every save through the admin, the bulk actions and the importer stores a revision: what the
editor wrote of the note (``NOTE_FIELDS``; its rendering and derived data are made again on
restore), its papers and figures, and its tags (taggit's TaggedItem rows, followed through
``Note.tagged_items``). This module registers those models (imported by notes/admin/note.py
and notes/importexport/importing.py, before the admin would register them on its own), reads
revisions back for the history and compare pages, and restores a revision in one step.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import reversion
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, ProtectedError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from reversion.errors import RevertError
from reversion.models import Revision, Version
from taggit.models import Tag, TaggedItem

from notes.models import Category, Figure, Note, NotePaper, Paper, rerender_linking_notes

# What a revision keeps of a note: what editors (and the importer) write. Everything else is
# derived from it on save (Note.save, notes.derive), so a restore derives it again rather than
# bringing back a rendering of another day. The two dates are kept because reversion's revert
# writes the row as stored, and they have no default; a recovered note keeps its creation date.
NOTE_FIELDS = (
    "title", "short_title", "slug", "category", "series", "series_position", "author",
    "summary", "body", "language", "status", "published_at", "extra_front_matter",
    "created_at", "updated_at",
)  # fmt: skip

# The note with everything an editor changes alongside it. TaggableManager is not serialized
# by Django, so tags travel as TaggedItem rows; their tag is stored by name (a natural key),
# which survives a tag being deleted and made again. Tags themselves are not followed: a
# restore with delete=True would otherwise delete tags added since, from every note.
if not reversion.is_registered(Note):
    reversion.register(Note, fields=NOTE_FIELDS, follow=("paper_links", "figures", "tagged_items"))
    # A note's version keeps which papers it lists, not the papers' fields: a paper is a
    # record of its own, shared with other notes, with its own history (the papers admin).
    reversion.register(NotePaper)
    reversion.register(Paper)
    reversion.register(Figure)
    reversion.register(TaggedItem, use_natural_foreign_keys=True)


class RestoreError(Exception):
    """A revision that cannot be restored; the message says why, for the editor."""


def format_date(value: datetime) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M:%S}"


def note_versions(note: Note):
    """This note's versions, oldest first, with their revision and its user."""
    return (
        Version.objects.get_for_object(note)
        .select_related("revision", "revision__user")
        .order_by("pk")
    )


def add_note_to_revision(note: Note, *, followed: dict[str, list] | None = None) -> None:
    """Store the note as it is now, with its current papers, figures and tags.

    Reversion snapshots followed rows when the note itself is saved, which in the admin is
    before the inlines and tags are saved; explicitly adding them again at the end keeps the
    revision identical to what the editor sees after saving. ``followed``: the rows of a note
    its caller has just written (the importer, a new note), taken as they are instead of read
    back: four queries less per imported note.
    """
    if not reversion.is_active():
        return
    if followed is not None:
        if not hasattr(note, "_prefetched_objects_cache"):
            note._prefetched_objects_cache = {}
        for name in ("paper_links", "figures", "tagged_items"):
            rows = getattr(note, name).all()
            rows._result_cache, rows._prefetch_done = list(followed.get(name, ())), True
            note._prefetched_objects_cache[name] = rows
        reversion.add_to_revision(note)
        return
    # The note as stored, its followed rows fetched in three queries: reversion's follow reads
    # them from this prefetch, and each tag row names its note without a query of its own.
    stored = (
        Note.objects.filter(pk=note.pk)
        .prefetch_related(
            "paper_links",
            "figures",
            Prefetch("tagged_items", TaggedItem.objects.select_related("tag")),
        )
        .get()
    )
    for item in stored.tagged_items.all():
        item.content_object = stored
    reversion.add_to_revision(stored)


# --- Reading a revision -----------------------------------------------------------------


def _fields(version: Version) -> dict[str, Any]:
    return json.loads(version.serialized_data)[0]["fields"]


def _versions_of(revision: Revision, model) -> list[Version]:
    content_type = ContentType.objects.get_for_model(model)
    return [v for v in revision.version_set.all() if v.content_type_id == content_type.pk]


def _tag_name(value: Any) -> str:
    if isinstance(value, list):  # natural key: [name]
        return str(value[0])
    tag = Tag.objects.filter(pk=value).first()  # an id, from before natural keys were used
    return tag.name if tag else f"#{value}"


def revision_tag_names(revision: Revision, note_pk: int) -> list[str]:
    names = [
        _tag_name(data["tag"])
        for version in _versions_of(revision, TaggedItem)
        if str((data := _fields(version))["object_id"]) == str(note_pk)
    ]
    return sorted(names, key=str.casefold)


def paper_line(paper: Paper) -> str:
    """One readable line per paper: title, venue and year, ids."""
    details = " ".join(str(part) for part in (paper.venue, paper.year) if part)
    ids = [f"arXiv:{paper.arxiv}" if paper.arxiv else "", f"DOI {paper.doi}" if paper.doi else ""]
    line = paper.title + (f" ({details})" if details else "")
    return " · ".join(part for part in (line, *ids, paper.url, paper.code_url) if part)


def revision_papers(revision: Revision, note_pk: int) -> list[str]:
    links = [
        {**_fields(version), "id": int(version.object_id)}
        for version in _versions_of(revision, NotePaper)
    ]
    # The note's order (NotePaper's): by position, then as added (the form offers 0).
    links = sorted(
        (link for link in links if str(link["note"]) == str(note_pk)),
        key=lambda link: (link["position"], link["id"]),
    )
    if not links:
        return [paper_line(paper) for paper in _legacy_papers(revision, note_pk)]
    papers = Paper.objects.in_bulk([link["paper"] for link in links])
    return [
        paper_line(papers[link["paper"]]) if link["paper"] in papers else f"#{link['paper']}"
        for link in links
    ]


def _legacy_papers(revision: Revision, note_pk: int) -> list[Paper]:
    """Papers as versions made before papers were shared kept them: a copy per note."""
    found = []
    for version in _versions_of(revision, Paper):
        fields = _fields(version)
        if str(fields.get("note")) != str(note_pk):
            continue
        values = {name: fields.get(name) for name in _LEGACY_FIELDS}
        found.append((fields.get("position", 0), Paper(pk=int(version.object_id), **values)))
    # By position, then by id: the old admin saved every copy at position 0.
    return [paper for _position, paper in sorted(found, key=lambda item: (item[0], item[1].pk))]


_LEGACY_FIELDS = ("title", "authors", "venue", "year", "url", "doi", "arxiv", "code_url")


def _relink_legacy_papers(revision: Revision, note: Note) -> None:
    """A version from before papers were shared names its papers by copies: link the note to
    the shared record with that id or identifier, made again from the copy if it is gone."""
    if any(True for _version in _versions_of(revision, NotePaper)):
        return
    for position, copy in enumerate(_legacy_papers(revision, note.pk)):
        paper = (
            Paper.objects.filter(pk=copy.pk).first()
            or (copy.arxiv and Paper.objects.filter(arxiv=copy.arxiv).first())
            or (copy.doi and Paper.objects.filter(doi=copy.doi).first())
        )
        if not paper:
            copy.pk = None
            copy.save()
            paper = copy
        NotePaper.objects.get_or_create(note=note, paper=paper, defaults={"position": position})


def _revert(revision: Revision) -> None:
    """``revision.revert(delete=True)``. A version from before papers were shared also holds
    the note's copy of each paper: not written back, as that paper is now one record other
    notes list too, with its own history (a copy merged into another record would not even
    fit); _relink_legacy_papers links the note to the record instead."""
    copies = {version.pk for version in _versions_of(revision, Paper)}
    if not copies:
        revision.revert(delete=True)
        return
    others = [version for version in revision.version_set.all() if version.pk not in copies]
    # Reversion's revert, on the other versions (it reads them from version_set.iterator()).
    holder = SimpleNamespace(version_set=SimpleNamespace(iterator=lambda: iter(others)))
    Revision.revert(holder, delete=True)


@dataclass
class NoteState:
    """What the compare page shows of one version of a note."""

    version: Version | None
    body: str = ""
    values: dict[str, str] = field(default_factory=dict)


# The metadata the compare page lists, in order, with their labels.
COMPARED_FIELDS = (
    ("title", gettext_lazy("Title")),
    ("slug", gettext_lazy("Slug")),
    ("status", gettext_lazy("Status")),
    ("published_at", gettext_lazy("Publish date")),
    ("category", gettext_lazy("Category")),
    ("author", gettext_lazy("Author")),
    ("tags", gettext_lazy("Tags")),
    ("summary", gettext_lazy("Summary")),
    ("papers", gettext_lazy("Papers")),
)


def note_state(version: Version | None) -> NoteState:
    if version is None:
        return NoteState(version=None, values={name: "" for name, _label in COMPARED_FIELDS})
    note = version._object_version.object
    category = Category.objects.filter(pk=note.category_id).first()
    author = get_user_model().objects.filter(pk=note.author_id).first() if note.author_id else None
    values = {
        "title": note.title,
        "slug": note.slug,
        "status": dict(Note.Status.choices).get(note.status, note.status),
        "published_at": format_date(note.published_at) if note.published_at else "",
        "category": (
            category.name if category else _("#%(id)s (deleted)") % {"id": note.category_id}
        ),
        "author": author.get_username() if author else "",
        "tags": ", ".join(revision_tag_names(version.revision, note.pk)),
        "summary": note.summary,
        "papers": "\n".join(revision_papers(version.revision, note.pk)),
    }
    return NoteState(version=version, body=note.body, values=values)


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


def changed_fields(old: NoteState, new: NoteState) -> list[FieldChange]:
    return [
        FieldChange(label, old.values[name], new.values[name])
        for name, label in COMPARED_FIELDS
        if old.values[name] != new.values[name]
    ]


@dataclass
class DiffLine:
    kind: str  # "context", "added", "removed" or "gap" (lines left out between hunks)
    old_number: int | None
    new_number: int | None
    text: str

    @property
    def marker(self) -> str:
        return {"added": "+", "removed": "−", "gap": "…"}.get(self.kind, "")


def body_diff(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """A line-based diff of two bodies: changed lines with a few lines of context."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    if old_lines == new_lines:
        return []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    rows: list[DiffLine] = []
    for group in matcher.get_grouped_opcodes(context):
        if rows or group[0][1] or group[0][3]:
            rows.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows.extend(
                    DiffLine("context", i + 1, j + 1, old_lines[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                )
                continue
            if tag in ("replace", "delete"):
                rows.extend(DiffLine("removed", i + 1, None, old_lines[i]) for i in range(i1, i2))
            if tag in ("replace", "insert"):
                rows.extend(DiffLine("added", None, j + 1, new_lines[j]) for j in range(j1, j2))
        last = group[-1]
    if last[2] < len(old_lines) or last[4] < len(new_lines):
        rows.append(DiffLine("gap", None, None, ""))
    return rows


# --- Restoring --------------------------------------------------------------------------


def ensure_tags(revision: Revision) -> None:
    """Make the tags a revision names exist again, so restoring never drops one silently."""
    for version in _versions_of(revision, TaggedItem):
        value = _fields(version)["tag"]
        if isinstance(value, list) and not Tag.objects.filter(name=value[0]).exists():
            Tag.objects.create(name=value[0])


def note_names(note: Note | None) -> set[str]:
    """The names other notes' [[links]] may use for this note."""
    return {note.slug, note.title_key} if note is not None else set()


def after_restore(note: Note, names_before: set[str]) -> None:
    """Notes linking to the old or restored title/slug render their links again."""
    rerender_linking_notes(names_before | note_names(note), exclude_pk=note.pk)


def publication_label(status: str, published_at: Any) -> str:
    """ "Draft", "Published" or "Scheduled for …", as the restore form and message say it."""
    if status != Note.Status.PUBLISHED:
        return _("Draft")
    if isinstance(published_at, str):
        published_at = parse_datetime(published_at)
    if published_at is not None and published_at > timezone.now():
        return _("Scheduled for %(when)s") % {"when": format_date(published_at)}
    return _("Published")


def version_publication(version: Version) -> str:
    fields = _fields(version)
    return publication_label(fields.get("status", ""), fields.get("published_at"))


def restore(version: Version, *, user, publication: bool = False) -> Note:
    """Put the note's content back as it was in this version: text, metadata, tags, papers
    and figures. Its publication (status and publish date) stays as it is now unless
    ``publication`` asks for the version's too: restoring an old draft must not unpublish a
    live note by surprise.

    The restore is itself a new revision, so it can be undone the same way. Revisions hold
    only what editors write: rendered HTML, excerpt, links and what cards show are made again
    from the restored body.
    """
    note_pk = int(version.object_id)
    current = Note.objects.filter(pk=note_pk).first()
    names_before = note_names(current)
    comment = _("Restored version from %(when)s") % {
        "when": format_date(version.revision.date_created)
    }
    try:
        with transaction.atomic(using=version.db), reversion.create_revision():
            ensure_tags(version.revision)
            _revert(version.revision)
            note = Note.objects.get(pk=note_pk)
            _relink_legacy_papers(version.revision, note)
            if not Category.objects.filter(pk=note.category_id).exists():
                raise RestoreError(_("That version's category no longer exists."))
            if note.author_id and not get_user_model().objects.filter(pk=note.author_id).exists():
                note.author = None
            if current is not None and not publication:
                note.status, note.published_at = current.status, current.published_at
            # The revision holds what the editor wrote: saving renders the body and derives
            # the rest again (Note.save, notes.derive).
            note.save()
            add_note_to_revision(note)
            reversion.set_user(user)
            reversion.set_comment(comment)
    except (RevertError, ProtectedError, IntegrityError, Note.DoesNotExist) as exc:
        raise RestoreError(
            _("That version could not be restored: %(error)s") % {"error": exc}
        ) from exc
    after_restore(note, names_before)
    return note
