"""Markdown files with YAML front matter (as Hugo and Jekyll write them) in and out.

The file format is the backup format: ``export_notes`` writes what ``import_notes`` reads,
and an export, imported into an empty database and exported again, gives identical files.
With the media folder (the figures' image files) it is a whole backup of what readers see:
notes with their dates to the microsecond, drafts and scheduled notes, categories, tags with
their slugs and aliases, series, papers, figures, the authors' names and the names notes
had before (old addresses redirect, old [[links]] resolve). Not in it: editors' accounts and
permissions, and revision history (a database dump keeps those: README, "Backups").
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import reversion
import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from taggit.models import Tag

from notes.forms import PaperForm
from notes.models import (
    Category,
    Figure,
    Note,
    OldName,
    Paper,
    Series,
    TagAlias,
    derived_once,
    make_slug,
    rerender_linking_notes,
)
from notes.papers import split_authors
from notes.rendering.markdown_ext import wiki_key
from notes.revisions import add_note_to_revision

KNOWN_KEYS = (
    "title", "short_title", "slug", "date", "updated", "created", "category", "tags", "summary",
    "language", "draft", "author", "paper", "papers", "series", "series_position", "figures",
    "old_slugs", "old_titles",
)  # fmt: skip
# Front-matter figure keys, in export order. ``image`` is the file's name in MEDIA_ROOT.
FIGURE_KEYS = ("image", "alt", "caption", "width", "height")
# Front-matter paper keys, in export order, and the Paper field each one fills.
PAPER_KEYS = {
    "title": "title", "authors": "authors", "venue": "venue", "year": "year", "url": "url",
    "doi": "doi", "arxiv": "arxiv", "code": "code_url",
}  # fmt: skip
CATEGORIES_FILE = "_categories.yml"
# Tags with other names (search aliases): [{name, aliases: [...]}], sorted by name.
TAGS_FILE = "_tags.yml"
# Series titles, slugs and descriptions: [{title, slug, description}], sorted by slug.
SERIES_FILE = "_series.yml"
# The names shown for the notes' authors: [{username, first_name, last_name}], by username.
AUTHORS_FILE = "_authors.yml"
DEFAULT_CATEGORY = "Uncategorized"
_JEKYLL_DATE_PREFIX = re.compile(r"^\d{4}-\d{2}-\d{2}-")


class NoteFileError(ValueError):
    """A file that cannot become a note; the message says why, for the editor to fix it."""


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)
    notices: list[tuple[Path, str]] = field(default_factory=list)


# --- Reading --------------------------------------------------------------------------


def to_datetime(value: Any, key: str) -> dt.datetime:
    """Front-matter dates: YAML dates or date-times, or strings; naive means site time."""
    if isinstance(value, dt.datetime):
        result = value
    elif isinstance(value, dt.date):
        result = dt.datetime.combine(value, dt.time())
    elif isinstance(value, str):
        text = value.strip()
        try:
            parsed = parse_datetime(text)
            if parsed is None and (day := parse_date(text)) is not None:
                parsed = dt.datetime.combine(day, dt.time())
        except ValueError:  # well formed but impossible, e.g. "2026-02-30"
            parsed = None
        if parsed is None:
            raise NoteFileError(f"'{key}' is not a date: {value!r}")
        result = parsed
    else:
        raise NoteFileError(f"'{key}' is not a date: {value!r}")
    if timezone.is_naive(result):
        result = timezone.make_aware(result)
    return result


def to_tags(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    # A nested list or mapping is a mistake, not a tag named "['a', 'b']".
    if not isinstance(value, list) or any(isinstance(tag, list | dict) for tag in value):
        raise NoteFileError(f"'tags' must be a list or a comma-separated string, not {value!r}")
    tags = [str(tag).strip() for tag in value if str(tag).strip()]
    limit = Tag._meta.get_field("name").max_length
    if too_long := [tag for tag in tags if len(tag) > limit]:
        raise NoteFileError(f"'tags' longer than {limit} characters: {too_long[0][:40]}…")
    return tags


def to_bool(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"true", "yes", "1", "false", "no", "0"}:
        return value.strip().lower() in {"true", "yes", "1"}
    raise NoteFileError(f"'{key}' must be true or false, not {value!r}")


def json_safe(value: Any) -> Any:
    """Unknown keys are stored as JSON; YAML dates become ISO strings on the way."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return value


def slug_from_path(path: Path) -> str:
    """Hugo page bundles (lora/index.md) and Jekyll posts (2026-01-14-lora.md) name the note."""
    stem = path.parent.name if path.stem in {"index", "_index"} else path.stem
    return make_slug(_JEKYLL_DATE_PREFIX.sub("", stem))


