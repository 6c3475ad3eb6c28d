"""Exporting: every note as a Markdown file with front matter, and the side files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import yaml
from django.contrib.auth import get_user_model
from django.utils import timezone
from taggit.models import Tag

from notes.importexport.reading import (
    AUTHORS_FILE,
    CATEGORIES_FILE,
    KNOWN_KEYS,
    PAPER_KEYS,
    SERIES_FILE,
    TAGS_FILE,
)
from notes.models import (
    Category,
    Note,
    OldName,
    Paper,
    Series,
)
from notes.papers import bibtex_key


def papers_to_front_matter(papers: list[Paper]) -> dict[str, Any]:
    entries = []
    for paper in papers:
        entry: dict[str, Any] = {}
        for key, name in PAPER_KEYS.items():
            value = paper.author_list if key == "authors" else getattr(paper, name)
            # The key is written only when an editor chose it: one made from the authors,
            # year and title is made again the same way on import.
            if key == "key" and value == bibtex_key(paper.author_list, paper.year, paper.title):
                continue
            if value not in (None, "", []):
                entry[key] = value
        entries.append(entry)
    if not entries:
        return {}
    return {"paper": entries[0]} if len(entries) == 1 else {"papers": entries}


def format_datetime(value: dt.datetime) -> str:
    """Site time, to the second as editors write it, or to the microsecond when the database
    has one: pages and feeds show the instant (and order by it), so a restore keeps it."""
    value = timezone.localtime(value)
    return value.isoformat(timespec="microseconds" if value.microsecond else "seconds")


def note_to_text(note: Note) -> str:
    meta: dict[str, Any] = {
        "title": note.title,
        "slug": note.slug,
        **({"date": format_datetime(note.published_at)} if note.published_at else {}),
        "updated": format_datetime(note.updated_at),
        "created": format_datetime(note.created_at),
        "category": note.category.name,
        "tags": sorted(tag.name for tag in note.tags.all()),
    }
    if note.summary:
        meta["summary"] = note.summary
    if note.short_title:
        meta["short_title"] = note.short_title
    if note.language:
        meta["language"] = note.language
    meta["draft"] = note.status == Note.Status.DRAFT
    if note.author is not None:
        meta["author"] = note.author.get_username()
    if note.series is not None:
        meta["series"] = note.series.slug
        if note.series_position is not None:
            meta["series_position"] = note.series_position
    meta.update(papers_to_front_matter([link.paper for link in note.paper_links.all()]))
    figures = [
        {
            "image": figure.image.name,
            "alt": figure.alt,
            **({"caption": figure.caption} if figure.caption else {}),
            "width": figure.width,
            "height": figure.height,
        }
        for figure in note.figures.all()
    ]
    if figures:
        meta["figures"] = figures
    updates = sorted(note.updates.all(), key=lambda update: (update.made_at, update.pk))
    if updates:
        meta["updates"] = [
            {"date": format_datetime(update.made_at), "summary": update.summary}
            for update in updates
        ]
    old_names = sorted((name.kind, name.key) for name in note.old_names.all())
    for kind, key in ((OldName.Kind.SLUG, "old_slugs"), (OldName.Kind.TITLE, "old_titles")):
        if names := [name for name_kind, name in old_names if name_kind == kind]:
            meta[key] = names
    # Keys this version reads itself are never written from the kept extras.
    meta.update(sorted(i for i in note.extra_front_matter.items() if i[0] not in KNOWN_KEYS))
    header = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{header}---\n\n{note.body.strip()}\n"


def categories_to_text() -> str:
    entries = [
        {"name": c.name, "slug": c.slug, "description": c.description, "order": c.order}
        for c in Category.objects.all()
    ]
    return yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=1000)


def tags_to_text() -> str:
    """Every tag with its slug (its page's address) and its aliases, by name."""
    entries = [
        {
            "name": tag.name,
            "slug": tag.slug,
            "aliases": [alias.name for alias in tag.aliases.all()],
        }
        for tag in Tag.objects.order_by("name", "pk").prefetch_related("aliases")
    ]
    return yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=1000)


def authors_to_text() -> str:
    entries = [
        {
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
        }
        for user in get_user_model()
        ._default_manager.filter(notes__isnull=False)
        .distinct()
        .order_by(get_user_model().USERNAME_FIELD)
    ]
    return yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=1000)


def series_to_text() -> str:
    entries = [
        {"title": series.title, "slug": series.slug, "description": series.description}
        for series in Series.objects.order_by("slug")
    ]
    return yaml.safe_dump(entries, allow_unicode=True, sort_keys=False, width=1000)


def export_notes(directory: Path) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / CATEGORIES_FILE).write_text(categories_to_text(), encoding="utf-8")
    if Tag.objects.exists():
        (directory / TAGS_FILE).write_text(tags_to_text(), encoding="utf-8")
    if Series.objects.exists():
        (directory / SERIES_FILE).write_text(series_to_text(), encoding="utf-8")
    if Note.objects.filter(author__isnull=False).exists():
        (directory / AUTHORS_FILE).write_text(authors_to_text(), encoding="utf-8")
    count = 0
    notes = Note.objects.select_related("category", "author", "series").prefetch_related(
        "tags", "paper_links__paper", "figures", "old_names", "updates"
    )
    for note in notes.order_by("slug").iterator(chunk_size=500):
        (directory / f"{note.slug}.md").write_text(note_to_text(note), encoding="utf-8")
        count += 1
    return count
