"""Importing the side files of an export: categories, tags with their aliases and slugs,
authors and series."""

from __future__ import annotations

from pathlib import Path

import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from taggit.models import Tag

from notes.importexport.reading import (
    NoteFileError,
    _field_length,
    _given_slug,
    to_text,
)
from notes.models import Category, Series, TagAlias


def load_categories_file(path: Path) -> None:
    """Category descriptions and order travel in the folder's _categories.yml."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise NoteFileError("must be a list of categories")
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get("name"):
            raise NoteFileError(f"every category needs a 'name': {entry!r}")
        category = Category.objects.filter(name=entry["name"]).first() or Category(
            name=entry["name"]
        )
        category.slug = entry.get("slug") or category.slug
        category.description = entry.get("description", category.description) or ""
        category.order = int(entry.get("order", category.order) or 0)
        category.save()


def load_tags_file(path: Path) -> None:
    """Each tag's aliases, as the file lists them (a tag the file names is created), and its
    slug, its page's address, when the file gives one (exports since backups were whole)."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise NoteFileError("must be a list of tags")
    slugs: dict[Tag, str] = {}
    for entry in entries:
        if not isinstance(entry, dict) or not str(entry.get("name") or "").strip():
            raise NoteFileError(f"every tag needs a 'name': {entry!r}")
        aliases = entry.get("aliases") or []
        if not isinstance(aliases, list):
            raise NoteFileError(f"'aliases' of {entry['name']!r} must be a list")
        names = list(dict.fromkeys(str(alias).strip() for alias in aliases if str(alias).strip()))
        if any(len(name) > _field_length(TagAlias, "name") for name in names):
            raise NoteFileError(f"an alias of {entry['name']!r} is too long")
        slug = str(entry.get("slug") or "").strip()
        if slug:
            try:
                validate_unicode_slug(slug)
            except ValidationError as exc:
                raise NoteFileError(f"the slug of {entry['name']!r} is not a slug") from exc
        tag = Tag.objects.filter(name=str(entry["name"]).strip()).first() or Tag.objects.create(
            name=str(entry["name"]).strip()
        )
        tag.aliases.exclude(name__in=names).delete()
        for name in names:
            TagAlias.objects.get_or_create(tag=tag, name=name)
        if slug and slug != tag.slug:
            slugs[tag] = slug
    set_tag_slugs(slugs)


def set_tag_slugs(slugs: dict[Tag, str]) -> None:
    """Give tags their slugs back. Restored in another order, two tags whose names slugify
    alike ("C" and "C++") may hold each other's: those step aside first."""
    moving = {tag.pk for tag in slugs}
    for holder in Tag.objects.filter(slug__in=slugs.values()):
        if holder.pk not in moving:
            raise NoteFileError(f"the slug {holder.slug!r} is another tag's: {holder.name!r}")
        holder.slug = f"{holder.slug}-{holder.pk}-moving"
        holder.save(update_fields=["slug"])
    for tag, slug in slugs.items():
        tag.slug = slug
        tag.save(update_fields=["slug"])


def load_authors_file(path: Path) -> list[str]:
    """The names readers see for the authors (user names in the notes' ``author:``). A user
    this site lacks is created with no password and no staff rights; an existing user's name
    is only filled in, never replaced. Returns the user names created."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise NoteFileError("must be a list of authors")
    user_model = get_user_model()
    created = []
    for entry in entries:
        username = str(entry.get("username") or "").strip() if isinstance(entry, dict) else ""
        if not username:
            raise NoteFileError(f"every author needs a 'username': {entry!r}")
        if len(username) > _field_length(user_model, user_model.USERNAME_FIELD):
            raise NoteFileError(f"the user name {username[:40]!r}… is too long")
        user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
        if user is None:
            user = user_model(**{user_model.USERNAME_FIELD: username})
            user.set_unusable_password()
            created.append(username)
        for key in ("first_name", "last_name"):
            value = to_text(entry.get(key), key, _field_length(user_model, key))
            if value and not getattr(user, key, ""):
                setattr(user, key, value)
        user.save()
    return created


def load_series_file(path: Path) -> None:
    """Series titles and descriptions; notes join them by ``series:`` (a slug or title)."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(entries, list):
        raise NoteFileError("must be a list of series")
    for entry in entries:
        if not isinstance(entry, dict) or not str(entry.get("title") or "").strip():
            raise NoteFileError(f"every series needs a 'title': {entry!r}")
        title = to_text(entry["title"], "title", _field_length(Series, "title"))
        slug = (
            _given_slug(str(entry["slug"]))[: _field_length(Series, "slug")]
            if entry.get("slug")
            else ""
        )
        series = (slug and Series.objects.filter(slug=slug).first()) or (
            Series.objects.filter(title=title).first() or Series(slug=slug)
        )
        series.title = title
        series.description = str(entry.get("description") or "")
        series.save()


def find_series(name: str) -> Series:
    """The series a note's front matter names, by slug or title; a new one if neither."""
    return (
        Series.objects.filter(slug=name).first()
        or Series.objects.filter(title=name).first()
        or Series.objects.create(title=name)
    )