def to_language(value: Any) -> str:
    """``language: en`` / ``zh-Hans`` (any case, or "zh"); empty means detect."""
    if value in (None, ""):
        return ""
    text = str(value).strip().casefold()
    for choice in Note.Language:
        if text in {choice.value.casefold(), choice.value.split("-")[0].casefold()}:
            return choice.value
    choices = ", ".join(choice.value for choice in Note.Language)
    raise NoteFileError(f"'language' must be one of {choices}, not {value!r}")


def to_text(value: Any, key: str, limit: int) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        raise NoteFileError(f"'{key}' is longer than {limit} characters")
    return text


@dataclass
class NoteFile:
    path: Path
    title: str
    slug: str
    body: str
    published_at: dt.datetime | None
    updated_at: dt.datetime | None
    category: str
    category_given: bool
    tags: list[str]
    summary: str
    language: str
    short_title: str
    draft: bool
    author: str
    papers: list[dict[str, Any]]
    extra: dict[str, Any]
    series: str = ""
    series_position: int | None = None
    created_at: dt.datetime | None = None
    # None: the file says nothing about figures, and a re-import leaves the note's alone.
    figures: list[dict[str, Any]] | None = None
    old_slugs: list[str] = field(default_factory=list)
    old_titles: list[str] = field(default_factory=list)


def to_paper(entry: Any, where: str) -> dict[str, Any]:
    """One paper record, checked by the admin's own paper form (notes.forms.PaperForm), so a
    file and the admin accept the same papers; unknown keys are an error, never dropped."""
    if not isinstance(entry, dict):
        raise NoteFileError(f"{where} must be a mapping with title, authors, venue, ...")
    unknown = sorted(set(map(str, entry)) - set(PAPER_KEYS))
    if unknown:
        raise NoteFileError(
            f"{where} has unknown keys {', '.join(unknown)} (known: {', '.join(PAPER_KEYS)})"
        )
    authors = entry.get("authors") or []
    if not isinstance(authors, list | str):
        raise NoteFileError(f"{where}: 'authors' must be a list of names")
    year = entry.get("year")
    if year not in (None, "") and (isinstance(year, bool) or not isinstance(year, int)):
        raise NoteFileError(f"{where}: 'year' must be a four-digit year, not {year!r}")
    data = {name: str(entry.get(key) or "") for key, name in PAPER_KEYS.items()}
    data.update(authors="\n".join(split_authors(authors)), year="" if year is None else year)
    form = PaperForm(data)
    if not form.is_valid():
        raise NoteFileError(paper_error(form, entry, where))
    return {name: form.cleaned_data[name] for name in PAPER_KEYS.values()}


def paper_error(form: PaperForm, entry: dict, where: str) -> str:
    """The first field the form refused, in the importer's words (they name the file's keys)."""
    keys = {name: key for key, name in PAPER_KEYS.items()}
    errors = form.errors.as_data()
    name = next(name for name in (*PAPER_KEYS.values(), *errors) if name in errors)
    key, value = keys.get(name, name), entry.get(keys.get(name, name))
    code = errors[name][0].code
    if code == "required":
        return f"{where} has no '{key}'"
    if code == "max_length":
        limit = form.fields[name].max_length
        return f"{where}: '{name}' is longer than {limit} characters"
    if name == "year":
        return f"{where}: 'year' must be a four-digit year, not {value!r}"
    if name in ("url", "code_url"):
        return f"{where}: '{key}' is not an http(s) URL: {str(value).strip()!r}"
    if name == "arxiv":
        # Unquoted, YAML reads 2106.09680 as the number 2106.0968: say how to fix the file.
        hint = " (quote it: YAML read it as a number)" if isinstance(value, float) else ""
        return f"{where}: 'arxiv' is not an arXiv id: {str(value).strip()!r}{hint}"
    if name == "doi":
        return f"{where}: 'doi' is not a DOI (10.xxxx/...): {str(value).strip()!r}"
    return f"{where}: '{key}': {errors[name][0].messages[0]}"


def to_papers(meta: dict) -> list[dict[str, Any]]:
    if meta.get("paper") and meta.get("papers"):
        raise NoteFileError("give either 'paper' (one) or 'papers' (a list), not both")
    if meta.get("papers"):
        if not isinstance(meta["papers"], list):
            raise NoteFileError("'papers' must be a list of papers")
        return [to_paper(entry, f"papers[{i}]") for i, entry in enumerate(meta["papers"])]
    return [to_paper(meta["paper"], "'paper'")] if meta.get("paper") else []


