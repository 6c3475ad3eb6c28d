"""Reading note files: the front-matter format, its checks, and finding the files in a folder."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_unicode_slug
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from taggit.models import Tag

from notes.forms import PaperForm
from notes.models import (
    Category,
    Figure,
    Note,
    OldName,
    Series,
    make_slug,
)
from notes.models.updates import SUMMARY_LENGTH
from notes.papers import normalize_arxiv, normalize_doi, split_authors

KNOWN_KEYS = (
    "title", "short_title", "slug", "date", "updated", "created", "category", "tags", "summary",
    "language", "draft", "author", "paper", "papers", "series", "series_position", "figures",
    "old_slugs", "old_titles", "updates",
)  # fmt: skip
# Front-matter figure keys, in export order. ``image`` is the file's name in MEDIA_ROOT.
FIGURE_KEYS = ("image", "alt", "caption", "width", "height")
# Front-matter paper keys, in export order, and the Paper field each one fills.
PAPER_KEYS = {
    "title": "title", "authors": "authors", "venue": "venue", "year": "year",
    "published": "published", "url": "url", "pdf": "pdf_url", "doi": "doi", "arxiv": "arxiv",
    "arxiv_version": "arxiv_version", "code": "code_url", "key": "key", "abstract": "abstract",
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
    # None: the file says nothing about the update log, and a re-import leaves it alone.
    updates: list[tuple[dt.datetime, str]] | None = None


def to_paper(entry: Any, where: str) -> dict[str, Any]:
    """One paper record, checked by the admin's own paper form (notes.forms.PaperForm), so a
    file and the admin accept the same papers; unknown keys are an error, never dropped."""
    if isinstance(entry, str | float) and not isinstance(entry, bool):
        return identified_paper(entry, where)
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
    form = PaperEntryForm(data)
    if not form.is_valid():
        raise NoteFileError(paper_error(form, entry, where))
    return {name: form.cleaned_data[name] for name in PAPER_KEYS.values()}


def identified_paper(entry: str | float, where: str) -> dict[str, Any]:
    """A paper named only by its identifier (``paper: arxiv:2106.09685`` or a DOI): found on
    the site when it is saved, or fetched with --fetch (notes.importexport.papers)."""
    text = str(entry).strip()
    if arxiv := normalize_arxiv(text):
        return {"arxiv": arxiv}
    if doi := normalize_doi(text):
        return {"doi": doi}
    if isinstance(entry, float):
        # Unquoted, YAML reads 2106.09680 as the number 2106.0968.
        raise NoteFileError(f"{where}: quote the arXiv id (YAML read it as the number {entry})")
    raise NoteFileError(
        f"{where} must be a mapping with title, authors, venue, ... or an arXiv id or DOI "
        f"(arxiv:2106.09685, doi:10.1038/nature14236), not {text[:80]!r}"
    )


class PaperEntryForm(PaperForm):
    """The paper form's field rules without its uniqueness checks: an imported paper that is
    already on the site is the same record, found by its identifier when the note is saved."""

    def validate_unique(self) -> None:
        pass

    def _post_clean(self) -> None:
        # Model.full_clean also checks the model's constraints (one record per arXiv id and
        # per DOI) against the database: skipped too, so reading a file asks no query.
        self.instance.validate_constraints = lambda exclude=None: None
        super()._post_clean()


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
    if name in ("url", "code_url", "pdf_url"):
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
        updates=to_updates(meta["updates"]) if "updates" in meta else None,
    )


def to_updates(value: Any) -> list[tuple[dt.datetime, str]]:
    """The note's update log: each a date and the line readers saw."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise NoteFileError("'updates' must be a list of {date, summary}")
    updates = []
    for index, entry in enumerate(value):
        where = f"updates[{index}]"
        if not isinstance(entry, dict) or set(map(str, entry)) != {"date", "summary"}:
            raise NoteFileError(f"{where} must have exactly a 'date' and a 'summary'")
        summary = to_text(entry["summary"], f"{where}.summary", SUMMARY_LENGTH)
        if not summary:
            raise NoteFileError(f"{where} has an empty 'summary'")
        updates.append((to_datetime(entry["date"], f"{where}.date"), summary))
    return updates


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
