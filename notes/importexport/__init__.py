"""Markdown files with YAML front matter (as Hugo and Jekyll write them) in and out.

The file format is the backup format: ``export_notes`` writes what ``import_notes`` reads,
and an export, imported into an empty database and exported again, gives identical files.
With the media folder (the figures' image files) it is a whole backup of what readers see:
notes with their dates to the microsecond, drafts and scheduled notes, categories, tags with
their slugs and aliases, series, papers, figures, the authors' names and the names notes
had before (old addresses redirect, old [[links]] resolve). Not in it: editors' accounts and
permissions, and revision history (a database dump keeps those: README, "Backups").

By concern: ``reading`` (the format and its checks), ``importing`` (note files),
``sidefiles`` (categories, tags, authors, series), ``papers`` and ``exporting``.
"""

from notes.importexport.exporting import (
    authors_to_text,
    categories_to_text,
    export_notes,
    format_datetime,
    note_to_text,
    papers_to_front_matter,
    series_to_text,
    tags_to_text,
)
from notes.importexport.importing import (
    ImportReport,
    find_or_create_author,
    import_paths,
    restore_old_names,
    save_figures,
    save_note_file,
)
from notes.importexport.reading import (
    AUTHORS_FILE,
    CATEGORIES_FILE,
    DEFAULT_CATEGORY,
    FIGURE_KEYS,
    KNOWN_KEYS,
    PAPER_KEYS,
    SERIES_FILE,
    TAGS_FILE,
    NoteFile,
    NoteFileError,
    find_note_files,
    json_safe,
    paper_error,
    read_note_file,
    slug_from_path,
    to_bool,
    to_datetime,
    to_figures,
    to_language,
    to_names,
    to_paper,
    to_papers,
    to_position,
    to_series,
    to_tags,
    to_text,
)
from notes.importexport.sidefiles import (
    find_series,
    load_authors_file,
    load_categories_file,
    load_series_file,
    load_tags_file,
    set_tag_slugs,
)

__all__ = [
    "AUTHORS_FILE",
    "CATEGORIES_FILE",
    "DEFAULT_CATEGORY",
    "FIGURE_KEYS",
    "KNOWN_KEYS",
    "PAPER_KEYS",
    "SERIES_FILE",
    "TAGS_FILE",
    "ImportReport",
    "NoteFile",
    "NoteFileError",
    "authors_to_text",
    "categories_to_text",
    "export_notes",
    "find_note_files",
    "find_or_create_author",
    "find_series",
    "format_datetime",
    "import_paths",
    "json_safe",
    "load_authors_file",
    "load_categories_file",
    "load_series_file",
    "load_tags_file",
    "note_to_text",
    "paper_error",
    "papers_to_front_matter",
    "read_note_file",
    "restore_old_names",
    "save_figures",
    "save_note_file",
    "series_to_text",
    "set_tag_slugs",
    "slug_from_path",
    "tags_to_text",
    "to_bool",
    "to_datetime",
    "to_figures",
    "to_language",
    "to_names",
    "to_paper",
    "to_papers",
    "to_position",
    "to_series",
    "to_tags",
    "to_text",
]