def papers_to_front_matter(papers: list[Paper]) -> dict[str, Any]:
    entries = []
    for paper in papers:
        entry: dict[str, Any] = {}
        for key, name in PAPER_KEYS.items():
            value = paper.author_list if key == "authors" else getattr(paper, name)
            if value not in (None, "", []):
                entry[key] = value
        entries.append(entry)
    if not entries:
        return {}
    return {"paper": entries[0]} if len(entries) == 1 else {"papers": entries}


def _field_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


def read_note_file(path: Path) -> NoteFile:
    try:
        # utf-8-sig: a byte-order mark (Windows editors write one) would otherwise hide the
        # opening "---", and the file would be reported as having no title.
        post = frontmatter.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise NoteFileError(f"not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except yaml.YAMLError as exc:
        raise NoteFileError(f"the front matter is not valid YAML: {exc}") from exc
    except ValueError as exc:  # YAML that parses but cannot be built, e.g. date: 2026-13-45
        raise NoteFileError(f"the front matter has an impossible value: {exc}") from exc
    meta = post.metadata
    if not isinstance(meta, dict):
        raise NoteFileError("the front matter must be a mapping of keys to values")
    title = str(meta.get("title") or "").strip()
    if not title:
        raise NoteFileError("the front matter has no 'title'")
    # Checked here so the file is reported the same way on every database (SQLite does not
    # enforce lengths; PostgreSQL would fail the save).
    if len(title) > _field_length(Note, "title"):
        raise NoteFileError(f"'title' is longer than {_field_length(Note, 'title')} characters")
    slug = _given_slug(str(meta["slug"])) if meta.get("slug") else slug_from_path(path)
    if not slug:
        raise NoteFileError("no usable slug: give one with 'slug:'")
    category = meta.get("category")
    if category is None and isinstance(meta.get("categories"), list) and meta["categories"]:
        category = meta["categories"][0]
    if category and len(str(category).strip()) > _field_length(Category, "name"):
        raise NoteFileError(
            f"'category' is longer than {_field_length(Category, 'name')} characters"
        )
    author = str(meta.get("author") or "").strip()
    user_model = get_user_model()
    if len(author) > _field_length(user_model, user_model.USERNAME_FIELD):
        raise NoteFileError("'author' is longer than a user name may be")
    return NoteFile(
        path=path,
        title=title,
        slug=slug,
        body=post.content,
        published_at=to_datetime(meta["date"], "date") if meta.get("date") else None,
        updated_at=to_datetime(meta["updated"], "updated") if meta.get("updated") else None,
        category=str(category).strip() if category else DEFAULT_CATEGORY,
        category_given=bool(category),
        tags=to_tags(meta.get("tags")),
        summary=str(meta.get("summary") or ""),
        language=to_language(meta.get("language")),
        short_title=to_text(
            meta.get("short_title"), "short_title", _field_length(Note, "short_title")
        ),
        draft=to_bool(meta.get("draft", False), "draft"),
        author=author,
        papers=to_papers(meta),
        extra={k: json_safe(v) for k, v in meta.items() if k not in (*KNOWN_KEYS, "categories")},
        series=to_series(meta.get("series")),
        series_position=to_position(meta.get("series_position")),
        created_at=to_datetime(meta["created"], "created") if meta.get("created") else None,
        figures=to_figures(meta["figures"]) if "figures" in meta else None,
        old_slugs=to_names(meta.get("old_slugs"), "old_slugs"),
        old_titles=to_names(meta.get("old_titles"), "old_titles"),
    )


def to_figures(value: Any) -> list[dict[str, Any]]:
    """The note's figures: files in MEDIA_ROOT (copied there from the backup's media folder)
    with their alt text, caption and size."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise NoteFileError("'figures' must be a list of figures")
    figures = []
    limit = Figure._meta.get_field("image").max_length
    for index, entry in enumerate(value):
        where = f"figures[{index}]"
        if not isinstance(entry, dict):
            raise NoteFileError(f"{where} must be a mapping with image, alt, caption, ...")
        unknown = sorted(set(map(str, entry)) - set(FIGURE_KEYS))
        if unknown:
            raise NoteFileError(
                f"{where} has unknown keys {', '.join(unknown)} (known: {', '.join(FIGURE_KEYS)})"
            )
        image = str(entry.get("image") or "").strip()
        parts = Path(image).parts
        # A name inside MEDIA_ROOT, as Django stores it: never absolute, never climbing out.
        if not image or Path(image).is_absolute() or ".." in parts or "\\" in image:
            raise NoteFileError(f"{where}: 'image' must be a file name inside the media folder")
        if len(image) > limit:
            raise NoteFileError(f"{where}: 'image' is longer than {limit} characters")
        record: dict[str, Any] = {"image": image}
        for key in ("alt", "caption"):
            record[key] = to_text(entry.get(key), f"{where}.{key}", _field_length(Figure, key))
        for key in ("width", "height"):
            size = entry.get(key, 0) or 0
            if isinstance(size, bool) or not isinstance(size, int) or size < 0:
                raise NoteFileError(f"{where}: '{key}' must be a number of pixels, not {size!r}")
            record[key] = size
        figures.append(record)
    return figures


def to_names(value: Any, key: str) -> list[str]:
    """Old slugs or titles: a list of strings."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or any(isinstance(item, list | dict) for item in value):
        raise NoteFileError(f"'{key}' must be a list of names, not {value!r}")
    names = [str(item).strip() for item in value if str(item).strip()]
    limit = _field_length(OldName, "key")
    if any(len(name) > limit for name in names):
        raise NoteFileError(f"'{key}' has a name longer than {limit} characters")
    return names


def to_series(value: Any) -> str:
    """A series' slug or title; Hugo writes taxonomies as a list, so one item is taken too."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if value is not None and not isinstance(value, str | int | float):
        raise NoteFileError("'series' must be a series' slug or title")
    return to_text(value, "series", _field_length(Series, "title"))


def to_position(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise NoteFileError(f"'series_position' must be a whole number from 1, not {value!r}")
    return value


def _given_slug(text: str) -> str:
    """A slug from the front matter is the note's URL: keep it when it is already valid.

    Re-slugifying would lowercase "LoRA" (which the admin accepts), so a restored backup
    would change the note's URL and a re-import would create a second note.
    """
    text = text.strip()
    try:
        validate_unicode_slug(text)
    except ValidationError:
        return make_slug(text)
    return text[: _field_length(Note, "slug")]


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


def find_note_files(paths: list[Path]) -> tuple[list[Path], list[Path]]:
    """Expand folders; returns (categories files, note files), each sorted."""
    categories: list[Path] = []
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            if (path / CATEGORIES_FILE).is_file():
                categories.append(path / CATEGORIES_FILE)
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.suffix in {".md", ".markdown"} and p.name != "_index.md" and p.is_file()
            )
        else:
            files.append(path)
    return categories, files


def import_paths(paths: list[Path]) -> ImportReport:
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
    for path in files:
        if not path.exists():
            report.errors.append((path, "no such file or folder"))
            continue
        try:
            note_file = read_note_file(path)
            with transaction.atomic(), reversion.create_revision(), derived_once():
                reversion.set_comment(f"Imported from {path.name}")
                created = save_note_file(note_file, report)
        except NoteFileError as exc:
            report.errors.append((path, str(exc)))
            continue
        except DatabaseError as exc:
            # The file's own transaction is rolled back; one bad file (say, an author name longer
            # than PostgreSQL allows) must not stop the rest of the import.
            report.errors.append((path, f"could not be saved: {exc}"))
            continue
        (report.created if created else report.updated).append(note_file.slug)
    # After the notes, so the tags the aliases belong to exist with their notes' spelling.
    for path in tags_files:
        _load_side_file(path, load_tags_file, report)
    return report


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


def save_note_file(data: NoteFile, report: ImportReport) -> bool:
    if not data.category_given:
        report.notices.append((data.path, f"no 'category': filed under '{DEFAULT_CATEGORY}'"))
    if data.extra:
        keys = ", ".join(sorted(data.extra))
        report.notices.append(
            (data.path, f"kept front-matter keys this version does not use: {keys}")
        )
    category = Category.objects.filter(name=data.category).first()
    if category is None:
        category = Category.objects.create(name=data.category)
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
    note.save()
    note.tags.set(data.tags, clear=True)
    note.papers.all().delete()
    Paper.objects.bulk_create(
        Paper(note=note, position=position, **record) for position, record in enumerate(data.papers)
    )
    if data.figures is not None and save_figures(note, data, report):
        # Rendered again now that its images' sizes are known, as the admin does.
        note.rerender()
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
    # Papers are bulk-created (no save signals): the revision takes the note as imported.
    add_note_to_revision(note)
    return created


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


# --- Writing --------------------------------------------------------------------------


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
    meta.update(papers_to_front_matter(list(note.papers.all())))
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
        "tags", "papers", "figures", "old_names"
    )
    for note in notes.order_by("slug").iterator(chunk_size=500):
        (directory / f"{note.slug}.md").write_text(note_to_text(note), encoding="utf-8")
        count += 1
    return count
