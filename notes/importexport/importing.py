"""Importing: note files saved as notes, each all or nothing, in groups that share one
transaction and one derive step."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import reversion
import yaml
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from taggit.models import Tag, TaggedItem

from notes.importexport.ahead import render_ahead
from notes.importexport.papers import _fetch_papers, shared_paper
from notes.importexport.reading import (
    AUTHORS_FILE,
    DEFAULT_CATEGORY,
    SERIES_FILE,
    TAGS_FILE,
    NoteFile,
    NoteFileError,
    find_note_files,
    read_note_file,
)
from notes.importexport.sidefiles import (
    find_series,
    load_authors_file,
    load_categories_file,
    load_series_file,
    load_tags_file,
)
from notes.models import (
    Category,
    Figure,
    Note,
    NotePaper,
    NoteUpdate,
    OldName,
    derived_once,
    rerender_linking_notes,
)
from notes.rendering import RenderResult, normalize_source
from notes.rendering.markdown_ext import wiki_key
from notes.revisions import add_note_to_revision

# Files saved in one transaction, their derived data written once at its end.
GROUP = 50


@dataclass
class _Known:
    """Rows found or made once per group of files (a group commits or rolls back whole)."""

    categories: dict[str, Category] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)
    notices: list[tuple[Path, str]] = field(default_factory=list)


def import_paths(paths: list[Path], *, fetch: bool = False) -> ImportReport:
    """Import these files and folders. ``fetch``: papers named only by an arXiv id or DOI
    that the site does not have yet are fetched (arXiv, Crossref); off, imports stay offline."""
    token = _fetch_papers.set(fetch)
    try:
        return _import_paths(paths)
    finally:
        _fetch_papers.reset(token)


def _import_paths(paths: list[Path]) -> ImportReport:
    report = ImportReport()
    categories_files, files = find_note_files(paths)
    tags_files = [path / TAGS_FILE for path in paths if (path / TAGS_FILE).is_file()]
    for path in categories_files:
        _load_side_file(path, load_categories_file, report)
    for path in (path / SERIES_FILE for path in paths if (path / SERIES_FILE).is_file()):
        _load_side_file(path, load_series_file, report)
    for path in (path / AUTHORS_FILE for path in paths if (path / AUTHORS_FILE).is_file()):
        created = _load_side_file(path, load_authors_file, report) or []
        report.notices += [
            (path, f"created user '{name}' (no password, not staff)") for name in created
        ]
    read: list[tuple[Path, NoteFile | str]] = []
    for path in files:
        if not path.exists():
            read.append((path, "no such file or folder"))
            continue
        try:
            read.append((path, read_note_file(path)))
        except NoteFileError as exc:
            read.append((path, str(exc)))
    notes = [(path, item) for path, item in read if isinstance(item, NoteFile)]
    report.errors += [(path, item) for path, item in read if not isinstance(item, NoteFile)]
    ahead = render_ahead((normalize_source(item.body) for _, item in notes), Note.render_limits())
    statistics = _Statistics(Note.objects.count())
    for start in range(0, len(notes), GROUP):
        statistics.refresh(imported=start)
        group = notes[start : start + GROUP]
        # Each body's rendering is taken as its file is saved, so the workers keep rendering.
        rendered: list[RenderResult | None] = []
        if not _save_group(group, ahead, rendered, report):
            rendered += [next(ahead) for _ in range(len(group) - len(rendered))]
            for (path, note_file), result in zip(group, rendered, strict=True):
                _save_alone(path, note_file, result, report)
    # After the notes, so the tags the aliases belong to exist with their notes' spelling.
    for path in tags_files:
        _load_side_file(path, load_tags_file, report)
    return report


class _Statistics:
    """PostgreSQL plans by table statistics, and autovacuum may be off or not yet awake: planned
    on an empty table's, the related-notes query of each save walks every note once per tag
    row (docs/benchmarks.md). Fresh statistics each time the notes double keep it cheap, and
    ANALYZE only samples."""

    def __init__(self, existing: int) -> None:
        self.existing = existing
        self.next = max(100, existing)

    def refresh(self, *, imported: int) -> None:
        if connection.vendor != "postgresql" or self.existing + imported < self.next:
            return
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.next = 2 * (self.existing + imported)


def _save_group(
    group: list[tuple[Path, NoteFile]],
    ahead: Iterator[RenderResult | None],
    rendered: list[RenderResult | None],
    report: ImportReport,
) -> bool:
    """Save a group of files in one transaction, deriving once at its end. False, with
    nothing written, when any file fails: the caller then saves them one by one, so each
    error is the file's own and the others still import. ``rendered`` receives each body's
    rendering from ``ahead`` as it is used."""
    done, known = ImportReport(), _Known()
    try:
        with transaction.atomic(), derived_once():
            for path, note_file in group:
                rendered.append(next(ahead))
                # No savepoint per file: one failing file rolls the whole group back.
                with reversion.create_revision(manage_manually=True, atomic=False):
                    reversion.set_comment(f"Imported from {path.name}")
                    created = save_note_file(
                        note_file, done, rendered_ahead=rendered[-1], known=known
                    )
                (done.created if created else done.updated).append(note_file.slug)
    except (NoteFileError, DatabaseError):
        return False
    report.created += done.created
    report.updated += done.updated
    report.notices += done.notices
    return True


def _save_alone(
    path: Path, note_file: NoteFile, rendered: RenderResult | None, report: ImportReport
) -> None:
    """One file, all or nothing: its error is reported and the import goes on."""
    try:
        with transaction.atomic(), reversion.create_revision(manage_manually=True), derived_once():
            reversion.set_comment(f"Imported from {path.name}")
            created = save_note_file(note_file, report, rendered_ahead=rendered)
    except NoteFileError as exc:
        report.errors.append((path, str(exc)))
        return
    except DatabaseError as exc:
        # The file's own transaction is rolled back; one bad file (say, an author name longer
        # than PostgreSQL allows) must not stop the rest of the import.
        report.errors.append((path, f"could not be saved: {exc}"))
        return
    (report.created if created else report.updated).append(note_file.slug)


def _load_side_file(path: Path, load, report: ImportReport) -> Any:
    """_categories.yml, _series.yml, _authors.yml or _tags.yml, all or nothing; a broken one
    is reported, not fatal."""
    try:
        with transaction.atomic():
            return load(path)
    except (NoteFileError, yaml.YAMLError, ValueError) as exc:
        report.errors.append((path, str(exc)))
    except DatabaseError as exc:  # e.g. a negative order, a slug another category has
        report.errors.append((path, f"could not be saved: {exc}"))
    return None


def save_note_file(
    data: NoteFile,
    report: ImportReport,
    *,
    rendered_ahead: RenderResult | None = None,
    known: _Known | None = None,
) -> bool:
    if not data.category_given:
        report.notices.append((data.path, f"no 'category': filed under '{DEFAULT_CATEGORY}'"))
    if data.extra:
        keys = ", ".join(sorted(data.extra))
        report.notices.append(
            (data.path, f"kept front-matter keys this version does not use: {keys}")
        )
    category = known.categories.get(data.category) if known else None
    if category is None:
        category = Category.objects.filter(name=data.category).first()
        if category is None:
            category = Category.objects.create(name=data.category)
        if known:
            known.categories[data.category] = category
    note = Note.objects.filter(slug=data.slug).first()
    created = note is None
    if created:
        note = Note(slug=data.slug)
    note.title = data.title
    note.body = data.body
    note.summary = data.summary
    note.language = data.language
    note.short_title = data.short_title
    note.category = category
    note.status = Note.Status.DRAFT if data.draft else Note.Status.PUBLISHED
    if data.published_at is not None:
        note.published_at = data.published_at
    note.extra_front_matter = data.extra
    note.series = find_series(data.series) if data.series else None
    note.series_position = data.series_position if data.series else None
    if data.author:
        note.author = find_or_create_author(data.author, data.path, report)
    if rendered_ahead is not None:
        note.rendered_ahead = (normalize_source(data.body), rendered_ahead)
    note.save()
    tagged: list[TaggedItem] | None = None
    if created and known is not None:
        tagged = add_tags_to_new_note(note, data.tags, known)
    else:
        note.tags.set(data.tags, clear=True)
    if not created:
        note.paper_links.all().delete()
    links = NotePaper.objects.bulk_create(
        NotePaper(note=note, paper=paper, position=position)
        for position, paper in enumerate(dict.fromkeys(map(shared_paper, data.papers)))
    )
    if data.figures is not None and save_figures(note, data, report):
        # Rendered again now that its images' sizes are known, as the admin does.
        note.rerender()
    if data.updates is not None:
        if not created:
            note.updates.all().delete()
        NoteUpdate.objects.bulk_create(
            NoteUpdate(note=note, made_at=made_at, summary=summary)
            for made_at, summary in data.updates
        )
    names = restore_old_names(note, slugs=data.old_slugs, titles=data.old_titles)
    if names:
        # Notes imported before this one may [[link]] to it by a name it had before.
        rerender_linking_notes(names, exclude_pk=note.pk)
    if data.created_at is not None:
        Note.objects.filter(pk=note.pk).update(created_at=data.created_at)
        note.created_at = data.created_at
    # updated_at is auto_now; an import restores the file's value after saving. A new note
    # whose file has no 'updated' was never edited after publishing: saying "updated today"
    # because it was imported today would mislead readers.
    updated_at = data.updated_at
    if (
        updated_at is None
        and created
        and note.published_at is not None
        and note.published_at <= timezone.now()
    ):
        updated_at = note.published_at
    if updated_at is not None:
        Note.objects.filter(pk=note.pk).update(updated_at=updated_at)
        note.updated_at = updated_at
    # Papers are bulk-created (no save signals): the revision takes the note as imported,
    # a new one from the rows just written.
    if tagged is None:
        add_note_to_revision(note)
    else:
        figures = list(note.figures.all()) if data.figures else []
        add_note_to_revision(
            note, followed={"paper_links": links, "figures": figures, "tagged_items": tagged}
        )
    return created


def add_tags_to_new_note(note: Note, names: list[str], known: _Known) -> list[TaggedItem]:
    """A new note's tags, found as taggit finds them (case-insensitively, the oldest of
    equals) or made, and written in one statement: taggit's ``add()`` writes each row by
    ``get_or_create`` in a savepoint of its own (docs/benchmarks.md, import)."""
    items: dict[int, TaggedItem] = {}
    for name in names:
        tag = known.tags.get(name)
        if tag is None:
            tag = Tag.objects.filter(name__iexact=name).order_by("pk").first()
            tag = tag or Tag.objects.create(name=name)
            known.tags[name] = tag
        items.setdefault(tag.pk, TaggedItem(tag=tag, content_object=note))
    return TaggedItem.objects.bulk_create(items.values())


def save_figures(note: Note, data: NoteFile, report: ImportReport) -> bool:
    """The note's figures become the file's (their image files are expected in MEDIA_ROOT:
    copy the backup's media folder first). Returns whether any changed."""
    storage = Figure._meta.get_field("image").storage
    existing = {figure.image.name: figure for figure in note.figures.all()}
    changed = False
    for index, record in enumerate(data.figures or []):
        name = record["image"]
        present = storage.exists(name)
        if not present:
            if not (record["width"] and record["height"]):
                raise NoteFileError(
                    f"figures[{index}]: {name} is not in the media folder: copy it there first"
                )
            report.notices.append((data.path, f"figure file not in the media folder: {name}"))
        figure = existing.pop(name, None)
        if figure is None:
            # With its size given, the file is not opened to measure it (it may be missing).
            figure = Figure(note=note, image=name, width=record["width"], height=record["height"])
        values = {key: record[key] for key in ("alt", "caption", "width", "height")}
        if not values["width"] or not values["height"]:
            values.update(width=figure.image.width, height=figure.image.height)
        if figure.pk is None or any(getattr(figure, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(figure, key, value)
            figure.save()
            changed = True
    for figure in existing.values():  # no longer in the file: the row goes, the file stays
        figure.delete()
        changed = True
    return changed


def restore_old_names(note: Note, *, slugs: list[str], titles: list[str]) -> set[str]:
    """The slugs and titles the note had before, so its old addresses redirect and old
    [[links]] resolve. A name another note now has is no longer an old one (as on save).
    Returns the names added."""
    wanted = [(OldName.Kind.SLUG, slug) for slug in slugs]
    wanted += [(OldName.Kind.TITLE, wiki_key(title)) for title in titles]
    if not wanted:
        return set()
    keys = {key for _kind, key in wanted}
    in_use = set(
        Note.objects.filter(Q(slug__in=keys) | Q(title_key__in=keys)).values_list(
            "slug", "title_key"
        )
    )
    taken = {(OldName.Kind.SLUG, slug) for slug, _title in in_use}
    taken |= {(OldName.Kind.TITLE, title) for _slug, title in in_use}
    kept = set(OldName.objects.filter(note=note).values_list("kind", "key"))
    added = set()
    for kind, key in wanted:
        if (kind, key) in taken or (kind, key) in kept:
            continue
        OldName.objects.update_or_create(kind=kind, key=key, defaults={"note": note})
        added.add(key)
    return added


def find_or_create_author(username: str, path: Path, report: ImportReport):
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        user = user_model(**{user_model.USERNAME_FIELD: username})
        user.set_unusable_password()
        user.save()
        report.notices.append((path, f"created user '{username}' (no password, not staff)"))
    return user
